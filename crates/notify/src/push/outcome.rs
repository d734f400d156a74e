//! What a push service's answer means for the subscription it was sent to (RFC 8030 §5,
//! and what Mozilla's, Google's and Apple's services answer in practice).

use reqwest::StatusCode;
use reqwest::header::{HeaderMap, RETRY_AFTER};
use std::time::{Duration, SystemTime};

/// The result of one delivery, as the next step it calls for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PushOutcome {
    /// The push service accepted the message (`2xx`, normally `201 Created`).
    Delivered,
    /// The subscription has expired or been revoked (`404` or `410`): remove it, it will
    /// never work again.
    Gone,
    /// The push service is overloaded or failing (`429` or `5xx`): try again later, after
    /// the `Retry-After` it gave, if any.
    RetryLater(Option<Duration>),
    /// The request was refused for good (another `4xx`, a redirect, or an endpoint the
    /// guard refuses): retrying the same request will not help. The reason is for logs.
    Rejected(String),
    /// The push service could not be reached (connection, TLS, timeout): perhaps
    /// temporary, so retry. The reason is for logs.
    Failed(String),
}

/// The outcome a response's status calls for; `detail` is the start of its body, kept
/// for the log line of a rejection.
pub(crate) fn from_response(
    status: StatusCode,
    headers: &HeaderMap,
    detail: &str,
    now: SystemTime,
) -> PushOutcome {
    match status.as_u16() {
        200..=299 => PushOutcome::Delivered,
        404 | 410 => PushOutcome::Gone,
        429 | 500..=599 => PushOutcome::RetryLater(
            headers
                .get(RETRY_AFTER)
                .and_then(|value| value.to_str().ok())
                .and_then(|value| parse_retry_after(value, now)),
        ),
        300..=399 => PushOutcome::Rejected(format!(
            "the push service answered {status} (redirects are not followed)"
        )),
        _ if detail.is_empty() => {
            PushOutcome::Rejected(format!("the push service answered {status}"))
        }
        _ => PushOutcome::Rejected(format!("the push service answered {status}: {detail}")),
    }
}

/// A `Retry-After` value as a wait from `now`: either delay-seconds or an HTTP date
/// (a date already past means "now"). `None` for anything else.
pub(crate) fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        // Absurdly many digits saturate rather than being ignored: the service clearly
        // wants us to wait.
        return Some(Duration::from_secs(value.parse().unwrap_or(u64::MAX)));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(now).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;
    use std::time::UNIX_EPOCH;

    /// Sun, 06 Nov 1994 08:49:37 GMT, the RFC's own example date.
    fn rfc_example() -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(784_111_777)
    }

    #[test]
    fn retry_after_takes_seconds_and_http_dates() {
        let now = rfc_example();
        assert_eq!(
            parse_retry_after("120", now),
            Some(Duration::from_secs(120))
        );
        assert_eq!(parse_retry_after(" 0 ", now), Some(Duration::ZERO));
        assert_eq!(
            parse_retry_after("99999999999999999999999", now),
            Some(Duration::from_secs(u64::MAX))
        );
        let earlier = now - Duration::from_secs(90);
        for date in [
            "Sun, 06 Nov 1994 08:49:37 GMT",
            "Sunday, 06-Nov-94 08:49:37 GMT",
            "Sun Nov  6 08:49:37 1994",
        ] {
            assert_eq!(
                parse_retry_after(date, earlier),
                Some(Duration::from_secs(90)),
                "{date}"
            );
        }
        let later = now + Duration::from_secs(5);
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", later),
            Some(Duration::ZERO)
        );
        for junk in ["", "-5", "1.5", "soon", "Sun, 06 Nov 1994"] {
            assert_eq!(parse_retry_after(junk, now), None, "{junk:?}");
        }
    }

    #[test]
    fn statuses_map_to_what_the_subscription_needs() {
        let now = rfc_example();
        let none = HeaderMap::new();
        let mut wait = HeaderMap::new();
        wait.insert(RETRY_AFTER, HeaderValue::from_static("30"));
        let outcome = |code: u16, headers: &HeaderMap| {
            from_response(StatusCode::from_u16(code).unwrap(), headers, "", now)
        };

        assert_eq!(outcome(201, &none), PushOutcome::Delivered);
        assert_eq!(outcome(202, &none), PushOutcome::Delivered);
        assert_eq!(outcome(404, &none), PushOutcome::Gone);
        assert_eq!(outcome(410, &none), PushOutcome::Gone);
        assert_eq!(
            outcome(429, &wait),
            PushOutcome::RetryLater(Some(Duration::from_secs(30)))
        );
        assert_eq!(outcome(429, &none), PushOutcome::RetryLater(None));
        assert_eq!(
            outcome(503, &wait),
            PushOutcome::RetryLater(Some(Duration::from_secs(30)))
        );
        assert_eq!(outcome(500, &none), PushOutcome::RetryLater(None));
        assert!(matches!(outcome(301, &none), PushOutcome::Rejected(r) if r.contains("redirect")));
        assert!(matches!(outcome(413, &none), PushOutcome::Rejected(r) if r.contains("413")));
        let detailed = from_response(StatusCode::FORBIDDEN, &none, "VAPID mismatch", now);
        assert!(matches!(detailed, PushOutcome::Rejected(r) if r.ends_with("VAPID mismatch")));
    }
}
