//! The contracts the project serves or routes, with the facts the services need to
//! dispatch on them: Responder namespace, operation, endpoint path, SOAPAction and
//! engagement-index keys.

/// A service contract known to the project.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Contract {
    /// GetDiagnosis 2.
    GetDiagnosis,
    /// GetCareContacts 3.
    GetCareContacts,
    /// GetMedicationHistory 2.
    GetMedicationHistory,
    /// GetVaccinationHistory 2.
    GetVaccinationHistory,
    /// GetCareDocumentation 3.
    GetCareDocumentation,
    /// GetObservations 1.
    GetObservations,
    /// PingForConfiguration 1.
    PingForConfiguration,
    /// Engagement index Update 1.
    Update,
    /// Engagement index FindContent 1.
    FindContent,
    /// Engagement index ProcessNotification 1.
    ProcessNotification,
}

/// Engagement-index keys of a clinical contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EngagementKeys {
    /// `serviceDomain`, e.g. `riv:clinicalprocess:healthcond:description`.
    pub service_domain: &'static str,
    /// `categorization`, e.g. `dia`.
    pub categorization: &'static str,
}

impl Contract {
    /// Every contract.
    pub const ALL: [Contract; 10] = [
        Contract::GetDiagnosis,
        Contract::GetCareContacts,
        Contract::GetMedicationHistory,
        Contract::GetVaccinationHistory,
        Contract::GetCareDocumentation,
        Contract::GetObservations,
        Contract::PingForConfiguration,
        Contract::Update,
        Contract::FindContent,
        Contract::ProcessNotification,
    ];

    /// The six clinical contracts a producer serves and aggregation fans out.
    pub const CLINICAL: [Contract; 6] = [
        Contract::GetDiagnosis,
        Contract::GetCareContacts,
        Contract::GetMedicationHistory,
        Contract::GetVaccinationHistory,
        Contract::GetCareDocumentation,
        Contract::GetObservations,
    ];

    /// The domain, without the `urn:riv:` prefix.
    pub fn domain(self) -> &'static str {
        match self {
            Contract::GetDiagnosis | Contract::GetCareDocumentation => {
                "clinicalprocess:healthcond:description"
            }
            Contract::GetCareContacts => "clinicalprocess:logistics:logistics",
            Contract::GetMedicationHistory | Contract::GetVaccinationHistory => {
                "clinicalprocess:activityprescription:actoutcome"
            }
            Contract::GetObservations => "clinicalprocess:healthcond:basic",
            Contract::PingForConfiguration => "itintegration:monitoring",
            Contract::Update | Contract::FindContent | Contract::ProcessNotification => {
                "itintegration:engagementindex"
            }
        }
    }

    /// The operation (body element) name, which is also the contract name.
    pub fn name(self) -> &'static str {
        match self {
            Contract::GetDiagnosis => "GetDiagnosis",
            Contract::GetCareContacts => "GetCareContacts",
            Contract::GetMedicationHistory => "GetMedicationHistory",
            Contract::GetVaccinationHistory => "GetVaccinationHistory",
            Contract::GetCareDocumentation => "GetCareDocumentation",
            Contract::GetObservations => "GetObservations",
            Contract::PingForConfiguration => "PingForConfiguration",
            Contract::Update => "Update",
            Contract::FindContent => "FindContent",
            Contract::ProcessNotification => "ProcessNotification",
        }
    }

    /// Major version (in the namespace and the endpoint path).
    pub fn major(self) -> u32 {
        match self {
            Contract::GetDiagnosis
            | Contract::GetMedicationHistory
            | Contract::GetVaccinationHistory => 2,
            Contract::GetCareContacts | Contract::GetCareDocumentation => 3,
            Contract::GetObservations
            | Contract::PingForConfiguration
            | Contract::Update
            | Contract::FindContent
            | Contract::ProcessNotification => 1,
        }
    }

    /// The Responder namespace: the namespace of the request's body element.
    pub fn responder_ns(self) -> String {
        format!(
            "urn:riv:{}:{}Responder:{}",
            self.domain(),
            self.name(),
            self.major()
        )
    }

    /// The `SOAPAction` value.
    pub fn soap_action(self) -> String {
        format!("{}:{}", self.responder_ns(), self.name())
    }

    /// The endpoint path a producer serves, e.g. `/GetDiagnosis/2/rivtabp21`.
    pub fn endpoint_path(self) -> String {
        format!("/{}/{}/rivtabp21", self.name(), self.major())
    }

    /// The contract whose request body element is `{ns}local`.
    pub fn from_request(ns: &str, local: &str) -> Option<Contract> {
        Contract::ALL
            .into_iter()
            .find(|c| c.name() == local && c.responder_ns() == ns)
    }

    /// The contract whose Responder namespace is `ns` (routing uses the namespace only).
    pub fn from_namespace(ns: &str) -> Option<Contract> {
        Contract::ALL.into_iter().find(|c| c.responder_ns() == ns)
    }

    /// Engagement-index keys of a clinical contract (`None` for infrastructure).
    pub fn engagement_keys(self) -> Option<EngagementKeys> {
        use crate::engagement_index::{categorization as cat, service_domain as domain};
        let (service_domain, categorization) = match self {
            Contract::GetDiagnosis => (domain::HEALTHCOND_DESCRIPTION, cat::DIAGNOSIS),
            Contract::GetCareDocumentation => {
                (domain::HEALTHCOND_DESCRIPTION, cat::CARE_DOCUMENTATION)
            }
            Contract::GetCareContacts => (domain::LOGISTICS, cat::CARE_CONTACTS),
            Contract::GetMedicationHistory => (
                domain::ACTIVITYPRESCRIPTION_ACTOUTCOME,
                cat::MEDICATION_HISTORY,
            ),
            Contract::GetVaccinationHistory => (
                domain::ACTIVITYPRESCRIPTION_ACTOUTCOME,
                cat::VACCINATION_HISTORY,
            ),
            Contract::GetObservations => (domain::HEALTHCOND_BASIC, cat::OBSERVATIONS),
            Contract::PingForConfiguration
            | Contract::Update
            | Contract::FindContent
            | Contract::ProcessNotification => return None,
        };
        Some(EngagementKeys {
            service_domain,
            categorization,
        })
    }
}

impl std::fmt::Display for Contract {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.name(), self.major())
    }
}
