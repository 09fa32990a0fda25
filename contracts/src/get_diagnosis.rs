//! GetDiagnosis 2 (schema 2.0): a patient's diagnoses.

use crate::healthcond_description::{DiagnosisType, ENUMS_NS, NS as CORE_NS};
use crate::soap::Operation;
use crate::types::{DatePeriodType, PersonIdType, ResultType};
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
