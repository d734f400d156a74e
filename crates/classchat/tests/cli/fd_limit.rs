//! The open-file limit: `serve` raises its soft limit to the hard limit at start-up; a
//! server whose open-file table is full nonetheless refuses new connections at once, says
//! so in its log, does not spin, and serves again as soon as descriptors free up; and with
//! its default connection cap (derived from that limit) the table never fills: idle
//! connections make room for new ones instead.

use crate::process::{BINARY, Running};
use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::Duration;

/// The server's open-file limit in this test: small, so the test fills it quickly.
const LIMIT: usize = 128;

/// Total CPU time (user + system) of a process so far, in clock ticks.
fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    let fields: Vec<&str> = stat
        .rsplit(')')
        .next()
        .unwrap()
        .split_whitespace()
        .collect();
    // After the command name: state is field 3, utime 14 and stime 15 (1-based).
    fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap()
}

/// One `GET /healthz` on a fresh connection: the raw reply.
fn healthz(address: &str) -> std::io::Result<String> {
    let mut stream = TcpStream::connect(address)?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    stream.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")?;
    let mut reply = String::new();
    stream.read_to_string(&mut reply)?;
    Ok(reply)
}

/// `classchat demo` under an open-file limit of [`LIMIT`], with `extra` flags.
fn demo_with_limit(db: &std::path::Path, log: &std::path::Path, extra: &str) -> Running {
    let script = format!(
        "ulimit -n {LIMIT} && exec \"$0\" demo --db \"$1\" --addr 127.0.0.1:0 {extra} 2>\"$2\""
    );
    let mut command = Command::new("sh");
    command
        .args(["-c", &script, BINARY])
        .arg(db)
        .arg(log)
        .env_remove("CLASSCHAT_JWT_SECRET")
        .env_remove("CLASSCHAT_JWT_SECRET_FILE")
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null());
    Running::start(&mut command)
}

#[test]
fn a_full_descriptor_table_refuses_connections_and_recovers() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("school.db");
    let log = dir.path().join("server.log");
    // A connection cap above what the table holds, so the table fills first.
    let server = demo_with_limit(&db, &log, "--max-connections 100000");
    let address = server.base.trim_start_matches("http://").to_owned();

    // Twice the limit: the first ones fill the table, the rest must be refused.
    let mut held = Vec::new();
    let mut refused = 0;
    for _ in 0..2 * LIMIT {
        let mut stream = TcpStream::connect(&address).expect("the kernel accepts the SYN");
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        // A request the server would answer if it had accepted the connection.
        let _ = stream.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
        let mut reply = [0u8; 12];
        match stream.read(&mut reply) {
            Ok(0) => refused += 1,
            Ok(_) => held.push(stream),
            Err(error) if error.kind() == ErrorKind::ConnectionReset => refused += 1,
            Err(error) => panic!("a connection neither served nor refused: {error}"),
        }
    }
    assert!(
        refused >= LIMIT / 2,
        "expected most connections beyond the limit to be refused, {refused} were"
    );

    // At the limit, idle: the accept loop is not spinning.
    let pid = server.pid();
    let before = cpu_ticks(pid);
    std::thread::sleep(Duration::from_secs(2));
    let spent = cpu_ticks(pid) - before;
    assert!(
        spent < 100,
        "{spent} ticks of CPU in 2 s while idle at the limit"
    );

    // Descriptors free up: the server serves again (once it has noticed the closes).
    drop(held);
    let mut attempts = 0;
    let reply = loop {
        attempts += 1;
        match healthz(&address) {
            Ok(reply) => break reply,
            Err(error) if attempts < 50 => {
                eprintln!("not served yet: {error}");
                std::thread::sleep(Duration::from_millis(200));
            }
            Err(error) => panic!("still refused after the connections closed: {error}"),
        }
    };
    assert!(reply.starts_with("HTTP/1.1 200"), "{reply}");

    server.terminate();
    let log = std::fs::read_to_string(&log).unwrap();
    assert!(
        log.contains("open-file limit reached") && log.contains("accepting connections again"),
        "the log says why connections were refused: {log}"
    );
}

#[test]
fn with_the_default_cap_idle_connections_make_room_and_the_table_never_fills() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("school.db");
    let log = dir.path().join("server.log");
    let server = demo_with_limit(&db, &log, "");
    let address = server.base.trim_start_matches("http://").to_owned();
    // Twice the limit, each served and then left idle.
    let mut held = Vec::new();
    for _ in 0..2 * LIMIT {
        let mut stream = TcpStream::connect(&address).expect("connect");
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        stream
            .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            .unwrap();
        let mut reply = [0u8; 12];
        let read = stream.read(&mut reply).expect("every connection is served");
        assert_eq!(
            &reply[..read],
            b"HTTP/1.1 200",
            "every connection is served"
        );
        held.push(stream);
    }
    let reply = healthz(&address).expect("served while holding them all");
    assert!(reply.starts_with("HTTP/1.1 200"), "{reply}");
    server.terminate();
    let log = std::fs::read_to_string(&log).unwrap();
    assert!(
        !log.contains("open-file limit reached"),
        "the table filled up: {log}"
    );
}

/// The soft and hard open-file limits of process `pid`.
fn open_file_limits(pid: &str) -> (u64, u64) {
    let limits = std::fs::read_to_string(format!("/proc/{pid}/limits")).unwrap();
    let line = limits
        .lines()
        .find(|line| line.starts_with("Max open files"))
        .expect("a Max open files line");
    let numbers: Vec<u64> = line
        .split_whitespace()
        .filter_map(|field| field.parse().ok())
        .collect();
    (numbers[0], numbers[1])
}

#[test]
fn serve_raises_its_open_file_limit_to_the_hard_limit() {
    const SOFT: u64 = 256;
    let (_, hard) = open_file_limits("self");
    assert!(
        hard > SOFT,
        "this test needs a hard open-file limit above {SOFT}"
    );
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("school.db");
    let log = dir.path().join("server.log");
    // What a service manager's default unit gives: a low soft limit under a higher hard one.
    let script = format!("ulimit -Sn {SOFT} && exec \"$0\" serve --db \"$1\" --addr 127.0.0.1:0");
    let mut command = Command::new("sh");
    command
        .args(["-c", &script, BINARY])
        .arg(&db)
        .env_remove("CLASSCHAT_JWT_SECRET")
        .env_remove("CLASSCHAT_JWT_SECRET_FILE")
        .env("RUST_LOG", "info")
        .stdin(Stdio::null());
    let server = Running::start_logging(&mut command, &log);
    assert_eq!(
        open_file_limits(&server.pid().to_string()),
        (hard, hard),
        "the soft limit is raised to the hard one"
    );
    assert!(server.terminate().success());
    let log = std::fs::read_to_string(&log).unwrap();
    assert!(
        log.contains("raised the open-file limit") && log.contains(&hard.to_string()),
        "the log says so: {log}"
    );
}
