//! Message time: microseconds since the Unix epoch, shown as fixed-width RFC 3339 UTC
//! (`2026-11-24T14:01:02.123456Z`) so that string order is time order — the property the
//! DynamoDB sort key and every cursor rely on.

use crate::error::{ChatError, ErrorCode};
use std::fmt;
use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset};

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

    /// Parses a timestamp as given in a cursor or a read marker: an RFC 3339 date-time
    /// `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)` with a real calendar date, seconds
    /// 00–59 (no leap second), 1–9 fraction digits (truncated to the microsecond), an
    /// offset of at most ±23:59, and `T`/`Z` in either case.
    ///
    /// The grammar is exactly what [`TIMESTAMP_PATTERN`] matches, so the OpenAPI document
    /// can state it: this is why it is parsed by hand rather than with the `time` crate's
    /// RFC 3339 parser, which takes any byte as the separator and leap seconds only at the
    /// end of a UTC month. An instant that an offset moves outside the years 0000–9999 is
    /// clamped to [`Timestamp::MIN`] or the last representable instant: as a cursor or a
    /// read marker it means the same thing, and a pattern could not express the bound.
    pub fn parse(raw: &str) -> Result<Self, ChatError> {
        let invalid = || {
            ChatError::invalid(
                ErrorCode::InvalidCursor,
                "a timestamp is RFC 3339, e.g. 2026-11-24T14:01:02.123456Z",
            )
        };
        let at = parse_rfc3339(raw.as_bytes()).ok_or_else(invalid)?;
        let micros = at.unix_timestamp_nanos().div_euclid(1_000);
        let clamped = micros.clamp(i128::from(MIN_MICROS), i128::from(MAX_MICROS));
        i64::try_from(clamped).map(Self).map_err(|_| invalid())
    }
}

/// The timestamps [`Timestamp::parse`] accepts, as an ECMA-262 regular expression (for the
/// OpenAPI document): the date part spells out month lengths and leap years.
pub const TIMESTAMP_PATTERN: &str = concat!(
    "^(?:[0-9]{4}-(?:(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])",
    "|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)",
    "|02-(?:0[1-9]|1[0-9]|2[0-8]))",
    "|(?:[0-9]{2}(?:0[48]|[2468][048]|[13579][26])|(?:[02468][048]|[13579][26])00)-02-29)",
    "[Tt](?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](?:\\.[0-9]{1,9})?",
    "(?:[Zz]|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])$",
);

/// Longest fraction of a second accepted, in digits (nanoseconds).
const MAX_FRACTION_DIGITS: usize = 9;

