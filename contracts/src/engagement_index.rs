//! The engagement index (EI) contracts of `itintegration:engagementindex` 1.0: Update 1
//! (source systems register and remove engagements), FindContent 1 (aggregating
//! services ask which systems hold information about a patient) and ProcessNotification
//! 1 (an index passes changes on to a subscriber), with their shared core types
//! (namespace `urn:riv:itintegration:engagementindex:1`).
//!
//! The request and response elements' own children are in the Responder namespace
//! (note that FindContent's search fields have the same names as [`EngagementType`]'s,
//! in another namespace); the children of [`EngagementTransactionType`] and
//! [`EngagementType`] are in the core namespace.

use crate::soap::Operation;
use crate::types::{PatientId, PatientIdError, ResultCode, TimeStamp};
use crate::xml::XmlText;
use crate::xml::escape_into;
use crate::{xml_root, xml_struct};

/// Core namespace of the engagement index domain.
pub const NS: &str = "urn:riv:itintegration:engagementindex:1";
/// Responder namespace of Update.
pub const UPDATE_NS: &str = "urn:riv:itintegration:engagementindex:UpdateResponder:1";
/// Responder namespace of FindContent.
pub const FIND_CONTENT_NS: &str = "urn:riv:itintegration:engagementindex:FindContentResponder:1";
/// Responder namespace of ProcessNotification.
pub const PROCESS_NOTIFICATION_NS: &str =
    "urn:riv:itintegration:engagementindex:ProcessNotificationResponder:1";

/// The value of `businessObjectInstanceIdentifier` and `clinicalProcessInterestId`
/// when not applicable (what every aggregated contract registers).
pub const NOT_APPLICABLE: &str = "NA";

/// Most engagement transactions one Update or ProcessNotification may carry.
pub const MAX_TRANSACTIONS: usize = 1000;

/// `serviceDomain` values: the contract's domain with a `riv:` prefix.
pub mod service_domain {
    /// GetDiagnosis, GetCareDocumentation.
    pub const HEALTHCOND_DESCRIPTION: &str = "riv:clinicalprocess:healthcond:description";
    /// GetCareContacts.
    pub const LOGISTICS: &str = "riv:clinicalprocess:logistics:logistics";
    /// GetMedicationHistory, GetVaccinationHistory.
    pub const ACTIVITYPRESCRIPTION_ACTOUTCOME: &str =
        "riv:clinicalprocess:activityprescription:actoutcome";
    /// GetObservations.
    pub const HEALTHCOND_BASIC: &str = "riv:clinicalprocess:healthcond:basic";
}

/// `categorization` values the aggregating services search with.
pub mod categorization {
    /// GetDiagnosis.
    pub const DIAGNOSIS: &str = "dia";
    /// GetCareContacts.
    pub const CARE_CONTACTS: &str = "vko";
    /// GetMedicationHistory.
    pub const MEDICATION_HISTORY: &str = "caa-gmh";
    /// GetVaccinationHistory.
    pub const VACCINATION_HISTORY: &str = "caa-gvh";
    /// GetCareDocumentation.
    pub const CARE_DOCUMENTATION: &str = "voo";
    /// GetObservations.
    pub const OBSERVATIONS: &str = "chb-o";
}

/// TS: a time stamp `YYYYMMDDhhmmss` as the EI and monitoring schemas restrict it
/// (pattern `[1-9][0-9]{3}(0[1-9]|1[0-2])([0-2][0-9]|3[0-1])([0-1][0-9]|2[0-3])[0-5][0-9][0-5][0-9]`).
/// The pattern is looser than [`TimeStamp`] (day `00`, 31 February and years
/// 1000–9999 pass), so the lexical form is kept as sent.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Ts(String);

