//! Creating a fresh test PKI on disk.

use std::fs::{self, OpenOptions};
use std::io::{ErrorKind, Write};
use std::path::Path;

use openssl::asn1::Asn1Time;
use openssl::bn::{BigNum, MsbOption};
use openssl::ec::{EcGroup, EcKey};
use openssl::hash::MessageDigest;
use openssl::nid::Nid;
use openssl::pkey::{PKey, Private};
use openssl::x509::extension::{
    AuthorityKeyIdentifier, BasicConstraints, ExtendedKeyUsage, KeyUsage, SubjectAlternativeName,
    SubjectKeyIdentifier,
};
use openssl::x509::{X509, X509Name, X509NameBuilder};

use crate::manifest::{CA_CERT_FILE, CA_KEY_FILE, CaEntry, MANIFEST_FILE, Manifest, PartyEntry};
use crate::{Party, PkiError, subject_to_string};

/// Key algorithm used for every key, as written to the manifest.
pub const KEY_ALGORITHM: &str = "EC P-256";
/// Default validity of party certificates: two years.
pub const DEFAULT_VALIDITY_DAYS: u32 = 730;

const CA_COMMON_NAME: &str = "NPÖ Test CA";
const CA_ORGANIZATION: &str = "NPÖ test-PKI";

/// Options for [`init`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InitOptions {
    /// Overwrite the PKI files in a non-empty directory.
    pub force: bool,
    /// Validity of the party certificates in days (the CA gets one day more). Must be > 0.
    pub validity_days: u32,
}

impl Default for InitOptions {
    fn default() -> Self {
        Self {
            force: false,
            validity_days: DEFAULT_VALIDITY_DAYS,
        }
    }
}

/// A certificate with its key, in memory.
pub(crate) struct Issued {
    pub cert: X509,
    pub key: PKey<Private>,
}

/// Subject fields of a certificate to issue.
pub(crate) struct Subject<'a> {
    pub common_name: &'a str,
    pub organization: &'a str,
    /// Goes into `serialNumber` (2.5.4.5) when present.
    pub hsa_id: Option<&'a str>,
}

/// Creates a fresh test CA and one certificate and key per [`Party`] in `dir`.
///
/// `dir` is created if needed. If it is not empty, nothing is written and
/// [`PkiError::DirNotEmpty`] is returned unless `opts.force` is set; with `force`, the PKI
/// files are replaced (other files are left alone). Key files get mode 0600 on Unix.
/// `manifest.json` is written last, so its presence marks a complete PKI.
pub fn init(dir: &Path, opts: &InitOptions) -> Result<Manifest, PkiError> {
    if opts.validity_days == 0 {
        return Err(PkiError::InvalidOptions("validity_days must be at least 1"));
    }
    prepare_dir(dir, opts.force)?;

    let ca = issue_ca(opts.validity_days.saturating_add(1))?;
    let mut issued = Vec::with_capacity(Party::ALL.len());
    for party in Party::ALL {
        let subject = Subject {
            common_name: party.common_name(),
            organization: party.organization(),
            hsa_id: Some(party.hsa_id()),
        };
        let leaf = issue_leaf(&ca, &subject, opts.validity_days)?;
        issued.push((party, leaf));
    }

    write_file(&dir.join(CA_CERT_FILE), &ca.cert.to_pem()?, false)?;
    write_file(
        &dir.join(CA_KEY_FILE),
        &ca.key.private_key_to_pem_pkcs8()?,
        true,
    )?;
    let mut parties = Vec::with_capacity(issued.len());
    for (party, leaf) in &issued {
        let cert_file = party.cert_file();
        let key_file = party.key_file();
        write_file(&dir.join(&cert_file), &leaf.cert.to_pem()?, false)?;
        write_file(
            &dir.join(&key_file),
            &leaf.key.private_key_to_pem_pkcs8()?,
            true,
        )?;
        parties.push(PartyEntry {
            name: party.name().to_owned(),
            role: party.role().to_owned(),
            hsa_id: party.hsa_id().to_owned(),
            subject: subject_to_string(leaf.cert.subject_name()),
            cert: cert_file,
            key: key_file,
            ca: CA_CERT_FILE.to_owned(),
        });
    }

    let manifest = Manifest {
        ca: CaEntry {
            subject: subject_to_string(ca.cert.subject_name()),
            cert: CA_CERT_FILE.to_owned(),
            key: CA_KEY_FILE.to_owned(),
        },
        key_algorithm: KEY_ALGORITHM.to_owned(),
        validity_days: opts.validity_days,
        parties,
    };
    let manifest_path = dir.join(MANIFEST_FILE);
    let mut json = serde_json::to_vec_pretty(&manifest).map_err(|source| PkiError::Manifest {
        path: manifest_path.clone(),
        source,
    })?;
    json.push(b'\n');
    write_file(&manifest_path, &json, false)?;
    tracing::info!(dir = %dir.display(), parties = manifest.parties.len(), "test PKI created");
    Ok(manifest)
}

