//! Growth: length, weight and head circumference against age, from GetObservations.
//! Values in another accepted unit are converted; values that cannot be right (not a
//! number, zero or negative, an unknown unit, outside the plausible range, no day,
//! before birth or in the future, the same measurement twice) are listed as rejected
//! with the reason, never plotted and never silently dropped.

use chrono::NaiveDate;
use npo_contracts::healthcond_basic::{ObservationGroupType, ObservationType};
use npo_contracts::types::PatientId;

use super::programme::{BvcProgramme, Measure};
use super::source::{self, Source};
use super::timing::{age_in_months, age_label_sv};

/// One accepted measurement.
#[derive(Debug, Clone, PartialEq)]
pub struct GrowthPoint {
    /// The day measured.
    pub date: NaiveDate,
    /// The child's age that day (Swedish).
    pub age: String,
    /// Age in months (days / 30.4375), the chart's x.
    pub age_months: f64,
    /// The value in the measure's unit.
    pub value: f64,
    /// The value as shown, e.g. `62,8 cm`.
    pub value_label: String,
    /// The value as recorded, e.g. `628 mm`.
    pub recorded: String,
    /// Where it was recorded.
    pub source: Source,
}

/// One measure's accepted measurements, by age.
#[derive(Debug, Clone, PartialEq)]
pub struct GrowthSeries {
    /// Key from the programme.
    pub key: String,
    /// Name, e.g. `Längd`.
    pub name: String,
    /// Unit, e.g. `cm`.
    pub unit: String,
    /// Decimals shown.
    pub decimals: u8,
    /// The measurements, oldest first.
    pub points: Vec<GrowthPoint>,
}

/// A measurement that was not accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RejectedMeasurement {
    /// The day, when readable.
    pub date: Option<NaiveDate>,
    /// The measure's name.
    pub measure: String,
    /// The value as recorded.
    pub recorded: String,
    /// Why (Swedish).
    pub reason: String,
    /// Where it was recorded.
    pub source: Source,
}

/// Observations of a type that is not a growth measure, counted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OtherObservations {
    /// Code.
    pub code: String,
    /// Display name.
    pub name: String,
    /// How many.
    pub count: usize,
}

/// Growth of the child.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct GrowthStatus {
    /// One series per measure of the programme, in programme order (possibly empty).
    pub series: Vec<GrowthSeries>,
    /// Measurements not accepted.
    pub rejected: Vec<RejectedMeasurement>,
    /// Other observation types, not shown as growth.
    pub other: Vec<OtherObservations>,
}

impl GrowthStatus {
    /// Whether any measurement was accepted.
    pub fn has_points(&self) -> bool {
        self.series.iter().any(|s| !s.points.is_empty())
    }
}

/// A decimal in Swedish notation with `decimals` decimals.
pub fn swedish_decimal(value: f64, decimals: u8) -> String {
    format!("{value:.prec$}", prec = usize::from(decimals)).replace('.', ",")
}

/// The day of an observation, when its start is written at least to the day.
fn observation_day(observation: &ObservationType) -> Option<NaiveDate> {
    let start = observation.time.start.as_ref()?;
    let text = start.value.as_str();
    NaiveDate::parse_from_str(text.get(..8)?, "%Y%m%d").ok()
}

/// Checks one observation of `measure`: the value in the measure's unit, or why not.
fn accept(
    observation: &ObservationType,
    measure: &Measure,
) -> Result<(f64, String), (String, String)> {
    let Some(pq) = observation.value.pq.as_ref() else {
        return Err((
            "".to_owned(),
            "Värdet är inte ett mätvärde med enhet".to_owned(),
        ));
    };
    let recorded = format!("{} {}", pq.value.as_str(), pq.unit.trim());
    if observation.value_negation {
        return Err((
            recorded,
            "Markerat som ej uppmätt (valueNegation)".to_owned(),
        ));
    }
    let raw = pq.value.to_f64();
    if !raw.is_finite() {
        return Err((recorded, "Värdet är inte ett tal".to_owned()));
    }
    if raw <= 0.0 {
        return Err((recorded, "Värdet är noll eller negativt".to_owned()));
    }
    let unit = pq.unit.trim();
    let factor = if unit.eq_ignore_ascii_case(&measure.unit) {
        Some(1.0)
    } else {
        measure
            .conversions
            .iter()
            .find(|c| c.unit.eq_ignore_ascii_case(unit))
            .map(|c| c.factor)
    };
    let Some(factor) = factor else {
        let mut accepted = vec![measure.unit.as_str()];
        accepted.extend(measure.conversions.iter().map(|c| c.unit.as_str()));
        return Err((
            recorded,
            format!(
                "Enheten \"{unit}\" passar inte för {} (godtas: {})",
                measure.name.to_lowercase(),
                accepted.join(", ")
            ),
        ));
    };
    let value = raw * factor;
    if value < measure.min || value > measure.max {
        return Err((
            recorded,
            format!(
                "Orimligt värde: utanför {}–{} {}",
                swedish_decimal(measure.min, measure.decimals),
                swedish_decimal(measure.max, measure.decimals),
                measure.unit
            ),
        ));
    }
    Ok((value, recorded))
}

