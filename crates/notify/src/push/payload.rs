//! The push payload: the JSON the web client's service worker reads to show a
//! notification. This crate is the only one that knows its shape.

use serde::Serialize;

/// The most bytes of JSON a payload may take. Push services accept at least 4,096 bytes
/// of encrypted body; encryption adds 103 (header, tag, padding delimiter), and the rest
/// is headroom for a service that counts differently.
pub(crate) const MAX_PAYLOAD_BYTES: usize = 3_000;

/// What marks a body that was cut short.
const ELLIPSIS: &str = "…";

/// What a notification says and where a click on it leads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushPayload {
    /// The notification's title (who wrote).
    pub title: String,
    /// The message text, cut short if the payload would not fit.
    pub body: String,
    /// The conversation the message is in, so the client can open it.
    pub conversation_id: String,
    /// The message itself, so the client can scroll to it and not notify twice.
    pub message_id: String,
    /// Where a click on the notification leads.
    pub url: String,
    /// The notification's tag: a browser shows one notification per tag, so later
    /// messages in a conversation replace earlier ones instead of piling up.
    pub tag: String,
}

/// The wire form, borrowing the payload's fields.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Wire<'a> {
    title: &'a str,
    body: &'a str,
    conversation_id: &'a str,
    message_id: &'a str,
    url: &'a str,
    tag: &'a str,
}

impl PushPayload {
    /// The payload as JSON, `{"title","body","conversationId","messageId","url","tag"}`,
    /// at most `MAX_PAYLOAD_BYTES` (3,000) long: a body that does not fit is cut on a character
    /// boundary and ends with "…". (Only the body is cut: the other fields are short by
    /// construction, and a notification without its links would be useless.)
    pub fn to_bytes(&self) -> Vec<u8> {
        let whole = self.json(&self.body);
        if whole.len() <= MAX_PAYLOAD_BYTES {
            return whole;
        }
        // The longest prefix that fits, found by bisection over the character boundaries:
        // escaping makes the JSON of a prefix one to six times its length, but never
        // shorter for a longer prefix. JSON is never shorter than the text, so only
        // prefixes up to the limit need trying.
        let cut = |keep: usize| self.json(&format!("{}{ELLIPSIS}", &self.body[..keep]));
        let boundaries: Vec<usize> = self
            .body
            .char_indices()
            .map(|(index, _)| index)
            .take_while(|&index| index <= MAX_PAYLOAD_BYTES)
            .collect();
        // boundaries[fits] fits (or is the empty prefix); boundaries[too_long..] do not.
        let (mut fits, mut too_long) = (0, boundaries.len());
        while too_long - fits > 1 {
            let middle = fits + (too_long - fits) / 2;
            if cut(boundaries[middle]).len() <= MAX_PAYLOAD_BYTES {
                fits = middle;
            } else {
                too_long = middle;
            }
        }
        cut(boundaries.get(fits).copied().unwrap_or(0))
    }

    /// The JSON of this payload with `body` in place of its own.
    fn json(&self, body: &str) -> Vec<u8> {
        let wire = Wire {
            title: &self.title,
            body,
            conversation_id: &self.conversation_id,
            message_id: &self.message_id,
            url: &self.url,
            tag: &self.tag,
        };
        // Serialising a struct of strings into memory cannot fail.
        serde_json::to_vec(&wire).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn payload(body: &str) -> PushPayload {
        PushPayload {
            title: "Ms Rivera".to_owned(),
            body: body.to_owned(),
            conversation_id: "s1+t1".to_owned(),
            message_id: "01J0000000000000000000000".to_owned(),
            url: "/chat/s1+t1".to_owned(),
            tag: "conversation:s1+t1".to_owned(),
        }
    }

    fn parsed(bytes: &[u8]) -> serde_json::Value {
        serde_json::from_slice(bytes).unwrap()
    }

    #[test]
    fn a_short_payload_is_camel_case_json_as_it_is() {
        let json = parsed(&payload("See you at 9 \"sharp\"").to_bytes());
        assert_eq!(
            json,
            serde_json::json!({
                "title": "Ms Rivera",
                "body": "See you at 9 \"sharp\"",
                "conversationId": "s1+t1",
                "messageId": "01J0000000000000000000000",
                "url": "/chat/s1+t1",
                "tag": "conversation:s1+t1",
            })
        );
    }

    #[test]
    fn a_long_body_is_cut_on_a_character_boundary_with_an_ellipsis() {
        for unit in ["a", "é", "€", "😀", "\"", "\n"] {
            let body = unit.repeat(4_000);
            let bytes = payload(&body).to_bytes();
            assert!(
                bytes.len() <= MAX_PAYLOAD_BYTES,
                "{unit:?}: {}",
                bytes.len()
            );
            let json = parsed(&bytes);
            let cut = json["body"].as_str().unwrap();
            assert!(cut.ends_with(ELLIPSIS), "{unit:?}");
            let kept = cut.strip_suffix(ELLIPSIS).unwrap();
            assert!(body.starts_with(kept), "{unit:?}");
            // Nearly everything that fits is kept.
            assert!(
                bytes.len() > MAX_PAYLOAD_BYTES - 16,
                "{unit:?}: {}",
                bytes.len()
            );
        }
    }

    #[test]
    fn a_body_that_just_fits_is_not_cut() {
        let empty = payload("").to_bytes().len();
        let body = "x".repeat(MAX_PAYLOAD_BYTES - empty);
        let bytes = payload(&body).to_bytes();
        assert_eq!(bytes.len(), MAX_PAYLOAD_BYTES);
        assert_eq!(parsed(&bytes)["body"], body.as_str());
        let over = payload(&format!("{body}x")).to_bytes();
        assert!(over.len() <= MAX_PAYLOAD_BYTES);
        assert!(parsed(&over)["body"].as_str().unwrap().ends_with(ELLIPSIS));
    }
}
