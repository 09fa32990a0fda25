//! RIV-TA date and time stamp types.

use chrono::{Datelike, NaiveDate, NaiveDateTime, TimeZone, Timelike};
use chrono_tz::Europe::Stockholm;

use crate::xml::XmlText;

fn parse_digits(text: &str, len: usize) -> Option<&str> {
    (text.len() == len && text.bytes().all(|b| b.is_ascii_digit())).then_some(text)
}

/// The value of ASCII digits (checked by [`parse_digits`]).
fn number(digits: &[u8]) -> u32 {
    digits
        .iter()
        .fold(0, |value, d| value * 10 + u32::from(d.wrapping_sub(b'0')))
}

/// `YYYYMMDD` (already checked to be eight ASCII digits) as a date, when it exists.
fn date_of(digits: &[u8]) -> Option<NaiveDate> {
    let (year, rest) = digits.split_at_checked(4)?;
    let (month, day) = rest.split_at_checked(2)?;
    NaiveDate::from_ymd_opt(number(year) as i32, number(month), number(day))
}

/// Appends `value` as exactly `width` decimal digits (zero-padded; values that do not
/// fit keep only their last `width` digits, which never happens for 1900–2099 dates).
fn push_digits(out: &mut String, value: u32, width: usize) {
    let mut buf = [b'0'; 4];
    let mut v = value;
    for slot in buf[..width.min(4)].iter_mut().rev() {
        *slot = b'0' + (v % 10) as u8;
        v /= 10;
    }
    for &b in &buf[..width.min(4)] {
        out.push(char::from(b));
    }
}

fn push_date(out: &mut String, date: NaiveDate) {
    push_digits(out, date.year().unsigned_abs(), 4);
    push_digits(out, date.month(), 2);
    push_digits(out, date.day(), 2);
}

fn push_time_stamp(out: &mut String, t: NaiveDateTime) {
    push_date(out, t.date());
    push_digits(out, t.hour(), 2);
    push_digits(out, t.minute(), 2);
    push_digits(out, t.second(), 2);
}

fn year_in_range(year: i32) -> bool {
    // DateType and TimeStampType patterns start with (19|20).
    (1900..=2099).contains(&year)
}

/// DateType: a calendar date written `YYYYMMDD`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date(NaiveDate);

impl Date {
    /// Parses `YYYYMMDD`; the date must exist and lie in 1900–2099.
    pub fn parse(text: &str) -> Option<Self> {
        let digits = parse_digits(text, 8)?;
        let date = date_of(digits.as_bytes())?;
        year_in_range(date.year()).then_some(Date(date))
    }

    /// Wraps a date (years outside 1900–2099 cannot be written as DateType).
    pub fn new(date: NaiveDate) -> Option<Self> {
        year_in_range(date.year()).then_some(Date(date))
    }

    /// The calendar date.
    pub fn date(self) -> NaiveDate {
        self.0
    }

    /// The first second of the day, as a time stamp.
    pub fn start_of_day(self) -> TimeStamp {
        TimeStamp(self.0.and_time(chrono::NaiveTime::MIN))
    }

    /// The last second of the day, as a time stamp.
    pub fn end_of_day(self) -> TimeStamp {
        let end = chrono::NaiveTime::from_hms_opt(23, 59, 59).unwrap_or(chrono::NaiveTime::MIN);
        TimeStamp(self.0.and_time(end))
    }
}

impl std::fmt::Display for Date {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut out = String::with_capacity(8);
        push_date(&mut out, self.0);
        f.write_str(&out)
    }
}

impl XmlText for Date {
    fn from_xml_text(text: &str) -> Result<Self, String> {
        Date::parse(text).ok_or_else(|| "not a DateType (YYYYMMDD, a real date)".to_owned())
    }

    fn write_xml_text(&self, out: &mut String) {
        push_date(out, self.0);
    }
}

/// TimeStampType: a point in time written `YYYYMMDDhhmmss`, in Swedish local time
/// (Europe/Stockholm) without a zone, as RIV-TA prescribes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TimeStamp(NaiveDateTime);

impl TimeStamp {
    /// Parses `YYYYMMDDhhmmss`; the date and time must exist (no leap second).
    pub fn parse(text: &str) -> Option<Self> {
        // Hand-written rather than chrono's format parser: stored records are parsed
        // on every request (GetDiagnosis of 50 records parses 150 of them).
        let digits = parse_digits(text, 14)?.as_bytes();
        let (date, time) = digits.split_at_checked(8)?;
        let (hour, rest) = time.split_at_checked(2)?;
        let (minute, second) = rest.split_at_checked(2)?;
        let time = chrono::NaiveTime::from_hms_opt(number(hour), number(minute), number(second))?;
        let value = date_of(date)?.and_time(time);
        year_in_range(value.year()).then_some(TimeStamp(value))
    }

