//! Vaccinations against the programme: per series and dose given (on time or late),
//! due, missing or not yet due; doses beyond the programme, duplicates and records the
//! programme does not know are listed, never dropped.

use chrono::NaiveDate;
use npo_contracts::actoutcome::{AdministrationRecordType, VaccinationMedicalRecordType};
use npo_contracts::types::PatientId;

use super::programme::{ATC_OID, BvcProgramme, Vaccine, normalise, toml_date};
use super::source::{self, Source};
use super::timing::age_label_sv;

/// One vaccine given, as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Administration {
    /// The day it was given.
    pub date: NaiveDate,
    /// The child's age that day (Swedish), empty when the day is before birth.
    pub age: String,
    /// The product (or vaccine type) as recorded.
    pub vaccine: String,
    /// The ATC code, when recorded.
    pub atc: Option<String>,
    /// The dose number the record states.
    pub recorded_dose: Option<i64>,
    /// Where it was recorded.
    pub source: Source,
    /// The record's document id.
    pub document_id: String,
}

/// The state of one dose.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DoseState {
    /// Given by the late threshold.
    Given,
    /// Given after the late threshold.
    GivenLate,
    /// Not given, and the late threshold has passed.
    Missing,
    /// Not given; recommended age reached, late threshold not yet.
    Due,
    /// The recommended age is still ahead.
    NotYetDue,
    /// The series is not in the programme for the child's birth date.
    NotInProgramme,
}

impl DoseState {
    /// The Swedish label.
    pub fn label_sv(self) -> &'static str {
        match self {
            DoseState::Given => "Given",
            DoseState::GivenLate => "Sen",
            DoseState::Missing => "Saknas",
            DoseState::Due => "Aktuell",
            DoseState::NotYetDue => "Ej aktuell än",
            DoseState::NotInProgramme => "Ingår inte för födelsedatumet",
        }
    }

    /// A CSS class for the state.
    pub fn css_class(self) -> &'static str {
        match self {
            DoseState::Given => "bvc-given",
            DoseState::GivenLate => "bvc-late",
            DoseState::Missing => "bvc-missing",
            DoseState::Due => "bvc-due",
            DoseState::NotYetDue | DoseState::NotInProgramme => "bvc-pending",
        }
    }
}

/// One dose of a series for this child.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DoseStatus {
    /// Dose number, from 1.
    pub number: usize,
    /// The recommended age (Swedish label).
    pub recommended: String,
    /// The day the child reaches the recommended age.
    pub recommended_date: Option<NaiveDate>,
    /// The last day a dose is on time.
    pub late_after_date: Option<NaiveDate>,
    /// The state.
    pub state: DoseState,
    /// The vaccination counted for the dose.
    pub given: Option<Administration>,
}

/// One series for this child.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeriesStatus {
    /// Key from the programme.
    pub key: String,
    /// Name.
    pub name: String,
    /// The programme's remark.
    pub note: Option<String>,
    /// Whether the series is in the programme for the child's birth date.
    pub in_programme: bool,
    /// The doses.
    pub doses: Vec<DoseStatus>,
    /// Vaccinations beyond the programme's doses.
    pub extra: Vec<Administration>,
}

/// Why a vaccination was not counted for any series.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Uncounted {
    /// The vaccination.
    pub administration: Administration,
    /// Why (Swedish).
    pub reason: &'static str,
}

/// The vaccinations measured against the programme.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct VaccinationStatus {
    /// Per series, in programme order.
    pub series: Vec<SeriesStatus>,
    /// Vaccinations the programme does not know (unknown code or product), or with an
    /// impossible date.
    pub uncounted: Vec<Uncounted>,
    /// The same vaccine on the same day recorded again (for example by two systems).
    pub duplicates: Vec<Administration>,
    /// Nullified records left out.
    pub nullified: usize,
}

impl VaccinationStatus {
    /// Whether there are extra doses, uncounted vaccinations or duplicates to list.
    pub fn has_remarks(&self) -> bool {
        self.series.iter().any(|s| !s.extra.is_empty())
            || !self.uncounted.is_empty()
            || !self.duplicates.is_empty()
    }

