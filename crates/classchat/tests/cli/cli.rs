//! The `classchat` binary as an operator uses it: user and link commands, `serve` on a real
//! port, graceful shutdown on SIGTERM and SIGINT, restart with the same data and secret, and
//! `demo`.

use crate::process::{self, Running, call, run, succeeds};
use reqwest::Method;
use serde_json::{Value, json};
use std::path::Path;
use std::process::Output;

pub(crate) fn classchat(args: &[&str], stdin: Option<&str>) -> Output {
    run(process::classchat().args(args), stdin)
}

pub(crate) fn start(args: &[&str]) -> Running {
    Running::start(process::classchat().args(args))
}

pub(crate) async fn login(base: &str, user: &str, password: &str) -> String {
    let (_, reply) = call(
        Method::POST,
        format!("{base}/auth/login"),
        None,
        Some(json!({"userId": user, "password": password})),
    )
    .await;
    reply["token"]
        .as_str()
        .unwrap_or_else(|| panic!("login failed: {reply}"))
        .to_owned()
}

async fn get(base: &str, path: &str, token: &str) -> (u16, Value) {
    call(Method::GET, format!("{base}{path}"), Some(token), None).await
}

pub(crate) fn db_arg(path: &Path) -> String {
    path.to_str().unwrap().to_owned()
}

