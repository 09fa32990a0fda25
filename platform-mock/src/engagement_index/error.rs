//! The engagement index's error codes and the SOAP Faults it answers with.
//!
//! Texts follow the real SKLTP index (`EiErrorCodeEnum`), wording included: the fault
//! string is `EI00x: <text>`, the fault code `soap:Server` (as CXF answers an exception
//! thrown by the service), HTTP 500. Values echoed in a text are HSA-IDs only, and
//! only when they cannot be a personal identity number; element names, never element
//! content, describe schema errors.

use npo_contracts::engagement_index::RegisteredResidentIdentification;
use npo_contracts::soap::{Fault, encode_fault};
use npo_contracts::types::{HsaId, PatientId};

/// The engagement index error codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EiErrorCode {
    /// EI000: technical error (database down; too many or too few transactions;
    /// FindContent without resident or service domain).
    Ei000,
    /// EI001: the payload does not follow the XML Schema.
    Ei001,
    /// EI002: two transactions of one call have the same key (Update-R1).
    Ei002,
    /// EI003: Update addressed to another logical address than the index's (Update-R7).
    Ei003,
    /// EI004: a mandatory field is missing, blank, padded with white space, too long,
    /// or a time stamp is not a real time.
    Ei004,
    /// EI005: an engagement's `logicalAddress` is a reserved HSA-ID.
    Ei005,
    /// EI006: an engagement's `sourceSystem` is a reserved HSA-ID.
    Ei006,
}

impl EiErrorCode {
    /// `EI000` ... `EI006`.
    pub fn as_str(self) -> &'static str {
        match self {
            EiErrorCode::Ei000 => "EI000",
            EiErrorCode::Ei001 => "EI001",
            EiErrorCode::Ei002 => "EI002",
            EiErrorCode::Ei003 => "EI003",
            EiErrorCode::Ei004 => "EI004",
            EiErrorCode::Ei005 => "EI005",
            EiErrorCode::Ei006 => "EI006",
        }
    }
}

impl std::fmt::Display for EiErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A refused or failed engagement index call: answered with a SOAP Fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct EiFault {
    /// The error code.
    pub code: EiErrorCode,
    /// The English text (no personal data).
    pub message: String,
}

impl EiFault {
    /// EI000 with the real index's wording around `detail`.
    pub fn technical(detail: impl std::fmt::Display) -> Self {
        EiFault {
            code: EiErrorCode::Ei000,
            message: format!("A technical error has occurred, error message: {detail}"),
        }
    }

    /// EI001 with the real index's wording around `detail`.
    pub fn schema(detail: impl std::fmt::Display) -> Self {
        EiFault {
            code: EiErrorCode::Ei001,
            message: format!("The payload does not follow the XML Schema, error messge: {detail}"),
        }
    }

    /// EI002: transactions `first` and `second` (1-based) have the same key.
    pub fn duplicate(first: usize, second: usize) -> Self {
        EiFault {
            code: EiErrorCode::Ei002,
            message: format!(
                "EngagementTransaction #{first} and #{second} have the same key. That is not \
                 allowed. See rule for Update-R1 in service contract"
            ),
        }
    }

    /// EI003: Update sent to `logical_address` (`None`: missing or empty).
    pub fn wrong_logical_address(logical_address: Option<&str>, owner: &str) -> Self {
        let given = logical_address.map_or_else(|| "missing".to_owned(), shown);
        EiFault {
            code: EiErrorCode::Ei003,
            message: format!(
                "Invalid routing. Logical address is {given} but the owner is {}. They must be \
                 the same. See rule for Update-R7 in service contract",
                shown(owner)
            ),
        }
    }

    /// EI004 with the real index's wording around `detail`.
    pub fn invalid(detail: impl std::fmt::Display) -> Self {
        EiFault {
            code: EiErrorCode::Ei004,
            message: format!("The payload does not validate, error messge: {detail}"),
        }
    }

    /// EI004: a mandatory field is missing or blank.
    pub fn missing(field: &str) -> Self {
        EiFault::invalid(format_args!("mandatory field \"{field}\" is missing"))
    }

    /// EI005: transaction `index` (1-based) has a reserved `logicalAddress`.
    pub fn reserved_logical_address(index: usize, hsa_id: &str) -> Self {
        EiFault {
            code: EiErrorCode::Ei005,
            message: format!(
                "The logicalAddress in EngagementTransaction #{index} is reserved and not \
                 allowed, hsa-id: {}",
                shown(hsa_id)
            ),
        }
    }

    /// EI006: transaction `index` (1-based) has a reserved `sourceSystem`.
    pub fn reserved_source_system(index: usize, hsa_id: &str) -> Self {
        EiFault {
            code: EiErrorCode::Ei006,
            message: format!(
                "The sourceSystem in EngagementTransaction #{index} is reserved and not \
                 allowed, hsa-id: {}",
                shown(hsa_id)
            ),
        }
    }

    /// The fault string, `EI00x: <text>`.
    pub fn fault_string(&self) -> String {
        self.to_string()
    }

    /// The SOAP Fault (`soap:Server`, as the real index answers).
    pub fn to_fault(&self) -> Fault {
        Fault::server(self.fault_string())
    }

    /// The whole SOAP 1.1 Fault envelope, to send with [`Self::HTTP_STATUS`].
    pub fn to_soap(&self) -> String {
        encode_fault(&self.to_fault())
    }

    /// The HTTP status a SOAP Fault is sent with.
    pub const HTTP_STATUS: u16 = 500;
}

/// A value from the request as it may appear in a fault or log line: an HSA-ID that
/// cannot be a personal identity number, else a placeholder.
pub(crate) fn shown(value: &str) -> String {
    let looks_personal =
        PatientId::parse(value).is_ok() || RegisteredResidentIdentification::parse(value).is_some();
    if HsaId::parse(value).is_ok() && !looks_personal {
        value.to_owned()
    } else {
        "(value not shown)".to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn faults_carry_the_code_first() {
        let fault = EiFault::duplicate(1, 2).to_fault();
        assert!(
            fault
                .string
                .starts_with("EI002: EngagementTransaction #1 and #2")
        );
        assert!(EiFault::duplicate(1, 2).to_soap().contains("soap:Server"));
    }

    #[test]
    fn personal_identity_numbers_are_never_echoed() {
        assert_eq!(shown("SE2120009994-EH7S"), "SE2120009994-EH7S");
        assert_eq!(shown("5565594230"), "5565594230");
        assert_eq!(shown("191212121212"), "(value not shown)");
        assert_eq!(shown("19121212-1212"), "(value not shown)");
        assert_eq!(shown(" SE1"), "(value not shown)");
        let fault = EiFault::wrong_logical_address(Some("191212121212"), "SE5599000014-EI4R");
        assert!(!fault.message.contains("191212121212"));
    }
}
