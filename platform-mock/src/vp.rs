//! The virtualisation platform's error codes (VP001–VP015) and the SOAP 1.1 Fault each
//! becomes.
//!
//! Texts and fault codes follow SKLTP VP (`vp-messages.properties` and
//! `VpSemanticErrorCodeEnum` in skltp/vp): `faultstring` is `VPxxx [instance-id]
//! <Swedish text>`, `detail` carries the English details, `faultcode` is `soap:Client`
//! or `soap:Server` per code (note VP007 is a Server fault there), and the HTTP status is
//! always 500.

use npo_contracts::soap::{Fault, FaultCode};

/// A VP error code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum VpCode {
    /// No RIV-TA header (no `LogicalAddress`), or a RIV version the platform does not
    /// support.
    Vp001,
    /// No or unusable client certificate (no `serialNumber` HSA-ID).
    Vp002,
    /// The `LogicalAddress` is empty.
    Vp003,
    /// No route for the logical address and contract.
    Vp004,
    /// The producer does not support the caller's RIV version. Not raised: the mock
    /// speaks RIVTABP21 only.
    Vp005,
    /// More than one route matches.
    Vp006,
    /// The consumer is not authorised for the contract and logical address.
    Vp007,
    /// No TAK data at start. Not raised: the mock refuses to start without TAK data.
    Vp008,
    /// Error calling the producer (connection, TLS, timeout, HTTP error without a SOAP
    /// body, empty response).
    Vp009,
    /// The route has no producer URL.
    Vp010,
    /// Not TLS, or a forwarded certificate from an address that is not allow-listed.
    Vp011,
    /// A resource the platform needs is missing. Not raised by the mock.
    Vp012,
    /// The sender may not set `x-rivta-original-serviceconsumer-hsaid`.
    Vp013,
    /// Routing loop: this instance is already in `x-rivta-routing-history`.
    Vp014,
    /// The request could not be read (not XML, not a SOAP 1.1 envelope, no body element).
    Vp015,
}

impl VpCode {
    /// Every code, in order.
    pub const ALL: [VpCode; 15] = [
        VpCode::Vp001,
        VpCode::Vp002,
        VpCode::Vp003,
        VpCode::Vp004,
        VpCode::Vp005,
        VpCode::Vp006,
        VpCode::Vp007,
        VpCode::Vp008,
        VpCode::Vp009,
        VpCode::Vp010,
        VpCode::Vp011,
        VpCode::Vp012,
        VpCode::Vp013,
        VpCode::Vp014,
        VpCode::Vp015,
    ];

