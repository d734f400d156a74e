//! `classchat user codes`: the operator issues one-time sign-in codes as CSV (for admins
//! too), a user sets their password with one through the served API, and running it
//! again for accounts without a password leaves codes still working alone.

use crate::cli::{add_user, classchat, db_arg, login, start};
use crate::process::{call, succeeds};
use reqwest::Method;
use serde_json::json;

/// `classchat user codes` on `db` with `args`.
fn codes(db: &str, args: &[&str]) -> std::process::Output {
    let mut all = vec!["user", "codes", "--db", db];
    all.extend_from_slice(args);
    classchat(&all, None)
}

#[tokio::test]
async fn the_operator_prints_codes_as_csv_and_a_user_signs_in_with_one() {
    let dir = tempfile::tempdir().unwrap();
    let db = db_arg(&dir.path().join("school.db"));
    add_user(&db, "office", "admin", "Office", "office-password");
    add_user(&db, "s1", "student", "Sam", "student-password");

    let output = codes(
        &db,
        &[
            "--id",
            "office",
            "--id",
            "s1",
            "--id",
            "office",
            "--valid-for",
            "2h",
        ],
    );
    let csv = succeeds(&output);
    let lines: Vec<&str> = csv.split("\r\n").collect();
    assert_eq!(
        lines.len(),
        4,
        "header, two codes, nothing after the last CRLF: {csv:?}"
    );
    assert_eq!(lines[0], "userId,code,expiresAt");
    assert!(
        lines[1].starts_with("office,") && lines[2].starts_with("s1,"),
        "{csv:?}"
    );
    assert_eq!(lines[3], "");
    let code = lines[2].split(',').nth(1).unwrap().to_owned();
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("issued 2 sign-in code(s)"),
        "{output:?}"
    );

    // Every account holds a working code (or a password): none waits.
    let again = succeeds(&codes(&db, &["--without-password"]));
    assert_eq!(again, "userId,code,expiresAt\r\n");
    // Out of range, unknown, or no account named: refused, nothing printed.
    for args in [
        &["--id", "s1", "--valid-for", "31d"][..],
        &["--id", "ghost"],
        &[],
    ] {
        let refused = codes(&db, args);
        assert!(!refused.status.success(), "{args:?}");
        assert!(refused.stdout.is_empty(), "{args:?}: {refused:?}");
    }

    let server = start(&["serve", "--db", &db, "--addr", "127.0.0.1:0"]);
    let (status, reply) = call(
        Method::POST,
        format!("{}/auth/first-sign-in", server.base),
        None,
        Some(json!({"userId": "s1", "code": code, "newPassword": "sams-own-password"})),
    )
    .await;
    assert_eq!(status, 200, "{reply}");
    login(&server.base, "s1", "sams-own-password").await;
    let (status, _) = call(
        Method::POST,
        format!("{}/auth/login", server.base),
        None,
        Some(json!({"userId": "office", "password": "office-password"})),
    )
    .await;
    assert_eq!(status, 401, "the admin's password was replaced by its code");
    server.terminate();
}
