//! Journal notes (GetCareDocumentation 3): child-health and school-health notes such as
//! summaries and visit notes.
//!
//! The 3.0 contract has no patient summary header; the common header maps onto its
//! JoL header like this:
//!
//! | common header | GetCareDocumentation 3 |
//! |---|---|
//! | `careGiverHsaId` | `accessControlHeader/accountableHealthcareProvider` (HSA IIType) |
//! | `careUnitHsaId` | `accessControlHeader/accountableCareUnit` (HSA IIType) |
//! | `patientId`, `patientIdType` | `accessControlHeader/patientId` (`extension`, `root`) |
//! | `authorTime` | `accessControlHeader/blockComparisonTime`, `record/timestamp`, `author/timestamp` |
//! | `approvedForPatient` | `accessControlHeader/approvedForPatient` |
//! | `sourceSystemHsaId` | `sourceSystemId` (HSA IIType) |
//! | `documentId` | `record/id` (`root` the source system's HSA-ID, `extension` the id) |
//! | `authorHsaId`, `authorName`, `authorRoleCode`/`Name`, `authorOrgUnit*` | `author/id`, `name`, `byRole` (KV Befattning), `orgUnit` |
//! | `legalAuthenticatorHsaId`, `legalAuthenticatorName`, `signatureTime` | `signature/id`, `name`, `timestamp` |
//! | `careContactId`, `nullified`, `nullifiedReason` | not in the contract (nullified records are never sent) |

use diesel::prelude::*;
use npo_contracts::healthcond_description_v3::{
    ANTECKNINGSTYP_OID, AccessControlHeaderType, AuthorType, BEFATTNING_OID,
    CareDocumentationBodyType, CareDocumentationType, HeaderType, MultimediaType, NoteType,
    OrgUnitType, RecordType, SignatureType, hsa_ii,
};
use npo_contracts::types::{CvType, IiType, TimeStamp};
use npo_contracts::xml::{Base64Binary, XmlText};

use super::header::{FieldProblem, HeaderRef, JournalRecord};
use crate::db::DbConn;
use crate::record;
use crate::source::Filters;

diesel::table! {
    /// Journal notes.
    care_documentation (source_system_hsa_id, document_id) {
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
        note_type_code -> Text,
        note_type_display_name -> Nullable<Text>,
        note_title -> Nullable<Text>,
        note_text -> Nullable<Text>,
        attachment_media_type -> Nullable<Text>,
        attachment_reference -> Nullable<Text>,
        attachment_base64 -> Nullable<Text>,
    }
}

record! {
    /// A journal note. It carries either `noteText` or an attachment
    /// (`attachmentMediaType` with `attachmentReference` or `attachmentBase64`).
    pub struct CareDocumentationRecord in care_documentation {
        /// Note type, a KV Anteckningstyp code (code system 1.2.752.129.2.2.2.11):
        /// `utr` Utredning, `atb` Åtgärd/Behandling, `sam` Sammanfattning, `sao`
        /// Samordning, `ins` Inskrivning, `slu` Slutanteckning, `auf` Anteckning utan
        /// fysiskt möte, `sva` Slutenvårdsanteckning, `bes` Besöksanteckning.
        pub note_type_code: String,
        /// Display name of the note type; the KV Anteckningstyp name when omitted.
        #[serde(default)]
        pub note_type_display_name: Option<String>,
        /// The note's title, e.g. `Hälsobesök åk 5`.
        #[serde(default)]
        pub note_title: Option<String>,
        /// The note text (plain text or DocBook). Give this or an attachment.
        #[serde(default)]
        pub note_text: Option<String>,
        /// MIME type of an attached document, e.g. `application/pdf`.
        #[serde(default)]
        pub attachment_media_type: Option<String>,
        /// Where the attached document can be fetched (a URL); or give `attachmentBase64`.
        #[serde(default)]
        pub attachment_reference: Option<String>,
        /// The attached document itself, base64-encoded; or give `attachmentReference`.
        #[serde(default)]
        pub attachment_base64: Option<String>,
    }
}

/// Parses a stored time stamp (validated on import; a bad one is treated as absent).
fn stamp(value: Option<&str>) -> Option<TimeStamp> {
    value.and_then(TimeStamp::parse)
}

/// Decodes base64 text as the schema's `xs:base64Binary` reads it.
fn decode_base64(text: &str) -> Option<Base64Binary> {
    Base64Binary::from_xml_text(text).ok()
}

