//! A WebSocket client for the tests: connect to a node with a token, send frames, read
//! the next text frame as JSON, assert silence, and see the close code.

use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::time::Duration;
use tokio::net::TcpStream;
use tokio::time::{Instant, timeout_at};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// How long to wait for a frame that should come. Generous: the machine is shared.
pub const FRAME_WAIT: Duration = Duration::from_secs(10);
/// How long to listen before concluding nothing is coming.
pub const SILENCE: Duration = Duration::from_millis(700);

/// One client socket on one node.
pub struct Client {
    stream: WebSocketStream<MaybeTlsStream<TcpStream>>,
    /// Frames read while waiting for the `pong` of [`Client::connect`].
    early: Vec<Value>,
    /// The reason of the server's close frame, once it sent one.
    close_reason: Option<String>,
}

impl Client {
    /// Connects to the node at `addr` and waits until it is registered there (a `ping`
    /// answered), so events published afterwards reach it.
    pub async fn connect(addr: SocketAddr, token: &str) -> Self {
        let url = format!("ws://{addr}/chat/ws?token={token}");
        let (stream, _) = tokio_tungstenite::connect_async(url)
            .await
            .expect("WebSocket connect");
        let mut client = Self {
            stream,
            early: Vec::new(),
            close_reason: None,
        };
        client.send(json!({"action": "ping"})).await;
        let deadline = Instant::now() + FRAME_WAIT;
        loop {
            match client.read(deadline).await {
                Ok(Some(frame)) if frame["type"] == "pong" => break,
                Ok(Some(frame)) => client.early.push(frame),
                Ok(None) => panic!("no pong within {FRAME_WAIT:?}"),
                Err(code) => panic!("closed ({code:?}) while connecting"),
            }
        }
        client.early.reverse();
        client
    }

    /// Sends a JSON frame.
    pub async fn send(&mut self, frame: Value) {
        self.stream
            .send(Message::text(frame.to_string()))
            .await
            .expect("send frame");
    }

    /// The next text frame within [`FRAME_WAIT`]; panics on timeout or close.
    #[track_caller]
    pub fn next(&mut self) -> impl Future<Output = Value> + '_ {
        let caller = std::panic::Location::caller();
        async move {
            if let Some(frame) = self.early.pop() {
                return frame;
            }
            match self.read(Instant::now() + FRAME_WAIT).await {
                Ok(Some(frame)) => frame,
                Ok(None) => panic!("{caller}: no frame within {FRAME_WAIT:?}"),
                Err(code) => panic!("{caller}: closed ({code:?}) instead of a frame"),
            }
        }
    }

    /// The next frame, which must be a `message`; returns the message.
    #[track_caller]
    pub fn next_message(&mut self) -> impl Future<Output = Value> + '_ {
        let caller = std::panic::Location::caller();
        async move {
            let frame = self.next().await;
            assert_eq!(frame["type"], "message", "{caller}: {frame}");
            frame["message"].clone()
        }
    }

    /// Asserts that no frame arrives for [`SILENCE`] and the socket stays open.
    #[track_caller]
    pub fn expect_silence(&mut self) -> impl Future<Output = ()> + '_ {
        let caller = std::panic::Location::caller();
        async move {
            if let Some(frame) = self.early.pop() {
                panic!("{caller}: expected silence, got {frame}");
            }
            match self.read(Instant::now() + SILENCE).await {
                Ok(None) => {}
                Ok(Some(frame)) => panic!("{caller}: expected silence, got {frame}"),
                Err(code) => panic!("{caller}: expected silence, closed with {code:?}"),
            }
        }
    }

    /// Reads until the server closes the socket; its close code.
    pub async fn expect_close(&mut self) -> Option<u16> {
        let deadline = Instant::now() + FRAME_WAIT;
        loop {
            match self.read(deadline).await {
                Ok(Some(_)) => continue,
                Ok(None) => panic!("the server did not close the socket"),
                Err(code) => return code,
            }
        }
    }

    /// The reason the server gave when it closed the socket, once it did.
    pub fn close_reason(&self) -> Option<&str> {
        self.close_reason.as_deref()
    }

    /// Closes from the client side.
    pub async fn close(mut self) {
        let _ = self.stream.close(None).await;
        let deadline = Instant::now() + FRAME_WAIT;
        while let Ok(Some(Ok(_))) = timeout_at(deadline, self.stream.next()).await {}
    }

    /// `Ok(Some(frame))`, `Ok(None)` at the deadline, `Err(code)` once closed.
    async fn read(&mut self, deadline: Instant) -> Result<Option<Value>, Option<u16>> {
        loop {
            let Ok(next) = timeout_at(deadline, self.stream.next()).await else {
                return Ok(None);
            };
            match next {
                Some(Ok(Message::Text(text))) => {
                    return Ok(Some(
                        serde_json::from_str(text.as_str()).expect("JSON frame"),
                    ));
                }
                Some(Ok(Message::Close(frame))) => {
                    self.close_reason = frame.as_ref().map(|frame| frame.reason.to_string());
                    return Err(frame.map(|frame| u16::from(frame.code)));
                }
                Some(Ok(_)) => {}
                Some(Err(_)) | None => return Err(None),
            }
        }
    }
}

/// A `presence` frame.
pub fn presence(user: &str, online: bool) -> Value {
    json!({"type": "presence", "userId": user, "online": online})
}
