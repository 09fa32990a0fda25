//! Core types of the domain `clinicalprocess:logistics:logistics`, version 3.0
//! (namespace `urn:riv:clinicalprocess:logistics:logistics:3`): everything reachable
//! from GetCareContacts 3 (see [`crate::get_care_contacts`]).
//!
//! Shapes identical to the shared ones are reused from [`crate::types`]: CVType
//! ([`CvType`]), PersonIdType, DatePeriodType (both ends required),
//! LegalAuthenticatorType, ResultType (errorCode `INVALID_REQUEST` only), OrgUnitType
//! (every part optional) and HealthcareProfessionalType. This domain's own shapes are
//! declared here: its TimePeriodType has a *required* start, and its
//! PatientSummaryHeaderType puts `careContactId` last (after `nullified` and
//! `nullifiedReason`).

pub use crate::types::common::{HealthcareProfessionalType, OrgUnitType};
use crate::types::{CvType, LegalAuthenticatorType, PersonIdType, TimeStamp};
use crate::xml::XmlText;
use crate::{xml_enum, xml_struct};

/// Core namespace of the logistics domain, major 3.
pub const NS: &str = "urn:riv:clinicalprocess:logistics:logistics:3";
/// Enumerations namespace of the logistics domain, major 3.
pub const ENUMS_NS: &str = "urn:riv:clinicalprocess:logistics:logistics:enums:3";

/// OID of the code system KV Vårdkontakttyp, used in `careContactCode`.
pub const KV_VARDKONTAKTTYP_OID: &str = "1.2.752.129.2.2.2.25";

/// KV Vårdkontakttyp codes (the domain's CareContactCodeEnum: 1 Besök, 2 Telefon,
/// 3 Vårdtillfälle, 4 Dagsjukvård, 5 Annan), as `(code, display name)`.
pub const KV_VARDKONTAKTTYP: &[(&str, &str)] = &[
    ("1", "Besök"),
    ("2", "Telefon"),
    ("3", "Vårdtillfälle"),
    ("4", "Dagsjukvård"),
    ("5", "Annan"),
];

/// The care contact statuses the field rules name, sent as `careContactStatus`
/// `originalText`.
pub const CARE_CONTACT_STATUSES: &[&str] = &[
    "Ej påbörjad",
    "Inställd",
    "Pågående",
    "Avbruten",
    "Avslutad",
];

xml_struct! {
    /// TimePeriodType (logistics 3.0): a period of time stamps whose `start` is
    /// required; a missing `end` means the period is open.
    pub struct TimePeriodType("TimePeriodType") in ctx {
        pub start: TimeStamp = one "start",
        pub end: Option<TimeStamp> = opt "end",
    }
}

xml_struct! {
    /// PatientSummaryHeaderType (logistics 3.0): the common header of a record. For
    /// GetCareContacts the field rules forbid `documentTitle`, `documentTime`,
    /// `legalAuthenticator`, `nullified`, `nullifiedReason` and `careContactId` (the
    /// contact's own id is `documentId`).
    pub struct PatientSummaryHeaderType("PatientSummaryHeaderType") in ctx {
        pub document_id: String = one "documentId",
        pub source_system_hsa_id: String = one "sourceSystemHSAId",
        pub document_title: Option<String> = opt "documentTitle",
        pub document_time: Option<TimeStamp> = opt "documentTime",
        pub patient_id: PersonIdType = one "patientId",
        pub accountable_healthcare_professional: HealthcareProfessionalType = one "accountableHealthcareProfessional",
        pub legal_authenticator: Option<LegalAuthenticatorType> = opt "legalAuthenticator",
        pub approved_for_patient: bool = one "approvedForPatient",
        pub nullified: Option<bool> = opt "nullified",
        pub nullified_reason: Option<String> = opt "nullifiedReason",
        pub care_contact_id: Option<String> = opt "careContactId",
    }
}

impl PatientSummaryHeaderType {
    /// Whether the header leaves out every element GetCareContacts' field rules forbid
    /// (documentTitle, documentTime, legalAuthenticator, nullified, nullifiedReason,
    /// careContactId).
    pub fn follows_care_contact_rules(&self) -> bool {
        self.document_title.is_none()
            && self.document_time.is_none()
            && self.legal_authenticator.is_none()
            && self.nullified.is_none()
            && self.nullified_reason.is_none()
            && self.care_contact_id.is_none()
    }
}

xml_enum! {
    /// DateTypeFormatEnum: the precision of a [`PartialDateType`].
    pub enum DateTypeFormatEnum("DateTypeFormatEnum") {
        /// Year only.
        Year = "YYYY",
        /// Year and month.
        YearMonth = "YYYYMM",
        /// A full date.
        YearMonthDay = "YYYYMMDD",
    }
}

