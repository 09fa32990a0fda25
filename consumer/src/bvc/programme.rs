//! The programme data the summary is measured against, as typed configuration: the
//! national vaccination programme for children (series, doses, recommended and late
//! ages, and which vaccines count for which series), the child-health basprogram
//! (visits and their age windows), the growth measures (observation codes, units,
//! plausible ranges) and how child-health units are recognised.
//!
//! The seeded file `config/bvc-programme.toml` is embedded ([`BvcProgramme::embedded`]);
//! a deployment may point the consumer configuration at its own file
//! (`[bvc] programme_file`, [`BvcProgramme::load`]). Every file is checked once, at
//! start, with every problem reported in one [`ProgrammeError`].

use std::collections::BTreeSet;
use std::fmt;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use serde::Deserialize;

use super::timing::Timing;

/// The embedded default programme file.
pub const EMBEDDED_TOML: &str = include_str!("../../../config/bvc-programme.toml");

/// OID of the ATC code system (Anatomical Therapeutic Chemical classification), used in
/// `typeOfVaccine`.
pub const ATC_OID: &str = "1.2.752.129.2.2.3.1.1";

/// The oldest age anything in the programme may be due at.
const MAX_AGE_YEARS: i32 = 20;

/// The whole programme file.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BvcProgramme {
    /// The vaccination programme.
    pub vaccination: VaccinationProgramme,
    /// The child-health basprogram.
    pub basprogram: Basprogram,
    /// Growth measures.
    pub growth: GrowthSettings,
    /// How records from child health care (BVC) are recognised.
    pub child_health: ChildHealthMarkers,
}

/// The national vaccination programme for children.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VaccinationProgramme {
    /// Name shown on the page.
    pub name: String,
    /// Where the schedule comes from (regulation, web page).
    pub source: String,
    /// The day the schedule was checked against its source.
    pub schedule_date: toml::value::Datetime,
    /// The vaccines that count for the series.
    pub vaccines: Vec<Vaccine>,
    /// The series of doses, in the order the table shows them.
    pub series: Vec<Series>,
}

/// A vaccine (one ATC code or a group of products) and the series a dose of it counts
/// for: a hexavalent vaccine counts for diphtheria-tetanus-pertussis, polio, Hib and
/// hepatitis B at once.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Vaccine {
    /// Name for the page, e.g. `DTP-IPV-Hib-HepB`.
    pub name: String,
    /// ATC codes (`typeOfVaccine` with the ATC code system) of this vaccine.
    #[serde(default)]
    pub atc: Vec<String>,
    /// Product names (`vaccineName`), matched without regard to case, for records
    /// without an ATC code.
    #[serde(default)]
    pub products: Vec<String>,
    /// Keys of the series a dose counts for.
    pub covers: Vec<String>,
}

/// One line of the programme: a disease (or group given together) and its doses.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Series {
    /// Key, referenced by [`Vaccine::covers`].
    pub key: String,
    /// Name for the page, e.g. `Mässling, påssjuka, röda hund (MPR)`.
    pub name: String,
    /// Only children born on or after this day are in the programme for this series.
    pub born_from: Option<toml::value::Datetime>,
    /// A remark for the page (e.g. when the series was introduced).
    pub note: Option<String>,
    /// The doses, in order.
    pub doses: Vec<Dose>,
}

/// One dose of a series.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Dose {
    /// The age (or school year) the dose is recommended at.
    pub recommended: Timing,
    /// A dose given after this is late; none given by then is missing.
    pub late_after: Timing,
}

/// The child-health basprogram (Rikshandboken barnhälsovård).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Basprogram {
    /// Name shown on the page.
    pub name: String,
    /// Where the programme comes from.
    pub source: String,
    /// The visits, in order.
    pub visits: Vec<Visit>,
}

/// One visit of the basprogram and the ages a contact counts for it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Visit {
    /// Key, unique.
    pub key: String,
    /// Title for the page, e.g. `Hälsobesök 4 veckor med läkarundersökning`.
    pub title: String,
    /// The age the visit is planned at.
    pub recommended: Timing,
    /// A contact from this age...
    pub from: Timing,
    /// ...up to and including this age counts for the visit.
    pub to: Timing,
}

