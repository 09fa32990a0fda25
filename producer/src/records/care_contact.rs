//! Care contacts (GetCareContacts 3): visits, phone contacts and planned contacts.

use diesel::prelude::*;
use npo_contracts::logistics::{
    CARE_CONTACT_STATUSES, CareContactBodyType, CareContactType, HealthcareProfessionalType,
    KV_VARDKONTAKTTYP, KV_VARDKONTAKTTYP_OID, OrgUnitType, PatientSummaryHeaderType,
    TimePeriodType,
};
use npo_contracts::types::{CvType, PersonIdType, TimeStamp};

use super::diagnosis::KV_BEFATTNING;
use super::header::{FieldProblem, HeaderRef, JournalRecord, hsa, time};
use crate::db::DbConn;
use crate::record;
use crate::source::Filters;

diesel::table! {
    /// Care contacts.
    care_contacts (source_system_hsa_id, document_id) {
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
        care_contact_code -> Text,
        care_contact_reason -> Nullable<Text>,
        care_contact_org_unit_hsa_id -> Nullable<Text>,
        care_contact_org_unit_name -> Nullable<Text>,
        care_contact_start -> Text,
        care_contact_end -> Nullable<Text>,
        care_contact_status -> Nullable<Text>,
    }
}

record! {
    /// A care contact record. The contact is identified by `documentId` (leave
    /// `careContactId` out). A signer (`legalAuthenticator*`, `signatureTime`) may be
    /// stored but GetCareContacts never sends it.
    pub struct CareContactRecord in care_contacts {
        /// Kind of contact, a KV Vårdkontakttyp code (code system 1.2.752.129.2.2.2.25):
        /// `1` Besök, `2` Telefon, `3` Vårdtillfälle, `4` Dagsjukvård, `5` Annan.
        pub care_contact_code: String,
        /// Reason for the contact, or a short description of it, in free text.
        #[serde(default)]
        pub care_contact_reason: Option<String>,
        /// HSA-ID of the unit where the contact takes place; with `careContactOrgUnitName`.
        #[serde(default)]
        pub care_contact_org_unit_hsa_id: Option<String>,
        /// Name of the unit where the contact takes place; with `careContactOrgUnitHsaId`.
        #[serde(default)]
        pub care_contact_org_unit_name: Option<String>,
        /// When the contact starts (or started), `YYYYMMDDhhmmss`. For a planned contact,
        /// the booked time.
        pub care_contact_start: String,
        /// When the contact ended, `YYYYMMDDhhmmss`; omitted for a planned or ongoing
        /// contact (the contact is then open-ended).
        #[serde(default)]
        pub care_contact_end: Option<String>,
        /// Status, one of `Ej påbörjad`, `Inställd`, `Pågående`, `Avbruten`, `Avslutad`.
        #[serde(default)]
        pub care_contact_status: Option<String>,
    }
}

/// The display name of a KV Vårdkontakttyp code.
fn contact_type_name(code: &str) -> Option<&'static str> {
    KV_VARDKONTAKTTYP
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, name)| *name)
}

/// Parses a stored time stamp (validated on import; a bad one is treated as absent).
fn stamp(value: Option<&str>) -> Option<TimeStamp> {
    value.and_then(TimeStamp::parse)
}

impl JournalRecord for CareContactRecord {
    const KIND: &'static str = "careContact";

