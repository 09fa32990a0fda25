//! GetCareDocumentation 3 (schema 3.0): a patient's journal notes (in this project:
//! child-health and school-health notes, e.g. summaries and visit notes).

use crate::healthcond_description_v3::{
    CareDocumentationType, ENUMS_NS, NS as CORE_NS, ResultType,
};
use crate::soap::Operation;
use crate::types::{DatePeriodType, IiType};
use crate::{xml_root, xml_struct};

/// Responder namespace.
pub const RESPONDER_NS: &str =
    "urn:riv:clinicalprocess:healthcond:description:GetCareDocumentationResponder:3";

const PREFIXES: &[(&str, &str)] = &[("", RESPONDER_NS), ("core", CORE_NS), ("codes", ENUMS_NS)];

xml_struct! {
    /// GetCareDocumentationType: the request.
    pub struct GetCareDocumentation("GetCareDocumentationType") in (RESPONDER_NS) with (CORE_NS) {
        /// Only notes from these care units (HSA-IDs as IIType; empty: all).
        pub care_unit: Vec<IiType> = many "careUnit",
        /// Only notes from these care givers (empty: all).
        pub healthcare_provider: Vec<IiType> = many "healthcareProvider",
        /// The patient: `root` the identifier type OID, `extension` the number.
        pub patient_id: IiType = one "patientId",
        pub date_period: Option<DatePeriodType> = opt "datePeriod",
        /// Must name the LogicalAddress's system when given.
        pub source_system_id: Option<IiType> = opt "sourceSystemId",
        /// Continues a partial answer: the `reference` of an earlier `hasMore`.
        pub has_more_reference: Option<String> = opt "hasMoreReference",
    }
}

xml_struct! {
    /// HasMoreType: a source that has more notes than it returned, and the reference to
    /// ask for them with. Declared in the Responder schema, so its children are in the
    /// Responder namespace.
    pub struct HasMoreType("HasMoreType") in (RESPONDER_NS) {
        pub logical_address: String = one "logicalAddress",
        pub reference: String = one "reference",
    }
}

xml_struct! {
    /// GetCareDocumentationResponseType: the response. `result` is required.
    pub struct GetCareDocumentationResponse("GetCareDocumentationResponseType") in (RESPONDER_NS) with (CORE_NS) {
        pub care_documentation: Vec<CareDocumentationType> = many "careDocumentation",
        pub has_more: Vec<HasMoreType> = many "hasMore",
        pub result: ResultType = one "result",
    }
}

xml_root!(
    GetCareDocumentation,
    ns = RESPONDER_NS,
    name = "GetCareDocumentation",
    ctx = CORE_NS,
    prefixes = PREFIXES
);
xml_root!(
    GetCareDocumentationResponse,
    ns = RESPONDER_NS,
    name = "GetCareDocumentationResponse",
    ctx = CORE_NS,
    prefixes = PREFIXES
);

impl Operation for GetCareDocumentation {
    type Response = GetCareDocumentationResponse;
    const CONTRACT: &'static str = "GetCareDocumentation";
    const MAJOR: u32 = 3;
    const SCHEMA_VERSION: &'static str = "3.0";
    const SOAP_ACTION: &'static str = "urn:riv:clinicalprocess:healthcond:description:GetCareDocumentationResponder:3:GetCareDocumentation";
}
