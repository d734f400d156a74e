//! `classchat serve`: open the store, build the app, serve until SIGINT/SIGTERM.

use crate::cli::{HttpArgs, ServeArgs, StoreArgs, StoreKind};
use crate::open_files::raise_open_file_limit;
use crate::secret::{self, Configured};
use crate::tables::dynamo_config;
use anyhow::Context;
use classchat_core::login_guard::LoginLimits;
use classchat_core::rate::Rate;
use classchat_core::{ChatService, Hub, Limits, Store, SystemClock};
use classchat_hub_redis::{RedisHub, RedisHubConfig};
use classchat_notify::push::PushClient;
use classchat_notify::{DigestConfig, NotifierConfig, PushNotifier};
use classchat_server::{ConnectionLimits, Live, MetricsHook, Server, ServerConfig, build_app};
use classchat_store_dynamodb::DynamoStore;
use classchat_store_sqlite::{SqliteOptions, SqliteStore, WriterStages};
use std::path::Path;
use std::sync::Arc;

/// Runs `classchat serve`.
pub async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let jwt_secret = signing_secret(&args.http, &args.store.db)?;
    let live = Live::new(args.http.live_config());
    let mut redis_hub = None;
    let hub = match &args.redis_url {
        Some(url) => {
            let config = RedisHubConfig {
                url: url.clone(),
                namespace: redis_namespace(&args.store.dynamodb.table_prefix),
            };
            let redis = RedisHub::connect(&config, Arc::clone(live.registry()))
                .await
                .context("cannot start the Redis fan-out (--redis-url)")?;
            redis_hub = Some(Arc::clone(&redis));
            let hub: Arc<dyn Hub> = redis;
            if args.store.store == StoreKind::Sqlite {
                tracing::warn!(
                    "--redis-url with the SQLite store: nodes only share messages if they \
                     share the database file; use --store dynamodb for several machines"
                );
            }
            hub
        }
        None => live.hub(),
    };
    let push = crate::vapid::push_client(&args.notify, &args.store.db)?;
    let digests = crate::vapid::digests(&args.notify, args.http.addr, &jwt_secret)?;
    let served = open_serving(
        &args.store,
        Serving {
            hub,
            http: &args.http,
            push,
            digests,
            notify_every: args.notify.notify_every,
        },
    )
    .await?;
    if let Some(redis) = &redis_hub {
        redis.use_store(Arc::clone(&served.store));
    }
    crate::retention::start(&served.service, args.jobs.retention_every);
    if args.store.store == StoreKind::Dynamodb
        && args.http.jwt_secret.is_none()
        && args.http.jwt_secret_file.is_none()
    {
        // Tokens must verify on every node that shares the tables.
        tracing::warn!(
            "no token signing secret is configured: this node signs tokens with a secret kept \
             beside --db, so tokens it issues are not accepted by other nodes; give every node \
             the same CLASSCHAT_JWT_SECRET_FILE (or CLASSCHAT_JWT_SECRET)"
        );
    }
    run_server(served, live, &args.http, jwt_secret, |_| {}).await
}

/// The token signing secret `http` configures, or the one kept beside `db`; read before
/// anything else starts, so a bad one stops the command at once.
pub fn signing_secret(http: &HttpArgs, db: &Path) -> anyhow::Result<Vec<u8>> {
    let configured =
        Configured::from_settings(http.jwt_secret.as_deref(), http.jwt_secret_file.as_deref())?;
    secret::load_or_create(configured, db)
}

/// The Redis key prefix of a deployment: one per table prefix, so deployments sharing a
/// DynamoDB account (told apart by their table prefix) can share a Redis too.
fn redis_namespace(table_prefix: &str) -> String {
    if table_prefix.is_empty() {
        "classchat".to_owned()
    } else {
        format!("classchat:{table_prefix}")
    }
}

