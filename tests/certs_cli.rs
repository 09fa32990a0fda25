//! Runs the `npo` binary: `npo certs init`.

// Test helpers outside #[test] functions are not covered by clippy.toml `allow-*-in-tests`.
#![allow(clippy::unwrap_used, clippy::panic)]

use std::process::{Command, Output};

use npo_pki::{Manifest, Party};

fn npo(args: &[&std::ffi::OsStr]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_npo"))
        .args(args)
        .env("RUST_LOG", "info")
        .output()
        .unwrap()
}

#[test]
fn certs_init_writes_pki_and_refuses_to_overwrite() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("pki");
    let args = [
        "certs".as_ref(),
        "init".as_ref(),
        "--dir".as_ref(),
        dir.as_os_str(),
    ];

    let first = npo(&args);
    let stdout = String::from_utf8_lossy(&first.stdout);
    let stderr = String::from_utf8_lossy(&first.stderr);
    assert!(first.status.success(), "stdout: {stdout}\nstderr: {stderr}");

    assert!(dir.join("ca.cert.pem").is_file());
    assert!(dir.join("ca.key.pem").is_file());
    let manifest = Manifest::load(&dir).unwrap();
    assert_eq!(manifest.parties.len(), Party::ALL.len());
    for party in Party::ALL {
        let entry = manifest.party(party.name()).unwrap();
        assert_eq!(entry.hsa_id, party.hsa_id());
        assert!(entry.cert_path(&dir).is_file(), "{}", entry.cert);
        assert!(entry.key_path(&dir).is_file(), "{}", entry.key);
        // The summary names every party with its HSA-ID and files.
        let line = stdout
            .lines()
            .find(|l| l.starts_with(&format!("{} ", party.name())))
            .unwrap_or_else(|| panic!("no summary line for {}: {stdout}", party.name()));
        assert!(line.contains(party.hsa_id()), "{line}");
        assert!(
            line.contains(&entry.cert) && line.contains(&entry.key),
            "{line}"
        );
    }
    let ca_before = std::fs::read(dir.join("ca.cert.pem")).unwrap();

    let second = npo(&args);
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert!(
        !second.status.success(),
        "second run without --force succeeded"
    );
    assert!(stderr.contains("not empty"), "{stderr}");
    assert!(stderr.contains("--force"), "{stderr}");
    assert_eq!(std::fs::read(dir.join("ca.cert.pem")).unwrap(), ca_before);

    let mut forced = args.to_vec();
    forced.push("--force".as_ref());
    let third = npo(&forced);
    assert!(
        third.status.success(),
        "{}",
        String::from_utf8_lossy(&third.stderr)
    );
    assert_ne!(std::fs::read(dir.join("ca.cert.pem")).unwrap(), ca_before);
}
