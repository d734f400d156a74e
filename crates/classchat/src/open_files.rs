//! The open-file limit: every connection, socket and database file is a descriptor.
//!
//! Services usually start with a soft `RLIMIT_NOFILE` of 1024, which a few hundred idle
//! clients exhaust (and then nobody can connect), while the hard limit a process may raise
//! itself to is far higher (systemd's default is 524288). `serve` and `demo` raise the soft
//! limit to the hard one at start-up; beyond that only the operator can go, with
//! `LimitNOFILE=` in the systemd unit or `ulimit -Hn` (README, "Running it for real").

/// Below this many descriptors the log suggests raising the hard limit: enough for a
/// school's connections with room for the store, Redis and the accept loop's spare.
const COMFORTABLE: u64 = 8192;

/// The usual soft limit, assumed if the system will not say.
const USUAL_DEFAULT: u64 = 1024;

/// Raises the soft open-file limit to the hard limit, logs the outcome, and returns the
/// limit now in force: how many descriptors this process may hold, which any connection
/// cap must stay below.
pub fn raise_open_file_limit() -> u64 {
    let limit = raise();
    if limit < COMFORTABLE {
        tracing::warn!(
            open_files = limit,
            "the open-file limit is low: each connection takes a descriptor; raise the \
             hard limit (systemd: LimitNOFILE=65536 in the unit; a shell: ulimit -Hn)"
        );
    }
    limit
}

#[cfg(unix)]
fn raise() -> u64 {
    use rlimit::Resource;
    let (soft, hard) = match Resource::NOFILE.get() {
        Ok(limits) => limits,
        Err(error) => {
            tracing::warn!(%error, "cannot read the open-file limit");
            return USUAL_DEFAULT;
        }
    };
    match rlimit::increase_nofile_limit(hard) {
        Ok(raised) if raised > soft => {
            tracing::info!(
                open_files = raised,
                was = soft,
                hard,
                "raised the open-file limit to the hard limit"
            );
            raised
        }
        Ok(unchanged) => {
            tracing::info!(open_files = unchanged, hard, "open-file limit");
            unchanged
        }
        Err(error) => {
            tracing::warn!(%error, open_files = soft, hard, "cannot raise the open-file limit");
            soft
        }
    }
}

#[cfg(not(unix))]
fn raise() -> u64 {
    USUAL_DEFAULT
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn the_soft_limit_ends_at_the_hard_limit() {
        let (_, hard) = rlimit::Resource::NOFILE.get().unwrap();
        let limit = raise_open_file_limit();
        assert_eq!(rlimit::Resource::NOFILE.get().unwrap(), (limit, hard));
        // macOS caps the soft limit below an unlimited hard one; elsewhere they meet.
        if cfg!(target_os = "linux") {
            assert_eq!(limit, hard);
        }
    }
}
