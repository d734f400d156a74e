//! Fault injection for tests (feature `test-support`): what the store's own tests cannot
//! cause from outside.

use crate::SqliteStore;

/// Kills the store's writer thread the way a panic inside a write would: every later write,
/// and [`classchat_core::Store::ping`], must then fail instead of hanging.
pub async fn crash_writer(store: &SqliteStore) {
    let crash = store.writer.run(|_| -> Result<(), _> {
        panic!("the writer thread crashes (test-support fault injection)")
    });
    // Its answer is the dropped job's error: the thread is gone.
    let _ = crash.await;
}
