//! A connection's bounded outbound queue: a `VecDeque` behind the connection's own lock,
//! and two `Notify`s, one for the writer (something to write) and one for a replay
//! waiting for room.
//!
//! Why not `tokio::sync::mpsc`: an idle socket holds its queue for hours, and an mpsc
//! channel allocates about 1.6 KiB up front (its cache-padded shared state and a first
//! block of 32 slots; measured with heaptrack under `classchat-bench idle`). This queue
//! allocates nothing until something is queued, and gives back what a burst needed once
//! it has drained, so an idle connection costs what its fields take.

use crate::connection::Outbound;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

/// Slots a drained queue may keep; more is given back.
const KEPT_SLOTS: usize = 16;

/// Why an item was not queued.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refused {
    /// The queue holds `capacity` items.
    Full,
    /// The receiver is gone: nobody will write the item.
    Gone,
}

/// The queue shared by a connection (which pushes) and its [`OutboundReceiver`].
pub(crate) struct Outbox {
    state: Mutex<State>,
    capacity: usize,
    /// Woken when an item is queued (one receiver: a stored permit is never lost).
    ready: Notify,
    /// Woken when items leave, for pushes waiting for room.
    room: Notify,
    /// Pushes waiting for room: the receiver wakes them only when there are some.
    waiting: AtomicUsize,
}

struct State {
    items: VecDeque<Outbound>,
    receiver_gone: bool,
}

impl Outbox {
    /// An empty queue of `capacity` items (at least one).
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            state: Mutex::new(State {
                items: VecDeque::new(),
                receiver_gone: false,
            }),
            capacity: capacity.max(1),
            ready: Notify::new(),
            room: Notify::new(),
            waiting: AtomicUsize::new(0),
        }
    }

    /// Most items it holds.
    pub(crate) fn capacity(&self) -> usize {
        self.capacity
    }

    /// Queues `item` without waiting.
    pub(crate) fn try_push(&self, item: Outbound) -> Result<(), Refused> {
        {
            let mut state = self.lock();
            if state.receiver_gone {
                return Err(Refused::Gone);
            }
            if state.items.len() >= self.capacity {
                return Err(Refused::Full);
            }
            state.items.push_back(item);
        }
        self.ready.notify_one();
        Ok(())
    }

    /// Queues `item` once the queue has room for `wanted` items (at most its capacity).
    /// False once the receiver is gone.
    pub(crate) async fn push_with_room(&self, item: Outbound, wanted: usize) -> bool {
        let wanted = wanted.clamp(1, self.capacity);
        self.waiting.fetch_add(1, Ordering::SeqCst);
        let _waiting = Waiting(&self.waiting);
        loop {
            let room = self.room.notified();
            tokio::pin!(room);
            // Registered before the check, so an item leaving in between still wakes it.
            room.as_mut().enable();
            {
                let mut state = self.lock();
                if state.receiver_gone {
                    return false;
                }
                if self.capacity - state.items.len() >= wanted {
                    state.items.push_back(item);
                    drop(state);
                    self.ready.notify_one();
                    return true;
                }
            }
            room.await;
        }
    }

    /// The next item, if one is queued.
    fn pop(&self) -> Option<Outbound> {
        let item = {
            let mut state = self.lock();
            let item = state.items.pop_front();
            if state.items.is_empty() && state.items.capacity() > KEPT_SLOTS {
                state.items = VecDeque::new();
            }
            item
        };
        if item.is_some() && self.waiting.load(Ordering::SeqCst) > 0 {
            self.room.notify_waiters();
        }
        item
    }

    /// The receiver is gone: drop what is queued and refuse what comes.
    fn close(&self) {
        let items = {
            let mut state = self.lock();
            state.receiver_gone = true;
            std::mem::take(&mut state.items)
        };
        drop(items);
        self.room.notify_waiters();
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Counts a push waiting for room while it lives.
struct Waiting<'a>(&'a AtomicUsize);

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// The receiving end of a connection's queue: what the transport writes to its socket,
/// in order. Dropping it empties the queue and makes further pushes fail.
pub struct OutboundReceiver {
    connection: std::sync::Arc<crate::Connection>,
}

impl OutboundReceiver {
    pub(crate) fn new(connection: std::sync::Arc<crate::Connection>) -> Self {
        Self { connection }
    }

    /// The next item, waiting for one; `None` once the connection is closing and nothing
    /// is left. Cancel-safe: an item is taken only when it is returned.
    pub async fn recv(&mut self) -> Option<Outbound> {
        let outbox = self.connection.outbox();
        let closing: &CancellationToken = self.connection.closing();
        loop {
            if let Some(item) = outbox.pop() {
                return Some(taken(item));
            }
            if closing.is_cancelled() {
                return None;
            }
            tokio::select! {
                () = outbox.ready.notified() => {}
                () = closing.cancelled() => {}
            }
        }
    }

