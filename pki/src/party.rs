//! The parties of the test setup and their HSA-IDs.
//!
//! The HSA-IDs follow the Swedish format `SE` + 10-digit organisation number + `-` + suffix.
//! The organisation numbers are fictitious (with a valid Luhn check digit) and are not
//! registered in the HSA catalogue: these identities exist only in the test PKI.

use std::fmt;

/// Fictitious organisation number of the platform operator (`559900-0014`).
pub const PLATFORM_ORG_NUMBER: &str = "5599000014";
/// Fictitious organisation number of the municipality running school health care (`212000-9994`).
pub const MUNICIPALITY_ORG_NUMBER: &str = "2120009994";
/// Fictitious organisation number of the region running child health care (`232100-9991`).
pub const REGION_ORG_NUMBER: &str = "2321009991";
/// Fictitious organisation number of the integration-test supplier (`559900-0022`).
pub const TESTER_ORG_NUMBER: &str = "5599000022";

/// HSA-ID of the service platform (tjänsteplattform) that routes RIV-TA calls.
pub const PLATFORM_HSA_ID: &str = "SE5599000014-TP1K";
/// HSA-ID of the engagement index (engagemangsindex).
pub const ENGAGEMENT_INDEX_HSA_ID: &str = "SE5599000014-EI4R";
/// HSA-ID of the school-health journal system (elevhälsans journal), a source system/producer.
pub const PRODUCER_SCHOOL_HSA_ID: &str = "SE2120009994-EH7S";
/// HSA-ID of the child-health-centre journal system (BVC-journal), a source system/producer.
pub const PRODUCER_BVC_HSA_ID: &str = "SE2321009991-BV3C";
/// HSA-ID of the school nurse's web application, the service consumer.
pub const CONSUMER_HSA_ID: &str = "SE2120009994-SK9W";
/// HSA-ID of the integration tester (test client allowed to call every service).
pub const TESTER_HSA_ID: &str = "SE5599000022-IT2Q";

/// A party that gets its own certificate and key in the test PKI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Party {
    /// The service platform (tjänsteplattform).
    Platform,
    /// The engagement index.
    EngagementIndex,
    /// The school-health journal (producer).
    ProducerSchool,
    /// The BVC journal (producer).
    ProducerBvc,
    /// The school nurse's web application (consumer).
    Consumer,
    /// The integration tester.
    Tester,
}

impl Party {
    /// All parties, in the order they appear in the manifest.
    pub const ALL: [Party; 6] = [
        Party::Platform,
        Party::EngagementIndex,
        Party::ProducerSchool,
        Party::ProducerBvc,
        Party::Consumer,
        Party::Tester,
    ];

    /// Short machine name, used in file names (`<name>.cert.pem`) and the manifest.
    pub const fn name(self) -> &'static str {
        match self {
            Party::Platform => "platform",
            Party::EngagementIndex => "engagement-index",
            Party::ProducerSchool => "producer-school",
            Party::ProducerBvc => "producer-bvc",
            Party::Consumer => "consumer",
            Party::Tester => "tester",
        }
    }

    /// The party's HSA-ID, carried in the certificate subject's `serialNumber`.
    pub const fn hsa_id(self) -> &'static str {
        match self {
            Party::Platform => PLATFORM_HSA_ID,
            Party::EngagementIndex => ENGAGEMENT_INDEX_HSA_ID,
            Party::ProducerSchool => PRODUCER_SCHOOL_HSA_ID,
            Party::ProducerBvc => PRODUCER_BVC_HSA_ID,
            Party::Consumer => CONSUMER_HSA_ID,
            Party::Tester => TESTER_HSA_ID,
        }
    }

    /// One-line description of the party's role.
    pub const fn role(self) -> &'static str {
        match self {
            Party::Platform => "Service platform (tjänsteplattform): routes RIV-TA calls",
            Party::EngagementIndex => "Engagement index: records which producer holds what",
            Party::ProducerSchool => "Producer: school-health journal (elevhälsans journal)",
            Party::ProducerBvc => "Producer: child-health-centre journal (BVC-journal)",
            Party::Consumer => "Consumer: school nurse's web application",
            Party::Tester => "Integration tester: test client for every service",
        }
    }

    /// Certificate subject common name (CN).
    pub const fn common_name(self) -> &'static str {
        match self {
            Party::Platform => "Tjänsteplattform (test)",
            Party::EngagementIndex => "Engagemangsindex (test)",
            Party::ProducerSchool => "Elevhälsans journal (test)",
            Party::ProducerBvc => "BVC-journal (test)",
            Party::Consumer => "Skolsköterskans webbapp (test)",
            Party::Tester => "Integrationstestare",
        }
    }

    /// Certificate subject organisation (O).
    pub const fn organization(self) -> &'static str {
        match self {
            Party::Platform | Party::EngagementIndex => "Plattformsoperatören Test AB",
            Party::ProducerSchool | Party::Consumer => "Testkommunen",
            Party::ProducerBvc => "Region Test",
            Party::Tester => "Integrationstest AB",
        }
    }

    /// File name of the party's certificate, `<name>.cert.pem`.
    pub fn cert_file(self) -> String {
        format!("{}.cert.pem", self.name())
    }

    /// File name of the party's private key, `<name>.key.pem`.
    pub fn key_file(self) -> String {
        format!("{}.key.pem", self.name())
    }

    /// Looks a party up by its [`name`](Party::name).
    pub fn from_name(name: &str) -> Option<Party> {
        Party::ALL.into_iter().find(|p| p.name() == name)
    }
}

impl fmt::Display for Party {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    fn luhn_ok(digits: &str) -> bool {
        let sum: u32 = digits
            .chars()
            .rev()
            .enumerate()
            .map(|(i, c)| {
                let d = c.to_digit(10).unwrap();
                if i % 2 == 1 {
                    let dd = d * 2;
                    dd / 10 + dd % 10
                } else {
                    d
                }
            })
            .sum();
        sum.is_multiple_of(10)
    }

    #[test]
    fn hsa_ids_have_swedish_format_and_are_distinct() {
        let mut seen = HashSet::new();
        for party in Party::ALL {
            let id = party.hsa_id();
            let (org, suffix) = id
                .strip_prefix("SE")
                .and_then(|rest| rest.split_once('-'))
                .unwrap_or_else(|| panic!("{id} is not SE<org>-<suffix>"));
            assert_eq!(org.len(), 10, "{id}");
            assert!(org.chars().all(|c| c.is_ascii_digit()), "{id}");
            assert!(luhn_ok(org), "{id}: bad Luhn check digit");
            assert!(!suffix.is_empty() && suffix.chars().all(|c| c.is_ascii_alphanumeric()));
            assert!(seen.insert(id), "duplicate HSA-ID {id}");
        }
    }

    #[test]
    fn names_round_trip() {
        for party in Party::ALL {
            assert_eq!(Party::from_name(party.name()), Some(party));
        }
        assert_eq!(Party::from_name("nobody"), None);
    }
}
