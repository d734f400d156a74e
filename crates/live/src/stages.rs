//! How long delivery takes inside the server, for `/metrics` and `classchat-bench`: from an
//! event's entering live delivery (a hub handing it over, after its commit) to the moment a
//! transport's writer takes it from a connection's queue, and, for a new message, from its
//! arrival at the server to that same moment. Process-wide, like every Prometheus counter:
//! each connection records into the same histograms, whichever `Live` it belongs to.

use crate::LiveEvent;
use classchat_core::histogram::Histogram;
use classchat_core::{Clock, Event, SystemClock};
use std::time::Duration;

/// The delivery histograms.
#[derive(Default)]
pub struct LiveStages {
    /// From an event's entering live delivery to a writer taking it: the fan-out, the
    /// connection's queue and the wait for its writer task to run.
    queued: Histogram,
    /// From a message's arrival (its timestamp) to a writer taking it: the whole server
    /// side of a message's trip from sender to recipient.
    since_arrival: Histogram,
}

static STAGES: std::sync::LazyLock<LiveStages> = std::sync::LazyLock::new(LiveStages::default);

/// The process's delivery histograms.
pub fn stages() -> &'static LiveStages {
    &STAGES
}

impl LiveStages {
    /// Counts one event a writer took from a connection's queue. A replayed event is not
    /// counted: its message arrived long ago and it was queued for this connection alone.
    pub(crate) fn taken(&self, event: &LiveEvent) {
        if event.is_replayed() {
            return;
        }
        self.queued.observe(event.age());
        if let Event::Message(message) = event.event() {
            // Timestamps are the system clock's (the service's `SystemClock`).
            let micros = SystemClock
                .now()
                .as_micros()
                .saturating_sub(message.timestamp.as_micros())
                .max(0);
            self.since_arrival
                .observe(Duration::from_micros(micros.unsigned_abs()));
        }
    }

    /// Appends the histograms in the Prometheus text format.
    pub fn render(&self, out: &mut String) {
        self.queued.render(
            out,
            "classchat_live_queued_seconds",
            "Time from an event's entering live delivery to a connection's writer taking it.",
        );
        self.since_arrival.render(
            out,
            "classchat_live_since_arrival_seconds",
            "Time from a message's arrival at the server to a recipient connection's writer taking it.",
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use classchat_core::message::{MessageBody, NewMessage};
    use classchat_core::{ConversationId, MessageId, Timestamp, UserId};

    fn message_event(replayed: bool) -> std::sync::Arc<LiveEvent> {
        let (student, teacher) = (UserId::parse("s1").unwrap(), UserId::parse("t1").unwrap());
        let message = NewMessage {
            conversation_id: ConversationId::new(student.clone(), teacher),
            proposed: Timestamp::from_micros(1).unwrap(),
            author: student,
            body: MessageBody::parse("hi").unwrap(),
            message_id: MessageId::generate(),
            client_message_id: None,
            announcement_id: None,
            via: None,
        }
        .stored_after(None);
        let event = Event::Message(message);
        if replayed {
            LiveEvent::replayed(event)
        } else {
            LiveEvent::new(event)
        }
    }

    #[test]
    fn a_live_message_counts_in_both_histograms_and_a_replayed_one_in_neither() {
        let stages = LiveStages::default();
        stages.taken(&message_event(true));
        assert_eq!(
            (stages.queued.count(), stages.since_arrival.count()),
            (0, 0)
        );
        stages.taken(&message_event(false));
        assert_eq!(
            (stages.queued.count(), stages.since_arrival.count()),
            (1, 1)
        );
        let presence = LiveEvent::new(Event::Presence {
            user: UserId::parse("t1").unwrap(),
            online: true,
        });
        stages.taken(&presence);
        assert_eq!(
            (stages.queued.count(), stages.since_arrival.count()),
            (2, 1)
        );
    }
}
