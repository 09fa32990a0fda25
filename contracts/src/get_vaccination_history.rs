//! GetVaccinationHistory 2 (schema 2.0): a patient's prescribed and given vaccinations.
//!
//! The request spells `careUnitHSAid` and `sourceSystemHSAid` with a lower-case `d`,
//! unlike every other contract; the element names are kept verbatim.

use crate::actoutcome::{DatePeriodType, ENUMS_NS, NS as CORE_NS, VaccinationMedicalRecordType};
use crate::soap::Operation;
use crate::types::{PersonIdType, ResultType};
use crate::{xml_root, xml_struct};

/// Responder namespace.
pub const RESPONDER_NS: &str =
    "urn:riv:clinicalprocess:activityprescription:actoutcome:GetVaccinationHistoryResponder:2";

const PREFIXES: &[(&str, &str)] = &[("", RESPONDER_NS), ("core", CORE_NS), ("codes", ENUMS_NS)];

xml_struct! {
    /// GetVaccinationHistoryType: the request.
    pub struct GetVaccinationHistory("GetVaccinationHistoryType") in (RESPONDER_NS) with (CORE_NS) {
        /// Only records owned by these care units (empty: all). Element `careUnitHSAid`.
        pub care_unit_hsa_id: Vec<String> = many "careUnitHSAid",
        pub patient_id: PersonIdType = one "patientId",
        /// Only records in this period.
        pub time_period: Option<DatePeriodType> = opt "timePeriod",
        /// Must equal the LogicalAddress when given. Element `sourceSystemHSAid`.
        pub source_system_hsa_id: Option<String> = opt "sourceSystemHSAid",
        /// Requires `source_system_hsa_id`.
        pub care_contact_id: Vec<String> = many "careContactId",
    }
}

xml_struct! {
    /// GetVaccinationHistoryResponseType: the response (`result` is required).
    pub struct GetVaccinationHistoryResponse("GetVaccinationHistoryResponseType") in (RESPONDER_NS) with (CORE_NS) {
        pub vaccination_medical_record: Vec<VaccinationMedicalRecordType> = many "vaccinationMedicalRecord",
        pub result: ResultType = one "result",
    }
}

xml_root!(
    GetVaccinationHistory,
    ns = RESPONDER_NS,
    name = "GetVaccinationHistory",
    ctx = CORE_NS,
    prefixes = PREFIXES
);
xml_root!(
    GetVaccinationHistoryResponse,
    ns = RESPONDER_NS,
    name = "GetVaccinationHistoryResponse",
    ctx = CORE_NS,
    prefixes = PREFIXES
);

impl Operation for GetVaccinationHistory {
    type Response = GetVaccinationHistoryResponse;
    const CONTRACT: &'static str = "GetVaccinationHistory";
    const MAJOR: u32 = 2;
    const SCHEMA_VERSION: &'static str = "2.0";
    const SOAP_ACTION: &'static str = "urn:riv:clinicalprocess:activityprescription:actoutcome:GetVaccinationHistoryResponder:2:GetVaccinationHistory";
}
