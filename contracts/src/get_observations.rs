//! GetObservations 1 (schema 1.1): a patient's observations, such as the growth
//! measurements (length, weight, head circumference, BMI) of child and school health.

use crate::healthcond_basic::{
    CvType, IiType, NS as CORE_NS, ObservationGroupType, RelationFilterType, Uuid,
};
use crate::soap::Operation;
use crate::types::TimePeriodType;
use crate::{xml_root, xml_struct};

/// Responder namespace.
pub const RESPONDER_NS: &str =
    "urn:riv:clinicalprocess:healthcond:basic:GetObservationsResponder:1";

const PREFIXES: &[(&str, &str)] = &[("", RESPONDER_NS), ("core", CORE_NS)];

xml_struct! {
    /// GetObservationsType: the request.
    pub struct GetObservations("GetObservationsType") in (RESPONDER_NS) with (CORE_NS) {
        /// The patient: `root` = the number's type OID, `extension` = the number.
        pub patient_id: IiType = one "patientId",
        /// Only observations in this period.
        pub time: Option<TimePeriodType> = opt "time",
        /// Only observations of these types (empty: all).
        pub observation_type: Vec<CvType> = many "observationType",
        /// Only these observations (empty: all).
        pub observation_id: Vec<IiType> = many "observationId",
        /// Only observations of this care giver.
        pub care_giver_id: Option<IiType> = opt "careGiverId",
        /// Only observations made at this care unit.
        pub care_unit_id: Option<IiType> = opt "careUnitId",
        /// The interaction agreement (a UUID) the consumer calls under; required.
        pub interaction_agreement_id: Uuid = one "interactionAgreementId",
        /// Must equal the LogicalAddress when given.
        pub source_system_hsa_id: Option<String> = opt "sourceSystemHSAId",
        /// Only observations related to the given information.
        pub relation: Vec<RelationFilterType> = many "relation",
    }
}

xml_struct! {
    /// GetObservationsResponseType: the response. This contract has no `result`
    /// element.
    pub struct GetObservationsResponse("GetObservationsResponseType") in (RESPONDER_NS) with (CORE_NS) {
        pub observation_group: Vec<ObservationGroupType> = many "observationGroup",
    }
}

xml_root!(
    GetObservations,
    ns = RESPONDER_NS,
    name = "GetObservations",
    ctx = CORE_NS,
    prefixes = PREFIXES
);
xml_root!(
    GetObservationsResponse,
    ns = RESPONDER_NS,
    name = "GetObservationsResponse",
    ctx = CORE_NS,
    prefixes = PREFIXES
);

impl Operation for GetObservations {
    type Response = GetObservationsResponse;
    const CONTRACT: &'static str = "GetObservations";
    const MAJOR: u32 = 1;
    const SCHEMA_VERSION: &'static str = "1.1";
    const SOAP_ACTION: &'static str =
        "urn:riv:clinicalprocess:healthcond:basic:GetObservationsResponder:1:GetObservations";
}
