//! Shapes that recur with the same structure in several RIV-TA domains. Their children
//! are in the domain namespace handed down from the message (see [`crate::xml`]).
//! Where a domain's schema differs (GetObservations' CVType, GetCareDocumentation 3's
//! ResultType...), that domain declares its own type instead.

use super::patient::{PatientId, PatientIdError};
use super::time::{Date, TimeStamp};
use crate::{xml_enum, xml_struct};

xml_struct! {
    /// CVType: a coded value. The contracts' rule (Schematron): either `code`,
    /// `codeSystem` and `displayName`, or `originalText` alone.
    pub struct CvType("CVType") in ctx {
        pub code: Option<String> = opt "code",
        pub code_system: Option<String> = opt "codeSystem",
        pub code_system_name: Option<String> = opt "codeSystemName",
        pub code_system_version: Option<String> = opt "codeSystemVersion",
        pub display_name: Option<String> = opt "displayName",
        pub original_text: Option<String> = opt "originalText",
    }
}

impl CvType {
    /// A code from a code system, with its display name.
    pub fn coded(code: &str, code_system: &str, display_name: &str) -> Self {
        CvType {
            code: Some(code.to_owned()),
            code_system: Some(code_system.to_owned()),
            code_system_name: None,
            code_system_version: None,
            display_name: Some(display_name.to_owned()),
            original_text: None,
        }
    }

    /// Free text without a code.
    pub fn text(original_text: &str) -> Self {
        CvType {
            code: None,
            code_system: None,
            code_system_name: None,
            code_system_version: None,
            display_name: None,
            original_text: Some(original_text.to_owned()),
        }
    }

    /// Whether the value follows the CVType rule: code + codeSystem + displayName
    /// without originalText, or originalText alone.
    pub fn follows_cv_rule(&self) -> bool {
        let coded =
            self.code.is_some() && self.code_system.is_some() && self.display_name.is_some();
        let any_code_part = self.code.is_some()
            || self.code_system.is_some()
            || self.code_system_name.is_some()
            || self.code_system_version.is_some()
            || self.display_name.is_some();
        (coded && self.original_text.is_none()) || (!any_code_part && self.original_text.is_some())
    }
}

xml_struct! {
    /// IIType: an instance identifier, `root` (an OID) and `extension`.
    pub struct IiType("IIType") in ctx {
        pub root: String = one "root",
        pub extension: Option<String> = opt "extension",
    }
}

xml_struct! {
    /// PersonIdType: a person's identity number `id` and its type OID `type`.
    pub struct PersonIdType("PersonIdType") in ctx {
        pub id: String = one "id",
        pub r#type: String = one "type",
    }
}

impl PersonIdType {
    /// Checks the number and its OID.
    pub fn to_patient_id(&self) -> Result<PatientId, PatientIdError> {
        PatientId::from_typed(&self.id, &self.r#type)
    }
}

impl From<&PatientId> for PersonIdType {
    fn from(id: &PatientId) -> Self {
        PersonIdType {
            id: id.as_str().to_owned(),
            r#type: id.oid().to_owned(),
        }
    }
}

xml_struct! {
    /// DatePeriodType with both ends required (as in the description and logistics
    /// domains).
    pub struct DatePeriodType("DatePeriodType") in ctx {
        pub start: Date = one "start",
        pub end: Date = one "end",
    }
}

xml_struct! {
    /// TimePeriodType with both ends optional.
    pub struct TimePeriodType("TimePeriodType") in ctx {
        pub start: Option<TimeStamp> = opt "start",
        pub end: Option<TimeStamp> = opt "end",
    }
}

xml_struct! {
    /// LegalAuthenticatorType: who signed the record, and when.
    pub struct LegalAuthenticatorType("LegalAuthenticatorType") in ctx {
        pub signature_time: TimeStamp = one "signatureTime",
        pub legal_authenticator_hsa_id: Option<String> = opt "legalAuthenticatorHSAId",
        pub legal_authenticator_name: Option<String> = opt "legalAuthenticatorName",
    }
}

xml_enum! {
    /// ResultCodeEnum.
    pub enum ResultCode("ResultCodeEnum") {
        /// The request was handled.
        Ok = "OK",
        /// The request could not be handled; see `errorCode`.
        Error = "ERROR",
        /// Handled, with information in `message`.
        Info = "INFO",
    }
}

xml_enum! {
    /// ErrorCodeEnum of the description 2, logistics 3 and actoutcome 2 domains.
    pub enum ErrorCode("ErrorCodeEnum") {
        /// The request breaks a field rule of the contract.
        InvalidRequest = "INVALID_REQUEST",
    }
}

xml_struct! {
    /// ResultType of the description 2, logistics 3 and actoutcome 2 domains.
    pub struct ResultType("ResultType") in ctx {
        pub result_code: ResultCode = one "resultCode",
        pub error_code: Option<ErrorCode> = opt "errorCode",
        pub log_id: String = one "logId",
        pub sub_code: Option<String> = opt "subCode",
        pub message: Option<String> = opt "message",
    }
}

impl ResultType {
    /// A successful result with the given log id.
    pub fn ok(log_id: impl Into<String>) -> Self {
        ResultType {
            result_code: ResultCode::Ok,
            error_code: None,
            log_id: log_id.into(),
            sub_code: None,
            message: None,
        }
    }

    /// An INVALID_REQUEST error with a message.
    pub fn invalid_request(log_id: impl Into<String>, message: impl Into<String>) -> Self {
        ResultType {
            result_code: ResultCode::Error,
            error_code: Some(ErrorCode::InvalidRequest),
            log_id: log_id.into(),
            sub_code: None,
            message: Some(message.into()),
        }
    }
}

xml_struct! {
    /// OrgUnitType with every part optional (logistics 3, actoutcome 2, description 3).
    /// The description 2 domain requires HSA-ID and name and declares its own.
    pub struct OrgUnitType("OrgUnitType") in ctx {
        pub org_unit_hsa_id: Option<String> = opt "orgUnitHSAId",
        pub org_unit_name: Option<String> = opt "orgUnitName",
        pub org_unit_telecom: Option<String> = opt "orgUnitTelecom",
        pub org_unit_email: Option<String> = opt "orgUnitEmail",
        pub org_unit_address: Option<String> = opt "orgUnitAddress",
        pub org_unit_location: Option<String> = opt "orgUnitLocation",
    }
}

xml_struct! {
    /// HealthcareProfessionalType of the logistics 3 and actoutcome 2 domains: who
    /// documented, prescribed or administered, when, and where.
    pub struct HealthcareProfessionalType("HealthcareProfessionalType") in ctx {
        pub author_time: TimeStamp = one "authorTime",
        pub healthcare_professional_hsa_id: Option<String> = opt "healthcareProfessionalHSAId",
        pub healthcare_professional_name: Option<String> = opt "healthcareProfessionalName",
        pub healthcare_professional_role_code: Option<CvType> = opt "healthcareProfessionalRoleCode",
        pub healthcare_professional_org_unit: Option<OrgUnitType> = opt "healthcareProfessionalOrgUnit",
        pub healthcare_professional_care_unit_hsa_id: Option<String> = opt "healthcareProfessionalCareUnitHSAId",
        pub healthcare_professional_care_giver_hsa_id: Option<String> = opt "healthcareProfessionalCareGiverHSAId",
    }
}
