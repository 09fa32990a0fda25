//! `manifest.json`: what [`crate::init`] created, for humans and for the services.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::PkiError;

/// File name of the manifest inside the PKI directory.
pub const MANIFEST_FILE: &str = "manifest.json";
/// File name of the CA certificate inside the PKI directory.
pub const CA_CERT_FILE: &str = "ca.cert.pem";
/// File name of the CA private key inside the PKI directory.
pub const CA_KEY_FILE: &str = "ca.key.pem";

/// Description of a generated test PKI. File names are relative to the PKI directory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// The certificate authority.
    pub ca: CaEntry,
    /// Key algorithm of every key, e.g. `EC P-256`.
    pub key_algorithm: String,
    /// Validity of the party certificates in days.
    pub validity_days: u32,
    /// One entry per party.
    pub parties: Vec<PartyEntry>,
}

/// The CA in the manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaEntry {
    /// Subject of the CA certificate.
    pub subject: String,
    /// CA certificate file.
    pub cert: String,
    /// CA private key file.
    pub key: String,
}

/// One party in the manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PartyEntry {
    /// Machine name, see [`crate::Party::name`].
    pub name: String,
    /// What the party does.
    pub role: String,
    /// HSA-ID carried in the certificate subject's `serialNumber`.
    pub hsa_id: String,
    /// Certificate subject.
    pub subject: String,
    /// Certificate file.
    pub cert: String,
    /// Private key file.
    pub key: String,
    /// CA certificate file that verifies this party's peers.
    pub ca: String,
}

impl Manifest {
    /// Reads `manifest.json` from a PKI directory.
    pub fn load(dir: &Path) -> Result<Manifest, PkiError> {
        let path = dir.join(MANIFEST_FILE);
        let bytes = std::fs::read(&path).map_err(|e| PkiError::io(&path, e))?;
        serde_json::from_slice(&bytes).map_err(|source| PkiError::Manifest { path, source })
    }

    /// The entry of the party with this name, if any.
    pub fn party(&self, name: &str) -> Option<&PartyEntry> {
        self.parties.iter().find(|p| p.name == name)
    }
}

impl PartyEntry {
    /// Path of the certificate inside `dir`.
    pub fn cert_path(&self, dir: &Path) -> PathBuf {
        dir.join(&self.cert)
    }

    /// Path of the private key inside `dir`.
    pub fn key_path(&self, dir: &Path) -> PathBuf {
        dir.join(&self.key)
    }

    /// Path of the CA certificate inside `dir`.
    pub fn ca_path(&self, dir: &Path) -> PathBuf {
        dir.join(&self.ca)
    }
}
