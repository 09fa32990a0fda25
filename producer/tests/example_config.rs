//! The shipped example configuration loads and validates once the test PKI exists.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use npo_producer::config::ProducerConfig;

#[test]
fn the_example_configuration_is_valid() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("config")).unwrap();
    npo_pki::init(
        &dir.path().join("data/pki"),
        &npo_pki::InitOptions::default(),
    )
    .unwrap();
    let text = std::fs::read_to_string(root.join("config/producer.toml")).unwrap();
    let file = dir.path().join("config/producer.toml");
    std::fs::write(&file, text).unwrap();
    let config = ProducerConfig::load(&file).expect("example config is valid");
    assert_eq!(
        config.serves("se2120009994-eh7s"),
        Some("SE2120009994-EH7S")
    );
    assert!(config.allows_caller(npo_pki::Party::Platform.hsa_id()));
    assert!(config.database.url.ends_with("data/producer.sqlite"));
}

#[test]
fn mistakes_in_a_configuration_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bad.toml");
    std::fs::write(
        &file,
        "source_systems = []\nallowed_callers = [\"SE1\"]\nunknown = 1\n",
    )
    .unwrap();
    let err = ProducerConfig::load(&file).unwrap_err().to_string();
    assert!(err.contains("unknown"), "{err}");
}