impl JournalRecord for CareDocumentationRecord {
    const KIND: &'static str = "careDocumentation";

    fn header(&self) -> HeaderRef<'_> {
        self.header_ref()
    }

    fn validate(&self) -> Vec<FieldProblem> {
        let mut problems = Vec::new();
        self.header_ref().validate(&mut problems);
        if NoteType::from_code(&self.note_type_code).is_none() {
            problems.push(FieldProblem::new(
                "noteTypeCode",
                "must be a KV Anteckningstyp code: utr, atb, sam, sao, ins, slu, auf, sva or bes",
            ));
        }
        if self
            .note_type_display_name
            .as_deref()
            .is_some_and(|n| n.trim().is_empty())
        {
            problems.push(FieldProblem::new(
                "noteTypeDisplayName",
                "must not be empty when given",
            ));
        }
        if self
            .note_title
            .as_deref()
            .is_some_and(|t| t.trim().is_empty())
        {
            // The TKB (3.0) forbids empty elements.
            problems.push(FieldProblem::new(
                "noteTitle",
                "must not be empty when given",
            ));
        }
        let attachment = self.attachment_media_type.is_some()
            || self.attachment_reference.is_some()
            || self.attachment_base64.is_some();
        match (&self.note_text, attachment) {
            (Some(_), true) => problems.push(FieldProblem::new(
                "noteText",
                "give either noteText or an attachment, not both",
            )),
            (None, false) => problems.push(FieldProblem::new(
                "noteText",
                "a note needs noteText or an attachment",
            )),
            (Some(text), false) if text.trim().is_empty() => {
                problems.push(FieldProblem::new("noteText", "must not be empty"));
            }
            _ => {}
        }
        if attachment {
            match &self.attachment_media_type {
                Some(t) if t.contains('/') && !t.contains(char::is_whitespace) => {}
                Some(_) => problems.push(FieldProblem::new(
                    "attachmentMediaType",
                    "not a MIME type such as application/pdf",
                )),
                None => problems.push(FieldProblem::new(
                    "attachmentMediaType",
                    "required with an attachment",
                )),
            }
            match (&self.attachment_reference, &self.attachment_base64) {
                (Some(_), Some(_)) => problems.push(FieldProblem::new(
                    "attachmentBase64",
                    "give either attachmentReference or attachmentBase64, not both",
                )),
                (None, None) => problems.push(FieldProblem::new(
                    "attachmentReference",
                    "an attachment needs attachmentReference or attachmentBase64",
                )),
                (Some(reference), None) => {
                    if reference.is_empty() || reference.contains(char::is_whitespace) {
                        problems.push(FieldProblem::new(
                            "attachmentReference",
                            "not a URI (empty or containing whitespace)",
                        ));
                    }
                }
                (None, Some(content)) => {
                    if decode_base64(content).is_none() {
                        problems.push(FieldProblem::new("attachmentBase64", "not valid base64"));
                    }
                }
            }
        }
        problems
    }
}

impl CareDocumentationRecord {
    /// Whether the record matches GetCareDocumentation's period rule: authorTime
    /// (`record/timestamp` and `author/timestamp`) or signatureTime
    /// (`signature/timestamp`) in the period, end points included. This is the rule of
    /// the contract's test suite (Date Boundaries: documentTime, authorTime or
    /// signatureTime within the period; 3.0 has no separate documentTime).
    pub fn in_period(&self, filters: &Filters) -> bool {
        filters.period.is_none_or(|period| {
            [
                Some(self.author_time.as_str()),
                self.signature_time.as_deref(),
            ]
            .into_iter()
            .filter_map(stamp)
            .any(|t| period.contains(t))
        })
    }

    /// The contract record (see the module documentation for the header mapping).
    /// `None` when a stored time stamp, note type or attachment is unreadable (import
    /// validates them, so only a row written around it).
    pub fn to_contract(&self) -> Option<CareDocumentationType> {
        let note_type = NoteType::from_code(&self.note_type_code)?;
        Some(CareDocumentationType {
            header: jol_header(&self.header_ref())?,
            body: CareDocumentationBodyType {
                clinical_document_note_code: CvType::coded(
                    note_type.code(),
                    ANTECKNINGSTYP_OID,
                    self.note_type_display_name
                        .as_deref()
                        .unwrap_or(note_type.display_name()),
                ),
                clinical_document_note_title: self.note_title.clone(),
                clinical_document_note_text: self.note_text.clone(),
                multimedia_entry: match &self.attachment_media_type {
                    Some(media_type) => Some(MultimediaType {
                        media_type: media_type.clone(),
                        value: match &self.attachment_base64 {
                            Some(content) => Some(decode_base64(content)?),
                            None => None,
                        },
                        reference: self.attachment_reference.clone(),
                    }),
                    None => None,
                },
                dissenting_opinion: Vec::new(),
            },
        })
    }
}

