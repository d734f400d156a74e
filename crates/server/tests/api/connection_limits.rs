//! What the server does with clients that hold connections without using them: partial
//! headers and idle keep-alives are closed within the timeout, a body that never comes
//! gets `408`, a full server makes room by closing its longest-idle connection, one user
//! holds a bounded number of sockets, and one socket a bounded rate of frames.

use crate::common::ws::{FRAME_WAIT, WsClient};
use crate::common::{SECRET, TestApp, spawn_app_configured};
use classchat_core::Limits;
use classchat_core::rate::Rate;
use classchat_server::{ConnectionLimits, LiveConfig, ServerConfig};
use serde_json::json;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Error as WsError;

/// Short timeouts, so the tests see them fire.
fn quick(max_connections: usize) -> ConnectionLimits {
    ConnectionLimits {
        max_connections,
        header_timeout: Duration::from_secs(1),
        idle_timeout: Duration::from_secs(2),
        request_timeout: Duration::from_secs(1),
        ..ConnectionLimits::default()
    }
}

async fn app_with(connections: ConnectionLimits, live: LiveConfig) -> (TestApp, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let config = ServerConfig {
        connections,
        ..ServerConfig::with_secret(SECRET.to_vec())
    };
    let limits = Limits {
        send: Rate::UNLIMITED,
        ..Limits::default()
    };
    let app = spawn_app_configured(dir.path().join("db"), limits, live, config).await;
    (app, dir)
}

/// Reads until the server closes the connection; how long that took and what it sent.
async fn until_closed(stream: &mut TcpStream, limit: Duration) -> (Duration, String) {
    let started = Instant::now();
    let mut received = Vec::new();
    let mut buffer = [0u8; 4096];
    loop {
        match tokio::time::timeout_at(
            tokio::time::Instant::from_std(started + limit),
            stream.read(&mut buffer),
        )
        .await
        {
            Ok(Ok(0) | Err(_)) => break,
            Ok(Ok(read)) => received.extend_from_slice(&buffer[..read]),
            Err(_) => panic!("the server kept the connection open for {limit:?}"),
        }
    }
    (
        started.elapsed(),
        String::from_utf8_lossy(&received).into_owned(),
    )
}

#[tokio::test]
async fn partial_headers_trickling_in_are_cut_off_at_the_header_timeout() {
    let (app, _dir) = app_with(quick(100), LiveConfig::default()).await;
    let mut slow = TcpStream::connect(app.addr).await.unwrap();
    slow.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    // One more header line every 300 ms: bytes keep coming, the headers never end.
    let trickle = async {
        for n in 0..20 {
            tokio::time::sleep(Duration::from_millis(300)).await;
            if slow
                .write_all(format!("X-Slow-{n}: y\r\n").as_bytes())
                .await
                .is_err()
            {
                break;
            }
        }
    };
    let mut reader = TcpStream::connect(app.addr).await.unwrap();
    reader
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    let ((elapsed, _), ()) =
        tokio::join!(until_closed(&mut reader, Duration::from_secs(10)), trickle);
    assert!(elapsed < Duration::from_secs(5), "closed after {elapsed:?}");
}

#[tokio::test]
async fn an_idle_keep_alive_connection_is_closed() {
    let (app, _dir) = app_with(quick(100), LiveConfig::default()).await;
    let mut idle = TcpStream::connect(app.addr).await.unwrap();
    idle.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let (elapsed, answer) = until_closed(&mut idle, Duration::from_secs(10)).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(elapsed < Duration::from_secs(5), "closed after {elapsed:?}");
    // A connection that never sends a byte goes the same way.
    let mut silent = TcpStream::connect(app.addr).await.unwrap();
    let (elapsed, _) = until_closed(&mut silent, Duration::from_secs(10)).await;
    assert!(elapsed < Duration::from_secs(5), "closed after {elapsed:?}");
}

