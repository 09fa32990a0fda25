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

    /// Number of doses in a state (for the counts line).
    pub fn doses(&self, state: &str) -> usize {
        let state = match state {
            "given" => DoseState::Given,
            "late" => DoseState::GivenLate,
            "missing" => DoseState::Missing,
            "due" => DoseState::Due,
            _ => return 0,
        };
        self.vaccinations.count(state)
    }

    /// Number of basprogram visits attended and missing.
    pub fn visits_in(&self, state: &str) -> usize {
        let state = match state {
            "attended" => VisitState::Attended,
            "missing" => VisitState::Missing,
            _ => return 0,
        };
        self.visits.iter().filter(|v| v.state == state).count()
    }
}
