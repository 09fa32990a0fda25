//! One shape for every record shown: source (care giver, care unit, author, time),
//! code and text, plus the contract record itself for domain modules (BVC).

use chrono::{NaiveDate, NaiveDateTime};
use npo_contracts::actoutcome::{MedicationMedicalRecordType, VaccinationMedicalRecordType};
use npo_contracts::healthcond_basic::{ObservationGroupType, PartialTimeStampType};
use npo_contracts::healthcond_description::DiagnosisType;
use npo_contracts::healthcond_description_v3::{CareDocumentationType, hsa_id_of};
use npo_contracts::logistics::CareContactType;
use npo_contracts::types::common::HealthcareProfessionalType;
use npo_contracts::types::{CvType, TimeStamp};

use crate::info::InfoType;

/// The contract record a [`Record`] came from.
#[derive(Debug, Clone)]
pub enum Raw {
    /// GetDiagnosis.
    Diagnosis(Box<DiagnosisType>),
    /// GetCareContacts.
    CareContact(Box<CareContactType>),
    /// GetMedicationHistory.
    Medication(Box<MedicationMedicalRecordType>),
    /// GetVaccinationHistory.
    Vaccination(Box<VaccinationMedicalRecordType>),
    /// GetCareDocumentation.
    Note(Box<CareDocumentationType>),
    /// GetObservations: the group with only this record's observation.
    Observation(Box<ObservationGroupType>),
}

/// A record as the pages show it.
#[derive(Debug, Clone)]
pub struct Record {
    /// Its type.
    pub kind: InfoType,
    /// Document id.
    pub id: String,
    /// Source system HSA-ID.
    pub source_system: String,
    /// Care giver HSA-ID (`None`: not given; treated as another care giver).
    pub care_giver: Option<String>,
    /// Care unit HSA-ID.
    pub care_unit: Option<String>,
    /// Care unit name as the record gives it.
    pub care_unit_name: Option<String>,
    /// Author name.
    pub author: Option<String>,
    /// The record's time (Swedish local time).
    pub time: NaiveDateTime,
    /// The end of what the record covers (`None` with `open_ended`: still going).
    pub end: Option<NaiveDateTime>,
    /// Still going (medication without an end of treatment).
    pub open_ended: bool,
    /// Code.
    pub code: Option<String>,
    /// Display name or text.
    pub title: String,
    /// Further text (note text, value, dose...).
    pub detail: String,
    /// Nullified (makulerad) by the source.
    pub nullified: bool,
    /// The contract record.
    pub raw: Raw,
}

impl Record {
    /// First day covered.
    pub fn start_date(&self) -> NaiveDate {
        self.time.date()
    }

    /// Last day covered (`None`: still going).
    pub fn end_date(&self) -> Option<NaiveDate> {
        if self.open_ended {
            None
        } else {
            Some(self.end.unwrap_or(self.time).date())
        }
    }

    /// `YYYY-MM-DD hh:mm`.
    pub fn time_text(&self) -> String {
        self.time.format("%Y-%m-%d %H:%M").to_string()
    }

    /// `code – name`, or the name.
    pub fn code_text(&self) -> String {
        match &self.code {
            Some(code) if !code.is_empty() => format!("{code} – {}", self.title),
            _ => self.title.clone(),
        }
    }

    /// Whether `needle` (lower-case) occurs in the code, title, detail, author or unit.
    pub fn contains(&self, needle: &str) -> bool {
        [
            self.code.as_deref().unwrap_or_default(),
            &self.title,
            &self.detail,
            self.author.as_deref().unwrap_or_default(),
            self.care_unit_name.as_deref().unwrap_or_default(),
        ]
        .iter()
        .any(|field| field.to_lowercase().contains(needle))
    }
}

fn cv_title(cv: Option<&CvType>) -> (Option<String>, String) {
    match cv {
        None => (None, String::new()),
        Some(cv) => (
            cv.code.clone(),
            cv.display_name
                .clone()
                .or_else(|| cv.original_text.clone())
                .unwrap_or_default(),
        ),
    }
}

struct Source {
    care_giver: Option<String>,
    care_unit: Option<String>,
    care_unit_name: Option<String>,
    author: Option<String>,
}

