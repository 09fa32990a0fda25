//! Observations (GetObservations 1): the growth measurements of child and school health
//! (length, weight, head circumference, BMI) and other observed values.
//!
//! One record is one observation. GetObservations sends observations in groups that
//! share patient, performer, signer and source system: records with the same
//! `observationGroupId` (observations made together, e.g. at one visit) go into one
//! group when those shared parts are equal; a record without a group id forms its own
//! group.
//!
//! The common header maps onto the group and the observation like this:
//! `patientId`/`patientIdType` → `patient/id` (`extension`/`root`, with the date of
//! birth read from the number); `authorHsaId`, `authorName`, `authorRoleCode` →
//! `performerRole/id`, `person`, `code` (KV Befattning; HL7 RoleClass `ASSIGNED` when
//! no role is given, as the code is required); `careUnitHsaId`, `careGiverHsaId` →
//! `performerRole/careUnit` (HSA IITypes); signer → `legalAuthenticator`;
//! `sourceSystemHsaId` → `sourceSystem/id`; `documentId` → `observation/id`
//! (`root` the source system's HSA-ID, `extension` the id); `authorTime` →
//! `observation/registrationTime`; `approvedForPatient` → `observation/approvedForPatient`.

use diesel::prelude::*;
use npo_contracts::healthcond_basic::{
    CareGiverType, CareUnitType, CvType as BasicCv, IiType as BasicIi, LegalAuthenticatorType,
    ObservationGroupType, ObservationType, PartialTimePeriodType, PartialTimeStampType,
    PartialTimeStampValue, PatientType, PerformerRoleType, PersonType, PqType, SourceSystemType,
    TimeStampTypeFormatEnum, ValueAnyType,
};
use npo_contracts::healthcond_description_v3::HSA_ID_OID;
use npo_contracts::types::{Date, TimeStamp};
use npo_contracts::xml::Decimal;

use super::diagnosis::KV_BEFATTNING;
use super::header::{FieldProblem, HeaderRef, JournalRecord, time};
use crate::db::DbConn;
use crate::record;
use crate::source::{Filters, ObservationFilters};

/// Code system of SNOMED CT (Swedish edition), the default for observation types.
pub const SNOMED_CT: &str = "1.2.752.116.2.1.1";
/// Code system of HL7 RoleClass, used for `performerRole/code` when no role is given.
pub const HL7_ROLE_CLASS: &str = "2.16.840.1.113883.5.110";

diesel::table! {
    /// Observations, one row per observation.
    observations (source_system_hsa_id, document_id) {
        document_id -> Text,
        source_system_hsa_id -> Text,
        patient_id -> Text,
        patient_id_type -> Text,
        author_time -> Text,
        author_hsa_id -> Nullable<Text>,
        author_name -> Nullable<Text>,
        author_role_code -> Nullable<Text>,
        author_role_name -> Nullable<Text>,
        author_org_unit_hsa_id -> Nullable<Text>,
        author_org_unit_name -> Nullable<Text>,
        care_unit_hsa_id -> Text,
        care_giver_hsa_id -> Text,
        legal_authenticator_hsa_id -> Nullable<Text>,
        legal_authenticator_name -> Nullable<Text>,
        signature_time -> Nullable<Text>,
        approved_for_patient -> Bool,
        care_contact_id -> Nullable<Text>,
        nullified -> Bool,
        nullified_reason -> Nullable<Text>,
        observation_group_id -> Nullable<Text>,
        observation_type_code -> Text,
        observation_type_code_system -> Nullable<Text>,
        observation_type_display_name -> Text,
        observation_time -> Text,
        observation_end_time -> Nullable<Text>,
        value_quantity -> Nullable<Text>,
        value_unit -> Nullable<Text>,
        value_code -> Nullable<Text>,
        value_code_system -> Nullable<Text>,
        value_display_name -> Nullable<Text>,
        description -> Nullable<Text>,
    }
}

