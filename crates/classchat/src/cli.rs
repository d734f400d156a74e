//! The command line: flags beat environment variables beat defaults (DESIGN.md).

use clap::{Args, Parser, Subcommand, ValueEnum};
use classchat_server::HeaderName;
use classchat_server::LiveConfig;
use classchat_store_sqlite::Synchronous;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// classchat: teacher–student messaging for schools.
#[derive(Debug, Parser)]
#[command(name = "classchat", version, about)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the API and web client.
    Serve(ServeArgs),
    /// Create a fresh demo school (teachers, students, links, messages) and serve it.
    Demo(DemoArgs),
    /// Manage users.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage teacher–student links and guardian–student links.
    #[command(subcommand)]
    Link(LinkCommand),
    /// Show or change the school's settings.
    #[command(subcommand)]
    Settings(SettingsCommand),
    /// Set up the DynamoDB tables.
    #[command(subcommand)]
    Tables(TablesCommand),
    /// Write the whole school as JSON Lines: users (never passwords), links, every
    /// message, the audit log. With --user or --conversation, one person's or one
    /// conversation's history instead, as JSON Lines, CSV or a printable HTML transcript.
    /// The export itself is written to the audit log.
    Export(ExportArgs),
    /// Bring the school's people, classes and teacher–student links in from its student
    /// information system (OneRoster CSV).
    #[command(subcommand)]
    Roster(RosterCommand),
    /// Legal holds: keep a user's or a conversation's history whatever the retention
    /// policy says.
    #[command(subcommand)]
    Hold(crate::safeguarding::HoldCommand),
    /// The school's retention policy: preview what it would delete, or run it now.
    #[command(subcommand)]
    Retention(crate::safeguarding::RetentionCommand),
}

/// Which store to use and where it is.
#[derive(Debug, Clone, Args)]
pub struct StoreArgs {
    /// The store backend.
    #[arg(long, env = "CLASSCHAT_STORE", value_enum, default_value_t = StoreKind::Sqlite)]
    pub store: StoreKind,
    /// The SQLite database file.
    #[arg(long, env = "CLASSCHAT_DB", default_value = "./classchat.db")]
    pub db: PathBuf,
    /// SQLite fsync policy: full (acknowledged messages survive power loss), normal or off.
    #[arg(long, env = "CLASSCHAT_SQLITE_SYNCHRONOUS", default_value = "full", value_parser = parse_synchronous)]
    pub sqlite_synchronous: Synchronous,
    /// DynamoDB settings (used with `--store dynamodb`).
    #[command(flatten)]
    pub dynamodb: DynamoArgs,
}

/// Where the DynamoDB tables are. Region and credentials come from the standard AWS chain
/// (`AWS_REGION`, `AWS_PROFILE`, `AWS_ACCESS_KEY_ID`, an instance role, …); the region
/// defaults to us-east-1.
#[derive(Debug, Clone, Default, Args)]
pub struct DynamoArgs {
    /// A custom DynamoDB endpoint URL, e.g. http://127.0.0.1:8000 for a local emulator.
    #[arg(long = "dynamodb-endpoint", env = "CLASSCHAT_DYNAMODB_ENDPOINT")]
    pub endpoint: Option<String>,
    /// Prepended to the table names (`cc_` → `cc_Message`, `cc_UserInfo`, `cc_Connections`).
    #[arg(long, env = "CLASSCHAT_TABLE_PREFIX", default_value = "")]
    pub table_prefix: String,
}

/// The store backends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StoreKind {
    /// Embedded SQLite file (default).
    Sqlite,
    /// Amazon DynamoDB (or a compatible endpoint).
    Dynamodb,
}

