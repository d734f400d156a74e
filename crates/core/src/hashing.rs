//! Password hashing on a small pool of its own.
//!
//! argon2id is deliberately expensive: with OWASP's parameters (the crate's defaults) one
//! hash fills 19 MiB and takes tens of milliseconds of one core. Run on tokio's blocking
//! pool, as it once was, a flood of wrong-password logins started one hash per request
//! with no bound: 200 parallel attempts took RSS to 11.8 GB (every hash allocating its own
//! 19 MiB) and starved the SQLite reads that share that pool. Here hashing has
//!
//! - its own threads, one per two cores, so it can never take the store's threads nor
//!   every core;
//! - a short wait queue: when it is full the caller is refused at once
//!   ([`ChatError::Busy`], a 503 with `Retry-After`) instead of queueing without limit;
//! - a second, priority lane for sign-ins from devices that signed in to that account
//!   before ([`Lane::Trusted`]): a flood of guesses from many addresses fills the open
//!   lane, but the account's owner is still served next;
//! - one block buffer per thread, allocated once and reused by every hash, so memory is
//!   `threads × 19 MiB` however many requests arrive.

use crate::error::ChatError;
use crate::user::Password;
use argon2::password_hash::{Output, ParamsString, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use std::collections::VecDeque;
use std::sync::{Arc, Condvar, Mutex};
use tokio::sync::oneshot;

/// The most memory a stored hash may ask for (in KiB, argon2's `m`): four times today's
/// parameters. A hash asking for more never matches, so a tampered row cannot make one
/// login allocate gigabytes.
const MAX_MEMORY_KIB: u32 = 4 * Params::DEFAULT_M_COST;

/// The longest salt accepted from a stored hash, in bytes (the PHC format's limit).
const MAX_SALT_BYTES: usize = 64;

/// How much hashing may happen at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HashingConfig {
    /// Threads hashing in parallel; each keeps its 19 MiB buffer for good.
    pub threads: usize,
    /// Hashes that may wait for a thread; one more is refused with [`ChatError::Busy`].
    pub queue: usize,
}

impl Default for HashingConfig {
    /// A thread per two cores (at least one, at most 8), so a flood of logins leaves the
    /// other cores to everyone else, and 32 waiting hashes per thread: a class signing in
    /// together waits under a second (a hash takes 20–30 ms of one core), a flood beyond
    /// that is refused.
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get);
        let threads = cores.div_ceil(2).clamp(1, 8);
        Self {
            threads,
            queue: threads * 32,
        }
    }
}

/// Which queue a piece of work waits in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lane {
    /// Everyone: new passwords and sign-ins from devices the server does not know.
    Open,
    /// Sign-ins from a device that has signed in to that account before (it shows a
    /// device token): served before anything in [`Lane::Open`], so a flood of strangers'
    /// guesses, which fills the open lane, cannot keep the account's owner out.
    Trusted,
}

/// One piece of work for a hashing thread.
enum Job {
    Hash {
        password: Password,
        reply: oneshot::Sender<Result<String, ChatError>>,
    },
    Verify {
        password: Password,
        stored: String,
        reply: oneshot::Sender<bool>,
    },
    /// Holds its thread until the sender is dropped (tests: a thread that is busy for as
    /// long as the test needs).
    #[cfg(test)]
    Hold(std::sync::mpsc::Receiver<()>),
}

/// The waiting work of both lanes, and how many threads wait for some.
#[derive(Default)]
struct Queues {
    open: VecDeque<Job>,
    trusted: VecDeque<Job>,
    idle: usize,
    closed: bool,
}

/// What the pool and its threads share.
struct Shared {
    queues: Mutex<Queues>,
    work_waiting: Condvar,
    /// Jobs one lane may hold waiting (beyond those an idle thread takes at once).
    capacity: usize,
}

impl Shared {
    fn lock(&self) -> std::sync::MutexGuard<'_, Queues> {
        self.queues
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The hashing threads and their queues. Dropping the pool lets the threads finish the
/// queued work and exit.
pub struct HashingPool {
    shared: Arc<Shared>,
    threads: usize,
}

impl HashingPool {
    /// Starts `config.threads` hashing threads.
    pub fn new(config: HashingConfig) -> Self {
        let shared = Arc::new(Shared {
            queues: Mutex::default(),
            work_waiting: Condvar::new(),
            capacity: config.queue,
        });
        let threads = (0..config.threads.max(1))
            .filter(|index| {
                let shared = Arc::clone(&shared);
                std::thread::Builder::new()
                    .name(format!("classchat-hash-{index}"))
                    .spawn(move || work(&shared))
                    .is_ok()
            })
            .count();
        Self { shared, threads }
    }

