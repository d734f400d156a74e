//! What the store itself holds of safeguarding, read without the API (so looking is never
//! audited): every message's text as stored with its edit and removal, its earlier
//! versions, each conversation's pause, the moderation queue, the legal holds and the
//! school's settings. And the concrete path of a matrix row, whose placeholders name what
//! only exists once the school is running.

use crate::common::TestApp;
use classchat_core::ConversationId;
use classchat_core::store::PageRequest;
use serde_json::{Value, json};

/// The conversations the matrix writes in.
const CONVERSATIONS: [&str; 6] = ["s1+t1", "s2+t1", "s2+t2", "g1+t1", "g2+t1", "g2+t2"];

/// A report id that names no report, for the placeholder before any report exists.
const NO_REPORT: &str = "01J0000000000000000000000A";

/// The store's safeguarding state as JSON (domain values in their `Debug` form).
pub(super) async fn stored_state(app: &TestApp) -> Value {
    let mut conversations = json!({});
    for name in CONVERSATIONS {
        let conversation = ConversationId::parse_canonical(name).expect("canonical");
        let page = PageRequest {
            before: None,
            after: None,
            limit: 200,
        };
        let messages = app
            .store
            .read_messages(&conversation, &page)
            .await
            .expect("read messages")
            .messages;
        let mut stored = Vec::new();
        for message in &messages {
            // Only an edited message has earlier versions.
            let versions = match message.edited_at {
                Some(_) => app
                    .store
                    .message_versions(&conversation, message.timestamp)
                    .await
                    .expect("versions"),
                None => Vec::new(),
            };
            stored.push(json!({
                "message": format!("{message:?}"),
                "versions": format!("{versions:?}"),
            }));
        }
        let pause = app.store.pause(&conversation).await.expect("pause");
        conversations[name] = json!({"messages": stored, "pause": format!("{pause:?}")});
    }
    let reports = app
        .store
        .list_reports(None, None, 200)
        .await
        .expect("reports");
    let holds = app.store.holds().await.expect("holds");
    let settings = app.store.settings().await.expect("settings");
    json!({
        "conversations": conversations,
        "reports": reports.iter().map(|report| format!("{report:?}")).collect::<Vec<_>>(),
        "holds": holds.iter().map(|hold| format!("{hold:?}")).collect::<Vec<_>>(),
        "settings": format!("{settings:?}"),
    })
}

/// `path` with `{seeded}` replaced by the seeded message's timestamp and `{report}` by
/// the newest report's id (one that names no report while there is none).
pub(super) async fn concrete_path(app: &TestApp, path: &str, seeded: &str) -> String {
    let mut path = path.replace("{seeded}", seeded);
    if path.contains("{report}") {
        let newest = app
            .store
            .list_reports(None, None, 1)
            .await
            .expect("reports");
        let id = newest
            .first()
            .map_or_else(|| NO_REPORT.to_owned(), |report| report.id.to_string());
        path = path.replace("{report}", &id);
    }
    path
}
