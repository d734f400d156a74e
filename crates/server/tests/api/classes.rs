//! Classes in the product: `GET /classes` by role, and `POST /classes/{classId}/announce`:
//! every one of a class's 35 students gets the announcement live in their own
//! conversation; a retry duplicates nothing; only a teacher of the class may announce,
//! and a refusal changes nothing.

use crate::common::ws::WsClient;
use crate::common::{SECRET, TestApp, now_secs, sign_token, spawn_app};
use classchat_roster::testing::{SchoolSpec, generate, to_zip};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::Duration;

/// One school: class-0001 (teacher.0001, 35 students) and class-0002 (teacher.0002, 35
/// students), drawn from 40 students.
fn small_school() -> SchoolSpec {
    SchoolSpec {
        schools: 1,
        teachers: 2,
        students: 40,
        classes: 2,
        min_class_size: 35,
        max_class_size: 35,
        guardians: 0,
        ..SchoolSpec::default()
    }
}

/// The app with the small school imported; imported accounts have no password, so tests
/// sign their tokens (token version 0 is theirs).
async fn school() -> TestApp {
    let app = spawn_app().await;
    let admin = app.login("admin").await;
    let reply = app
        .post_bytes(
            "/admin/roster",
            Some(&admin),
            "application/zip",
            to_zip(&generate(&small_school())),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    app
}

fn token(user: &str, role: &str) -> String {
    sign_token(SECRET, user, role, now_secs() + 3600)
}

fn students_of(class: usize) -> Vec<String> {
    small_school()
        .class_students(class)
        .into_iter()
        .map(|index| SchoolSpec::student_id(index).replacen('-', ".", 1))
        .collect()
}

async fn announce(app: &TestApp, token: &str, class: &str, body: Value) -> crate::common::Reply {
    app.post(&format!("/classes/{class}/announce"), token, body)
        .await
}

/// The next `message` frame, past presence and other notices.
async fn next_message(socket: &mut WsClient) -> Value {
    loop {
        let frame = socket.next_frame(Duration::from_secs(10)).await;
        if frame["type"] == "message" {
            return frame;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_student_of_the_class_gets_the_announcement_live_and_a_retry_adds_nothing() {
    let app = school().await;
    let teacher = token("teacher.0001", "teacher");
    let students = students_of(0);
    assert_eq!(students.len(), 35);
    let mut sockets = Vec::new();
    for student in &students {
        sockets.push(WsClient::connect(app.addr, &token(student, "student")).await);
    }
    let body = json!({"messageBody": "Trip forms by Friday, please.", "clientMessageId": "ann-1"});
    let first = announce(&app, &teacher, "class-0001", body.clone()).await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.body);
    assert_eq!(first.headers["idempotent-replayed"], "false");
    let announcement = first.body["announcementId"].as_str().unwrap().to_owned();
    let copies = first.body["copies"].as_array().unwrap();
    assert_eq!(copies.len(), 35);
    for (student, socket) in students.iter().zip(&mut sockets) {
        let frame = next_message(socket).await;
        let message = &frame["message"];
        assert_eq!(message["conversationId"], format!("{student}+teacher.0001"));
        assert_eq!(message["author"], "teacher.0001");
        assert_eq!(message["messageBody"], "Trip forms by Friday, please.");
        assert_eq!(message["announcementId"], announcement.as_str());
    }

    let retry = announce(&app, &teacher, "class-0001", body).await;
    assert_eq!(retry.status, StatusCode::CREATED, "{}", retry.body);
    assert_eq!(retry.headers["idempotent-replayed"], "true");
    assert_eq!(
        retry.body, first.body,
        "the same announcement, copies and all"
    );
    // Anything the retry sent would be on its way by now: the first socket waits, the
    // others only look.
    for (index, socket) in sockets.iter_mut().enumerate() {
        let wait = if index == 0 { 300 } else { 5 };
        socket.expect_silence(Duration::from_millis(wait)).await;
    }
    let student = token(&students[0], "student");
    let history = app
        .read_all(&student, &format!("{}+teacher.0001", students[0]))
        .await;
    assert_eq!(history.len(), 1, "{history:?}");

    // A reply stays private: it goes to the teacher's conversation with that student only.
    let reply = app
        .send(
            &student,
            &format!("{}+teacher.0001", students[0]),
            &students[0],
            "ok!",
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    for (index, socket) in sockets[1..].iter_mut().enumerate() {
        let wait = if index == 0 { 200 } else { 5 };
        socket.expect_silence(Duration::from_millis(wait)).await;
    }

    // Another clientMessageId is another announcement; reusing one for another class is
    // refused.
    let second = announce(
        &app,
        &teacher,
        "class-0001",
        json!({"messageBody": "And bring a coat.", "clientMessageId": "ann-2"}),
    )
    .await;
    assert_eq!(second.status, StatusCode::CREATED, "{}", second.body);
    assert_ne!(second.body["announcementId"], first.body["announcementId"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_a_teacher_of_the_class_announces_and_a_refusal_changes_nothing() {
    let app = school().await;
    let first_student = students_of(0)[0].clone();
    let conversation = format!("{first_student}+teacher.0001");
    let body = json!({"messageBody": "hello class", "clientMessageId": "x-1"});
    let other_teacher = token("teacher.0002", "teacher");
    let student = token(&first_student, "student");
    let admin = app.login("admin").await;
    let hand_made_teacher = app.login("t1").await;
    for caller in [&other_teacher, &student, &admin, &hand_made_teacher] {
        announce(&app, caller, "class-0001", body.clone())
            .await
            .assert_error(403, "forbidden");
    }
    let teacher = token("teacher.0001", "teacher");
    announce(&app, &teacher, "class-9999", body.clone())
        .await
        .assert_error(404, "not_found");
    announce(
        &app,
        &teacher,
        "class-0001",
        json!({"messageBody": " ", "clientMessageId": "x"}),
    )
    .await
    .assert_error(422, "invalid_message_body");
    announce(&app, &teacher, "class-0001", json!({"messageBody": "hi"}))
        .await
        .assert_error(400, "invalid_json");
    assert!(app.read_all(&student, &conversation).await.is_empty());
    // clientMessageIds are per teacher: another teacher's id is no conflict.
    let theirs = announce(&app, &other_teacher, "class-0002", body.clone()).await;
    assert_eq!(theirs.status, StatusCode::CREATED, "{}", theirs.body);
    let mine = announce(&app, &teacher, "class-0001", body).await;
    assert_eq!(mine.status, StatusCode::CREATED, "{}", mine.body);
    assert_eq!(mine.headers["idempotent-replayed"], "false");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_teacher_sees_their_classes_with_students_and_a_student_only_their_teachers() {
    let app = school().await;
    let teacher = app.get("/classes", &token("teacher.0001", "teacher")).await;
    assert_eq!(teacher.status, StatusCode::OK, "{}", teacher.body);
    let classes = teacher.body["classes"].as_array().unwrap();
    assert_eq!(classes.len(), 1);
    assert_eq!(classes[0]["classId"], "class-0001");
    assert_eq!(classes[0]["role"], "teacher");
    let students: Vec<&str> = classes[0]["students"]
        .as_array()
        .unwrap()
        .iter()
        .map(|member| member["userId"].as_str().unwrap())
        .collect();
    let mut expected = students_of(0);
    expected.sort();
    assert_eq!(students, expected);
    assert!(classes[0]["students"][0]["displayName"].is_string());

    let student_id = &students_of(0)[0];
    let student = app.get("/classes", &token(student_id, "student")).await;
    let theirs = student.body["classes"].as_array().unwrap();
    assert!(theirs.iter().any(|class| class["classId"] == "class-0001"));
    for class in theirs {
        assert_eq!(class["role"], "student");
        assert!(
            class.get("students").is_none(),
            "classmates stay private: {class}"
        );
        assert!(!class["teachers"].as_array().unwrap().is_empty());
    }
    let admin = app.get("/classes", &app.login("admin").await).await;
    assert_eq!(admin.body, json!({"classes": []}));
}
