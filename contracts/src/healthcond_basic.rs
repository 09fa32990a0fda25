//! Core types of the domain `clinicalprocess:healthcond:basic`, version 1.1
//! (namespace `urn:riv:clinicalprocess:healthcond:basic:1`): everything reachable
//! from GetObservations 1 (see [`crate::get_observations`]).
//!
//! This domain differs from the others in its basic shapes, so most are declared
//! here: its CVType requires `code` and `codeSystem` and has no `originalText`; its
//! IIType requires `extension`; its LegalAuthenticatorType is `id`/`time`/`name` with a
//! partial time stamp; times of observations are partial time stamps (`format` +
//! `value`). Only TimePeriodType (both ends optional) is the shared [`TimePeriodType`].

use crate::types::{Date, ResultCode, TimePeriodType, TimeStamp};
use crate::xml::{Decimal, XmlText, escape_into};
use crate::{xml_enum, xml_struct};

/// Core namespace of the basic domain, major 1.
pub const NS: &str = "urn:riv:clinicalprocess:healthcond:basic:1";
/// Enumerations namespace of the basic domain, major 1. (Singular `enum`, unlike the
/// `enums` of the other domains.)
pub const ENUM_NS: &str = "urn:riv:clinicalprocess:healthcond:basic:enum:1";

fn two_digits_in(text: &str, low: u8, high: u8) -> bool {
    match text.as_bytes() {
        [a, b] if a.is_ascii_digit() && b.is_ascii_digit() => {
            (low..=high).contains(&((a - b'0') * 10 + (b - b'0')))
        }
        _ => false,
    }
}

xml_struct! {
    /// CVType (basic 1.1): a coded value. `code` and `codeSystem` are required and there
    /// is no `originalText` in this domain.
    pub struct CvType("CVType") in ctx {
        pub code: String = one "code",
        pub code_system: String = one "codeSystem",
        pub code_system_name: Option<String> = opt "codeSystemName",
        pub code_system_version: Option<String> = opt "codeSystemVersion",
        pub display_name: Option<String> = opt "displayName",
    }
}

impl CvType {
    /// A code from a code system, with its display name.
    pub fn coded(code: &str, code_system: &str, display_name: &str) -> Self {
        CvType {
            code: code.to_owned(),
            code_system: code_system.to_owned(),
            code_system_name: None,
            code_system_version: None,
            display_name: Some(display_name.to_owned()),
        }
    }
}

xml_struct! {
    /// IIType (basic 1.1): an instance identifier; `root` (an OID or UUID naming the
    /// identifier space) and `extension` are both required.
    pub struct IiType("IIType") in ctx {
        pub root: String = one "root",
        pub extension: String = one "extension",
    }
}

impl IiType {
    /// An identifier `extension` in the space `root`.
    pub fn new(root: &str, extension: &str) -> Self {
        IiType {
            root: root.to_owned(),
            extension: extension.to_owned(),
        }
    }

    /// Reads a patient identifier (`root` = the number's type OID, `extension` = the
    /// number).
    pub fn to_patient_id(&self) -> Result<crate::types::PatientId, crate::types::PatientIdError> {
        crate::types::PatientId::from_typed(&self.extension, &self.root)
    }
}

/// UUIDType: a version 4 UUID in its 36-character canonical form (either case), as
/// the schema's pattern requires.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Uuid(String);

impl Uuid {
    /// Checks `[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-4[0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}`.
    pub fn parse(text: &str) -> Option<Self> {
        let bytes = text.as_bytes();
        if bytes.len() != 36 {
            return None;
        }
        let ok = bytes.iter().enumerate().all(|(i, &b)| match i {
            8 | 13 | 18 | 23 => b == b'-',
            14 => b == b'4',
            19 => matches!(b, b'8' | b'9' | b'a' | b'b' | b'A' | b'B'),
            _ => b.is_ascii_hexdigit(),
        });
        ok.then(|| Uuid(text.to_owned()))
    }

    /// The lexical form.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl XmlText for Uuid {
    fn from_xml_text(text: &str) -> Result<Self, String> {
        Uuid::parse(text).ok_or_else(|| {
            "not a UUIDType (a version 4 UUID, 36 characters, e.g. \
             3f2b8c1e-6d4a-4b7e-9c01-5a6f7e8d9c0b)"
                .to_owned()
        })
    }

