//! SOAP header blocks: the RIV-TA logical address and the aggregating services'
//! ProcessingStatus (`urn:riv:interoperability:headers:1`).

use crate::{xml_enum, xml_root, xml_struct};

/// Namespace of the RIV-TA Basic Profile 2.1 `LogicalAddress` header.
pub const REGISTRY_NS: &str = "urn:riv:itintegration:registry:1";
/// Namespace of the interoperability headers (ProcessingStatus, Actor).
pub const HEADERS_NS: &str = "urn:riv:interoperability:headers:1";

xml_enum! {
    /// StatusCodeEnum: where an aggregated answer's data for one source came from.
    pub enum StatusCode("StatusCodeEnum") {
        /// Fetched from the source system in this call.
        DataFromSource = "DataFromSource",
        /// Returned from the cache without calling the source.
        DataFromCache = "DataFromCache",
        /// The call to the source failed; possibly stale data from the cache.
        DataFromCacheSynchFailed = "DataFromCacheSynchFailed",
        /// The call to the source failed and there was nothing cached.
        NoDataSynchFailed = "NoDataSynchFailed",
    }
}

xml_enum! {
    /// CausingAgentEnum: which component failed.
    pub enum CausingAgent("CausingAgentEnum") {
        /// The service catalogue (TAK).
        ServiceCatalog = "service_catalog",
        /// The virtualisation platform.
        VirtualizationPlatform = "virtualization_platform",
        /// The source system (service producer).
        ServiceProducer = "service_producer",
        /// The engagement index.
        EngagementIndex = "engagement_index",
        /// Anything else.
        Other = "other",
    }
}

xml_enum! {
    /// ActorTypeEnum: who acts on behalf of whom.
    pub enum ActorType("ActorTypeEnum") {
        /// The patient.
        SubjectOfCare = "subject_of_care",
        /// Someone acting for the patient.
        SubjectOfCareAgent = "subject_of_care_agent",
    }
}

xml_struct! {
    /// ActorType header block.
    pub struct Actor("ActorType") in (HEADERS_NS) {
        pub actor_id: String = one "actorId",
        pub actor_type: ActorType = one "actorType",
    }
}

xml_struct! {
    /// LastUnsuccessfulSynchErrorType: why the call to one source failed.
    pub struct LastUnsuccessfulSynchError("LastUnsuccessfulSynchErrorType") in (HEADERS_NS) {
        pub causing_agent: CausingAgent = one "causingAgent",
        /// HTTP status of a fault, or 504 for a time-out.
        pub code: String = one "code",
        pub text: String = one "text",
    }
}

xml_struct! {
    /// ProcessingStatusRecordType: the status for one logical address.
    pub struct ProcessingStatusRecord("ProcessingStatusRecordType") in (HEADERS_NS) {
        pub logical_address: String = one "logicalAddress",
        pub status_code: StatusCode = one "statusCode",
        pub is_response_from_cache: bool = one "isResponseFromCache",
        pub is_response_in_synch: bool = one "isResponseInSynch",
        pub last_successful_synch: String = one "lastSuccessfulSynch",
        pub last_unsuccessful_synch: Option<String> = opt "lastUnsuccessfulSynch",
        pub last_unsuccessful_synch_error: Option<LastUnsuccessfulSynchError> = opt "lastUnsuccessfulSynchError",
    }
}

xml_struct! {
    /// ProcessingStatus header: one record per source system an aggregating service
    /// asked.
    pub struct ProcessingStatus("ProcessingStatusType") in (HEADERS_NS) {
        pub processing_status_list: Vec<ProcessingStatusRecord> = many "ProcessingStatusList",
    }
}

xml_root!(
    ProcessingStatus,
    ns = HEADERS_NS,
    name = "ProcessingStatus",
    ctx = HEADERS_NS,
    prefixes = &[("ih", HEADERS_NS)]
);

xml_root!(
    Actor,
    ns = HEADERS_NS,
    name = "Actor",
    ctx = HEADERS_NS,
    prefixes = &[("ih", HEADERS_NS)]
);