/// What a serving node adds to the service: live delivery through `hub`, the limits of
/// `http`, and notifications by push when `push` is configured.
pub struct Serving<'a> {
    /// Live delivery (this node's, or across nodes).
    pub hub: Arc<dyn Hub>,
    /// The HTTP settings, limits among them.
    pub http: &'a HttpArgs,
    /// Web Push, unless it is off.
    pub push: Option<PushClient>,
    /// Email digests, when a mail server is configured.
    pub digests: Option<DigestConfig>,
    /// How often held notifications and digests are looked for.
    pub notify_every: std::time::Duration,
}

/// A service ready to serve, and what its notifier and store count for `/metrics`.
pub struct Served {
    /// The use-cases.
    pub service: Arc<ChatService>,
    /// The notifier's counters and the SQLite writer's stages, where there are any.
    pub metrics: Option<MetricsHook>,
    /// The store the service works on.
    pub store: Arc<dyn Store>,
}

/// Opens the configured store and wraps it in the service, for a command that serves
/// no one (no live delivery, no notifications).
pub async fn open_service(args: &StoreArgs) -> anyhow::Result<Arc<ChatService>> {
    let (store, _) = open_store(args).await?;
    Ok(Arc::new(ChatService::new(store, Arc::new(SystemClock))))
}

/// Opens the configured store and wraps it in a serving node's service: events through
/// the hub, the configured limits, and a notifier for people who are away.
pub async fn open_serving(args: &StoreArgs, serving: Serving<'_>) -> anyhow::Result<Served> {
    let (store, store_stages) = open_store(args).await?;
    let Serving {
        hub,
        http,
        push,
        digests,
        notify_every,
    } = serving;
    let mut service = ChatService::new(Arc::clone(&store), Arc::new(SystemClock))
        .with_hub(Arc::clone(&hub))
        .with_limits(limits(http));
    let mut notifier_counters = None;
    if push.is_some() || digests.is_some() {
        let clock = Arc::new(SystemClock);
        let config = NotifierConfig {
            release_every: notify_every,
            ..NotifierConfig::default()
        };
        let notifier = PushNotifier::start(Arc::clone(&store), hub, push, clock, config, digests);
        notifier_counters = Some(notifier.metrics());
        service = service.with_notifier(notifier);
    }
    let metrics = (notifier_counters.is_some() || store_stages.is_some()).then(|| {
        MetricsHook(Arc::new(move |text: &mut String| {
            if let Some(counters) = &notifier_counters {
                counters.render(text);
            }
            if let Some(stages) = &store_stages {
                stages.render(text);
            }
        }))
    });
    Ok(Served {
        service: Arc::new(service),
        metrics,
        store,
    })
}

/// Opens the configured store, with the SQLite writer's stage histograms when it is
/// SQLite (for `/metrics`).
async fn open_store(
    args: &StoreArgs,
) -> anyhow::Result<(Arc<dyn Store>, Option<Arc<WriterStages>>)> {
    let opened: (Arc<dyn Store>, _) = match args.store {
        StoreKind::Sqlite => {
            let path = args.db.clone();
            let options = SqliteOptions {
                synchronous: args.sqlite_synchronous,
            };
            let store = tokio::task::spawn_blocking(move || SqliteStore::open(&path, options))
                .await
                .context("store start-up task failed")?
                .with_context(|| format!("cannot open the database {}", args.db.display()))?;
            let stages = store.writer_stages();
            (Arc::new(store), Some(stages))
        }
        StoreKind::Dynamodb => {
            let store = DynamoStore::connect(&dynamo_config(&args.dynamodb)).await?;
            store
                .check_tables()
                .await
                .context("the DynamoDB store is not ready")?;
            tracing::info!(tables = ?store.tables().all(), "using DynamoDB");
            (Arc::new(store), None)
        }
    };
    Ok(opened)
}

