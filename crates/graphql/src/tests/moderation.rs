//! The safeguarding mutations through the schema: an author edits and removes their own
//! message (the other participant reads the edit, and a tombstone), a participant reports
//! the other's message and gets a receipt, and a teacher's pause refuses the student's
//! sends with `conversation_paused` until it resumes.

use super::school::school;
use serde_json::{Value, json};

const EDIT: &str = "mutation($c: String!, $t: String!, $b: String!) {
    editMessage(conversationId: $c, timestamp: $t, messageBody: $b) {
        messageBody editedAt removedAt } }";
const REMOVE: &str = "mutation($c: String!, $t: String!) {
    removeMessage(conversationId: $c, timestamp: $t) { messageBody editedAt removedAt } }";
const READ: &str = "query($c: String!) { conversation(id: $c) {
    messages { author messageBody editedAt removedAt } pause { by byRole at reason } } }";
const PAUSE: &str = "mutation($c: String!, $r: String) {
    pauseConversation(conversationId: $c, reason: $r) { by byRole at reason } }";
const RESUME: &str = "mutation($c: String!) { resumeConversation(conversationId: $c) }";
const SEND: &str = "mutation($c: String!) {
    sendMessage(input: {conversationId: $c, messageBody: \"Can I hand it in late?\"}) { author } }";

fn message(c: &str, t: &str) -> Value {
    json!({"c": c, "t": t})
}

#[tokio::test]
async fn an_author_edits_within_the_window_and_the_other_participant_reads_the_edit() {
    let s = school().await;
    let sent = s.send(&s.s1, "s1+t1", "The homwork is done").await;
    let edited = s
        .data(
            &s.s1,
            EDIT,
            json!({"c": "t1+s1", "t": sent, "b": "The homework is done"}),
        )
        .await;
    let edited = &edited["editMessage"];
    assert_eq!(edited["messageBody"], "The homework is done");
    assert!(edited["editedAt"].is_string(), "{edited}");
    assert_eq!(edited["removedAt"], Value::Null);

    let read = s.data(&s.t1, READ, json!({"c": "s1+t1"})).await;
    assert_eq!(
        read["conversation"]["messages"][0]["messageBody"],
        "The homework is done"
    );
    assert_eq!(
        read["conversation"]["messages"][0]["editedAt"],
        edited["editedAt"]
    );

    // Only the author edits; a text the service refuses carries the REST code.
    let theirs = json!({"c": "s1+t1", "t": sent, "b": "Changed by the teacher"});
    assert_eq!(s.refusal(&s.t1, EDIT, theirs).await, "forbidden");
    let empty = json!({"c": "s1+t1", "t": sent, "b": "   "});
    assert_eq!(s.refusal(&s.s1, EDIT, empty).await, "invalid_message_body");
    let nowhen = json!({"c": "s1+t1", "t": "yesterday", "b": "Hello"});
    assert_eq!(s.refusal(&s.s1, EDIT, nowhen).await, "invalid_cursor");
}

#[tokio::test]
async fn a_removed_message_is_a_tombstone_for_the_other_participant() {
    let s = school().await;
    let sent = s.send(&s.t1, "s1+t1", "Wrong student, sorry").await;
    let removed = s.data(&s.t1, REMOVE, message("s1+t1", &sent)).await;
    assert_eq!(removed["removeMessage"]["messageBody"], "");
    assert!(removed["removeMessage"]["removedAt"].is_string());

    let read = s.data(&s.s1, READ, json!({"c": "s1+t1"})).await;
    let tombstone = &read["conversation"]["messages"][0];
    assert_eq!(tombstone["author"], "t1");
    assert_eq!(tombstone["messageBody"], "");
    assert_eq!(
        tombstone["removedAt"],
        removed["removeMessage"]["removedAt"]
    );
    // Admins still read the text.
    let read = s.data(&s.admin, READ, json!({"c": "s1+t1"})).await;
    assert_eq!(
        read["conversation"]["messages"][0]["messageBody"],
        "Wrong student, sorry"
    );
    // A removed message is not edited back.
    let edit = json!({"c": "s1+t1", "t": sent, "b": "Back again"});
    assert_eq!(s.refusal(&s.t1, EDIT, edit).await, "not_editable");
}

#[tokio::test]
async fn a_participant_reports_the_others_message_and_gets_a_receipt() {
    let s = school().await;
    let sent = s.send(&s.t1, "s1+t1", "See me after class").await;
    let report = "mutation($c: String!, $t: String!, $r: String!, $d: String) {
        reportMessage(conversationId: $c, timestamp: $t, reason: $r, details: $d) {
            reportId status receivedAt } }";
    let variables = json!({"c": "s1+t1", "t": sent, "r": "inappropriate", "d": "It worried me"});
    let receipt = s.data(&s.s1, report, variables.clone()).await;
    let receipt = &receipt["reportMessage"];
    assert_eq!(receipt["status"], "received");
    assert!(
        receipt["reportId"]
            .as_str()
            .is_some_and(|id| id.len() == 26)
    );
    assert!(receipt["receivedAt"].is_string());
    // Reporting it again answers the first report.
    let again = s.data(&s.s1, report, variables).await;
    assert_eq!(&again["reportMessage"], receipt);

    // Not one's own message, not a stranger's conversation, not a reason of the system's.
    let own = s.send(&s.s1, "s1+t1", "Ok").await;
    let variables = json!({"c": "s1+t1", "t": own, "r": "spam"});
    assert_eq!(s.refusal(&s.s1, report, variables).await, "invalid_request");
    let variables = json!({"c": "s1+t1", "t": sent, "r": "spam"});
    assert_eq!(s.refusal(&s.s2, report, variables).await, "forbidden");
    let variables = json!({"c": "s1+t1", "t": sent, "r": "flagged"});
    assert_eq!(s.refusal(&s.s1, report, variables).await, "invalid_request");
}

#[tokio::test]
async fn a_pause_refuses_the_students_sends_with_conversation_paused_until_resumed() {
    let s = school().await;
    let paused = s
        .data(
            &s.t1,
            PAUSE,
            json!({"c": "s1+t1", "r": "Let's talk in person"}),
        )
        .await;
    let pause = &paused["pauseConversation"];
    assert_eq!(pause["by"], "t1");
    assert_eq!(pause["byRole"], "teacher");
    assert_eq!(pause["reason"], "Let's talk in person");
    assert!(pause["at"].is_string());

    let response = s.run(&s.s1, SEND, json!({"c": "s1+t1"})).await;
    let error = &response["errors"][0];
    assert_eq!(
        error["extensions"]["code"], "conversation_paused",
        "{response}"
    );
    assert!(
        error["message"]
            .as_str()
            .is_some_and(|text| text.contains("Let's talk in person")),
        "{error}"
    );
    // The teacher still writes, both read the pause, and another conversation is open.
    s.data(&s.t1, SEND, json!({"c": "s1+t1"})).await;
    let read = s.data(&s.s1, READ, json!({"c": "s1+t1"})).await;
    assert_eq!(&read["conversation"]["pause"], pause);
    s.data(&s.s2, SEND, json!({"c": "s2+t1"})).await;
    // A student may not pause, nor resume.
    assert_eq!(
        s.refusal(&s.s1, RESUME, json!({"c": "s1+t1"})).await,
        "forbidden"
    );

    let resumed = s.data(&s.t1, RESUME, json!({"c": "s1+t1"})).await;
    assert_eq!(resumed["resumeConversation"], true);
    s.data(&s.s1, SEND, json!({"c": "s1+t1"})).await;
    let read = s.data(&s.t1, READ, json!({"c": "s1+t1"})).await;
    assert_eq!(read["conversation"]["pause"], Value::Null);
}

#[tokio::test]
async fn an_admins_pause_is_lifted_by_an_admin_only() {
    let s = school().await;
    let paused = s.data(&s.admin, PAUSE, json!({"c": "s1+t1"})).await;
    assert_eq!(paused["pauseConversation"]["byRole"], "admin");
    assert_eq!(paused["pauseConversation"]["reason"], Value::Null);
    assert_eq!(
        s.refusal(&s.t1, RESUME, json!({"c": "s1+t1"})).await,
        "forbidden"
    );
    let resumed = s.data(&s.admin, RESUME, json!({"c": "s1+t1"})).await;
    assert_eq!(resumed["resumeConversation"], true);
}
