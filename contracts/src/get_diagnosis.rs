//! GetDiagnosis 2 (schema 2.0): a patient's diagnoses.

use crate::healthcond_description::{
    DiagnosisBodyType, DiagnosisType, DiagnosisTypeEnum, ENUMS_NS, HealthcareProfessionalType,
    NS as CORE_NS, OrgUnitType, PatientSummaryHeaderType,
};
use crate::soap::{Operation, StreamedEnvelope};
use crate::types::{
    CvType, DatePeriodType, LegalAuthenticatorType, PersonIdType, ResultType, TimeStamp,
};
use crate::xml::{XmlText, XmlType, escape_into};
use crate::{xml_root, xml_struct};

/// Responder namespace.
pub const RESPONDER_NS: &str =
    "urn:riv:clinicalprocess:healthcond:description:GetDiagnosisResponder:2";

const PREFIXES: &[(&str, &str)] = &[("", RESPONDER_NS), ("core", CORE_NS), ("codes", ENUMS_NS)];

xml_struct! {
    /// GetDiagnosisType: the request.
    pub struct GetDiagnosis("GetDiagnosisType") in (RESPONDER_NS) with (CORE_NS) {
        /// Only records from these care units (empty: all).
        pub care_unit_hsa_id: Vec<String> = many "careUnitHSAId",
        pub patient_id: PersonIdType = one "patientId",
        pub time_period: Option<DatePeriodType> = opt "timePeriod",
        /// Must equal the LogicalAddress when given.
        pub source_system_hsa_id: Option<String> = opt "sourceSystemHSAId",
        /// Requires `source_system_hsa_id`.
        pub care_contact_id: Vec<String> = many "careContactId",
    }
}

xml_struct! {
    /// GetDiagnosisResponseType: the response.
    pub struct GetDiagnosisResponse("GetDiagnosisResponseType") in (RESPONDER_NS) with (CORE_NS) {
        pub diagnosis: Vec<DiagnosisType> = many "diagnosis",
        pub result: Option<ResultType> = opt "result",
    }
}

xml_root!(
    GetDiagnosis,
    ns = RESPONDER_NS,
    name = "GetDiagnosis",
    ctx = CORE_NS,
    prefixes = PREFIXES
);
xml_root!(
    GetDiagnosisResponse,
    ns = RESPONDER_NS,
    name = "GetDiagnosisResponse",
    ctx = CORE_NS,
    prefixes = PREFIXES
);

impl Operation for GetDiagnosis {
    type Response = GetDiagnosisResponse;
    const CONTRACT: &'static str = "GetDiagnosis";
    const MAJOR: u32 = 2;
    const SCHEMA_VERSION: &'static str = "2.0";
    const SOAP_ACTION: &'static str =
        "urn:riv:clinicalprocess:healthcond:description:GetDiagnosisResponder:2:GetDiagnosis";
}

/// A coded value as a journal stores it, following the CVType rule: a code with its
/// code system and display name, or a free text alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeRef<'a> {
    /// `code`, `codeSystem`, `displayName`.
    Coded {
        /// The code.
        code: &'a str,
        /// OID of the code system.
        code_system: &'a str,
        /// Display name of the code.
        display_name: &'a str,
    },
    /// `originalText` without a code.
    Text(&'a str),
}

impl CodeRef<'_> {
    /// The contract value.
    pub fn to_contract(self) -> CvType {
        match self {
            CodeRef::Coded {
                code,
                code_system,
                display_name,
            } => CvType::coded(code, code_system, display_name),
            CodeRef::Text(text) => CvType::text(text),
        }
    }

    fn write(self, out: &mut String) {
        match self {
            CodeRef::Coded {
                code,
                code_system,
                display_name,
            } => {
                out.push_str("<core:code>");
                escape_into(out, code, false);
                out.push_str("</core:code><core:codeSystem>");
                escape_into(out, code_system, false);
                out.push_str("</core:codeSystem><core:displayName>");
                escape_into(out, display_name, false);
                out.push_str("</core:displayName>");
            }
            CodeRef::Text(text) => {
                out.push_str("<core:originalText>");
                escape_into(out, text, false);
                out.push_str("</core:originalText>");
            }
        }
    }
}

/// Who signed a record, and when, borrowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LegalAuthenticatorRef<'a> {
    /// When it was signed.
    pub signature_time: TimeStamp,
    /// Signer's HSA-ID.
    pub hsa_id: Option<&'a str>,
    /// Signer's name.
    pub name: Option<&'a str>,
}