/// The `record/id` of a note: `root` the source system's HSA-ID (the space in which
/// document ids are unique), `extension` the documentId.
pub fn record_ii(source_system_hsa_id: &str, document_id: &str) -> IiType {
    IiType {
        root: source_system_hsa_id.to_owned(),
        extension: Some(document_id.to_owned()),
    }
}

/// The JoL header (description 3.0) of a record.
fn jol_header(h: &HeaderRef<'_>) -> Option<HeaderType> {
    let author_time = stamp(Some(h.author_time))?;
    Some(HeaderType {
        access_control_header: AccessControlHeaderType {
            accountable_healthcare_provider: Some(hsa_ii(h.care_giver_hsa_id)),
            accountable_care_unit: Some(hsa_ii(h.care_unit_hsa_id)),
            patient_id: IiType {
                root: h.patient_id_type.to_owned(),
                extension: Some(h.patient_id.to_owned()),
            },
            care_process_id: None,
            block_comparison_time: author_time,
            approved_for_patient: h.approved_for_patient,
        },
        source_system_id: hsa_ii(h.source_system_hsa_id),
        record: RecordType {
            id: record_ii(h.source_system_hsa_id, h.document_id),
            timestamp: author_time,
        },
        author: Some(AuthorType {
            id: h.author_hsa_id.map(hsa_ii),
            name: h.author_name.map(str::to_owned),
            timestamp: author_time,
            by_role: h.author_role_code.map(|code| {
                CvType::coded(code, BEFATTNING_OID, h.author_role_name.unwrap_or(code))
            }),
            org_unit: match (h.author_org_unit_hsa_id, h.author_org_unit_name) {
                (None, None) => None,
                (id, name) => Some(OrgUnitType {
                    org_unit_hsa_id: id.map(str::to_owned),
                    org_unit_name: name.map(str::to_owned),
                    org_unit_telecom: None,
                    org_unit_email: None,
                    org_unit_address: None,
                    org_unit_location: None,
                }),
            },
        }),
        signature: match h.signature_time {
            Some(signed) => Some(SignatureType {
                id: h.legal_authenticator_hsa_id.map(hsa_ii),
                name: h.legal_authenticator_name.map(str::to_owned),
                timestamp: stamp(Some(signed))?,
                by_role: None,
            }),
            None => None,
        },
    })
}

/// The patient's non-nullified notes in the source system, newest first.
pub fn for_patient(
    conn: &mut DbConn,
    filters: &Filters,
) -> QueryResult<Vec<CareDocumentationRecord>> {
    care_documentation::table
        .filter(care_documentation::source_system_hsa_id.eq(&filters.source_system))
        .filter(care_documentation::patient_id.eq(filters.patient.as_str()))
        .filter(care_documentation::nullified.eq(false))
        .order(care_documentation::author_time.desc())
        .select(CareDocumentationRecord::as_select())
        .load(conn)
}

/// GetCareDocumentation: the records matching every filter, as contract records.
pub fn find(conn: &mut DbConn, filters: &Filters) -> QueryResult<Vec<CareDocumentationType>> {
    Ok(for_patient(conn, filters)?
        .into_iter()
        .filter(|r| r.in_period(filters))
        .filter(|r| r.header_ref().admitted_by(filters))
        .filter_map(|r| r.to_contract())
        .collect())
}

