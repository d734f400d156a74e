//! Safeguarding on DynamoDB under races, between nodes (stores with their own in-process
//! state over one set of tables): steps of one report made on one reading move it once,
//! revisions of one message made on one reading keep one and every earlier text, and an
//! edit of the newest message racing a newer message never leaves its text in the
//! summaries. And what the tables hold: a revised Message item keeps the seed's
//! attributes, plus `editedAt` and `removedAt`.

use crate::fixtures::{append, create_user, message};
use aws_sdk_dynamodb::types::AttributeValue;
use classchat_core::message::MessageBody;
use classchat_core::moderation::ReportReason;
use classchat_core::store::{
    Appended, Link, Report, ReportId, ReportSource, ReportState, ReportStep, Revision,
    RevisionKind, Side, Store, StoreError,
};
use classchat_core::user::Role;
use classchat_core::{ConversationId, Message, Timestamp, UserId};
use classchat_store_dynamodb::{DynamoStore, testing};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Rounds of each race, each on a message or report of its own, in one set of tables.
const ROUNDS: usize = 6;

fn at(micros: i64) -> Timestamp {
    Timestamp::parse("2026-01-01T00:00:00Z")
        .unwrap()
        .plus_micros(micros)
}

/// Two nodes over the same fresh tables, and a linked pair on them.
async fn nodes() -> (Vec<Arc<DynamoStore>>, UserId, UserId, ConversationId) {
    let prefix = testing::fresh_prefix();
    let stores = vec![
        Arc::new(testing::store_with_prefix(&prefix).await),
        Arc::new(testing::store_with_prefix(&prefix).await),
    ];
    let student = create_user(&*stores[0], "s", Role::Student).await;
    let teacher = create_user(&*stores[0], "t", Role::Teacher).await;
    let conversation = ConversationId::new(student.clone(), teacher.clone());
    stores[1].add_link(&Link::of(&conversation)).await.unwrap();
    (stores, student, teacher, conversation)
}

/// Appends a message, which the conversation's link allows.
async fn send(
    store: &dyn Store,
    conversation: &ConversationId,
    author: &UserId,
    body: &str,
) -> Message {
    match append(store, &message(conversation, author, at(0), body, None)).await {
        Ok(Appended::Created(message)) => message,
        other => panic!("the append must create a message, got {other:?}"),
    }
}

/// A revision of `message` expecting it never edited.
fn revision(message: &Message, kind: RevisionKind) -> Revision {
    Revision {
        conversation_id: message.conversation_id.clone(),
        timestamp: message.timestamp,
        expected_edited_at: None,
        kind,
        at: at(1_000_000),
    }
}

fn edit(message: &Message, body: &str) -> Revision {
    revision(
        message,
        RevisionKind::Edit(MessageBody::parse(body).unwrap()),
    )
}

