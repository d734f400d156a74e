//! The endpoint guard: whether a push endpoint may be reached, checked when it is
//! registered and again at every delivery.
//!
//! Three layers, because each alone can be walked around:
//! - [`check_url`]: the URL's shape — `https://` with a host (`http://` only to loopback,
//!   and only with the test setting `allow_loopback`), no credentials, not `localhost`,
//!   and an IP-literal host must be public (literals never reach a resolver).
//! - [`GuardedResolver`]: the only resolver the push client's connections use. It refuses
//!   a name any of whose addresses is internal, so the addresses connected to are the
//!   ones vetted — a name re-pointed at `10.0.0.5` after registration (DNS rebinding)
//!   gets nowhere.
//! - The client follows no redirect (a `3xx` is a rejection), so a public endpoint cannot
//!   bounce a request inward; and it ignores proxy settings, which would resolve the
//!   endpoint's name out of this guard's sight.

use super::address::{forbidden, is_loopback};
use classchat_core::notify::EndpointRefused;
use reqwest::Url;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use std::net::{IpAddr, SocketAddr};

/// An endpoint that passed [`check_url`]: its URL, and the name the resolver will vet if
/// its host is not an IP literal.
#[derive(Debug)]
pub(crate) struct Checked {
    /// The endpoint as parsed (what the request is sent to, so nothing re-parses it
    /// differently).
    pub(crate) url: Url,
    /// The host name to resolve, or `None` for an IP literal (already judged).
    pub(crate) name: Option<String>,
}

/// Checks an endpoint's shape and, for an IP-literal host, its address.
pub(crate) fn check_url(endpoint: &str, allow_loopback: bool) -> Result<Checked, EndpointRefused> {
    let url = Url::parse(endpoint)
        .map_err(|err| refused(format!("the push endpoint is not a URL ({err})")))?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(refused("the push endpoint must not carry credentials"));
    }
    let Some(host) = url.host_str().filter(|host| !host.is_empty()) else {
        return Err(refused("the push endpoint has no host"));
    };
    // The parser has already turned every IPv4 spelling (`0x7f000001`, `2130706433`)
    // into dotted form and bracketed IPv6, so whatever does not parse here is a name.
    let (ip, name) = match host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .parse::<IpAddr>()
    {
        Ok(ip) => (Some(ip), None),
        Err(_) => (None, Some(host.to_owned())),
    };
    let loopback = match (ip, &name) {
        (Some(ip), _) => is_loopback(ip),
        (None, Some(name)) => is_localhost(name),
        (None, None) => false,
    };
    match url.scheme() {
        "https" => {}
        "http" if allow_loopback && loopback => return Ok(Checked { url, name }),
        "http" if allow_loopback => {
            return Err(refused(
                "the push endpoint must use https (http is allowed for loopback only)",
            ));
        }
        _ => return Err(refused("the push endpoint must use https")),
    }
    // (Not a let chain: those need Rust 1.88, and the workspace supports 1.85.)
    if let Some((ip, reason)) = ip.and_then(|ip| forbidden(ip).map(|reason| (ip, reason))) {
        return Err(not_public(&ip.to_string(), ip, reason));
    }
    if loopback {
        return Err(refused("the push endpoint may not be localhost"));
    }
    Ok(Checked { url, name })
}

/// Whether `name` is `localhost` or one of its subdomains, which RFC 6761 reserves for
/// loopback whatever DNS says.
fn is_localhost(name: &str) -> bool {
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    name == "localhost" || name.ends_with(".localhost")
}

/// Why a name could not be turned into addresses a delivery may use.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ResolveError {
    /// The lookup failed (no such name, or DNS is unreachable): perhaps temporary.
    #[error("the push endpoint host {host} does not resolve ({source})")]
    Lookup {
        /// The name looked up.
        host: String,
        /// What the system resolver said.
        source: std::io::Error,
    },
    /// The name has no address at all.
    #[error("the push endpoint host {host} resolves to no address")]
    Empty {
        /// The name looked up.
        host: String,
    },
    /// The name resolves to an address deliveries may not reach: never temporary.
    #[error("{0}")]
    Forbidden(EndpointRefused),
}

/// Resolves `host` with the system resolver and vets every address: all must be public
/// (or, for `localhost` with `allow_loopback`, all loopback). One bad address refuses the
/// whole name: a host that answers with a mix is not a push service.
pub(crate) async fn resolve(
    host: &str,
    allow_loopback: bool,
) -> Result<Vec<SocketAddr>, ResolveError> {
    let loopback_only = allow_loopback && is_localhost(host);
    let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host, 0))
        .await
        .map_err(|source| ResolveError::Lookup {
            host: host.to_owned(),
            source,
        })?
        .collect();
    if addrs.is_empty() {
        return Err(ResolveError::Empty {
            host: host.to_owned(),
        });
    }
    for addr in &addrs {
        let ip = addr.ip();
        if loopback_only {
            if !is_loopback(ip) {
                return Err(ResolveError::Forbidden(refused(format!(
                    "the push endpoint host {host} resolves to {ip}, which is not loopback"
                ))));
            }
        } else if let Some(reason) = forbidden(ip) {
            return Err(ResolveError::Forbidden(not_public(host, ip, reason)));
        }
    }
    Ok(addrs)
}

