//! Link changes reach both sides live: adding or removing a link is announced to the
//! student and the teacher (never anyone else), after the store has it, so that their
//! clients open or close the conversation for sending and subscriptions to it end.

use super::School;
use crate::conversation::ConversationId;
use crate::hub::Event;
use crate::ids::UserId;
use crate::service::Actor;
use crate::user::Role;

#[tokio::test]
async fn adding_and_removing_a_link_is_announced_to_both_sides_and_no_one_else() {
    let school = School::new();
    let s1 = school.user("s1", Role::Student).await;
    let t1 = school.user("t1", Role::Teacher).await;
    let a1 = school.user("a1", Role::Admin).await;
    let admin = Actor::User(&a1);

    school.service.add_link(admin, "t1", "s1").await.unwrap();
    school.service.remove_link(admin, "t1", "s1").await.unwrap();

    let published = school.hub.published.lock().unwrap().clone();
    let conversation = ConversationId::new(s1.id.clone(), t1.id.clone());
    let announced: Vec<(Vec<UserId>, Event)> = published
        .into_iter()
        .map(|(delivery, event)| (delivery.recipients, event))
        .collect();
    assert_eq!(
        announced,
        [true, false].map(|linked| (
            vec![s1.id.clone(), t1.id.clone()],
            Event::Link {
                conversation_id: conversation.clone(),
                linked,
            },
        ))
    );
}

#[tokio::test]
async fn a_refused_link_change_announces_nothing() {
    let school = School::new();
    let s1 = school.user("s1", Role::Student).await;
    school.user("t1", Role::Teacher).await;
    let a1 = school.user("a1", Role::Admin).await;

    // Not an admin; not linked; already linked.
    assert!(
        school
            .service
            .add_link(Actor::User(&s1), "t1", "s1")
            .await
            .is_err()
    );
    assert!(
        school
            .service
            .remove_link(Actor::User(&a1), "t1", "s1")
            .await
            .is_err()
    );
    school
        .service
        .add_link(Actor::User(&a1), "t1", "s1")
        .await
        .unwrap();
    assert!(
        school
            .service
            .add_link(Actor::User(&a1), "t1", "s1")
            .await
            .is_err()
    );
    assert_eq!(school.hub.published.lock().unwrap().len(), 1);
}
