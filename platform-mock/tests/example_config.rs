//! The shipped example configuration (config/platform.toml with its TAK and HSA tree)
//! loads and validates once the test PKI exists.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use npo_platform::config::PlatformConfig;

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
    for name in ["platform.toml", "tak.toml", "hsa.toml"] {
        std::fs::copy(
            root.join("config").join(name),
            dir.path().join("config").join(name),
        )
        .unwrap();
    }
    let config = PlatformConfig::load(&dir.path().join("config/platform.toml"))
        .expect("example config is valid");
    assert_eq!(
        config.aggregation,
        Some(npo_platform::aggregation::AggregationConfig::default()),
        "the example serves the aggregating services with the national defaults"
    );
}
