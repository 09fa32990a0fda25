//! Ages and points in the school calendar, relative to a child's birth date, as the
//! programme configuration writes them (`"3m"`, `"1y6m"`, `"6w"`, `"school:5"`,
//! `"school:5+6m"`), and the Swedish labels the summary shows for ages.

use std::fmt;

use chrono::{Datelike, Duration, Months, NaiveDate};

/// A span of calendar time: years and months are added as calendar months (a child is
/// "3 months" on the same day of the month, three months after birth), weeks and days
/// as days.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AgeSpan {
    /// Years.
    pub years: u32,
    /// Months.
    pub months: u32,
    /// Weeks.
    pub weeks: u32,
    /// Days.
    pub days: u32,
}

impl AgeSpan {
    /// `date` plus this span; `None` outside chrono's range.
    pub fn after(self, date: NaiveDate) -> Option<NaiveDate> {
        let months = self.years.checked_mul(12)?.checked_add(self.months)?;
        let date = date.checked_add_months(Months::new(months))?;
        let days = i64::from(self.weeks) * 7 + i64::from(self.days);
        date.checked_add_signed(Duration::days(days))
    }

    /// Whether every part is zero.
    pub fn is_zero(self) -> bool {
        self == AgeSpan::default()
    }

    /// Parses `1y6m`, `3m`, `6w`, `10d`, `0d`: one or more `<number><unit>` parts with
    /// the units `y`, `m`, `w`, `d` in that order, each at most once.
    fn parse(text: &str) -> Result<Self, String> {
        if text.is_empty() {
            return Err("an empty age".to_owned());
        }
        let mut span = AgeSpan::default();
        let mut rest = text;
        let mut last_unit = 0;
        while !rest.is_empty() {
            let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
            if digits == 0 || digits > 4 {
                return Err(format!(
                    "`{text}` is not an age such as 3m, 1y6m, 6w or 10d"
                ));
            }
            let number: u32 = rest[..digits]
                .parse()
                .map_err(|_| format!("`{text}`: number too large"))?;
            let unit = rest[digits..].chars().next();
            let (order, slot) = match unit {
                Some('y') => (1, &mut span.years),
                Some('m') => (2, &mut span.months),
                Some('w') => (3, &mut span.weeks),
                Some('d') => (4, &mut span.days),
                _ => {
                    return Err(format!(
                        "`{text}`: every number needs a unit y (years), m (months), w (weeks) or d (days)"
                    ));
                }
            };
            if order <= last_unit {
                return Err(format!(
                    "`{text}`: units must come in the order y, m, w, d, each once"
                ));
            }
            last_unit = order;
            *slot = number;
            rest = &rest[digits + 1..];
        }
        Ok(span)
    }
}

impl fmt::Display for AgeSpan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_zero() {
            return f.write_str("0d");
        }
        for (value, unit) in [
            (self.years, 'y'),
            (self.months, 'm'),
            (self.weeks, 'w'),
            (self.days, 'd'),
        ] {
            if value > 0 {
                write!(f, "{value}{unit}")?;
            }
        }
        Ok(())
    }
}

/// When something is due, relative to the child: an age, or the start of a school year
/// (1 August of the year the child starts it: förskoleklass, year 0, the autumn of the
/// calendar year the child turns six) plus an optional span.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Timing {
    /// An age.
    Age(AgeSpan),
    /// 1 August of school year `year` (0 = förskoleklass), plus `offset`.
    SchoolYear {
        /// School year, 0–12.
        year: u8,
        /// Span after the start of the school year.
        offset: AgeSpan,
    },
}

impl Timing {
    /// The day this timing falls on for a child born on `birth`.
    pub fn resolve(self, birth: NaiveDate) -> Option<NaiveDate> {
        match self {
            Timing::Age(span) => span.after(birth),
            Timing::SchoolYear { year, offset } => {
                let start = NaiveDate::from_ymd_opt(birth.year() + 6 + i32::from(year), 8, 1)?;
                offset.after(start)
            }
        }
    }

    /// The Swedish label, e.g. `3 mån`, `1 år 6 mån`, `6 veckor`, `åk 5`, `åk 5 + 6 mån`,
    /// `förskoleklass`.
    pub fn label_sv(self) -> String {
        match self {
            Timing::Age(span) => span_sv(span),
            Timing::SchoolYear { year, offset } => {
                let base = match year {
                    0 => "förskoleklass".to_owned(),
                    1..=9 => format!("åk {year}"),
                    _ => format!("gymnasiet år {}", year - 9),
                };
                if offset.is_zero() {
                    base
                } else {
                    format!("{base} + {}", span_sv(offset))
                }
            }
        }
    }
}

impl fmt::Display for Timing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Timing::Age(span) => span.fmt(f),
            Timing::SchoolYear { year, offset } if offset.is_zero() => write!(f, "school:{year}"),
            Timing::SchoolYear { year, offset } => write!(f, "school:{year}+{offset}"),
        }
    }
}

impl std::str::FromStr for Timing {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let text = text.trim();
        let Some(school) = text.strip_prefix("school:") else {
            return AgeSpan::parse(text).map(Timing::Age);
        };
        let (year, offset) = match school.split_once('+') {
            Some((year, offset)) => (year, AgeSpan::parse(offset)?),
            None => (school, AgeSpan::default()),
        };
        let year: u8 =
            year.parse().ok().filter(|y| *y <= 12).ok_or_else(|| {
                format!("`{text}`: the school year must be 0 (förskoleklass) to 12")
            })?;
        Ok(Timing::SchoolYear { year, offset })
    }
}

