//! Vaccinations (GetVaccinationHistory 2).

use diesel::prelude::*;
use npo_contracts::actoutcome::{
    ActorType, AdministrationRecordType, Integer, OrgUnitType, RegistrationRecordType,
    VaccinationMedicalRecordBodyType, VaccinationMedicalRecordType,
};
use npo_contracts::types::{CvType, Date, TimeStamp};

use super::header::{FieldProblem, HeaderRef, JournalRecord, hsa};
use super::medication::{ATC, NPL_ID, actoutcome_header};
use crate::db::DbConn;
use crate::record;
use crate::source::Filters;

/// Code system of SNOMED CT (Swedish release), the default for route and site codes.
pub const SNOMED_CT: &str = "1.2.752.116.2.1.1";
/// `vaccinationProgramName` of a vaccination given in the national programme.
pub const NATIONAL_PROGRAMME: &str = "Nationella vaccinationsprogrammet för barn";

diesel::table! {
    /// Vaccinations.
    vaccinations (source_system_hsa_id, document_id) {
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
        administration_time -> Text,
        vaccine_npl_id -> Nullable<Text>,
        vaccine_name -> Nullable<Text>,
        vaccine_type_code -> Nullable<Text>,
        vaccine_type_name -> Nullable<Text>,
        in_national_programme -> Bool,
        dose_ordinal_number -> Nullable<Integer>,
        vaccine_batch_id -> Nullable<Text>,
        route -> Nullable<Text>,
        route_code -> Nullable<Text>,
        route_code_system -> Nullable<Text>,
        anatomical_site -> Nullable<Text>,
        anatomical_site_code -> Nullable<Text>,
        anatomical_site_code_system -> Nullable<Text>,
        performer_hsa_id -> Nullable<Text>,
        performer_name -> Nullable<Text>,
        administration_comment -> Nullable<Text>,
        care_giver_name -> Nullable<Text>,
        source_system_name -> Nullable<Text>,
    }
}

record! {
    /// One vaccine given to the patient.
    pub struct VaccinationRecord in vaccinations {
        /// When the vaccine was given: `YYYYMMDDhhmmss`, or `YYYYMMDD` when only the day
        /// is known (sent as the registration's date).
        pub administration_time: String,
        /// NPL-id of the vaccine product (with `vaccineName`).
        #[serde(default)]
        pub vaccine_npl_id: Option<String>,
        /// Product name of the vaccine, e.g. `Priorix` (coded with `vaccineNplId`, else
        /// sent as text). `vaccineName` or `vaccineTypeName` is required.
        #[serde(default)]
        pub vaccine_name: Option<String>,
        /// ATC code of the type of vaccine, e.g. `J07BD52` (with `vaccineTypeName`).
        #[serde(default)]
        pub vaccine_type_code: Option<String>,
        /// Type of vaccine, e.g. `Mässling, påssjuka, röda hund` or the programme's name
        /// for it (`MPR`): the ATC code's name, or text without `vaccineTypeCode`.
        #[serde(default)]
        pub vaccine_type_name: Option<String>,
        /// Given within the national vaccination programme for children.
        #[serde(default)]
        pub in_national_programme: bool,
        /// Which dose of the series this was (1 for the first).
        #[serde(default)]
        pub dose_ordinal_number: Option<i32>,
        /// The vaccine's batch (lot) number.
        #[serde(default)]
        pub vaccine_batch_id: Option<String>,
        /// Route of administration, e.g. `Intramuskulär`: the code's name, or text
        /// without `routeCode`.
        #[serde(default)]
        pub route: Option<String>,
        /// Code of the route (with `route`), e.g. SNOMED CT `78421000`.
        #[serde(default)]
        pub route_code: Option<String>,
        /// Code system OID of `routeCode`; SNOMED CT when omitted.
        #[serde(default)]
        pub route_code_system: Option<String>,
        /// Where the vaccine was given, e.g. `Vänster överarm`: the code's name, or
        /// text without `anatomicalSiteCode`.
        #[serde(default)]
        pub anatomical_site: Option<String>,
        /// Code of the site (with `anatomicalSite`).
        #[serde(default)]
        pub anatomical_site_code: Option<String>,
        /// Code system OID of `anatomicalSiteCode`; SNOMED CT when omitted.
        #[serde(default)]
        pub anatomical_site_code_system: Option<String>,
        /// HSA-ID of who gave the vaccine.
        #[serde(default)]
        pub performer_hsa_id: Option<String>,
        /// Name of who gave the vaccine.
        #[serde(default)]
        pub performer_name: Option<String>,
        /// Comment on the administration, e.g. reactions observed.
        #[serde(default)]
        pub administration_comment: Option<String>,
        /// Name of the care giver (`careGiverHsaId`), shown with the registration.
        #[serde(default)]
        pub care_giver_name: Option<String>,
        /// Name of the journal system, e.g. `Elevhälsans journal, Exempel kommun`; the
        /// source system HSA-ID is sent when omitted.
        #[serde(default)]
        pub source_system_name: Option<String>,
    }
}