/// One diagnosis as GetDiagnosis may send it, borrowed from wherever the journal keeps
/// it (a database row). It has no place for what the contract forbids in an answer
/// (documentTitle, documentTime, nullified, nullifiedReason) nor for relatedDiagnosis,
/// which the producer's journal does not keep; [`DiagnosisRef::to_contract`] gives the
/// [`DiagnosisType`] it stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DiagnosisRef<'a> {
    /// `documentId`.
    pub document_id: &'a str,
    /// `sourceSystemHSAId`.
    pub source_system_hsa_id: &'a str,
    /// `patientId/id`.
    pub patient_id: &'a str,
    /// `patientId/type`.
    pub patient_id_type: &'a str,
    /// `accountableHealthcareProfessional/authorTime`.
    pub author_time: TimeStamp,
    /// `healthcareProfessionalHSAId`.
    pub author_hsa_id: Option<&'a str>,
    /// `healthcareProfessionalName`.
    pub author_name: Option<&'a str>,
    /// `healthcareProfessionalRoleCode`.
    pub author_role: Option<CodeRef<'a>>,
    /// `healthcareProfessionalOrgUnit`: HSA-ID and name.
    pub author_org_unit: Option<(&'a str, &'a str)>,
    /// `healthcareProfessionalCareUnitHSAId`.
    pub care_unit_hsa_id: Option<&'a str>,
    /// `healthcareProfessionalCareGiverHSAId`.
    pub care_giver_hsa_id: Option<&'a str>,
    /// `legalAuthenticator`.
    pub legal_authenticator: Option<LegalAuthenticatorRef<'a>>,
    /// `approvedForPatient`.
    pub approved_for_patient: bool,
    /// `careContactId`.
    pub care_contact_id: Option<&'a str>,
    /// `diagnosisBody/typeOfDiagnosis`.
    pub type_of_diagnosis: DiagnosisTypeEnum,
    /// `chronicDiagnosis`.
    pub chronic_diagnosis: Option<bool>,
    /// `diagnosisTime`.
    pub diagnosis_time: Option<TimeStamp>,
    /// `diagnosisCode`.
    pub diagnosis_code: Option<CodeRef<'a>>,
}