/// The date-time `raw` spells, if it follows the grammar of [`Timestamp::parse`].
fn parse_rfc3339(raw: &[u8]) -> Option<OffsetDateTime> {
    // Fixed positions: `YYYY-MM-DDTHH:MM:SS`, then the fraction and the offset.
    let (head, rest) = raw.split_at_checked(19)?;
    let number = |range: std::ops::Range<usize>| -> Option<u16> {
        head[range].iter().try_fold(0u16, |value, &byte| {
            byte.is_ascii_digit()
                .then(|| value * 10 + u16::from(byte - b'0'))
        })
    };
    let literals = [(4, b'-'), (7, b'-'), (13, b':'), (16, b':')];
    if literals.iter().any(|&(at, byte)| head[at] != byte) || !matches!(head[10], b'T' | b't') {
        return None;
    }
    let year = i32::from(number(0..4)?);
    let month = Month::try_from(u8::try_from(number(5..7)?).ok()?).ok()?;
    let day = u8::try_from(number(8..10)?).ok()?;
    let hour = u8::try_from(number(11..13)?).ok()?;
    let minute = u8::try_from(number(14..16)?).ok()?;
    let second = u8::try_from(number(17..19)?).ok()?;

    let (nanosecond, rest) = match rest.split_first() {
        Some((b'.', fraction)) => {
            let digits = fraction
                .iter()
                .take_while(|byte| byte.is_ascii_digit())
                .count();
            if digits == 0 || digits > MAX_FRACTION_DIGITS {
                return None;
            }
            let value = fraction[..digits]
                .iter()
                .fold(0u32, |value, &byte| value * 10 + u32::from(byte - b'0'));
            // Scale to nanoseconds: `.5` is 500,000,000 ns.
            let scale = 10u32.pow(u32::try_from(MAX_FRACTION_DIGITS - digits).ok()?);
            (value * scale, &fraction[digits..])
        }
        _ => (0, rest),
    };
    let offset = match rest {
        [b'Z' | b'z'] => UtcOffset::UTC,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let digit = |byte: &u8| {
                byte.is_ascii_digit()
                    .then(|| i8::try_from(byte - b'0').ok())?
            };
            let hours = digit(h1)? * 10 + digit(h2)?;
            let minutes = digit(m1)? * 10 + digit(m2)?;
            if hours > 23 || minutes > 59 {
                return None;
            }
            let sign = if *sign == b'-' { -1 } else { 1 };
            UtcOffset::from_hms(sign * hours, sign * minutes, 0).ok()?
        }
        _ => return None,
    };
    let date = Date::from_calendar_date(year, month, day).ok()?;
    let time = Time::from_hms_nano(hour, minute, second, nanosecond).ok()?;
    Some(PrimitiveDateTime::new(date, time).assume_offset(offset))
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
            // Calendar: month lengths and leap years.
            "2026-02-29T00:00:00Z",
            "1900-02-29T00:00:00Z",
            "2026-04-31T00:00:00Z",
            "2026-00-10T00:00:00Z",
            "2026-01-00T00:00:00Z",
            // Clock: no hour 24, no leap second.
            "2026-11-24T24:00:00Z",
            "2016-12-31T23:59:60Z",
            "2026-11-24T14:60:00Z",
            // Separator, fraction, offset.
            "2026-11-24 14:01:02Z",
            "2026-11-24x14:01:02Z",
            "2026-11-24T14:01:02.Z",
            "2026-11-24T14:01:02.1234567890Z",
            "2026-11-24T14:01:02",
            "2026-11-24T14:01:02+24:00",
            "2026-11-24T14:01:02+01:60",
            "2026-11-24T14:01:02+0100",
            "2026-11-24T14:01:02Z ",
            " 2026-11-24T14:01:02Z",
            "+2026-11-24T14:01:02Z",
            "２０２６-11-24T14:01:02Z",
        ] {
            assert_eq!(
                Timestamp::parse(raw).unwrap_err().code(),
                ErrorCode::InvalidCursor,
                "{raw}"
            );
        }
    }

    #[test]
    fn accepts_leap_days_lower_case_and_offsets() {
        for raw in [
            "2024-02-29T00:00:00Z",
            "2000-02-29T00:00:00Z",
            "0000-02-29T00:00:00Z",
            "2026-11-24t14:01:02z",
            "2026-11-24T14:01:02.1-23:59",
            "2026-11-24T14:01:02.123456789+00:00",
        ] {
            assert!(Timestamp::parse(raw).is_ok(), "{raw}");
        }
    }

    #[test]
    fn instants_an_offset_moves_out_of_range_are_clamped() {
        let first = Timestamp::parse("0000-01-01T00:00:00+01:00").unwrap();
        assert_eq!(first, Timestamp::MIN);
        let last = Timestamp::parse("9999-12-31T23:59:59-23:59").unwrap();
        assert_eq!(last.to_string(), "9999-12-31T23:59:59.999999Z");
    }

    #[test]
    fn the_pattern_says_what_the_parser_says() {
        let pattern = regex_lite::Regex::new(TIMESTAMP_PATTERN).unwrap();
        let mut samples = Vec::new();
        for year in [
            "0000", "0004", "1900", "2000", "2023", "2024", "2100", "2400", "9999",
        ] {
            for month in ["00", "01", "02", "04", "09", "11", "12", "13"] {
                for day in ["00", "01", "28", "29", "30", "31", "32"] {
                    samples.push(format!("{year}-{month}-{day}T12:00:00Z"));
                }
            }
        }
        for time in [
            "00:00:00", "23:59:59", "24:00:00", "12:60:00", "12:00:60", "1:00:00",
        ] {
            for fraction in ["", ".", ".1", ".123456", ".123456789", ".1234567890", ".x"] {
                for offset in [
                    "Z", "z", "", "+00:00", "-23:59", "+24:00", "+01:60", "+0100", "Z ",
                ] {
                    for separator in ["T", "t", " ", "_"] {
                        samples.push(format!("2026-11-24{separator}{time}{fraction}{offset}"));
                    }
                }
            }
        }
        for raw in samples {
            assert_eq!(
                pattern.is_match(&raw),
                Timestamp::parse(&raw).is_ok(),
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