/// An administration time as written: a time stamp or a day.
fn administration_day(value: &str) -> Option<Date> {
    TimeStamp::parse(value)
        .map(TimeStamp::date)
        .or_else(|| Date::parse(value))
}

/// Checks a coded-or-text value: `code` needs `name`.
fn coded_or_text(
    (name_field, name): (&'static str, Option<&str>),
    (code_field, code): (&'static str, Option<&str>),
    system: Option<&str>,
    problems: &mut Vec<FieldProblem>,
) {
    if code.is_some() && name.is_none() {
        problems.push(FieldProblem::new(
            name_field,
            format!("required with {code_field}"),
        ));
    }
    if system.is_some() && code.is_none() {
        problems.push(FieldProblem::new(
            code_field,
            "required when its code system is given",
        ));
    }
}

/// A coded value (`code` from `system`, displayed as `name`) or `name` as text.
fn cv(name: Option<&str>, code: Option<&str>, system: &str) -> Option<CvType> {
    match (code, name) {
        (Some(code), name) => Some(CvType::coded(code, system, name.unwrap_or(code))),
        (None, Some(name)) => Some(CvType::text(name)),
        (None, None) => None,
    }
}

impl JournalRecord for VaccinationRecord {
    const KIND: &'static str = "vaccination";

    fn header(&self) -> HeaderRef<'_> {
        self.header_ref()
    }

    fn validate(&self) -> Vec<FieldProblem> {
        let mut problems = Vec::new();
        self.header_ref().validate(&mut problems);
        if administration_day(&self.administration_time).is_none() {
            problems.push(FieldProblem::new(
                "administrationTime",
                "not a time stamp YYYYMMDDhhmmss or a date YYYYMMDD",
            ));
        }
        if self.vaccine_name.is_none() && self.vaccine_type_name.is_none() {
            problems.push(FieldProblem::new(
                "vaccineName",
                "a vaccination needs vaccineName or vaccineTypeName",
            ));
        }
        coded_or_text(
            ("vaccineName", self.vaccine_name.as_deref()),
            ("vaccineNplId", self.vaccine_npl_id.as_deref()),
            None,
            &mut problems,
        );
        coded_or_text(
            ("vaccineTypeName", self.vaccine_type_name.as_deref()),
            ("vaccineTypeCode", self.vaccine_type_code.as_deref()),
            None,
            &mut problems,
        );
        coded_or_text(
            ("route", self.route.as_deref()),
            ("routeCode", self.route_code.as_deref()),
            self.route_code_system.as_deref(),
            &mut problems,
        );
        coded_or_text(
            ("anatomicalSite", self.anatomical_site.as_deref()),
            ("anatomicalSiteCode", self.anatomical_site_code.as_deref()),
            self.anatomical_site_code_system.as_deref(),
            &mut problems,
        );
        if self.dose_ordinal_number.is_some_and(|n| n < 1) {
            problems.push(FieldProblem::new("doseOrdinalNumber", "must be 1 or more"));
        }
        hsa(
            "performerHsaId",
            self.performer_hsa_id.as_deref(),
            &mut problems,
        );
        problems
    }
}

impl VaccinationRecord {
    /// Whether the record matches GetVaccinationHistory's period rule: the day the
    /// vaccine was given (registrationRecord.date), the authorTime or the
    /// signatureTime in the period. GetVaccinationHistory 2.0 selects on authorTime,
    /// documentTime, signatureTime and registrationRecord.date (rivta-domains
    /// actoutcome issue #369; the test suite's "Date Boundaries" case wants a record
    /// with any one of them in range); documentTime is not sent here.
    pub fn in_period(&self, filters: &Filters) -> bool {
        filters.period.is_none_or(|period| {
            let given = administration_day(&self.administration_time).is_some_and(|day| {
                period.overlaps(Some(day.start_of_day()), Some(day.end_of_day()))
            });
            given
                || [
                    Some(self.author_time.as_str()),
                    self.signature_time.as_deref(),
                ]
                .into_iter()
                .flatten()
                .filter_map(TimeStamp::parse)
                .any(|t| period.contains(t))
        })
    }

    /// The contract record. Its header carries `nullified` (false), as the
    /// GetVaccinationHistory field rules require of every record, and no
    /// nullifiedReason; nullified records are never sent. `None` when a stored value
    /// is unreadable (import validates them, so only a row written around it).
    pub fn to_contract(&self) -> Option<VaccinationMedicalRecordType> {
        let mut header = actoutcome_header(&self.header_ref())?;
        header.nullified = Some(false);
        let performer =
            (self.performer_hsa_id.is_some() || self.performer_name.is_some()).then(|| ActorType {
                hsaid: self.performer_hsa_id.clone(),
                person_name: self.performer_name.clone(),
                person_email: None,
                person_telecom: None,
                person_address: None,
            });
        Some(VaccinationMedicalRecordType {
            vaccination_medical_record_header: header,
            vaccination_medical_record_body: VaccinationMedicalRecordBodyType {
                registration_record: RegistrationRecordType {
                    care_giver_org: OrgUnitType {
                        org_unit_hsa_id: Some(self.care_giver_hsa_id.clone()),
                        org_unit_name: self.care_giver_name.clone(),
                        org_unit_telecom: None,
                        org_unit_email: None,
                        org_unit_address: None,
                        org_unit_location: None,
                    },
                    care_giver_contact: None,
                    source_system_name: self
                        .source_system_name
                        .clone()
                        .unwrap_or_else(|| self.source_system_hsa_id.clone()),
                    source_system_product_name: None,
                    source_system_product_version: None,
                    source_system_contact: ActorType {
                        hsaid: None,
                        person_name: None,
                        person_email: None,
                        person_telecom: None,
                        person_address: None,
                    },
                    care_unit_smi_id: None,
                    date: administration_day(&self.administration_time)?,
                    patient_postal_code: None,
                    vaccination_unstructured_note: None,
                    risk_category: Vec::new(),
                    patient_adverse_effect: Vec::new(),
                },
                administration_record: vec![AdministrationRecordType {
                    vaccination_program_name: self
                        .in_national_programme
                        .then(|| CvType::text(NATIONAL_PROGRAMME)),
                    prescriber_org: None,
                    prescriber_person: None,
                    performer_org: None,
                    performer,
                    anatomical_site: cv(
                        self.anatomical_site.as_deref(),
                        self.anatomical_site_code.as_deref(),
                        self.anatomical_site_code_system
                            .as_deref()
                            .unwrap_or(SNOMED_CT),
                    ),
                    route: cv(
                        self.route.as_deref(),
                        self.route_code.as_deref(),
                        self.route_code_system.as_deref().unwrap_or(SNOMED_CT),
                    ),
                    dose: None,
                    is_dose_complete: None,
                    dose_ordinal_number: self
                        .dose_ordinal_number
                        .map(|n| Integer::from(i64::from(n))),
                    number_of_prescribed_doses: None,
                    source_description: None,
                    comment_prescription: None,
                    comment_administration: self.administration_comment.clone(),
                    patient_adverse_effect: Vec::new(),
                    type_of_vaccine: cv(
                        self.vaccine_type_name.as_deref(),
                        self.vaccine_type_code.as_deref(),
                        ATC,
                    ),
                    vaccine_name: cv(
                        self.vaccine_name.as_deref(),
                        self.vaccine_npl_id.as_deref(),
                        NPL_ID,
                    ),
                    vaccine_batch_id: self.vaccine_batch_id.clone(),
                    vaccine_manufacturer: None,
                    vaccine_target_disease: Vec::new(),
                    vaccination_unique_reference: None,
                }],
                additional_patient_information: None,
            },
        })
    }
}

/// The patient's non-nullified vaccinations in the source system, newest first.
pub fn for_patient(conn: &mut DbConn, filters: &Filters) -> QueryResult<Vec<VaccinationRecord>> {
    vaccinations::table
        .filter(vaccinations::source_system_hsa_id.eq(&filters.source_system))
        .filter(vaccinations::patient_id.eq(filters.patient.as_str()))
        .filter(vaccinations::nullified.eq(false))
        .order(vaccinations::administration_time.desc())
        .select(VaccinationRecord::as_select())
        .load(conn)
}

/// GetVaccinationHistory: the records matching every filter, as contract records.
pub fn find(
    conn: &mut DbConn,
    filters: &Filters,
) -> QueryResult<Vec<VaccinationMedicalRecordType>> {
    Ok(for_patient(conn, filters)?
        .into_iter()
        .filter(|r| r.in_period(filters))
        .filter(|r| r.header_ref().admitted_by(filters))
        .filter_map(|r| r.to_contract())
        .collect())
}

/// Inserts or replaces (by source system + documentId) a record.
pub fn upsert(conn: &mut DbConn, record: &VaccinationRecord) -> QueryResult<()> {
    conn.transaction(|conn| {
        delete(conn, &record.source_system_hsa_id, &record.document_id)?;
        diesel::insert_into(vaccinations::table)
            .values(record)
            .execute(conn)?;
        Ok(())
    })
}

/// Deletes a record by source system + documentId; returns how many rows went (0 or 1).
pub fn delete(
    conn: &mut DbConn,
    source_system_hsa_id: &str,
    document_id: &str,
) -> QueryResult<usize> {
    diesel::delete(
        vaccinations::table
            .filter(vaccinations::source_system_hsa_id.eq(source_system_hsa_id))
            .filter(vaccinations::document_id.eq(document_id)),
    )
    .execute(conn)
}

#[cfg(test)]
mod tests {
    use npo_contracts::Envelope;
    use npo_contracts::get_vaccination_history::{
        GetVaccinationHistory, GetVaccinationHistoryResponse,
    };
    use npo_contracts::soap::{decode_response, encode};
    use npo_contracts::types::{PatientId, ResultType};

    use super::*;
    use crate::source::Period;

    const PATIENT: &str = "201403129800";
    const SOURCE: &str = "SE2321000016-E5H1";

    fn sample() -> VaccinationRecord {
        VaccinationRecord {
            document_id: "vac-0001".into(),
            source_system_hsa_id: SOURCE.into(),
            patient_id: PATIENT.into(),
            patient_id_type: "1.2.752.129.2.1.3.1".into(),
            author_time: "20210915103000".into(),
            author_hsa_id: Some("SE2321000016-P301".into()),
            author_name: Some("Anna Berg".into()),
            author_role_code: Some("206010".into()),
            author_role_name: Some("Skolsköterska".into()),
            author_org_unit_hsa_id: Some("SE2321000016-E5S1".into()),
            author_org_unit_name: Some("Elevhälsan Solskolan".into()),
            care_unit_hsa_id: "SE2321000016-E5S1".into(),
            care_giver_hsa_id: "SE2321000016-0003".into(),
            legal_authenticator_hsa_id: Some("SE2321000016-P301".into()),
            legal_authenticator_name: Some("Anna Berg".into()),
            signature_time: Some("20210915110000".into()),
            approved_for_patient: true,
            care_contact_id: Some("vko-2021-0042".into()),
            nullified: false,
            nullified_reason: None,
            administration_time: "20210915101500".into(),
            vaccine_npl_id: Some("19980716000033".into()),
            vaccine_name: Some("Priorix".into()),
            vaccine_type_code: Some("J07BD52".into()),
            vaccine_type_name: Some("Mässling, påssjuka, röda hund".into()),
            in_national_programme: true,
            dose_ordinal_number: Some(2),
            vaccine_batch_id: Some("A69CC123A".into()),
            route: Some("Subkutan".into()),
            route_code: Some("34206005".into()),
            route_code_system: None,
            anatomical_site: Some("Vänster överarm".into()),
            anatomical_site_code: None,
            anatomical_site_code_system: None,
            performer_hsa_id: Some("SE2321000016-P301".into()),
            performer_name: Some("Anna Berg".into()),
            administration_comment: Some("Ingen reaktion efter 15 minuter".into()),
            care_giver_name: Some("Exempel kommun".into()),
            source_system_name: Some("Elevhälsans journal, Exempel kommun".into()),
        }
    }

    fn ts(s: &str) -> TimeStamp {
        TimeStamp::parse(s).expect("valid stamp")
    }

    fn filters(patient: &str, source: &str, period: Option<(&str, &str)>) -> Filters {
        Filters {
            patient: PatientId::parse_canonical(patient).expect("valid patient"),
            source_system: source.into(),
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

    #[test]
    fn a_full_record_is_valid() {
        assert_eq!(sample().validate(), Vec::new());
        let minimal = VaccinationRecord {
            administration_time: "20210915".into(),
            vaccine_npl_id: None,
            vaccine_name: None,
            vaccine_type_code: None,
            vaccine_type_name: Some("MPR".into()),
            in_national_programme: false,
            dose_ordinal_number: None,
            vaccine_batch_id: None,
            route: None,
            route_code: None,
            anatomical_site: None,
            performer_hsa_id: None,
            performer_name: None,
            administration_comment: None,
            care_giver_name: None,
            source_system_name: None,
            ..sample()
        };
        assert_eq!(minimal.validate(), Vec::new());
    }

    #[test]
    fn validation_names_each_bad_field() {
        let cases: Vec<(VaccinationRecord, &str)> = vec![
            (
                VaccinationRecord {
                    administration_time: "2021-09-15".into(),
                    ..sample()
                },
                "administrationTime",
            ),
            (
                VaccinationRecord {
                    administration_time: "20210931".into(),
                    ..sample()
                },
                "administrationTime",
            ),
            (
                VaccinationRecord {
                    vaccine_name: None,
                    vaccine_npl_id: None,
                    vaccine_type_name: None,
                    vaccine_type_code: None,
                    ..sample()
                },
                "vaccineName",
            ),
            (
                VaccinationRecord {
                    vaccine_name: None,
                    ..sample()
                },
                "vaccineName",
            ),
            (
                VaccinationRecord {
                    vaccine_type_name: None,
                    ..sample()
                },
                "vaccineTypeName",
            ),
            (
                VaccinationRecord {
                    route: None,
                    ..sample()
                },
                "route",
            ),
            (
                VaccinationRecord {
                    route_code: None,
                    route_code_system: Some("1.2.3".into()),
                    ..sample()
                },
                "routeCode",
            ),
            (
                VaccinationRecord {
                    anatomical_site_code: Some("368208006".into()),
                    anatomical_site: None,
                    ..sample()
                },
                "anatomicalSite",
            ),
            (
                VaccinationRecord {
                    anatomical_site_code_system: Some("1.2.3".into()),
                    ..sample()
                },
                "anatomicalSiteCode",
            ),
            (
                VaccinationRecord {
                    dose_ordinal_number: Some(0),
                    ..sample()
                },
                "doseOrdinalNumber",
            ),
            (
                VaccinationRecord {
                    performer_hsa_id: Some("SE 1".into()),
                    ..sample()
                },
                "performerHsaId",
            ),
            (
                VaccinationRecord {
                    care_unit_hsa_id: String::new(),
                    ..sample()
                },
                "careUnitHsaId",
            ),
        ];
        for (record, field) in cases {
            let problems = record.validate();
            assert!(
                problems.iter().any(|p| p.field == field),
                "expected a problem with {field}, got {problems:?}"
            );
            for p in &problems {
                assert!(
                    !p.reason.contains(PATIENT),
                    "reason echoes the patient id: {p:?}"
                );
            }
        }
    }

    #[test]
    fn the_period_rule_uses_the_day_given_author_and_signature_times() {
        let f = filters(PATIENT, SOURCE, Some(("20240101000000", "20241231235959")));
        let with = |given: &str, author: &str, signed: Option<&str>| VaccinationRecord {
            administration_time: given.into(),
            author_time: author.into(),
            signature_time: signed.map(Into::into),
            ..sample()
        };
        let before = "20231231235959";
        let after = "20250101000000";
        // Given exactly on the first and the last second of the period, or on its days.
        assert!(with("20240101000000", before, None).in_period(&f));
        assert!(with("20241231235959", after, None).in_period(&f));
        assert!(with("20240101", before, None).in_period(&f));
        assert!(with("20241231", after, Some(after)).in_period(&f));
        // Given just outside, documented and signed outside.
        assert!(!with(before, before, Some(before)).in_period(&f));
        assert!(!with(after, after, Some(after)).in_period(&f));
        assert!(!with("20231231", before, None).in_period(&f));
        // Given outside, but documented or signed inside (edges included).
        assert!(with(before, "20240101000000", None).in_period(&f));
        assert!(with(before, before, Some("20241231235959")).in_period(&f));
        // No period: everything.
        assert!(with(after, after, None).in_period(&filters(PATIENT, SOURCE, None)));
    }

    #[test]
    fn the_contract_record_round_trips_and_carries_nullified_false() {
        let full = sample().to_contract().expect("contract record");
        let header = &full.vaccination_medical_record_header;
        assert_eq!(header.nullified, Some(false));
        assert_eq!(header.nullified_reason, None);
        let body = &full.vaccination_medical_record_body;
        assert_eq!(body.registration_record.date.to_string(), "20210915");
        let given = &body.administration_record[0];
        assert_eq!(
            given.vaccine_name,
            Some(CvType::coded("19980716000033", NPL_ID, "Priorix"))
        );
        assert_eq!(
            given.route,
            Some(CvType::coded("34206005", SNOMED_CT, "Subkutan"))
        );
        assert_eq!(given.anatomical_site, Some(CvType::text("Vänster överarm")));
        assert_eq!(
            given.dose_ordinal_number.as_ref().and_then(Integer::to_i64),
            Some(2)
        );
        let minimal = VaccinationRecord {
            document_id: "vac-0002".into(),
            administration_time: "20220301".into(),
            vaccine_npl_id: None,
            vaccine_type_code: None,
            vaccine_type_name: None,
            signature_time: None,
            legal_authenticator_hsa_id: None,
            legal_authenticator_name: None,
            source_system_name: None,
            ..sample()
        }
        .to_contract()
        .expect("contract record");
        assert_eq!(
            minimal
                .vaccination_medical_record_body
                .registration_record
                .source_system_name,
            SOURCE
        );
        let records = vec![full, minimal];
        for record in &records {
            let body = &record.vaccination_medical_record_body;
            let cvs = body.administration_record.iter().flat_map(|a| {
                [
                    &a.vaccination_program_name,
                    &a.anatomical_site,
                    &a.route,
                    &a.type_of_vaccine,
                    &a.vaccine_name,
                ]
            });
            assert!(cvs.flatten().all(CvType::follows_cv_rule));
        }
        let response = GetVaccinationHistoryResponse {
            vaccination_medical_record: records,
            result: ResultType::ok("5f0c1c1e-0000-4000-8000-000000000002"),
        };
        let xml = encode(&Envelope::bare(response.clone()));
        let decoded = decode_response::<GetVaccinationHistory>(xml.as_bytes()).expect("decodes");
        assert_eq!(decoded.body, response);
        assert_eq!(xml.matches(":nullified>false</").count(), 2);
        assert!(!xml.contains("nullifiedReason"));
    }

    #[test]
    fn unreadable_rows_are_not_sent() {
        assert!(
            VaccinationRecord {
                author_time: "x".into(),
                ..sample()
            }
            .to_contract()
            .is_none()
        );
        assert!(
            VaccinationRecord {
                administration_time: "x".into(),
                ..sample()
            }
            .to_contract()
            .is_none()
        );
        assert!(
            VaccinationRecord {
                signature_time: Some("x".into()),
                ..sample()
            }
            .to_contract()
            .is_none()
        );
    }

    #[test]
    fn the_table_stores_and_finds_records() {
        let mut conn = crate::db::DbManager::new(":memory:").open().expect("open");
        crate::db::run_migrations(&mut conn).expect("migrations");
        let record = sample();
        upsert(&mut conn, &record).expect("insert");
        upsert(&mut conn, &record).expect("replace");
        let withdrawn = VaccinationRecord {
            document_id: "vac-9".into(),
            nullified: true,
            nullified_reason: Some("Dubbelregistrering".into()),
            ..sample()
        };
        upsert(&mut conn, &withdrawn).expect("insert nullified");
        let count: i64 = vaccinations::table
            .count()
            .get_result(&mut conn)
            .expect("count");
        assert_eq!(count, 2);

        let found = find(&mut conn, &filters(PATIENT, SOURCE, None)).expect("find");
        assert_eq!(found.len(), 1);
        assert_eq!(found[0], record.to_contract().expect("contract record"));
        let day = filters(PATIENT, SOURCE, Some(("20210915000000", "20210915235959")));
        assert_eq!(find(&mut conn, &day).expect("find").len(), 1);
        let later = filters(PATIENT, SOURCE, Some(("20220101000000", "20221231235959")));
        assert!(find(&mut conn, &later).expect("find").is_empty());
        assert!(
            find(&mut conn, &filters("201501012387", SOURCE, None))
                .expect("find")
                .is_empty()
        );
        assert!(
            find(&mut conn, &filters(PATIENT, "SE2321000016-XXXX", None))
                .expect("find")
                .is_empty()
        );
        let mut other_unit = filters(PATIENT, SOURCE, None);
        other_unit.care_unit_hsa_ids = vec!["SE2321000016-OTHER".into()];
        assert!(find(&mut conn, &other_unit).expect("find").is_empty());

        assert_eq!(delete(&mut conn, SOURCE, "vac-0001").expect("delete"), 1);
        assert!(
            find(&mut conn, &filters(PATIENT, SOURCE, None))
                .expect("find")
                .is_empty()
        );
    }

    #[test]
    fn import_json_uses_camel_case() {
        let json = serde_json::to_value(sample()).expect("json");
        assert!(
            json.get("administrationTime").is_some() && json.get("inNationalProgramme").is_some()
        );
        let back: VaccinationRecord = serde_json::from_value(json).expect("parse");
        assert_eq!(back, sample());
    }
}
