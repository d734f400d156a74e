//! `classchat demo` prints its passwords, so it serves on loopback only, unless told
//! `--public`, and then it says loudly what that means.

use crate::cli::classchat;
use crate::process::{self, Running};

#[test]
fn demo_refuses_a_non_loopback_address_without_public() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.db");
    for addr in ["0.0.0.0:0", "[::]:0"] {
        let output = classchat(
            &["demo", "--db", db.to_str().unwrap(), "--addr", addr],
            None,
        );
        assert!(!output.status.success(), "{addr}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains("loopback") && stderr.contains("--public"),
            "{stderr}"
        );
    }
    assert!(!db.exists(), "refused before creating anything");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

#[tokio::test]
async fn demo_with_public_serves_every_address_and_warns() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.db");
    let log = dir.path().join("demo.log");
    let demo = Running::start_logging(
        process::classchat().args([
            "demo",
            "--db",
            db.to_str().unwrap(),
            "--addr",
            "0.0.0.0:0",
            "--public",
        ]),
        &log,
    );
    assert!(demo.banner.contains("WARNING"), "{}", demo.banner);
    let port = demo.base.rsplit(':').next().unwrap().to_owned();
    let health = reqwest::get(format!("http://127.0.0.1:{port}/healthz"))
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
    assert!(demo.terminate().success());
    let log = std::fs::read_to_string(&log).unwrap();
    assert!(
        log.contains("non-loopback") && log.contains("--public"),
        "{log}"
    );
}