    /// Hashes a new password with argon2id, today's parameters and a random salt, as a
    /// PHC string.
    pub async fn hash(&self, password: Password) -> Result<String, ChatError> {
        let (reply, answer) = oneshot::channel();
        self.submit(Job::Hash { password, reply }, Lane::Open)?;
        answer.await.map_err(|_| lost())?
    }

    /// Hashes each of `secrets` like [`Self::hash`], in order, with at most one job per
    /// hashing thread queued at a time: a batch (the sign-in codes of a whole year group)
    /// runs on every thread at once, yet never fills the open lane, so a sign-in arriving
    /// meanwhile waits behind at most one of its jobs per thread, not behind all of them.
    pub(crate) async fn hash_all(&self, secrets: Vec<Password>) -> Result<Vec<String>, ChatError> {
        let mut hashes = Vec::with_capacity(secrets.len());
        let mut pending = VecDeque::with_capacity(self.threads);
        for password in secrets {
            if pending.len() >= self.threads.max(1)
                && let Some(answer) = pending.pop_front()
            {
                hashes.push(Self::answer(answer).await?);
            }
            let (reply, answer) = oneshot::channel();
            self.submit(Job::Hash { password, reply }, Lane::Open)?;
            pending.push_back(answer);
        }
        for answer in pending {
            hashes.push(Self::answer(answer).await?);
        }
        Ok(hashes)
    }

    async fn answer(
        answer: oneshot::Receiver<Result<String, ChatError>>,
    ) -> Result<String, ChatError> {
        answer.await.map_err(|_| lost())?
    }

    /// Whether `password` matches the PHC hash `stored`, waiting in `lane`. A malformed
    /// hash, or one asking for more memory than [`MAX_MEMORY_KIB`], never matches.
    pub async fn verify(
        &self,
        password: Password,
        stored: String,
        lane: Lane,
    ) -> Result<bool, ChatError> {
        let (reply, answer) = oneshot::channel();
        self.submit(
            Job::Verify {
                password,
                stored,
                reply,
            },
            lane,
        )?;
        answer.await.map_err(|_| lost())
    }

    fn submit(&self, job: Job, lane: Lane) -> Result<(), ChatError> {
        if self.threads == 0 {
            return Err(ChatError::Internal(
                "no password hashing thread could start".into(),
            ));
        }
        let mut queues = self.shared.lock();
        let waiting = queues.open.len() + queues.trusted.len();
        let idle = queues.idle;
        let queue = match lane {
            Lane::Open => &mut queues.open,
            Lane::Trusted => &mut queues.trusted,
        };
        // Room in the lane, or a thread idle to take it now.
        if queue.len() >= self.shared.capacity && waiting >= idle {
            return Err(ChatError::Busy);
        }
        queue.push_back(job);
        drop(queues);
        self.shared.work_waiting.notify_one();
        Ok(())
    }
}

impl Drop for HashingPool {
    fn drop(&mut self) {
        self.shared.lock().closed = true;
        self.shared.work_waiting.notify_all();
    }
}

fn lost() -> ChatError {
    ChatError::Internal("a password hashing thread stopped".into())
}

/// A hashing thread: takes the trusted lane's work first, until the pool is dropped and
/// nothing is left, reusing one block buffer.
fn work(shared: &Shared) {
    let mut blocks: Vec<Block> = Vec::new();
    loop {
        let job = {
            let mut queues = shared.lock();
            loop {
                if let Some(job) = queues
                    .trusted
                    .pop_front()
                    .or_else(|| queues.open.pop_front())
                {
                    break job;
                }
                if queues.closed {
                    return;
                }
                queues.idle += 1;
                queues = shared
                    .work_waiting
                    .wait(queues)
                    .unwrap_or_else(|poisoned| poisoned.into_inner());
                queues.idle -= 1;
            }
        };
        match job {
            Job::Hash { password, reply } => {
                let _ = reply.send(hash_with(&mut blocks, &password));
            }
            Job::Verify {
                password,
                stored,
                reply,
            } => {
                let _ = reply.send(verify_with(&mut blocks, &password, &stored));
            }
            #[cfg(test)]
            Job::Hold(release) => {
                let _ = release.recv();
            }
        }
    }
}

/// Grows `blocks` to what `params` needs (never shrinks: the next hash needs it again).
fn blocks_for<'a>(blocks: &'a mut Vec<Block>, params: &Params) -> &'a mut [Block] {
    let needed = params.block_count();
    if blocks.len() < needed {
        blocks.resize(needed, Block::default());
    }
    &mut blocks[..needed]
}

