//! An author's edits and removals: seen live by both sides, never losing what was there.

use super::{School, history_path, timestamp};
use crate::common::ws::{FRAME_WAIT, SILENCE};
use serde_json::json;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_edit_in_the_window_is_seen_live_by_both_and_every_version_kept_for_admins() {
    let school = School::open().await;
    let original = school.send("s1", "see you at 3").await;
    let at = timestamp(&original);
    let (mut teacher, mut student) = school.sockets().await;

    let edited = school.edit(&school.s1, &at, "  see you at 4  ").await;
    assert_eq!(edited.status, 200, "{}", edited.body);
    assert_eq!(edited.body["messageBody"], "see you at 4");
    assert_eq!(edited.body["timestamp"], at.as_str());
    assert_eq!(edited.body["messageId"], original["messageId"]);
    let edited_at = edited.body["editedAt"]
        .as_str()
        .expect("editedAt")
        .to_owned();
    assert!(edited_at > at, "{edited_at} after {at}");
    assert!(edited.body.get("removedAt").is_none(), "{}", edited.body);

    // Both sides see it live, the editor's own socket too (the edit came over REST).
    let frame = json!({"type": "messageEdited", "message": edited.body});
    assert_eq!(teacher.next_frame(FRAME_WAIT).await, frame);
    assert_eq!(student.next_frame(FRAME_WAIT).await, frame);
    let page = school.app.read(&school.t1, "s1+t1", "").await;
    assert_eq!(page.body["messages"][0], edited.body);

    // Unedited messages say nothing about edits.
    let other = school.send("t1", "great").await;
    assert!(other.get("editedAt").is_none() && other.get("removedAt").is_none());
    teacher.expect_type("message").await;
    student.expect_type("message").await;

    // The admin reads every version, audited before the read.
    let history = school.app.get(&history_path(&at), &school.admin).await;
    assert_eq!(history.status, 200, "{}", history.body);
    assert_eq!(history.body["message"], edited.body);
    assert_eq!(
        history.body["versions"],
        json!([{"messageBody": "see you at 3", "writtenAt": at}])
    );
    let target = format!("s1+t1@{at}");
    assert!(school.audited("s1", "message.edit", &target).await);
    assert!(school.audited("admin", "message.history", &target).await);

    // An edit to the same text changes nothing: no event, no version, no audit.
    let entries = school.audit().await.len();
    let again = school.edit(&school.s1, &at, "see you at 4").await;
    assert_eq!(again.body, edited.body);
    teacher.expect_silence(SILENCE).await;
    assert_eq!(school.audit().await.len(), entries);
}

