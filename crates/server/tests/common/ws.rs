//! A typed WebSocket client for `GET /chat/ws`: connect with a token, send JSON frames,
//! read the next text frame as JSON, assert silence, and see the server's close code.

use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use std::collections::VecDeque;
use std::future::Future;
use std::net::SocketAddr;
use std::panic::Location;
use std::time::Duration;
use tokio::net::{TcpSocket, TcpStream};
use tokio::time::{Instant, timeout_at};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::{Error, Message};

use super::TestApp;

/// How long to wait for a frame that is expected to arrive. Generous: the machine is shared.
pub const FRAME_WAIT: Duration = Duration::from_secs(10);
/// How long to listen before concluding that nothing is coming.
pub const SILENCE: Duration = Duration::from_millis(700);

/// One client socket.
pub struct WsClient {
    stream: WebSocketStream<TcpStream>,
    /// Text frames read while waiting for something else (the `pong` of the readiness
    /// check), handed out first by [`WsClient::next_frame`].
    pending: VecDeque<Value>,
    /// The server's close frame, once it arrived (`None` inside: closed without a code).
    close: Option<Option<CloseFrame>>,
}

impl WsClient {
    /// Connects as the owner of `token` and waits until the server has registered the
    /// connection (a `ping` answered by `pong`), so that events published afterwards reach
    /// it. Panics if the server refuses.
    pub async fn connect(addr: SocketAddr, token: &str) -> Self {
        Self::try_connect(addr, token)
            .await
            .unwrap_or_else(|error| panic!("WebSocket connect failed: {error}"))
    }

    /// Like [`WsClient::connect`], but returns the handshake error (e.g. `Error::Http` with
    /// a 401 response) instead of panicking.
    pub async fn try_connect(addr: SocketAddr, token: &str) -> Result<Self, Error> {
        let url = format!("ws://{addr}/chat/ws?token={token}");
        Self::connect_url(addr, &url, None).await
    }

    /// Connects to exactly `url` (e.g. without a token), returning the handshake error.
    pub async fn try_connect_url(addr: SocketAddr, url: &str) -> Result<Self, Error> {
        Self::connect_url(addr, url, None).await
    }

    /// Connects with the client's kernel receive buffer shrunk to `bytes`, so that a client
    /// that stops reading pushes back on the server quickly.
    pub async fn connect_with_recv_buffer(addr: SocketAddr, token: &str, bytes: u32) -> Self {
        let url = format!("ws://{addr}/chat/ws?token={token}");
        Self::connect_url(addr, &url, Some(bytes))
            .await
            .unwrap_or_else(|error| panic!("WebSocket connect failed: {error}"))
    }

    async fn connect_url(
        addr: SocketAddr,
        url: &str,
        recv_buffer: Option<u32>,
    ) -> Result<Self, Error> {
        let socket = if addr.is_ipv4() {
            TcpSocket::new_v4()?
        } else {
            TcpSocket::new_v6()?
        };
        if let Some(bytes) = recv_buffer {
            socket.set_recv_buffer_size(bytes)?;
        }
        let tcp = socket.connect(addr).await?;
        let (stream, _response) = tokio_tungstenite::client_async(url, tcp).await?;
        let mut client = Self {
            stream,
            pending: VecDeque::new(),
            close: None,
        };
        client.ready().await;
        Ok(client)
    }

    /// Pings and waits for the `pong`, keeping any other frame for later.
    async fn ready(&mut self) {
        self.send_json(json!({"action": "ping"})).await;
        let deadline = Instant::now() + FRAME_WAIT;
        loop {
            let frame = self
                .read_text(deadline)
                .await
                .unwrap_or_else(|| panic!("no pong after connecting (close: {:?})", self.close));
            if frame["type"] == "pong" {
                return;
            }
            self.pending.push_back(frame);
        }
    }

    /// Sends `frame` as a JSON text frame.
    pub async fn send_json(&mut self, frame: Value) {
        self.send_text(&frame.to_string()).await;
    }

    /// Sends raw text, for malformed frames.
    pub async fn send_text(&mut self, text: &str) {
        self.stream
            .send(Message::text(text))
            .await
            .expect("send text frame");
    }

    /// Sends a binary frame.
    pub async fn send_binary(&mut self, bytes: Vec<u8>) {
        self.stream
            .send(Message::binary(bytes))
            .await
            .expect("send binary frame");
    }

