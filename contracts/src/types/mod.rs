//! Identifiers and value types shared by the contracts.

pub mod common;
pub mod hsa;
pub mod patient;
pub mod time;

pub use common::{
    CvType, DatePeriodType, ErrorCode, IiType, LegalAuthenticatorType, PersonIdType, ResultCode,
    ResultType, TimePeriodType,
};
pub use hsa::{HsaId, HsaIdError};
pub use patient::{
    PERSONNUMMER_OID, PatientId, PatientIdError, PatientIdKind, SAMORDNINGSNUMMER_OID,
};
pub use time::{Date, TimeStamp};