/// Settings of the HTTP server.
#[derive(Debug, Clone, Args)]
pub struct HttpArgs {
    /// Address to listen on.
    #[arg(long, env = "CLASSCHAT_ADDR", default_value = "127.0.0.1:8080")]
    pub addr: SocketAddr,
    /// Browser origins allowed to call the API (comma-separated); none by default.
    #[arg(long, env = "CLASSCHAT_CORS_ORIGINS", value_delimiter = ',')]
    pub cors_origins: Vec<String>,
    /// How long a login token stays valid, e.g. 12h, 30m.
    #[arg(long, env = "CLASSCHAT_TOKEN_TTL", default_value = "12h", value_parser = humantime::parse_duration)]
    pub token_ttl: Duration,
    /// Token signing secret, at least 32 bytes; when neither this nor --jwt-secret-file is
    /// given, one is generated once and kept beside the database.
    #[arg(long, env = "CLASSCHAT_JWT_SECRET", hide_env_values = true)]
    pub jwt_secret: Option<String>,
    /// A file holding the token signing secret (at least 32 bytes; a trailing newline is
    /// ignored), so the secret stays out of the environment and the process list.
    #[arg(
        long,
        env = "CLASSCHAT_JWT_SECRET_FILE",
        conflicts_with = "jwt_secret",
        value_name = "PATH"
    )]
    pub jwt_secret_file: Option<PathBuf>,
    /// Messages per second one user may send, sustained (0 = unlimited).
    #[arg(long, env = "CLASSCHAT_SEND_RATE", default_value_t = 5.0)]
    pub send_rate: f64,
    /// Messages one user may send in a burst.
    #[arg(long, env = "CLASSCHAT_SEND_BURST", default_value_t = 30.0)]
    pub send_burst: f64,
    /// Class announcements per second one teacher may make, sustained (0 = unlimited);
    /// unset: one every 6 s. Each announcement writes a copy per student of the class,
    /// so it is limited apart from (and besides) --send-rate.
    #[arg(long, env = "CLASSCHAT_ANNOUNCE_RATE")]
    pub announce_rate: Option<f64>,
    /// Class announcements one teacher may make in a burst.
    #[arg(long, env = "CLASSCHAT_ANNOUNCE_BURST", default_value_t = 10.0)]
    pub announce_burst: f64,
    /// Failed sign-ins per second from one client address, sustained (0 = unlimited).
    /// Per-account pauses after repeated failures apply regardless.
    #[arg(long, env = "CLASSCHAT_LOGIN_RATE", default_value_t = 1.0)]
    pub login_rate: f64,
    /// Failed sign-ins one client address may make in a burst.
    #[arg(long, env = "CLASSCHAT_LOGIN_BURST", default_value_t = 50.0)]
    pub login_burst: f64,
    /// Behind a load balancer or reverse proxy: the header it puts the client's address in
    /// (e.g. X-Forwarded-For; its rightmost address is used). Unset: the TCP peer. Only
    /// set it when every request comes through that proxy, or clients can pick their
    /// address.
    #[arg(long, env = "CLASSCHAT_CLIENT_IP_HEADER")]
    pub client_ip_header: Option<HeaderName>,
    /// Open connections at most, WebSockets included (0 = from the open-file limit,
    /// leaving room for the store).
    #[arg(long, env = "CLASSCHAT_MAX_CONNECTIONS", default_value_t = 0)]
    pub max_connections: usize,
    /// Live (WebSocket) connections one user may hold on this node.
    #[arg(long, env = "CLASSCHAT_CONNECTIONS_PER_USER", default_value_t = 10)]
    pub connections_per_user: usize,
    /// Shards of the live-connection registry: deliveries to users in different shards
    /// never wait for each other (a tuning knob; see BENCHMARKS.md, "Registry shards").
    #[arg(long, env = "CLASSCHAT_REGISTRY_SHARDS", default_value_t = 16, value_parser = clap::value_parser!(u16).range(1..=4096))]
    pub registry_shards: u16,
    /// How long a client may take to send a request's headers (also how long an idle
    /// HTTP/1.1 keep-alive connection waits for its next request).
    #[arg(long, env = "CLASSCHAT_HEADER_TIMEOUT", default_value = "10s", value_parser = humantime::parse_duration)]
    pub header_timeout: Duration,
    /// How long a connection with no request in flight stays open.
    #[arg(long, env = "CLASSCHAT_IDLE_TIMEOUT", default_value = "60s", value_parser = humantime::parse_duration)]
    pub idle_timeout: Duration,
    /// How long one REST request may take, body included (then 408).
    #[arg(long, env = "CLASSCHAT_REQUEST_TIMEOUT", default_value = "30s", value_parser = humantime::parse_duration)]
    pub request_timeout: Duration,
}