record! {
    /// One observation: what was observed, when, and its value — a quantity
    /// (`valueQuantity` + `valueUnit`) or a code (`valueCode` + `valueCodeSystem` +
    /// `valueDisplayName`).
    pub struct ObservationRecord in observations {
        /// Observations made together (e.g. the length, weight and head circumference
        /// of one visit) share this id and are sent as one observation group.
        #[serde(default)]
        pub observation_group_id: Option<String>,
        /// What was observed, a code: SNOMED CT unless `observationTypeCodeSystem` says
        /// otherwise, e.g. `248334005` (length), `27113001` (body weight), `363812007`
        /// (head circumference), `60621009` (BMI).
        pub observation_type_code: String,
        /// Code system OID of `observationTypeCode` (a local code system's OID for local
        /// codes); SNOMED CT (1.2.752.116.2.1.1) when omitted.
        #[serde(default)]
        pub observation_type_code_system: Option<String>,
        /// Display name of the observation type, e.g. `Kroppslängd`.
        pub observation_type_display_name: String,
        /// When the observation was made, `YYYYMMDDhhmmss`.
        pub observation_time: String,
        /// When an observation made over a period ended, `YYYYMMDDhhmmss`; omitted for
        /// an observation at one point in time.
        #[serde(default)]
        pub observation_end_time: Option<String>,
        /// A measured value as a decimal number with `.` as separator, e.g. `62.8`; with
        /// `valueUnit`.
        #[serde(default)]
        pub value_quantity: Option<String>,
        /// The UCUM unit of `valueQuantity`, e.g. `cm`, `kg`, `kg/m2`.
        #[serde(default)]
        pub value_unit: Option<String>,
        /// A coded value (instead of a quantity), e.g. an assessment; with
        /// `valueCodeSystem` and `valueDisplayName`.
        #[serde(default)]
        pub value_code: Option<String>,
        /// Code system OID of `valueCode`.
        #[serde(default)]
        pub value_code_system: Option<String>,
        /// Display name of `valueCode`.
        #[serde(default)]
        pub value_display_name: Option<String>,
        /// A comment on the observation, in free text.
        #[serde(default)]
        pub description: Option<String>,
    }
}

/// Parses a stored time stamp (validated on import; a bad one is treated as absent).
fn stamp(value: Option<&str>) -> Option<TimeStamp> {
    value.and_then(TimeStamp::parse)
}

/// Whether `text` is an OID: dot-separated decimal numbers.
fn is_oid(text: &str) -> bool {
    text.split('.').count() >= 2
        && text
            .split('.')
            .all(|arc| !arc.is_empty() && arc.bytes().all(|b| b.is_ascii_digit()))
}

/// Appends a problem when `value` is not a non-empty, unpadded text.
fn text(field: &'static str, value: Option<&str>, problems: &mut Vec<FieldProblem>) {
    if let Some(value) = value {
        if value.trim().is_empty() {
            problems.push(FieldProblem::new(field, "must not be empty"));
        } else if value.trim() != value {
            problems.push(FieldProblem::new(
                field,
                "has leading or trailing whitespace",
            ));
        }
    }
}

/// Appends a problem when `value` is present and not an OID.
fn oid(field: &'static str, value: Option<&str>, problems: &mut Vec<FieldProblem>) {
    if value.is_some_and(|v| !is_oid(v)) {
        problems.push(FieldProblem::new(
            field,
            "not an OID such as 1.2.752.116.2.1.1",
        ));
    }
}

impl JournalRecord for ObservationRecord {
    const KIND: &'static str = "observation";