    /// `VP001` … `VP015`.
    pub const fn as_str(self) -> &'static str {
        match self {
            VpCode::Vp001 => "VP001",
            VpCode::Vp002 => "VP002",
            VpCode::Vp003 => "VP003",
            VpCode::Vp004 => "VP004",
            VpCode::Vp005 => "VP005",
            VpCode::Vp006 => "VP006",
            VpCode::Vp007 => "VP007",
            VpCode::Vp008 => "VP008",
            VpCode::Vp009 => "VP009",
            VpCode::Vp010 => "VP010",
            VpCode::Vp011 => "VP011",
            VpCode::Vp012 => "VP012",
            VpCode::Vp013 => "VP013",
            VpCode::Vp014 => "VP014",
            VpCode::Vp015 => "VP015",
        }
    }

    /// The code for `VP001` … `VP015` (any case).
    pub fn parse(text: &str) -> Option<VpCode> {
        VpCode::ALL
            .into_iter()
            .find(|c| c.as_str().eq_ignore_ascii_case(text.trim()))
    }

    /// Whether the caller (`Client`) or the platform/producer side (`Server`) is at fault,
    /// as SKLTP classifies the code.
    pub const fn is_client_fault(self) -> bool {
        matches!(
            self,
            VpCode::Vp001
                | VpCode::Vp002
                | VpCode::Vp003
                | VpCode::Vp004
                | VpCode::Vp005
                | VpCode::Vp011
                | VpCode::Vp013
                | VpCode::Vp015
        )
    }

    /// The SOAP `faultcode`.
    pub fn fault_code(self) -> FaultCode {
        if self.is_client_fault() {
            FaultCode::Client
        } else {
            FaultCode::Server
        }
    }

    /// The Swedish message (SKLTP `vp-messages.properties`).
    pub const fn swedish(self) -> &'static str {
        match self {
            VpCode::Vp001 => "Rivta-version saknas i anrop eller stöds ej av tjänsteplattformen.",
            VpCode::Vp002 => {
                "Fel i klientcertifikat. Saknas, är av felaktig typ, eller är felaktigt utformad."
            }
            VpCode::Vp003 => {
                "Logisk adressat (ReceiverId) saknas i RivHeadern i inkommande meddelande."
            }
            VpCode::Vp004 => {
                "Det finns inget vägval i tjänsteadresseringskatalogen som matchar anropets \
                 logiska adressat (ReceiverId) och tjänstekontrakt. Kontrollera uppgifterna i \
                 anropet och vid behov, beställ konfigurering i aktuell tjänsteplattform."
            }
            VpCode::Vp005 => {
                "Tjänsteproducenten stödjer inte anropets angivna rivta-version. Kontrollera \
                 uppgifterna."
            }
            VpCode::Vp006 => {
                "Internt fel i tjänsteplattformen. Det finns fler än en tjänsteproducent \
                 definierad i tjänsteadresseringskatalogen som matchar logisk adressat \
                 (ReceiverId), tjänstekontrakt och dagens datum. Tyder på felkonfiguration. \
                 Rapportera felet till tjänsteplattformsförvaltningen."
            }
            VpCode::Vp007 => {
                "Tjänstekonsumenten saknar behörighet att anropa den logiska adressaten via \
                 detta tjänstekontrakt. Kontrollera uppgifterna och vid behov, tillse att det \
                 beställs konfiguration i aktuell tjänsteplattform."
            }
            VpCode::Vp008 => {
                "Internt fel i tjänsteplattformen. Ingen kontakt med \
                 tjänsteadresseringskatalogen. Informera tjänsteplattformsförvaltningen."
            }
            VpCode::Vp009 => "Fel vid kontakt med tjänsteproducenten.",
            VpCode::Vp010 => {
                "Internt fel i tjänsteplattformen. URL saknas för tjänsteproducenten i \
                 tjänsteplattformens tjänsteadresseringskatalog."
            }
            VpCode::Vp011 => {
                "Anrop har gjorts utanför TLS vilket ej är tillåtet. Tjänstekonsumenten ska \
                 alltid använda TLS för säker kommunikation."
            }
            VpCode::Vp012 => {
                "Internt fel i tjänsteplattformen. Nödvändiga resurser saknas för att VP skall \
                 fungera."
            }
            VpCode::Vp013 => {
                "Enligt tjänsteplattformens konfiguration saknar tjänstekonsumenten rätt att \
                 använda headern x-rivta-original-serviceconsumer-hsaid. Kontakta \
                 tjänsteplattformsförvaltningen."
            }
            VpCode::Vp014 => {
                "Anropsförmedlingen för den logiska adressaten har givit upphov till rundgång \
                 mellan tjänsteplattformar. Rapportera felet till \
                 tjänsteplattformsförvaltningen."
            }
            VpCode::Vp015 => "Anrop ej korrekt utformat och kan därför inte behandlas.",
        }
    }

    /// The English details prefix (SKLTP `VPxxx_DETAILS`, without the `%s`).
    pub const fn english(self) -> &'static str {
        match self {
            VpCode::Vp001 => "No RIV version configured",
            VpCode::Vp002 => "No sender ID (SERIALNUMBER) found in certificate.",
            VpCode::Vp003 => "No receiverId (logical address) found in message header.",
            VpCode::Vp004 => "No receiverId (logical address) found for",
            VpCode::Vp005 => "No receiverId (logical address) with matching Riv-version found for",
            VpCode::Vp006 => {
                "More than one receiverId (logical address) with matching Riv-version found for"
            }
            VpCode::Vp007 => "Authorization missing for",
            VpCode::Vp008 => {
                "No contact with TAK at startup, and no local cache to fallback on, not possible \
                 to route call"
            }
            VpCode::Vp009 => "Error connecting to service producer at address",
            VpCode::Vp010 => "Physical Address field is empty in Service Producer for",
            VpCode::Vp011 => "Caller was not on the white list of accepted IP-addresses.",
            VpCode::Vp012 => "Server problem, VP does not have all necessary resources to operate.",
            VpCode::Vp013 => {
                "Sender is not approved to set header x-rivta-original-serviceconsumer-hsaid."
            }
            VpCode::Vp014 => {
                "Routing loop detected: this platform instance is already in x-rivta-routing-history."
            }
            VpCode::Vp015 => "The request could not be read properly.",
        }
    }

    /// The SOAP Fault for this code raised by platform instance `instance_id`, with
    /// `suffix` appended to the English details. Never pass personal data in `suffix`.
    pub fn fault(self, instance_id: &str, suffix: &str) -> Fault {
        let string = format!("{} [{instance_id}] {}", self.as_str(), self.swedish());
        let detail = if suffix.is_empty() {
            self.english().to_owned()
        } else {
            format!("{} {suffix}", self.english())
        };
        Fault {
            code: self.fault_code(),
            string,
            actor: None,
            detail: Some(detail),
        }
    }
}

impl std::fmt::Display for VpCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fault_codes_follow_skltp() {
        let client: Vec<_> = VpCode::ALL
            .into_iter()
            .filter(|c| c.is_client_fault())
            .map(VpCode::as_str)
            .collect();
        assert_eq!(
            client,
            [
                "VP001", "VP002", "VP003", "VP004", "VP005", "VP011", "VP013", "VP015"
            ]
        );
        assert_eq!(VpCode::Vp007.fault_code(), FaultCode::Server);
    }

    #[test]
    fn fault_string_names_code_and_instance() {
        let fault = VpCode::Vp004.fault("NPO-TP-1", "serviceNamespace: urn:x, receiverId: A");
        assert!(
            fault
                .string
                .starts_with("VP004 [NPO-TP-1] Det finns inget vägval"),
            "{}",
            fault.string
        );
        assert_eq!(
            fault.detail.as_deref(),
            Some(
                "No receiverId (logical address) found for serviceNamespace: urn:x, receiverId: A"
            )
        );
        let bare = VpCode::Vp013.fault("I", "");
        assert_eq!(bare.detail.as_deref(), Some(VpCode::Vp013.english()));
    }
}