/// The limits `http` configures.
fn limits(http: &HttpArgs) -> Limits {
    {
        let send = match http.send_rate {
            rate if rate <= 0.0 => Rate::UNLIMITED,
            rate => Rate {
                per_second: rate,
                burst: http.send_burst.max(1.0),
            },
        };
        let per_client = match http.login_rate {
            rate if rate <= 0.0 => Rate::UNLIMITED,
            rate => Rate {
                per_second: rate,
                burst: http.login_burst.max(1.0),
            },
        };
        let defaults = Limits::default();
        let announce = match http.announce_rate.unwrap_or(defaults.announce.per_second) {
            rate if rate <= 0.0 => Rate::UNLIMITED,
            rate => Rate {
                per_second: rate,
                burst: http.announce_burst.max(1.0),
            },
        };
        Limits {
            send,
            announce,
            login: LoginLimits {
                per_client,
                ..LoginLimits::default()
            },
            ..defaults
        }
    }
}

/// Serves `service` over HTTP, signing tokens with `jwt_secret`, until a shutdown signal,
/// then drains in-flight requests. `banner` runs once the port is bound, with the address
/// actually bound (which differs from the configured one for port 0).
pub async fn run_server(
    served: Served,
    live: Live,
    http: &HttpArgs,
    jwt_secret: Vec<u8>,
    banner: impl FnOnce(std::net::SocketAddr),
) -> anyhow::Result<()> {
    // Every connection takes a descriptor: the limit any connection cap must stay under.
    let open_files = raise_open_file_limit();
    let connections = ConnectionLimits {
        max_connections: match http.max_connections {
            0 => connection_cap(open_files),
            set => set,
        },
        header_timeout: http.header_timeout,
        idle_timeout: http.idle_timeout,
        request_timeout: http.request_timeout,
        ..ConnectionLimits::default()
    };
    let config = ServerConfig {
        jwt_secret,
        token_ttl: http.token_ttl,
        cors_origins: http.cors_origins.clone(),
        client_ip_header: http.client_ip_header.clone(),
        connections,
        more_metrics: served.metrics,
    };
    let server = Server::bind(http.addr, build_app(served.service, &live, &config))
        .await
        .with_context(|| format!("cannot listen on {}", http.addr))?
        .with_limits(connections);
    tracing::info!(
        max_connections = connections.max_connections,
        "accepting connections"
    );
    let addr = server.local_addr()?;
    let signalled = shutdown_signal();
    tracing::info!(%addr, open_files, "listening");
    banner(addr);
    // Printed on stdout (logs go to stderr) so scripts and tests can find the port.
    println!("classchat listening on http://{addr}");
    let closing = live.clone();
    let shutdown = async move {
        signalled.await;
        closing.shut_down();
    };
    server.run(shutdown).await.context("server failed")?;
    live.drained(std::time::Duration::from_secs(5)).await;
    tracing::info!("shut down cleanly");
    Ok(())
}

/// Descriptors kept free of connections: the store's files and connections, Redis, logs.
const RESERVED_DESCRIPTORS: u64 = 256;

/// The connection cap when none is configured: the open-file limit minus what the rest of
/// the process needs, so the store never runs out of descriptors because of clients.
fn connection_cap(open_files: u64) -> usize {
    usize::try_from(open_files.saturating_sub(RESERVED_DESCRIPTORS).max(64)).unwrap_or(usize::MAX)
}

/// A future that completes on SIGINT (Ctrl-C) or SIGTERM. The handlers are installed
/// here, when it is made, not when it is first polled: it is made before the server says
/// it is listening, so a signal sent as soon as the banner appears (by a service manager
/// or a test) is always a graceful stop, never the default action's abrupt exit.
fn shutdown_signal() -> impl Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let interrupt = signal(SignalKind::interrupt());
        let terminate = signal(SignalKind::terminate());
        async move {
            let (mut interrupt, mut terminate) = match (interrupt, terminate) {
                (Ok(interrupt), Ok(terminate)) => (interrupt, terminate),
                (Err(error), _) | (_, Err(error)) => {
                    tracing::error!(%error, "cannot listen for SIGINT and SIGTERM");
                    std::future::pending::<()>().await;
                    return;
                }
            };
            tokio::select! {
                _ = interrupt.recv() => {},
                _ = terminate.recv() => {},
            }
            tracing::info!("shutdown signal received; finishing in-flight requests");
        }
    }
    #[cfg(not(unix))]
    async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::error!(%error, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
        tracing::info!("shutdown signal received; finishing in-flight requests");
    }
}
