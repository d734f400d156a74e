//! The checked-in schema, and the schema's own rules (limits, codes) without HTTP. The
//! operations themselves are tested end to end in `classchat-server`'s `api` tests; the
//! family fields, which map the core's one `family` list per line, here (`families`); the
//! safeguarding mutations (`moderation`) and their live events over a socket served in
//! process (`moderation_live`), on the small school of `school`.

mod families;
mod moderation;
mod moderation_live;
mod school;

use super::*;
use classchat_core::{ChatService, MemoryStore, SystemClock};
use std::path::Path;
use std::sync::Arc;

fn api() -> Api {
    api_over(Arc::new(MemoryStore::new())).0
}

/// The API over a service over `store`, and that service (to set up what the schema does
/// not: links, settings).
fn api_over(store: Arc<MemoryStore>) -> (Api, Arc<ChatService>) {
    let service = Arc::new(ChatService::new(store, Arc::new(SystemClock)));
    let api = Api::new(
        Arc::clone(&service),
        Arc::new(SystemClock),
        GraphqlLimits::default(),
    );
    (api, service)
}

/// `schema.graphql` is what the server serves. After a deliberate change, rewrite it with
/// `CLASSCHAT_WRITE_SCHEMA=1 cargo test -p classchat-graphql` and review the diff.
#[test]
fn the_checked_in_schema_is_the_served_one() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("schema.graphql");
    let served = api().sdl();
    if std::env::var_os("CLASSCHAT_WRITE_SCHEMA").is_some() {
        std::fs::write(&path, &served).unwrap();
    }
    let checked_in = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        checked_in == served,
        "schema.graphql differs from the served schema; if the change is meant, rewrite it \
         with CLASSCHAT_WRITE_SCHEMA=1 cargo test -p classchat-graphql\n--- served ---\n{served}"
    );
}

/// A refusal as a whole response's error: its message and code, nothing else.
#[test]
fn a_refusal_is_a_message_and_a_code() {
    let refusal = crate::error::refusal(classchat_core::ChatError::RateLimited);
    assert_eq!(
        serde_json::to_value([refusal]).unwrap(),
        serde_json::json!([{
            "message": "too many messages too quickly; wait a moment and retry",
            "extensions": {"code": "rate_limited"},
        }])
    );
}