    fn header(&self) -> HeaderRef<'_> {
        self.header_ref()
    }

    fn validate(&self) -> Vec<FieldProblem> {
        let mut problems = Vec::new();
        self.header_ref().validate(&mut problems);
        if self
            .care_contact_id
            .as_deref()
            .is_some_and(|id| id != self.document_id)
        {
            problems.push(FieldProblem::new(
                "careContactId",
                "a care contact is identified by its documentId; leave careContactId out",
            ));
        }
        if contact_type_name(&self.care_contact_code).is_none() {
            problems.push(FieldProblem::new(
                "careContactCode",
                "must be a KV Vårdkontakttyp code: 1 (Besök), 2 (Telefon), 3 (Vårdtillfälle), \
                 4 (Dagsjukvård) or 5 (Annan)",
            ));
        }
        hsa(
            "careContactOrgUnitHsaId",
            self.care_contact_org_unit_hsa_id.as_deref(),
            &mut problems,
        );
        if self.care_contact_org_unit_hsa_id.is_some() != self.care_contact_org_unit_name.is_some()
        {
            problems.push(FieldProblem::new(
                "careContactOrgUnitName",
                "careContactOrgUnitHsaId and careContactOrgUnitName go together",
            ));
        }
        time(
            "careContactStart",
            Some(&self.care_contact_start),
            &mut problems,
        );
        time(
            "careContactEnd",
            self.care_contact_end.as_deref(),
            &mut problems,
        );
        if let (Some(start), Some(end)) = (
            stamp(Some(&self.care_contact_start)),
            stamp(self.care_contact_end.as_deref()),
        ) && end < start
        {
            problems.push(FieldProblem::new(
                "careContactEnd",
                "lies before careContactStart",
            ));
        }
        if let Some(status) = &self.care_contact_status
            && !CARE_CONTACT_STATUSES.contains(&status.as_str())
        {
            problems.push(FieldProblem::new(
                "careContactStatus",
                "must be one of Ej påbörjad, Inställd, Pågående, Avbruten, Avslutad",
            ));
        }
        problems
    }
}

impl CareContactRecord {
    /// Whether the record matches GetCareContacts' period rule: authorTime in the
    /// period, or the contact's `[start, end]` overlaps it (end points included; a
    /// contact without an end is open-ended, so planned contacts are included).
    pub fn in_period(&self, filters: &Filters) -> bool {
        filters.period.is_none_or(|period| {
            stamp(Some(&self.author_time)).is_some_and(|t| period.contains(t))
                || stamp(Some(&self.care_contact_start)).is_some_and(|start| {
                    period.overlaps(Some(start), stamp(self.care_contact_end.as_deref()))
                })
        })
    }

    /// The contract record, with only what GetCareContacts may send: no documentTitle,
    /// documentTime, legalAuthenticator, nullified, nullifiedReason or careContactId.
    /// `None` when a stored time stamp or code is unreadable (import validates them, so
    /// only a row written around it).
    pub fn to_contract(&self) -> Option<CareContactType> {
        let h = self.header_ref();
        let code = &self.care_contact_code;
        Some(CareContactType {
            care_contact_header: logistics_header(&h)?,
            care_contact_body: CareContactBodyType {
                care_contact_code: Some(CvType::coded(
                    code,
                    KV_VARDKONTAKTTYP_OID,
                    contact_type_name(code)?,
                )),
                care_contact_reason: self.care_contact_reason.clone(),
                care_contact_org_unit: match (
                    &self.care_contact_org_unit_hsa_id,
                    &self.care_contact_org_unit_name,
                ) {
                    (None, None) => None,
                    (id, name) => Some(org_unit(id.as_deref(), name.as_deref())),
                },
                care_contact_time_period: Some(TimePeriodType {
                    start: stamp(Some(&self.care_contact_start))?,
                    end: match &self.care_contact_end {
                        Some(end) => Some(stamp(Some(end))?),
                        None => None,
                    },
                }),
                care_contact_status: self.care_contact_status.as_deref().map(CvType::text),
                additional_patient_information: None,
            },
        })
    }
}

/// An org unit with only HSA-ID and name.
fn org_unit(id: Option<&str>, name: Option<&str>) -> OrgUnitType {
    OrgUnitType {
        org_unit_hsa_id: id.map(str::to_owned),
        org_unit_name: name.map(str::to_owned),
        org_unit_telecom: None,
        org_unit_email: None,
        org_unit_address: None,
        org_unit_location: None,
    }
}