/// The growth measures.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GrowthSettings {
    /// The measures, in the order the chart shows them.
    pub measures: Vec<Measure>,
}

/// One growth measure (length, weight, head circumference).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Measure {
    /// Key, unique.
    pub key: String,
    /// Name for the page, e.g. `Längd`.
    pub name: String,
    /// The unit values are shown in (UCUM), e.g. `cm`.
    pub unit: String,
    /// Decimals shown.
    pub decimals: u8,
    /// The observation codes that carry this measure.
    pub codes: Vec<ObservationCode>,
    /// Other units accepted, with the factor to [`Measure::unit`].
    #[serde(default)]
    pub conversions: Vec<UnitConversion>,
    /// The lowest plausible value (in [`Measure::unit`]); lower values are rejected.
    pub min: f64,
    /// The highest plausible value; higher values are rejected.
    pub max: f64,
}

/// An observation type code.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ObservationCode {
    /// Code system OID.
    pub system: String,
    /// Code.
    pub code: String,
}

/// A unit accepted for a measure and its factor: `value × factor` is in the measure's
/// unit.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UnitConversion {
    /// Unit as written in the record (compared without regard to case).
    pub unit: String,
    /// Factor to the measure's unit.
    pub factor: f64,
}

/// Words that mark a record as coming from child health care. A record counts when its
/// care unit's name or the contact reason contains one of them (compared without regard
/// to case).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChildHealthMarkers {
    /// Looked for in care unit and organisation unit names.
    pub unit_name_contains: Vec<String>,
    /// Looked for in care contact reasons and note titles.
    pub text_contains: Vec<String>,
    /// Care units (HSA-IDs) known to be child health care: set by the app from its
    /// `[bvc] unit_kinds` and `[[units]]`, not part of the programme file.
    #[serde(skip)]
    pub unit_hsa_ids: Vec<String>,
}

impl ChildHealthMarkers {
    /// Whether a unit (HSA-ID or name) or a text marks child health care.
    pub fn matches(
        &self,
        unit_ids: &[Option<&str>],
        unit_names: &[Option<&str>],
        texts: &[Option<&str>],
    ) -> bool {
        let known_unit = unit_ids.iter().flatten().any(|id| {
            self.unit_hsa_ids
                .iter()
                .any(|known| known.eq_ignore_ascii_case(id.trim()))
        });
        let hit = |value: &Option<&str>, words: &[String]| {
            value.is_some_and(|v| {
                let v = v.to_lowercase();
                words.iter().any(|w| v.contains(&w.to_lowercase()))
            })
        };
        known_unit
            || unit_names.iter().any(|n| hit(n, &self.unit_name_contains))
            || texts.iter().any(|t| hit(t, &self.text_contains))
    }
}

/// One problem in a programme file: where, and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProgrammeProblem {
    /// Where, e.g. `vaccination.series[mpr].doses[2]`.
    pub at: String,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for ProgrammeProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.at, self.message)
    }
}

/// Why a programme file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ProgrammeError {
    /// The file cannot be read.
    #[error("cannot read the BVC programme file {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// Not TOML of the expected shape.
    #[error("the BVC programme file is not valid: {0}")]
    Syntax(#[from] toml::de::Error),
    /// Well-formed but inconsistent.
    #[error("the BVC programme file has {} problem(s): {}", .0.len(), join(.0))]
    Invalid(Vec<ProgrammeProblem>),
}

