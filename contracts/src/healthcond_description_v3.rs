//! Core types of the domain `clinicalprocess:healthcond:description`, version 3.0
//! (namespace `urn:riv:clinicalprocess:healthcond:description:3`), as used by
//! GetCareDocumentation 3 (see [`crate::get_care_documentation`]).
//!
//! The 3.0 core replaces the 2.x patient summary header with the common "JoL" record
//! header ([`HeaderType`]: access control, source system, record, author, signature),
//! identifies patients, units and people with [`IiType`] (`root` = OID, `extension` =
//! the identifier), and codes the note type as a [`CvType`] from KV Anteckningstyp
//! instead of an enumeration. Its only enumeration file (`enums:3`) holds
//! `ResultCodeEnum`. The [`CvType`], [`IiType`], [`DatePeriodType`](crate::types::DatePeriodType) and `OrgUnitType`
//! (every element optional) of this core have the shared shapes of [`crate::types`];
//! `ResultType` (`resultCode` + `resultText`, no `logId`) is this domain's own.

pub use crate::types::common::OrgUnitType;
use crate::types::{CvType, IiType, PatientId, PatientIdError, ResultCode, TimeStamp};
use crate::xml::Base64Binary;
use crate::xml_struct;

/// Core namespace of the description domain, major 3.
pub const NS: &str = "urn:riv:clinicalprocess:healthcond:description:3";
/// Enumerations namespace of the description domain, major 3.
pub const ENUMS_NS: &str = "urn:riv:clinicalprocess:healthcond:description:enums:3";

/// OID of HSA identities, the `root` of an [`IiType`] carrying an HSA-ID.
pub const HSA_ID_OID: &str = "1.2.752.129.2.1.4.1";
/// OID of the code system KV Anteckningstyp (note types).
pub const ANTECKNINGSTYP_OID: &str = "1.2.752.129.2.2.2.11";
/// OID of the code system KV Befattning (professional roles).
pub const BEFATTNING_OID: &str = "1.2.752.129.2.2.1.4";

xml_struct! {
    /// CareDocumentationType: one journal note, its record header and its body.
    pub struct CareDocumentationType("CareDocumentationType") in ctx {
        pub header: HeaderType = one "header",
        pub body: CareDocumentationBodyType = one "body",
    }
}

xml_struct! {
    /// CareDocumentationBodyType: the note itself. The field rules want either the text
    /// or a multimedia entry.
    pub struct CareDocumentationBodyType("CareDocumentationBodyType") in ctx {
        /// Note type, from KV Anteckningstyp ([`ANTECKNINGSTYP_OID`]).
        pub clinical_document_note_code: CvType = one "clinicalDocumentNoteCode",
        pub clinical_document_note_title: Option<String> = opt "clinicalDocumentNoteTitle",
        /// The note text (DocBook-formatted or plain).
        pub clinical_document_note_text: Option<String> = opt "clinicalDocumentNoteText",
        pub multimedia_entry: Option<MultimediaType> = opt "multimediaEntry",
        pub dissenting_opinion: Vec<DissentingOpinionType> = many "dissentingOpinion",
    }
}

impl CareDocumentationBodyType {
    /// The note type, when the code is from KV Anteckningstyp and known.
    pub fn note_type(&self) -> Option<NoteType> {
        let code = &self.clinical_document_note_code;
        if code.code_system.as_deref() != Some(ANTECKNINGSTYP_OID) {
            return None;
        }
        NoteType::from_code(code.code.as_deref()?)
    }
}

xml_struct! {
    /// DissentingOpinionType: a recorded objection to the note (for example by the
    /// patient or a guardian).
    pub struct DissentingOpinionType("DissentingOpinionType") in ctx {
        pub opinion_id: Option<IiType> = opt "opinionId",
        pub author_time: TimeStamp = one "authorTime",
        pub opinion: String = one "opinion",
        /// Who holds the opinion.
        pub person_id: IiType = one "personId",
        pub person_name: String = one "personName",
    }
}