/// The logistics-domain (3.0) header of a care contact, without the elements
/// GetCareContacts forbids.
fn logistics_header(h: &HeaderRef<'_>) -> Option<PatientSummaryHeaderType> {
    Some(PatientSummaryHeaderType {
        document_id: h.document_id.to_owned(),
        source_system_hsa_id: h.source_system_hsa_id.to_owned(),
        document_title: None,
        document_time: None,
        patient_id: PersonIdType {
            id: h.patient_id.to_owned(),
            r#type: h.patient_id_type.to_owned(),
        },
        accountable_healthcare_professional: HealthcareProfessionalType {
            author_time: stamp(Some(h.author_time))?,
            healthcare_professional_hsa_id: h.author_hsa_id.map(str::to_owned),
            healthcare_professional_name: h.author_name.map(str::to_owned),
            healthcare_professional_role_code: h
                .author_role_code
                .map(|code| CvType::coded(code, KV_BEFATTNING, h.author_role_name.unwrap_or(code))),
            healthcare_professional_org_unit: match (
                h.author_org_unit_hsa_id,
                h.author_org_unit_name,
            ) {
                (None, None) => None,
                (id, name) => Some(org_unit(id, name)),
            },
            healthcare_professional_care_unit_hsa_id: Some(h.care_unit_hsa_id.to_owned()),
            healthcare_professional_care_giver_hsa_id: Some(h.care_giver_hsa_id.to_owned()),
        },
        legal_authenticator: None,
        approved_for_patient: h.approved_for_patient,
        nullified: None,
        nullified_reason: None,
        care_contact_id: None,
    })
}

/// The patient's non-nullified care contacts in the source system, latest start first.
pub fn for_patient(conn: &mut DbConn, filters: &Filters) -> QueryResult<Vec<CareContactRecord>> {
    care_contacts::table
        .filter(care_contacts::source_system_hsa_id.eq(&filters.source_system))
        .filter(care_contacts::patient_id.eq(filters.patient.as_str()))
        .filter(care_contacts::nullified.eq(false))
        .order((
            care_contacts::care_contact_start.desc(),
            care_contacts::author_time.desc(),
        ))
        .select(CareContactRecord::as_select())
        .load(conn)
}

/// GetCareContacts: the records matching every filter, as contract records. The
/// request's `careContactId` list names contacts by their `documentId`.
pub fn find(conn: &mut DbConn, filters: &Filters) -> QueryResult<Vec<CareContactType>> {
    Ok(for_patient(conn, filters)?
        .into_iter()
        .filter(|r| r.in_period(filters))
        .filter(|r| {
            filters.admits(
                &r.care_unit_hsa_id,
                &r.care_giver_hsa_id,
                Some(&r.document_id),
                r.approved_for_patient,
            )
        })
        .filter_map(|r| r.to_contract())
        .collect())
}