#[tokio::test]
async fn a_body_that_never_comes_gets_a_json_408() {
    let (app, _dir) = app_with(quick(100), LiveConfig::default()).await;
    let mut stream = TcpStream::connect(app.addr).await.unwrap();
    stream
        .write_all(
            b"POST /auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
              Content-Length: 100\r\n\r\n{\"userId\":",
        )
        .await
        .unwrap();
    let (elapsed, answer) = until_closed(&mut stream, Duration::from_secs(10)).await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("application/json"), "{answer}");
    assert!(answer.contains(r#""code":"timeout""#), "{answer}");
    assert!(
        elapsed < Duration::from_secs(5),
        "answered after {elapsed:?}"
    );
}

#[tokio::test]
async fn one_client_hoarding_idle_connections_does_not_shut_others_out() {
    let limits = ConnectionLimits {
        max_connections: 20,
        ..ConnectionLimits::default()
    };
    let (app, _dir) = app_with(limits, LiveConfig::default()).await;
    // Fifty idle connections against a cap of twenty, from one client.
    let mut hoard = Vec::new();
    for _ in 0..50 {
        hoard.push(TcpStream::connect(app.addr).await.unwrap());
    }
    // Someone else still gets through, every time.
    for _ in 0..5 {
        let reply = app
            .request(reqwest::Method::GET, "/healthz", None, None)
            .await;
        assert_eq!(reply.status, 200);
    }
    // The hoard was cut down to make room: most of it is closed now.
    let mut closed = 0;
    for stream in &mut hoard {
        let mut byte = [0u8; 1];
        if let Ok(Ok(0) | Err(_)) =
            tokio::time::timeout(Duration::from_millis(50), stream.read(&mut byte)).await
        {
            closed += 1;
        }
    }
    assert!(
        closed >= 30,
        "only {closed} of 50 hoarded connections were closed"
    );
}

#[tokio::test]
async fn a_full_server_with_nothing_idle_refuses_at_once() {
    let limits = ConnectionLimits {
        max_connections: 3,
        ..ConnectionLimits::default()
    };
    let (app, _dir) = app_with(limits, LiveConfig::default()).await;
    // Three sockets fill the server; WebSockets are never closed to make room.
    let token = app.login("s1").await;
    let _sockets = [
        WsClient::connect(app.addr, &token).await,
        WsClient::connect(app.addr, &token).await,
        WsClient::connect(app.addr, &token).await,
    ];
    let started = Instant::now();
    let refused = reqwest::Client::new()
        .get(app.url("/healthz"))
        .timeout(Duration::from_secs(5))
        .send()
        .await;
    assert!(refused.is_err(), "{refused:?}");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn one_user_holds_at_most_their_share_of_sockets() {
    let live = LiveConfig {
        connections_per_user: 3,
        ..LiveConfig::default()
    };
    let (app, _dir) = app_with(ConnectionLimits::default(), live).await;
    let token = app.login("s1").await;
    let mut sockets = Vec::new();
    for _ in 0..3 {
        sockets.push(WsClient::connect(app.addr, &token).await);
    }
    match WsClient::try_connect(app.addr, &token).await {
        Err(WsError::Http(response)) => {
            assert_eq!(response.status(), 429);
            let body = String::from_utf8_lossy(response.body().as_deref().unwrap_or_default())
                .into_owned();
            assert!(body.contains("too_many_connections"), "{body}");
        }
        Err(other) => panic!("expected a 429 before the upgrade, got {other}"),
        Ok(_) => panic!("a fourth socket was accepted"),
    }
    // Other users are not affected, and a closed socket frees its place.
    let other = app.login("s2").await;
    let _theirs = WsClient::connect(app.addr, &other).await;
    sockets.pop().unwrap().close().await;
    let mut reopened = None;
    for _ in 0..50 {
        if let Ok(socket) = WsClient::try_connect(app.addr, &token).await {
            reopened = Some(socket);
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(reopened.is_some(), "the freed place was not given back");
}

#[tokio::test]
async fn a_socket_over_its_frame_budget_is_answered_rate_limited_and_stays_open() {
    let live = LiveConfig {
        frames: Rate {
            per_second: 1.0,
            burst: 5.0,
        },
        ..LiveConfig::default()
    };
    let (app, _dir) = app_with(ConnectionLimits::default(), live).await;
    let token = app.login("s1").await;
    // Connecting spends one frame (the readiness ping).
    let mut socket = WsClient::connect(app.addr, &token).await;
    for _ in 0..10 {
        socket.send_json(json!({"action": "ping"})).await;
    }
    let mut pongs = 0;
    let mut limited = 0;
    for _ in 0..10 {
        let frame = socket.next_frame(FRAME_WAIT).await;
        match frame["type"].as_str() {
            Some("pong") => pongs += 1,
            Some("error") if frame["code"] == "rate_limited" => limited += 1,
            _ => panic!("unexpected frame {frame}"),
        }
    }
    assert_eq!((pongs, limited), (4, 6));
    assert_eq!(socket.close_code(), None);
    // The budget refills.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    socket.send_json(json!({"action": "ping"})).await;
    assert_eq!(socket.next_frame(FRAME_WAIT).await["type"], "pong");
}