impl Ts {
    /// Checks the pattern.
    pub fn parse(text: &str) -> Option<Self> {
        let b = text.as_bytes();
        if b.len() != 14 || !b.iter().all(u8::is_ascii_digit) {
            return None;
        }
        let pair = |i: usize| (b[i] - b'0', b[i + 1] - b'0');
        let month_ok = matches!(pair(4), (0, 1..=9) | (1, 0..=2));
        let day_ok = matches!(pair(6), (0..=2, _) | (3, 0..=1));
        let hour_ok = matches!(pair(8), (0..=1, _) | (2, 0..=3));
        let minute_ok = b[10] <= b'5';
        let second_ok = b[12] <= b'5';
        (b[0] != b'0' && month_ok && day_ok && hour_ok && minute_ok && second_ok)
            .then(|| Ts(text.to_owned()))
    }

    /// The lexical form.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The Swedish local time, when the value is a real time in 1900–2099.
    pub fn to_time_stamp(&self) -> Option<TimeStamp> {
        TimeStamp::parse(&self.0)
    }
}

impl From<TimeStamp> for Ts {
    fn from(time: TimeStamp) -> Self {
        // A TimeStamp's lexical form always matches the TS pattern.
        Ts(time.to_string())
    }
}

impl std::fmt::Display for Ts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl XmlText for Ts {
    fn from_xml_text(text: &str) -> Result<Self, String> {
        Ts::parse(text).ok_or_else(|| "not a TS (YYYYMMDDhhmmss)".to_owned())
    }

    fn write_xml_text(&self, out: &mut String) {
        out.push_str(&self.0);
    }
}

/// RegisteredResidentIdentificationType: a personnummer or samordningsnummer as 12
/// characters (pattern `[0-9]{8}[0-9pPtTfF][0-9]{3}`; the ninth may be a letter for
/// reserve numbers). The pattern does not check the date or the check digit; see
/// [`RegisteredResidentIdentification::to_patient_id`].
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RegisteredResidentIdentification(String);

impl RegisteredResidentIdentification {
    /// Checks the pattern.
    pub fn parse(text: &str) -> Option<Self> {
        let b = text.as_bytes();
        let ok = b.len() == 12
            && b.iter().enumerate().all(|(i, c)| {
                c.is_ascii_digit()
                    || (i == 8 && matches!(c, b'p' | b'P' | b't' | b'T' | b'f' | b'F'))
            });
        ok.then(|| RegisteredResidentIdentification(text.to_owned()))
    }

    /// The 12 characters.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Validates the value as a personnummer or samordningsnummer (date and check digit).
    pub fn to_patient_id(&self) -> Result<PatientId, PatientIdError> {
        PatientId::parse_canonical(&self.0)
    }
}

impl From<&PatientId> for RegisteredResidentIdentification {
    fn from(id: &PatientId) -> Self {
        RegisteredResidentIdentification(id.as_str().to_owned())
    }
}

impl std::fmt::Display for RegisteredResidentIdentification {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl XmlText for RegisteredResidentIdentification {
    fn from_xml_text(text: &str) -> Result<Self, String> {
        RegisteredResidentIdentification::parse(text).ok_or_else(|| {
            "not a RegisteredResidentIdentificationType (12 characters, [0-9]{8}[0-9pPtTfF][0-9]{3})"
                .to_owned()
        })
    }