fn professional(p: &HealthcareProfessionalType) -> Source {
    Source {
        care_giver: p.healthcare_professional_care_giver_hsa_id.clone(),
        care_unit: p.healthcare_professional_care_unit_hsa_id.clone(),
        care_unit_name: p
            .healthcare_professional_org_unit
            .as_ref()
            .and_then(|o| o.org_unit_name.clone()),
        author: p.healthcare_professional_name.clone(),
    }
}

/// Diagnoses.
pub fn from_diagnoses(items: Vec<DiagnosisType>) -> Vec<Record> {
    items
        .into_iter()
        .map(|d| {
            let header = &d.diagnosis_header;
            let p = &header.accountable_healthcare_professional;
            let (code, title) = cv_title(d.diagnosis_body.diagnosis_code.as_ref());
            let time = d.diagnosis_body.diagnosis_time.unwrap_or(p.author_time);
            let mut detail = match d.diagnosis_body.type_of_diagnosis {
                npo_contracts::healthcond_description::DiagnosisTypeEnum::Huvuddiagnos => {
                    "Huvuddiagnos".to_owned()
                }
                npo_contracts::healthcond_description::DiagnosisTypeEnum::Bidiagnos => {
                    "Bidiagnos".to_owned()
                }
            };
            if d.diagnosis_body.chronic_diagnosis == Some(true) {
                detail.push_str(", kronisk");
            }
            Record {
                kind: InfoType::Diagnoser,
                id: header.document_id.clone(),
                source_system: header.source_system_hsa_id.clone(),
                care_giver: p.healthcare_professional_care_giver_hsa_id.clone(),
                care_unit: p.healthcare_professional_care_unit_hsa_id.clone(),
                care_unit_name: p
                    .healthcare_professional_org_unit
                    .as_ref()
                    .map(|o| o.org_unit_name.clone()),
                author: p.healthcare_professional_name.clone(),
                time: time.local(),
                end: None,
                open_ended: false,
                code,
                title,
                detail,
                nullified: header.nullified == Some(true),
                raw: Raw::Diagnosis(Box::new(d)),
            }
        })
        .collect()
}

/// Care contacts.
pub fn from_care_contacts(items: Vec<CareContactType>) -> Vec<Record> {
    items
        .into_iter()
        .map(|c| {
            let header = &c.care_contact_header;
            let body = &c.care_contact_body;
            let source = professional(&header.accountable_healthcare_professional);
            let (code, title) = cv_title(body.care_contact_code.as_ref());
            let period = body.care_contact_time_period.as_ref();
            let time = period
                .map(|p| p.start)
                .unwrap_or(header.accountable_healthcare_professional.author_time);
            let end = period.and_then(|p| p.end).map(TimeStamp::local);
            let mut detail = body.care_contact_reason.clone().unwrap_or_default();
            if let Some(status) = body
                .care_contact_status
                .as_ref()
                .and_then(|s| s.original_text.clone().or_else(|| s.display_name.clone()))
            {
                if !detail.is_empty() {
                    detail.push_str(" · ");
                }
                detail.push_str(&status);
            }
            Record {
                kind: InfoType::Vardkontakter,
                id: header.document_id.clone(),
                source_system: header.source_system_hsa_id.clone(),
                care_giver: source.care_giver,
                care_unit: source.care_unit,
                care_unit_name: body
                    .care_contact_org_unit
                    .as_ref()
                    .and_then(|o| o.org_unit_name.clone())
                    .or(source.care_unit_name),
                author: source.author,
                time: time.local(),
                end,
                open_ended: false,
                code,
                title: if title.is_empty() {
                    "Vårdkontakt".to_owned()
                } else {
                    title
                },
                detail,
                nullified: header.nullified == Some(true),
                raw: Raw::CareContact(Box::new(c)),
            }
        })
        .collect()
}