#[tokio::test]
async fn only_the_author_edits_and_only_within_the_window() {
    let school = School::open().await;
    let at = timestamp(&school.send("s1", "first draft").await);
    for token in [&school.t1, &school.admin] {
        school
            .edit(token, &at, "not yours")
            .await
            .assert_error(403, "forbidden");
    }
    let s2 = school.app.login("s2").await;
    school
        .edit(&s2, &at, "not yours either")
        .await
        .assert_error(403, "forbidden");
    school
        .edit(&school.s1, "2026-02-30T00:00:00Z", "x")
        .await
        .assert_error(400, "invalid_cursor");
    school
        .edit(&school.s1, "2001-01-01T00:00:00.000000Z", "x")
        .await
        .assert_error(404, "not_found");
    school
        .edit(&school.s1, &at, " ")
        .await
        .assert_error(422, "invalid_message_body");

    // The school closes the window: the edit that was allowed a moment ago is refused.
    let closed = school.settings(json!({"editWindowMinutes": 0})).await;
    assert_eq!(closed.status, 200, "{}", closed.body);
    assert_eq!(closed.body["editWindowMinutes"], 0);
    school
        .edit(&school.s1, &at, "second draft")
        .await
        .assert_error(409, "not_editable");
    let page = school.app.read(&school.s1, "s1+t1", "").await;
    assert_eq!(page.body["messages"][0]["messageBody"], "first draft");

    // Out of range, not a whole number, or not a number at all.
    for minutes in [json!(1441), json!(-1), json!(2.5)] {
        school
            .settings(json!({"editWindowMinutes": minutes}))
            .await
            .assert_error(422, "invalid_request");
    }
    school
        .settings(json!({"editWindowMinutes": "15"}))
        .await
        .assert_error(400, "invalid_json");
    let widest = school.settings(json!({"editWindowMinutes": 1440})).await;
    assert_eq!(widest.body["editWindowMinutes"], 1440, "{}", widest.body);
    let edited = school.edit(&school.s1, &at, "second draft").await;
    assert_eq!(edited.status, 200, "{}", edited.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_removal_leaves_a_tombstone_for_participants_and_the_text_for_admins() {
    let school = School::open().await;
    let at = timestamp(&school.send("s1", "something I regret").await);
    let (mut teacher, mut student) = school.sockets().await;

    let removed = school.remove(&school.s1, &at).await;
    assert_eq!(removed.status, 200, "{}", removed.body);
    assert_eq!(removed.body["messageBody"], "");
    let removed_at = removed.body["removedAt"]
        .as_str()
        .expect("removedAt")
        .to_owned();
    let frame = json!({"type": "messageRemoved", "message": removed.body});
    assert_eq!(teacher.next_frame(FRAME_WAIT).await, frame);
    assert_eq!(student.next_frame(FRAME_WAIT).await, frame);

    for token in [&school.s1, &school.t1] {
        let page = school.app.read(token, "s1+t1", "").await;
        assert_eq!(page.body["messages"][0], removed.body, "{}", page.body);
    }
    let as_admin = school.app.read(&school.admin, "s1+t1", "").await;
    let kept = &as_admin.body["messages"][0];
    assert_eq!(kept["messageBody"], "something I regret");
    assert_eq!(kept["removedAt"], removed_at.as_str());
    let history = school
        .app
        .get(&super::history_path(&at), &school.admin)
        .await;
    assert_eq!(history.body["message"]["messageBody"], "something I regret");
    assert!(
        school
            .audited("s1", "message.remove", &format!("s1+t1@{at}"))
            .await
    );

    // Removing again changes nothing; a removed message is not edited; nobody else
    // removes one.
    let entries = school.audit().await.len();
    let again = school.remove(&school.s1, &at).await;
    assert_eq!((again.status.as_u16(), &again.body), (200, &removed.body));
    teacher.expect_silence(SILENCE).await;
    assert_eq!(school.audit().await.len(), entries);
    school
        .edit(&school.s1, &at, "back again")
        .await
        .assert_error(409, "not_editable");
    let other = timestamp(&school.send("s1", "still here").await);
    for token in [&school.t1, &school.admin] {
        school
            .remove(token, &other)
            .await
            .assert_error(403, "forbidden");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn edits_and_removals_over_the_socket_answer_with_the_event_itself() {
    let school = School::open().await;
    let at = timestamp(&school.send("s1", "on my way").await);
    let theirs = timestamp(&school.send("t1", "ok").await);
    let (mut teacher, mut student) = school.sockets().await;
    let mut laptop = crate::common::ws::connect(&school.app, "s1").await;

    student
        .send_json(json!({"action": "editMessage", "conversationId": "t1+s1", "timestamp": at, "messageBody": "on my way, 5 min"}))
        .await;
    let answer = student.expect_type("messageEdited").await;
    assert_eq!(answer["message"]["messageBody"], "on my way, 5 min");
    assert!(answer["message"]["editedAt"].is_string(), "{answer}");
    // Every other connection of both sides gets the same frame, the editor's once.
    assert_eq!(teacher.next_frame(FRAME_WAIT).await, answer);
    assert_eq!(laptop.next_frame(FRAME_WAIT).await, answer);
    student.expect_silence(SILENCE).await;

    student
        .send_json(json!({"action": "removeMessage", "conversationId": "s1+t1", "timestamp": at}))
        .await;
    let tombstone = student.expect_type("messageRemoved").await;
    assert_eq!(tombstone["message"]["messageBody"], "");
    assert!(tombstone["message"]["removedAt"].is_string(), "{tombstone}");
    assert_eq!(teacher.next_frame(FRAME_WAIT).await, tombstone);
    assert_eq!(laptop.next_frame(FRAME_WAIT).await, tombstone);

    // Refusals are error frames, and change nothing anyone sees.
    student
        .send_json(json!({"action": "editMessage", "conversationId": "s1+t1", "timestamp": theirs, "messageBody": "mine now"}))
        .await;
    let refused = student.expect_type("error").await;
    assert_eq!(refused["code"], "forbidden", "{refused}");
    student
        .send_json(
            json!({"action": "removeMessage", "conversationId": "s1+t1", "timestamp": "yesterday"}),
        )
        .await;
    assert_eq!(student.expect_type("error").await["code"], "invalid_cursor");
    student
        .send_json(json!({"action": "editMessage", "conversationId": "s1+t1"}))
        .await;
    assert_eq!(student.expect_type("error").await["code"], "invalid_frame");
    teacher.expect_silence(SILENCE).await;
    laptop.expect_silence(Duration::ZERO).await;
}