fn prepare_dir(dir: &Path, force: bool) -> Result<(), PkiError> {
    match fs::metadata(dir) {
        Ok(meta) if !meta.is_dir() => return Err(PkiError::NotADirectory(dir.to_path_buf())),
        Ok(_) => {
            let mut entries = fs::read_dir(dir).map_err(|e| PkiError::io(dir, e))?;
            let non_empty = entries.next().is_some();
            if non_empty && !force {
                return Err(PkiError::DirNotEmpty {
                    dir: dir.to_path_buf(),
                    has_manifest: dir.join(MANIFEST_FILE).exists(),
                });
            }
        }
        Err(e) if e.kind() == ErrorKind::NotFound => {}
        Err(e) => return Err(PkiError::io(dir, e)),
    }
    fs::create_dir_all(dir).map_err(|e| PkiError::io(dir, e))
}

/// Writes a new file, replacing any old one so that its mode is the one asked for.
fn write_file(path: &Path, contents: &[u8], private: bool) -> Result<(), PkiError> {
    match fs::remove_file(path) {
        Ok(()) => {}
        Err(e) if e.kind() == ErrorKind::NotFound => {}
        Err(e) => return Err(PkiError::io(path, e)),
    }
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(if private { 0o600 } else { 0o644 });
    }
    #[cfg(not(unix))]
    let _ = private;
    let mut file = options.open(path).map_err(|e| PkiError::io(path, e))?;
    file.write_all(contents)
        .and_then(|()| file.sync_all())
        .map_err(|e| PkiError::io(path, e))
}

fn generate_key() -> Result<PKey<Private>, PkiError> {
    let group = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1)?;
    let ec = EcKey::generate(&group)?;
    Ok(PKey::from_ec_key(ec)?)
}

pub(crate) fn build_name(subject: &Subject<'_>) -> Result<X509Name, PkiError> {
    let mut name = X509NameBuilder::new()?;
    name.append_entry_by_nid(Nid::COUNTRYNAME, "SE")?;
    name.append_entry_by_nid(Nid::ORGANIZATIONNAME, subject.organization)?;
    name.append_entry_by_nid(Nid::COMMONNAME, subject.common_name)?;
    if let Some(hsa_id) = subject.hsa_id {
        name.append_entry_by_nid(Nid::SERIALNUMBER, hsa_id)?;
    }
    Ok(name.build())
}

fn random_serial() -> Result<openssl::asn1::Asn1Integer, PkiError> {
    let mut serial = BigNum::new()?;
    // 127 random bits, top bit set: positive, fixed length, well within the 20-octet limit.
    serial.rand(127, MsbOption::ONE, false)?;
    Ok(serial.to_asn1_integer()?)
}