impl DiagnosisRef<'_> {
    /// The contract record this stands for.
    pub fn to_contract(&self) -> DiagnosisType {
        let owned = |s: Option<&str>| s.map(str::to_owned);
        DiagnosisType {
            diagnosis_header: PatientSummaryHeaderType {
                document_id: self.document_id.to_owned(),
                source_system_hsa_id: self.source_system_hsa_id.to_owned(),
                document_title: None,
                document_time: None,
                patient_id: PersonIdType {
                    id: self.patient_id.to_owned(),
                    r#type: self.patient_id_type.to_owned(),
                },
                accountable_healthcare_professional: HealthcareProfessionalType {
                    author_time: self.author_time,
                    healthcare_professional_hsa_id: owned(self.author_hsa_id),
                    healthcare_professional_name: owned(self.author_name),
                    healthcare_professional_role_code: self.author_role.map(CodeRef::to_contract),
                    healthcare_professional_org_unit: self.author_org_unit.map(|(id, name)| {
                        OrgUnitType {
                            org_unit_hsa_id: id.to_owned(),
                            org_unit_name: name.to_owned(),
                            org_unit_telecom: None,
                            org_unit_email: None,
                            org_unit_address: None,
                            org_unit_location: None,
                        }
                    }),
                    healthcare_professional_care_unit_hsa_id: owned(self.care_unit_hsa_id),
                    healthcare_professional_care_giver_hsa_id: owned(self.care_giver_hsa_id),
                },
                legal_authenticator: self.legal_authenticator.map(|signer| {
                    LegalAuthenticatorType {
                        signature_time: signer.signature_time,
                        legal_authenticator_hsa_id: owned(signer.hsa_id),
                        legal_authenticator_name: owned(signer.name),
                    }
                }),
                approved_for_patient: self.approved_for_patient,
                care_contact_id: owned(self.care_contact_id),
                nullified: None,
                nullified_reason: None,
            },
            diagnosis_body: DiagnosisBodyType {
                type_of_diagnosis: self.type_of_diagnosis,
                chronic_diagnosis: self.chronic_diagnosis,
                diagnosis_time: self.diagnosis_time,
                diagnosis_code: self.diagnosis_code.map(CodeRef::to_contract),
                related_diagnosis: Vec::new(),
            },
        }
    }

    /// Appends `<diagnosis>...</diagnosis>` as [`GetDiagnosisResponseWriter`] scopes
    /// it: the response namespace as default, the core namespace as `core:`. Constant
    /// markup is pushed in runs, and only the values are escaped.
    fn write(&self, out: &mut String) {
        fn text(out: &mut String, open: &str, value: &str, close: &str) {
            out.push_str(open);
            escape_into(out, value, false);
            out.push_str(close);
        }
        fn optional(out: &mut String, open: &str, value: Option<&str>, close: &str) {
            if let Some(value) = value {
                text(out, open, value, close);
            }
        }
        fn boolean(value: bool) -> &'static str {
            if value { "true" } else { "false" }
        }
        text(
            out,
            "<diagnosis><core:diagnosisHeader><core:documentId>",
            self.document_id,
            "</core:documentId>",
        );
        text(
            out,
            "<core:sourceSystemHSAId>",
            self.source_system_hsa_id,
            "</core:sourceSystemHSAId>",
        );
        text(
            out,
            "<core:patientId><core:id>",
            self.patient_id,
            "</core:id>",
        );
        text(
            out,
            "<core:type>",
            self.patient_id_type,
            "</core:type></core:patientId>\
             <core:accountableHealthcareProfessional><core:authorTime>",
        );
        self.author_time.write_xml_text(out);
        out.push_str("</core:authorTime>");
        optional(
            out,
            "<core:healthcareProfessionalHSAId>",
            self.author_hsa_id,
            "</core:healthcareProfessionalHSAId>",
        );
        optional(
            out,
            "<core:healthcareProfessionalName>",
            self.author_name,
            "</core:healthcareProfessionalName>",
        );
        if let Some(role) = self.author_role {
            out.push_str("<core:healthcareProfessionalRoleCode>");
            role.write(out);
            out.push_str("</core:healthcareProfessionalRoleCode>");
        }
        if let Some((id, name)) = self.author_org_unit {
            text(
                out,
                "<core:healthcareProfessionalOrgUnit><core:orgUnitHSAId>",
                id,
                "</core:orgUnitHSAId>",
            );
            text(
                out,
                "<core:orgUnitName>",
                name,
                "</core:orgUnitName></core:healthcareProfessionalOrgUnit>",
            );
        }
        optional(
            out,
            "<core:healthcareProfessionalCareUnitHSAId>",
            self.care_unit_hsa_id,
            "</core:healthcareProfessionalCareUnitHSAId>",
        );
        optional(
            out,
            "<core:healthcareProfessionalCareGiverHSAId>",
            self.care_giver_hsa_id,
            "</core:healthcareProfessionalCareGiverHSAId>",
        );
        out.push_str("</core:accountableHealthcareProfessional>");
        if let Some(signer) = self.legal_authenticator {
            out.push_str("<core:legalAuthenticator><core:signatureTime>");
            signer.signature_time.write_xml_text(out);
            out.push_str("</core:signatureTime>");
            optional(
                out,
                "<core:legalAuthenticatorHSAId>",
                signer.hsa_id,
                "</core:legalAuthenticatorHSAId>",
            );
            optional(
                out,
                "<core:legalAuthenticatorName>",
                signer.name,
                "</core:legalAuthenticatorName>",
            );
            out.push_str("</core:legalAuthenticator>");
        }
        out.push_str("<core:approvedForPatient>");
        out.push_str(boolean(self.approved_for_patient));
        out.push_str("</core:approvedForPatient>");
        optional(
            out,
            "<core:careContactId>",
            self.care_contact_id,
            "</core:careContactId>",
        );
        out.push_str("</core:diagnosisHeader><core:diagnosisBody><core:typeOfDiagnosis>");
        out.push_str(self.type_of_diagnosis.as_str());
        out.push_str("</core:typeOfDiagnosis>");
        if let Some(chronic) = self.chronic_diagnosis {
            out.push_str("<core:chronicDiagnosis>");
            out.push_str(boolean(chronic));
            out.push_str("</core:chronicDiagnosis>");
        }
        if let Some(time) = self.diagnosis_time {
            out.push_str("<core:diagnosisTime>");
            time.write_xml_text(out);
            out.push_str("</core:diagnosisTime>");
        }
        if let Some(code) = self.diagnosis_code {
            out.push_str("<core:diagnosisCode>");
            code.write(out);
            out.push_str("</core:diagnosisCode>");
        }
        out.push_str("</core:diagnosisBody></diagnosis>");
    }
}