impl HttpArgs {
    /// The live-connection settings these flags give.
    pub fn live_config(&self) -> LiveConfig {
        LiveConfig {
            connections_per_user: self.connections_per_user.max(1),
            registry_shards: usize::from(self.registry_shards),
            ..LiveConfig::default()
        }
    }
}

/// `classchat serve`.
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Store settings.
    #[command(flatten)]
    pub store: StoreArgs,
    /// HTTP settings.
    #[command(flatten)]
    pub http: HttpArgs,
    /// Notification settings.
    #[command(flatten)]
    pub notify: NotifyArgs,
    #[command(flatten)]
    pub jobs: JobArgs,
    /// Redis for fan-out between nodes, e.g. redis://10.0.0.5:6379, when several `serve`
    /// processes share one DynamoDB store. Unset: events reach this process's connections
    /// only, which is all a single node needs.
    #[arg(long, env = "CLASSCHAT_REDIS_URL", hide_env_values = true)]
    pub redis_url: Option<String>,
}

/// `classchat export`.
#[derive(Debug, Clone, Args)]
pub struct ExportArgs {
    /// Where to write: a file path, or `-` for standard output.
    #[arg(long, default_value = "-")]
    pub out: PathBuf,
    /// Export one person's history instead of the whole school: their profile and every
    /// conversation they take part in, each message as stored (removed and edited ones
    /// with their texts).
    #[arg(long, value_name = "ID", conflicts_with = "conversation")]
    pub user: Option<String>,
    /// Export one conversation instead of the whole school: `<studentId>+<teacherId>`
    /// (or a guardian's), in either order.
    #[arg(long, value_name = "ID")]
    pub conversation: Option<String>,
    /// The format of a --user or --conversation export: JSON Lines, CSV (for
    /// spreadsheets) or a printable HTML transcript (a browser saves it as PDF). The
    /// whole-school export is JSON Lines only.
    #[arg(long, default_value = "jsonl", value_parser = ["jsonl", "csv", "html"])]
    pub format: String,
    /// Store settings.
    #[command(flatten)]
    pub store: StoreArgs,
}

/// `classchat demo`.
#[derive(Debug, Clone, Args)]
pub struct DemoArgs {
    /// The demo database file; it is deleted and created afresh.
    #[arg(long, default_value = "./classchat-demo.db")]
    pub db: PathBuf,
    /// HTTP settings.
    #[command(flatten)]
    pub http: HttpArgs,
    /// Notification settings.
    #[command(flatten)]
    pub notify: NotifyArgs,
    #[command(flatten)]
    pub jobs: JobArgs,
    /// Serve on an address other than loopback. The demo's passwords are printed and
    /// public, so without this flag `demo` refuses any address but 127.0.0.1 or ::1.
    #[arg(long)]
    pub public: bool,
}

/// `classchat user …`.
#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a user; the password is read from standard input.
    Add {
        /// The userId: 1–128 characters of letters, digits, '.', '_', '@', '-'.
        #[arg(long)]
        id: String,
        /// student, teacher, guardian or admin.
        #[arg(long)]
        role: String,
        /// The display name.
        #[arg(long)]
        name: String,
        /// Read the password from the first line of standard input (required, so that
        /// passwords never appear in shell history or process lists).
        #[arg(long, required = true)]
        password_stdin: bool,
        /// Store settings.
        #[command(flatten)]
        store: StoreArgs,
    },
    /// List every user.
    List {
        /// Store settings.
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Issue one-time sign-in codes, printed as CSV (userId,code,expiresAt) on standard
    /// output. Each code replaces the account's password and ends its sessions; with it,
    /// the user chooses their own password at first sign-in (web client: "First time
    /// here?"). Any account, admins included.
    Codes {
        /// An account to issue a code for; repeat for more.
        #[arg(
            long = "id",
            value_name = "ID",
            required_unless_present = "without_password"
        )]
        ids: Vec<String>,
        /// Also every enabled account that has no password yet (a roster import creates
        /// them so) or only an expired code; accounts holding a code that still works are
        /// left alone, so running this again voids no slip already handed out.
        #[arg(long)]
        without_password: bool,
        /// How long the codes work, from 1h to 30d.
        #[arg(long, default_value = "7d", value_parser = humantime::parse_duration)]
        valid_for: Duration,
        /// Store settings.
        #[command(flatten)]
        store: StoreArgs,
    },
}

