//! The conformance suite against the core's `MemoryStore`, the reference store the core's
//! own unit tests run on: it must answer exactly as the real stores do, or those tests
//! would prove nothing about them.

use classchat_core::MemoryStore;
use classchat_core::store::Store;
use std::sync::Arc;

/// A fresh, empty store; nothing backs it, so the guard is `()`.
async fn make_store() -> (Arc<dyn Store>, ()) {
    (Arc::new(MemoryStore::new()), ())
}

classchat_store_conformance::conformance_suite!(make_store);