impl TryFrom<String> for Timing {
    type Error = String;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        text.parse()
    }
}

impl<'de> serde::Deserialize<'de> for Timing {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// Swedish label of a span: `1 år 6 mån`, `6 veckor`, `10 dagar`.
fn span_sv(span: AgeSpan) -> String {
    let mut parts = Vec::new();
    if span.years > 0 {
        parts.push(format!("{} år", span.years));
    }
    if span.months > 0 {
        parts.push(format!("{} mån", span.months));
    }
    if span.weeks > 0 {
        let unit = if span.weeks == 1 { "vecka" } else { "veckor" };
        parts.push(format!("{} {unit}", span.weeks));
    }
    if span.days > 0 || parts.is_empty() {
        let unit = if span.days == 1 { "dag" } else { "dagar" };
        parts.push(format!("{} {unit}", span.days));
    }
    parts.join(" ")
}

/// Whole calendar months from `birth` to `day` and the days left over; `None` when
/// `day` is before `birth`.
pub fn months_and_days(birth: NaiveDate, day: NaiveDate) -> Option<(u32, u32)> {
    if day < birth {
        return None;
    }
    let mut months = (day.year() - birth.year()) * 12 + day.month() as i32 - birth.month() as i32;
    let mut anniversary = birth.checked_add_months(Months::new(u32::try_from(months).ok()?))?;
    if anniversary > day {
        months -= 1;
        anniversary = birth.checked_add_months(Months::new(u32::try_from(months).ok()?))?;
    }
    let days = (day - anniversary).num_days();
    Some((u32::try_from(months).ok()?, u32::try_from(days).ok()?))
}

/// The age of a child born on `birth` on `day`, in Swedish as journals write it:
/// `5 dagar` or `3 veckor` in the first two months, `7 mån` until two years, then
/// `4 år 2 mån`. `None` when `day` is before `birth`.
pub fn age_label_sv(birth: NaiveDate, day: NaiveDate) -> Option<String> {
    let (months, _) = months_and_days(birth, day)?;
    let days = (day - birth).num_days();
    Some(if months < 2 {
        if days < 14 {
            span_sv(AgeSpan {
                days: u32::try_from(days).ok()?,
                ..AgeSpan::default()
            })
        } else {
            span_sv(AgeSpan {
                weeks: u32::try_from(days / 7).ok()?,
                ..AgeSpan::default()
            })
        }
    } else if months < 24 {
        format!("{months} mån")
    } else if months % 12 == 0 {
        format!("{} år", months / 12)
    } else {
        format!("{} år {} mån", months / 12, months % 12)
    })
}

/// The age in months as a decimal (days / 30.4375), for charts.
pub fn age_in_months(birth: NaiveDate, day: NaiveDate) -> f64 {
    (day - birth).num_days() as f64 / 30.4375
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("date")
    }

    #[test]
    fn timings_parse_and_print_in_the_config_form() {
        for text in [
            "3m",
            "1y6m",
            "6w",
            "10d",
            "0d",
            "5y",
            "school:5",
            "school:5+6m",
        ] {
            let timing: Timing = text.parse().expect(text);
            assert_eq!(timing.to_string(), text);
        }
        for bad in [
            "",
            "3",
            "m",
            "3x",
            "6m1y",
            "3m3m",
            "school:13",
            "school:x",
            "school:5+",
        ] {
            assert!(bad.parse::<Timing>().is_err(), "{bad}");
        }
    }

    #[test]
    fn timings_resolve_to_calendar_days() {
        let birth = ymd(2020, 1, 31);
        assert_eq!(
            "3m".parse::<Timing>().ok().and_then(|t| t.resolve(birth)),
            Some(ymd(2020, 4, 30))
        );
        assert_eq!(
            "6w".parse::<Timing>().ok().and_then(|t| t.resolve(birth)),
            Some(ymd(2020, 3, 13))
        );
        // Born 2020: förskoleklass autumn 2026, year 5 autumn 2031.
        assert_eq!(
            "school:5+6m"
                .parse::<Timing>()
                .ok()
                .and_then(|t| t.resolve(birth)),
            Some(ymd(2032, 2, 1))
        );
        assert_eq!(
            "school:0"
                .parse::<Timing>()
                .ok()
                .and_then(|t| t.resolve(ymd(2020, 12, 31))),
            Some(ymd(2026, 8, 1))
        );
    }

    #[test]
    fn ages_read_like_a_journal() {
        let birth = ymd(2020, 3, 15);
        let label = |d| age_label_sv(birth, d).expect("after birth");
        assert_eq!(label(ymd(2020, 3, 20)), "5 dagar");
        assert_eq!(label(ymd(2020, 4, 20)), "5 veckor");
        assert_eq!(label(ymd(2020, 6, 14)), "2 mån");
        assert_eq!(label(ymd(2021, 9, 15)), "18 mån");
        assert_eq!(label(ymd(2024, 5, 30)), "4 år 2 mån");
        assert_eq!(label(ymd(2025, 3, 15)), "5 år");
        assert_eq!(age_label_sv(birth, ymd(2020, 3, 14)), None);
        assert_eq!(
            Timing::Age(AgeSpan {
                years: 1,
                months: 6,
                ..AgeSpan::default()
            })
            .label_sv(),
            "1 år 6 mån"
        );
        assert_eq!(
            "school:5+6m".parse::<Timing>().map(Timing::label_sv),
            Ok("åk 5 + 6 mån".to_owned())
        );
    }
}