    fn header(&self) -> HeaderRef<'_> {
        self.header_ref()
    }

    fn validate(&self) -> Vec<FieldProblem> {
        let mut problems = Vec::new();
        self.header_ref().validate(&mut problems);
        if let Some(group) = &self.observation_group_id {
            text("observationGroupId", Some(group), &mut problems);
            if group.len() > 128 {
                problems.push(FieldProblem::new(
                    "observationGroupId",
                    "longer than 128 characters",
                ));
            }
        }
        text(
            "observationTypeCode",
            Some(&self.observation_type_code),
            &mut problems,
        );
        oid(
            "observationTypeCodeSystem",
            self.observation_type_code_system.as_deref(),
            &mut problems,
        );
        text(
            "observationTypeDisplayName",
            Some(&self.observation_type_display_name),
            &mut problems,
        );
        time(
            "observationTime",
            Some(&self.observation_time),
            &mut problems,
        );
        time(
            "observationEndTime",
            self.observation_end_time.as_deref(),
            &mut problems,
        );
        if let (Some(start), Some(end)) = (
            stamp(Some(&self.observation_time)),
            stamp(self.observation_end_time.as_deref()),
        ) && end < start
        {
            problems.push(FieldProblem::new(
                "observationEndTime",
                "lies before observationTime",
            ));
        }
        match (&self.value_quantity, &self.value_code) {
            (Some(_), Some(_)) => problems.push(FieldProblem::new(
                "valueCode",
                "give either valueQuantity (with valueUnit) or valueCode, not both",
            )),
            (None, None) => problems.push(FieldProblem::new(
                "valueQuantity",
                "an observation needs valueQuantity (with valueUnit) or valueCode",
            )),
            (Some(quantity), None) => {
                if Decimal::parse(quantity).is_none() || quantity.trim() != quantity {
                    problems.push(FieldProblem::new(
                        "valueQuantity",
                        "not a decimal number such as 62.8",
                    ));
                }
                match &self.value_unit {
                    None => problems.push(FieldProblem::new(
                        "valueUnit",
                        "required with valueQuantity",
                    )),
                    Some(unit) if unit.is_empty() || unit.contains(char::is_whitespace) => {
                        problems.push(FieldProblem::new(
                            "valueUnit",
                            "not a UCUM unit such as cm, kg or kg/m2",
                        ));
                    }
                    Some(_) => {}
                }
            }
            (None, Some(code)) => {
                text("valueCode", Some(code), &mut problems);
                match &self.value_code_system {
                    None => problems.push(FieldProblem::new(
                        "valueCodeSystem",
                        "required with valueCode",
                    )),
                    Some(system) => oid("valueCodeSystem", Some(system), &mut problems),
                }
                match &self.value_display_name {
                    None => problems.push(FieldProblem::new(
                        "valueDisplayName",
                        "required with valueCode",
                    )),
                    Some(name) => text("valueDisplayName", Some(name), &mut problems),
                }
            }
        }
        if self.value_quantity.is_none() && self.value_unit.is_some() {
            problems.push(FieldProblem::new("valueUnit", "only with valueQuantity"));
        }
        if self.value_code.is_none()
            && (self.value_code_system.is_some() || self.value_display_name.is_some())
        {
            problems.push(FieldProblem::new(
                "valueCode",
                "valueCodeSystem and valueDisplayName need valueCode",
            ));
        }
        text("description", self.description.as_deref(), &mut problems);
        problems
    }
}

/// A partial time stamp written to the second.
fn partial(t: TimeStamp) -> Option<PartialTimeStampType> {
    Some(PartialTimeStampType {
        format: TimeStampTypeFormatEnum::DateSecond,
        value: PartialTimeStampValue::parse(&t.to_string())?,
    })
}

/// An HSA-ID as this domain's IIType.
fn hsa_ii(hsa_id: &str) -> BasicIi {
    BasicIi::new(HSA_ID_OID, hsa_id)
}

impl ObservationRecord {
    /// The code system of the observation type.
    pub fn type_code_system(&self) -> &str {
        self.observation_type_code_system
            .as_deref()
            .unwrap_or(SNOMED_CT)
    }

    /// Whether the record matches GetObservations' period rule: the observation time in
    /// the period, end points included. An observation made over a period
    /// (`observationEndTime`) matches when that period overlaps the requested one.
    pub fn in_period(&self, filters: &Filters) -> bool {
        filters.period.is_none_or(|period| {
            stamp(Some(&self.observation_time)).is_some_and(|start| {
                let end = stamp(self.observation_end_time.as_deref()).unwrap_or(start);
                period.overlaps(Some(start), Some(end))
            })
        })
    }

