//! When someone may be notified: a time zone and the weekly hours inside which a push or an
//! email may reach them. Outside those hours is quiet: messages are stored and delivered to
//! open connections as always, but notifications wait until the next hours begin.
//!
//! A teacher states their own ("office hours Mon–Fri 8:00–16:00"); the school states one for
//! students and guardians ("not 21:00–07:00" is hours 07:00–21:00 every day). Hours are
//! wall-clock times in the schedule's zone, so 8:00 stays 8:00 across a daylight-saving
//! change; a start that falls in a spring-forward gap begins at the first instant after it.

use crate::error::{ChatError, ErrorCode};
use crate::time::Timestamp;
use jiff::civil::{Date, Time, Weekday};
use jiff::tz::TimeZone;
use std::fmt;

/// The most entries a schedule may have (one per day twice over is plenty).
pub const MAX_SCHEDULE_ENTRIES: usize = 14;
/// The longest time-zone name accepted (the longest IANA name is 32 characters).
pub const MAX_ZONE_LEN: usize = 64;
/// What the OpenAPI document states for `from`/`to`: `HH:MM`, 00:00–24:00.
pub const CLOCK_PATTERN: &str = "^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$";
/// What the OpenAPI document states for a day.
pub const DAY_NAMES: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// Minutes since midnight, 0–1440 (1440 is the end of the day, written `24:00`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ClockTime(u16);

impl ClockTime {
    /// Parses `HH:MM` (exactly [`CLOCK_PATTERN`]).
    pub fn parse(raw: &str) -> Result<Self, ChatError> {
        let invalid = || invalid(format!("a time of day is HH:MM, 00:00–24:00, not {raw:?}"));
        let bytes = raw.as_bytes();
        if bytes.len() != 5 || bytes[2] != b':' || !raw.is_char_boundary(2) {
            return Err(invalid());
        }
        let hours: u16 = raw[..2].parse().map_err(|_| invalid())?;
        let minutes: u16 = raw[3..].parse().map_err(|_| invalid())?;
        let digits = bytes[..2].iter().chain(&bytes[3..]).all(u8::is_ascii_digit);
        if !digits || minutes > 59 || hours > 24 || (hours == 24 && minutes != 0) {
            return Err(invalid());
        }
        Ok(Self(hours * 60 + minutes))
    }

    /// Minutes since midnight.
    pub fn minutes(self) -> u16 {
        self.0
    }

    /// The wall-clock time, or `None` for the end of the day (24:00).
    fn civil(self) -> Option<Time> {
        let hours = i8::try_from(self.0 / 60).ok()?;
        let minutes = i8::try_from(self.0 % 60).ok()?;
        (hours < 24).then(|| Time::constant(hours, minutes, 0, 0))
    }
}

impl fmt::Display for ClockTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}:{:02}", self.0 / 60, self.0 % 60)
    }
}

/// A set of weekdays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Days(u8);

impl Days {
    /// Every day of the week.
    pub const ALL: Days = Days(0b111_1111);
    /// Monday to Friday.
    pub const WEEKDAYS: Days = Days(0b001_1111);

    /// The days named (`mon` … `sun`), each at most once, at least one.
    pub fn parse<'a>(names: impl IntoIterator<Item = &'a str>) -> Result<Self, ChatError> {
        let mut days = 0u8;
        for name in names {
            let Some(index) = DAY_NAMES.iter().position(|day| *day == name) else {
                return Err(invalid(format!(
                    "a day is one of mon, tue, wed, thu, fri, sat, sun, not {name:?}"
                )));
            };
            let bit = 1u8 << index;
            if days & bit != 0 {
                return Err(invalid(format!("the day {name} is named twice")));
            }
            days |= bit;
        }
        if days == 0 {
            return Err(invalid(
                "an entry of a schedule names at least one day".into(),
            ));
        }
        Ok(Self(days))
    }

    /// The names of the days, Monday first.
    pub fn names(self) -> Vec<&'static str> {
        DAY_NAMES
            .iter()
            .enumerate()
            .filter(|(index, _)| self.0 & (1 << index) != 0)
            .map(|(_, name)| *name)
            .collect()
    }

    fn contains(self, day: Weekday) -> bool {
        let index = day.to_monday_zero_offset();
        self.0 & (1 << index) != 0
    }
}

/// One entry: on these days, from this time to that one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Hours {
    /// The days it applies to.
    pub days: Days,
    /// When notifications may begin, wall-clock.
    pub from: ClockTime,
    /// When they stop (exclusive); after `from`, at most 24:00.
    pub to: ClockTime,
}

impl Hours {
    /// An entry, if `from` is before `to`. (A span past midnight is two entries.)
    pub fn new(days: Days, from: ClockTime, to: ClockTime) -> Result<Self, ChatError> {
        if from >= to {
            return Err(invalid(format!(
                "hours end after they begin (from {from} to {to}); a span past midnight is two entries"
            )));
        }
        Ok(Self { days, from, to })
    }
}

