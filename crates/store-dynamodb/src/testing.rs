//! Helpers for tests that run against the DynamoDB emulator (feature `test-support`):
//! this crate's own tests and the server's integration tests when `CLASSCHAT_STORE` is
//! `dynamodb`.
//!
//! `./scripts/test` installs `moto_server`, starts it on a free loopback port and exports
//! its URL as [`ENDPOINT_VAR`]. Without it these helpers panic — a DynamoDB test must fail
//! loudly, never pass by skipping.

pub mod costs;

use crate::{DynamoConfig, DynamoStore, Timeouts};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::Path;
use std::time::Duration;

/// The environment variable holding the emulator's URL.
pub const ENDPOINT_VAR: &str = "CLASSCHAT_TEST_DYNAMODB_ENDPOINT";

/// The emulator's URL.
///
/// # Panics
/// When [`ENDPOINT_VAR`] is not set, saying how to run the tests properly.
pub fn emulator_endpoint() -> String {
    match std::env::var(ENDPOINT_VAR) {
        Ok(endpoint) if !endpoint.trim().is_empty() => endpoint,
        _ => panic!(
            "{ENDPOINT_VAR} is not set: the DynamoDB tests need the emulator. Run \
             ./scripts/test, which installs moto_server into .venv, starts it and sets \
             {ENDPOINT_VAR} (or start one yourself and export its URL)"
        ),
    }
}

/// A table prefix no other test uses.
pub fn fresh_prefix() -> String {
    format!("t{}_", ulid::Ulid::new().to_string().to_lowercase())
}

/// The table prefix for the data "at" `path`: tests written for a database file get
/// tables of their own, and the same tables again when they reopen the same path (a
/// restart).
pub fn prefix_for_path(path: &Path) -> String {
    let mut hasher = DefaultHasher::new();
    path.hash(&mut hasher);
    format!("p{:016x}_", hasher.finish())
}

/// Settings for the emulator at `endpoint` with tables under `prefix`. Timeouts are more
/// generous than production's, because the emulator is one Python process serving every
/// test at once; tests of outage behaviour set their own.
pub fn config(endpoint: &str, prefix: &str) -> DynamoConfig {
    DynamoConfig {
        endpoint: Some(endpoint.to_owned()),
        table_prefix: prefix.to_owned(),
        region: Some(crate::DEFAULT_REGION.to_owned()),
        timeouts: Some(Timeouts {
            connect: Duration::from_secs(2),
            attempt: Duration::from_secs(10),
            operation: Duration::from_secs(30),
            max_attempts: 3,
        }),
    }
}

/// A store on the emulator with its tables under `prefix`, created if needed.
///
/// # Panics
/// When the emulator is not configured or cannot create the tables.
pub async fn store_with_prefix(prefix: &str) -> DynamoStore {
    let store = DynamoStore::connect(&config(&emulator_endpoint(), prefix))
        .await
        .unwrap_or_else(|error| panic!("connect to the DynamoDB emulator: {error}"));
    store
        .create_tables()
        .await
        .unwrap_or_else(|error| panic!("create tables under {prefix:?}: {error}"));
    store
}

/// A store on the emulator with fresh tables.
pub async fn fresh_store() -> DynamoStore {
    store_with_prefix(&fresh_prefix()).await
}

/// [`crate::https_client`] trusting only the PEM certificates in `roots` (no system
/// roots): for tests that serve TLS under a certificate of their own making.
///
/// # Panics
/// On its first request, when `roots` holds no valid PEM certificate (the SDK parses it
/// then).
pub fn https_client_trusting(roots: &[u8]) -> aws_sdk_dynamodb::config::SharedHttpClient {
    use aws_smithy_http_client::tls::{TlsContext, TrustStore};
    let trust = TrustStore::empty().with_pem_certificate(roots);
    crate::https::client(
        TlsContext::builder()
            .with_trust_store(trust)
            .build()
            .unwrap_or_else(|error| panic!("TLS context: {error}")),
    )
}

/// Copies of an announcement written per transaction: an announcement to more students
/// than this takes several.
pub const ANNOUNCEMENT_COPIES_PER_TRANSACTION: usize = crate::announcements::COPIES_PER_TRANSACTION;

/// Makes `announcement` as `append_announcement` does, but writes only its first
/// `transactions` transactions of copies and returns what it did: the state an
/// announcement cut short by a failure midway leaves, for tests of its convergence.
///
/// # Errors
/// As `append_announcement`.
pub async fn announce_in_part(
    store: &DynamoStore,
    announcement: &classchat_core::store::NewAnnouncement,
    transactions: usize,
) -> Result<classchat_core::store::Announced, classchat_core::store::StoreError> {
    crate::announcements::append_in_part(store, announcement, transactions).await
}

/// The store for the data "at" `path`; see [`prefix_for_path`].
pub async fn store_for_path(path: &Path) -> DynamoStore {
    store_with_prefix(&prefix_for_path(path)).await
}

