//! Live delivery for every transport: what happens between `ChatService` publishing an
//! event and a transport writing it to a socket, with no HTTP and no wire format.
//!
//! - [`event`]: an event on its way to connections ([`LiveEvent`]), shared by every
//!   recipient and encoded at most once per wire format ([`WireFormat`]).
//! - [`connection`]: one live connection as the rest of the system sees it: its bounded
//!   outbound queue and backpressure policy, its close reason, its last sign of life.
//! - `outbox`: a connection's bounded queue ([`OutboundReceiver`] is its reading end),
//!   which costs nothing while a connection is idle.
//! - [`registry`]: every live connection of this process by user, sharded so that
//!   deliveries to different users do not take the same lock.
//! - [`replay`]: the one streaming `sync` replay, a batch at a time into a sink.
//! - [`seam`]: the replay/live seam of a connection that receives live events while it
//!   replays: each message once, each conversation in order.
//! - [`close`]: why a connection ends; transports map it to their own codes.
//! - [`hub`]: the single-process [`LocalHub`].
//! - [`Live`]: the registry, its configuration, its clock, and shutdown.
//! - `stages`: the process's delivery histograms ([`LiveStages`]), for `/metrics`.
//!
//! The domain events themselves, and who receives them, are decided by `ChatService`
//! and carried by the core's `Hub` port ([`classchat_core::Event`],
//! [`classchat_core::Delivery`]); this crate fans them out. Transports (the `/chat/ws`
//! socket, GraphQL subscriptions, API Gateway) encode frames; hubs between nodes carry
//! their own envelopes.

pub mod close;
pub mod connection;
pub mod event;
pub mod hub;
mod live;
mod outbox;
pub mod registry;
pub mod replay;
pub mod seam;
mod stages;

pub use close::CloseReason;
pub use connection::{Connection, Outbound};
pub use event::{LiveEvent, WireFormat};
pub use hub::LocalHub;
pub use live::{Live, LiveConfig};
pub use outbox::OutboundReceiver;
pub use registry::{Registration, Registry};
pub use replay::{REPLAY_BATCH, ReplayItem, ReplaySink, replay};
pub use stages::{LiveStages, stages};
