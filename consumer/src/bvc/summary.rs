//! The summary: the four evaluations and the chart in one view model, and its HTML
//! fragment (`templates/bvc/summary.html`).

use askama::Template;
use chrono::NaiveDate;
use npo_contracts::actoutcome::VaccinationMedicalRecordType;
use npo_contracts::healthcond_basic::ObservationGroupType;
use npo_contracts::healthcond_description_v3::CareDocumentationType;
use npo_contracts::logistics::CareContactType;
use npo_contracts::types::{PatientId, PatientIdKind};

use super::chart::GrowthChart;
use super::growth::{self, GrowthStatus};
use super::notes::{self, NotesStatus};
use super::programme::{BvcProgramme, toml_date};
use super::timing::age_label_sv;
use super::vaccinations::{self, DoseState, VaccinationStatus};
use super::visits::{self, VisitState, VisitStatus};

/// What the platform returned for the pupil: the records of the four contracts
/// (already past the PDL gates; blocked records must not be in here).
#[derive(Debug, Clone, Copy, Default)]
pub struct BvcInputs<'a> {
    /// GetVaccinationHistory 2 `vaccinationMedicalRecord`.
    pub vaccinations: &'a [VaccinationMedicalRecordType],
    /// GetObservations 1 `observationGroup`.
    pub observations: &'a [ObservationGroupType],
    /// GetCareDocumentation 3 `careDocumentation`.
    pub notes: &'a [CareDocumentationType],
    /// GetCareContacts 3 `careContact`.
    pub care_contacts: &'a [CareContactType],
}

/// Why no summary can be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SummaryError {
    /// The identity number carries no birth date.
    #[error("the identity number gives no birth date")]
    NoBirthDate,
    /// `today` lies before the birth date.
    #[error("the day of the summary lies before the birth date")]
    BeforeBirth,
}

/// The BVC summary of one pupil.
#[derive(Debug, Clone, PartialEq)]
pub struct BvcSummary {
    /// The day the summary is made for.
    pub today: NaiveDate,
    /// Birth date (from the identity number).
    pub birth_date: NaiveDate,
    /// Age today (Swedish).
    pub age: String,
    /// Whether the pupil is identified by a samordningsnummer.
    pub samordningsnummer: bool,
    /// The vaccination programme's name.
    pub programme_name: String,
    /// Its source.
    pub programme_source: String,
    /// The day its schedule was checked.
    pub schedule_date: String,
    /// The basprogram's name.
    pub basprogram_name: String,
    /// Vaccinations per series and dose.
    pub vaccinations: VaccinationStatus,
    /// Basprogram visits.
    pub visits: Vec<VisitStatus>,
    /// Growth series and rejected values.
    pub growth: GrowthStatus,
    /// The growth chart, when there are measurements.
    pub chart: Option<GrowthChart>,
    /// BVC notes.
    pub notes: NotesStatus,
    /// Records of another patient that were left out.
    pub foreign_records: usize,
}

/// Makes the summary of `patient`'s records as of `today` (Swedish local date).
pub fn summarise(
    inputs: &BvcInputs<'_>,
    programme: &BvcProgramme,
    patient: &PatientId,
    today: NaiveDate,
) -> Result<BvcSummary, SummaryError> {
    let birth = patient.birth_date().ok_or(SummaryError::NoBirthDate)?;
    if today < birth {
        return Err(SummaryError::BeforeBirth);
    }
    let mut foreign = 0;
    let vaccinations = vaccinations::evaluate(
        inputs.vaccinations,
        programme,
        patient,
        birth,
        today,
        &mut foreign,
    );
    let visits = visits::evaluate(
        inputs.care_contacts,
        inputs.notes,
        programme,
        patient,
        birth,
        today,
        &mut foreign,
    );
    let growth = growth::evaluate(
        inputs.observations,
        programme,
        patient,
        birth,
        today,
        &mut foreign,
    );
    let notes = notes::collect(inputs.notes, programme, patient, &mut foreign);
    let chart = GrowthChart::from_growth(&growth, "bvc-tillvaxt");
    Ok(BvcSummary {
        today,
        birth_date: birth,
        age: age_label_sv(birth, today).unwrap_or_default(),
        samordningsnummer: patient.kind() == PatientIdKind::Samordningsnummer,
        programme_name: programme.vaccination.name.clone(),
        programme_source: programme.vaccination.source.clone(),
        schedule_date: toml_date(&programme.vaccination.schedule_date)
            .map(|d| d.to_string())
            .unwrap_or_default(),
        basprogram_name: programme.basprogram.name.clone(),
        vaccinations,
        visits,
        growth,
        chart,
        notes,
        foreign_records: foreign,
    })
}