    /// Whether the record passes GetObservations' `observationType` and
    /// `observationId` filters (empty lists pass everything). An observation id is
    /// matched by `extension` = documentId and `root` = the source system's HSA-ID.
    pub fn matches(&self, filters: &ObservationFilters) -> bool {
        let type_ok = filters.observation_types.is_empty()
            || filters.observation_types.iter().any(|t| {
                t.code.as_deref() == Some(self.observation_type_code.as_str())
                    && t.code_system
                        .as_deref()
                        .is_none_or(|s| s == self.type_code_system())
            });
        let id_ok = filters.observation_ids.is_empty()
            || filters.observation_ids.iter().any(|id| {
                id.extension.as_deref() == Some(self.document_id.as_str())
                    && id.root.eq_ignore_ascii_case(&self.source_system_hsa_id)
            });
        type_ok && id_ok
    }

    /// The observation element. `None` when a stored time stamp or value is unreadable
    /// (import validates them, so only a row written around it).
    pub fn observation(&self) -> Option<ObservationType> {
        let start = stamp(Some(&self.observation_time))?;
        let end = match &self.observation_end_time {
            Some(end) => Some(partial(stamp(Some(end))?)?),
            None => None,
        };
        let value = match (&self.value_quantity, &self.value_unit, &self.value_code) {
            (Some(quantity), Some(unit), None) => ValueAnyType {
                pq: Some(PqType {
                    value: Decimal::parse(quantity)?,
                    unit: unit.clone(),
                }),
                ts: None,
                ivl_ts: None,
                cv: None,
            },
            (None, None, Some(code)) => ValueAnyType {
                pq: None,
                ts: None,
                ivl_ts: None,
                cv: Some(BasicCv::coded(
                    code,
                    self.value_code_system.as_deref()?,
                    self.value_display_name.as_deref()?,
                )),
            },
            _ => return None,
        };
        Some(ObservationType {
            id: BasicIi::new(&self.source_system_hsa_id, &self.document_id),
            r#type: BasicCv::coded(
                &self.observation_type_code,
                self.type_code_system(),
                &self.observation_type_display_name,
            ),
            status: None,
            time: PartialTimePeriodType {
                start: Some(partial(start)?),
                end,
            },
            method: None,
            value,
            target_site: None,
            value_negation: false,
            description: self.description.clone(),
            approved_for_patient: self.approved_for_patient,
            registration_time: Some(stamp(Some(&self.author_time))?),
            relation: Vec::new(),
        })
    }

    /// The record as a group of its own (see [`group`] to put observations made
    /// together into one group). `None` when the observation is unreadable.
    pub fn to_contract(&self) -> Option<ObservationGroupType> {
        let h = self.header_ref();
        let birth = h.patient()?.birth_date().and_then(Date::new)?;
        let care_unit_name = (h.author_org_unit_hsa_id == Some(h.care_unit_hsa_id))
            .then(|| h.author_org_unit_name.map(str::to_owned))
            .flatten();
        Some(ObservationGroupType {
            patient: PatientType {
                id: BasicIi::new(h.patient_id_type, h.patient_id),
                name: None,
                date_of_birth: birth,
                gender: None,
            },
            performer_role: PerformerRoleType {
                id: h.author_hsa_id.map(hsa_ii),
                code: match h.author_role_code {
                    Some(code) => {
                        BasicCv::coded(code, KV_BEFATTNING, h.author_role_name.unwrap_or(code))
                    }
                    None => BasicCv::coded("ASSIGNED", HL7_ROLE_CLASS, "Assigned entity"),
                },
                person: (h.author_hsa_id.is_some() || h.author_name.is_some()).then(|| {
                    PersonType {
                        id: h.author_hsa_id.map(hsa_ii),
                        name: h.author_name.map(str::to_owned),
                    }
                }),
                care_unit: Some(CareUnitType {
                    id: hsa_ii(h.care_unit_hsa_id),
                    name: care_unit_name,
                    care_giver: CareGiverType {
                        id: hsa_ii(h.care_giver_hsa_id),
                        name: None,
                    },
                }),
            },
            legal_authenticator: match h.signature_time {
                Some(signed) => Some(LegalAuthenticatorType {
                    id: h.legal_authenticator_hsa_id.map(hsa_ii),
                    time: partial(stamp(Some(signed))?)?,
                    name: h.legal_authenticator_name.map(str::to_owned),
                }),
                None => None,
            },
            additional_participant: Vec::new(),
            source_system: SourceSystemType {
                id: hsa_ii(h.source_system_hsa_id),
            },
            observation: vec![self.observation()?],
        })
    }
}

