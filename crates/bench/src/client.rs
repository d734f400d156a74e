//! One WebSocket client for classchat's protocols (`/chat/ws` and GraphQL subscriptions)
//! and socket.io's, bound to a chosen loopback source address so that tens of thousands of
//! sockets never run out of ports.

use crate::Target;
use crate::sio;
use anyhow::{Context, bail};
use futures::stream::SplitStream;
use futures::{SinkExt, StreamExt};
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use tokio::net::{TcpSocket, TcpStream};
use tokio::sync::mpsc;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;

type Ws = WebSocketStream<TcpStream>;

/// What a client receives that the scenarios care about.
#[derive(Debug)]
pub enum Event {
    /// The server acknowledged (stored) a message.
    Ack,
    /// A message delivered live; its body.
    Message(String),
    /// The server refused a frame.
    Error(String),
    /// Anything else (presence, pong, …).
    Other,
}

/// The sending half: frames go to a writer task, so both halves can send.
#[derive(Clone)]
pub struct Sender {
    tx: mpsc::UnboundedSender<Message>,
    target: Target,
    next_ack: std::sync::Arc<AtomicU64>,
}

/// The receiving half.
pub struct Receiver {
    rx: SplitStream<Ws>,
    tx: mpsc::UnboundedSender<Message>,
    protocol: Protocol,
    /// The reason of the server's close frame, once it sent one.
    close_reason: Option<String>,
}

/// What a receiver's frames are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Protocol {
    /// classchat's `/chat/ws` frames.
    ChatWs,
    /// socket.io packets.
    SocketIo,
    /// `graphql-transport-ws` messages of one `messageAdded` subscription.
    Graphql,
}

/// The `i`-th loopback source address: 127.0.0.10 … 127.0.0.41.
pub fn source_ip(i: usize) -> Ipv4Addr {
    Ipv4Addr::new(127, 0, 0, 10 + (i % 32) as u8)
}

/// Opens a TCP connection to `server` (`host:port`) from `source`.
async fn tcp(server: &str, source: Ipv4Addr) -> anyhow::Result<TcpStream> {
    let addr: SocketAddr = server.parse().context("server address")?;
    let socket = TcpSocket::new_v4()?;
    socket.set_reuseaddr(true)?;
    socket.bind(SocketAddr::new(source.into(), 0))?;
    let stream = socket.connect(addr).await?;
    stream.set_nodelay(true)?;
    Ok(stream)
}

/// Connects and authenticates: classchat with a token, socket.io with the user id and rooms.
/// `base` is `ws://127.0.0.1:<port>`.
pub async fn connect(
    target: Target,
    base: &str,
    auth: &str,
    rooms: &str,
    source: Ipv4Addr,
) -> anyhow::Result<(Sender, Receiver)> {
    let host = base.trim_start_matches("ws://");
    let rooms = rooms.replace('+', "%2B");
    let url = match target {
        Target::Classchat => format!("{base}/chat/ws?token={auth}"),
        Target::Socketio => {
            format!("{base}/socket.io/?EIO=4&transport=websocket&user={auth}&rooms={rooms}")
        }
        Target::Synapse => bail!("Synapse is not a WebSocket target"),
    };
    let stream = tcp(host, source).await?;
    // tungstenite's default read buffer is 128 KiB, allocated and zeroed per socket: with
    // it the load generator spent twice the server's CPU on connecting (page faults and
    // memset, `perf` of `idle`), on the two cores it shares with the server. 4 KiB holds
    // any frame of the scenarios in one read.
    let config =
        tokio_tungstenite::tungstenite::protocol::WebSocketConfig::default().read_buffer_size(4096);
    let (mut ws, _) = tokio_tungstenite::client_async_with_config(url, stream, Some(config))
        .await
        .context("WebSocket handshake")?;
    if target == Target::Socketio {
        sio::handshake(&mut ws).await?;
    }
    let protocol = match target {
        Target::Socketio => Protocol::SocketIo,
        _ => Protocol::ChatWs,
    };
    let (tx, receiver) = split(ws, protocol);
    let sender = Sender {
        tx,
        target,
        next_ack: Default::default(),
    };
    Ok((sender, receiver))
}

/// Splits `ws` into a writer task (fed through the returned channel) and a receiver.
fn split(ws: Ws, protocol: Protocol) -> (mpsc::UnboundedSender<Message>, Receiver) {
    let (mut sink, rx) = ws.split();
    let (tx, mut queue) = mpsc::unbounded_channel::<Message>();
    tokio::spawn(async move {
        while let Some(frame) = queue.recv().await {
            if sink.send(frame).await.is_err() {
                break;
            }
        }
        let _ = sink.close().await;
    });
    let receiver = Receiver {
        rx,
        tx: tx.clone(),
        protocol,
        close_reason: None,
    };
    (tx, receiver)
}

