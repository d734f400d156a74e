//! What the tests share: the loopback push service and browser of
//! `classchat_notify::testing`, and a push client as these tests configure it.

use classchat_notify::push::{PushClient, PushConfig, VapidKeys};
pub use classchat_notify::testing::{Browser, PushService};
use std::time::Duration;

/// A push client as tests configure it.
pub fn client(keys: VapidKeys, allow_loopback: bool, timeout: Duration) -> PushClient {
    PushClient::new(
        keys,
        PushConfig {
            subject: "mailto:ops@school.example".to_owned(),
            allow_loopback,
            timeout,
        },
    )
    .expect("a push client")
}