/// Collects the child's growth from observation groups on `today`. Groups of another
/// patient are counted in `foreign` and left out.
pub fn evaluate(
    groups: &[ObservationGroupType],
    programme: &BvcProgramme,
    patient: &PatientId,
    birth: NaiveDate,
    today: NaiveDate,
    foreign: &mut usize,
) -> GrowthStatus {
    let measures = &programme.growth.measures;
    let mut status = GrowthStatus {
        series: measures
            .iter()
            .map(|m| GrowthSeries {
                key: m.key.clone(),
                name: m.name.clone(),
                unit: m.unit.clone(),
                decimals: m.decimals,
                points: Vec::new(),
            })
            .collect(),
        ..GrowthStatus::default()
    };
    for group in groups {
        if group.patient.id.extension != patient.as_str() {
            *foreign += 1;
            continue;
        }
        let source = source::of_observations(group);
        for observation in &group.observation {
            let kind = &observation.r#type;
            let Some(index) = measures.iter().position(|m| {
                m.codes
                    .iter()
                    .any(|c| c.code == kind.code.trim() && c.system == kind.code_system.trim())
            }) else {
                let name = kind.display_name.clone().unwrap_or_default();
                match status.other.iter_mut().find(|o| o.code == kind.code) {
                    Some(other) => other.count += 1,
                    None => status.other.push(OtherObservations {
                        code: kind.code.clone(),
                        name,
                        count: 1,
                    }),
                }
                continue;
            };
            let measure = &measures[index];
            let date = observation_day(observation);
            let reject = |recorded: String, reason: String| RejectedMeasurement {
                date,
                measure: measure.name.clone(),
                recorded,
                reason,
                source: source.clone(),
            };
            let (value, recorded) = match accept(observation, measure) {
                Ok(accepted) => accepted,
                Err((recorded, reason)) => {
                    status.rejected.push(reject(recorded, reason));
                    continue;
                }
            };
            let problem = match date {
                None => Some("Tidpunkten saknas eller anger inte dag"),
                Some(d) if d < birth => Some("Tidpunkten ligger före födelsedatumet"),
                Some(d) if d > today => Some("Tidpunkten ligger i framtiden"),
                Some(_) => None,
            };
            let series = &mut status.series[index];
            if let Some(reason) = problem {
                status.rejected.push(reject(recorded, reason.to_owned()));
                continue;
            }
            let Some(date) = date else { continue };
            if series
                .points
                .iter()
                .any(|p| p.date == date && (p.value - value).abs() < 1e-9)
            {
                status.rejected.push(reject(
                    recorded,
                    "Samma mätning finns redan (dubblett)".to_owned(),
                ));
                continue;
            }
            series.points.push(GrowthPoint {
                date,
                age: age_label_sv(birth, date).unwrap_or_default(),
                age_months: age_in_months(birth, date),
                value,
                value_label: format!(
                    "{} {}",
                    swedish_decimal(value, measure.decimals),
                    measure.unit
                ),
                recorded,
                source: source.clone(),
            });
        }
    }
    for series in &mut status.series {
        series
            .points
            .sort_by(|a, b| a.date.cmp(&b.date).then(a.value.total_cmp(&b.value)));
    }
    status
        .rejected
        .sort_by(|a, b| (a.date, &a.measure).cmp(&(b.date, &b.measure)));
    status
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bvc::testdata::{BVC_UNIT, observation, patient, ymd};

    const LENGTH: &str = "248334005";
    const WEIGHT: &str = "27113001";
    const HEAD: &str = "363812007";

    fn run(groups: &[ObservationGroupType], birth: NaiveDate) -> GrowthStatus {
        let programme = BvcProgramme::embedded().expect("programme");
        let mut foreign = 0;
        evaluate(
            groups,
            &programme,
            &patient(birth, false),
            birth,
            ymd(2026, 1, 1),
            &mut foreign,
        )
    }

    #[test]
    fn values_are_converted_sorted_and_labelled() {
        let birth = ymd(2020, 1, 1);
        let p = patient(birth, false);
        let groups = [
            observation(&p, "l2", ymd(2020, 4, 1), LENGTH, "612", "mm", BVC_UNIT),
            observation(&p, "l1", ymd(2020, 1, 10), LENGTH, "50.5", "cm", BVC_UNIT),
            observation(&p, "w1", ymd(2020, 1, 10), WEIGHT, "3550", "g", BVC_UNIT),
            observation(&p, "h1", ymd(2020, 1, 10), HEAD, "35.0", "CM", BVC_UNIT),
        ];
        let growth = run(&groups, birth);
        assert!(growth.rejected.is_empty(), "{:?}", growth.rejected);
        let length = &growth.series[0];
        assert_eq!(length.key, "length");
        let values: Vec<f64> = length.points.iter().map(|p| p.value).collect();
        assert_eq!(values.len(), 2);
        assert!((values[0] - 50.5).abs() < 1e-9 && (values[1] - 61.2).abs() < 1e-9);
        assert_eq!(length.points[1].value_label, "61,2 cm");
        assert_eq!(length.points[1].recorded, "612 mm");
        assert_eq!(length.points[1].age, "3 mån");
        assert_eq!(growth.series[1].points[0].value_label, "3,55 kg");
        assert_eq!(growth.series[2].points.len(), 1);
    }

    #[test]
    fn nonsense_is_rejected_with_a_reason_not_dropped() {
        let birth = ymd(2020, 1, 1);
        let p = patient(birth, false);
        let groups = [
            observation(&p, "neg", ymd(2020, 2, 1), WEIGHT, "-4.2", "kg", BVC_UNIT),
            observation(&p, "unit", ymd(2020, 2, 1), LENGTH, "55", "kg", BVC_UNIT),
            observation(&p, "huge", ymd(2020, 2, 1), LENGTH, "550", "cm", BVC_UNIT),
            observation(&p, "ok", ymd(2020, 3, 1), LENGTH, "58.0", "cm", BVC_UNIT),
            observation(&p, "dup", ymd(2020, 3, 1), LENGTH, "580", "mm", BVC_UNIT),
            observation(
                &p,
                "bmi",
                ymd(2020, 3, 1),
                "60621009",
                "16.1",
                "kg/m2",
                BVC_UNIT,
            ),
        ];
        let growth = run(&groups, birth);
        let reasons: Vec<(&str, &str)> = growth
            .rejected
            .iter()
            .map(|r| (r.recorded.as_str(), r.reason.as_str()))
            .collect();
        assert_eq!(
            reasons,
            [
                (
                    "55 kg",
                    "Enheten \"kg\" passar inte för längd (godtas: cm, mm, m)"
                ),
                ("550 cm", "Orimligt värde: utanför 30,0–220,0 cm"),
                ("-4.2 kg", "Värdet är noll eller negativt"),
                ("580 mm", "Samma mätning finns redan (dubblett)"),
            ]
        );
        assert_eq!(growth.series[0].points.len(), 1);
        assert_eq!(growth.other.len(), 1);
        assert_eq!(growth.other[0].code, "60621009");
    }

    #[test]
    fn measurements_before_birth_or_of_another_patient_are_not_plotted() {
        let birth = ymd(2020, 1, 10);
        let p = patient(birth, false);
        let other = patient(ymd(2019, 1, 1), false);
        let groups = [
            observation(&p, "early", ymd(2020, 1, 9), LENGTH, "50", "cm", BVC_UNIT),
            observation(&other, "x", ymd(2020, 2, 1), LENGTH, "50", "cm", BVC_UNIT),
        ];
        let programme = BvcProgramme::embedded().expect("programme");
        let mut foreign = 0;
        let growth = evaluate(
            &groups,
            &programme,
            &p,
            birth,
            ymd(2026, 1, 1),
            &mut foreign,
        );
        assert_eq!(foreign, 1);
        assert!(!growth.has_points());
        assert_eq!(growth.rejected.len(), 1);
        assert_eq!(
            growth.rejected[0].reason,
            "Tidpunkten ligger före födelsedatumet"
        );
    }
}