xml_struct! {
    /// HeaderType: the common record header of the JoL contracts.
    pub struct HeaderType("HeaderType") in ctx {
        pub access_control_header: AccessControlHeaderType = one "accessControlHeader",
        /// The source system (`root` [`HSA_ID_OID`], `extension` its HSA-ID).
        pub source_system_id: IiType = one "sourceSystemId",
        pub record: RecordType = one "record",
        pub author: Option<AuthorType> = opt "author",
        pub signature: Option<SignatureType> = opt "signature",
    }
}

xml_struct! {
    /// AccessControlHeaderType: what a consumer needs for PDL checks (care giver, care
    /// unit, patient, care process, block comparison time).
    pub struct AccessControlHeaderType("AccessControlHeaderType") in ctx {
        /// The care giver responsible for the information (vårdgivare).
        pub accountable_healthcare_provider: Option<IiType> = opt "accountableHealthcareProvider",
        /// The care unit responsible for the information (PDL-enhet).
        pub accountable_care_unit: Option<IiType> = opt "accountableCareUnit",
        /// `root` personnummer/samordningsnummer OID, `extension` the 12 digits.
        pub patient_id: IiType = one "patientId",
        pub care_process_id: Option<IiType> = opt "careProcessId",
        /// The time a block (spärr) is compared with.
        pub block_comparison_time: TimeStamp = one "blockComparisonTime",
        pub approved_for_patient: bool = one "approvedForPatient",
    }
}

xml_struct! {
    /// RecordType: the record's own identity and time.
    pub struct RecordType("RecordType") in ctx {
        pub id: IiType = one "id",
        pub timestamp: TimeStamp = one "timestamp",
    }
}

xml_struct! {
    /// AuthorType: who wrote the note, when, in which role and unit.
    pub struct AuthorType("AuthorType") in ctx {
        pub id: Option<IiType> = opt "id",
        pub name: Option<String> = opt "name",
        pub timestamp: TimeStamp = one "timestamp",
        /// Role, from KV Befattning ([`BEFATTNING_OID`]).
        pub by_role: Option<CvType> = opt "byRole",
        pub org_unit: Option<OrgUnitType> = opt "orgUnit",
    }
}

xml_struct! {
    /// SignatureType: who signed the note, and when.
    pub struct SignatureType("SignatureType") in ctx {
        pub id: Option<IiType> = opt "id",
        pub name: Option<String> = opt "name",
        pub timestamp: TimeStamp = one "timestamp",
        pub by_role: Option<CvType> = opt "byRole",
    }
}

xml_struct! {
    /// MultimediaType: an attached document or image, inline (`value`) or by
    /// `reference` (the field rules want exactly one of them).
    pub struct MultimediaType("MultimediaType") in ctx {
        /// MIME type, e.g. `application/pdf`.
        pub media_type: String = one "mediaType",
        pub value: Option<Base64Binary> = opt "value",
        /// An `xs:anyURI`.
        pub reference: Option<String> = opt "reference",
    }
}

xml_struct! {
    /// ResultType (description 3.0): a result code and an optional text; unlike the
    /// 2.x domains there is no `logId`, `errorCode`, `subCode` or `message`.
    pub struct ResultType("ResultType") in ctx {
        pub result_code: ResultCode = one "resultCode",
        pub result_text: Option<String> = opt "resultText",
    }
}

impl ResultType {
    /// A successful result without text.
    pub fn ok() -> Self {
        ResultType {
            result_code: ResultCode::Ok,
            result_text: None,
        }
    }

    /// An error result with an explanation (never personal data).
    pub fn error(text: impl Into<String>) -> Self {
        ResultType {
            result_code: ResultCode::Error,
            result_text: Some(text.into()),
        }
    }
}

/// An [`IiType`] for a patient: `root` the identifier type OID, `extension` the
/// 12 digits.
pub fn patient_ii(id: &PatientId) -> IiType {
    IiType {
        root: id.oid().to_owned(),
        extension: Some(id.as_str().to_owned()),
    }
}

/// An [`IiType`] for an HSA-ID (`root` [`HSA_ID_OID`]).
pub fn hsa_ii(hsa_id: &str) -> IiType {
    IiType {
        root: HSA_ID_OID.to_owned(),
        extension: Some(hsa_id.to_owned()),
    }
}

/// Checks a patient [`IiType`]: `root` must be the personnummer or samordningsnummer
/// OID and `extension` a valid number of that kind.
pub fn patient_id_of(ii: &IiType) -> Result<PatientId, PatientIdError> {
    PatientId::from_typed(ii.extension.as_deref().unwrap_or_default(), &ii.root)
}

