//! The matrix-synapse peer: a homeserver from `.venv-synapse` on SQLite with its rate
//! limits lifted and no key servers, users made through the shared-secret registration
//! admin API, one private room per sender/recipient pair.
//! Send = `PUT /rooms/{room}/send`, receive = `/sync` long-poll (see [`crate::matrix`]).

use crate::Common;
use crate::server::absolute;
use anyhow::{Context, bail};
use serde_json::{Value, json};
use sha1::{Digest, Sha1};
use std::process::Stdio;
use std::time::{Duration, Instant};
use tokio::process::{Child, Command};

pub use crate::matrix::{latency, send};

/// A running Synapse; killed on drop.
pub struct Synapse {
    /// `http://127.0.0.1:<port>`.
    pub http: String,
    /// Process id, for RSS.
    pub pid: u32,
    secret: String,
    _child: Child,
    _dir: tempfile::TempDir,
}

/// A registered user.
pub struct MatrixUser {
    /// `@name:bench.local`.
    pub user_id: String,
    /// Its access token.
    pub token: String,
}

const CONFIG: &str = r#"server_name: "bench.local"
pid_file: "DIR/homeserver.pid"
listeners:
  - port: PORT
    bind_addresses: ["127.0.0.1"]
    type: http
    tls: false
    x_forwarded: false
    resources:
      - names: [client]
        compress: false
database:
  name: sqlite3
  args:
    database: "DIR/homeserver.db"
media_store_path: "DIR/media_store"
signing_key_path: "DIR/signing.key"
registration_shared_secret: "SECRET"
macaroon_secret_key: "SECRET-macaroon"
form_secret: "SECRET-form"
report_stats: false
enable_metrics: false
trusted_key_servers: []
suppress_key_server_warning: true
presence:
  enabled: false
rc_message: {per_second: 1000000, burst_count: 1000000}
rc_registration: {per_second: 1000000, burst_count: 1000000}
rc_login:
  address: {per_second: 1000000, burst_count: 1000000}
  account: {per_second: 1000000, burst_count: 1000000}
  failed_attempts: {per_second: 1000000, burst_count: 1000000}
rc_joins:
  local: {per_second: 1000000, burst_count: 1000000}
  remote: {per_second: 1000000, burst_count: 1000000}
rc_joins_per_room: {per_second: 1000000, burst_count: 1000000}
rc_invites:
  per_room: {per_second: 1000000, burst_count: 1000000}
  per_user: {per_second: 1000000, burst_count: 1000000}
  per_issuer: {per_second: 1000000, burst_count: 1000000}
"#;

/// Starts Synapse on a fresh SQLite database.
pub async fn start(common: &Common) -> anyhow::Result<Synapse> {
    let venv = absolute(&common.synapse_venv)?;
    let python = venv.join("bin/python");
    if !python.exists() {
        bail!(
            "no Synapse virtualenv at {} (run scripts/bench, which installs it)",
            venv.display()
        );
    }
    let dir = tempfile::Builder::new()
        .prefix("synapse-bench-")
        .tempdir()?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let secret = format!("bench-{}", ulid::Ulid::new());
    let config = CONFIG
        .replace("DIR", &dir.path().display().to_string())
        .replace("PORT", &port.to_string())
        .replace("SECRET", &secret);
    let config_path = dir.path().join("homeserver.yaml");
    std::fs::write(&config_path, config)?;
    let keys = Command::new(&python)
        .args(["-m", "synapse.app.homeserver", "--generate-keys", "-c"])
        .arg(&config_path)
        .output()
        .await?;
    if !keys.status.success() {
        bail!(
            "synapse --generate-keys failed: {}",
            String::from_utf8_lossy(&keys.stderr)
        );
    }
    let log = std::fs::File::create(dir.path().join("server.log"))?;
    let child = Command::new(&python)
        .args(["-m", "synapse.app.homeserver", "-c"])
        .arg(&config_path)
        .stdout(Stdio::null())
        .stderr(log)
        .kill_on_drop(true)
        .spawn()
        .context("cannot start synapse")?;
    let pid = child.id().context("synapse exited")?;
    let http = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let started = Instant::now();
    loop {
        let versions = client
            .get(format!("{http}/_matrix/client/versions"))
            .send()
            .await;
        if matches!(&versions, Ok(r) if r.status().is_success()) {
            break;
        }
        if started.elapsed() > Duration::from_secs(90) {
            let log = std::fs::read_to_string(dir.path().join("server.log")).unwrap_or_default();
            let tail: Vec<&str> = log.lines().rev().take(15).collect();
            bail!("synapse did not answer within 90 s; log tail: {tail:?}");
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    Ok(Synapse {
        http,
        pid,
        secret,
        _child: child,
        _dir: dir,
    })
}

impl Synapse {
    /// Registers `name` through the shared-secret admin API; returns its access token.
    pub async fn register(&self, http: &reqwest::Client, name: &str) -> anyhow::Result<MatrixUser> {
        let url = format!("{}/_synapse/admin/v1/register", self.http);
        let nonce: Value = http.get(&url).send().await?.json().await?;
        let nonce = nonce["nonce"].as_str().context("no nonce")?.to_string();
        let password = "bench-password";
        let message = format!("{nonce}\0{name}\0{password}\0notadmin");
        let mac = hex::encode(hmac_sha1(self.secret.as_bytes(), message.as_bytes()));
        let body = json!({"nonce": nonce, "username": name, "password": password,
                          "admin": false, "mac": mac});
        let response = http.post(&url).json(&body).send().await?;
        let status = response.status();
        let value: Value = response.json().await?;
        if !status.is_success() {
            bail!("synapse register {name}: {status} {value}");
        }
        Ok(MatrixUser {
            user_id: value["user_id"].as_str().context("no user_id")?.to_string(),
            token: value["access_token"]
                .as_str()
                .context("no token")?
                .to_string(),
        })
    }
}

/// HMAC-SHA1 (RFC 2104), which the registration API's `mac` is.
fn hmac_sha1(key: &[u8], message: &[u8]) -> [u8; 20] {
    let mut block = [0u8; 64];
    if key.len() > 64 {
        block[..20].copy_from_slice(&Sha1::digest(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let pad = |byte: u8| block.map(|k| k ^ byte);
    let inner = Sha1::new()
        .chain_update(pad(0x36))
        .chain_update(message)
        .finalize();
    let outer = Sha1::new()
        .chain_update(pad(0x5c))
        .chain_update(inner)
        .finalize();
    outer.into()
}

#[cfg(test)]
mod tests {
    #[test]
    fn hmac_sha1_matches_rfc_2202() {
        let mac = super::hmac_sha1(b"Jefe", b"what do ya want for nothing?");
        assert_eq!(hex::encode(mac), "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79");
    }
}
