//! Time windows: the policy per information type, what the user asked for, and what
//! was applied.

use chrono::{Datelike, NaiveDate};
use serde::Deserialize;

/// How far back a window reaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Span {
    /// The current year and this many years back (NPÖ: 3).
    YearsBack(u32),
    /// From the pupil's birth.
    FromBirth,
}

impl Span {
    /// Whether `self` can reach further back than `other` (birth is the furthest).
    pub fn reaches_further_than(self, other: Span) -> bool {
        match (self, other) {
            (Span::FromBirth, Span::FromBirth) => false,
            (Span::FromBirth, Span::YearsBack(_)) => true,
            (Span::YearsBack(_), Span::FromBirth) => false,
            (Span::YearsBack(a), Span::YearsBack(b)) => a > b,
        }
    }

    /// The first day of the span, for a pupil born `birth`, as of `today`. A span of
    /// years never starts before birth.
    pub fn start(self, birth: Option<NaiveDate>, today: NaiveDate) -> NaiveDate {
        let birth = birth.unwrap_or(NaiveDate::MIN);
        match self {
            Span::FromBirth => birth,
            Span::YearsBack(years) => {
                let year = today.year() - i32::try_from(years).unwrap_or(i32::MAX / 2);
                let start = NaiveDate::from_ymd_opt(year, 1, 1).unwrap_or(NaiveDate::MIN);
                start.max(birth)
            }
        }
    }
}

/// A date window, both ends included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// First day.
    pub from: NaiveDate,
    /// Last day.
    pub to: NaiveDate,
}

impl Window {
    /// Whether a record from `start` to `end` (`None`: still going) overlaps.
    pub fn overlaps(&self, start: NaiveDate, end: Option<NaiveDate>) -> bool {
        start <= self.to && end.is_none_or(|end| end >= self.from)
    }

    /// `YYYY-MM-DD–YYYY-MM-DD`.
    pub fn text(&self) -> String {
        format!("{}–{}", self.from, self.to)
    }
}

/// The window applied for one type, and whether the request was narrowed to the
/// policy's maximum.
#[derive(Debug, Clone, Copy)]
pub struct Applied {
    /// The window used for the request and the local filter.
    pub window: Window,
    /// The earliest start the policy allows.
    pub earliest: NaiveDate,
    /// The user asked for more than the maximum.
    pub clamped: bool,
}

/// Works out the window for one type: the user's dates when given (`from`/`to`),
/// else the `opening` span (a view's, else the policy default), never reaching before
/// the policy maximum `max`.
pub fn resolve(
    opening: Span,
    max: Span,
    asked_from: Option<NaiveDate>,
    asked_to: Option<NaiveDate>,
    birth: Option<NaiveDate>,
    today: NaiveDate,
) -> Applied {
    let earliest = max.start(birth, today);
    let opening = if opening.reaches_further_than(max) {
        max
    } else {
        opening
    };
    let from = asked_from.unwrap_or_else(|| opening.start(birth, today));
    let clamped = from < earliest;
    let from = from.max(earliest);
    let to = asked_to.unwrap_or(today).max(from);
    Applied {
        window: Window { from, to },
        earliest,
        clamped,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn default_is_current_year_and_three_back() {
        let a = resolve(
            Span::YearsBack(3),
            Span::YearsBack(3),
            None,
            None,
            Some(d(2012, 12, 12)),
            d(2026, 6, 1),
        );
        assert_eq!(a.window.from, d(2023, 1, 1));
        assert_eq!(a.window.to, d(2026, 6, 1));
        assert!(!a.clamped);
    }

    #[test]
    fn asked_beyond_max_is_clamped() {
        let a = resolve(
            Span::YearsBack(3),
            Span::YearsBack(3),
            Some(d(2000, 1, 1)),
            None,
            None,
            d(2026, 6, 1),
        );
        assert_eq!(a.window.from, d(2023, 1, 1));
        assert!(a.clamped);
        let b = resolve(
            Span::YearsBack(3),
            Span::FromBirth,
            Some(d(2000, 1, 1)),
            None,
            Some(d(2015, 3, 4)),
            d(2026, 6, 1),
        );
        assert_eq!(b.window.from, d(2015, 3, 4));
    }

    #[test]
    fn overlap_includes_end_points_and_open_ends() {
        let w = Window {
            from: d(2023, 1, 1),
            to: d(2026, 6, 1),
        };
        assert!(w.overlaps(d(2023, 1, 1), Some(d(2023, 1, 1))));
        assert!(!w.overlaps(d(2022, 12, 31), Some(d(2022, 12, 31))));
        assert!(w.overlaps(d(2020, 1, 1), None));
        assert!(!w.overlaps(d(2026, 6, 2), None));
    }
}