fn join(problems: &[ProgrammeProblem]) -> String {
    problems
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

/// A TOML date-only value as a day.
pub fn toml_date(value: &toml::value::Datetime) -> Option<NaiveDate> {
    match (value.date, value.time, value.offset) {
        (Some(d), None, None) => {
            NaiveDate::from_ymd_opt(i32::from(d.year), u32::from(d.month), u32::from(d.day))
        }
        _ => None,
    }
}

impl BvcProgramme {
    /// The embedded default (`config/bvc-programme.toml`).
    pub fn embedded() -> Result<Self, ProgrammeError> {
        Self::from_toml(EMBEDDED_TOML)
    }

    /// Parses and validates a programme file's text.
    pub fn from_toml(text: &str) -> Result<Self, ProgrammeError> {
        let programme: BvcProgramme = toml::from_str(text)?;
        let problems = programme.problems();
        if problems.is_empty() {
            Ok(programme)
        } else {
            Err(ProgrammeError::Invalid(problems))
        }
    }

    /// The programme from `file`, or the embedded one without a file.
    pub fn load(file: Option<&Path>) -> Result<Self, ProgrammeError> {
        match file {
            None => Self::embedded(),
            Some(path) => {
                let text =
                    std::fs::read_to_string(path).map_err(|source| ProgrammeError::Read {
                        path: path.to_owned(),
                        source,
                    })?;
                Self::from_toml(&text)
            }
        }
    }

    /// The vaccines whose doses count for the series `key`.
    pub fn vaccines_for<'a>(&'a self, key: &'a str) -> impl Iterator<Item = &'a Vaccine> + 'a {
        self.vaccination
            .vaccines
            .iter()
            .filter(move |v| v.covers.iter().any(|c| c == key))
    }

    /// Every problem of the file (empty: usable).
    fn problems(&self) -> Vec<ProgrammeProblem> {
        let mut out = Vec::new();
        let mut problem = |at: String, message: String| out.push(ProgrammeProblem { at, message });
        // Orders are checked for a child born on the first and on the last day of a year,
        // where ages and school years lie furthest apart.
        let births = [
            NaiveDate::from_ymd_opt(2020, 1, 1),
            NaiveDate::from_ymd_opt(2020, 12, 31),
        ];
        let resolve_all = |t: Timing| births.iter().map(move |b| b.and_then(|b| t.resolve(b)));
        let before = |a: Timing, b: Timing| resolve_all(a).zip(resolve_all(b)).all(|(x, y)| x < y);
        let not_after =
            |a: Timing, b: Timing| resolve_all(a).zip(resolve_all(b)).all(|(x, y)| x <= y);
        let too_old = |t: Timing| {
            resolve_all(t)
                .zip(births.iter())
                .any(|(day, birth)| match (day, birth) {
                    (Some(day), Some(birth)) => day
                        .years_since(*birth)
                        .is_none_or(|y| y as i32 > MAX_AGE_YEARS),
                    _ => true,
                })
        };

        let v = &self.vaccination;
        if v.name.trim().is_empty() {
            problem("vaccination.name".into(), "must not be empty".into());
        }
        if v.source.trim().is_empty() {
            problem(
                "vaccination.source".into(),
                "name the source of the schedule".into(),
            );
        }
        if toml_date(&v.schedule_date).is_none() {
            problem(
                "vaccination.schedule_date".into(),
                "must be a date such as 2025-01-01".into(),
            );
        }
        if v.series.is_empty() {
            problem(
                "vaccination.series".into(),
                "the programme has no series".into(),
            );
        }
        let mut keys = BTreeSet::new();
        for (index, series) in v.series.iter().enumerate() {
            let at = format!("vaccination.series[{}]", display_key(&series.key, index));
            if series.key.trim().is_empty() {
                problem(at.clone(), "key must not be empty".into());
            } else if !keys.insert(series.key.as_str()) {
                problem(at.clone(), format!("key `{}` is used twice", series.key));
            }
            if series.name.trim().is_empty() {
                problem(at.clone(), "name must not be empty".into());
            }
            if series
                .born_from
                .as_ref()
                .is_some_and(|d| toml_date(d).is_none())
            {
                problem(
                    format!("{at}.born_from"),
                    "must be a date such as 2019-09-01".into(),
                );
            }
            if series.doses.is_empty() {
                problem(at.clone(), "has no doses".into());
            }
            if self.vaccines_for(&series.key).next().is_none() {
                problem(at.clone(), "no vaccine covers this series".into());
            }
            for (n, dose) in series.doses.iter().enumerate() {
                let at = format!("{at}.doses[{}]", n + 1);
                if !before(dose.recommended, dose.late_after) {
                    problem(
                        at.clone(),
                        format!(
                            "late_after {} must come after recommended {}",
                            dose.late_after, dose.recommended
                        ),
                    );
                }
                if too_old(dose.late_after) {
                    problem(
                        at.clone(),
                        format!(
                            "late_after {} is past {MAX_AGE_YEARS} years of age",
                            dose.late_after
                        ),
                    );
                }
                if n > 0 {
                    let previous = &series.doses[n - 1];
                    if !before(previous.recommended, dose.recommended) {
                        problem(
                            at.clone(),
                            format!(
                                "doses out of order: recommended {} is not after dose {}'s {}",
                                dose.recommended, n, previous.recommended
                            ),
                        );
                    }
                    if !not_after(previous.late_after, dose.late_after) {
                        problem(
                            at.clone(),
                            format!(
                                "late_after {} comes before dose {}'s late_after {}",
                                dose.late_after, n, previous.late_after
                            ),
                        );
                    }
                }
            }
        }
        let mut atc_seen = BTreeSet::new();
        let mut products_seen = BTreeSet::new();
        for (index, vaccine) in v.vaccines.iter().enumerate() {
            let at = format!(
                "vaccination.vaccines[{}]",
                display_key(&vaccine.name, index)
            );
            if vaccine.atc.is_empty() && vaccine.products.is_empty() {
                problem(
                    at.clone(),
                    "needs an ATC code or a product name to match records by".into(),
                );
            }
            for code in &vaccine.atc {
                if !is_atc(code) {
                    problem(
                        at.clone(),
                        format!("`{code}` is not an ATC code such as J07CA09"),
                    );
                } else if !atc_seen.insert(code.as_str()) {
                    problem(
                        at.clone(),
                        format!("ATC code {code} is listed for two vaccines"),
                    );
                }
            }
            for product in &vaccine.products {
                if !products_seen.insert(normalise(product)) {
                    problem(at.clone(), format!("product `{product}` is listed twice"));
                }
            }
            if vaccine.covers.is_empty() {
                problem(at.clone(), "covers no series".into());
            }
            for key in &vaccine.covers {
                if !v.series.iter().any(|s| &s.key == key) {
                    problem(at.clone(), format!("covers unknown series `{key}`"));
                }
            }
        }

        let b = &self.basprogram;
        if b.visits.is_empty() {
            problem(
                "basprogram.visits".into(),
                "the basprogram has no visits".into(),
            );
        }
        if b.source.trim().is_empty() {
            problem(
                "basprogram.source".into(),
                "name the source of the basprogram".into(),
            );
        }
        let mut visit_keys = BTreeSet::new();
        for (index, visit) in b.visits.iter().enumerate() {
            let at = format!("basprogram.visits[{}]", display_key(&visit.key, index));
            if visit.key.trim().is_empty() || !visit_keys.insert(visit.key.as_str()) {
                problem(
                    at.clone(),
                    format!("key `{}` is empty or used twice", visit.key),
                );
            }
            if !not_after(visit.from, visit.recommended) || !not_after(visit.recommended, visit.to)
            {
                problem(
                    at.clone(),
                    format!(
                        "the window {}–{} must contain the recommended age {}",
                        visit.from, visit.to, visit.recommended
                    ),
                );
            }
            if !before(visit.from, visit.to) {
                problem(
                    at.clone(),
                    format!("from {} must come before to {}", visit.from, visit.to),
                );
            }
            if too_old(visit.to) {
                problem(
                    at.clone(),
                    format!("to {} is past {MAX_AGE_YEARS} years of age", visit.to),
                );
            }
            if index > 0 {
                let previous = &b.visits[index - 1];
                if !before(previous.to, visit.from) {
                    problem(
                        at.clone(),
                        format!(
                            "the window starting at {} overlaps or precedes `{}`, which ends at {}",
                            visit.from, previous.key, previous.to
                        ),
                    );
                }
            }
        }

        let mut measure_keys = BTreeSet::new();
        let mut codes_seen = BTreeSet::new();
        if self.growth.measures.is_empty() {
            problem("growth.measures".into(), "no growth measures".into());
        }
        for (index, measure) in self.growth.measures.iter().enumerate() {
            let at = format!("growth.measures[{}]", display_key(&measure.key, index));
            if measure.key.trim().is_empty() || !measure_keys.insert(measure.key.as_str()) {
                problem(
                    at.clone(),
                    format!("key `{}` is empty or used twice", measure.key),
                );
            }
            if measure.unit.trim().is_empty() {
                problem(at.clone(), "unit must not be empty".into());
            }
            if measure.decimals > 3 {
                problem(at.clone(), "at most 3 decimals".into());
            }
            if !(measure.min.is_finite()
                && measure.max.is_finite()
                && 0.0 < measure.min
                && measure.min < measure.max)
            {
                problem(
                    at.clone(),
                    format!(
                        "the plausible range {}–{} must be positive and increasing",
                        measure.min, measure.max
                    ),
                );
            }
            if measure.codes.is_empty() {
                problem(at.clone(), "no observation codes".into());
            }
            for code in &measure.codes {
                if code.code.trim().is_empty() || code.system.trim().is_empty() {
                    problem(
                        at.clone(),
                        "an observation code needs system and code".into(),
                    );
                } else if !codes_seen.insert((code.system.as_str(), code.code.as_str())) {
                    problem(
                        at.clone(),
                        format!("code {} ({}) is listed twice", code.code, code.system),
                    );
                }
            }
            for conversion in &measure.conversions {
                if !(conversion.factor.is_finite() && conversion.factor > 0.0) {
                    problem(
                        at.clone(),
                        format!("unit {}: factor must be positive", conversion.unit),
                    );
                }
                if conversion.unit.eq_ignore_ascii_case(&measure.unit) {
                    problem(
                        at.clone(),
                        format!("unit {} converts to itself", conversion.unit),
                    );
                }
            }
        }

        let markers = &self.child_health;
        if markers
            .unit_name_contains
            .iter()
            .chain(&markers.text_contains)
            .any(|w| w.trim().is_empty())
            || markers.unit_name_contains.is_empty()
        {
            problem(
                "child_health".into(),
                "unit_name_contains needs at least one word, and no word may be empty".into(),
            );
        }
        out
    }
}