    /// The next text frame, parsed, within `wait`; ping/pong control frames are skipped.
    /// Panics (naming the calling line) on timeout or if the server closes the connection.
    #[track_caller]
    pub fn next_frame(&mut self, wait: Duration) -> impl Future<Output = Value> + '_ {
        let caller = Location::caller();
        self.next_frame_for(caller, wait)
    }

    async fn next_frame_for(
        &mut self,
        caller: &'static Location<'static>,
        wait: Duration,
    ) -> Value {
        if let Some(frame) = self.pending.pop_front() {
            return frame;
        }
        match self.read_text(Instant::now() + wait).await {
            Some(frame) => frame,
            None => match &self.close {
                Some(close) => panic!("{caller}: connection closed ({close:?}) instead of a frame"),
                None => panic!("{caller}: no frame within {wait:?}"),
            },
        }
    }

    /// The next text frame if one arrives within `wait`; `None` on timeout or close.
    pub async fn try_next_frame(&mut self, wait: Duration) -> Option<Value> {
        match self.pending.pop_front() {
            Some(frame) => Some(frame),
            None => self.read_text(Instant::now() + wait).await,
        }
    }

    /// The next text frame (within [`FRAME_WAIT`]), which must be of `kind` (its `type`).
    #[track_caller]
    pub fn expect_type<'a>(&'a mut self, kind: &'a str) -> impl Future<Output = Value> + 'a {
        let caller = Location::caller();
        async move {
            let frame = self.next_frame_for(caller, FRAME_WAIT).await;
            assert_eq!(frame["type"], kind, "{caller}: unexpected frame {frame}");
            frame
        }
    }

    /// Asserts that no text frame arrives within `wait` (and that the socket stays open).
    #[track_caller]
    pub fn expect_silence(&mut self, wait: Duration) -> impl Future<Output = ()> + '_ {
        let caller = Location::caller();
        async move {
            if let Some(frame) = self.pending.pop_front() {
                panic!("{caller}: expected silence, got {frame}");
            }
            if let Some(frame) = self.read_text(Instant::now() + wait).await {
                panic!("{caller}: expected silence, got {frame}");
            }
            assert!(
                self.close.is_none(),
                "{caller}: expected silence, the connection closed: {:?}",
                self.close
            );
        }
    }

    /// Reads until the server closes the connection (discarding text frames) and returns
    /// the close code; `None` if it closed without one. Panics after `wait`.
    pub async fn expect_close(&mut self, wait: Duration) -> Option<u16> {
        self.pending.clear();
        let deadline = Instant::now() + wait;
        while self.close.is_none() {
            if Instant::now() >= deadline {
                panic!("the server did not close the connection within {wait:?}");
            }
            let _ = self.read_text(deadline).await;
        }
        self.close_code()
    }

    /// The code of the server's close frame, once it has arrived.
    pub fn close_code(&self) -> Option<u16> {
        self.close
            .as_ref()
            .and_then(|close| close.as_ref())
            .map(|frame| u16::from(frame.code))
    }

    /// The reason text of the server's close frame, once it has arrived.
    pub fn close_reason(&self) -> Option<String> {
        self.close
            .as_ref()
            .and_then(|close| close.as_ref())
            .map(|frame| frame.reason.to_string())
    }

    /// Closes the connection from the client side and waits for the server's answer.
    pub async fn close(mut self) {
        let _ = self.stream.close(None).await;
        let deadline = Instant::now() + FRAME_WAIT;
        while let Ok(Some(Ok(_))) = timeout_at(deadline, self.stream.next()).await {}
    }

    /// Reads until a text frame arrives (parsed), the deadline passes or the connection
    /// closes (then `None`, with `self.close` set when it was closed).
    async fn read_text(&mut self, deadline: Instant) -> Option<Value> {
        if self.close.is_some() {
            return None;
        }
        loop {
            let next = timeout_at(deadline, self.stream.next()).await.ok()?;
            match next {
                Some(Ok(Message::Text(text))) => {
                    let value = serde_json::from_str(text.as_str())
                        .unwrap_or_else(|error| panic!("server sent non-JSON {text:?}: {error}"));
                    return Some(value);
                }
                Some(Ok(Message::Binary(bytes))) => {
                    panic!("server sent a binary frame ({} bytes)", bytes.len())
                }
                Some(Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_))) => {}
                Some(Ok(Message::Close(frame))) => {
                    self.close = Some(frame);
                    return None;
                }
                Some(Err(error)) => {
                    // A connection that ends without a close frame.
                    eprintln!("WebSocket ended without a close frame: {error}");
                    self.close.get_or_insert(None);
                    return None;
                }
                None => {
                    self.close.get_or_insert(None);
                    return None;
                }
            }
        }
    }
}

/// Logs `user` in and opens a socket, ready to receive.
pub async fn connect(app: &TestApp, user: &str) -> WsClient {
    let token = app.login(user).await;
    WsClient::connect(app.addr, &token).await
}

/// Teacher t1, connected, receives `body` from s1 (signed in with `student_token`) live,
/// then disconnects: the returned timestamp is where a later `sync` starts, and everything
/// s1 sends afterwards is missed.
pub async fn teacher_leaves_after_one_message(
    app: &TestApp,
    student_token: &str,
    body: &str,
) -> String {
    let mut teacher = connect(app, "t1").await;
    let seen = app.send(student_token, "s1+t1", "s1", body).await;
    assert_eq!(seen.status, 201, "{}", seen.body);
    let since = teacher.expect_type("message").await["message"]["timestamp"]
        .as_str()
        .unwrap()
        .to_owned();
    teacher.close().await;
    wait_for_connections(app, 0, FRAME_WAIT).await;
    since
}

/// Waits until the server holds exactly `expected` live connections.
pub async fn wait_for_connections(app: &TestApp, expected: usize, limit: Duration) {
    let deadline = Instant::now() + limit;
    while app.live.connection_count() != expected {
        assert!(
            Instant::now() < deadline,
            "the server still holds {} connections, expected {expected}",
            app.live.connection_count()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A `presence` frame.
pub fn presence(user: &str, online: bool) -> Value {
    json!({"type": "presence", "userId": user, "online": online})
}

/// The messageId of a message object.
pub fn message_id(message: &Value) -> String {
    message["messageId"]
        .as_str()
        .unwrap_or_else(|| panic!("no messageId in {message}"))
        .to_owned()
}

/// A `sendMessage` frame.
pub fn send_frame(conversation: &str, body: &str, client_message_id: &str) -> Value {
    json!({
        "action": "sendMessage",
        "conversationId": conversation,
        "messageBody": body,
        "clientMessageId": client_message_id,
    })
}
