//! PingForConfiguration 1 (schema 1.0, `itintegration:monitoring`): the liveness and
//! configuration check every producer answers.
//!
//! Every element of this contract is in the Responder namespace: the monitoring core
//! (`urn:riv:itintegration:monitoring:1`) declares only the simple type TS
//! ([`Ts`], the same pattern as the engagement index's).

use crate::soap::Operation;
use crate::{xml_root, xml_struct};

pub use crate::engagement_index::Ts;

/// Responder namespace.
pub const RESPONDER_NS: &str = "urn:riv:itintegration:monitoring:PingForConfigurationResponder:1";
/// Core namespace of the monitoring domain (declares only the simple type TS).
pub const CORE_NS: &str = "urn:riv:itintegration:monitoring:1";

const PREFIXES: &[(&str, &str)] = &[("", RESPONDER_NS)];

xml_struct! {
    /// PingForConfigurationType: the request.
    pub struct PingForConfiguration("PingForConfigurationType") in (RESPONDER_NS) with (RESPONDER_NS) {
        /// The Responder namespace of the contract to ping (an `xs:anyURI`), of
        /// interest to a forwarding intermediary.
        pub service_contract_namespace: String = one "serviceContractNamespace",
        /// The logical address to ping (an `xs:anyURI`).
        pub logical_address: String = one "logicalAddress",
    }
}

xml_struct! {
    /// ConfigurationType: one named piece of environment information.
    pub struct ConfigurationType("ConfigurationType") in (RESPONDER_NS) {
        pub name: String = one "name",
        pub value: String = one "value",
    }
}

xml_struct! {
    /// PingForConfigurationResponseType: the response.
    pub struct PingForConfigurationResponse("PingForConfigurationResponseType") in (RESPONDER_NS) with (RESPONDER_NS) {
        /// Version of the answering component.
        pub version: String = one "version",
        /// When the answer was made.
        pub ping_date_time: Ts = one "pingDateTime",
        pub configuration: Vec<ConfigurationType> = many "configuration",
    }
}

xml_root!(
    PingForConfiguration,
    ns = RESPONDER_NS,
    name = "PingForConfiguration",
    ctx = RESPONDER_NS,
    prefixes = PREFIXES
);
xml_root!(
    PingForConfigurationResponse,
    ns = RESPONDER_NS,
    name = "PingForConfigurationResponse",
    ctx = RESPONDER_NS,
    prefixes = PREFIXES
);

impl Operation for PingForConfiguration {
    type Response = PingForConfigurationResponse;
    const CONTRACT: &'static str = "PingForConfiguration";
    const MAJOR: u32 = 1;
    const SCHEMA_VERSION: &'static str = "1.0";
    const SOAP_ACTION: &'static str =
        "urn:riv:itintegration:monitoring:PingForConfigurationResponder:1:PingForConfiguration";
}