/// Medication.
pub fn from_medication(items: Vec<MedicationMedicalRecordType>) -> Vec<Record> {
    items
        .into_iter()
        .map(|m| {
            let header = &m.medication_medical_record_header;
            let p = m.prescription();
            let source = professional(
                p.prescriber
                    .as_ref()
                    .unwrap_or(&header.accountable_healthcare_professional),
            );
            let time = p
                .prescriber
                .as_ref()
                .map(|pr| pr.author_time)
                .or(p.start_of_treatment)
                .unwrap_or(header.accountable_healthcare_professional.author_time);
            let drug = p.drug.as_ref();
            let (code, title) = match drug.and_then(|d| d.drug.as_ref()) {
                Some(d) => {
                    let atc = d.atc_code.as_ref();
                    let (code, name) = cv_title(atc.or(Some(&d.npl_id)));
                    (code, name)
                }
                None => (
                    None,
                    drug.and_then(|d| {
                        d.unstructured_drug_information
                            .as_ref()
                            .map(|u| u.unstructured_information.clone())
                            .or_else(|| d.generics.as_ref().and_then(|g| g.substance.clone()))
                            .or_else(|| d.comment.clone())
                    })
                    .unwrap_or_else(|| "Läkemedel".to_owned()),
                ),
            };
            let dosage = drug
                .and_then(|d| d.dosage.first())
                .and_then(|d| d.dosage_instruction.clone().or(d.short_notation.clone()))
                .unwrap_or_default();
            let mut detail = dosage;
            if let Some(purpose) = &p.treatment_purpose {
                if !detail.is_empty() {
                    detail.push_str(" · ");
                }
                detail.push_str(purpose);
            }
            let end = p.end_of_treatment.map(TimeStamp::local);
            Record {
                kind: InfoType::Lakemedel,
                id: header.document_id.clone(),
                source_system: header.source_system_hsa_id.clone(),
                care_giver: source.care_giver,
                care_unit: source.care_unit,
                care_unit_name: source.care_unit_name,
                author: source.author,
                time: time.local(),
                end,
                open_ended: end.is_none(),
                code,
                title,
                detail,
                nullified: header.nullified == Some(true),
                raw: Raw::Medication(Box::new(m)),
            }
        })
        .collect()
}

/// Vaccinations.
pub fn from_vaccinations(items: Vec<VaccinationMedicalRecordType>) -> Vec<Record> {
    items
        .into_iter()
        .map(|v| {
            let header = &v.vaccination_medical_record_header;
            let body = &v.vaccination_medical_record_body;
            let source = professional(&header.accountable_healthcare_professional);
            let admin = body.administration_record.first();
            let (code, title) = cv_title(
                admin.and_then(|a| a.vaccine_name.as_ref().or(a.type_of_vaccine.as_ref())),
            );
            let mut detail = admin
                .map(|a| {
                    a.vaccine_target_disease
                        .iter()
                        .filter_map(|d| d.display_name.clone().or(d.original_text.clone()))
                        .collect::<Vec<_>>()
                        .join(", ")
                })
                .unwrap_or_default();
            if let Some(n) = admin.and_then(|a| a.dose_ordinal_number.as_ref()) {
                if !detail.is_empty() {
                    detail.push_str(" · ");
                }
                detail.push_str(&format!("dos {}", n.as_str()));
            }
            Record {
                kind: InfoType::Vaccinationer,
                id: header.document_id.clone(),
                source_system: header.source_system_hsa_id.clone(),
                care_giver: source.care_giver,
                care_unit: source.care_unit,
                care_unit_name: body
                    .registration_record
                    .care_giver_org
                    .org_unit_name
                    .clone()
                    .or(source.care_unit_name),
                author: source.author,
                time: body.registration_record.date.start_of_day().local(),
                end: None,
                open_ended: false,
                code,
                title: if title.is_empty() {
                    "Vaccination".to_owned()
                } else {
                    title
                },
                detail,
                nullified: header.nullified == Some(true),
                raw: Raw::Vaccination(Box::new(v)),
            }
        })
        .collect()
}

/// Care documentation (notes).
pub fn from_notes(items: Vec<CareDocumentationType>) -> Vec<Record> {
    items
        .into_iter()
        .map(|n| {
            let header = &n.header;
            let access = &header.access_control_header;
            let author = header.author.as_ref();
            let (code, note_type) = cv_title(Some(&n.body.clinical_document_note_code));
            let title = n
                .body
                .clinical_document_note_title
                .clone()
                .unwrap_or(note_type);
            Record {
                kind: InfoType::Anteckningar,
                id: header.record.id.extension.clone().unwrap_or_default(),
                source_system: hsa_id_of(&header.source_system_id)
                    .unwrap_or_default()
                    .to_owned(),
                care_giver: access
                    .accountable_healthcare_provider
                    .as_ref()
                    .and_then(|i| hsa_id_of(i).map(str::to_owned)),
                care_unit: access
                    .accountable_care_unit
                    .as_ref()
                    .and_then(|i| hsa_id_of(i).map(str::to_owned)),
                care_unit_name: author
                    .and_then(|a| a.org_unit.as_ref())
                    .and_then(|o| o.org_unit_name.clone()),
                author: author.and_then(|a| a.name.clone()),
                time: author
                    .map(|a| a.timestamp)
                    .unwrap_or(header.record.timestamp)
                    .local(),
                end: None,
                open_ended: false,
                code,
                title,
                detail: n
                    .body
                    .clinical_document_note_text
                    .clone()
                    .unwrap_or_default(),
                nullified: false,
                raw: Raw::Note(Box::new(n)),
            }
        })
        .collect()
}