pub(crate) fn issue_ca(validity_days: u32) -> Result<Issued, PkiError> {
    let key = generate_key()?;
    let name = build_name(&Subject {
        common_name: CA_COMMON_NAME,
        organization: CA_ORGANIZATION,
        hsa_id: None,
    })?;
    let mut builder = X509::builder()?;
    builder.set_version(2)?;
    let serial = random_serial()?;
    builder.set_serial_number(&serial)?;
    builder.set_subject_name(&name)?;
    builder.set_issuer_name(&name)?;
    builder.set_pubkey(&key)?;
    let not_before = Asn1Time::days_from_now(0)?;
    let not_after = Asn1Time::days_from_now(validity_days)?;
    builder.set_not_before(&not_before)?;
    builder.set_not_after(&not_after)?;
    builder.append_extension(BasicConstraints::new().critical().ca().pathlen(0).build()?)?;
    builder.append_extension(
        KeyUsage::new()
            .critical()
            .key_cert_sign()
            .crl_sign()
            .digital_signature()
            .build()?,
    )?;
    let ski = SubjectKeyIdentifier::new().build(&builder.x509v3_context(None, None))?;
    builder.append_extension(ski)?;
    builder.sign(&key, MessageDigest::sha256())?;
    Ok(Issued {
        cert: builder.build(),
        key,
    })
}

/// Issues a TLS server+client certificate for `localhost`/`127.0.0.1`, signed by `ca`.
fn issue_leaf(ca: &Issued, subject: &Subject<'_>, validity_days: u32) -> Result<Issued, PkiError> {
    let key = generate_key()?;
    let cert = issue_leaf_with_key(&ca.cert, &ca.key, &key, subject, validity_days)?;
    Ok(Issued { cert, key })
}

