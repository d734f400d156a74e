//! The core loop of the product, end to end over HTTP.

use crate::common::spawn_app;
use serde_json::json;

#[tokio::test]
async fn student_and_teacher_complete_the_core_loop() {
    let app = spawn_app().await;
    let student = app.login("s1").await;
    let teacher = app.login("t1").await;

    // The student sees their linked teacher, with the conversation id, before any message.
    let teachers = app.get("/chat/get_teachers", &student).await;
    assert_eq!(teachers.status, 200);
    let list = teachers.body["teachers"].as_array().unwrap();
    assert_eq!(list.len(), 1, "{}", teachers.body);
    assert_eq!(list[0]["userId"], "t1");
    assert_eq!(list[0]["displayName"], "Teacher One");
    assert_eq!(list[0]["conversationId"], "s1+t1");
    assert!(list[0]["lastMessage"].is_null());
    assert_eq!(list[0]["unreadCount"], 0);

    // The teacher has no chats yet.
    let chats = app.get("/chat/get_chats", &teacher).await;
    assert_eq!(chats.body, json!({"chats": []}));

    // The student sends.
    let sent = app
        .send(&student, "s1+t1", "s1", "  i am the student!  ")
        .await;
    assert_eq!(sent.status, 201, "{}", sent.body);
    assert_eq!(sent.body["conversationId"], "s1+t1");
    assert_eq!(sent.body["author"], "s1");
    assert_eq!(sent.body["messageBody"], "i am the student!");
    let first_ts = sent.body["timestamp"].as_str().unwrap().to_owned();
    assert_eq!(first_ts.len(), "2026-11-24T14:01:02.123456Z".len());
    assert!(first_ts.ends_with('Z'));
    assert_eq!(sent.body["messageId"].as_str().unwrap().len(), 26);

    // The teacher finds it in their chats, unread.
    let chats = app.get("/chat/get_chats", &teacher).await;
    let chat = &chats.body["chats"][0];
    assert_eq!(chat["conversationId"], "s1+t1");
    assert_eq!(
        chat["student"],
        json!({"userId": "s1", "displayName": "Student One"})
    );
    assert_eq!(chat["lastMessage"]["messageBody"], "i am the student!");
    assert_eq!(chat["unreadCount"], 1);

    // The teacher reads (with the id in teacher-first order, canonicalised) and marks read.
    let read = app.read(&teacher, "t1+s1", "").await;
    assert_eq!(read.status, 200, "{}", read.body);
    assert_eq!(read.body["conversationId"], "s1+t1");
    assert_eq!(read.body["hasMore"], false);
    assert_eq!(read.body["messages"].as_array().unwrap().len(), 1);
    assert!(
        read.body["peerReadAt"].is_null(),
        "the student read nothing yet"
    );
    let marked = app
        .post(
            "/chat/mark_read",
            &teacher,
            json!({"conversationId": "s1+t1", "timestamp": first_ts}),
        )
        .await;
    assert_eq!(marked.status, 204, "{}", marked.body);
    let chats = app.get("/chat/get_chats", &teacher).await;
    assert_eq!(chats.body["chats"][0]["unreadCount"], 0);

    // The teacher replies; the student reads both, in order.
    let reply = app.send(&teacher, "s1+t1", "t1", "hello student").await;
    assert_eq!(reply.status, 201);
    assert!(reply.body["timestamp"].as_str().unwrap() > first_ts.as_str());
    let read = app.read(&student, "s1+t1", "").await;
    assert_eq!(
        read.body["peerReadAt"], first_ts,
        "the student learns how far the teacher has read (their \"Seen\")"
    );
    let older = app
        .read(&student, "s1+t1", "&before=9999-12-31T23:59:59.999999Z")
        .await;
    assert!(
        older.body["peerReadAt"].is_null(),
        "pages read backwards carry no receipt: {}",
        older.body
    );
    let bodies: Vec<_> = read.body["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["messageBody"].clone())
        .collect();
    assert_eq!(
        bodies,
        vec![json!("i am the student!"), json!("hello student")]
    );
    let teachers = app.get("/chat/get_teachers", &student).await;
    assert_eq!(teachers.body["teachers"][0]["unreadCount"], 1);
    assert_eq!(
        teachers.body["teachers"][0]["lastMessage"]["messageBody"],
        "hello student"
    );
}

#[tokio::test]
async fn query_string_plus_decoded_as_space_is_accepted() {
    let app = spawn_app().await;
    let student = app.login("s1").await;
    app.send(&student, "s1+t1", "s1", "hi").await;
    // `?conversationId=s1+t1` unescaped arrives as "s1 t1".
    let read = app.get("/chat/read?conversationId=s1+t1", &student).await;
    assert_eq!(read.status, 200, "{}", read.body);
    assert_eq!(read.body["conversationId"], "s1+t1");
}

#[tokio::test]
async fn teacher_lists_linked_students_before_any_message() {
    let app = spawn_app().await;
    let teacher = app.login("t1").await;
    let students = app.get("/chat/get_students", &teacher).await;
    let ids: Vec<_> = students.body["students"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["userId"].clone())
        .collect();
    assert_eq!(ids, vec![json!("s1"), json!("s2")]);
    assert_eq!(students.body["students"][1]["conversationId"], "s2+t1");
}

#[tokio::test]
async fn get_chats_is_newest_activity_first() {
    let app = spawn_app().await;
    let (s1, s2, t1) = (
        app.login("s1").await,
        app.login("s2").await,
        app.login("t1").await,
    );
    app.send(&s1, "s1+t1", "s1", "first").await;
    app.send(&s2, "s2+t1", "s2", "second").await;
    let chats = app.get("/chat/get_chats", &t1).await;
    let order: Vec<_> = chats.body["chats"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["conversationId"].clone())
        .collect();
    assert_eq!(order, vec![json!("s2+t1"), json!("s1+t1")]);
    app.send(&t1, "s1+t1", "t1", "bump").await;
    let chats = app.get("/chat/get_chats", &t1).await;
    assert_eq!(chats.body["chats"][0]["conversationId"], "s1+t1");
}

#[tokio::test]
async fn read_pages_back_and_forward_with_exclusive_cursors() {
    let app = spawn_app().await;
    let student = app.login("s1").await;
    for index in 0..12 {
        let reply = app
            .send(&student, "s1+t1", "s1", &format!("message {index}"))
            .await;
        assert_eq!(reply.status, 201);
    }
    let newest = app.read(&student, "s1+t1", "&limit=5").await;
    let page = newest.body["messages"].as_array().unwrap();
    assert_eq!(page.len(), 5);
    assert_eq!(page[0]["messageBody"], "message 7");
    assert_eq!(page[4]["messageBody"], "message 11");
    assert_eq!(newest.body["hasMore"], true);

    let cursor = page[0]["timestamp"].as_str().unwrap();
    let older = app
        .read(&student, "s1+t1", &format!("&limit=5&before={cursor}"))
        .await;
    let older_page = older.body["messages"].as_array().unwrap();
    assert_eq!(older_page[4]["messageBody"], "message 6");

    let all = app.read_all(&student, "s1+t1").await;
    let after = all[9]["timestamp"].as_str().unwrap();
    let forward = app
        .read(&student, "s1+t1", &format!("&after={after}&limit=5"))
        .await;
    let bodies: Vec<_> = forward.body["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["messageBody"].clone())
        .collect();
    assert_eq!(bodies, vec![json!("message 10"), json!("message 11")]);
    assert_eq!(forward.body["hasMore"], false);
}

#[tokio::test]
async fn admin_reads_any_conversation_and_the_read_is_audited() {
    let app = spawn_app().await;
    let student = app.login("s1").await;
    let admin = app.login("admin").await;
    app.send(&student, "s1+t1", "s1", "private-ish").await;
    let read = app.read(&admin, "s1+t1", "").await;
    assert_eq!(read.status, 200);
    assert_eq!(read.body["messages"][0]["messageBody"], "private-ish");
    let audit = app.get("/admin/audit", &admin).await;
    let newest = &audit.body["entries"][0];
    assert_eq!(newest["actor"], "admin");
    assert_eq!(newest["action"], "conversation.read");
    assert_eq!(newest["target"], "s1+t1");
    // The admin's read is not anyone's read receipt.
    let chats = app.get("/chat/get_chats", &app.login("t1").await).await;
    assert_eq!(chats.body["chats"][0]["unreadCount"], 1);
}