/// `classchat link …`.
#[derive(Debug, Subcommand)]
pub enum LinkCommand {
    /// Link a teacher and a student so they can chat (`--teacher`), or make someone a
    /// guardian of a student (`--guardian`), who may then message the student's teachers.
    Add {
        /// Who the student is linked to.
        #[command(flatten)]
        with: LinkEnds,
        /// Store settings.
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Remove a link or a guardian link. Its conversations stay readable, but nobody can
    /// send to them.
    Remove {
        /// Who the student is linked to.
        #[command(flatten)]
        with: LinkEnds,
        /// Store settings.
        #[command(flatten)]
        store: StoreArgs,
    },
    /// List links and guardian links, all or one user's.
    List {
        /// Only this user's.
        #[arg(long)]
        user: Option<String>,
        /// Store settings.
        #[command(flatten)]
        store: StoreArgs,
    },
}

/// The two ends of a link: a student, and either a teacher or a guardian.
#[derive(Debug, Clone, Args)]
pub struct LinkEnds {
    /// The teacher's userId.
    #[arg(
        long,
        required_unless_present = "guardian",
        conflicts_with = "guardian"
    )]
    pub teacher: Option<String>,
    /// The guardian's userId.
    #[arg(long)]
    pub guardian: Option<String>,
    /// The student's userId.
    #[arg(long)]
    pub student: String,
}