pub(crate) fn issue_leaf_with_key(
    ca_cert: &X509,
    ca_key: &PKey<Private>,
    key: &PKey<Private>,
    subject: &Subject<'_>,
    validity_days: u32,
) -> Result<X509, PkiError> {
    let name = build_name(subject)?;
    let mut builder = X509::builder()?;
    builder.set_version(2)?;
    let serial = random_serial()?;
    builder.set_serial_number(&serial)?;
    builder.set_subject_name(&name)?;
    builder.set_issuer_name(ca_cert.subject_name())?;
    builder.set_pubkey(key)?;
    let not_before = Asn1Time::days_from_now(0)?;
    let not_after = Asn1Time::days_from_now(validity_days)?;
    builder.set_not_before(&not_before)?;
    builder.set_not_after(&not_after)?;
    builder.append_extension(BasicConstraints::new().critical().build()?)?;
    builder.append_extension(
        KeyUsage::new()
            .critical()
            .digital_signature()
            .key_agreement()
            .build()?,
    )?;
    builder.append_extension(
        ExtendedKeyUsage::new()
            .server_auth()
            .client_auth()
            .build()?,
    )?;
    let san = SubjectAlternativeName::new()
        .dns("localhost")
        .ip("127.0.0.1")
        .build(&builder.x509v3_context(Some(ca_cert), None))?;
    builder.append_extension(san)?;
    let ski = SubjectKeyIdentifier::new().build(&builder.x509v3_context(Some(ca_cert), None))?;
    builder.append_extension(ski)?;
    let aki = AuthorityKeyIdentifier::new()
        .keyid(true)
        .build(&builder.x509v3_context(Some(ca_cert), None))?;
    builder.append_extension(aki)?;
    builder.sign(ca_key, MessageDigest::sha256())?;
    Ok(builder.build())
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use openssl::stack::Stack;
    use openssl::x509::store::X509StoreBuilder;
    use openssl::x509::{X509PurposeId, X509StoreContext};

    use super::*;
    use crate::{hsa_id_from_certificate, load_certificate, load_private_key};

    fn fresh() -> (tempfile::TempDir, Manifest) {
        let tmp = tempfile::tempdir().unwrap();
        let manifest = init(tmp.path(), &InitOptions::default()).unwrap();
        (tmp, manifest)
    }

    /// Verifies `cert` against `ca` alone, for the given TLS purpose.
    fn verifies(ca: &X509, cert: &X509, purpose: X509PurposeId) -> bool {
        let mut store = X509StoreBuilder::new().unwrap();
        store.add_cert(ca.clone()).unwrap();
        store.set_purpose(purpose).unwrap();
        let store = store.build();
        let chain = Stack::new().unwrap();
        let mut ctx = X509StoreContext::new().unwrap();
        ctx.init(&store, cert, &chain, |c| c.verify_cert()).unwrap()
    }

    #[test]
    fn manifest_lists_every_party_with_distinct_hsa_ids() {
        let (tmp, manifest) = fresh();
        let names: Vec<&str> = manifest.parties.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "platform",
                "engagement-index",
                "producer-school",
                "producer-bvc",
                "consumer",
                "tester"
            ]
        );
        let ids: HashSet<&str> = manifest.parties.iter().map(|p| p.hsa_id.as_str()).collect();
        assert_eq!(ids.len(), Party::ALL.len(), "HSA-IDs not distinct");
        for party in Party::ALL {
            let entry = manifest.party(party.name()).unwrap();
            assert_eq!(entry.hsa_id, party.hsa_id());
            assert_eq!(entry.cert, format!("{}.cert.pem", party.name()));
            assert_eq!(entry.key, format!("{}.key.pem", party.name()));
            assert_eq!(entry.ca, "ca.cert.pem");
            assert!(!entry.role.is_empty());
            assert!(entry.cert_path(tmp.path()).is_file());
            assert!(entry.key_path(tmp.path()).is_file());
        }
        assert_eq!(manifest.ca.cert, "ca.cert.pem");
        assert_eq!(manifest.ca.key, "ca.key.pem");
        assert!(tmp.path().join("ca.key.pem").is_file());
        // What is on disk is what was returned.
        assert_eq!(Manifest::load(tmp.path()).unwrap(), manifest);
        let raw: serde_json::Value =
            serde_json::from_slice(&fs::read(tmp.path().join("manifest.json")).unwrap()).unwrap();
        assert_eq!(raw["parties"][5]["hsa_id"], crate::TESTER_HSA_ID);
    }

    #[test]
    fn certificates_verify_against_the_ca_and_carry_the_hsa_id() {
        let (tmp, manifest) = fresh();
        let dir = tmp.path();
        let ca = load_certificate(&dir.join(CA_CERT_FILE)).unwrap();
        let ca_key = load_private_key(&dir.join(CA_KEY_FILE)).unwrap();
        assert!(ca.public_key().unwrap().public_eq(&ca_key));
        assert!(ca.verify(&ca_key).unwrap(), "CA is not self-signed");
        assert_eq!(hsa_id_from_certificate(&ca), None);

        let (other_tmp, _) = fresh();
        let other_ca = load_certificate(&other_tmp.path().join(CA_CERT_FILE)).unwrap();

        let mut serials = HashSet::new();
        serials.insert(ca.serial_number().to_bn().unwrap().to_vec());
        for entry in &manifest.parties {
            let cert = load_certificate(&entry.cert_path(dir)).unwrap();
            let key = load_private_key(&entry.key_path(dir)).unwrap();
            let name = &entry.name;

            assert!(
                verifies(&ca, &cert, X509PurposeId::SSL_SERVER),
                "{name}: serverAuth"
            );
            assert!(
                verifies(&ca, &cert, X509PurposeId::SSL_CLIENT),
                "{name}: clientAuth"
            );
            assert!(
                !verifies(&other_ca, &cert, X509PurposeId::SSL_CLIENT),
                "{name}"
            );
            assert!(
                cert.public_key().unwrap().public_eq(&key),
                "{name}: key mismatch"
            );

            // serialNumber (2.5.4.5) carries the HSA-ID.
            let sn = cert
                .subject_name()
                .entries_by_nid(Nid::SERIALNUMBER)
                .next()
                .unwrap();
            assert_eq!(sn.object().to_string(), "serialNumber");
            assert_eq!(sn.data().to_string().unwrap(), entry.hsa_id);
            assert_eq!(
                hsa_id_from_certificate(&cert).as_deref(),
                Some(&*entry.hsa_id)
            );
            let party = Party::from_name(name).unwrap();
            let cn = cert
                .subject_name()
                .entries_by_nid(Nid::COMMONNAME)
                .next()
                .unwrap();
            assert_eq!(cn.data().to_string().unwrap(), party.common_name());
            let o = cert
                .subject_name()
                .entries_by_nid(Nid::ORGANIZATIONNAME)
                .next()
                .unwrap();
            assert_eq!(o.data().to_string().unwrap(), party.organization());
            assert_eq!(
                cert.issuer_name().to_der().unwrap(),
                ca.subject_name().to_der().unwrap()
            );

            // SANs: DNS:localhost and IP:127.0.0.1.
            let sans = cert.subject_alt_names().unwrap();
            assert!(
                sans.iter().any(|n| n.dnsname() == Some("localhost")),
                "{name}"
            );
            assert!(
                sans.iter()
                    .any(|n| n.ipaddress() == Some(&[127, 0, 0, 1][..])),
                "{name}"
            );

            // EC P-256, ECDSA with SHA-256, about two years.
            let ec = key.ec_key().unwrap();
            assert_eq!(ec.group().curve_name(), Some(Nid::X9_62_PRIME256V1));
            assert_eq!(
                cert.signature_algorithm().object().nid(),
                Nid::ECDSA_WITH_SHA256
            );
            let days = cert.not_before().diff(cert.not_after()).unwrap().days;
            assert_eq!(days, i32::try_from(DEFAULT_VALIDITY_DAYS).unwrap());

            assert!(
                serials.insert(cert.serial_number().to_bn().unwrap().to_vec()),
                "{name}: serial reused"
            );
        }
    }

    #[cfg(unix)]
    #[test]
    fn key_files_are_private() {
        use std::os::unix::fs::PermissionsExt;
        let (tmp, manifest) = fresh();
        let mut keys = vec![tmp.path().join(CA_KEY_FILE)];
        keys.extend(manifest.parties.iter().map(|p| p.key_path(tmp.path())));
        for key in keys {
            let mode = fs::metadata(&key).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "{}", key.display());
        }
    }

    #[test]
    fn refuses_to_overwrite_without_force() {
        let (tmp, _) = fresh();
        let ca_before = fs::read(tmp.path().join(CA_CERT_FILE)).unwrap();

        let err = init(tmp.path(), &InitOptions::default()).unwrap_err();
        assert!(
            matches!(
                err,
                PkiError::DirNotEmpty {
                    has_manifest: true,
                    ..
                }
            ),
            "{err:?}"
        );
        assert!(err.to_string().contains("--force"), "{err}");
        assert_eq!(fs::read(tmp.path().join(CA_CERT_FILE)).unwrap(), ca_before);

        let forced = InitOptions {
            force: true,
            ..InitOptions::default()
        };
        init(tmp.path(), &forced).unwrap();
        assert_ne!(fs::read(tmp.path().join(CA_CERT_FILE)).unwrap(), ca_before);
    }

    #[cfg(unix)]
    #[test]
    fn force_resets_key_permissions() {
        use std::os::unix::fs::PermissionsExt;
        let (tmp, _) = fresh();
        let key = tmp.path().join("tester.key.pem");
        fs::set_permissions(&key, fs::Permissions::from_mode(0o644)).unwrap();
        let forced = InitOptions {
            force: true,
            ..InitOptions::default()
        };
        init(tmp.path(), &forced).unwrap();
        let mode = fs::metadata(&key).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }

    #[test]
    fn refuses_any_non_empty_dir_and_odd_targets() {
        let tmp = tempfile::tempdir().unwrap();
        fs::write(tmp.path().join("notes.txt"), "keep me").unwrap();
        let err = init(tmp.path(), &InitOptions::default()).unwrap_err();
        assert!(
            matches!(
                err,
                PkiError::DirNotEmpty {
                    has_manifest: false,
                    ..
                }
            ),
            "{err:?}"
        );
        assert!(!tmp.path().join(MANIFEST_FILE).exists());

        let file = tmp.path().join("notes.txt");
        let err = init(&file, &InitOptions::default()).unwrap_err();
        assert!(matches!(err, PkiError::NotADirectory(_)), "{err:?}");

        let zero = InitOptions {
            validity_days: 0,
            ..InitOptions::default()
        };
        let err = init(&tmp.path().join("new"), &zero).unwrap_err();
        assert!(matches!(err, PkiError::InvalidOptions(_)), "{err:?}");
    }

    #[test]
    fn creates_missing_directories() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("a/b/pki");
        let manifest = init(&dir, &InitOptions::default()).unwrap();
        assert_eq!(manifest.parties.len(), Party::ALL.len());
        assert!(dir.join(MANIFEST_FILE).is_file());
    }
}