/// The resolver the push client connects through: [`resolve`] for every name, so a
/// connection only ever goes to an address vetted at that moment.
#[derive(Debug, Clone, Copy)]
pub(crate) struct GuardedResolver {
    /// Lets `localhost` resolve (to loopback only): the test setting.
    pub(crate) allow_loopback: bool,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_owned();
        let allow_loopback = self.allow_loopback;
        Box::pin(async move {
            let addrs = resolve(&host, allow_loopback).await?;
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}

fn not_public(host: &str, ip: IpAddr, reason: &str) -> EndpointRefused {
    if host == ip.to_string() {
        refused(format!(
            "the push endpoint host {ip} is not a public address ({reason})"
        ))
    } else {
        refused(format!(
            "the push endpoint host {host} resolves to {ip}, which is not a public address ({reason})"
        ))
    }
}

fn refused(reason: impl Into<String>) -> EndpointRefused {
    EndpointRefused(reason.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reason(endpoint: &str, allow_loopback: bool) -> String {
        match check_url(endpoint, allow_loopback) {
            Ok(checked) => panic!("{endpoint} was accepted: {checked:?}"),
            Err(EndpointRefused(reason)) => reason,
        }
    }

    #[test]
    fn internal_literals_and_localhost_are_refused_whatever_the_setting() {
        for allow_loopback in [false, true] {
            for endpoint in [
                "https://127.0.0.1/push",
                "https://10.0.0.1/",
                "https://[::1]/",
                "https://[::ffff:192.168.1.1]/",
                "https://169.254.169.254/latest/meta-data",
                "https://0x7f000001/",
                "https://2130706433/",
                "https://[fe80::1]/",
                "https://[fd00::1]/",
            ] {
                let reason = reason(endpoint, allow_loopback);
                assert!(
                    reason.contains("not a public address"),
                    "{endpoint}: {reason}"
                );
            }
            for endpoint in [
                "https://localhost/",
                "https://LOCALHOST./",
                "https://a.localhost/",
            ] {
                assert!(
                    reason(endpoint, allow_loopback).contains("localhost"),
                    "{endpoint}"
                );
            }
        }
    }

    #[test]
    fn only_https_is_accepted_unless_loopback_is_allowed() {
        assert!(reason("http://example.com/", false).contains("must use https"));
        assert!(reason("http://example.com/", true).contains("loopback only"));
        assert!(reason("http://10.0.0.1:8080/", true).contains("loopback only"));
        assert!(reason("http://127.0.0.1:8080/", false).contains("must use https"));
        assert!(reason("ftp://push.example/", false).contains("must use https"));
        assert!(reason("not a url", false).contains("not a URL"));
        assert!(reason("https://user:pw@push.example/", false).contains("credentials"));

        for endpoint in [
            "http://127.0.0.1:8080/push/1",
            "http://[::1]:8080/push/1",
            "http://localhost:8080/push/1",
        ] {
            assert!(check_url(endpoint, true).is_ok(), "{endpoint}");
        }
    }

    #[test]
    fn public_endpoints_pass_the_shape_check() {
        let checked = check_url("https://fcm.googleapis.com/fcm/send/abc:def", false).unwrap();
        assert_eq!(checked.name.as_deref(), Some("fcm.googleapis.com"));
        let checked = check_url("https://8.8.8.8:8443/push", false).unwrap();
        assert_eq!(checked.name, None);
        assert!(check_url("https://[2606:4700:4700::1111]/p", false).is_ok());
    }

    #[tokio::test]
    async fn localhost_resolves_only_with_the_test_setting_and_only_to_loopback() {
        let refused = resolve("localhost", false).await.unwrap_err();
        assert!(matches!(refused, ResolveError::Forbidden(_)), "{refused}");
        let addrs = resolve("localhost", true).await.unwrap();
        assert!(addrs.iter().all(|addr| addr.ip().is_loopback()));
    }

    #[tokio::test]
    async fn a_name_that_does_not_resolve_is_refused_with_its_name() {
        let err = resolve("no-such-host.invalid", false).await.unwrap_err();
        assert!(matches!(err, ResolveError::Lookup { .. }), "{err}");
        assert!(
            err.to_string()
                .contains("no-such-host.invalid does not resolve")
        );
    }
}
