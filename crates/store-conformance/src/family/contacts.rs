//! Family contact lists: [`Store::family_contacts`], one line per peer across family links,
//! with the connecting children and the guardian conversation's state.

use super::{add_guardian, family_conversation, send_via};
use crate::fixtures::{Scope, at, create_user, link, send};
use classchat_core::store::{Contact, GuardianLink, Link, Side, Store};
use classchat_core::user::{Role, User};
use classchat_core::{ConversationId, Message, UserId};
use std::sync::Arc;

/// The family contact line for `peer`, with the children `family` in display-name order.
fn line(
    peer: &User,
    conversation: &ConversationId,
    last: Option<&Message>,
    unread: u64,
    family: &[&User],
) -> Contact {
    Contact {
        peer: peer.clone(),
        conversation_id: conversation.clone(),
        last_message: last.cloned(),
        unread_count: unread,
        family: family.iter().map(|&child| child.clone()).collect(),
    }
}

/// [`Store::family_contacts`] of `user`, which must not fail.
async fn family_contacts(store: &dyn Store, user: &UserId) -> Vec<Contact> {
    store
        .family_contacts(user)
        .await
        .unwrap_or_else(|error| panic!("family_contacts({user}) failed: {error}"))
}

/// A guardian's family contacts are the teachers of their children, one line each in
/// display-name order, with the children who connect them in display-name order and the
/// conversation `<guardian>+<teacher>`. A teacher or child who does not exist is left out,
/// and so is a teacher reached only through a child who does not.
pub async fn family_contacts_for_guardian_list_each_teacher_with_the_children(
    store: Arc<dyn Store>,
) {
    let scope = Scope::new();
    let guardian = create_user(&*store, &scope.id("g"), "Gail Guardian", Role::Guardian).await;
    // Ids sort the opposite way from display names.
    let zoe = create_user(&*store, &scope.id("s1"), "Zoe", Role::Student).await;
    let adam = create_user(&*store, &scope.id("s2"), "Adam", Role::Student).await;
    let other = create_user(&*store, &scope.id("s3"), "Other", Role::Student).await;
    let zed = create_user(&*store, &scope.id("t1"), "Zed Teacher", Role::Teacher).await;
    let abe = create_user(&*store, &scope.id("t2"), "Abe Teacher", Role::Teacher).await;
    let mia = create_user(&*store, &scope.id("t3"), "Mia Teacher", Role::Teacher).await;
    add_guardian(&*store, &guardian, &zoe).await;
    add_guardian(&*store, &guardian, &adam).await;
    for (teacher, student) in [(&zed, &zoe), (&zed, &adam), (&abe, &zoe), (&mia, &other)] {
        link(&*store, teacher, student).await;
    }
    // A teacher who does not exist, linked to one of the children; a child who does not
    // exist, linked to an existing teacher of the family and to one who is not.
    let (ghost_teacher, ghost_child) = (scope.id("t-ghost"), scope.id("s-ghost"));
    let links = [
        (ghost_teacher.clone(), adam.id.clone()),
        (zed.id.clone(), ghost_child.clone()),
        (mia.id.clone(), ghost_child.clone()),
    ];
    for (teacher, student) in links {
        store.add_link(&Link { teacher, student }).await.unwrap();
    }
    let ghost = GuardianLink {
        guardian: guardian.id.clone(),
        student: ghost_child,
    };
    store.add_guardian(&ghost).await.unwrap();

    let with = |teacher: &User| family_conversation(&guardian, teacher);
    assert_eq!(
        family_contacts(&*store, &guardian.id).await,
        vec![
            line(&abe, &with(&abe), None, 0, &[&zoe]),
            line(&zed, &with(&zed), None, 0, &[&adam, &zoe]),
        ],
        "one line per teacher of the guardian's children, by display name, each with the \
         connecting children by display name; nobody who does not exist, and no teacher \
         reached only through a child who does not"
    );
    for (nobody, what) in [
        (&zoe.id, "a student"),
        (&scope.id("stranger"), "a user who does not exist"),
    ] {
        assert_eq!(
            family_contacts(&*store, nobody).await,
            Vec::<Contact>::new(),
            "{what} has no family contacts"
        );
    }
}