/// Inserts or replaces (by source system + documentId) a record.
pub fn upsert(conn: &mut DbConn, record: &CareDocumentationRecord) -> QueryResult<()> {
    conn.transaction(|conn| {
        delete(conn, &record.source_system_hsa_id, &record.document_id)?;
        diesel::insert_into(care_documentation::table)
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
        care_documentation::table
            .filter(care_documentation::source_system_hsa_id.eq(source_system_hsa_id))
            .filter(care_documentation::document_id.eq(document_id)),
    )
    .execute(conn)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::Period;
    use npo_contracts::Envelope;
    use npo_contracts::get_care_documentation::{
        GetCareDocumentation, GetCareDocumentationResponse,
    };
    use npo_contracts::healthcond_description_v3::{ResultType, hsa_id_of, patient_id_of};
    use npo_contracts::soap::{decode_response, encode};
    use npo_contracts::types::PatientId;

    const PATIENT: &str = "201403129800";
    const SOURCE: &str = "SE2321000016-A12B";

    fn record(id: &str) -> CareDocumentationRecord {
        CareDocumentationRecord {
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
            signature_time: Some("20250917111500".into()),
            approved_for_patient: false,
            care_contact_id: Some("vko-2025-000412".into()),
            nullified: false,
            nullified_reason: None,
            note_type_code: "bes".into(),
            note_type_display_name: None,
            note_title: Some("Hälsobesök åk 5".into()),
            note_text: Some("Hälsosamtal enligt basprogrammet. Följer kurvan.".into()),
            attachment_media_type: None,
            attachment_reference: None,
            attachment_base64: None,
        }
    }

    fn attached(id: &str) -> CareDocumentationRecord {
        let mut r = record(id);
        r.note_type_code = "utr".into();
        r.note_text = None;
        r.attachment_media_type = Some("application/pdf".into());
        r.attachment_base64 = Some("JVBERi0xLjQK".into());
        r
    }

    /// A field name and a change that breaks it.
    type Breaker = (&'static str, fn(&mut CareDocumentationRecord));

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

    #[test]
    fn good_records_validate() {
        assert_eq!(record("n-1").validate(), Vec::new());
        assert_eq!(attached("n-2").validate(), Vec::new());
        let mut by_reference = attached("n-3");
        by_reference.attachment_base64 = None;
        by_reference.attachment_reference = Some("https://dokument.example.se/n-3.pdf".into());
        by_reference.note_type_display_name = Some("Utredning".into());
        assert_eq!(by_reference.validate(), Vec::new());
    }

    #[test]
    fn bad_fields_are_named() {
        let cases: Vec<Breaker> = vec![
            ("noteTypeCode", |r| r.note_type_code = "xyz".into()),
            ("noteTypeDisplayName", |r| {
                r.note_type_display_name = Some(" ".into())
            }),
            ("noteTitle", |r| r.note_title = Some(" ".into())),
            ("noteText", |r| r.note_text = None),
            ("noteText", |r| r.note_text = Some("   ".into())),
            ("noteText", |r| {
                r.attachment_media_type = Some("application/pdf".into());
                r.attachment_reference = Some("https://example.se/a.pdf".into());
            }),
            ("attachmentMediaType", |r| {
                r.note_text = None;
                r.attachment_reference = Some("https://example.se/a.pdf".into());
            }),
            ("attachmentMediaType", |r| {
                r.note_text = None;
                r.attachment_media_type = Some("pdf".into());
                r.attachment_reference = Some("https://example.se/a.pdf".into());
            }),
            ("attachmentReference", |r| {
                r.note_text = None;
                r.attachment_media_type = Some("application/pdf".into());
            }),
            ("attachmentReference", |r| {
                r.note_text = None;
                r.attachment_media_type = Some("application/pdf".into());
                r.attachment_reference = Some("not a uri".into());
            }),
            ("attachmentBase64", |r| {
                r.note_text = None;
                r.attachment_media_type = Some("application/pdf".into());
                r.attachment_base64 = Some("!!!".into());
            }),
            ("attachmentBase64", |r| {
                r.note_text = None;
                r.attachment_media_type = Some("application/pdf".into());
                r.attachment_base64 = Some("JVBERi0xLjQK".into());
                r.attachment_reference = Some("https://example.se/a.pdf".into());
            }),
            ("signatureTime", |r| {
                r.signature_time = Some("20250917".into())
            }),
            ("careGiverHsaId", |r| r.care_giver_hsa_id = "SE 1".into()),
        ];
        for (field, break_it) in cases {
            let mut r = record("n-1");
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
    fn the_period_rule_uses_author_or_signature_time() {
        let period = Some(("20250101000000", "20250630235959"));
        let with = |author: &str, signed: Option<&str>| {
            let mut r = record("n-1");
            r.author_time = author.into();
            r.signature_time = signed.map(Into::into);
            r.in_period(&filters(period))
        };
        assert!(with("20250101000000", None));
        assert!(with("20250630235959", Some("20250701090000")));
        assert!(with("20250315120000", None));
        assert!(with("20241231235959", Some("20250101100000")));
        assert!(with("20241231235959", Some("20250630235959")));
        assert!(!with("20241231235959", Some("20250701000000")));
        assert!(!with("20241231235959", None));
        assert!(!with("20250701000000", None));
        assert!(record("n-1").in_period(&filters(None)));
    }

    #[test]
    fn the_contract_record_maps_the_header_and_round_trips() {
        let notes: Vec<CareDocumentationType> = [record("n-1"), attached("n-2")]
            .iter()
            .filter_map(CareDocumentationRecord::to_contract)
            .collect();
        assert_eq!(notes.len(), 2);
        let header = &notes[0].header;
        let access = &header.access_control_header;
        assert_eq!(
            patient_id_of(&access.patient_id).map(|p| p.as_str().to_owned()),
            Ok(PATIENT.into())
        );
        assert_eq!(
            access.accountable_care_unit.as_ref().and_then(hsa_id_of),
            Some("SE2321000016-C3D4")
        );
        assert_eq!(
            access
                .accountable_healthcare_provider
                .as_ref()
                .and_then(hsa_id_of),
            Some("SE2321000016-0001")
        );
        assert_eq!(hsa_id_of(&header.source_system_id), Some(SOURCE));
        assert_eq!(header.record.id.extension.as_deref(), Some("n-1"));
        assert_eq!(header.record.timestamp, ts("20250917103000"));
        assert_eq!(
            header.signature.as_ref().map(|s| s.timestamp),
            Some(ts("20250917111500"))
        );
        let author = header.author.as_ref().expect("author");
        assert!(author.by_role.as_ref().is_some_and(CvType::follows_cv_rule));
        for note in &notes {
            assert!(note.body.clinical_document_note_code.follows_cv_rule());
            assert!(note.body.note_type().is_some());
            let text = note.body.clinical_document_note_text.is_some();
            assert!(text != note.body.multimedia_entry.is_some());
        }
        assert_eq!(
            notes[1]
                .body
                .multimedia_entry
                .as_ref()
                .and_then(|m| m.value.as_ref())
                .map(|v| v.0.clone()),
            Some(b"%PDF-1.4\n".to_vec())
        );

        let response = GetCareDocumentationResponse {
            care_documentation: notes.clone(),
            has_more: Vec::new(),
            result: ResultType::ok(),
        };
        let xml = encode(&Envelope::bare(response));
        for forbidden in ["nullified", "careContactId", "vko-2025-000412"] {
            assert!(!xml.contains(forbidden), "{forbidden} in {xml}");
        }
        let decoded = decode_response::<GetCareDocumentation>(xml.as_bytes()).expect("decodes");
        assert_eq!(decoded.body.care_documentation, notes);
    }

    #[test]
    fn the_store_upserts_finds_and_deletes() {
        let mut conn = crate::db::DbManager::new(":memory:").open().expect("opens");
        crate::db::run_migrations(&mut conn).expect("migrates");
        let r = record("n-1");
        upsert(&mut conn, &r).expect("first upsert");
        upsert(&mut conn, &r).expect("second upsert");
        let mut nullified = attached("n-x");
        nullified.nullified = true;
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
        assert_eq!(found[0].header.record.id.extension.as_deref(), Some("n-1"));
        assert!(
            find(
                &mut conn,
                &filters(Some(("20250918000000", "20251231235959")))
            )
            .expect("finds")
            .is_empty()
        );

        let mut other_patient = filters(None);
        other_patient.patient = PatientId::parse_canonical("201212121212").expect("valid");
        assert!(find(&mut conn, &other_patient).expect("finds").is_empty());
        let mut other_source = filters(None);
        other_source.source_system = "SE2321000016-ZZZZ".into();
        assert!(find(&mut conn, &other_source).expect("finds").is_empty());
        let mut other_giver = filters(None);
        other_giver.care_giver_hsa_ids = vec!["SE2321000016-9999".into()];
        assert!(find(&mut conn, &other_giver).expect("finds").is_empty());

        assert_eq!(delete(&mut conn, SOURCE, "n-1").expect("deletes"), 1);
        assert!(find(&mut conn, &filters(None)).expect("finds").is_empty());
    }
}