/// The last message both participants' summaries show, which must agree.
async fn summaries(store: &dyn Store, student: &UserId, teacher: &UserId) -> Option<Message> {
    let of_student = store.linked_contacts(student, Side::Student).await.unwrap();
    let of_teacher = store.linked_contacts(teacher, Side::Teacher).await.unwrap();
    assert_eq!(
        of_student[0].last_message, of_teacher[0].last_message,
        "both summaries show the same last message"
    );
    of_student[0].last_message.clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revisions_racing_on_one_reading_keep_one_and_every_earlier_text() {
    let (stores, student, teacher, conversation) = nodes().await;
    for round in 0..ROUNDS {
        let original = send(&*stores[0], &conversation, &student, &format!("r{round}")).await;
        // Each node edits, on a reading of the message never edited; in odd rounds a
        // removal made on the same reading races them too.
        let mut racing = vec![
            edit(&original, "from node 0"),
            edit(&original, "from node 1"),
        ];
        if round % 2 == 1 {
            racing.push(revision(&original, RevisionKind::Remove));
        }
        let tasks: Vec<_> = racing
            .into_iter()
            .enumerate()
            .map(|(i, revision)| {
                let store = Arc::clone(&stores[i % stores.len()]);
                tokio::spawn(async move { store.revise_message(&revision).await })
            })
            .collect();
        let mut won = Vec::new();
        for task in tasks {
            match task.await.unwrap() {
                Ok(Some(message)) => won.push(message),
                Err(StoreError::Conflict(_)) => {}
                other => panic!("round {round}: a racing revision answered {other:?}"),
            }
        }
        assert_eq!(
            won.len(),
            1,
            "round {round}: exactly one revision wins: {won:?}"
        );
        let winner = won.remove(0);
        for store in &stores {
            assert_eq!(
                store
                    .message(&conversation, original.timestamp)
                    .await
                    .unwrap(),
                Some(winner.clone()),
                "round {round}: the message is the winner's, on every node"
            );
        }
        let versions = stores[1]
            .message_versions(&conversation, original.timestamp)
            .await
            .unwrap();
        let kept: Vec<&str> = versions.iter().map(|v| v.body.as_str()).collect();
        match winner.edited_at {
            Some(_) => assert_eq!(kept, [original.body.as_str()], "round {round}"),
            None => assert!(kept.is_empty(), "round {round}: a removal keeps no version"),
        }
        assert_eq!(
            summaries(&*stores[0], &student, &teacher).await,
            Some(winner),
            "round {round}: the summaries show the winner's revision of the newest message"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_edit_racing_a_newer_message_never_shows_in_the_summaries() {
    let (stores, student, teacher, conversation) = nodes().await;
    for round in 0..ROUNDS * 2 {
        let original = send(&*stores[0], &conversation, &student, &format!("e{round}")).await;
        let editing = {
            let (store, revision) = (Arc::clone(&stores[0]), edit(&original, "edited"));
            tokio::spawn(async move { store.revise_message(&revision).await })
        };
        let sending = {
            let (store, conversation, teacher) = (
                Arc::clone(&stores[1]),
                conversation.clone(),
                teacher.clone(),
            );
            let body = format!("newer {round}");
            tokio::spawn(async move { send(&*store, &conversation, &teacher, &body).await })
        };
        let edited = editing.await.unwrap().unwrap().expect("the message exists");
        let newer = sending.await.unwrap();
        assert!(newer.timestamp > edited.timestamp);
        assert_eq!(
            summaries(&*stores[1], &student, &teacher).await,
            Some(newer),
            "round {round}: whichever committed first, the summaries show the newer message"
        );
        assert_eq!(
            stores[1]
                .message(&conversation, original.timestamp)
                .await
                .unwrap(),
            Some(edited),
            "round {round}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn steps_racing_from_open_move_a_report_once() {
    let (stores, student, teacher, conversation) = nodes().await;
    let admin = create_user(&*stores[0], "admin", Role::Admin).await;
    for round in 0..ROUNDS {
        let reported = send(&*stores[0], &conversation, &teacher, &format!("p{round}")).await;
        let report = Report {
            id: ReportId::generate(),
            conversation_id: conversation.clone(),
            timestamp: reported.timestamp,
            message_id: reported.message_id,
            author: teacher.clone(),
            source: ReportSource::Person(student.clone()),
            reason: ReportReason::Bullying,
            details: None,
            created_at: at(10),
            state: ReportState::Open,
            steps: Vec::new(),
        };
        stores[0].put_report(&report).await.unwrap();
        // One admin reviews it on one node while another dismisses it on the other, both
        // from the open report they read.
        let tasks: Vec<_> = [ReportState::Reviewed, ReportState::Dismissed]
            .into_iter()
            .enumerate()
            .map(|(i, state)| {
                let store = Arc::clone(&stores[i]);
                let step = ReportStep {
                    state,
                    by: admin.clone(),
                    at: at(20),
                    note: None,
                };
                let id = report.id;
                tokio::spawn(async move { store.step_report(id, ReportState::Open, &step).await })
            })
            .collect();
        let mut moved = Vec::new();
        for task in tasks {
            match task.await.unwrap() {
                Ok(Some(report)) => moved.push(report),
                Err(StoreError::Conflict(_)) => {}
                other => panic!("round {round}: a racing step answered {other:?}"),
            }
        }
        assert_eq!(
            moved.len(),
            1,
            "round {round}: exactly one step wins: {moved:?}"
        );
        let winner = moved.remove(0);
        assert_eq!(winner.steps.len(), 1, "round {round}");
        assert_eq!(
            stores[1].report(report.id).await.unwrap(),
            Some(winner.clone()),
            "round {round}: the report is the winner's, on every node"
        );
        for state in ReportState::ALL {
            let listed = stores[1]
                .list_reports(Some(state), None, 100)
                .await
                .unwrap()
                .into_iter()
                .filter(|listed| listed.id == report.id)
                .collect::<Vec<_>>();
            let expected = match state == winner.state {
                true => vec![winner.clone()],
                false => Vec::new(),
            };
            assert_eq!(
                listed, expected,
                "round {round}: listed under {state:?} exactly when it is in it"
            );
        }
    }
}

#[tokio::test]
async fn a_revised_message_item_keeps_the_seed_attributes() {
    let (stores, student, _teacher, conversation) = nodes().await;
    let store = &stores[0];
    let original = send(&**store, &conversation, &student, "typo").await;
    store
        .revise_message(&edit(&original, "fixed"))
        .await
        .unwrap()
        .unwrap();
    let removal = Revision {
        expected_edited_at: Some(at(1_000_000)),
        at: at(2_000_000),
        ..revision(&original, RevisionKind::Remove)
    };
    store.revise_message(&removal).await.unwrap().unwrap();

    let output = store
        .client()
        .query()
        .table_name(&store.tables().message)
        .key_condition_expression("conversationId = :c")
        .expression_attribute_values(":c", AttributeValue::S(conversation.to_string()))
        .send()
        .await
        .unwrap();
    let items = output.items.unwrap_or_default();
    assert_eq!(
        items.len(),
        1,
        "the Message partition holds the message only"
    );
    let shape: BTreeMap<&str, bool> = items[0]
        .iter()
        .map(|(name, value)| (name.as_str(), value.is_s()))
        .collect();
    let expected: BTreeMap<&str, bool> = [
        "conversationId",
        "timestamp",
        "author",
        "messageBody",
        "messageId",
        "editedAt",
        "removedAt",
    ]
    .into_iter()
    .map(|name| (name, true))
    .collect();
    assert_eq!(
        shape, expected,
        "the seed's attributes, all S, and the two revisions'"
    );
    assert_eq!(items[0]["messageBody"], AttributeValue::S("fixed".into()));

    let versions = store
        .client()
        .query()
        .table_name(&store.tables().user_info)
        .key_condition_expression("userId = :p")
        .expression_attribute_values(":p", AttributeValue::S(format!("#conv#{conversation}")))
        .send()
        .await
        .unwrap()
        .items
        .unwrap_or_default();
    assert_eq!(
        versions.len(),
        1,
        "one version, in the conversation's partition"
    );
    assert_eq!(versions[0]["messageBody"], AttributeValue::S("typo".into()));
}