fn partial_time(t: &PartialTimeStampType) -> Option<NaiveDateTime> {
    let value = t.value.as_str();
    if value.starts_with('-') {
        return None;
    }
    let padded = match value.len() {
        4 => format!("{value}0101000000"),
        6 => format!("{value}01000000"),
        8 => format!("{value}000000"),
        10 => format!("{value}0000"),
        12 => format!("{value}00"),
        _ => value.to_owned(),
    };
    TimeStamp::parse(&padded).map(TimeStamp::local)
}

/// Observations: one record per observation.
pub fn from_observations(groups: Vec<ObservationGroupType>) -> Vec<Record> {
    let mut out = Vec::new();
    for group in groups {
        let unit = group.performer_role.care_unit.as_ref();
        for observation in &group.observation {
            let Some(time) = observation
                .time
                .start
                .as_ref()
                .or(observation.time.end.as_ref())
                .and_then(partial_time)
                .or(observation.registration_time.map(TimeStamp::local))
            else {
                continue;
            };
            let value = &observation.value;
            let detail = if let Some(pq) = &value.pq {
                format!("{} {}", pq.value.as_str(), pq.unit)
            } else if let Some(cv) = &value.cv {
                cv.display_name.clone().unwrap_or_else(|| cv.code.clone())
            } else {
                observation.description.clone().unwrap_or_default()
            };
            let mut single = group.clone();
            single.observation = vec![observation.clone()];
            out.push(Record {
                kind: InfoType::Observationer,
                id: observation.id.extension.clone(),
                source_system: group.source_system.id.extension.clone(),
                care_giver: unit.map(|u| u.care_giver.id.extension.clone()),
                care_unit: unit.map(|u| u.id.extension.clone()),
                care_unit_name: unit.and_then(|u| u.name.clone()),
                author: group
                    .performer_role
                    .person
                    .as_ref()
                    .and_then(|p| p.name.clone()),
                time,
                end: None,
                open_ended: false,
                code: Some(observation.r#type.code.clone()),
                title: observation
                    .r#type
                    .display_name
                    .clone()
                    .unwrap_or_else(|| observation.r#type.code.clone()),
                detail,
                nullified: false,
                raw: Raw::Observation(Box::new(single)),
            });
        }
    }
    out
}

/// The contract records behind gated [`Record`]s, per contract, for domain modules
/// (the BVC summary takes these): only records that passed the window and PDL gates.
#[derive(Debug, Default)]
pub struct RawSets<'a> {
    /// GetCareDocumentation notes.
    pub notes: Vec<&'a CareDocumentationType>,
    /// GetVaccinationHistory records.
    pub vaccinations: Vec<&'a VaccinationMedicalRecordType>,
    /// GetObservations groups (one observation each).
    pub observations: Vec<&'a ObservationGroupType>,
    /// GetDiagnosis records.
    pub diagnoses: Vec<&'a DiagnosisType>,
    /// GetCareContacts records.
    pub care_contacts: Vec<&'a CareContactType>,
    /// GetMedicationHistory records.
    pub medication: Vec<&'a MedicationMedicalRecordType>,
}

/// Splits records back into their contract types.
pub fn raw_sets<'a>(records: impl IntoIterator<Item = &'a Record>) -> RawSets<'a> {
    let mut sets = RawSets::default();
    for record in records {
        match &record.raw {
            Raw::Note(n) => sets.notes.push(n),
            Raw::Vaccination(v) => sets.vaccinations.push(v),
            Raw::Observation(o) => sets.observations.push(o),
            Raw::Diagnosis(d) => sets.diagnoses.push(d),
            Raw::CareContact(c) => sets.care_contacts.push(c),
            Raw::Medication(m) => sets.medication.push(m),
        }
    }
    sets
}