/// A position between records of a [`GetDiagnosisResponseWriter`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordsMark(usize);

/// Writes a GetDiagnosis response envelope record by record, straight into the
/// message buffer: the same bytes as [`crate::soap::encode`] of an
/// [`Envelope::bare`](crate::soap::Envelope::bare) [`GetDiagnosisResponse`] with these
/// records and result, without building it first.
#[derive(Debug)]
pub struct GetDiagnosisResponseWriter {
    envelope: StreamedEnvelope<GetDiagnosisResponse>,
}

impl GetDiagnosisResponseWriter {
    /// A response of about `records` records (the buffer is sized for them; more fit).
    pub fn new(records: usize) -> Self {
        // The envelope is ~600 bytes; a record ~1.8 KB with every field present.
        GetDiagnosisResponseWriter {
            envelope: StreamedEnvelope::begin(1024 + records.saturating_mul(2048)),
        }
    }

    /// Appends a record.
    pub fn push(&mut self, record: &DiagnosisRef<'_>) {
        record.write(self.envelope.writer().buffer());
    }

    /// Appends a contract record as it is (the caller strips what must not be sent).
    pub fn push_contract(&mut self, record: &DiagnosisType) {
        record.write_element(self.envelope.writer(), RESPONDER_NS, "diagnosis", CORE_NS);
    }

    /// Where the records written so far end (see [`GetDiagnosisResponseWriter::rewind`]).
    pub fn mark(&mut self) -> RecordsMark {
        RecordsMark(self.envelope.writer().buffer().len())
    }

    /// Drops the records written after `mark` (a read that failed and is tried again
    /// starts from where it started the first time).
    pub fn rewind(&mut self, mark: RecordsMark) {
        self.envelope.writer().buffer().truncate(mark.0);
    }

    /// Appends the result and closes the message.
    pub fn finish(mut self, result: &ResultType) -> String {
        result.write_element(self.envelope.writer(), RESPONDER_NS, "result", CORE_NS);
        self.envelope.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::healthcond_description::RelatedDiagnosisType;
    use crate::soap::{self, Envelope};

    fn ts(text: &str) -> TimeStamp {
        TimeStamp::parse(text).expect("valid time stamp")
    }

    /// Every optional part present, values that need escaping (markup, CR, a control
    /// character, a non-character, quotes, non-ASCII).
    fn full() -> DiagnosisRef<'static> {
        DiagnosisRef {
            document_id: "doc-1 <&>",
            source_system_hsa_id: "SE2120009994-EH7S",
            patient_id: "201403129800",
            patient_id_type: "1.2.752.129.2.1.3.1",
            author_time: ts("20250301081500"),
            author_hsa_id: Some("SE2120009994-P001"),
            author_name: Some("Karin \"Kajsa\" Lindqvist"),
            author_role: Some(CodeRef::Coded {
                code: "201010",
                code_system: "1.2.752.129.2.2.1.4",
                display_name: "Skolläkare",
            }),
            author_org_unit: Some(("SE2120009994-0A01", "Elevhälsan\r\nBjörk & co")),
            care_unit_hsa_id: Some("SE2120009994-0A01"),
            care_giver_hsa_id: Some("SE2120009994-0001"),
            legal_authenticator: Some(LegalAuthenticatorRef {
                signature_time: ts("20250302120000"),
                hsa_id: Some("SE2120009994-P002"),
                name: Some("Ola\u{1}Ek\u{FFFE}"),
            }),
            approved_for_patient: false,
            care_contact_id: Some("vko-1"),
            type_of_diagnosis: DiagnosisTypeEnum::Huvuddiagnos,
            chronic_diagnosis: Some(true),
            diagnosis_time: Some(ts("20250301080000")),
            diagnosis_code: Some(CodeRef::Coded {
                code: "J45.9",
                code_system: "1.2.752.116.1.1.1.1.3",
                display_name: "Astma, ospecificerad > 1 år",
            }),
        }
    }