/// Puts records into observation groups, keeping their order: records with the same
/// `observationGroupId` share a group when patient, performer, signer and source system
/// are equal; a record without a group id, or with shared parts that differ, gets a
/// group of its own. Unreadable records are left out.
pub fn group<'a>(
    records: impl IntoIterator<Item = &'a ObservationRecord>,
) -> Vec<ObservationGroupType> {
    let mut groups: Vec<(Option<&'a str>, ObservationGroupType)> = Vec::new();
    for record in records {
        let Some(mut single) = record.to_contract() else {
            continue;
        };
        let key = record.observation_group_id.as_deref();
        let existing = key.and_then(|key| {
            groups.iter_mut().find(|(k, g)| {
                *k == Some(key)
                    && g.patient == single.patient
                    && g.performer_role == single.performer_role
                    && g.legal_authenticator == single.legal_authenticator
                    && g.source_system == single.source_system
            })
        });
        match existing {
            Some((_, g)) => g.observation.append(&mut single.observation),
            None => groups.push((key, single)),
        }
    }
    groups.into_iter().map(|(_, g)| g).collect()
}

/// The patient's non-nullified observations in the source system, newest first.
pub fn for_patient(conn: &mut DbConn, filters: &Filters) -> QueryResult<Vec<ObservationRecord>> {
    observations::table
        .filter(observations::source_system_hsa_id.eq(&filters.source_system))
        .filter(observations::patient_id.eq(filters.patient.as_str()))
        .filter(observations::nullified.eq(false))
        .order((
            observations::observation_time.desc(),
            observations::document_id.asc(),
        ))
        .select(ObservationRecord::as_select())
        .load(conn)
}

/// GetObservations: the records matching every filter, grouped (see [`group`]).
pub fn find(
    conn: &mut DbConn,
    filters: &ObservationFilters,
) -> QueryResult<Vec<ObservationGroupType>> {
    let common = &filters.common;
    let records: Vec<ObservationRecord> = for_patient(conn, common)?
        .into_iter()
        .filter(|r| r.in_period(common))
        .filter(|r| r.header_ref().admitted_by(common))
        .filter(|r| r.matches(filters))
        .collect();
    Ok(group(&records))
}

/// Inserts or replaces (by source system + documentId) a record.
pub fn upsert(conn: &mut DbConn, record: &ObservationRecord) -> QueryResult<()> {
    conn.transaction(|conn| {
        delete(conn, &record.source_system_hsa_id, &record.document_id)?;
        diesel::insert_into(observations::table)
            .values(record)
            .execute(conn)?;
        Ok(())
    })
}

/// Deletes a record; returns how many rows went (0 or 1).
pub fn delete(
    conn: &mut DbConn,
    source_system_hsa_id: &str,
    document_id: &str,
) -> QueryResult<usize> {
    diesel::delete(
        observations::table
            .filter(observations::source_system_hsa_id.eq(source_system_hsa_id))
            .filter(observations::document_id.eq(document_id)),
    )
    .execute(conn)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::Period;
    use npo_contracts::Envelope;
    use npo_contracts::get_observations::{GetObservations, GetObservationsResponse};
    use npo_contracts::soap::{decode_response, encode};
    use npo_contracts::types::{CvType, IiType, PatientId};

    const PATIENT: &str = "201403129800";
    const SOURCE: &str = "SE2321000016-A12B";

    fn record(id: &str) -> ObservationRecord {
        ObservationRecord {
            document_id: id.into(),
            source_system_hsa_id: SOURCE.into(),
            patient_id: PATIENT.into(),
            patient_id_type: "1.2.752.129.2.1.3.1".into(),
            author_time: "20250917101200".into(),
            author_hsa_id: Some("SE2321000016-P002".into()),
            author_name: Some("Anders Öberg".into()),
            author_role_code: Some("201011".into()),
            author_role_name: Some("Skolsköterska".into()),
            author_org_unit_hsa_id: Some("SE2321000016-C3D4".into()),
            author_org_unit_name: Some("Elevhälsan Björkskolan".into()),
            care_unit_hsa_id: "SE2321000016-C3D4".into(),
            care_giver_hsa_id: "SE2321000016-0001".into(),
            legal_authenticator_hsa_id: None,
            legal_authenticator_name: None,
            signature_time: None,
            approved_for_patient: true,
            care_contact_id: Some("vko-2025-000412".into()),
            nullified: false,
            nullified_reason: None,
            observation_group_id: Some("visit-20250917".into()),
            observation_type_code: "248334005".into(),
            observation_type_code_system: None,
            observation_type_display_name: "Kroppslängd".into(),
            observation_time: "20250917100500".into(),
            observation_end_time: None,
            value_quantity: Some("148.5".into()),
            value_unit: Some("cm".into()),
            value_code: None,
            value_code_system: None,
            value_display_name: None,
            description: Some("Följer sin längdkurva.".into()),
        }
    }

    fn weight(id: &str) -> ObservationRecord {
        let mut r = record(id);
        r.observation_type_code = "27113001".into();
        r.observation_type_display_name = "Kroppsvikt".into();
        r.observation_time = "20250917100700".into();
        r.value_quantity = Some("39".into());
        r.value_unit = Some("kg".into());
        r.description = None;
        r
    }

    fn assessment(id: &str) -> ObservationRecord {
        let mut r = record(id);
        r.observation_type_code = "TILLVBED".into();
        r.observation_type_code_system =
            Some("2.25.125055856986048920317160086233076023874".into());
        r.observation_type_display_name = "Bedömning av tillväxt".into();
        r.value_quantity = None;
        r.value_unit = None;
        r.value_code = Some("NORMAL".into());
        r.value_code_system = Some("2.25.125055856986048920317160086233076023874".into());
        r.value_display_name = Some("Normal tillväxt".into());
        r
    }

    /// A field name and a change that breaks it.
    type Breaker = (&'static str, fn(&mut ObservationRecord));

    fn ts(s: &str) -> TimeStamp {
        TimeStamp::parse(s).expect("valid time stamp")
    }

    fn filters(period: Option<(&str, &str)>) -> ObservationFilters {
        ObservationFilters {
            common: Filters {
                patient: PatientId::parse_canonical(PATIENT).expect("valid"),
                source_system: SOURCE.into(),
                period: period.map(|(start, end)| Period {
                    start: ts(start),
                    end: ts(end),
                }),
                care_unit_hsa_ids: Vec::new(),
                care_giver_hsa_ids: Vec::new(),
                care_contact_ids: Vec::new(),
                consumer: None,
            },
            observation_types: Vec::new(),
            observation_ids: Vec::new(),
        }
    }

    #[test]
    fn good_records_validate() {
        assert_eq!(record("m-1").validate(), Vec::new());
        assert_eq!(weight("m-2").validate(), Vec::new());
        assert_eq!(assessment("m-3").validate(), Vec::new());
        let mut over_a_night = record("m-4");
        over_a_night.observation_end_time = Some("20250918070000".into());
        over_a_night.observation_group_id = None;
        assert_eq!(over_a_night.validate(), Vec::new());
    }

    #[test]
    fn bad_fields_are_named() {
        let cases: Vec<Breaker> = vec![
            ("observationGroupId", |r| {
                r.observation_group_id = Some(" ".into())
            }),
            ("observationTypeCode", |r| {
                r.observation_type_code = String::new()
            }),
            ("observationTypeCodeSystem", |r| {
                r.observation_type_code_system = Some("SNOMED".into())
            }),
            ("observationTypeDisplayName", |r| {
                r.observation_type_display_name = " Längd".into()
            }),
            ("observationTime", |r| {
                r.observation_time = "20250917".into()
            }),
            ("observationEndTime", |r| {
                r.observation_end_time = Some("2025-09-18".into())
            }),
            ("observationEndTime", |r| {
                r.observation_end_time = Some("20250917100459".into())
            }),
            ("valueQuantity", |r| r.value_quantity = Some("148,5".into())),
            ("valueQuantity", |r| {
                r.value_quantity = None;
                r.value_unit = None;
            }),
            ("valueUnit", |r| r.value_unit = None),
            ("valueUnit", |r| r.value_unit = Some("c m".into())),
            ("valueUnit", |r| {
                r.value_quantity = None;
                r.value_code = Some("NORMAL".into());
                r.value_code_system = Some("1.2.3".into());
                r.value_display_name = Some("Normal".into());
            }),
            ("valueCode", |r| {
                r.value_code = Some("NORMAL".into());
                r.value_code_system = Some("1.2.3".into());
                r.value_display_name = Some("Normal".into());
            }),
            ("valueCode", |r| {
                r.value_display_name = Some("Normal".into())
            }),
            ("valueCodeSystem", |r| {
                r.value_quantity = None;
                r.value_unit = None;
                r.value_code = Some("NORMAL".into());
                r.value_display_name = Some("Normal".into());
            }),
            ("valueDisplayName", |r| {
                r.value_quantity = None;
                r.value_unit = None;
                r.value_code = Some("NORMAL".into());
                r.value_code_system = Some("1.2.3".into());
            }),
            ("description", |r| r.description = Some(String::new())),
            ("authorRoleName", |r| r.author_role_name = None),
        ];
        for (field, break_it) in cases {
            let mut r = record("m-1");
            break_it(&mut r);
            let problems = r.validate();
            assert_eq!(
                problems.iter().map(|p| p.field).collect::<Vec<_>>(),
                vec![field],
                "{problems:?}"
            );
            assert!(!problems[0].reason.contains(PATIENT));
        }
    }

    #[test]
    fn the_period_rule_uses_the_observation_time() {
        let period = Some(("20250101000000", "20250630235959"));
        let with = |at: &str, end: Option<&str>, author: &str| {
            let mut r = record("m-1");
            r.observation_time = at.into();
            r.observation_end_time = end.map(Into::into);
            r.author_time = author.into();
            r.in_period(&filters(period).common)
        };
        let inside = "20250301120000";
        let outside = "20240301120000";
        assert!(with("20250101000000", None, outside));
        assert!(with("20250630235959", None, outside));
        assert!(with(inside, None, outside));
        assert!(!with("20241231235959", None, inside));
        assert!(!with("20250701000000", None, inside));
        // Over a period: overlapping from before, or reaching past the end.
        assert!(with("20241231200000", Some("20250101000000"), outside));
        assert!(with("20250630200000", Some("20250701080000"), outside));
        assert!(!with("20241231200000", Some("20241231235959"), outside));
        assert!(record("m-1").in_period(&filters(None).common));
    }

    #[test]
    fn groups_share_performer_and_round_trip() {
        let mut other_signer = weight("m-4");
        other_signer.signature_time = Some("20250917120000".into());
        other_signer.legal_authenticator_name = Some("Anders Öberg".into());
        let mut alone = assessment("m-5");
        alone.observation_group_id = None;
        let mut no_role = record("m-6");
        no_role.observation_group_id = Some("visit-2".into());
        no_role.author_role_code = None;
        no_role.author_role_name = None;
        let records = [
            record("m-1"),
            weight("m-2"),
            assessment("m-3"),
            other_signer,
            alone,
            no_role,
        ];
        let groups = group(&records);
        let sizes: Vec<usize> = groups.iter().map(|g| g.observation.len()).collect();
        assert_eq!(sizes, vec![3, 1, 1, 1]);
        let first = &groups[0];
        assert_eq!(
            first
                .patient
                .id
                .to_patient_id()
                .map(|p| p.as_str().to_owned()),
            Ok(PATIENT.into())
        );
        assert_eq!(first.patient.date_of_birth.to_string(), "20140312");
        assert_eq!(first.performer_role.code.code_system, KV_BEFATTNING);
        assert_eq!(groups[3].performer_role.code.code, "ASSIGNED");
        assert_eq!(first.source_system.id.extension, SOURCE);
        assert!(
            groups[1]
                .legal_authenticator
                .as_ref()
                .is_some_and(|l| l.time.is_consistent())
        );
        for g in &groups {
            for o in &g.observation {
                assert!(o.value.is_single());
                assert!(
                    o.time
                        .start
                        .as_ref()
                        .is_some_and(PartialTimeStampType::is_consistent)
                );
                assert_eq!(o.id.root, SOURCE);
            }
        }
        assert_eq!(
            first.observation[0]
                .value
                .pq
                .as_ref()
                .map(|pq| pq.value.as_str()),
            Some("148.5")
        );

        let response = GetObservationsResponse {
            observation_group: groups.clone(),
        };
        let xml = encode(&Envelope::bare(response));
        for forbidden in ["nullified", "vko-2025-000412"] {
            assert!(!xml.contains(forbidden), "{forbidden} in {xml}");
        }
        let decoded = decode_response::<GetObservations>(xml.as_bytes()).expect("decodes");
        assert_eq!(decoded.body.observation_group, groups);
    }

    #[test]
    fn type_and_id_filters_match() {
        let r = record("m-1");
        let mut f = filters(None);
        assert!(r.matches(&f));
        f.observation_types = vec![CvType::coded("27113001", SNOMED_CT, "Kroppsvikt")];
        assert!(!r.matches(&f));
        f.observation_types
            .push(CvType::coded("248334005", SNOMED_CT, "Kroppslängd"));
        assert!(r.matches(&f));
        f.observation_types = vec![CvType::coded("248334005", "1.2.3", "Längd")];
        assert!(!r.matches(&f));
        let mut f = filters(None);
        f.observation_ids = vec![IiType {
            root: SOURCE.into(),
            extension: Some("m-2".into()),
        }];
        assert!(!r.matches(&f));
        f.observation_ids.push(IiType {
            root: SOURCE.to_lowercase(),
            extension: Some("m-1".into()),
        });
        assert!(r.matches(&f));
        f.observation_ids = vec![IiType {
            root: "1.2.3".into(),
            extension: Some("m-1".into()),
        }];
        assert!(!r.matches(&f));
    }

    #[test]
    fn the_store_upserts_finds_and_deletes() {
        let mut conn = crate::db::DbManager::new(":memory:").open().expect("opens");
        crate::db::run_migrations(&mut conn).expect("migrates");
        let (length, mass) = (record("m-1"), weight("m-2"));
        upsert(&mut conn, &length).expect("first upsert");
        upsert(&mut conn, &length).expect("second upsert");
        upsert(&mut conn, &mass).expect("upsert");
        let mut nullified = assessment("m-x");
        nullified.nullified = true;
        upsert(&mut conn, &nullified).expect("nullified upsert");
        assert_eq!(
            for_patient(&mut conn, &filters(None).common).expect("loads"),
            vec![mass, length]
        );

        let found = find(
            &mut conn,
            &filters(Some(("20250917000000", "20250917235959"))),
        )
        .expect("finds");
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].observation.len(), 2);
        assert!(
            find(
                &mut conn,
                &filters(Some(("20251001000000", "20251231235959")))
            )
            .expect("finds")
            .is_empty()
        );

        let mut by_type = filters(None);
        by_type.observation_types = vec![CvType::coded("27113001", SNOMED_CT, "Kroppsvikt")];
        let found = find(&mut conn, &by_type).expect("finds");
        assert_eq!(found.iter().map(|g| g.observation.len()).sum::<usize>(), 1);

        let mut other_patient = filters(None);
        other_patient.common.patient = PatientId::parse_canonical("201212121212").expect("valid");
        assert!(find(&mut conn, &other_patient).expect("finds").is_empty());
        let mut other_source = filters(None);
        other_source.common.source_system = "SE2321000016-ZZZZ".into();
        assert!(find(&mut conn, &other_source).expect("finds").is_empty());

        assert_eq!(delete(&mut conn, SOURCE, "m-1").expect("deletes"), 1);
        assert_eq!(delete(&mut conn, SOURCE, "m-2").expect("deletes"), 1);
        assert!(find(&mut conn, &filters(None)).expect("finds").is_empty());
    }
}
