//! GetCareContacts 3 (schema 3.0): a patient's care contacts (visits, phone contacts,
//! planned contacts).

use crate::logistics::{CareContactType, NS as CORE_NS};
use crate::soap::Operation;
use crate::types::{DatePeriodType, PersonIdType, ResultType};
use crate::{xml_root, xml_struct};

/// Responder namespace.
pub const RESPONDER_NS: &str =
    "urn:riv:clinicalprocess:logistics:logistics:GetCareContactsResponder:3";

const PREFIXES: &[(&str, &str)] = &[("", RESPONDER_NS), ("core", CORE_NS)];

xml_struct! {
    /// GetCareContactsType: the request.
    pub struct GetCareContacts("GetCareContactsType") in (RESPONDER_NS) with (CORE_NS) {
        /// Only contacts at these care units (empty: all).
        pub care_unit_hsa_id: Vec<String> = many "careUnitHSAId",
        /// Only contacts of these care givers (empty: all).
        pub care_giver_hsa_id: Vec<String> = many "careGiverHSAId",
        pub patient_id: PersonIdType = one "patientId",
        /// Contacts whose authorTime or contact period overlaps these dates.
        pub date_period: Option<DatePeriodType> = opt "datePeriod",
        /// Must equal the LogicalAddress when given.
        pub source_system_hsa_id: Option<String> = opt "sourceSystemHSAId",
        /// Only these contacts (their `documentId`); requires `source_system_hsa_id`.
        pub care_contact_id: Vec<String> = many "careContactId",
    }
}

xml_struct! {
    /// GetCareContactsResponseType: the response. `result` is required in this
    /// contract.
    pub struct GetCareContactsResponse("GetCareContactsResponseType") in (RESPONDER_NS) with (CORE_NS) {
        pub care_contact: Vec<CareContactType> = many "careContact",
        pub result: ResultType = one "result",
    }
}

xml_root!(
    GetCareContacts,
    ns = RESPONDER_NS,
    name = "GetCareContacts",
    ctx = CORE_NS,
    prefixes = PREFIXES
);
xml_root!(
    GetCareContactsResponse,
    ns = RESPONDER_NS,
    name = "GetCareContactsResponse",
    ctx = CORE_NS,
    prefixes = PREFIXES
);

impl Operation for GetCareContacts {
    type Response = GetCareContactsResponse;
    const CONTRACT: &'static str = "GetCareContacts";
    const MAJOR: u32 = 3;
    const SCHEMA_VERSION: &'static str = "3.0";
    const SOAP_ACTION: &'static str =
        "urn:riv:clinicalprocess:logistics:logistics:GetCareContactsResponder:3:GetCareContacts";
}