    fn write_xml_text(&self, out: &mut String) {
        escape_into(out, &self.0, false);
    }
}

xml_enum! {
    /// TimeStampTypeFormatEnum: the precision of a [`PartialTimeStampType`].
    pub enum TimeStampTypeFormatEnum("TimeStampTypeFormatEnum") {
        /// Year.
        Year = "YYYY",
        /// Year and month.
        YearMonth = "YYYYMM",
        /// Date.
        Date = "YYYYMMDD",
        /// Date and hour.
        DateHour = "YYYYMMDDhh",
        /// Date, hour and minute.
        DateMinute = "YYYYMMDDhhmm",
        /// Date and time to the second.
        DateSecond = "YYYYMMDDhhmmss",
    }
}

impl TimeStampTypeFormatEnum {
    /// The number of digits a value of this precision has.
    pub fn digits(self) -> usize {
        match self {
            TimeStampTypeFormatEnum::Year => 4,
            TimeStampTypeFormatEnum::YearMonth => 6,
            TimeStampTypeFormatEnum::Date => 8,
            TimeStampTypeFormatEnum::DateHour => 10,
            TimeStampTypeFormatEnum::DateMinute => 12,
            TimeStampTypeFormatEnum::DateSecond => 14,
        }
    }
}

/// PartialTimeStampValueType: a year optionally followed by month, day and time
/// (`YYYY` ... `YYYYMMDDhhmmss`), checked against the schema's pattern.
///
/// The pattern is looser than its documentation: after the month or the day it accepts
/// `[hh]mmss` (so a 10- or 12-digit value is read by the pattern as minutes and
/// seconds), and a leading `-`. This type accepts exactly what the pattern accepts;
/// [`PartialTimeStampType::is_consistent`] checks the value against its `format`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PartialTimeStampValue(String);

impl PartialTimeStampValue {
    /// Checks the pattern `-?([1-9][0-9]{3}|0[0-9]{3})((0[1-9]|1[0-2])((0[1-9]|[12][0-9]|3[01]))?(((0[0-9]|1[0-9]|2[0123]))?([0-5])([0-9])([0-5])([0-9]))?)?`.
    pub fn parse(text: &str) -> Option<Self> {
        let unsigned = text.strip_prefix('-').unwrap_or(text);
        if !unsigned.is_ascii()
            || unsigned.len() < 4
            || !unsigned[..4].bytes().all(|b| b.is_ascii_digit())
        {
            return None;
        }
        let rest = &unsigned[4..];
        let ok = rest.is_empty()
            || (rest.len() >= 2 && two_digits_in(&rest[..2], 1, 12) && after_month(&rest[2..]));
        ok.then(|| PartialTimeStampValue(text.to_owned()))
    }

    /// The lexical form.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The value as a full time stamp when it is written to the second.
    pub fn to_time_stamp(&self) -> Option<TimeStamp> {
        TimeStamp::parse(&self.0)
    }
}

/// `((DD)?((hh)?mmss)?)` after the month.
fn after_month(rest: &str) -> bool {
    let time = |t: &str| match t.len() {
        4 => two_digits_in(&t[..2], 0, 59) && two_digits_in(&t[2..], 0, 59),
        6 => {
            two_digits_in(&t[..2], 0, 23)
                && two_digits_in(&t[2..4], 0, 59)
                && two_digits_in(&t[4..], 0, 59)
        }
        _ => false,
    };
    rest.is_empty()
        || time(rest)
        || (rest.len() >= 2
            && two_digits_in(&rest[..2], 1, 31)
            && (rest.len() == 2 || time(&rest[2..])))
}

impl XmlText for PartialTimeStampValue {
    fn from_xml_text(text: &str) -> Result<Self, String> {
        PartialTimeStampValue::parse(text).ok_or_else(|| {
            "not a PartialTimeStampValueType (YYYY, YYYYMM, YYYYMMDD, YYYYMMDDhh, \
             YYYYMMDDhhmm or YYYYMMDDhhmmss)"
                .to_owned()
        })
    }

    fn write_xml_text(&self, out: &mut String) {
        escape_into(out, &self.0, false);
    }
}

xml_struct! {
    /// PartialTimeStampType: a point in time of stated precision.
    pub struct PartialTimeStampType("PartialTimeStampType") in ctx {
        pub format: TimeStampTypeFormatEnum = one "format",
        pub value: PartialTimeStampValue = one "value",
    }
}

