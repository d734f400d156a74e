//! classchat on AWS Lambda, from the same code as the server.
//!
//! Two functions share this library:
//! - `classchat-http` serves the server's axum router ([`http::app`]) through
//!   `lambda_http`, for API Gateway HTTP API (payload v2) and REST API (v1) events.
//! - `classchat-ws` handles the API Gateway WebSocket API ([`ws::WsHandler`]): `$connect`,
//!   `$disconnect`, the frame actions and `$default`, with the server's frame protocol.
//!
//! Live events leave through [`ApiGatewayHub`], which finds recipients' connections in the
//! `Connections` table ([`ConnectionTable`]) and posts to them with the API Gateway
//! Management API. The token signing secret comes from Secrets Manager at cold start
//! ([`JwtSecret`]); the environment holds only its ARN. Handlers are plain library
//! functions so tests invoke them in-process with real event payloads; the binaries only
//! wire them to the Lambda runtime.

#![warn(missing_docs)]

pub mod appsync;
pub mod config;
pub mod connections;
pub mod deployment;
pub mod environment;
pub mod error;
pub mod http;
pub mod hub;
pub mod secret;
#[cfg(feature = "test-support")]
pub mod testing;
pub mod ws;

pub use config::LambdaConfig;
pub use connections::ConnectionTable;
pub use deployment::Deployment;
pub use error::LambdaError;
pub use hub::{ApiGatewayHub, Management};
pub use secret::JwtSecret;

/// Logs to standard output as Lambda collects it (CloudWatch adds the time), filtered by
/// `RUST_LOG`: every function's first step. See [`log_filter`] for what `RUST_LOG` may say.
pub fn init_logging() {
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    let filter = log_filter(&std::env::var("RUST_LOG").unwrap_or_default());
    tracing_subscriber::fmt()
        .without_time()
        .finish()
        .with(filter)
        .init();
}

/// The filter `RUST_LOG` asks for, in the `target=level` syntax `classchat serve` reads
/// (`info`, `classchat=debug,tower_http=debug`, `warn,classchat_lambda=info`) and with
/// `EnvFilter`'s fallbacks: a directive that does not parse is reported on standard error
/// and ignored, and without any valid one only errors are logged. A `Targets` filter rather
/// than `EnvFilter`: the latter's span and field-value directives (`target[span{f=v}]`)
/// link a regular-expression DFA compiler into every function, and the functions never
/// used them. Those directives are reported and ignored like any that does not parse.
pub fn log_filter(spec: &str) -> tracing_subscriber::filter::Targets {
    use tracing_subscriber::filter::{LevelFilter, Targets};
    let mut filter = Targets::new();
    let mut any = false;
    for directive in spec.split(',').filter(|d| !d.is_empty()) {
        match directive.parse::<Targets>() {
            Ok(parsed) if !directive.contains('[') => {
                if let Some(level) = parsed.default_level() {
                    filter = filter.with_default(level);
                }
                filter.extend(parsed.iter());
                any = true;
            }
            Ok(_) => eprintln!("ignoring `{directive}`: span and field filters are not supported"),
            Err(error) => eprintln!("ignoring `{directive}`: {error}"),
        }
    }
    if any {
        filter
    } else {
        filter.with_default(LevelFilter::ERROR)
    }
}

#[cfg(test)]
mod tests {
    use super::log_filter;
    use tracing_subscriber::filter::LevelFilter;

    #[test]
    fn rust_log_keeps_its_target_level_syntax() {
        let filter = log_filter("warn,classchat_lambda=debug,tower_http=info");
        assert_eq!(filter.default_level(), Some(LevelFilter::WARN));
        assert!(filter.would_enable("classchat_lambda::ws", &tracing::Level::DEBUG));
        assert!(!filter.would_enable("classchat_lambda::ws", &tracing::Level::TRACE));
        assert!(filter.would_enable("tower_http", &tracing::Level::INFO));
        assert!(!filter.would_enable("aws_smithy_runtime", &tracing::Level::INFO));
        assert!(filter.would_enable("aws_smithy_runtime", &tracing::Level::WARN));
        // A bare target enables every level for it; `off` silences one.
        let filter = log_filter("info,classchat_core,hyper=off");
        assert!(filter.would_enable("classchat_core::service", &tracing::Level::TRACE));
        assert!(!filter.would_enable("hyper::proto", &tracing::Level::ERROR));
    }

    #[test]
    fn without_a_valid_directive_only_errors_are_logged() {
        for spec in ["", "nonsense=loud", "classchat[span{id=1}]=debug"] {
            let filter = log_filter(spec);
            assert_eq!(filter.default_level(), Some(LevelFilter::ERROR), "{spec}");
            assert!(!filter.would_enable("classchat_lambda", &tracing::Level::WARN));
        }
        // The directives that parse still apply.
        let filter = log_filter("nonsense=loud,classchat_lambda=info");
        assert!(filter.would_enable("classchat_lambda", &tracing::Level::INFO));
        assert!(!filter.would_enable("other", &tracing::Level::ERROR));
    }
}