fn hash_with(blocks: &mut Vec<Block>, password: &Password) -> Result<String, ChatError> {
    let failed = |error: &dyn std::fmt::Display| {
        ChatError::Internal(format!("password hashing failed: {error}"))
    };
    let params = Params::default();
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    let mut salt_bytes = [0u8; MAX_SALT_BYTES];
    let salt_bytes = salt
        .as_salt()
        .decode_b64(&mut salt_bytes)
        .map_err(|error| failed(&error))?;
    let mut output = [0u8; Params::DEFAULT_OUTPUT_LEN];
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone())
        .hash_password_into_with_memory(
            password.as_bytes(),
            salt_bytes,
            &mut output,
            blocks_for(blocks, &params),
        )
        .map_err(|error| failed(&error))?;
    let hash = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(&params).map_err(|error| failed(&error))?,
        salt: Some(salt.as_salt()),
        hash: Some(Output::new(&output).map_err(|error| failed(&error))?),
    };
    Ok(hash.to_string())
}

fn verify_with(blocks: &mut Vec<Block>, password: &Password, stored: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(stored) else {
        return false;
    };
    let (Some(expected), Some(salt)) = (parsed.hash, parsed.salt) else {
        return false;
    };
    let Ok(algorithm) = Algorithm::try_from(parsed.algorithm) else {
        return false;
    };
    let version = match parsed.version.map(Version::try_from).transpose() {
        Ok(version) => version.unwrap_or_default(),
        Err(_) => return false,
    };
    let Ok(params) = Params::try_from(&parsed) else {
        return false;
    };
    if params.m_cost() > MAX_MEMORY_KIB {
        return false;
    }
    let mut salt_bytes = [0u8; MAX_SALT_BYTES];
    let Ok(salt_bytes) = salt.decode_b64(&mut salt_bytes) else {
        return false;
    };
    let mut output = vec![0u8; expected.len()];
    let hashed = Argon2::new(algorithm, version, params.clone()).hash_password_into_with_memory(
        password.as_bytes(),
        salt_bytes,
        &mut output,
        blocks_for(blocks, &params),
    );
    // `Output`'s equality is constant-time.
    hashed.is_ok() && Output::new(&output).is_ok_and(|computed| computed == expected)
}

#[cfg(test)]
mod tests {
    use super::*;
    use argon2::PasswordVerifier;

    fn pool(threads: usize, queue: usize) -> HashingPool {
        HashingPool::new(HashingConfig { threads, queue })
    }

    #[tokio::test]
    async fn hashes_are_argon2id_and_verify_with_the_reference_implementation() {
        let pool = pool(1, 4);
        let password = Password::new("correct horse").unwrap();
        let hash = pool.hash(password.clone()).await.unwrap();
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
        let parsed = PasswordHash::new(&hash).unwrap();
        assert!(
            Argon2::default()
                .verify_password(b"correct horse", &parsed)
                .is_ok()
        );
        assert!(
            pool.verify(password, hash.clone(), Lane::Open)
                .await
                .unwrap()
        );
        let wrong = Password::attempt("wrong horse").unwrap();
        assert!(!pool.verify(wrong, hash, Lane::Trusted).await.unwrap());
    }