/// The HTML fragment's template.
#[derive(Template)]
#[template(path = "bvc/summary.html", escape = "html")]
struct SummaryTemplate<'a> {
    s: &'a BvcSummary,
    /// The rendered chart: output of the (escaping) chart template.
    chart_svg: String,
}

impl BvcSummary {
    /// The HTML fragment (a `<section>`), to be placed in a page as is.
    pub fn render(&self) -> Result<String, askama::Error> {
        let chart_svg = match &self.chart {
            Some(chart) => chart.render_svg()?,
            None => String::new(),
        };
        SummaryTemplate { s: self, chart_svg }.render()
    }

    /// Whether anything from child health care is present (notes, attended visits, or
    /// vaccinations and measurements before school start).
    pub fn has_child_health_data(&self) -> bool {
        !self.notes.notes.is_empty() || self.visits.iter().any(|v| v.state == VisitState::Attended)
    }

    /// Number of doses in a state.
    pub fn doses_in(&self, state: DoseState) -> usize {
        self.vaccinations.count(state)
    }

    /// Number of basprogram visits in a state.
    pub fn visits_in(&self, state: VisitState) -> usize {
        self.visits.iter().filter(|v| v.state == state).count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bvc::testdata::{
        BVC_UNIT, contact, note, observation, patient, vaccination, xml_elements, ymd,
    };

    const HOSTILE: &str = "<img src=x onerror=alert(1)> & \"citat\"";

    #[test]
    fn a_samordningsnummer_gives_the_real_birth_date() {
        let birth = ymd(2019, 9, 10);
        let pupil = patient(birth, true);
        assert_eq!(&pupil.as_str()[6..8], "70");
        let records = [vaccination(
            &pupil,
            "r1",
            ymd(2019, 10, 25),
            Some("J07BH01"),
            None,
        )];
        let inputs = BvcInputs {
            vaccinations: &records,
            ..BvcInputs::default()
        };
        let programme = BvcProgramme::embedded().expect("programme");
        let summary = summarise(&inputs, &programme, &pupil, ymd(2026, 11, 1)).expect("summary");
        assert_eq!(summary.birth_date, birth);
        assert!(summary.samordningsnummer);
        assert_eq!(summary.foreign_records, 0);
        let rota = &summary.vaccinations.series[0];
        assert!(rota.in_programme, "born after 2019-09-01");
        assert_eq!(rota.doses[0].state, DoseState::Given);
        assert_eq!(
            rota.doses[0].given.as_ref().map(|g| g.age.as_str()),
            Some("6 veckor")
        );
        assert_eq!(rota.doses[1].state, DoseState::Missing);
        assert_eq!(summary.age, "7 år 1 mån");
    }

    #[test]
    fn a_day_before_birth_is_refused() {
        let programme = BvcProgramme::embedded().expect("programme");
        let pupil = patient(ymd(2020, 5, 5), false);
        let result = summarise(&BvcInputs::default(), &programme, &pupil, ymd(2020, 5, 4));
        assert_eq!(result.err(), Some(SummaryError::BeforeBirth));
    }

    #[test]
    fn the_fragment_is_well_formed_swedish_and_escapes_record_text() {
        let birth = ymd(2020, 1, 1);
        let p = patient(birth, false);
        let vaccinations = [vaccination(
            &p,
            "v1",
            ymd(2020, 4, 1),
            Some("J07CA09"),
            Some("Infanrix hexa"),
        )];
        let observations = [
            observation(
                &p,
                "o1",
                ymd(2020, 1, 10),
                "248334005",
                "50.5",
                "cm",
                BVC_UNIT,
            ),
            observation(
                &p,
                "o2",
                ymd(2020, 4, 1),
                "248334005",
                "61.0",
                "cm",
                BVC_UNIT,
            ),
            observation(&p, "o3", ymd(2020, 4, 1), "27113001", "-1", "kg", BVC_UNIT),
        ];
        let notes = [
            note(
                &p,
                "n1",
                ymd(2020, 4, 1),
                "bes",
                "Hälsobesök 3 månader",
                HOSTILE,
                BVC_UNIT,
            ),
            note(
                &p,
                "n2",
                ymd(2026, 6, 10),
                "sam",
                HOSTILE,
                "Sammanfattning",
                BVC_UNIT,
            ),
            note(
                &p,
                "n3",
                ymd(2026, 9, 10),
                "bes",
                "Hälsobesök förskoleklass",
                "Text",
                "Elevhälsan Björkskolan",
            ),
        ];
        let contacts = [contact(
            &p,
            "c1",
            ymd(2020, 4, 1),
            "1",
            "Hälsobesök 3 månader",
            BVC_UNIT,
            "Avslutad",
        )];
        let inputs = BvcInputs {
            vaccinations: &vaccinations,
            observations: &observations,
            notes: &notes,
            care_contacts: &contacts,
        };
        let programme = BvcProgramme::embedded().expect("programme");
        let summary = summarise(&inputs, &programme, &p, ymd(2026, 11, 1)).expect("summary");
        // Newest first; the school's note is not a BVC note.
        let titles: Vec<Option<&str>> = summary
            .notes
            .notes
            .iter()
            .map(|n| n.title.as_deref())
            .collect();
        assert_eq!(titles, [Some(HOSTILE), Some("Hälsobesök 3 månader")]);
        assert_eq!(summary.notes.other_units, 1);

        let html = summary.render().expect("render");
        assert!(!html.contains("<img"), "unescaped record text");
        let elements = xml_elements(&html);
        let text_of = |name: &str| -> Vec<String> {
            elements
                .iter()
                .filter(|e| e.name == name)
                .map(|e| e.text.trim().to_owned())
                .collect()
        };
        assert_eq!(
            text_of("h3"),
            [
                "Vaccinationer",
                "Tillväxt",
                "Hälsobesök enligt basprogrammet",
                "BVC-anteckningar"
            ]
        );
        assert!(text_of("h4").contains(&HOSTILE.to_owned()));
        assert!(text_of("div").contains(&HOSTILE.to_owned()));
        let statuses = text_of("span");
        assert!(statuses.contains(&"Given".to_owned()) && statuses.contains(&"Saknas".to_owned()));
        assert!(statuses.contains(&"Genomfört".to_owned()));
        let paragraphs = text_of("p");
        assert!(
            paragraphs
                .iter()
                .any(|p| p.contains("4 givna, 0 sena, 16 saknas, 0 aktuella")),
            "{paragraphs:?}"
        );
        assert!(
            paragraphs
                .iter()
                .any(|p| p.ends_with("1 genomförda, 14 saknas.")),
            "{paragraphs:?}"
        );
        // The chart and its table alternative; the negative weight is listed as rejected.
        assert_eq!(elements.iter().filter(|e| e.name == "svg").count(), 1);
        assert_eq!(elements.iter().filter(|e| e.name == "circle").count(), 2);
        let cells = text_of("td");
        assert!(cells.contains(&"61,0 cm".to_owned()));
        assert!(cells.contains(&"Värdet är noll eller negativt".to_owned()));
        // One row per dose of the programme, one per visit.
        let dose_rows: usize = programme
            .vaccination
            .series
            .iter()
            .map(|s| s.doses.len())
            .sum();
        let rows = elements.iter().filter(|e| e.name == "tr").count();
        let header_rows = elements.iter().filter(|e| e.name == "thead").count();
        assert_eq!(rows, header_rows + dose_rows + 2 + 1 + 15);
    }
}