    fn write_xml_text(&self, out: &mut String) {
        escape_into(out, &self.0, false);
    }
}

xml_struct! {
    /// EngagementType: one engagement, the fact that a source system holds information
    /// of a kind about a resident. The first five fields, `sourceSystem`,
    /// `dataController`, `owner` and `clinicalProcessInterestId` form its key.
    pub struct EngagementType("EngagementType") in ctx {
        pub registered_resident_identification: RegisteredResidentIdentification = one "registeredResidentIdentification",
        /// E.g. [`service_domain::HEALTHCOND_DESCRIPTION`] (an `xs:anyURI`).
        pub service_domain: String = one "serviceDomain",
        /// E.g. [`categorization::CARE_DOCUMENTATION`].
        pub categorization: String = one "categorization",
        /// The logical address to ask for the information (the source system's HSA-ID).
        pub logical_address: String = one "logicalAddress",
        /// [`NOT_APPLICABLE`] for the aggregated contracts.
        pub business_object_instance_identifier: String = one "businessObjectInstanceIdentifier",
        /// [`NOT_APPLICABLE`] for the aggregated contracts.
        pub clinical_process_interest_id: String = one "clinicalProcessInterestId",
        /// When the newest information was documented.
        pub most_recent_content: Option<Ts> = opt "mostRecentContent",
        /// HSA-ID of the source system.
        pub source_system: String = one "sourceSystem",
        /// Set by the index.
        pub creation_time: Option<Ts> = opt "creationTime",
        /// Set by the index.
        pub update_time: Option<Ts> = opt "updateTime",
        /// The care giver responsible for the information (personuppgiftsansvarig).
        pub data_controller: String = one "dataController",
        /// HSA-ID of the index that owns the engagement.
        pub owner: Option<String> = opt "owner",
    }
}

xml_struct! {
    /// EngagementTransactionType: add or update (`deleteFlag` false) or remove (true)
    /// one engagement.
    pub struct EngagementTransactionType("EngagementTransactionType") in ctx {
        pub delete_flag: bool = one "deleteFlag",
        pub engagement: EngagementType = one "engagement",
    }
}

xml_struct! {
    /// UpdateType: the Update request (1..n transactions; the index accepts at most
    /// [`MAX_TRANSACTIONS`]).
    pub struct Update("UpdateType") in (UPDATE_NS) with (NS) {
        pub engagement_transaction: Vec<EngagementTransactionType> = many1 "engagementTransaction",
    }
}

xml_struct! {
    /// UpdateResponseType. Note the capital `R` of `ResultCode`; `comment` carries the
    /// error text (e.g. `EI002 ...`).
    pub struct UpdateResponse("UpdateResponseType") in (UPDATE_NS) with (NS) {
        pub result_code: ResultCode = one "ResultCode",
        pub comment: Option<String> = opt "comment",
    }
}

xml_struct! {
    /// FindContentType: the FindContent request. Every field but the resident and the
    /// service domain narrows the search.
    pub struct FindContent("FindContentType") in (FIND_CONTENT_NS) with (NS) {
        pub registered_resident_identification: RegisteredResidentIdentification = one "registeredResidentIdentification",
        pub service_domain: String = one "serviceDomain",
        pub categorization: Option<String> = opt "categorization",
        pub logical_address: Option<String> = opt "logicalAddress",
        pub business_object_instance_identifier: Option<String> = opt "businessObjectInstanceIdentifier",
        pub clinical_process_interest_id: Option<String> = opt "clinicalProcessInterestId",
        pub most_recent_content: Option<Ts> = opt "mostRecentContent",
        pub source_system: Option<String> = opt "sourceSystem",
        pub data_controller: Option<String> = opt "dataController",
        pub owner: Option<String> = opt "owner",
    }
}

xml_struct! {
    /// FindContentResponseType: the matching engagements.
    pub struct FindContentResponse("FindContentResponseType") in (FIND_CONTENT_NS) with (NS) {
        pub engagement: Vec<EngagementType> = many "engagement",
    }
}

xml_struct! {
    /// ProcessNotificationType: changes an index passes on (1..n transactions).
    pub struct ProcessNotification("ProcessNotificationType") in (PROCESS_NOTIFICATION_NS) with (NS) {
        pub engagement_transaction: Vec<EngagementTransactionType> = many1 "engagementTransaction",
    }
}

xml_struct! {
    /// ProcessNotificationResponseType. Note the capital `R` of `ResultCode`.
    pub struct ProcessNotificationResponse("ProcessNotificationResponseType") in (PROCESS_NOTIFICATION_NS) with (NS) {
        pub result_code: ResultCode = one "ResultCode",
        pub comment: Option<String> = opt "comment",
    }
}

const UPDATE_PREFIXES: &[(&str, &str)] = &[("", UPDATE_NS), ("ei", NS)];
const FIND_CONTENT_PREFIXES: &[(&str, &str)] = &[("", FIND_CONTENT_NS), ("ei", NS)];
const PROCESS_NOTIFICATION_PREFIXES: &[(&str, &str)] = &[("", PROCESS_NOTIFICATION_NS), ("ei", NS)];

xml_root!(
    Update,
    ns = UPDATE_NS,
    name = "Update",
    ctx = NS,
    prefixes = UPDATE_PREFIXES
);
xml_root!(
    UpdateResponse,
    ns = UPDATE_NS,
    name = "UpdateResponse",
    ctx = NS,
    prefixes = UPDATE_PREFIXES
);
xml_root!(
    FindContent,
    ns = FIND_CONTENT_NS,
    name = "FindContent",
    ctx = NS,
    prefixes = FIND_CONTENT_PREFIXES
);
xml_root!(
    FindContentResponse,
    ns = FIND_CONTENT_NS,
    name = "FindContentResponse",
    ctx = NS,
    prefixes = FIND_CONTENT_PREFIXES
);
xml_root!(
    ProcessNotification,
    ns = PROCESS_NOTIFICATION_NS,
    name = "ProcessNotification",
    ctx = NS,
    prefixes = PROCESS_NOTIFICATION_PREFIXES
);
xml_root!(
    ProcessNotificationResponse,
    ns = PROCESS_NOTIFICATION_NS,
    name = "ProcessNotificationResponse",
    ctx = NS,
    prefixes = PROCESS_NOTIFICATION_PREFIXES
);

impl Operation for Update {
    type Response = UpdateResponse;
    const CONTRACT: &'static str = "Update";
    const MAJOR: u32 = 1;
    const SCHEMA_VERSION: &'static str = "1.0";
    const SOAP_ACTION: &'static str =
        "urn:riv:itintegration:engagementindex:UpdateResponder:1:Update";
}

impl Operation for FindContent {
    type Response = FindContentResponse;
    const CONTRACT: &'static str = "FindContent";
    const MAJOR: u32 = 1;
    const SCHEMA_VERSION: &'static str = "1.0";
    const SOAP_ACTION: &'static str =
        "urn:riv:itintegration:engagementindex:FindContentResponder:1:FindContent";
}

impl Operation for ProcessNotification {
    type Response = ProcessNotificationResponse;
    const CONTRACT: &'static str = "ProcessNotification";
    const MAJOR: u32 = 1;
    const SCHEMA_VERSION: &'static str = "1.0";
    const SOAP_ACTION: &'static str =
        "urn:riv:itintegration:engagementindex:ProcessNotificationResponder:1:ProcessNotification";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ts_follows_the_schema_pattern() {
        assert!(Ts::parse("20250917111500").is_some());
        // The pattern allows day 00 and 31 February, and is not a calendar check.
        assert!(Ts::parse("20250200000000").is_some());
        assert!(
            Ts::parse("20250200000000")
                .and_then(|t| t.to_time_stamp())
                .is_none()
        );
        for bad in [
            "02025091711150",
            "20251317111500",
            "20250932111500",
            "20250917241500",
            "20250917116000",
            "2025091711150",
            " 20250917111500",
        ] {
            assert!(Ts::parse(bad).is_none(), "{bad}");
        }
        let stamp = TimeStamp::parse("20250917111500").expect("valid");
        assert_eq!(Ts::from(stamp).as_str(), "20250917111500");
    }

    #[test]
    fn resident_ids_follow_the_schema_pattern() {
        assert!(RegisteredResidentIdentification::parse("201403129800").is_some());
        assert!(RegisteredResidentIdentification::parse("19701063T391").is_some());
        for bad in [
            "20140312980",
            "2014031298001",
            "20140312-9800",
            "2014031298T0",
            "^201403129800$",
        ] {
            assert!(
                RegisteredResidentIdentification::parse(bad).is_none(),
                "{bad}"
            );
        }
        let id = RegisteredResidentIdentification::parse("201403129800").expect("valid");
        assert!(id.to_patient_id().is_ok());
    }
}