#[tokio::test]
async fn operator_sets_up_a_school_serves_it_and_restarts_without_losing_anything() {
    let dir = tempfile::tempdir().unwrap();
    let db = db_arg(&dir.path().join("school.db"));
    add_user(&db, "t1", "teacher", "Ms T", "teacher-password");
    add_user(&db, "s1", "student", "Sam", "student-password");
    let duplicate = classchat(
        &[
            "user",
            "add",
            "--db",
            &db,
            "--id",
            "s1",
            "--role",
            "student",
            "--name",
            "Sam",
            "--password-stdin",
        ],
        Some("student-password\n"),
    );
    assert!(!duplicate.status.success());
    assert!(String::from_utf8_lossy(&duplicate.stderr).contains("exists"));
    add_link(&db, "t1", "s1");
    let listing = succeeds(&classchat(&["user", "list", "--db", &db], None));
    assert!(
        listing.contains("s1") && listing.contains("student") && listing.contains("Ms T"),
        "{listing}"
    );

    let server = start(&["serve", "--db", &db, "--addr", "127.0.0.1:0"]);
    let token = login(&server.base, "s1", "student-password").await;
    let sent: Value = reqwest::Client::new()
        .post(format!("{}/chat/send", server.base))
        .bearer_auth(&token)
        .json(&json!({"conversationId": "s1+t1", "author": "s1", "messageBody": "durable?"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(sent["messageBody"], "durable?");
    // The SQLite writer's stages are on `/metrics`, with the send among them.
    let metrics = reqwest::get(format!("{}/metrics", server.base))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for stage in ["queued", "batch", "commit", "write"] {
        assert!(
            metrics.contains(&format!(
                "# TYPE classchat_sqlite_{stage}_seconds histogram"
            )),
            "{metrics}"
        );
    }
    let writes: u64 = metrics
        .lines()
        .find_map(|line| line.strip_prefix("classchat_sqlite_write_seconds_count "))
        .and_then(|count| count.parse().ok())
        .unwrap_or(0);
    assert!(writes >= 1, "the send was a write: {metrics}");
    let status = server.terminate();
    assert!(status.success(), "graceful shutdown exits 0, got {status}");
    assert!(dir.path().join("school.db.jwt-secret").exists());

    let server = start(&["serve", "--db", &db, "--addr", "127.0.0.1:0"]);
    let (status, page) = get(&server.base, "/chat/read?conversationId=s1%2Bt1", &token).await;
    assert_eq!(status, 200, "the old token still works: {page}");
    assert_eq!(page["messages"][0], sent);
    server.terminate();
}

/// `classchat link add` on `db`, asserting it succeeds.
pub(crate) fn add_link(db: &str, teacher: &str, student: &str) {
    succeeds(&classchat(
        &[
            "link",
            "add",
            "--db",
            db,
            "--teacher",
            teacher,
            "--student",
            student,
        ],
        None,
    ));
}

/// `classchat user add` on `db`, asserting it succeeds.
pub(crate) fn add_user(db: &str, id: &str, role: &str, name: &str, password: &str) {
    succeeds(&classchat(
        &[
            "user",
            "add",
            "--db",
            db,
            "--id",
            id,
            "--role",
            role,
            "--name",
            name,
            "--password-stdin",
        ],
        Some(&format!("{password}\n")),
    ));
}

#[tokio::test]
async fn ctrl_c_stops_serve_gracefully_and_keeps_the_data() {
    let dir = tempfile::tempdir().unwrap();
    let db = db_arg(&dir.path().join("school.db"));
    add_user(&db, "t1", "teacher", "Ms T", "teacher-password");
    add_user(&db, "s1", "student", "Sam", "student-password");
    add_link(&db, "t1", "s1");

    let server = start(&["serve", "--db", &db, "--addr", "127.0.0.1:0"]);
    let token = login(&server.base, "s1", "student-password").await;
    let (status, sent) = call(
        Method::POST,
        format!("{}/chat/send", server.base),
        Some(&token),
        Some(
            json!({"conversationId": "s1+t1", "author": "s1", "messageBody": "kept after Ctrl-C?"}),
        ),
    )
    .await;
    assert_eq!(status, 201, "{sent}");
    let status = server.interrupt();
    assert!(status.success(), "SIGINT exits 0, got {status}");

    let server = start(&["serve", "--db", &db, "--addr", "127.0.0.1:0"]);
    let teacher = login(&server.base, "t1", "teacher-password").await;
    let (status, page) = get(&server.base, "/chat/read?conversationId=s1%2Bt1", &teacher).await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(
        page["messages"],
        json!([sent]),
        "the acknowledged message survived"
    );
    let (status, _) = get(&server.base, "/chat/get_teachers", &token).await;
    assert_eq!(status, 200, "the token issued before Ctrl-C still works");
    let status = server.interrupt();
    assert!(status.success(), "SIGINT exits 0, got {status}");
}

/// How many users of `role` the admin API lists.
async fn count_users(base: &str, admin: &str, role: &str) -> usize {
    let (status, users) = get(base, &format!("/admin/users?role={role}&limit=200"), admin).await;
    assert_eq!(status, 200, "{users}");
    assert_eq!(users["hasMore"], false, "{users}");
    users["users"].as_array().unwrap().len()
}

#[tokio::test]
async fn demo_serves_a_ready_school() {
    let dir = tempfile::tempdir().unwrap();
    let db = db_arg(&dir.path().join("demo.db"));
    let demo = start(&["demo", "--db", &db, "--addr", "127.0.0.1:0"]);
    assert!(
        demo.banner.contains("classchat-demo"),
        "prints the password: {}",
        demo.banner
    );
    assert!(
        demo.banner.contains("alice"),
        "prints the logins: {}",
        demo.banner
    );
    let token = login(&demo.base, "alice", "classchat-demo").await;
    let (status, teachers) = get(&demo.base, "/chat/get_teachers", &token).await;
    assert_eq!(status, 200);
    assert_eq!(teachers["teachers"].as_array().unwrap().len(), 2);
    let teacher = login(&demo.base, "ms.rivera", "classchat-demo").await;
    let (_, chats) = get(&demo.base, "/chat/get_chats", &teacher).await;
    assert!(!chats["chats"].as_array().unwrap().is_empty());
    // A school worth exploring: at least three teachers and ten students.
    let admin = login(&demo.base, "admin", "classchat-demo").await;
    let teachers = count_users(&demo.base, &admin, "teacher").await;
    assert!(teachers >= 3, "{teachers} teachers");
    let students = count_users(&demo.base, &admin, "student").await;
    assert!(students >= 10, "{students} students");
    demo.terminate();

    // A second demo starts afresh rather than failing on existing users.
    let again = start(&["demo", "--db", &db, "--addr", "127.0.0.1:0"]);
    again.terminate();
}

#[test]
fn password_must_come_from_stdin() {
    let dir = tempfile::tempdir().unwrap();
    let db = db_arg(&dir.path().join("x.db"));
    let output = classchat(
        &[
            "user", "add", "--db", &db, "--id", "a", "--role", "admin", "--name", "A",
        ],
        None,
    );
    assert!(!output.status.success());
}
