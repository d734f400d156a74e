//! Test support (feature `test-support`): a function's real `bootstrap` binary run the way
//! the Lambda service runs a custom runtime, against an emulator of the Lambda Runtime API
//! on loopback ([`RuntimeEmulator`]).
//!
//! The handler tests call the library in-process; this runs the binaries themselves —
//! their `main`, the cold start (environment, Secrets Manager, the store), `lambda_runtime`'s
//! loop and its event (de)serialisation — and measures what the service would bill and
//! report: the init duration, each invocation's duration, and the peak RSS. The
//! integration tests and `classchat-bench lambda` both use it, the bench with the
//! stand-ins of [`create_secret`] and [`ManagementSink`].

mod emulator;
mod events;
mod runtime_api;
mod services;

pub use emulator::{EmulatorError, FunctionError, FunctionSpec, Invocation, InvokeError};
pub use emulator::{MEMORY_SIZE_MB, RuntimeEmulator, Stopped};
pub use events::{FixtureError, WS_CONNECT, WS_DISCONNECT, WS_MESSAGE, http_event, ws_event};
pub use services::{ManagementSink, create_secret};
