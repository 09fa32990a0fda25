//! Runs the `npo` binary: `npo consumer migrate` and `npo consumer hash-password`.

// Test helpers outside #[test] functions are not covered by clippy.toml `allow-*-in-tests`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn npo(args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_npo"))
        .args(args)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn migrate_applies_once_and_hash_password_prints_an_argon2_hash() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("config")).unwrap();
    let text = std::fs::read_to_string(root.join("config/consumer.toml")).unwrap();
    let file = dir.path().join("config/consumer.toml");
    std::fs::write(&file, text).unwrap();
    std::fs::create_dir_all(dir.path().join("data")).unwrap();
    let config = file.to_str().unwrap();

    let first = npo(&["consumer", "migrate", "--config", config], "");
    let out = String::from_utf8_lossy(&first.stdout);
    assert!(
        first.status.success(),
        "{out}{}",
        String::from_utf8_lossy(&first.stderr)
    );
    assert!(out.starts_with("1 migration(s) applied"), "{out}");
    assert!(dir.path().join("data/consumer.sqlite").exists());
    let again = npo(&["consumer", "migrate", "--config", config], "");
    assert!(String::from_utf8_lossy(&again.stdout).starts_with("0 migration(s) applied"));

    let hashed = npo(&["consumer", "hash-password"], "hemligt\n");
    let hash = String::from_utf8_lossy(&hashed.stdout).trim().to_owned();
    assert!(hash.starts_with("$argon2id$"), "{hash}");
    use argon2::PasswordVerifier;
    let parsed = argon2::PasswordHash::new(&hash).unwrap();
    assert!(
        argon2::Argon2::default()
            .verify_password(b"hemligt", &parsed)
            .is_ok()
    );
    let empty = npo(&["consumer", "hash-password"], "\n");
    assert!(!empty.status.success());
}