/// Creates `name` keyed on the string `partition` alone, with no index: the shape of no
/// classchat table, for tests of the start-up check.
///
/// # Panics
/// When DynamoDB refuses.
pub async fn create_bare_table(client: &aws_sdk_dynamodb::Client, name: &str, partition: &str) {
    use aws_sdk_dynamodb::types::{
        AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
    };
    client
        .create_table()
        .table_name(name)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name(partition)
                .attribute_type(ScalarAttributeType::S)
                .build()
                .unwrap_or_else(|error| panic!("attribute definition: {error}")),
        )
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name(partition)
                .key_type(KeyType::Hash)
                .build()
                .unwrap_or_else(|error| panic!("key schema: {error}")),
        )
        .send()
        .await
        .unwrap_or_else(|error| panic!("create table {name}: {error}"));
}

/// A dedicated emulator process, for tests that take it down to simulate an outage
/// without disturbing the shared one. Stopped (and reaped) on drop, even after a panic.
///
/// Two kinds of outage: [`Self::pause`] (SIGSTOP) leaves connections hanging with no
/// answer — the timeout path — and [`Self::kill`] (SIGKILL) makes them refused — the
/// crashed-endpoint path. moto keeps its data in memory only, so the emulator runs with
/// `--state`: it logs every request to a file of its own and [`Self::restart`] replays
/// that log on the same port, so a killed and restarted emulator holds everything the
/// killed one had stored and "nothing acknowledged is lost" can be checked.
pub struct Emulator {
    child: std::process::Child,
    port: u16,
    endpoint: String,
    dir: TempDir,
}

/// A temporary directory removed on drop (kept small to avoid a dependency).
struct TempDir(std::path::PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

impl Emulator {
    /// Starts `scripts/moto serve` on a free port and waits until it listens.
    ///
    /// # Panics
    /// When the emulator is not installed (run ./scripts/test) or does not start.
    pub fn start() -> Self {
        // Only run where the shared emulator is configured, i.e. under ./scripts/test.
        emulator_endpoint();
        let dir = std::env::temp_dir().join(format!("classchat-moto-{}", ulid::Ulid::new()));
        std::fs::create_dir_all(&dir).unwrap_or_else(|error| panic!("create {dir:?}: {error}"));
        let dir = TempDir(dir);
        let (child, port) = spawn(&dir.0, None);
        Self {
            child,
            port,
            endpoint: format!("http://127.0.0.1:{port}"),
            dir,
        }
    }

    /// The emulator's URL.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// Freezes the emulator: connections hang, nothing is answered, nothing is forgotten.
    pub fn pause(&self) {
        self.signal("-STOP");
    }

    /// Lets a paused emulator run again.
    pub fn resume(&self) {
        self.signal("-CONT");
    }

    /// Kills the emulator outright (SIGKILL, no chance to clean up) and reaps it: its port
    /// refuses connections until [`Self::restart`].
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Starts a killed emulator again on the same port, replaying every request the
    /// previous one served, and waits until it listens.
    ///
    /// # Panics
    /// When it does not start (e.g. another process took the port meanwhile).
    pub fn restart(&mut self) {
        self.kill();
        let (child, port) = spawn(&self.dir.0, Some(self.port));
        assert_eq!(port, self.port, "the emulator came back on another port");
        self.child = child;
    }

    fn signal(&self, signal: &str) {
        let status = std::process::Command::new("kill")
            .arg(signal)
            .arg(self.child.id().to_string())
            .status()
            .unwrap_or_else(|error| panic!("kill {signal}: {error}"));
        assert!(status.success(), "kill {signal} failed");
    }
}

/// Runs `scripts/moto serve` with its state and port files in `dir` (on `port`, or a free
/// one) and returns it once it listens, with the port it listens on.
fn spawn(dir: &Path, port: Option<u16>) -> (std::process::Child, u16) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let port_file = dir.join("port");
    let _ = std::fs::remove_file(&port_file);
    let mut command = std::process::Command::new(root.join("scripts/moto"));
    command
        .arg("serve")
        .arg("--port-file")
        .arg(&port_file)
        .arg("--state")
        .arg(dir.join("requests.log"))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::inherit());
    if let Some(port) = port {
        command.arg("--port").arg(port.to_string());
    }
    let mut child = command
        .spawn()
        .unwrap_or_else(|error| panic!("start scripts/moto serve: {error}"));
    let started = std::time::Instant::now();
    loop {
        if let Ok(text) = std::fs::read_to_string(&port_file)
            && let Ok(port) = text.trim().parse::<u16>()
        {
            return (child, port);
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!("the emulator exited at start ({status}); run ./scripts/test to install it");
        }
        if started.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the emulator did not report its port within 60 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        // SIGKILL works on a stopped process too.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
