//! Paused conversations: the student or guardian cannot write until it resumes; the
//! teacher still can; a pause the school made only the school lifts.

use super::School;
use crate::common::ws::{FRAME_WAIT, send_frame};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_teachers_pause_stops_the_student_but_not_the_teacher_until_it_resumes() {
    let school = School::open().await;
    let earlier = super::timestamp(&school.send("s1", "before the pause").await);
    let (mut teacher, mut student) = school.sockets().await;

    let paused = school
        .app
        .post(
            "/chat/pause",
            &school.t1,
            json!({"conversationId": "t1+s1", "reason": "  let us talk in class tomorrow "}),
        )
        .await;
    assert_eq!(paused.status, 200, "{}", paused.body);
    let pause = &paused.body["pause"];
    assert_eq!(paused.body["conversationId"], "s1+t1");
    assert_eq!(
        (&pause["by"], &pause["byRole"], &pause["reason"]),
        (
            &json!("t1"),
            &json!("teacher"),
            &json!("let us talk in class tomorrow")
        )
    );
    assert!(pause["at"].is_string(), "{pause}");
    let frame = json!({"type": "paused", "conversationId": "s1+t1", "pause": pause});
    assert_eq!(teacher.next_frame(FRAME_WAIT).await, frame);
    assert_eq!(student.next_frame(FRAME_WAIT).await, frame);
    for token in [&school.s1, &school.t1, &school.admin] {
        let page = school.app.read(token, "s1+t1", "").await;
        assert_eq!(&page.body["pause"], pause, "{}", page.body);
    }
    assert!(school.audited("t1", "conversation.pause", "s1+t1").await);

    // The student cannot write: not over REST, not over the socket, not by editing.
    let refused = school.app.send(&school.s1, "s1+t1", "s1", "but why").await;
    refused.assert_error(403, "conversation_paused");
    let message = refused.body["error"]["message"]
        .as_str()
        .unwrap_or_default();
    assert!(
        message.contains("teacher") && message.contains("let us talk in class tomorrow"),
        "{message}"
    );
    student
        .send_json(send_frame("s1+t1", "but why", "c-paused"))
        .await;
    let error = student.expect_type("error").await;
    assert_eq!(
        (&error["code"], &error["clientMessageId"]),
        (&json!("conversation_paused"), &json!("c-paused")),
        "{error}"
    );
    assert!(
        error["message"]
            .as_str()
            .is_some_and(|m| m.contains("tomorrow"))
    );
    school
        .edit(&school.s1, &earlier, "edited while paused")
        .await
        .assert_error(403, "conversation_paused");

    // The teacher still writes, and both still read it live.
    let from_teacher = school.send("t1", "see you tomorrow").await;
    assert_eq!(
        student.expect_type("message").await["message"],
        from_teacher
    );
    teacher.expect_type("message").await;

    // Pausing again answers the pause in force.
    let again = school
        .app
        .post(
            "/chat/pause",
            &school.t1,
            json!({"conversationId": "s1+t1"}),
        )
        .await;
    assert_eq!(&again.body["pause"], pause, "{}", again.body);

    let resumed = school
        .app
        .post(
            "/chat/resume",
            &school.t1,
            json!({"conversationId": "s1+t1"}),
        )
        .await;
    assert_eq!(resumed.status, 200, "{}", resumed.body);
    assert_eq!(
        resumed.body,
        json!({"conversationId": "s1+t1", "pause": null})
    );
    let frame = json!({"type": "paused", "conversationId": "s1+t1", "pause": null});
    assert_eq!(teacher.next_frame(FRAME_WAIT).await, frame);
    assert_eq!(student.next_frame(FRAME_WAIT).await, frame);
    assert_eq!(
        school.app.read(&school.s1, "s1+t1", "").await.body["pause"],
        json!(null)
    );
    school.send("s1", "thank you").await;
    assert!(school.audited("t1", "conversation.resume", "s1+t1").await);
}

#[tokio::test]
async fn a_pause_the_school_made_is_lifted_only_by_the_school() {
    let school = School::open().await;
    let paused = school
        .app
        .post(
            "/chat/pause",
            &school.admin,
            json!({"conversationId": "s1+t1"}),
        )
        .await;
    assert_eq!(paused.status, 200, "{}", paused.body);
    assert_eq!(paused.body["pause"]["byRole"], "admin");
    assert_eq!(paused.body["pause"]["reason"], json!(null));

    let refused = school.app.send(&school.s1, "s1+t1", "s1", "hello?").await;
    refused.assert_error(403, "conversation_paused");
    assert!(
        refused.body["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("the school"))
    );
    school
        .app
        .post(
            "/chat/resume",
            &school.t1,
            json!({"conversationId": "s1+t1"}),
        )
        .await
        .assert_error(403, "forbidden");
    school.send("t1", "the office paused this for now").await;

    // Nobody else pauses or resumes it: not the student, not another teacher.
    let t2 = school.app.login("t2").await;
    for token in [&school.s1, &t2] {
        for route in ["/chat/pause", "/chat/resume"] {
            school
                .app
                .post(route, token, json!({"conversationId": "s1+t1"}))
                .await
                .assert_error(403, "forbidden");
        }
    }
    school
        .app
        .post(
            "/chat/pause",
            &school.t1,
            json!({"conversationId": "s1+t1", "reason": "x".repeat(501)}),
        )
        .await
        .assert_error(422, "invalid_request");

    let resumed = school
        .app
        .post(
            "/chat/resume",
            &school.admin,
            json!({"conversationId": "s1+t1"}),
        )
        .await;
    assert_eq!(resumed.body["pause"], json!(null), "{}", resumed.body);
    school.send("s1", "hello again").await;
    // Resuming what is not paused changes nothing, and says so the same way.
    let entries = school.audit().await.len();
    let again = school
        .app
        .post(
            "/chat/resume",
            &school.t1,
            json!({"conversationId": "s1+t1"}),
        )
        .await;
    assert_eq!(again.body, resumed.body);
    assert_eq!(school.audit().await.len(), entries);
}