    /// Number of doses in a state.
    pub fn count(&self, state: DoseState) -> usize {
        self.series
            .iter()
            .flat_map(|s| &s.doses)
            .filter(|d| d.state == state)
            .count()
    }
}

/// The vaccine of the programme an administration counts as: by ATC code (in the ATC
/// code system), else by product name.
pub fn match_vaccine<'p>(
    programme: &'p BvcProgramme,
    administration: &AdministrationRecordType,
) -> Option<&'p Vaccine> {
    let vaccines = &programme.vaccination.vaccines;
    let atc = atc_code(administration);
    if let Some(code) = &atc
        && let Some(found) = vaccines
            .iter()
            .find(|v| v.atc.iter().any(|a| a.eq_ignore_ascii_case(code)))
    {
        return Some(found);
    }
    let names = [
        administration
            .vaccine_name
            .as_ref()
            .and_then(|n| n.display_name.as_deref()),
        administration
            .vaccine_name
            .as_ref()
            .and_then(|n| n.original_text.as_deref()),
        administration
            .type_of_vaccine
            .as_ref()
            .and_then(|n| n.original_text.as_deref()),
    ];
    names.into_iter().flatten().map(normalise).find_map(|name| {
        vaccines
            .iter()
            .find(|v| v.products.iter().any(|p| normalise(p) == name))
    })
}

/// The ATC code of an administration, when `typeOfVaccine` carries one in the ATC code
/// system.
fn atc_code(administration: &AdministrationRecordType) -> Option<String> {
    let cv = administration.type_of_vaccine.as_ref()?;
    let code = cv.code.as_deref()?.trim();
    (cv.code_system
        .as_deref()
        .is_none_or(|s| s.trim() == ATC_OID)
        && !code.is_empty())
    .then(|| code.to_ascii_uppercase())
}

/// What the record calls the vaccine: product, else vaccine type, else code.
fn vaccine_label(administration: &AdministrationRecordType) -> String {
    let cv_text = |cv: Option<&npo_contracts::types::CvType>| {
        cv.and_then(|c| c.display_name.as_deref().or(c.original_text.as_deref()))
            .map(str::to_owned)
    };
    cv_text(administration.vaccine_name.as_ref())
        .or_else(|| cv_text(administration.type_of_vaccine.as_ref()))
        .or_else(|| atc_code(administration))
        .unwrap_or_else(|| "Okänt vaccin".to_owned())
}

