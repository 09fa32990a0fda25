//! The project's own WSDL and XSD files (`schemas/`): every import resolves, every
//! schema compiles, and each WSDL states the contract facts the code uses.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use npo_contracts::registry::Contract;
use support::{have_xmllint, project_schemas};

fn files_with_extension(dir: &Path, extension: &str, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read schemas dir") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            files_with_extension(&path, extension, out);
        } else if path.extension().is_some_and(|e| e == extension) {
            out.push(path);
        }
    }
}

/// Every `schemaLocation="..."` in a file.
fn schema_locations(text: &str) -> Vec<String> {
    text.split("schemaLocation=")
        .skip(1)
        .filter_map(|rest| {
            let quote = rest.chars().next()?;
            rest[1..].split(quote).next().map(str::to_owned)
        })
        .collect()
}

#[test]
fn every_import_resolves_relative_to_its_file() {
    let mut files = Vec::new();
    files_with_extension(&project_schemas(), "wsdl", &mut files);
    files_with_extension(&project_schemas(), "xsd", &mut files);
    assert!(
        files.len() >= 20,
        "expected the whole schema set, found {}",
        files.len()
    );
    for file in files {
        let text = std::fs::read_to_string(&file).expect("read");
        support::canonical(text.as_bytes()); // well-formed
        for location in schema_locations(&text) {
            let target = file.parent().expect("parent").join(&location);
            assert!(
                target.exists(),
                "{}: import {location} does not resolve",
                file.display()
            );
        }
    }
}

#[test]
fn each_served_contract_has_a_wsdl_with_its_facts() {
    let mut wsdls = Vec::new();
    files_with_extension(&project_schemas(), "wsdl", &mut wsdls);
    for contract in Contract::ALL {
        let suffix = format!("{}Interaction_", contract.name());
        let wsdl = wsdls
            .iter()
            .find(|p| {
                p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with(&suffix))
            })
            .unwrap_or_else(|| panic!("no WSDL for {contract}"));
        let text = std::fs::read_to_string(wsdl).expect("read");
        assert!(
            text.contains(&contract.soap_action()),
            "{}: SOAPAction",
            wsdl.display()
        );
        assert!(
            text.contains(&contract.responder_ns()),
            "{}: Responder namespace",
            wsdl.display()
        );
        let target = format!(
            "urn:riv:{}:{}:{}:rivtabp21",
            contract.domain(),
            contract.name(),
            contract.major()
        );
        assert!(
            text.contains(&target),
            "{}: target namespace {target}",
            wsdl.display()
        );
        assert!(text.contains(&format!("{}ResponderBinding", contract.name())));
        assert!(
            text.contains(&contract.endpoint_path()),
            "{}: address",
            wsdl.display()
        );
    }
}

#[test]
fn every_schema_compiles() {
    if !have_xmllint("every_schema_compiles") {
        return;
    }
    let mut xsds = Vec::new();
    files_with_extension(&project_schemas(), "xsd", &mut xsds);
    let empty = tempfile::NamedTempFile::new().expect("temp");
    std::fs::write(empty.path(), "<nothing/>").expect("write");
    for xsd in xsds {
        let output = Command::new("xmllint")
            .args(["--noout", "--nonet", "--schema"])
            .arg(&xsd)
            .arg(empty.path())
            .output()
            .expect("xmllint");
        let stderr = String::from_utf8_lossy(&output.stderr);
        // The instance is deliberately not valid; the schema must compile.
        assert!(
            !stderr.contains("failed to compile") && !stderr.contains("parser error"),
            "{} does not compile:\n{stderr}",
            xsd.display()
        );
    }
}
