//! The frame protocol's shapes: every action parsed, precise errors, documented frames.

use super::*;

#[test]
fn parses_every_action() {
    let send = ClientFrame::parse(
        r#"{"action":"sendMessage","conversationId":"a+b","messageBody":"hi","clientMessageId":"c1"}"#,
    );
    assert_eq!(
        send,
        Ok(ClientFrame::SendMessage {
            conversation_id: "a+b".into(),
            message_body: "hi".into(),
            client_message_id: Some("c1".into()),
            urgent: false,
        })
    );
    assert!(matches!(
        ClientFrame::parse(r#"{"action":"typing","conversationId":"a+b"}"#),
        Ok(ClientFrame::Typing { .. })
    ));
    assert!(matches!(
        ClientFrame::parse(r#"{"action":"markRead","conversationId":"a+b","timestamp":"x"}"#),
        Ok(ClientFrame::MarkRead { .. })
    ));
    assert!(matches!(
        ClientFrame::parse(r#"{"action":"sync","since":"x"}"#),
        Ok(ClientFrame::Sync { .. })
    ));
    assert_eq!(
        ClientFrame::parse(r#"{"action":"ping"}"#),
        Ok(ClientFrame::Ping)
    );
}

#[test]
fn malformed_frames_get_precise_codes() {
    let code = |text: &str| ClientFrame::parse(text).unwrap_err().code.as_str();
    assert_eq!(code("not json"), "invalid_json");
    assert_eq!(code("[]"), "invalid_frame");
    assert_eq!(code(r#"{"action":5}"#), "invalid_frame");
    assert_eq!(code(r#"{"action":"dance"}"#), "unknown_action");
    assert_eq!(
        code(r#"{"action":"sendMessage","conversationId":"a+b"}"#),
        "invalid_frame"
    );
    assert_eq!(code(r#"{"action":"sync","since":5}"#), "invalid_frame");
}

#[test]
fn failed_sends_echo_their_client_message_id() {
    let error =
        ClientFrame::parse(r#"{"action":"sendMessage","clientMessageId":"c9"}"#).unwrap_err();
    assert_eq!(error.client_message_id.as_deref(), Some("c9"));
}

#[test]
fn server_frames_have_the_documented_shape() {
    let pong = ServerFrame::Pong.to_text();
    assert_eq!(pong, r#"{"type":"pong"}"#);
    let presence = ServerFrame::Presence {
        user_id: "t1".into(),
        online: true,
    }
    .to_text();
    assert_eq!(
        presence,
        r#"{"type":"presence","userId":"t1","online":true}"#
    );
    let error = ServerFrame::Error {
        code: "forbidden",
        message: "no",
        client_message_id: None,
    }
    .to_text();
    assert_eq!(
        error,
        r#"{"type":"error","code":"forbidden","message":"no"}"#
    );
}

#[test]
fn parses_the_safeguarding_actions() {
    assert_eq!(
        ClientFrame::parse(
            r#"{"action":"editMessage","conversationId":"a+b","timestamp":"t","messageBody":"hi"}"#
        ),
        Ok(ClientFrame::EditMessage {
            conversation_id: "a+b".into(),
            timestamp: "t".into(),
            message_body: "hi".into(),
        })
    );
    assert_eq!(
        ClientFrame::parse(r#"{"action":"removeMessage","conversationId":"a+b","timestamp":"t"}"#),
        Ok(ClientFrame::RemoveMessage {
            conversation_id: "a+b".into(),
            timestamp: "t".into(),
        })
    );
    let code = |text: &str| ClientFrame::parse(text).unwrap_err().code.as_str();
    assert_eq!(
        code(r#"{"action":"editMessage","conversationId":"a+b","timestamp":"t"}"#),
        "invalid_frame"
    );
    assert_eq!(
        code(r#"{"action":"removeMessage","conversationId":"a+b"}"#),
        "invalid_frame"
    );
}

#[test]
fn safeguarding_events_have_frames_of_their_own() {
    use classchat_core::moderation::{Pause, PauseReason};
    use classchat_core::{
        ConversationId, Message, MessageBody, MessageId, Role, Timestamp, UserId,
    };
    let user = |id: &str| UserId::parse(id).unwrap();
    let conversation = ConversationId::new(user("s1"), user("t1"));
    let at = Timestamp::from_micros(1_700_000_000_000_000).unwrap();
    let message = Message {
        conversation_id: conversation.clone(),
        timestamp: at,
        author: user("s1"),
        body: MessageBody::parse("fixed typo").unwrap(),
        message_id: MessageId::parse("01J0000000000000000000000A").unwrap(),
        client_message_id: None,
        announcement_id: None,
        edited_at: Some(at),
        removed_at: None,
    };
    let frame =
        |event: &Event| -> Value { serde_json::from_str(&event_frame(event).to_text()).unwrap() };
    let edited = frame(&Event::Edited(message.clone()));
    assert_eq!(edited["type"], "messageEdited");
    assert_eq!(edited["message"]["editedAt"], at.to_string());
    assert!(edited["message"].get("removedAt").is_none(), "{edited}");
    let removed = frame(&Event::Removed(
        Message {
            removed_at: Some(at),
            ..message.clone()
        }
        .redacted(),
    ));
    assert_eq!(removed["type"], "messageRemoved");
    assert_eq!(removed["message"]["messageBody"], "");
    assert_eq!(removed["message"]["removedAt"], at.to_string());
    let pause = Pause {
        by: user("t1"),
        by_role: Role::Teacher,
        at,
        reason: Some(PauseReason::parse("calm down").unwrap()),
    };
    let paused = frame(&Event::Paused {
        conversation_id: conversation.clone(),
        pause: Some(pause),
    });
    assert_eq!(
        paused,
        serde_json::json!({"type": "paused", "conversationId": "s1+t1", "pause": {
            "by": "t1", "byRole": "teacher", "at": at.to_string(), "reason": "calm down"}})
    );
    let resumed = frame(&Event::Paused {
        conversation_id: conversation,
        pause: None,
    });
    assert_eq!(
        resumed,
        serde_json::json!({"type": "paused", "conversationId": "s1+t1", "pause": null})
    );
}