/// PartialDateValueType: a year, optionally with month and day, written `YYYY`,
/// `YYYYMM` or `YYYYMMDD` (an optional leading `-` is allowed by the pattern).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PartialDateValue(String);

/// Whether `text` is two ASCII digits whose value lies in `low..=high`.
fn two_digits_in(text: &str, low: u8, high: u8) -> bool {
    match text.as_bytes() {
        [a, b] if a.is_ascii_digit() && b.is_ascii_digit() => {
            (low..=high).contains(&((a - b'0') * 10 + (b - b'0')))
        }
        _ => false,
    }
}

impl PartialDateValue {
    /// Checks the pattern
    /// `-?([1-9][0-9]{3}|0[0-9]{3})((0[1-9]|1[0-2])((0[1-9]|[12][0-9]|3[01]))?)?`.
    pub fn parse(text: &str) -> Option<Self> {
        let unsigned = text.strip_prefix('-').unwrap_or(text);
        if !unsigned.is_ascii() {
            return None;
        }
        let year_ok = unsigned.len() >= 4 && unsigned[..4].bytes().all(|b| b.is_ascii_digit());
        let ok = year_ok
            && match unsigned.len() {
                4 => true,
                6 => two_digits_in(&unsigned[4..6], 1, 12),
                8 => two_digits_in(&unsigned[4..6], 1, 12) && two_digits_in(&unsigned[6..8], 1, 31),
                _ => false,
            };
        ok.then(|| PartialDateValue(text.to_owned()))
    }

    /// The lexical form.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The precision the value is written in (`None` for a negative year).
    pub fn format(&self) -> Option<DateTypeFormatEnum> {
        match self.0.len() {
            4 => Some(DateTypeFormatEnum::Year),
            6 => Some(DateTypeFormatEnum::YearMonth),
            8 => Some(DateTypeFormatEnum::YearMonthDay),
            _ => None,
        }
    }
}

impl XmlText for PartialDateValue {
    fn from_xml_text(text: &str) -> Result<Self, String> {
        PartialDateValue::parse(text)
            .ok_or_else(|| "not a PartialDateValueType (YYYY, YYYYMM or YYYYMMDD)".to_owned())
    }

    fn write_xml_text(&self, out: &mut String) {
        crate::xml::escape_into(out, &self.0, false);
    }
}

xml_struct! {
    /// PartialDateType: a date known to the year, month or day, with its precision.
    pub struct PartialDateType("PartialDateType") in ctx {
        pub format: DateTypeFormatEnum = one "format",
        pub value: PartialDateValue = one "value",
    }
}

impl PartialDateType {
    /// Whether `value` is written in the precision `format` states.
    pub fn is_consistent(&self) -> bool {
        self.value.format() == Some(self.format)
    }
}

xml_struct! {
    /// AdditionalPatientInformationType: the patient's birth date and gender.
    pub struct AdditionalPatientInformationType("AdditionalPatientInformationType") in ctx {
        pub date_of_birth: Option<PartialDateType> = opt "dateOfBirth",
        pub gender: Option<CvType> = opt "gender",
    }
}

xml_struct! {
    /// CareContactBodyType: the kind of contact (KV Vårdkontakttyp), reason, unit,
    /// period and status (by `originalText`).
    pub struct CareContactBodyType("CareContactBodyType") in ctx {
        pub care_contact_code: Option<CvType> = opt "careContactCode",
        pub care_contact_reason: Option<String> = opt "careContactReason",
        pub care_contact_org_unit: Option<OrgUnitType> = opt "careContactOrgUnit",
        pub care_contact_time_period: Option<TimePeriodType> = opt "careContactTimePeriod",
        pub care_contact_status: Option<CvType> = opt "careContactStatus",
        pub additional_patient_information: Option<AdditionalPatientInformationType> = opt "additionalPatientInformation",
    }
}

xml_struct! {
    /// CareContactType: one care contact record.
    pub struct CareContactType("CareContactType") in ctx {
        pub care_contact_header: PatientSummaryHeaderType = one "careContactHeader",
        pub care_contact_body: CareContactBodyType = one "careContactBody",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partial_dates_follow_the_pattern() {
        for ok in ["2014", "201403", "20140312", "-0500", "0999"] {
            assert!(PartialDateValue::parse(ok).is_some(), "{ok}");
        }
        for bad in [
            "14",
            "20141",
            "201413",
            "20140300",
            "20140332",
            "2014031",
            "２０１４",
        ] {
            assert!(PartialDateValue::parse(bad).is_none(), "{bad}");
        }
        let date = PartialDateType {
            format: DateTypeFormatEnum::YearMonth,
            value: PartialDateValue::parse("201403").expect("valid"),
        };
        assert!(date.is_consistent());
    }
}
