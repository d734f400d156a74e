//! The process's open-file limit, which bounds how many connections it can hold.

/// The soft limit on open files (descriptors) of this process; a conservative 1024 when
/// it cannot be read.
pub fn open_file_limit() -> u64 {
    rlimit::getrlimit(rlimit::Resource::NOFILE).map_or(1024, |(soft, _hard)| soft)
}