/// A teacher's family contacts are the guardians of their students, one line each in
/// display-name order, with the students who connect them.
pub async fn family_contacts_for_teacher_list_each_guardian(store: Arc<dyn Store>) {
    let scope = Scope::new();
    let teacher = create_user(&*store, &scope.id("t"), "Tess Teacher", Role::Teacher).await;
    let other_teacher = create_user(&*store, &scope.id("u"), "Uma Teacher", Role::Teacher).await;
    let yara = create_user(&*store, &scope.id("s1"), "Yara", Role::Student).await;
    let ben = create_user(&*store, &scope.id("s2"), "Ben", Role::Student).await;
    let other = create_user(&*store, &scope.id("s3"), "Other", Role::Student).await;
    let zara = create_user(&*store, &scope.id("g1"), "Zara Parent", Role::Guardian).await;
    let abby = create_user(&*store, &scope.id("g2"), "Abby Parent", Role::Guardian).await;
    let olga = create_user(&*store, &scope.id("g3"), "Olga Parent", Role::Guardian).await;
    link(&*store, &teacher, &yara).await;
    link(&*store, &teacher, &ben).await;
    link(&*store, &other_teacher, &other).await;
    add_guardian(&*store, &zara, &yara).await;
    add_guardian(&*store, &zara, &ben).await;
    add_guardian(&*store, &abby, &ben).await;
    add_guardian(&*store, &olga, &other).await;

    let with = |guardian: &User| family_conversation(guardian, &teacher);
    assert_eq!(
        family_contacts(&*store, &teacher.id).await,
        vec![
            line(&abby, &with(&abby), None, 0, &[&ben]),
            line(&zara, &with(&zara), None, 0, &[&ben, &yara]),
        ],
        "one line per guardian of the teacher's students, by display name, each with the \
         connecting students by display name"
    );
    let students: Vec<UserId> = store
        .linked_contacts(&teacher.id, Side::Teacher)
        .await
        .unwrap()
        .into_iter()
        .map(|contact| contact.peer.id)
        .collect();
    assert_eq!(
        students,
        [ben.id.clone(), yara.id.clone()],
        "guardians are not among a teacher's linked contacts"
    );
}

/// A family contact line shows the guardian conversation's newest message and the unread
/// count of whoever the list is for, from either side, and nothing of the child's own
/// conversation with the teacher.
pub async fn family_contacts_follow_the_guardian_conversation(store: Arc<dyn Store>) {
    let scope = Scope::new();
    let guardian = create_user(&*store, &scope.id("g"), "Gwen Guardian", Role::Guardian).await;
    let child = create_user(&*store, &scope.id("s"), "Sam", Role::Student).await;
    let teacher = create_user(&*store, &scope.id("t"), "Tess Teacher", Role::Teacher).await;
    link(&*store, &teacher, &child).await;
    add_guardian(&*store, &guardian, &child).await;
    let family = family_conversation(&guardian, &teacher);
    let (g, t, s) = (&guardian.id, &teacher.id, &child.id);

    send_via(&*store, &family, g, at(100), "hello", s).await;
    send_via(&*store, &family, t, at(200), "hi", s).await;
    let newest = send_via(&*store, &family, t, at(300), "more", s).await;
    // The child's own conversation with the teacher, newer still, is another line's.
    let own = ConversationId::new(s.clone(), t.clone());
    send(&*store, &own, s, at(400), "from the child").await;

    assert_eq!(
        family_contacts(&*store, g).await,
        vec![line(&teacher, &family, Some(&newest), 2, &[&child])],
        "the guardian's line shows the newest message and the teacher's two as unread"
    );
    assert_eq!(
        family_contacts(&*store, t).await,
        vec![line(&guardian, &family, Some(&newest), 1, &[&child])],
        "the teacher's line shows the newest message and the guardian's one as unread"
    );

    store
        .mark_read(g, &family, newest.timestamp)
        .await
        .expect("mark_read failed");
    assert_eq!(
        family_contacts(&*store, g).await,
        vec![line(&teacher, &family, Some(&newest), 0, &[&child])],
        "after mark_read the guardian has nothing unread"
    );
    assert_eq!(
        family_contacts(&*store, t).await,
        vec![line(&guardian, &family, Some(&newest), 1, &[&child])],
        "the guardian's mark_read leaves the teacher's count alone"
    );
}