/// A time zone and the weekly hours in it when notifications may go out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule {
    zone_name: String,
    zone: TimeZone,
    hours: Vec<Hours>,
}

impl Schedule {
    /// A schedule in the IANA zone `zone` (e.g. `Europe/London`), with 1–14 entries.
    pub fn new(zone: &str, hours: Vec<Hours>) -> Result<Self, ChatError> {
        if zone.is_empty() || zone.len() > MAX_ZONE_LEN {
            return Err(invalid(format!(
                "timeZone is an IANA time zone name of 1–{MAX_ZONE_LEN} characters"
            )));
        }
        let parsed = TimeZone::get(zone).map_err(|_| {
            invalid(format!(
                "unknown time zone {zone:?}; use an IANA name such as Europe/London"
            ))
        })?;
        if hours.is_empty() || hours.len() > MAX_SCHEDULE_ENTRIES {
            return Err(invalid(format!(
                "a schedule has 1–{MAX_SCHEDULE_ENTRIES} entries; to be notified at any time, set none"
            )));
        }
        Ok(Self {
            zone_name: parsed.iana_name().unwrap_or(zone).to_owned(),
            zone: parsed,
            hours,
        })
    }

    /// The time zone's IANA name.
    pub fn zone(&self) -> &str {
        &self.zone_name
    }

    /// The entries, as given.
    pub fn hours(&self) -> &[Hours] {
        &self.hours
    }

    /// `None` when `now` is inside the hours (notify now); otherwise the instant the next
    /// hours begin, when what was held may go out. Wall-clock in the schedule's zone, so
    /// it follows daylight-saving changes.
    pub fn quiet_until(&self, now: Timestamp) -> Option<Timestamp> {
        let instant = jiff::Timestamp::from_microsecond(now.as_micros()).ok()?;
        let zoned = instant.to_zoned_datetime(self.zone.clone());
        let today = zoned.date();
        let mut next: Option<jiff::Timestamp> = None;
        // The hours of today and the next seven days: one of them starts within a week.
        for offset in 0..=7i8 {
            let Ok(date) = today.checked_add(jiff::Span::new().days(offset)) else {
                break;
            };
            for entry in self
                .hours
                .iter()
                .filter(|h| h.days.contains(date.weekday()))
            {
                let start = self.instant(date, entry.from);
                let end = self.instant(date, entry.to);
                let (Some(start), Some(end)) = (start, end) else {
                    continue;
                };
                if start <= instant && instant < end {
                    return None;
                }
                if start > instant && next.is_none_or(|best| start < best) {
                    next = Some(start);
                }
            }
            if next.is_some() && offset >= 1 {
                // Later days start later still.
                break;
            }
        }
        next.and_then(|at| Timestamp::from_micros(at.as_microsecond()))
    }

    /// The instant a wall-clock time of `date` happens in this zone (24:00 is the next
    /// day's midnight; a time in a gap is the first instant after it).
    fn instant(&self, date: Date, at: ClockTime) -> Option<jiff::Timestamp> {
        let datetime = match at.civil() {
            Some(time) => date.to_datetime(time),
            None => date.tomorrow().ok()?.to_datetime(Time::midnight()),
        };
        self.zone.to_ambiguous_timestamp(datetime).compatible().ok()
    }
}

impl fmt::Display for Schedule {
    /// `Mon–Fri 08:00–16:00, Sat 09:00–12:00 (Europe/London)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (index, entry) in self.hours.iter().enumerate() {
            if index > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{} {}–{}", day_ranges(entry.days), entry.from, entry.to)?;
        }
        write!(f, " ({})", self.zone_name)
    }
}

/// `Mon–Fri`, `Mon, Wed, Fri`, `Every day`.
fn day_ranges(days: Days) -> String {
    if days == Days::ALL {
        return "every day".into();
    }
    let title = |index: usize| {
        let name = DAY_NAMES[index];
        format!("{}{}", name[..1].to_uppercase(), &name[1..])
    };
    let mut parts = Vec::new();
    let mut index = 0;
    while index < 7 {
        if days.0 & (1 << index) == 0 {
            index += 1;
            continue;
        }
        let start = index;
        while index + 1 < 7 && days.0 & (1 << (index + 1)) != 0 {
            index += 1;
        }
        parts.push(match index - start {
            0 => title(start),
            1 => format!("{}, {}", title(start), title(index)),
            _ => format!("{}–{}", title(start), title(index)),
        });
        index += 1;
    }
    parts.join(", ")
}

fn invalid(message: String) -> ChatError {
    ChatError::validation(ErrorCode::InvalidRequest, message)
}

#[cfg(test)]
#[path = "schedule_tests.rs"]
mod tests;