/// Measures the vaccination records of the child born on `birth` against the
/// programme on `today`. Records of another patient are counted in `foreign` and left
/// out.
pub fn evaluate(
    records: &[VaccinationMedicalRecordType],
    programme: &BvcProgramme,
    patient: &PatientId,
    birth: NaiveDate,
    today: NaiveDate,
    foreign: &mut usize,
) -> VaccinationStatus {
    let mut status = VaccinationStatus::default();
    // (administration, index of the programme vaccine)
    let mut counted: Vec<(Administration, usize)> = Vec::new();
    for record in records {
        let header = &record.vaccination_medical_record_header;
        if header.patient_id.id != patient.as_str() {
            *foreign += 1;
            continue;
        }
        if header.nullified == Some(true) {
            status.nullified += 1;
            continue;
        }
        let body = &record.vaccination_medical_record_body;
        let date = body.registration_record.date.date();
        let source = source::of_vaccination(record);
        for administration in &body.administration_record {
            let given = Administration {
                date,
                age: age_label_sv(birth, date).unwrap_or_default(),
                vaccine: vaccine_label(administration),
                atc: atc_code(administration),
                recorded_dose: administration
                    .dose_ordinal_number
                    .as_ref()
                    .and_then(|n| n.to_i64()),
                source: source.clone(),
                document_id: header.document_id.clone(),
            };
            let reason = if date < birth {
                Some("Datumet ligger före födelsedatumet")
            } else if date > today {
                Some("Datumet ligger i framtiden")
            } else {
                None
            };
            let vaccine = match_vaccine(programme, administration).and_then(|v| {
                programme
                    .vaccination
                    .vaccines
                    .iter()
                    .position(|p| std::ptr::eq(p, v))
            });
            match (reason, vaccine) {
                (Some(reason), _) => status.uncounted.push(Uncounted {
                    administration: given,
                    reason,
                }),
                (None, None) => status.uncounted.push(Uncounted {
                    administration: given,
                    reason: "Vaccinet finns inte i vaccinationsprogrammet (okänd kod eller produkt)",
                }),
                (None, Some(index)) => counted.push((given, index)),
            }
        }
    }
    counted.sort_by(|(a, _), (b, _)| {
        (a.date, &a.source.source_system, &a.document_id).cmp(&(
            b.date,
            &b.source.source_system,
            &b.document_id,
        ))
    });
    // The same vaccine on the same day counts once.
    let mut unique: Vec<(Administration, usize)> = Vec::new();
    for (given, index) in counted {
        if unique
            .iter()
            .any(|(u, i)| *i == index && u.date == given.date)
        {
            status.duplicates.push(given);
        } else {
            unique.push((given, index));
        }
    }

    for series in &programme.vaccination.series {
        let in_programme = series
            .born_from
            .as_ref()
            .and_then(toml_date)
            .is_none_or(|from| birth >= from);
        let covering: Vec<usize> = programme
            .vaccination
            .vaccines
            .iter()
            .enumerate()
            .filter(|(_, v)| v.covers.contains(&series.key))
            .map(|(i, _)| i)
            .collect();
        // Chronological: the first vaccination counts for dose 1, and so on. Two
        // vaccines covering the series on one day count once.
        let mut given: Vec<&Administration> = Vec::new();
        for (administration, index) in &unique {
            if covering.contains(index)
                && given.last().is_none_or(|g| g.date != administration.date)
            {
                given.push(administration);
            }
        }
        let doses = series
            .doses
            .iter()
            .enumerate()
            .map(|(n, dose)| {
                let recommended_date = dose.recommended.resolve(birth);
                let late_after_date = dose.late_after.resolve(birth);
                let counted = given.get(n).map(|a| (*a).clone());
                let state = match &counted {
                    Some(a) if late_after_date.is_some_and(|late| a.date > late) => {
                        DoseState::GivenLate
                    }
                    Some(_) => DoseState::Given,
                    None if !in_programme => DoseState::NotInProgramme,
                    None if late_after_date.is_some_and(|late| today > late) => DoseState::Missing,
                    None if recommended_date.is_some_and(|r| today >= r) => DoseState::Due,
                    None => DoseState::NotYetDue,
                };
                DoseStatus {
                    number: n + 1,
                    recommended: dose.recommended.label_sv(),
                    recommended_date,
                    late_after_date,
                    state,
                    given: counted,
                }
            })
            .collect();
        status.series.push(SeriesStatus {
            key: series.key.clone(),
            name: series.name.clone(),
            note: series.note.clone(),
            in_programme,
            doses,
            extra: given
                .iter()
                .skip(series.doses.len())
                .map(|a| (*a).clone())
                .collect(),
        });
    }
    status
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bvc::testdata::{patient, vaccination, ymd};

    fn programme() -> BvcProgramme {
        BvcProgramme::embedded().expect("embedded programme")
    }

    fn run(
        records: &[VaccinationMedicalRecordType],
        birth: NaiveDate,
        today: NaiveDate,
    ) -> VaccinationStatus {
        let mut foreign = 0;
        let status = evaluate(
            records,
            &programme(),
            &patient(birth, false),
            birth,
            today,
            &mut foreign,
        );
        assert_eq!(foreign, 0);
        status
    }

    fn dose<'a>(status: &'a VaccinationStatus, key: &str, number: usize) -> &'a DoseStatus {
        let series = status.series.iter().find(|s| s.key == key).expect("series");
        &series.doses[number - 1]
    }

    #[test]
    fn a_dose_on_the_late_threshold_is_on_time_and_a_day_after_is_late() {
        let birth = ymd(2020, 1, 15);
        let pupil = patient(birth, false);
        // DTP/polio/Hib dose 1: late after 4 months = 2020-05-15.
        let on_time = [vaccination(
            &pupil,
            "v1",
            ymd(2020, 5, 15),
            Some("J07CA09"),
            None,
        )];
        let status = run(&on_time, birth, ymd(2026, 1, 1));
        assert_eq!(
            dose(&status, "dtp", 1).late_after_date,
            Some(ymd(2020, 5, 15))
        );
        assert_eq!(dose(&status, "dtp", 1).state, DoseState::Given);
        assert_eq!(dose(&status, "hib", 1).state, DoseState::Given);
        assert_eq!(dose(&status, "hepb", 1).state, DoseState::Given);

        let late = [vaccination(
            &pupil,
            "v1",
            ymd(2020, 5, 16),
            Some("J07CA09"),
            None,
        )];
        let status = run(&late, birth, ymd(2026, 1, 1));
        assert_eq!(dose(&status, "dtp", 1).state, DoseState::GivenLate);
        assert_eq!(dose(&status, "polio", 1).state, DoseState::GivenLate);
        assert_eq!(dose(&status, "dtp", 1).state.label_sv(), "Sen");
    }

    #[test]
    fn an_ungiven_dose_is_due_until_the_threshold_and_missing_the_day_after() {
        let birth = ymd(2020, 1, 15);
        let due = run(&[], birth, ymd(2020, 5, 15));
        assert_eq!(dose(&due, "pneumo", 1).state, DoseState::Due);
        assert_eq!(dose(&due, "pneumo", 2).state, DoseState::NotYetDue);
        let missing = run(&[], birth, ymd(2020, 5, 16));
        assert_eq!(dose(&missing, "pneumo", 1).state, DoseState::Missing);
        assert_eq!(dose(&missing, "pneumo", 1).state.label_sv(), "Saknas");
        assert_eq!(dose(&missing, "pneumo", 2).state, DoseState::NotYetDue);
        // School-year doses: HPV in year 5 (born 2020: autumn 2031).
        assert_eq!(
            dose(&missing, "hpv", 1).recommended_date,
            Some(ymd(2031, 8, 1))
        );
        assert_eq!(dose(&missing, "hpv", 1).recommended, "åk 5");
    }

    #[test]
    fn the_same_vaccine_on_the_same_day_counts_once_and_is_listed() {
        let birth = ymd(2020, 1, 15);
        let pupil = patient(birth, false);
        let records = [
            vaccination(
                &pupil,
                "a",
                ymd(2020, 4, 15),
                Some("J07AL02"),
                Some("Prevenar 13"),
            ),
            vaccination(&pupil, "b", ymd(2020, 4, 15), None, Some("prevenar  13")),
            vaccination(&pupil, "c", ymd(2020, 6, 15), Some("J07AL02"), None),
        ];
        let status = run(&records, birth, ymd(2026, 1, 1));
        assert_eq!(status.duplicates.len(), 1);
        assert_eq!(status.duplicates[0].document_id, "b");
        let given = |n| {
            dose(&status, "pneumo", n)
                .given
                .as_ref()
                .map(|g| g.document_id.clone())
        };
        assert_eq!(given(1).as_deref(), Some("a"));
        assert_eq!(given(2).as_deref(), Some("c"));
        assert_eq!(dose(&status, "pneumo", 3).state, DoseState::Missing);
    }

    #[test]
    fn unknown_codes_and_products_are_listed_and_products_alone_are_matched() {
        let birth = ymd(2020, 1, 15);
        let pupil = patient(birth, false);
        let records = [
            vaccination(
                &pupil,
                "flu",
                ymd(2022, 10, 3),
                Some("J07BB02"),
                Some("Vaxigrip Tetra"),
            ),
            vaccination(&pupil, "tbe", ymd(2022, 10, 3), None, Some("FSME-Immun")),
            vaccination(&pupil, "mpr", ymd(2021, 7, 15), None, Some("Priorix")),
            vaccination(&pupil, "future", ymd(2027, 1, 1), Some("J07BD52"), None),
        ];
        let status = run(&records, birth, ymd(2026, 1, 1));
        let uncounted: Vec<&str> = status
            .uncounted
            .iter()
            .map(|u| u.administration.document_id.as_str())
            .collect();
        assert_eq!(uncounted, ["flu", "tbe", "future"]);
        assert!(status.uncounted[0].reason.contains("okänd kod"));
        assert_eq!(
            status.uncounted[0].administration.atc.as_deref(),
            Some("J07BB02")
        );
        assert!(status.uncounted[2].reason.contains("framtiden"));
        assert_eq!(dose(&status, "mpr", 1).state, DoseState::Given);
        assert_eq!(
            dose(&status, "mpr", 1)
                .given
                .as_ref()
                .map(|g| g.age.as_str()),
            Some("18 mån")
        );
    }

    #[test]
    fn doses_beyond_the_programme_are_extra() {
        let birth = ymd(2020, 1, 15);
        let pupil = patient(birth, false);
        let records: Vec<_> = [
            ymd(2020, 4, 15),
            ymd(2020, 6, 15),
            ymd(2021, 1, 15),
            ymd(2021, 3, 1),
        ]
        .iter()
        .enumerate()
        .map(|(i, d)| vaccination(&pupil, &format!("h{i}"), *d, Some("J07CA09"), None))
        .collect();
        let status = run(&records, birth, ymd(2026, 1, 1));
        let series = |key: &str| status.series.iter().find(|s| s.key == key).expect("series");
        assert_eq!(series("hib").extra.len(), 1);
        assert_eq!(series("hib").extra[0].document_id, "h3");
        // The fourth DTP dose of the programme is the 5-year booster: counted there.
        assert!(series("dtp").extra.is_empty());
        assert_eq!(
            dose(&status, "dtp", 4)
                .given
                .as_ref()
                .map(|g| g.document_id.as_str()),
            Some("h3")
        );
    }

    #[test]
    fn series_outside_the_programme_for_the_birth_date_are_marked_but_count_given_doses() {
        // Rotavirus is in the programme from births on 2019-09-01.
        let before = ymd(2019, 8, 31);
        let status = run(&[], before, ymd(2026, 1, 1));
        assert_eq!(dose(&status, "rota", 1).state, DoseState::NotInProgramme);
        let pupil = patient(before, false);
        let given = [vaccination(
            &pupil,
            "r",
            ymd(2019, 10, 14),
            Some("J07BH01"),
            None,
        )];
        let status = run(&given, before, ymd(2026, 1, 1));
        assert_eq!(dose(&status, "rota", 1).state, DoseState::Given);
        let from = ymd(2019, 9, 1);
        let status = run(&[], from, ymd(2026, 1, 1));
        assert_eq!(dose(&status, "rota", 1).state, DoseState::Missing);
    }

    #[test]
    fn nullified_and_foreign_records_are_left_out() {
        let birth = ymd(2020, 1, 15);
        let pupil = patient(birth, false);
        let other = patient(ymd(2018, 5, 5), false);
        let mut nullified = vaccination(&pupil, "n", ymd(2020, 4, 15), Some("J07CA09"), None);
        nullified.vaccination_medical_record_header.nullified = Some(true);
        let records = [
            nullified,
            vaccination(&other, "o", ymd(2020, 4, 15), Some("J07CA09"), None),
        ];
        let mut foreign = 0;
        let status = evaluate(
            &records,
            &programme(),
            &pupil,
            birth,
            ymd(2026, 1, 1),
            &mut foreign,
        );
        assert_eq!(foreign, 1);
        assert_eq!(status.nullified, 1);
        assert_eq!(dose(&status, "dtp", 1).state, DoseState::Missing);
    }
}
