//! The token signing secret: given as a value or in a file (`--jwt-secret-file`,
//! `CLASSCHAT_JWT_SECRET_FILE`, its trailing newline ignored), at least 32 bytes whichever
//! way it comes, and given one way only.

use crate::cli::{add_user, db_arg, login};
use crate::process::{self, Running, call, run};
use reqwest::Method;
use std::os::unix::fs::PermissionsExt;
use std::process::Output;

/// 40 bytes.
const SECRET: &str = "a-secret-of-forty-bytes-for-the-cli-test";

/// `classchat serve` on `db` with `args` and `env` added, run to its (early) exit.
fn serve_fails(db: &str, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = process::classchat();
    command
        .args(["serve", "--db", db, "--addr", "127.0.0.1:0"])
        .args(args);
    for (name, value) in env {
        command.env(name, value);
    }
    let output = run(&mut command, None);
    assert!(
        !output.status.success(),
        "serve {args:?} {env:?} should have refused to start"
    );
    output
}

#[tokio::test]
async fn a_secret_file_signs_tokens_exactly_as_the_secret_itself_would() {
    let dir = tempfile::tempdir().unwrap();
    let db = db_arg(&dir.path().join("school.db"));
    add_user(&db, "s1", "student", "Student One", "a-long-password");
    let file = dir.path().join("jwt-secret");
    std::fs::write(&file, format!("{SECRET}\n")).unwrap();
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();

    let server = Running::start(
        process::classchat()
            .args(["serve", "--db", &db, "--addr", "127.0.0.1:0"])
            .env("CLASSCHAT_JWT_SECRET_FILE", &file),
    );
    let token = login(&server.base, "s1", "a-long-password").await;
    assert!(server.terminate().success());
    assert!(
        !dir.path().join("school.db.jwt-secret").exists(),
        "no secret generated beside the database"
    );

    // The same secret given directly (without the newline) accepts the token.
    let server = Running::start(
        process::classchat()
            .args(["serve", "--db", &db, "--addr", "127.0.0.1:0"])
            .args(["--jwt-secret", SECRET]),
    );
    let (status, body) = call(
        Method::GET,
        format!("{}/chat/get_teachers", server.base),
        Some(&token),
        None,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert!(server.terminate().success());
}

#[test]
fn every_way_of_giving_a_secret_needs_32_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let db = db_arg(&dir.path().join("school.db"));
    let short = &SECRET[..31];
    let file = dir.path().join("short-secret");
    // The newline does not count: 31 bytes.
    std::fs::write(&file, format!("{short}\n")).unwrap();
    let file = file.to_str().unwrap();
    for output in [
        serve_fails(&db, &["--jwt-secret", short], &[]),
        serve_fails(&db, &[], &[("CLASSCHAT_JWT_SECRET", short)]),
        serve_fails(&db, &["--jwt-secret-file", file], &[]),
        serve_fails(&db, &[], &[("CLASSCHAT_JWT_SECRET_FILE", file)]),
    ] {
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains("31 bytes") && stderr.contains("at least 32"),
            "{stderr}"
        );
    }
    // `demo` too, before it touches anything.
    let demo_db = dir.path().join("demo.db");
    let output = run(
        process::classchat().args([
            "demo",
            "--db",
            demo_db.to_str().unwrap(),
            "--addr",
            "127.0.0.1:0",
            "--jwt-secret",
            short,
        ]),
        None,
    );
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("at least 32"));
    assert!(!demo_db.exists());
}

#[test]
fn a_secret_given_two_ways_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let db = db_arg(&dir.path().join("school.db"));
    let file = dir.path().join("jwt-secret");
    std::fs::write(&file, SECRET).unwrap();
    let file = file.to_str().unwrap();
    for output in [
        serve_fails(
            &db,
            &["--jwt-secret", SECRET, "--jwt-secret-file", file],
            &[],
        ),
        serve_fails(
            &db,
            &["--jwt-secret-file", file],
            &[("CLASSCHAT_JWT_SECRET", SECRET)],
        ),
    ] {
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains("--jwt-secret") && stderr.contains("--jwt-secret-file"),
            "{stderr}"
        );
        assert!(
            !stderr.contains(SECRET),
            "the secret is never echoed: {stderr}"
        );
    }
}

#[test]
fn a_missing_secret_file_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let db = db_arg(&dir.path().join("school.db"));
    let output = serve_fails(&db, &["--jwt-secret-file", "/nonexistent/jwt-secret"], &[]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("/nonexistent/jwt-secret"), "{stderr}");
}