    /// Wraps a Swedish local date-time.
    pub fn new(local: NaiveDateTime) -> Option<Self> {
        year_in_range(local.year()).then_some(TimeStamp(local.with_nanosecond(0)?))
    }

    /// The Swedish local time of an instant.
    pub fn from_utc(instant: chrono::DateTime<chrono::Utc>) -> Option<Self> {
        TimeStamp::new(instant.with_timezone(&Stockholm).naive_local())
    }

    /// The instant this local time denotes. In the autumn DST overlap the earlier
    /// instant is chosen; a time in the spring gap is moved forward by the gap.
    pub fn to_utc(self) -> chrono::DateTime<chrono::Utc> {
        match Stockholm.from_local_datetime(&self.0) {
            chrono::LocalResult::Single(t) => t.with_timezone(&chrono::Utc),
            chrono::LocalResult::Ambiguous(early, _) => early.with_timezone(&chrono::Utc),
            chrono::LocalResult::None => {
                let shifted = self.0 + chrono::Duration::hours(1);
                Stockholm
                    .from_local_datetime(&shifted)
                    .earliest()
                    .map(|t| t.with_timezone(&chrono::Utc))
                    .unwrap_or_else(|| shifted.and_utc())
            }
        }
    }

    /// The local date-time.
    pub fn local(self) -> NaiveDateTime {
        self.0
    }

    /// The local calendar date.
    pub fn date(self) -> Date {
        Date(self.0.date())
    }
}

impl std::fmt::Display for TimeStamp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut out = String::with_capacity(14);
        push_time_stamp(&mut out, self.0);
        f.write_str(&out)
    }
}

impl XmlText for TimeStamp {
    fn from_xml_text(text: &str) -> Result<Self, String> {
        TimeStamp::parse(text)
            .ok_or_else(|| "not a TimeStampType (YYYYMMDDhhmmss, a real local time)".to_owned())
    }

    fn write_xml_text(&self, out: &mut String) {
        push_time_stamp(out, self.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_must_be_real_and_in_the_pattern_range() {
        assert!(Date::parse("20240229").is_some());
        assert!(Date::parse("20230229").is_none());
        assert!(Date::parse("2024-02-01").is_none());
        assert!(Date::parse("18991231").is_none());
        assert!(Date::parse("２０２４０１０１").is_none());
        assert_eq!(
            Date::parse("20240131").map(|d| d.to_string()),
            Some("20240131".into())
        );
    }

    #[test]
    fn time_stamps_parse_and_print_the_same() {
        let t = TimeStamp::parse("20240315143005").expect("valid");
        assert_eq!(t.to_string(), "20240315143005");
        assert!(TimeStamp::parse("20240315246000").is_none());
        assert!(TimeStamp::parse("2024031514300").is_none());
        assert!(
            TimeStamp::parse("20240315143060").is_none(),
            "no leap second"
        );
        assert!(TimeStamp::parse("20240315236000").is_none());
        assert!(TimeStamp::parse("20230229120000").is_none());
        assert!(TimeStamp::parse("20240229000000").is_some());
        assert!(TimeStamp::parse("18991231235959").is_none());
        assert!(TimeStamp::parse("2024031514300a").is_none());
        assert!(TimeStamp::parse("+2024031514300").is_none());
        let mut out = String::new();
        t.write_xml_text(&mut out);
        Date::parse("19000101")
            .expect("valid")
            .write_xml_text(&mut out);
        assert_eq!(out, "2024031514300519000101");
    }

    #[test]
    fn time_stamps_are_swedish_local_time() {
        // Winter: UTC+1; summer: UTC+2.
        let winter = TimeStamp::parse("20240115120000").expect("valid").to_utc();
        assert_eq!(winter.to_rfc3339(), "2024-01-15T11:00:00+00:00");
        let summer = TimeStamp::parse("20240715120000").expect("valid").to_utc();
        assert_eq!(summer.to_rfc3339(), "2024-07-15T10:00:00+00:00");
        let back = TimeStamp::from_utc(summer).expect("in range");
        assert_eq!(back.to_string(), "20240715120000");
    }
}
