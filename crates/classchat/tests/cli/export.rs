//! `classchat export`: the whole school as JSON Lines — users without passwords, links and
//! guardian links,
//! every message of every conversation in order, and the audit log with the export itself
//! at its head — to a file or to standard output.

use crate::cli::{add_link, add_user, classchat, db_arg, login, start};
use crate::process::{call, succeeds};
use reqwest::Method;
use serde_json::{Value, json};

const PASSWORD: &str = "a-long-password";

#[tokio::test]
async fn export_writes_every_user_link_message_and_audit_entry_and_no_password() {
    let dir = tempfile::tempdir().unwrap();
    let db = db_arg(&dir.path().join("school.db"));
    add_user(&db, "t1", "teacher", "Teacher One", PASSWORD);
    add_user(&db, "s1", "student", "Student One", PASSWORD);
    add_user(&db, "s2", "student", "Student Two", PASSWORD);
    add_link(&db, "t1", "s1");
    add_link(&db, "t1", "s2");
    add_user(&db, "g1", "guardian", "Guardian One", PASSWORD);
    succeeds(&classchat(
        &[
            "link",
            "add",
            "--guardian",
            "g1",
            "--student",
            "s1",
            "--db",
            &db,
        ],
        None,
    ));
    let server = start(&["serve", "--db", &db, "--addr", "127.0.0.1:0"]);
    let mut sent = Vec::new();
    for (user, conversation, body) in [
        ("s1", "s1+t1", "first"),
        ("t1", "s1+t1", "second"),
        ("s2", "s2+t1", "hello"),
        ("s1", "s1+t1", "third"),
        ("g1", "t1+g1", "from the family"),
    ] {
        let token = login(&server.base, user, PASSWORD).await;
        let (status, message) = call(
            Method::POST,
            format!("{}/chat/send", server.base),
            Some(&token),
            Some(json!({"conversationId": conversation, "author": user, "messageBody": body})),
        )
        .await;
        assert_eq!(status, 201, "{message}");
        sent.push(message);
    }
    assert!(server.terminate().success());

    let file = dir.path().join("export.jsonl");
    let output = classchat(
        &["export", "--db", &db, "--out", file.to_str().unwrap()],
        None,
    );
    succeeds(&output);
    let summary = String::from_utf8_lossy(&output.stderr);
    assert!(
        summary.contains("4 users, 2 links, 1 guardian links, 5 messages"),
        "{summary}"
    );
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(!text.to_lowercase().contains("password"), "{text}");
    let lines: Vec<Value> = text
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    let of = |kind: &str| -> Vec<Value> {
        lines
            .iter()
            .filter(|line| line["type"] == kind)
            .map(|line| {
                let mut record = line.clone();
                record.as_object_mut().unwrap().remove("type");
                record
            })
            .collect()
    };
    // Users, then links, then messages, then the audit log.
    let kinds: Vec<&str> = lines
        .iter()
        .map(|line| line["type"].as_str().unwrap())
        .collect();
    let mut order = kinds.clone();
    order.dedup();
    assert_eq!(order, ["user", "link", "guardian", "message", "audit"]);

    let users: Vec<String> = of("user")
        .iter()
        .map(|user| user["userId"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(users, ["g1", "s1", "s2", "t1"]);
    assert_eq!(
        of("user")[1],
        json!({"userId": "s1", "displayName": "Student One", "role": "student", "disabled": false})
    );
    assert_eq!(
        of("link"),
        [
            json!({"teacherId": "t1", "studentId": "s1"}),
            json!({"teacherId": "t1", "studentId": "s2"}),
        ]
    );
    assert_eq!(
        of("guardian"),
        [json!({"guardianId": "g1", "studentId": "s1"})]
    );
    // Each conversation whole and in order, exactly as the API returned the messages
    // (conversations in id order: g1+t1, s1+t1, s2+t1).
    let expected = [&sent[4], &sent[0], &sent[1], &sent[3], &sent[2]].map(Value::clone);
    assert_eq!(of("message"), expected);
    let audit = of("audit");
    assert_eq!(audit[0]["action"], "school.export");
    assert_eq!(audit[0]["actor"], "cli");
    assert!(audit.iter().any(|entry| entry["action"] == "link.add"));

    // Standard output works too, with the same records (and one more audit entry).
    let output = classchat(&["export", "--db", &db], None);
    let streamed = succeeds(&output);
    assert_eq!(streamed.lines().count(), lines.len() + 1);
}