/// `classchat settings …`.
#[derive(Debug, Subcommand)]
pub enum SettingsCommand {
    /// Print the school's settings.
    Show {
        /// Store settings.
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Change the school's settings (audited).
    Set {
        /// Let guardians read, never write, their children's conversations with teachers
        /// (each read audited as guardian.read; students are told).
        #[arg(long, value_enum)]
        guardian_oversight: Option<OnOff>,
        /// Delete conversations whose last message is older than this many days (30 to
        /// 36500), except under legal hold; `forever` keeps everything (the default).
        #[arg(long, value_parser = crate::safeguarding::parse_retention)]
        retention_days: Option<crate::safeguarding::Retention>,
        /// Minutes after sending an author may edit a message (0 to 1440; 0: never).
        #[arg(long)]
        edit_window_minutes: Option<u32>,
        /// Store settings.
        #[command(flatten)]
        store: StoreArgs,
    },
}

/// The server's own background jobs (`serve` and `demo`).
#[derive(Debug, Clone, Args)]
pub struct JobArgs {
    /// How often retention runs: one pass per period across all nodes sharing the store,
    /// deleting what the school's policy says (nothing without one). A tuning knob; the
    /// tests shorten it.
    #[arg(long, env = "CLASSCHAT_RETENTION_EVERY", default_value = "24h", value_parser = humantime::parse_duration, hide = true)]
    pub retention_every: Duration,
}

/// How people who are away are reached (`serve` and `demo`).
#[derive(Debug, Clone, Args)]
pub struct NotifyArgs {
    /// Web Push to the browsers users subscribe, when they have no open connection.
    #[arg(long, env = "CLASSCHAT_PUSH", value_enum, default_value_t = OnOff::On)]
    pub push: OnOff,
    /// The VAPID private key (a P-256 scalar, base64url) push services know this server
    /// by. Neither this nor --vapid-private-key-file: one is generated once and kept
    /// beside the database. Nodes sharing a store need the same key (browsers subscribe
    /// to one).
    #[arg(long, env = "CLASSCHAT_VAPID_PRIVATE_KEY", hide_env_values = true)]
    pub vapid_private_key: Option<String>,
    /// A file holding the VAPID private key (a trailing newline is ignored).
    #[arg(
        long,
        env = "CLASSCHAT_VAPID_PRIVATE_KEY_FILE",
        conflicts_with = "vapid_private_key",
        value_name = "PATH"
    )]
    pub vapid_private_key_file: Option<PathBuf>,
    /// How push services can reach the school's operator (RFC 8292): a mailto: or https:
    /// URL.
    #[arg(
        long,
        env = "CLASSCHAT_VAPID_SUBJECT",
        default_value = "mailto:postmaster@localhost"
    )]
    pub vapid_subject: String,
    /// TEST SETTING, never for a real school: lets push endpoints be plain
    /// http://127.0.0.1 (a push service the tests run on loopback). Without it endpoints
    /// must be https and must not reach loopback, private or link-local addresses.
    #[arg(
        long,
        env = "CLASSCHAT_PUSH_ALLOW_LOOPBACK",
        hide = true,
        action = clap::ArgAction::SetTrue,
        value_parser = clap::builder::BoolishValueParser::new()
    )]
    pub push_allow_loopback: bool,
    /// The mail server email digests go through: `smtp://host:25`,
    /// `smtp://user:pass@host:587?tls=required` (STARTTLS), `smtps://host:465`. Unset: no
    /// email digests.
    #[arg(long, env = "CLASSCHAT_SMTP_URL", hide_env_values = true)]
    pub smtp_url: Option<String>,
    /// The From of email digests, e.g. `classchat <noreply@school.example>`.
    #[arg(long, env = "CLASSCHAT_MAIL_FROM")]
    pub mail_from: Option<String>,
    /// The address people open classchat at, for the links in emails
    /// (`https://chat.school.example/`). Unset: `http://` and --addr.
    #[arg(long, env = "CLASSCHAT_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// How long a message stays unread, with no push delivered for it, before an email
    /// digest goes (at most one an hour per person).
    #[arg(long, env = "CLASSCHAT_DIGEST_AFTER", default_value = "15m", value_parser = humantime::parse_duration)]
    pub digest_after: Duration,
    /// How often a node looks for held notifications and digests that are due (a tuning
    /// knob; the tests shorten it).
    #[arg(long, env = "CLASSCHAT_NOTIFY_EVERY", default_value = "15s", value_parser = humantime::parse_duration, hide = true)]
    pub notify_every: Duration,
}

/// A switch as typed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OnOff {
    /// On.
    On,
    /// Off.
    Off,
}

/// `classchat roster …`.
#[derive(Debug, Subcommand)]
pub enum RosterCommand {
    /// Import a OneRoster 1.1 (or 1.2) CSV bundle, a folder or a .zip: checks all of it,
    /// prints the diff, and applies it unless --dry-run. Importing the same bundle again
    /// changes nothing.
    Import {
        /// The bundle: a folder holding manifest.csv and the other files, or a .zip.
        path: PathBuf,
        /// Print what would change, write nothing.
        #[arg(long)]
        dry_run: bool,
        /// Print the whole diff as JSON (the body `POST /admin/roster` answers with).
        #[arg(long)]
        json: bool,
        /// Store settings.
        #[command(flatten)]
        store: StoreArgs,
    },
}

/// `classchat tables …`.
#[derive(Debug, Subcommand)]
pub enum TablesCommand {
    /// Create the Message, UserInfo and Connections tables (on-demand billing) unless they
    /// exist, and wait until they are ACTIVE. Safe to run again.
    Create {
        /// DynamoDB settings.
        #[command(flatten)]
        dynamodb: DynamoArgs,
    },
    /// Check that the tables exist with the right keys.
    Check {
        /// DynamoDB settings.
        #[command(flatten)]
        dynamodb: DynamoArgs,
    },
}

fn parse_synchronous(raw: &str) -> Result<Synchronous, String> {
    raw.parse()
}
