//! The shared Store conformance suite, run against DynamoDB (the emulator started by
//! ./scripts/test) with fresh tables for every test.

use classchat_core::store::Store;
use classchat_store_dynamodb::testing;
use std::sync::Arc;

/// A store over tables of its own; the emulator keeps them until it stops.
async fn make_store() -> (Arc<dyn Store>, ()) {
    (Arc::new(testing::fresh_store().await), ())
}

classchat_store_conformance::conformance_suite!(make_store);
