//! Where a record comes from (care giver, care unit, author, time), read from the
//! headers of the four contracts, for display next to every row.

use chrono::NaiveDateTime;
use npo_contracts::actoutcome::VaccinationMedicalRecordType;
use npo_contracts::healthcond_basic::ObservationGroupType;
use npo_contracts::healthcond_description_v3::{CareDocumentationType, hsa_id_of};
use npo_contracts::logistics::CareContactType;
use npo_contracts::types::TimeStamp;

/// The origin of a record.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Source {
    /// Care giver (vårdgivare): name, else HSA-ID.
    pub care_giver: Option<String>,
    /// Care unit (vårdenhet): name, else HSA-ID.
    pub care_unit: Option<String>,
    /// Who documented or performed it.
    pub author: Option<String>,
    /// When it was documented.
    pub time: Option<NaiveDateTime>,
    /// The source system's HSA-ID.
    pub source_system: String,
}

impl Source {
    /// `Vårdgivare, vårdenhet, författare` with the parts that are known.
    pub fn label(&self) -> String {
        let parts: Vec<&str> = [&self.care_giver, &self.care_unit, &self.author]
            .into_iter()
            .filter_map(|p| p.as_deref())
            .collect();
        if parts.is_empty() {
            self.source_system.clone()
        } else {
            parts.join(", ")
        }
    }

    /// The documentation time as `YYYY-MM-DD hh:mm`, or empty.
    pub fn time_label(&self) -> String {
        self.time
            .map(|t| t.format("%Y-%m-%d %H:%M").to_string())
            .unwrap_or_default()
    }
}

fn first(values: [Option<&str>; 2]) -> Option<String> {
    values
        .into_iter()
        .flatten()
        .map(str::trim)
        .find(|v| !v.is_empty())
        .map(str::to_owned)
}

/// The source of a vaccination record.
pub fn of_vaccination(record: &VaccinationMedicalRecordType) -> Source {
    let header = &record.vaccination_medical_record_header;
    let professional = &header.accountable_healthcare_professional;
    let registration = &record.vaccination_medical_record_body.registration_record;
    let performer = record
        .vaccination_medical_record_body
        .administration_record
        .iter()
        .find_map(|a| a.performer.as_ref().and_then(|p| p.person_name.as_deref()));
    let org_unit = professional.healthcare_professional_org_unit.as_ref();
    Source {
        care_giver: first([
            registration.care_giver_org.org_unit_name.as_deref(),
            professional
                .healthcare_professional_care_giver_hsa_id
                .as_deref(),
        ]),
        care_unit: first([
            org_unit.and_then(|u| u.org_unit_name.as_deref()),
            professional
                .healthcare_professional_care_unit_hsa_id
                .as_deref(),
        ]),
        author: first([
            performer,
            professional.healthcare_professional_name.as_deref(),
        ]),
        time: Some(professional.author_time.local()),
        source_system: header.source_system_hsa_id.clone(),
    }
}

/// The source of an observation group.
pub fn of_observations(group: &ObservationGroupType) -> Source {
    let role = &group.performer_role;
    let unit = role.care_unit.as_ref();
    Source {
        care_giver: unit.and_then(|u| {
            first([
                u.care_giver.name.as_deref(),
                Some(u.care_giver.id.extension.as_str()),
            ])
        }),
        care_unit: unit.and_then(|u| first([u.name.as_deref(), Some(u.id.extension.as_str())])),
        author: role
            .person
            .as_ref()
            .and_then(|p| first([p.name.as_deref(), None])),
        time: group
            .observation
            .iter()
            .find_map(|o| o.registration_time.map(TimeStamp::local)),
        source_system: group.source_system.id.extension.clone(),
    }
}

/// The source of a note.
pub fn of_note(note: &CareDocumentationType) -> Source {
    let header = &note.header;
    let access = &header.access_control_header;
    let author = header.author.as_ref();
    let org_unit = author.and_then(|a| a.org_unit.as_ref());
    Source {
        care_giver: access
            .accountable_healthcare_provider
            .as_ref()
            .and_then(|ii| first([hsa_id_of(ii), None])),
        care_unit: first([
            org_unit.and_then(|u| u.org_unit_name.as_deref()),
            access.accountable_care_unit.as_ref().and_then(hsa_id_of),
        ]),
        author: author.and_then(|a| first([a.name.as_deref(), None])),
        time: Some(
            author
                .map(|a| a.timestamp)
                .unwrap_or(header.record.timestamp)
                .local(),
        ),
        source_system: hsa_id_of(&header.source_system_id)
            .unwrap_or_default()
            .to_owned(),
    }
}

/// The source of a care contact.
pub fn of_contact(contact: &CareContactType) -> Source {
    let header = &contact.care_contact_header;
    let professional = &header.accountable_healthcare_professional;
    let body_unit = contact.care_contact_body.care_contact_org_unit.as_ref();
    let org_unit = professional.healthcare_professional_org_unit.as_ref();
    Source {
        care_giver: first([
            professional
                .healthcare_professional_care_giver_hsa_id
                .as_deref(),
            None,
        ]),
        care_unit: first([
            body_unit
                .and_then(|u| u.org_unit_name.as_deref())
                .or_else(|| org_unit.and_then(|u| u.org_unit_name.as_deref())),
            professional
                .healthcare_professional_care_unit_hsa_id
                .as_deref(),
        ]),
        author: first([professional.healthcare_professional_name.as_deref(), None]),
        time: Some(professional.author_time.local()),
        source_system: header.source_system_hsa_id.clone(),
    }
}
