//! The retention job on a serving node: every node runs it, and the store's `retention`
//! lease lets one pass through per period across all of them (see
//! `ChatService::retention_round`).

use classchat_core::ChatService;
use std::sync::Arc;
use std::time::Duration;

/// How often a node asks for the lease at most: a period of a day is looked at hourly,
/// so a pass a crash cut short is picked up within an hour of its lease lapsing.
const MAX_CHECK: Duration = Duration::from_secs(3600);

/// Starts the job for as long as the process lives.
pub fn start(service: &Arc<ChatService>, every: Duration) {
    let service = Arc::clone(service);
    let every_micros = i64::try_from(every.as_micros()).unwrap_or(i64::MAX);
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(every.min(MAX_CHECK).max(Duration::from_millis(100)));
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            match service.retention_round(every_micros).await {
                Ok(Some(report)) if report.retention_days.is_some() => tracing::info!(
                    conversations = report.conversations,
                    messages = report.messages,
                    held = report.held,
                    "retention pass done"
                ),
                Ok(_) => {}
                Err(error) => {
                    tracing::warn!(%error, "the retention pass failed; it runs again next period")
                }
            }
        }
    });
}