/// The HSA-ID of an [`IiType`] whose `root` is [`HSA_ID_OID`].
pub fn hsa_id_of(ii: &IiType) -> Option<&str> {
    (ii.root == HSA_ID_OID)
        .then_some(ii.extension.as_deref())
        .flatten()
}

/// The note types of KV Anteckningstyp ([`ANTECKNINGSTYP_OID`]), carried in
/// `clinicalDocumentNoteCode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NoteType {
    /// `utr` Utredning (investigation).
    Utredning,
    /// `atb` Åtgärd/Behandling (intervention/treatment).
    AtgardBehandling,
    /// `sam` Sammanfattning (summary).
    Sammanfattning,
    /// `sao` Samordning (coordination).
    Samordning,
    /// `ins` Inskrivning (admission).
    Inskrivning,
    /// `slu` Slutanteckning (discharge note).
    Slutanteckning,
    /// `auf` Anteckning utan fysiskt möte (note without a physical meeting).
    AnteckningUtanFysisktMote,
    /// `sva` Slutenvårdsanteckning (inpatient note).
    Slutenvardsanteckning,
    /// `bes` Besöksanteckning (visit note).
    Besoksanteckning,
}

impl NoteType {
    /// Every note type, in code-system order.
    pub const ALL: &'static [NoteType] = &[
        NoteType::Utredning,
        NoteType::AtgardBehandling,
        NoteType::Sammanfattning,
        NoteType::Samordning,
        NoteType::Inskrivning,
        NoteType::Slutanteckning,
        NoteType::AnteckningUtanFysisktMote,
        NoteType::Slutenvardsanteckning,
        NoteType::Besoksanteckning,
    ];

    /// The code, e.g. `sam`.
    pub fn code(self) -> &'static str {
        match self {
            NoteType::Utredning => "utr",
            NoteType::AtgardBehandling => "atb",
            NoteType::Sammanfattning => "sam",
            NoteType::Samordning => "sao",
            NoteType::Inskrivning => "ins",
            NoteType::Slutanteckning => "slu",
            NoteType::AnteckningUtanFysisktMote => "auf",
            NoteType::Slutenvardsanteckning => "sva",
            NoteType::Besoksanteckning => "bes",
        }
    }

    /// The Swedish display name, e.g. `Sammanfattning`.
    pub fn display_name(self) -> &'static str {
        match self {
            NoteType::Utredning => "Utredning",
            NoteType::AtgardBehandling => "Åtgärd/Behandling",
            NoteType::Sammanfattning => "Sammanfattning",
            NoteType::Samordning => "Samordning",
            NoteType::Inskrivning => "Inskrivning",
            NoteType::Slutanteckning => "Slutanteckning",
            NoteType::AnteckningUtanFysisktMote => "Anteckning utan fysiskt möte",
            NoteType::Slutenvardsanteckning => "Slutenvårdsanteckning",
            NoteType::Besoksanteckning => "Besöksanteckning",
        }
    }

    /// The note type with this code.
    pub fn from_code(code: &str) -> Option<Self> {
        NoteType::ALL.iter().copied().find(|t| t.code() == code)
    }

    /// The coded value for `clinicalDocumentNoteCode`.
    pub fn to_cv(self) -> CvType {
        CvType::coded(self.code(), ANTECKNINGSTYP_OID, self.display_name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn note_types_round_trip_through_their_codes() {
        for t in NoteType::ALL {
            assert_eq!(NoteType::from_code(t.code()), Some(*t));
            assert!(t.to_cv().follows_cv_rule());
        }
        assert_eq!(NoteType::from_code("xyz"), None);
    }

    #[test]
    fn identifiers_convert_to_and_from_ii() {
        let id = PatientId::parse_canonical("201403129800").expect("valid");
        let ii = patient_ii(&id);
        assert_eq!(patient_id_of(&ii), Ok(id));
        let unit = hsa_ii("SE2321000016-C3D4");
        assert_eq!(hsa_id_of(&unit), Some("SE2321000016-C3D4"));
        assert!(patient_id_of(&unit).is_err());
    }
}
