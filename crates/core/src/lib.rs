//! The domain core of classchat: who may say what to whom, and the use-cases that do it.
//!
//! # Layout
//! - [`ids`]: validated identifiers (`UserId`, `MessageId`, `ClientMessageId`).
//! - [`user`]: roles, users, display names and password hashing.
//! - [`conversation`]: `ConversationId`, always `<studentId>+<teacherId>` (or
//!   `<guardianId>+<teacherId>`).
//! - [`time`]: fixed-width microsecond UTC timestamps and the `Clock` port.
//! - [`message`]: the message body rules and the stored `Message`.
//! - [`text`]: which characters names and message bodies may hold, and those rules as the
//!   patterns the OpenAPI document states.
//! - [`link`]: `Link`, an enrollment of a student with a teacher, and its two `Side`s;
//!   `GuardianLink` (whose guardian someone is) and `FamilyLink` (what lets a guardian
//!   and a teacher talk).
//! - [`settings`]: `SchoolSettings`, what an admin decides for everyone.
//! - [`announcement`]: a teacher's message to a whole class, stored as one copy per
//!   student conversation.
//! - [`contact`]: `Contact`, a line of a contact list.
//! - [`audit`]: `AuditEntry`, what an admin did, logged before they did it.
//! - [`policy`]: the access rules, pure functions over roles, ids and relations.
//! - [`store`]: the `Store` port every storage backend implements.
//! - [`memory`]: `MemoryStore`, the reference `Store` in plain data structures, for tests
//!   and examples.
//! - [`hub`]: the `Hub` port that fans events out to the participants' live connections.
//! - [`notify`]: reaching people who are away: hours, preferences, push subscriptions and
//!   the `Notifier` port.
//! - [`rate`]: per-user token buckets (send, typing and `sync` limits).
//! - [`roster`]: school data from the student information system: imported accounts,
//!   classes, and the plan that diffs an import against the store.
//! - [`login_guard`]: sign-in limits per account (growing pauses) and per client address.
//! - [`hashing`]: argon2id on a small pool of its own with a bounded queue.
//! - [`histogram`]: lock-free latency histograms for the stages of a message's path,
//!   rendered for `/metrics`.
//! - [`service`]: `ChatService`, the one place the use-cases live.
//! - [`error`]: `ChatError`, the one error type transports map to their wire format.
//!
//! # Invariant
//! This crate does no I/O of its own: no sockets, no SQL, no files, no HTTP types.
//! Everything outside is reached through the [`store::Store`], [`hub::Hub`] and
//! [`time::Clock`] ports.

pub mod announcement;
pub mod audit;
pub mod contact;
pub mod conversation;
pub mod error;
pub mod hashing;
pub mod histogram;
pub mod hub;
pub mod ids;
pub mod link;
pub mod login_guard;
pub mod memory;
pub mod message;
pub mod moderation;
pub mod notify;
pub mod policy;
pub mod rate;
pub mod roster;
pub mod service;
pub mod settings;
pub mod store;
pub mod text;
pub mod time;
pub mod user;

pub use audit::{AuditAction, AuditEntry};
pub use contact::Contact;
pub use conversation::ConversationId;
pub use error::{ChatError, ErrorCode};
pub use hub::{ConnectionId, Delivery, Event, Hub, NullHub, Revocation};
pub use ids::{ClientMessageId, MessageId, UserId};
pub use link::{FamilyLink, GuardianLink, Link, Side};
pub use memory::MemoryStore;
pub use message::{Message, MessageBody};
pub use service::{ChatService, Limits, LoginAttempt, SignedIn};
pub use store::Store;
pub use time::{Clock, SystemClock, Timestamp};
pub use user::{DisplayName, Password, Role, User};
