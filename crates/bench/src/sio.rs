//! Just enough of Engine.IO v4 / Socket.IO v5 over a plain WebSocket
//! (`transport=websocket`): open, namespace connect, events, acks, ping/pong.

use crate::client::Event;
use anyhow::{Context, bail};
use futures::{SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;

/// A decoded server packet.
pub enum Packet {
    /// Engine.IO ping: answer `3`.
    Ping,
    /// Anything a scenario may care about.
    Event(Event),
}

/// Engine.IO open (`0{…}`), then the default namespace connect (`40` → `40{"sid"…}`).
pub async fn handshake(ws: &mut WebSocketStream<TcpStream>) -> anyhow::Result<()> {
    let open = next_text(ws).await?;
    if !open.starts_with('0') {
        bail!("socket.io: expected an open packet, got {open:?}");
    }
    ws.send(Message::text("40")).await?;
    loop {
        let text = next_text(ws).await?;
        if text.starts_with("40") {
            return Ok(());
        }
        if text.starts_with("44") {
            bail!("socket.io refused the connection: {text}");
        }
    }
}

async fn next_text(ws: &mut WebSocketStream<TcpStream>) -> anyhow::Result<String> {
    loop {
        match ws.next().await.context("socket.io closed")?? {
            Message::Text(text) => return Ok(text.to_string()),
            Message::Close(_) => bail!("socket.io closed"),
            _ => continue,
        }
    }
}

/// `42<ack>["send",{"room","body","id"}]`.
pub fn send_frame(ack: u64, room: &str, body: &str, id: &str) -> String {
    let payload = serde_json::json!(["send", {"room": room, "body": body, "id": id}]);
    format!("42{ack}{payload}")
}

/// Decodes one server packet.
pub fn parse(text: &str) -> Packet {
    if text == "2" {
        return Packet::Ping;
    }
    let event = if let Some(rest) = text.strip_prefix("43") {
        // 43<ack>[{"id":…}]
        let _ = rest;
        Event::Ack
    } else if let Some(rest) = text.strip_prefix("42") {
        serde_json::from_str::<serde_json::Value>(rest)
            .ok()
            .filter(|v| v[0] == "message")
            .map(|v| Event::Message(v[1]["body"].as_str().unwrap_or_default().to_string()))
            .unwrap_or(Event::Other)
    } else {
        Event::Other
    };
    Packet::Event(event)
}
