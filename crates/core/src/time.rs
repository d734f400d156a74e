//! Message time: microseconds since the Unix epoch, shown as fixed-width RFC 3339 UTC
//! (`2026-11-24T14:01:02.123456Z`) so that string order is time order — the property the
//! DynamoDB sort key and every cursor rely on.

use crate::error::{ChatError, ErrorCode};
use std::fmt;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// First instant that still prints with a four-digit year (0000-01-01T00:00:00Z).
const MIN_MICROS: i64 = -62_167_219_200_000_000;
/// Last instant that still prints with a four-digit year (9999-12-31T23:59:59.999999Z).
const MAX_MICROS: i64 = 253_402_300_799_999_999;

/// A point in time with microsecond precision, between the years 0000 and 9999.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(i64);

impl Timestamp {
    /// The earliest representable timestamp; a read marker starts here.
    pub const MIN: Timestamp = Timestamp(MIN_MICROS);

    /// The timestamp `micros` microseconds after the epoch, if it has a four-digit year.
    pub fn from_micros(micros: i64) -> Option<Self> {
        (MIN_MICROS..=MAX_MICROS)
            .contains(&micros)
            .then_some(Self(micros))
    }

    /// Microseconds since the Unix epoch (what the SQLite store keeps).
    pub fn as_micros(self) -> i64 {
        self.0
    }

    /// The next representable instant: what a colliding message gets instead.
    pub fn next(self) -> Self {
        Self((self.0 + 1).min(MAX_MICROS))
    }

    /// The instant `micros` later (earlier if negative), kept within the representable
    /// years.
    pub fn plus_micros(self, micros: i64) -> Self {
        Self(self.0.saturating_add(micros).clamp(MIN_MICROS, MAX_MICROS))
    }

    /// Parses an RFC 3339 timestamp (any offset, up to microsecond precision) as given in a
    /// cursor. Finer fractions are truncated to the microsecond.
    pub fn parse(raw: &str) -> Result<Self, ChatError> {
        let invalid = || {
            ChatError::invalid(
                ErrorCode::InvalidCursor,
                "a timestamp is RFC 3339 UTC, e.g. 2026-11-24T14:01:02.123456Z",
            )
        };
        let parsed = OffsetDateTime::parse(raw, &Rfc3339).map_err(|_| invalid())?;
        let micros = parsed.unix_timestamp_nanos().div_euclid(1_000);
        i64::try_from(micros)
            .ok()
            .and_then(Self::from_micros)
            .ok_or_else(invalid)
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let nanos = i128::from(self.0) * 1_000;
        // The constructor bounds the value, so the conversion cannot fail; fall back to the
        // raw number rather than panic if that invariant were ever broken.
        let Ok(at) = OffsetDateTime::from_unix_timestamp_nanos(nanos) else {
            return write!(f, "{}", self.0);
        };
        write!(
            f,
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z",
            at.year(),
            u8::from(at.month()),
            at.day(),
            at.hour(),
            at.minute(),
            at.second(),
            at.microsecond()
        )
    }
}

/// Where "now" comes from. A port so the core stays free of I/O and tests can pin time.
pub trait Clock: Send + Sync + 'static {
    /// The current time.
    fn now(&self) -> Timestamp;
}

/// The system's wall clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        let micros = OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000;
        i64::try_from(micros)
            .ok()
            .and_then(Timestamp::from_micros)
            .unwrap_or(Timestamp(MAX_MICROS))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_fixed_width_with_microseconds() {
        assert_eq!(Timestamp(0).to_string(), "1970-01-01T00:00:00.000000Z");
        let t = Timestamp::parse("2026-11-24T14:01:02.123456Z").unwrap();
        assert_eq!(t.to_string(), "2026-11-24T14:01:02.123456Z");
        assert_eq!(Timestamp::MIN.to_string(), "0000-01-01T00:00:00.000000Z");
        assert_eq!(
            Timestamp(MAX_MICROS).to_string(),
            "9999-12-31T23:59:59.999999Z"
        );
    }

    #[test]
    fn string_order_is_time_order() {
        let samples = [
            MIN_MICROS,
            -1,
            0,
            1,
            999_999,
            1_000_000,
            1_764_000_000_000_000,
            MAX_MICROS,
        ];
        for pair in samples.windows(2) {
            let (a, b) = (Timestamp(pair[0]), Timestamp(pair[1]));
            assert!(a < b && a.to_string() < b.to_string(), "{a} vs {b}");
        }
    }

    #[test]
    fn parses_offsets_and_short_fractions() {
        let utc = Timestamp::parse("2026-11-24T14:01:02.5Z").unwrap();
        assert_eq!(utc.to_string(), "2026-11-24T14:01:02.500000Z");
        let offset = Timestamp::parse("2026-11-24T15:01:02.5+01:00").unwrap();
        assert_eq!(offset, utc);
        let nanos = Timestamp::parse("2026-11-24T14:01:02.123456789Z").unwrap();
        assert_eq!(nanos.to_string(), "2026-11-24T14:01:02.123456Z");
    }

    #[test]
    fn rejects_anything_that_is_not_a_timestamp() {
        for raw in [
            "",
            "abc",
            "2026-11-24",
            "2026-13-01T00:00:00Z",
            "1764000000",
        ] {
            assert_eq!(
                Timestamp::parse(raw).unwrap_err().code(),
                ErrorCode::InvalidCursor,
                "{raw}"
            );
        }
    }

    #[test]
    fn next_is_one_microsecond_later() {
        let t = Timestamp(41);
        assert_eq!(t.next().as_micros(), 42);
        assert_eq!(Timestamp(MAX_MICROS).next().as_micros(), MAX_MICROS);
    }

    #[test]
    fn from_micros_bounds_to_four_digit_years() {
        assert!(Timestamp::from_micros(MAX_MICROS + 1).is_none());
        assert!(Timestamp::from_micros(MIN_MICROS - 1).is_none());
    }

    #[test]
    fn system_clock_is_after_2020() {
        assert!(SystemClock.now() > Timestamp::parse("2020-01-01T00:00:00Z").unwrap());
    }
}