/// `key` for messages, or the position when the key is empty.
fn display_key(key: &str, index: usize) -> String {
    if key.trim().is_empty() {
        format!("#{}", index + 1)
    } else {
        key.to_owned()
    }
}

/// Whether `code` has the shape of an ATC code (letter, two digits, letter, letter,
/// two digits; shorter levels allowed: `J07`, `J07B`, `J07BD`).
fn is_atc(code: &str) -> bool {
    let b = code.as_bytes();
    let shape = |i: usize, b: u8| match i {
        0 | 3 | 4 => b.is_ascii_uppercase(),
        _ => b.is_ascii_digit(),
    };
    matches!(b.len(), 3 | 4 | 5 | 7) && b.iter().enumerate().all(|(i, b)| shape(i, *b))
}

/// A product name for comparison: lower case, single spaces.
pub fn normalise(name: &str) -> String {
    name.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn invalid(text: &str) -> Vec<String> {
        match BvcProgramme::from_toml(text) {
            Err(ProgrammeError::Invalid(problems)) => {
                problems.iter().map(ToString::to_string).collect()
            }
            other => panic!("expected validation problems, got {other:?}"),
        }
    }

    /// The embedded file with one piece of text replaced (which must be there).
    fn edited(from: &str, to: &str) -> String {
        assert!(EMBEDDED_TOML.contains(from), "{from}");
        EMBEDDED_TOML.replacen(from, to, 1)
    }

    #[test]
    fn the_embedded_programme_is_valid_and_complete() {
        let programme = BvcProgramme::embedded().expect("valid");
        let keys: Vec<&str> = programme
            .vaccination
            .series
            .iter()
            .map(|s| s.key.as_str())
            .collect();
        assert_eq!(
            keys,
            [
                "rota", "dtp", "polio", "hib", "hepb", "pneumo", "mpr", "hpv"
            ]
        );
        assert_eq!(programme.basprogram.visits.len(), 15);
        assert_eq!(
            toml_date(&programme.vaccination.schedule_date),
            NaiveDate::from_ymd_opt(2025, 1, 1)
        );
        assert_eq!(BvcProgramme::load(None).expect("embedded"), programme);
    }

    #[test]
    fn doses_out_of_order_are_named() {
        let problems = invalid(&edited(
            r#"{ recommended = "5m", late_after = "7m" },
  { recommended = "12m", late_after = "15m" },
  { recommended = "5y", late_after = "6y" },"#,
            r#"{ recommended = "5m", late_after = "7m" },
  { recommended = "4m", late_after = "15m" },
  { recommended = "5y", late_after = "6y" },"#,
        ));
        assert_eq!(
            problems,
            [
                "vaccination.series[dtp].doses[3]: doses out of order: recommended 4m is not after dose 2's 5m"
            ]
        );
    }

    #[test]
    fn a_late_threshold_before_the_recommended_age_is_named() {
        let problems = invalid(&edited(
            r#"{ recommended = "18m", late_after = "2y" }"#,
            r#"{ recommended = "18m", late_after = "1y" }"#,
        ));
        assert_eq!(
            problems,
            ["vaccination.series[mpr].doses[1]: late_after 1y must come after recommended 18m"]
        );
    }

    #[test]
    fn insane_ages_unknown_series_and_duplicate_codes_are_named() {
        let text = edited(r#"late_after = "school:9""#, r#"late_after = "25y""#);
        let text = text.replacen(r#"covers = ["hpv"]"#, r#"covers = ["hvp"]"#, 1);
        let text = text.replacen(r#"atc = ["J07BF03"]"#, r#"atc = ["J07CA09", "j07x"]"#, 1);
        let problems = invalid(&text);
        assert!(
            problems.contains(
                &"vaccination.series[dtp].doses[5]: late_after 25y is past 20 years of age"
                    .to_owned()
            ),
            "{problems:?}"
        );
        assert!(
            problems.contains(&"vaccination.series[hpv]: no vaccine covers this series".to_owned()),
            "{problems:?}"
        );
        assert!(
            problems.contains(&"vaccination.vaccines[HPV]: covers unknown series `hvp`".to_owned()),
            "{problems:?}"
        );
        assert!(
            problems.contains(
                &"vaccination.vaccines[Polio (IPV)]: ATC code J07CA09 is listed for two vaccines"
                    .to_owned()
            ),
            "{problems:?}"
        );
        assert!(
            problems.contains(
                &"vaccination.vaccines[Polio (IPV)]: `j07x` is not an ATC code such as J07CA09"
                    .to_owned()
            ),
            "{problems:?}"
        );
        let message = BvcProgramme::from_toml(&text)
            .map(|_| ())
            .map_err(|e| e.to_string());
        assert!(message.is_err_and(|m| m.starts_with("the BVC programme file has 5 problem(s): ")));
    }

    #[test]
    fn overlapping_visit_windows_are_named() {
        let problems = invalid(&edited(
            "recommended = \"4w\"\nfrom = \"21d\"",
            "recommended = \"4w\"\nfrom = \"20d\"",
        ));
        assert_eq!(
            problems,
            [
                "basprogram.visits[4v]: the window starting at 20d overlaps or precedes `hembesok`, which ends at 20d"
            ]
        );
    }

    #[test]
    fn growth_units_and_ranges_are_checked() {
        let text = edited("min = 30.0\nmax = 220.0", "min = 220.0\nmax = 30.0");
        let text = text.replacen(
            r#"{ unit = "g", factor = 0.001 }"#,
            r#"{ unit = "g", factor = 0.0 }"#,
            1,
        );
        let problems = invalid(&text);
        assert_eq!(
            problems,
            [
                "growth.measures[length]: the plausible range 220–30 must be positive and increasing",
                "growth.measures[weight]: unit g: factor must be positive",
            ]
        );
    }

    #[test]
    fn unknown_fields_and_bad_ages_are_syntax_errors_with_the_place() {
        let error = BvcProgramme::from_toml(&edited(
            "key = \"rota\"",
            "key = \"rota\"\ncolour = \"red\"",
        ))
        .map(|_| ())
        .map_err(|e| e.to_string());
        let message = error.expect_err("unknown field");
        assert!(message.contains("unknown field `colour`"), "{message}");
        let error = BvcProgramme::from_toml(&edited(
            r#"recommended = "6w""#,
            r#"recommended = "6 veckor""#,
        ))
        .map(|_| ())
        .map_err(|e| e.to_string());
        let message = error.expect_err("bad age");
        assert!(message.contains("`6 veckor`"), "{message}");
        assert!(message.contains("line"), "{message}");
    }

    #[test]
    fn a_missing_file_names_the_path() {
        let path = Path::new("/nonexistent/bvc-programme.toml");
        let message = BvcProgramme::load(Some(path))
            .map(|_| ())
            .map_err(|e| e.to_string());
        assert!(message.is_err_and(|m| m.contains("/nonexistent/bvc-programme.toml")));
    }
}
