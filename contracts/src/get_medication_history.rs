//! GetMedicationHistory 2 (schema 2.1): a patient's prescriptions, dispensations and
//! administrations of drugs.

use crate::actoutcome::{
    DatePeriodType, ENUMS_NS, EXT_NS, MedicationMedicalRecordType, NS as CORE_NS,
    PrescriptionStatusEnum,
};
use crate::soap::Operation;
use crate::types::{IiType, PersonIdType, ResultType};
use crate::{xml_root, xml_struct};

/// Responder namespace.
pub const RESPONDER_NS: &str =
    "urn:riv:clinicalprocess:activityprescription:actoutcome:GetMedicationHistoryResponder:2";

const PREFIXES: &[(&str, &str)] = &[
    ("", RESPONDER_NS),
    ("core", CORE_NS),
    ("ext", EXT_NS),
    ("codes", ENUMS_NS),
];

xml_struct! {
    /// GetMedicationHistoryType: the request.
    pub struct GetMedicationHistory("GetMedicationHistoryType") in (RESPONDER_NS) with (CORE_NS) {
        /// Only records owned by these care units (empty: all).
        pub care_unit_hsa_id: Vec<String> = many "careUnitHSAId",
        /// Only records owned by these care givers (empty: all).
        pub care_giver_hsa_id: Vec<String> = many "careGiverHSAId",
        pub patient_id: PersonIdType = one "patientId",
        /// Only treatments overlapping this period.
        pub date_period: Option<DatePeriodType> = opt "datePeriod",
        /// Must equal the LogicalAddress when given.
        pub source_system_hsa_id: Option<String> = opt "sourceSystemHSAId",
        /// Requires `source_system_hsa_id`.
        pub care_contact_id: Vec<String> = many "careContactId",
        /// Only prescriptions of this chain.
        pub prescription_chain_id: Option<IiType> = opt "prescriptionChainId",
        /// Only active or only inactive prescriptions.
        pub prescription_status: Option<PrescriptionStatusEnum> = opt "prescriptionStatus",
    }
}

xml_struct! {
    /// GetMedicationHistoryResponseType: the response (`result` is required).
    pub struct GetMedicationHistoryResponse("GetMedicationHistoryResponseType") in (RESPONDER_NS) with (CORE_NS) {
        pub medication_medical_record: Vec<MedicationMedicalRecordType> = many "medicationMedicalRecord",
        pub result: ResultType = one "result",
    }
}

xml_root!(
    GetMedicationHistory,
    ns = RESPONDER_NS,
    name = "GetMedicationHistory",
    ctx = CORE_NS,
    prefixes = PREFIXES
);
xml_root!(
    GetMedicationHistoryResponse,
    ns = RESPONDER_NS,
    name = "GetMedicationHistoryResponse",
    ctx = CORE_NS,
    prefixes = PREFIXES
);

impl Operation for GetMedicationHistory {
    type Response = GetMedicationHistoryResponse;
    const CONTRACT: &'static str = "GetMedicationHistory";
    const MAJOR: u32 = 2;
    const SCHEMA_VERSION: &'static str = "2.1";
    const SOAP_ACTION: &'static str = "urn:riv:clinicalprocess:activityprescription:actoutcome:GetMedicationHistoryResponder:2:GetMedicationHistory";
}
