use super::*;

fn at(raw: &str) -> Timestamp {
    Timestamp::parse(raw).unwrap()
}

fn office_hours(zone: &str) -> Schedule {
    let hours = Hours::new(
        Days::WEEKDAYS,
        ClockTime::parse("08:00").unwrap(),
        ClockTime::parse("16:00").unwrap(),
    )
    .unwrap();
    Schedule::new(zone, vec![hours]).unwrap()
}

#[test]
fn clock_times_are_exactly_hh_mm_up_to_24_00() {
    for good in ["00:00", "07:30", "23:59", "24:00"] {
        assert_eq!(ClockTime::parse(good).unwrap().to_string(), good);
    }
    for bad in [
        "", "7:30", "07:60", "24:01", "25:00", "07-30", "0730", "+7:30", "07:3x", "é7:30",
    ] {
        assert!(ClockTime::parse(bad).is_err(), "{bad}");
    }
    let pattern = regex_lite::Regex::new(CLOCK_PATTERN).unwrap();
    for raw in ["00:00", "24:00", "24:01", "7:30", "23:59", "07:60", "19:05"] {
        assert_eq!(
            pattern.is_match(raw),
            ClockTime::parse(raw).is_ok(),
            "{raw}"
        );
    }
}

#[test]
fn days_are_named_once_each_and_at_least_one() {
    assert_eq!(Days::parse(["mon", "fri"]).unwrap().names(), ["mon", "fri"]);
    assert!(Days::parse([]).is_err());
    assert!(Days::parse(["mon", "mon"]).is_err());
    assert!(Days::parse(["Mon"]).is_err());
    assert_eq!(Days::ALL.names().len(), 7);
}

#[test]
fn a_schedule_needs_a_known_zone_and_one_to_fourteen_entries() {
    let entry = Hours::new(
        Days::ALL,
        ClockTime::parse("07:00").unwrap(),
        ClockTime::parse("21:00").unwrap(),
    )
    .unwrap();
    assert!(Schedule::new("Europe/London", vec![entry]).is_ok());
    assert!(Schedule::new("Mars/Olympus", vec![entry]).is_err());
    assert!(Schedule::new("", vec![entry]).is_err());
    assert!(Schedule::new("Europe/London", vec![]).is_err());
    assert!(Schedule::new("Europe/London", vec![entry; 15]).is_err());
    let backwards = Hours::new(
        Days::ALL,
        ClockTime::parse("21:00").unwrap(),
        ClockTime::parse("07:00").unwrap(),
    );
    assert!(backwards.is_err());
}

#[test]
fn inside_the_hours_nothing_is_held() {
    let schedule = office_hours("Europe/London");
    // Wednesday 2 December 2026, 10:00 in London (GMT).
    assert_eq!(schedule.quiet_until(at("2026-12-02T10:00:00Z")), None);
    assert_eq!(schedule.quiet_until(at("2026-12-02T08:00:00Z")), None);
}

#[test]
fn outside_them_the_next_start_is_when_notifications_go() {
    let schedule = office_hours("Europe/London");
    // Wednesday evening → Thursday 8:00.
    assert_eq!(
        schedule.quiet_until(at("2026-12-02T16:00:00Z")),
        Some(at("2026-12-03T08:00:00Z"))
    );
    // Early Wednesday → the same day's 8:00.
    assert_eq!(
        schedule.quiet_until(at("2026-12-02T06:59:00Z")),
        Some(at("2026-12-02T08:00:00Z"))
    );
    // Friday evening → Monday.
    assert_eq!(
        schedule.quiet_until(at("2026-12-04T18:00:00Z")),
        Some(at("2026-12-07T08:00:00Z"))
    );
}

#[test]
fn hours_follow_the_wall_clock_across_daylight_saving() {
    let schedule = office_hours("America/New_York");
    // Friday 6 March 2026 after hours (EST, UTC−5) → Monday 9 March 8:00 EDT (UTC−4).
    assert_eq!(
        schedule.quiet_until(at("2026-03-06T22:00:00Z")),
        Some(at("2026-03-09T12:00:00Z"))
    );
    // The week before, Monday 8:00 EST is 13:00 UTC.
    assert_eq!(
        schedule.quiet_until(at("2026-02-27T22:00:00Z")),
        Some(at("2026-03-02T13:00:00Z"))
    );
    // Autumn: Friday 30 October (EDT) → Monday 2 November 8:00 EST.
    assert_eq!(
        schedule.quiet_until(at("2026-10-30T21:00:00Z")),
        Some(at("2026-11-02T13:00:00Z"))
    );
}

#[test]
fn a_start_in_the_spring_gap_begins_just_after_it() {
    let hours = Hours::new(
        Days::ALL,
        ClockTime::parse("02:30").unwrap(),
        ClockTime::parse("05:00").unwrap(),
    )
    .unwrap();
    let schedule = Schedule::new("America/New_York", vec![hours]).unwrap();
    // 8 March 2026: 02:00 EST jumps to 03:00 EDT; 02:30 does not exist and becomes 03:30
    // EDT (07:30 UTC).
    assert_eq!(
        schedule.quiet_until(at("2026-03-08T06:00:00Z")),
        Some(at("2026-03-08T07:30:00Z"))
    );
}

#[test]
fn hours_to_midnight_and_the_school_default() {
    let evening = Hours::new(
        Days::ALL,
        ClockTime::parse("07:00").unwrap(),
        ClockTime::parse("24:00").unwrap(),
    )
    .unwrap();
    let schedule = Schedule::new("UTC", vec![evening]).unwrap();
    assert_eq!(schedule.quiet_until(at("2026-12-02T23:59:59Z")), None);
    assert_eq!(
        schedule.quiet_until(at("2026-12-03T00:00:00Z")),
        Some(at("2026-12-03T07:00:00Z"))
    );
}

#[test]
fn schedules_read_as_people_write_them() {
    assert_eq!(
        office_hours("Europe/London").to_string(),
        "Mon–Fri 08:00–16:00 (Europe/London)"
    );
    let odd = Hours::new(
        Days::parse(["mon", "wed", "sat", "sun"]).unwrap(),
        ClockTime::parse("09:00").unwrap(),
        ClockTime::parse("12:00").unwrap(),
    )
    .unwrap();
    let all = Hours::new(
        Days::ALL,
        ClockTime::parse("07:00").unwrap(),
        ClockTime::parse("21:00").unwrap(),
    )
    .unwrap();
    assert_eq!(
        Schedule::new("UTC", vec![odd, all]).unwrap().to_string(),
        "Mon, Wed, Sat, Sun 09:00–12:00, every day 07:00–21:00 (UTC)"
    );
}