impl PartialTimeStampType {
    /// Whether `value` has the number of digits `format` states (the schema does not
    /// check this).
    pub fn is_consistent(&self) -> bool {
        let digits = self.value.as_str();
        !digits.starts_with('-') && digits.len() == self.format.digits()
    }
}

xml_struct! {
    /// PartialTimePeriodType: a period whose ends are partial time stamps; either end
    /// may be missing.
    pub struct PartialTimePeriodType("PartialTimePeriodType") in ctx {
        pub start: Option<PartialTimeStampType> = opt "start",
        pub end: Option<PartialTimeStampType> = opt "end",
    }
}

xml_struct! {
    /// PQType: a physical quantity, a decimal value and its unit (UCUM, e.g. `cm`,
    /// `kg`, `kg/m2`).
    pub struct PqType("PQType") in ctx {
        pub value: Decimal = one "value",
        pub unit: String = one "unit",
    }
}

xml_struct! {
    /// ValueANYType: an observation's value. The schema is a sequence for
    /// compatibility, but only one of `pq`, `ts`, `ivl_ts` and `cv` is meant to be
    /// given (see [`ValueAnyType::is_single`]).
    pub struct ValueAnyType("ValueANYType") in ctx {
        pub pq: Option<PqType> = opt "pq",
        pub ts: Option<PartialTimeStampType> = opt "ts",
        pub ivl_ts: Option<PartialTimePeriodType> = opt "ivl_ts",
        pub cv: Option<CvType> = opt "cv",
    }
}

impl ValueAnyType {
    /// Whether exactly one kind of value is given, as the schema's comment requires.
    pub fn is_single(&self) -> bool {
        [
            self.pq.is_some(),
            self.ts.is_some(),
            self.ivl_ts.is_some(),
            self.cv.is_some(),
        ]
        .iter()
        .filter(|&&given| given)
        .count()
            == 1
    }
}

xml_struct! {
    /// SCType: a string with an optional code.
    pub struct ScType("SCType") in ctx {
        pub code: Option<CvType> = opt "code",
        pub value: Option<String> = opt "value",
    }
}

xml_enum! {
    /// AddressPartTypeEnum: the kind of an address part.
    pub enum AddressPartTypeEnum("AddressPartTypeEnum") {
        /// Street address line.
        Sal = "SAL",
        /// Care-of address.
        Car = "CAR",
        /// Area or block name.
        Cen = "CEN",
        /// Country.
        Cnt = "CNT",
        /// County (län).
        Cpa = "CPA",
        /// Postal town.
        Cty = "CTY",
        /// Post box.
        Pob = "POB",
        /// Postal code.
        Zip = "ZIP",
        /// District (LKF).
        Pre = "PRE",
        /// Region or province.
        Sta = "STA",
    }
}

xml_enum! {
    /// PostalAddressUseEnum: what an address is used for.
    pub enum PostalAddressUseEnum("PostalAddressUseEnum") {
        /// Physical place, visiting address.
        Phys = "PHYS",
        /// Home address.
        H = "H",
        /// Vacation address.
        Hv = "HV",
        /// Work place.
        Wp = "WP",
        /// Temporary address.
        Tmp = "TMP",
    }
}

xml_enum! {
    /// TelTypeEnum: the kind of an electronic address.
    pub enum TelTypeEnum("TelTypeEnum") {
        /// Voice telephone number.
        Voice = "voice",
        /// Fax number.
        Fax = "fax",
        /// E-mail address.
        Data = "data",
        /// Number for text messages.
        Sms = "sms",
    }
}

xml_struct! {
    /// AddressPartType: one part of a postal address.
    pub struct AddressPartType("AddressPartType") in ctx {
        pub value: String = one "value",
        pub r#type: Option<AddressPartTypeEnum> = opt "type",
    }
}

xml_struct! {
    /// AddressType: a postal address made of typed parts.
    pub struct AddressType("AddressType") in ctx {
        pub r#use: Option<PostalAddressUseEnum> = opt "use",
        pub part: Vec<AddressPartType> = many1 "part",
    }
}

xml_struct! {
    /// TelType: an electronic address (phone number, e-mail) and its use.
    pub struct TelType("TelType") in ctx {
        pub r#use: TelTypeEnum = one "use",
        pub value: String = one "value",
    }
}

