//! An event on its way to live connections: shared by every recipient (one allocation
//! per event, not per connection) and encoded at most once per wire format, by whichever
//! connection's writer needs it first.

use classchat_core::{Event, MessageId};
use std::any::Any;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

/// A client wire format: how a transport turns an event into its frame.
pub trait WireFormat: 'static {
    /// The encoded frame, cheap to clone (reference-counted bytes).
    type Frame: Clone + Send + Sync + 'static;
    /// Encodes `event`. Called at most once per event (see [`LiveEvent::encoded`]).
    fn encode(event: &Event) -> Self::Frame;
}

/// Wire formats whose encoding an event caches; a further format still works, encoding
/// for each connection. Today there are two: `/chat/ws` and GraphQL.
const CACHED_FORMATS: usize = 4;

/// One format's encoding, tagged by the format's type so two formats with the same frame
/// type never mix.
struct Cached<F: WireFormat>(F::Frame);

/// An event shared by its recipients' connections.
pub struct LiveEvent {
    event: Event,
    encodings: [OnceLock<Box<dyn Any + Send + Sync>>; CACHED_FORMATS],
    /// When it entered live delivery, for the delivery histograms (`stages`).
    born: Instant,
    /// Whether it is a stored message replayed to one connection rather than a live event.
    replayed: bool,
}

impl LiveEvent {
    /// Shares `event` with its recipients.
    pub fn new(event: Event) -> Arc<Self> {
        Self::shared(event, false)
    }

    /// A stored event replayed to one connection (a `sync`): delivered like a live one,
    /// but left out of the delivery histograms.
    pub fn replayed(event: Event) -> Arc<Self> {
        Self::shared(event, true)
    }

    fn shared(event: Event, replayed: bool) -> Arc<Self> {
        Arc::new(Self {
            event,
            encodings: Default::default(),
            born: Instant::now(),
            replayed,
        })
    }

    /// How long ago it entered live delivery.
    pub(crate) fn age(&self) -> Duration {
        self.born.elapsed()
    }

    /// Whether it is a replayed stored event.
    pub(crate) fn is_replayed(&self) -> bool {
        self.replayed
    }

    /// The event.
    pub fn event(&self) -> &Event {
        &self.event
    }

    /// The message's id, for a message event: these take part in the replay seam.
    pub fn message_id(&self) -> Option<MessageId> {
        match &self.event {
            Event::Message(message) => Some(message.message_id),
            _ => None,
        }
    }

    /// The event in format `F`, encoded by the first caller and shared with the rest.
    pub fn encoded<F: WireFormat>(&self) -> F::Frame {
        for slot in &self.encodings {
            // An empty slot takes this format; a slot holding another format is passed.
            let cached = slot.get_or_init(|| Box::new(Cached::<F>(F::encode(&self.event))));
            if let Some(Cached(frame)) = cached.downcast_ref::<Cached<F>>() {
                return frame.clone();
            }
        }
        F::encode(&self.event)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use classchat_core::UserId;
    use std::sync::atomic::{AtomicUsize, Ordering};

    static UPPER_CALLS: AtomicUsize = AtomicUsize::new(0);
    static LOWER_CALLS: AtomicUsize = AtomicUsize::new(0);

    struct Upper;
    impl WireFormat for Upper {
        type Frame = Arc<str>;
        fn encode(event: &Event) -> Arc<str> {
            UPPER_CALLS.fetch_add(1, Ordering::SeqCst);
            format!("{event:?}").to_uppercase().into()
        }
    }

    struct Lower;
    impl WireFormat for Lower {
        type Frame = Arc<str>;
        fn encode(event: &Event) -> Arc<str> {
            LOWER_CALLS.fetch_add(1, Ordering::SeqCst);
            format!("{event:?}").to_lowercase().into()
        }
    }

    #[test]
    fn each_format_is_encoded_once_and_shared() {
        let event = LiveEvent::new(Event::Presence {
            user: UserId::parse("t1").unwrap(),
            online: true,
        });
        let first: Vec<Arc<str>> = (0..100).map(|_| event.encoded::<Upper>()).collect();
        let second: Vec<Arc<str>> = (0..100).map(|_| event.encoded::<Lower>()).collect();
        assert_eq!(UPPER_CALLS.load(Ordering::SeqCst), 1);
        assert_eq!(LOWER_CALLS.load(Ordering::SeqCst), 1);
        assert!(first.iter().all(|frame| Arc::ptr_eq(frame, &first[0])));
        assert!(first[0].contains("PRESENCE"), "{}", first[0]);
        assert!(second[0].contains("presence"), "{}", second[0]);
    }
}