    /// The next item, if one is queued now.
    pub fn try_recv(&mut self) -> Option<Outbound> {
        self.connection.outbox().pop().map(taken)
    }
}

/// Counts an event leaving its queue in the delivery histograms.
fn taken(item: Outbound) -> Outbound {
    if let Outbound::Event(event) = &item {
        crate::stages::stages().taken(event);
    }
    item
}

impl Drop for OutboundReceiver {
    fn drop(&mut self) {
        self.connection.outbox().close();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{CloseReason, Connection};
    use classchat_core::{ConnectionId, Timestamp, UserId};
    use std::time::Duration;

    fn connection(capacity: usize) -> (std::sync::Arc<Connection>, OutboundReceiver) {
        let user = UserId::parse("u1").unwrap();
        Connection::new(ConnectionId::new("c1"), user, capacity, Timestamp::MIN)
    }

    fn text(n: usize) -> Outbound {
        Outbound::Text(n.to_string())
    }

    fn texts(receiver: &mut OutboundReceiver) -> Vec<String> {
        std::iter::from_fn(|| receiver.try_recv())
            .map(|item| match item {
                Outbound::Text(text) => text,
                _ => panic!("not a text"),
            })
            .collect()
    }

    #[test]
    fn a_full_queue_refuses_and_a_dropped_receiver_refuses_everything() {
        let (connection, mut receiver) = connection(2);
        assert_eq!(connection.outbox().try_push(text(1)), Ok(()));
        assert_eq!(connection.outbox().try_push(text(2)), Ok(()));
        assert_eq!(connection.outbox().try_push(text(3)), Err(Refused::Full));
        assert_eq!(texts(&mut receiver), ["1", "2"]);
        drop(receiver);
        assert_eq!(connection.outbox().try_push(text(4)), Err(Refused::Gone));
    }

    #[test]
    fn a_drained_queue_gives_back_what_a_burst_took() {
        let (connection, mut receiver) = connection(1000);
        for n in 0..500 {
            assert_eq!(connection.outbox().try_push(text(n)), Ok(()));
        }
        assert_eq!(texts(&mut receiver).len(), 500);
        assert_eq!(connection.outbox().lock().items.capacity(), 0);
    }

    #[tokio::test]
    async fn a_push_waiting_for_room_goes_in_once_enough_has_been_read() {
        let (connection, mut receiver) = connection(4);
        for n in 0..3 {
            assert_eq!(connection.outbox().try_push(text(n)), Ok(()));
        }
        let waiting = {
            let connection = std::sync::Arc::clone(&connection);
            tokio::spawn(async move { connection.outbox().push_with_room(text(9), 3).await })
        };
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(!waiting.is_finished(), "3 free slots wanted, 1 free");
        assert!(matches!(receiver.recv().await, Some(Outbound::Text(t)) if t == "0"));
        assert!(matches!(receiver.recv().await, Some(Outbound::Text(t)) if t == "1"));
        assert!(waiting.await.unwrap());
        assert_eq!(texts(&mut receiver), ["2", "9"]);
    }

    #[tokio::test]
    async fn a_push_waiting_for_room_gives_up_when_the_receiver_goes() {
        let (connection, receiver) = connection(1);
        assert_eq!(connection.outbox().try_push(text(1)), Ok(()));
        let waiting = {
            let connection = std::sync::Arc::clone(&connection);
            tokio::spawn(async move { connection.outbox().push_with_room(text(2), 1).await })
        };
        tokio::time::sleep(Duration::from_millis(20)).await;
        drop(receiver);
        assert!(!waiting.await.unwrap());
    }

    #[tokio::test]
    async fn the_receiver_waits_for_items_and_ends_once_closing_and_empty() {
        let (connection, mut receiver) = connection(8);
        let pusher = {
            let connection = std::sync::Arc::clone(&connection);
            tokio::spawn(async move {
                tokio::time::sleep(Duration::from_millis(20)).await;
                connection.push(text(1));
                connection.push(text(2));
                connection.close(CloseReason::Normal);
            })
        };
        assert!(matches!(receiver.recv().await, Some(Outbound::Text(t)) if t == "1"));
        pusher.await.unwrap();
        assert!(matches!(receiver.recv().await, Some(Outbound::Text(t)) if t == "2"));
        assert!(receiver.recv().await.is_none());
    }
}