/// Inserts or replaces (by source system + documentId) a record.
pub fn upsert(conn: &mut DbConn, record: &CareContactRecord) -> QueryResult<()> {
    conn.transaction(|conn| {
        delete(conn, &record.source_system_hsa_id, &record.document_id)?;
        diesel::insert_into(care_contacts::table)
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
        care_contacts::table
            .filter(care_contacts::source_system_hsa_id.eq(source_system_hsa_id))
            .filter(care_contacts::document_id.eq(document_id)),
    )
    .execute(conn)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::Period;
    use npo_contracts::Envelope;
    use npo_contracts::get_care_contacts::{GetCareContacts, GetCareContactsResponse};
    use npo_contracts::soap::{decode_response, encode};
    use npo_contracts::types::{PatientId, ResultType};

    const PATIENT: &str = "201403129800";
    const SOURCE: &str = "SE2321000016-A12B";

    fn record(id: &str) -> CareContactRecord {
        CareContactRecord {
            document_id: id.into(),
            source_system_hsa_id: SOURCE.into(),
            patient_id: PATIENT.into(),
            patient_id_type: "1.2.752.129.2.1.3.1".into(),
            author_time: "20250917103000".into(),
            author_hsa_id: Some("SE2321000016-P002".into()),
            author_name: Some("Anders Öberg".into()),
            author_role_code: Some("201011".into()),
            author_role_name: Some("Skolsköterska".into()),
            author_org_unit_hsa_id: Some("SE2321000016-C3D4".into()),
            author_org_unit_name: Some("Elevhälsan Björkskolan".into()),
            care_unit_hsa_id: "SE2321000016-C3D4".into(),
            care_giver_hsa_id: "SE2321000016-0001".into(),
            legal_authenticator_hsa_id: Some("SE2321000016-P002".into()),
            legal_authenticator_name: Some("Anders Öberg".into()),
            signature_time: Some("20250917110000".into()),
            approved_for_patient: true,
            care_contact_id: None,
            nullified: false,
            nullified_reason: None,
            care_contact_code: "1".into(),
            care_contact_reason: Some("Hälsobesök årskurs 6".into()),
            care_contact_org_unit_hsa_id: Some("SE2321000016-C3D4".into()),
            care_contact_org_unit_name: Some("Elevhälsan Björkskolan".into()),
            care_contact_start: "20250917100000".into(),
            care_contact_end: Some("20250917103000".into()),
            care_contact_status: Some("Avslutad".into()),
        }
    }

    fn ts(s: &str) -> TimeStamp {
        TimeStamp::parse(s).expect("valid time stamp")
    }

    fn filters(period: Option<(&str, &str)>) -> Filters {
        Filters {
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
        }
    }

    /// A field name and a change that breaks it.
    type Breaker = (&'static str, fn(&mut CareContactRecord));

    fn fields(problems: &[FieldProblem]) -> Vec<&'static str> {
        problems.iter().map(|p| p.field).collect()
    }

    #[test]
    fn a_good_record_validates() {
        assert_eq!(record("vko-1").validate(), Vec::new());
        let mut planned = record("vko-2");
        planned.care_contact_end = None;
        planned.care_contact_status = Some("Ej påbörjad".into());
        planned.care_contact_org_unit_hsa_id = None;
        planned.care_contact_org_unit_name = None;
        planned.care_contact_reason = None;
        planned.care_contact_id = Some("vko-2".into());
        assert_eq!(planned.validate(), Vec::new());
    }

    #[test]
    fn bad_fields_are_named() {
        let cases: Vec<Breaker> = vec![
            ("careContactCode", |r| r.care_contact_code = "6".into()),
            ("careContactId", |r| {
                r.care_contact_id = Some("another".into())
            }),
            ("careContactOrgUnitHsaId", |r| {
                r.care_contact_org_unit_hsa_id = Some("not an hsa id".into())
            }),
            ("careContactOrgUnitName", |r| {
                r.care_contact_org_unit_name = None
            }),
            ("careContactStart", |r| {
                r.care_contact_start = "2025-09-17".into()
            }),
            ("careContactEnd", |r| {
                r.care_contact_end = Some("20250917246000".into())
            }),
            ("careContactEnd", |r| {
                r.care_contact_end = Some("20250917095959".into())
            }),
            ("careContactStatus", |r| {
                r.care_contact_status = Some("Klar".into())
            }),
            ("patientId", |r| r.patient_id = "201403129801".into()),
            ("authorTime", |r| r.author_time = "yesterday".into()),
        ];
        for (field, break_it) in cases {
            let mut r = record("vko-1");
            break_it(&mut r);
            let problems = r.validate();
            assert_eq!(fields(&problems), vec![field], "{problems:?}");
            assert!(!problems[0].reason.contains(PATIENT));
        }
    }

    #[test]
    fn the_period_rule_uses_author_time_and_the_contact_period() {
        let period = Some(("20250101000000", "20250630235959"));
        let with = |author: &str, start: &str, end: Option<&str>| {
            let mut r = record("vko-1");
            r.author_time = author.into();
            r.care_contact_start = start.into();
            r.care_contact_end = end.map(Into::into);
            r.in_period(&filters(period))
        };
        let outside = "20240101120000";
        // authorTime inside, contact outside; exactly on the start and end.
        assert!(with(
            "20250101000000",
            "20231001100000",
            Some("20231001110000")
        ));
        assert!(with(
            "20250630235959",
            "20231001100000",
            Some("20231001110000")
        ));
        // Contact overlaps: starts before and ends on the period start; starts on its end.
        assert!(with(outside, "20241231230000", Some("20250101000000")));
        assert!(with(outside, "20250630235959", Some("20250701010000")));
        assert!(with(outside, "20241201000000", Some("20250801000000")));
        assert!(with(outside, "20250301100000", Some("20250301110000")));
        // Open-ended contact started before the period.
        assert!(with(outside, "20241201000000", None));
        // Just outside: ends a second before, starts a second after, planned after.
        assert!(!with(
            "20241231235959",
            "20241201000000",
            Some("20241231235959")
        ));
        assert!(!with(
            "20250701000000",
            "20250701000000",
            Some("20250701010000")
        ));
        assert!(!with(outside, "20250701000000", None));
        // No period: everything.
        assert!(record("vko-1").in_period(&filters(None)));
    }

    #[test]
    fn the_contract_record_encodes_without_forbidden_elements() {
        let mut planned = record("vko-2");
        planned.care_contact_end = None;
        planned.care_contact_status = Some("Ej påbörjad".into());
        let contacts: Vec<CareContactType> = [record("vko-1"), planned]
            .iter()
            .filter_map(CareContactRecord::to_contract)
            .collect();
        assert_eq!(contacts.len(), 2);
        for c in &contacts {
            assert!(c.care_contact_header.follows_care_contact_rules());
            let body = &c.care_contact_body;
            assert!(
                body.care_contact_code
                    .as_ref()
                    .is_some_and(CvType::follows_cv_rule)
            );
            assert!(
                body.care_contact_status
                    .as_ref()
                    .is_some_and(CvType::follows_cv_rule)
            );
            let role = c
                .care_contact_header
                .accountable_healthcare_professional
                .healthcare_professional_role_code
                .as_ref();
            assert!(role.is_some_and(CvType::follows_cv_rule));
        }
        let response = GetCareContactsResponse {
            care_contact: contacts.clone(),
            result: ResultType::ok("0f8e2c7a-7d5b-4f3e-9a1c-2b3d4e5f6a7b"),
        };
        let xml = encode(&Envelope::bare(response));
        for forbidden in [
            "documentTitle",
            "documentTime",
            "legalAuthenticator",
            "nullified",
            "nullifiedReason",
            "careContactId",
        ] {
            assert!(!xml.contains(forbidden), "{forbidden} in {xml}");
        }
        let decoded = decode_response::<GetCareContacts>(xml.as_bytes()).expect("decodes");
        assert_eq!(decoded.body.care_contact, contacts);
        assert_eq!(
            contacts[1]
                .care_contact_body
                .care_contact_time_period
                .as_ref()
                .and_then(|p| p.end),
            None
        );
    }

    #[test]
    fn the_store_upserts_finds_and_deletes() {
        let mut conn = crate::db::DbManager::new(":memory:").open().expect("opens");
        crate::db::run_migrations(&mut conn).expect("migrates");
        let r = record("vko-1");
        upsert(&mut conn, &r).expect("first upsert");
        upsert(&mut conn, &r).expect("second upsert");
        let mut nullified = record("vko-x");
        nullified.nullified = true;
        nullified.nullified_reason = Some("Felregistrerad".into());
        upsert(&mut conn, &nullified).expect("nullified upsert");
        assert_eq!(
            for_patient(&mut conn, &filters(None)).expect("loads"),
            vec![r.clone()]
        );

        let found = find(
            &mut conn,
            &filters(Some(("20250917000000", "20250917235959"))),
        )
        .expect("finds");
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].care_contact_header.document_id, "vko-1");
        assert!(
            find(
                &mut conn,
                &filters(Some(("20260101000000", "20261231235959")))
            )
            .expect("finds")
            .is_empty()
        );

        let mut by_id = filters(None);
        by_id.care_contact_ids = vec!["vko-1".into()];
        assert_eq!(find(&mut conn, &by_id).expect("finds").len(), 1);
        by_id.care_contact_ids = vec!["vko-x".into()];
        assert!(find(&mut conn, &by_id).expect("finds").is_empty());

        let mut other_patient = filters(None);
        other_patient.patient = PatientId::parse_canonical("201212121212").expect("valid");
        assert!(find(&mut conn, &other_patient).expect("finds").is_empty());
        let mut other_source = filters(None);
        other_source.source_system = "SE2321000016-ZZZZ".into();
        assert!(find(&mut conn, &other_source).expect("finds").is_empty());
        let mut other_unit = filters(None);
        other_unit.care_unit_hsa_ids = vec!["SE2321000016-ZZZZ".into()];
        assert!(find(&mut conn, &other_unit).expect("finds").is_empty());

        assert_eq!(delete(&mut conn, SOURCE, "vko-1").expect("deletes"), 1);
        assert_eq!(delete(&mut conn, SOURCE, "vko-1").expect("deletes"), 0);
        assert!(find(&mut conn, &filters(None)).expect("finds").is_empty());
    }
}