    /// Every optional part absent; codes as free text.
    fn minimal() -> DiagnosisRef<'static> {
        DiagnosisRef {
            author_hsa_id: None,
            author_name: None,
            author_role: Some(CodeRef::Text("skolsköterska")),
            author_org_unit: None,
            care_unit_hsa_id: None,
            care_giver_hsa_id: None,
            legal_authenticator: None,
            approved_for_patient: true,
            care_contact_id: None,
            type_of_diagnosis: DiagnosisTypeEnum::Bidiagnos,
            chronic_diagnosis: None,
            diagnosis_time: None,
            diagnosis_code: Some(CodeRef::Text("huvudvärk <sedan i våras>")),
            ..full()
        }
    }

    fn signer_without_names() -> DiagnosisRef<'static> {
        DiagnosisRef {
            legal_authenticator: Some(LegalAuthenticatorRef {
                signature_time: ts("20250302120000"),
                hsa_id: None,
                name: None,
            }),
            author_role: None,
            chronic_diagnosis: Some(false),
            diagnosis_code: None,
            ..minimal()
        }
    }

    fn generic(records: &[DiagnosisRef<'_>], result: &ResultType) -> String {
        soap::encode(&Envelope::bare(GetDiagnosisResponse {
            diagnosis: records.iter().map(DiagnosisRef::to_contract).collect(),
            result: Some(result.clone()),
        }))
    }

    fn streamed(records: &[DiagnosisRef<'_>], result: &ResultType) -> String {
        let mut out = GetDiagnosisResponseWriter::new(records.len());
        for record in records {
            out.push(record);
        }
        out.finish(result)
    }

    #[test]
    fn streamed_records_are_the_bytes_of_the_generic_encoder() {
        let records = [full(), minimal(), signer_without_names(), full()];
        let ok = ResultType::ok("4b2c4f8e-0000-4000-8000-000000000001");
        for count in 0..=records.len() {
            assert_eq!(
                streamed(&records[..count], &ok),
                generic(&records[..count], &ok),
                "{count} records"
            );
        }
        let invalid = ResultType::invalid_request("log-2", "patientId: <not valid>");
        assert_eq!(streamed(&[], &invalid), generic(&[], &invalid));
    }

    #[test]
    fn rewinding_drops_the_records_written_after_the_mark() {
        let ok = ResultType::ok("log-4");
        let mut out = GetDiagnosisResponseWriter::new(2);
        out.push(&full());
        let mark = out.mark();
        out.push(&minimal());
        out.push(&full());
        out.rewind(mark);
        out.push(&signer_without_names());
        assert_eq!(
            out.finish(&ok),
            generic(&[full(), signer_without_names()], &ok)
        );
    }

    #[test]
    fn contract_records_pushed_as_they_are_match_the_generic_encoder() {
        let ok = ResultType::ok("log-3");
        let mut out = GetDiagnosisResponseWriter::new(1);
        let mut contract = full().to_contract();
        contract
            .diagnosis_body
            .related_diagnosis
            .push(RelatedDiagnosisType {
                document_id: "doc-0".into(),
            });
        out.push(&minimal());
        out.push_contract(&contract);
        let expected = soap::encode(&Envelope::bare(GetDiagnosisResponse {
            diagnosis: vec![minimal().to_contract(), contract],
            result: Some(ok.clone()),
        }));
        assert_eq!(out.finish(&ok), expected);
    }

    #[test]
    fn streamed_response_decodes_to_the_records() {
        let records = [full(), minimal(), signer_without_names()];
        let ok = ResultType::ok("log-4");
        let decoded = soap::decode_response::<GetDiagnosis>(streamed(&records, &ok).as_bytes())
            .expect("decodes")
            .body;
        let expected: Vec<DiagnosisType> = records.iter().map(DiagnosisRef::to_contract).collect();
        // The non-characters became U+FFFD on the way; everything else is as given.
        assert_eq!(decoded.diagnosis.len(), expected.len());
        assert_eq!(decoded.diagnosis[1], expected[1]);
        assert_eq!(decoded.diagnosis[2], expected[2]);
        assert_eq!(
            decoded.diagnosis[0]
                .diagnosis_header
                .legal_authenticator
                .as_ref()
                .and_then(|l| l.legal_authenticator_name.as_deref()),
            Some("Ola\u{FFFD}Ek\u{FFFD}")
        );
        assert_eq!(decoded.result, Some(ok));
    }
}