/// Opens a classchat GraphQL socket (`GET /graphql`, `graphql-transport-ws`) with `token`
/// and subscribes to `messageAdded(conversationId: conversation)`: a receiver of that
/// conversation's messages, as a GraphQL client gets them. `base` is `ws://127.0.0.1:<port>`.
pub async fn subscribe_graphql(
    base: &str,
    token: &str,
    conversation: &str,
    source: Ipv4Addr,
) -> anyhow::Result<Receiver> {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let host = base.trim_start_matches("ws://");
    let mut request = format!("{base}/graphql").into_client_request()?;
    request.headers_mut().insert(
        "Sec-WebSocket-Protocol",
        "graphql-transport-ws".parse().context("subprotocol")?,
    );
    let stream = tcp(host, source).await?;
    let (mut ws, _) = tokio_tungstenite::client_async(request, stream)
        .await
        .context("GraphQL WebSocket handshake")?;
    let init = serde_json::json!({"type": "connection_init", "payload": {"token": token}});
    ws.send(Message::text(init.to_string())).await?;
    loop {
        match ws.next().await {
            Some(Ok(Message::Text(text))) if text.contains("connection_ack") => break,
            Some(Ok(Message::Text(text))) => bail!("before the ack: {text}"),
            Some(Ok(_)) => {}
            Some(Err(error)) => return Err(error.into()),
            None => bail!("closed before the ack"),
        }
    }
    let subscribe = serde_json::json!({
        "id": "m",
        "type": "subscribe",
        "payload": {
            "query": "subscription($id: String!) { messageAdded(conversationId: $id) { messageBody } }",
            "variables": {"id": conversation},
        },
    });
    ws.send(Message::text(subscribe.to_string())).await?;
    Ok(split(ws, Protocol::Graphql).1)
}

impl Sender {
    /// Sends a chat message to `conversation` (a socket.io room) with client id `id`.
    pub fn send(&self, conversation: &str, body: &str, id: &str) -> anyhow::Result<()> {
        let text = match self.target {
            Target::Socketio => {
                let ack = self.next_ack.fetch_add(1, Ordering::Relaxed);
                sio::send_frame(ack, conversation, body, id)
            }
            _ => serde_json::json!({
                "action": "sendMessage",
                "conversationId": conversation,
                "messageBody": body,
                "clientMessageId": id,
            })
            .to_string(),
        };
        self.tx
            .send(Message::text(text))
            .map_err(|_| anyhow::anyhow!("connection closed"))
    }

    /// Asks for every message of the user's conversations after `since` (`/chat/ws`'s
    /// `sync`), as a client does after the server closed its socket.
    pub fn sync(&self, since: &str) -> anyhow::Result<()> {
        let text = serde_json::json!({"action": "sync", "since": since}).to_string();
        self.tx
            .send(Message::text(text))
            .map_err(|_| anyhow::anyhow!("connection closed"))
    }

    /// Closes the connection.
    pub fn close(&self) {
        let _ = self.tx.send(Message::Close(None));
    }
}

impl Receiver {
    /// The reason the server gave when it closed the connection, if it did.
    pub fn close_reason(&self) -> Option<&str> {
        self.close_reason.as_deref()
    }

    /// The next event, or `None` when the connection is closed.
    pub async fn next(&mut self) -> anyhow::Result<Option<Event>> {
        loop {
            let Some(frame) = self.rx.next().await else {
                return Ok(None);
            };
            let text = match frame? {
                Message::Text(text) => text,
                Message::Close(frame) => {
                    self.close_reason = frame.map(|frame| frame.reason.to_string());
                    return Ok(None);
                }
                _ => continue,
            };
            let event = match self.protocol {
                Protocol::SocketIo => match sio::parse(&text) {
                    sio::Packet::Ping => {
                        let _ = self.tx.send(Message::text("3"));
                        continue;
                    }
                    sio::Packet::Event(event) => event,
                },
                Protocol::ChatWs => parse_classchat(&text)?,
                Protocol::Graphql => parse_graphql(&text)?,
            };
            return Ok(Some(event));
        }
    }
}

/// A classchat server frame.
fn parse_classchat(text: &str) -> anyhow::Result<Event> {
    let value: serde_json::Value = serde_json::from_str(text)?;
    let string = |v: &serde_json::Value| v.as_str().unwrap_or_default().to_string();
    Ok(match value["type"].as_str() {
        Some("ack") => Event::Ack,
        Some("message") => Event::Message(string(&value["message"]["messageBody"])),
        Some("error") => Event::Error(format!("{} {}", value["code"], value["message"])),
        _ => Event::Other,
    })
}

/// A `graphql-transport-ws` message of a `messageAdded` subscription.
fn parse_graphql(text: &str) -> anyhow::Result<Event> {
    let value: serde_json::Value = serde_json::from_str(text)?;
    let payload = &value["payload"];
    Ok(match value["type"].as_str() {
        Some("next") if payload.get("errors").is_some() => {
            Event::Error(payload["errors"].to_string())
        }
        Some("next") => Event::Message(
            payload["data"]["messageAdded"]["messageBody"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
        ),
        Some("error") => Event::Error(payload.to_string()),
        _ => Event::Other,
    })
}

/// Reads events until the connection closes, discarding them (an idle socket).
pub async fn drain(mut receiver: Receiver) {
    while let Ok(Some(_)) = receiver.next().await {}
}