xml_struct! {
    /// PersonType: a person by identifier and name.
    pub struct PersonType("PersonType") in ctx {
        pub id: Option<IiType> = opt "id",
        pub name: Option<String> = opt "name",
    }
}

xml_struct! {
    /// OrganisationType: an organisation by identifier and name.
    pub struct OrganisationType("OrganisationType") in ctx {
        pub id: Option<IiType> = opt "id",
        pub name: Option<String> = opt "name",
    }
}

xml_struct! {
    /// DeviceType: a device (e.g. a scale or a length board) by identifier, type and
    /// model.
    pub struct DeviceType("DeviceType") in ctx {
        pub id: Option<IiType> = opt "id",
        pub r#type: Option<CvType> = opt "type",
        pub model: Option<ScType> = opt "model",
    }
}

xml_struct! {
    /// LocationType: a place with its postal and electronic addresses.
    pub struct LocationType("LocationType") in ctx {
        pub id: Option<IiType> = opt "id",
        pub name: String = one "name",
        pub address: Vec<AddressType> = many "address",
        pub electronic_address: Vec<TelType> = many "electronicAddress",
    }
}

xml_struct! {
    /// CareGiverType: a care giver (vårdgivare).
    pub struct CareGiverType("CareGiverType") in ctx {
        pub id: IiType = one "id",
        pub name: Option<String> = opt "name",
    }
}

xml_struct! {
    /// CareUnitType: a care unit (vårdenhet) and its care giver.
    pub struct CareUnitType("CareUnitType") in ctx {
        pub id: IiType = one "id",
        pub name: Option<String> = opt "name",
        pub care_giver: CareGiverType = one "careGiver",
    }
}

xml_struct! {
    /// PatientType: the patient the observations are about.
    pub struct PatientType("PatientType") in ctx {
        pub id: IiType = one "id",
        pub name: Option<String> = opt "name",
        pub date_of_birth: Date = one "dateOfBirth",
        pub gender: Option<CvType> = opt "gender",
    }
}

xml_struct! {
    /// PerformerRoleType: who made the observations, in which role and care unit.
    pub struct PerformerRoleType("PerformerRoleType") in ctx {
        pub id: Option<IiType> = opt "id",
        pub code: CvType = one "code",
        pub person: Option<PersonType> = opt "person",
        pub care_unit: Option<CareUnitType> = opt "careUnit",
    }
}

xml_struct! {
    /// LegalAuthenticatorType (basic 1.1): who signed the observations, and when.
    pub struct LegalAuthenticatorType("LegalAuthenticatorType") in ctx {
        pub id: Option<IiType> = opt "id",
        pub time: PartialTimeStampType = one "time",
        pub name: Option<String> = opt "name",
    }
}

xml_struct! {
    /// AdditionalParticipantType: another participant (a person, organisation, device
    /// or location) with its type, role and time.
    pub struct AdditionalParticipantType("AdditionalParticipantType") in ctx {
        pub id: Option<IiType> = opt "id",
        pub r#type: CvType = one "type",
        pub role: CvType = one "role",
        pub time: Option<TimePeriodType> = opt "time",
        pub person: Option<PersonType> = opt "person",
        pub organisation: Option<OrganisationType> = opt "organisation",
        pub device: Option<DeviceType> = opt "device",
        pub location: Option<LocationType> = opt "location",
    }
}

xml_struct! {
    /// SourceSystemType: the system the observations come from.
    pub struct SourceSystemType("SourceSystemType") in ctx {
        pub id: IiType = one "id",
    }
}

xml_struct! {
    /// InformationOwnerType: who owns referred information.
    pub struct InformationOwnerType("InformationOwnerType") in ctx {
        pub id: IiType = one "id",
    }
}

xml_struct! {
    /// ReferredInformationType: the information a relation points to.
    pub struct ReferredInformationType("ReferredInformationType") in ctx {
        pub id: IiType = one "id",
        pub time: PartialTimeStampType = one "time",
        pub r#type: String = one "type",
        pub information_owner: InformationOwnerType = one "informationOwner",
    }
}

xml_struct! {
    /// RelationType: a typed relation from an observation to other information.
    pub struct RelationType("RelationType") in ctx {
        pub code: CvType = one "code",
        pub referred_information: ReferredInformationType = one "referredInformation",
    }
}