    #[tokio::test]
    async fn hashes_made_elsewhere_verify_and_bad_ones_never_match() {
        use argon2::PasswordHasher;
        let pool = pool(1, 4);
        let salt = SaltString::generate(&mut rand::rngs::OsRng);
        // Other parameters than today's: the buffer grows to fit.
        let params = Params::new(32 * 1024, 1, 1, None).unwrap();
        let elsewhere = Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
            .hash_password(b"s3cret pass", &salt)
            .unwrap()
            .to_string();
        let attempt = |raw: &str| Password::attempt(raw).unwrap();
        assert!(
            pool.verify(attempt("s3cret pass"), elsewhere, Lane::Open)
                .await
                .unwrap()
        );
        let greedy = format!(
            "$argon2id$v=19$m={},t=1,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g",
            MAX_MEMORY_KIB + 1
        );
        for stored in ["not a hash", "", "$argon2id$v=19$m=19456,t=2,p=1$", &greedy] {
            assert!(
                !pool
                    .verify(attempt("s3cret pass"), stored.to_owned(), Lane::Open)
                    .await
                    .unwrap(),
                "{stored}"
            );
        }
    }

    #[tokio::test]
    async fn a_batch_is_hashed_in_order_without_filling_the_queue() {
        // A queue of two: a batch of five fits only because it queues at most one job per
        // thread at a time.
        let pool = pool(2, 2);
        let secrets: Vec<_> = (0..5)
            .map(|index| Password::new(&format!("secret-{index}")).unwrap())
            .collect();
        let hashes = pool.hash_all(secrets.clone()).await.unwrap();
        assert_eq!(hashes.len(), 5);
        for (secret, hash) in secrets.into_iter().zip(hashes) {
            assert!(pool.verify(secret, hash, Lane::Open).await.unwrap());
        }
        assert!(pool.hash_all(Vec::new()).await.unwrap().is_empty());
    }

    #[tokio::test]
    async fn a_full_queue_refuses_at_once_instead_of_waiting() {
        // One thread and no queue: a handful of simultaneous hashes cannot all be taken.
        let pool = Arc::new(pool(1, 0));
        let attempts: Vec<_> = (0..8)
            .map(|_| {
                let pool = Arc::clone(&pool);
                tokio::spawn(async move { pool.hash(Password::new("password1").unwrap()).await })
            })
            .collect();
        let mut results = Vec::new();
        for attempt in attempts {
            results.push(attempt.await);
        }
        let busy = results
            .iter()
            .filter(|result| matches!(result, Ok(Err(ChatError::Busy))))
            .count();
        assert!(busy >= 1, "{results:?}");
        assert!(
            results
                .iter()
                .all(|result| matches!(result, Ok(Ok(_) | Err(ChatError::Busy)))),
            "{results:?}"
        );
    }

    #[tokio::test]
    async fn the_trusted_lane_is_served_first_and_has_room_when_the_open_one_is_full() {
        let pool = Arc::new(pool(1, 2));
        let password = Password::new("password1").unwrap();
        let stored = pool.hash(password.clone()).await.unwrap();
        // Keep the only thread busy until the lanes are set up.
        let (release, hold) = std::sync::mpsc::channel();
        pool.submit(Job::Hold(hold), Lane::Open).unwrap();
        while {
            let queues = pool.shared.lock();
            !queues.open.is_empty() || queues.idle > 0
        } {
            tokio::time::sleep(std::time::Duration::from_millis(1)).await;
        }
        let finished = Arc::new(Mutex::new(Vec::new()));
        let start = |lane: Lane, name: &'static str| {
            let (pool, password, stored) = (Arc::clone(&pool), password.clone(), stored.clone());
            let finished = Arc::clone(&finished);
            tokio::spawn(async move {
                let result = pool.verify(password, stored, lane).await;
                finished.lock().unwrap().push(name);
                result
            })
        };
        // Two wait in the open lane, which is then full: the third is refused at once.
        let open: Vec<_> = (0..3).map(|_| start(Lane::Open, "open")).collect();
        while pool.shared.lock().open.len() < 2 {
            tokio::time::sleep(std::time::Duration::from_millis(1)).await;
        }
        let trusted = start(Lane::Trusted, "trusted");
        while pool.shared.lock().trusted.is_empty() {
            tokio::time::sleep(std::time::Duration::from_millis(1)).await;
        }
        drop(release);
        assert_eq!(trusted.await.unwrap(), Ok(true));
        let mut outcomes = Vec::new();
        for task in open {
            outcomes.push(task.await.unwrap());
        }
        assert_eq!(outcomes, [Ok(true), Ok(true), Err(ChatError::Busy)]);
        // The refused one finished at once, then the trusted one before both that waited.
        assert_eq!(
            *finished.lock().unwrap(),
            ["open", "trusted", "open", "open"]
        );
    }
}
