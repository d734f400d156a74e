//! `classchat export --conversation ID` / `--user ID`: one conversation's or one person's
//! history, as JSON Lines, CSV and a printable HTML transcript, to a file or to standard
//! output, audited as the operator; without either flag it stays the whole-school export.

use crate::cli::{add_link, add_user, classchat, db_arg, login, start};
use crate::process::{call, succeeds};
use reqwest::Method;
use serde_json::{Value, json};

const PASSWORD: &str = "a-long-password";

/// A school where s1 and t1 wrote three messages (one of them hostile) and s2 and t1 one;
/// the database's path argument.
async fn school(dir: &std::path::Path) -> String {
    let db = db_arg(&dir.join("school.db"));
    add_user(&db, "t1", "teacher", "Teacher One", PASSWORD);
    add_user(&db, "s1", "student", "Student One", PASSWORD);
    add_user(&db, "s2", "student", "Student Two", PASSWORD);
    add_link(&db, "t1", "s1");
    add_link(&db, "t1", "s2");
    let server = start(&["serve", "--db", &db, "--addr", "127.0.0.1:0"]);
    for (user, conversation, body) in [
        ("s1", "s1+t1", "Hello, is the homework due Friday?"),
        ("t1", "s1+t1", "Yes,\nFriday."),
        ("s1", "s1+t1", "=HYPERLINK(\"http://evil\") <b>bold</b>"),
        ("s2", "s2+t1", "not in s1's export"),
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
    }
    assert!(server.terminate().success());
    db
}

#[tokio::test]
async fn export_writes_one_conversation_as_each_format() {
    let dir = tempfile::tempdir().unwrap();
    let db = school(dir.path()).await;

    // JSON Lines (the default), to standard output, either id order.
    let output = classchat(&["export", "--conversation", "t1+s1", "--db", &db], None);
    let text = succeeds(&output);
    let lines: Vec<Value> = text
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    let types: Vec<&str> = lines
        .iter()
        .map(|line| line["type"].as_str().unwrap())
        .collect();
    assert_eq!(
        types,
        ["export", "conversation", "message", "message", "message"]
    );
    assert_eq!(lines[0]["conversationId"], "s1+t1");
    assert_eq!(lines[0]["exportedBy"], "cli");
    assert_eq!(lines[3]["messageBody"], "Yes,\nFriday.");
    assert_eq!(lines[3]["versions"], json!([]));
    let summary = String::from_utf8_lossy(&output.stderr);
    assert!(
        summary.contains("s1+t1 as jsonl: 1 conversation(s), 3 message(s)"),
        "{summary}"
    );

    // CSV, to a file: a byte-order mark, a header, one row per message, formulas defused.
    let csv_file = dir.path().join("s1-t1.csv");
    let output = classchat(
        &[
            "export",
            "--conversation",
            "s1+t1",
            "--format",
            "csv",
            "--out",
            csv_file.to_str().unwrap(),
            "--db",
            &db,
        ],
        None,
    );
    succeeds(&output);
    let csv = std::fs::read_to_string(&csv_file).unwrap();
    assert!(
        csv.starts_with("\u{feff}conversationId,timestamp,author,authorName,"),
        "{csv}"
    );
    assert_eq!(csv.matches("\r\ns1+t1,").count(), 3, "{csv}");
    assert!(
        csv.contains(",\"'=HYPERLINK(\"\"http://evil\"\") <b>bold</b>\","),
        "{csv}"
    );
    assert!(csv.contains(",t1,Teacher One,\"Yes,\nFriday.\","), "{csv}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&csv_file).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "owner only: {mode:o}");
    }

    // HTML: a whole document, the hostile text escaped.
    let output = classchat(
        &[
            "export",
            "--conversation",
            "s1+t1",
            "--format",
            "html",
            "--db",
            &db,
        ],
        None,
    );
    let html = succeeds(&output);
    assert!(html.starts_with("<!DOCTYPE html>"), "{html}");
    assert!(html.trim_end().ends_with("</html>"));
    assert!(html.contains("&lt;b&gt;bold&lt;/b&gt;"), "{html}");
    assert!(!html.contains("<b>bold"), "{html}");
    assert!(html.contains("Yes,\nFriday."));
    assert!(!html.contains("<script"));

    // Each export was audited as the operator, with its format.
    let output = classchat(&["export", "--db", &db], None);
    let school = succeeds(&output);
    let audited: Vec<String> = school
        .lines()
        .map(|line| serde_json::from_str::<Value>(line).unwrap())
        .filter(|line| line["type"] == "audit" && line["action"] == "export.conversation")
        .map(|line| format!("{} {}", line["actor"], line["target"]))
        .collect();
    assert_eq!(
        audited,
        [
            "\"cli\" \"s1+t1 html\"",
            "\"cli\" \"s1+t1 csv\"",
            "\"cli\" \"s1+t1 jsonl\""
        ]
    );
}

#[tokio::test]
async fn export_of_a_person_covers_their_conversations_and_refusals_leave_no_file() {
    let dir = tempfile::tempdir().unwrap();
    let db = school(dir.path()).await;

    let output = classchat(&["export", "--user", "t1", "--db", &db], None);
    let text = succeeds(&output);
    let lines: Vec<Value> = text
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(lines[0]["type"], "export");
    assert_eq!(lines[0]["userId"], "t1");
    assert_eq!(lines[1]["type"], "user");
    assert_eq!(lines[1]["displayName"], "Teacher One");
    let mut conversations: Vec<&str> = lines
        .iter()
        .filter(|line| line["type"] == "conversation")
        .map(|line| line["conversationId"].as_str().unwrap())
        .collect();
    conversations.sort_unstable();
    assert_eq!(conversations, ["s1+t1", "s2+t1"]);
    assert_eq!(
        lines
            .iter()
            .filter(|line| line["type"] == "message")
            .count(),
        4
    );

    // An unknown user: an error, and no file left behind.
    let file = dir.path().join("nobody.html");
    let output = classchat(
        &[
            "export",
            "--user",
            "nobody",
            "--format",
            "html",
            "--out",
            file.to_str().unwrap(),
            "--db",
            &db,
        ],
        None,
    );
    assert!(!output.status.success());
    let error = String::from_utf8_lossy(&output.stderr);
    assert!(error.contains("no user nobody"), "{error}");
    assert!(!file.exists());

    // A format is for one person or conversation; the school is JSON Lines only.
    let output = classchat(&["export", "--format", "csv", "--db", &db], None);
    assert!(!output.status.success());
    let output = classchat(
        &[
            "export",
            "--conversation",
            "s1+t1",
            "--format",
            "pdf",
            "--db",
            &db,
        ],
        None,
    );
    assert!(!output.status.success());
    let output = classchat(
        &[
            "export",
            "--user",
            "s1",
            "--conversation",
            "s1+t1",
            "--db",
            &db,
        ],
        None,
    );
    assert!(!output.status.success(), "one or the other");
}