xml_struct! {
    /// RelationFilterType: a request filter for observations related to given
    /// information.
    pub struct RelationFilterType("RelationFilterType") in ctx {
        pub id: Option<IiType> = opt "id",
        pub type_code: Option<CvType> = opt "typeCode",
        pub referred_information_type: String = one "referredInformationType",
    }
}

xml_struct! {
    /// ObservationType: one observation — what was observed, when, how, its value and
    /// its relations.
    pub struct ObservationType("ObservationType") in ctx {
        pub id: IiType = one "id",
        pub r#type: CvType = one "type",
        pub status: Option<CvType> = opt "status",
        pub time: PartialTimePeriodType = one "time",
        pub method: Option<CvType> = opt "method",
        pub value: ValueAnyType = one "value",
        pub target_site: Option<CvType> = opt "targetSite",
        pub value_negation: bool = one "valueNegation",
        pub description: Option<String> = opt "description",
        pub approved_for_patient: bool = one "approvedForPatient",
        pub registration_time: Option<TimeStamp> = opt "registrationTime",
        pub relation: Vec<RelationType> = many "relation",
    }
}

xml_struct! {
    /// ObservationGroupType: observations made together, sharing patient, performer,
    /// signer, other participants and source system.
    pub struct ObservationGroupType("ObservationGroupType") in ctx {
        pub patient: PatientType = one "patient",
        pub performer_role: PerformerRoleType = one "performerRole",
        pub legal_authenticator: Option<LegalAuthenticatorType> = opt "legalAuthenticator",
        pub additional_participant: Vec<AdditionalParticipantType> = many "additionalParticipant",
        pub source_system: SourceSystemType = one "sourceSystem",
        pub observation: Vec<ObservationType> = many1 "observation",
    }
}

xml_enum! {
    /// ErrorCodeEnum (basic 1.1).
    pub enum ErrorCode("ErrorCodeEnum") {
        /// The request breaks a field rule of the contract.
        InvalidRequest = "INVALID_REQUEST",
        /// The data could not be transformed to the contract's format.
        TransformationError = "TRANSFORMATION_ERROR",
        /// An error in the producer's application logic.
        ApplicationError = "APPLICATION_ERROR",
        /// A technical error in the producer.
        TechnicalError = "TECHNICAL_ERROR",
    }
}

xml_struct! {
    /// ResultType (basic 1.1): `logId` is optional and there are four error codes.
    /// Declared by the domain's core schema for completeness; GetObservations 1.1's
    /// response carries no result element.
    pub struct ResultType("ResultType") in ctx {
        pub result_code: ResultCode = one "resultCode",
        pub error_code: Option<ErrorCode> = opt "errorCode",
        pub log_id: Option<String> = opt "logId",
        pub sub_code: Option<String> = opt "subCode",
        pub message: Option<String> = opt "message",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partial_time_stamps_follow_the_schema_pattern() {
        for ok in [
            "2014",
            "201407",
            "20140714",
            "2014071409",
            "201407140940",
            "20140714094012",
            "-0044",
        ] {
            assert!(PartialTimeStampValue::parse(ok).is_some(), "{ok}");
        }
        for bad in [
            "14",
            "20140",
            "201413",
            "20140700",
            "20140714246000",
            "2014071409401",
            "2014-07-14",
            "",
        ] {
            assert!(PartialTimeStampValue::parse(bad).is_none(), "{bad}");
        }
        let stamp = PartialTimeStampType {
            format: TimeStampTypeFormatEnum::DateMinute,
            value: PartialTimeStampValue::parse("201407140940").expect("valid"),
        };
        assert!(stamp.is_consistent());
    }

    #[test]
    fn uuids_must_be_version_4() {
        assert!(Uuid::parse("3f2b8c1e-6d4a-4b7e-9c01-5a6f7e8d9c0b").is_some());
        assert!(Uuid::parse("3F2B8C1E-6D4A-4B7E-AC01-5A6F7E8D9C0B").is_some());
        assert!(Uuid::parse("3f2b8c1e-6d4a-1b7e-9c01-5a6f7e8d9c0b").is_none());
        assert!(Uuid::parse("3f2b8c1e-6d4a-4b7e-7c01-5a6f7e8d9c0b").is_none());
        assert!(Uuid::parse("3f2b8c1e6d4a4b7e9c015a6f7e8d9c0b").is_none());
    }
}
