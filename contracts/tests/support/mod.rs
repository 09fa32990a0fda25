//! Helpers for the golden-message tests: XML comparison modulo insignificant
//! whitespace and prefixes, schema-coverage checks, and the external validators.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![allow(dead_code)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use npo_contracts::soap::{self, Envelope};
use npo_contracts::xml::{XmlRoot, XmlType, to_document};
use quick_xml::NsReader;
use quick_xml::events::Event;
use quick_xml::name::ResolveResult;

/// The golden file's bytes.
pub fn golden(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// A canonical event list: `{ns}name` starts, ends, sorted non-xmlns attributes and
/// non-whitespace text (trimmed). Prefixes, declarations, comments and whitespace
/// between elements do not matter.
pub fn canonical(xml: &[u8]) -> Vec<String> {
    let mut reader = NsReader::from_reader(xml);
    reader.config_mut().expand_empty_elements = true;
    let mut events = Vec::new();
    let mut text = String::new();
    let flush = |text: &mut String, events: &mut Vec<String>| {
        let trimmed = text.trim();
        if !trimmed.is_empty() {
            events.push(format!("text {trimmed}"));
        }
        text.clear();
    };
    loop {
        let (resolved, event) = reader.read_resolved_event().expect("well-formed XML");
        let ns = match resolved {
            ResolveResult::Bound(ns) => ns.into_inner().to_owned(),
            _ => String::new(),
        };
        match event {
            Event::Start(start) => {
                flush(&mut text, &mut events);
                let mut attributes: Vec<String> = start
                    .attributes()
                    .filter_map(Result::ok)
                    .filter(|a| {
                        let key = a.key.as_ref();
                        key != "xmlns" && !key.starts_with("xmlns:")
                    })
                    .map(|a| format!("{}={}", a.key.as_ref(), a.value))
                    .collect();
                attributes.sort();
                events.push(format!(
                    "start {{{ns}}}{} {}",
                    start.local_name().as_ref(),
                    attributes.join(" ")
                ));
            }
            Event::End(end) => {
                flush(&mut text, &mut events);
                events.push(format!("end {}", end.local_name().as_ref()));
            }
            Event::Text(t) => text.push_str(&t.xml10_content()),
            Event::CData(d) => text.push_str(&d.into_inner()),
            Event::GeneralRef(r) => {
                let ch = match r.resolve_char_ref().expect("char ref") {
                    Some(ch) => ch,
                    None => match &*r {
                        "lt" => '<',
                        "gt" => '>',
                        "amp" => '&',
                        "apos" => '\'',
                        "quot" => '"',
                        other => panic!("unknown entity {other}"),
                    },
                };
                text.push(ch);
            }
            Event::Eof => break,
            _ => {}
        }
    }
    events
}

/// Asserts two documents are equal modulo insignificant whitespace and prefixes.
pub fn assert_xml_equivalent(expected: &[u8], actual: &[u8]) {
    let (a, b) = (canonical(expected), canonical(actual));
    if a != b {
        let at = a
            .iter()
            .zip(&b)
            .position(|(x, y)| x != y)
            .unwrap_or(a.len().min(b.len()));
        let from = at.saturating_sub(3);
        panic!(
            "XML differs at event {at}:\n expected: {:#?}\n actual:   {:#?}\n--- actual document ---\n{}",
            &a[from..(at + 3).min(a.len())],
            &b[from..(at + 3).min(b.len())],
            String::from_utf8_lossy(actual)
        );
    }
}

/// Decodes the golden envelope as `B`, re-encodes it and checks the round trip.
pub fn round_trip<B: XmlRoot + std::fmt::Debug + PartialEq>(name: &str) -> Envelope<B> {
    let original = golden(name);
    let envelope: Envelope<B> = soap::decode_envelope(&original, false)
        .unwrap_or_else(|e| panic!("{name} does not decode: {e}"));
    let encoded = soap::encode(&envelope);
    assert_xml_equivalent(&original, encoded.as_bytes());
    let again: Envelope<B> = soap::decode_envelope(encoded.as_bytes(), false).expect("re-decode");
    assert_eq!(again, envelope, "{name}: decode(encode(x)) != x");
    envelope
}

/// Every element name the model of `B` can contain.
pub fn schema_element_names<B: XmlType>() -> BTreeSet<&'static str> {
    let mut names = BTreeSet::new();
    B::element_names(&mut names, &mut BTreeSet::new());
    names
}

/// Asserts that every element of `B`'s model occurs in at least one of the golden
/// files (by local name), except those listed as `absent_by_design`.
pub fn assert_covers_schema<B: XmlType>(files: &[&str], absent_by_design: &[&str]) {
    let mut present = BTreeSet::new();
    for file in files {
        for event in canonical(&golden(file)) {
            if let Some(rest) = event.strip_prefix("start ") {
                let name = rest.split_once('}').map(|(_, n)| n).unwrap_or(rest);
                present.insert(name.split(' ').next().unwrap_or_default().to_owned());
            }
        }
    }
    let missing: Vec<_> = schema_element_names::<B>()
        .into_iter()
        .filter(|n| !present.contains(*n) && !absent_by_design.contains(n))
        .collect();
    assert!(
        missing.is_empty(),
        "elements never present in {files:?}: {missing:?}"
    );
}

/// `RIVTA_REFERENCE_DIR`, or `None` (with a clear note) when the validators are off.
pub fn reference_dir(test: &str) -> Option<PathBuf> {
    match std::env::var_os("RIVTA_REFERENCE_DIR") {
        Some(dir) if !dir.is_empty() => Some(PathBuf::from(dir)),
        _ => {
            eprintln!(
                "SKIPPED {test}: RIVTA_REFERENCE_DIR is not set, official-schema validation not run"
            );
            None
        }
    }
}

/// Writes `contents` to a fresh temporary file and returns its path.
pub fn temp_file(name: &str, contents: &[u8]) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join(name);
    std::fs::write(&path, contents).expect("write temp file");
    (dir, path)
}

/// Runs the official validator (XSD + Schematron) on a whole envelope.
pub fn official_validate(reference: &Path, file: &Path, extra: &[&str]) {
    let script = reference.join("../tools/rivta-validate/validate.js");
    let output = Command::new("node")
        .arg(&script)
        .args(extra)
        .arg(file)
        .env("RIVTA_REFERENCE_DIR", reference)
        .output()
        .expect("run node validate.js");
    assert!(
        output.status.success(),
        "validate.js {extra:?} rejected {}:\n{}\n{}",
        file.display(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Whether xmllint can run. Outside CI a missing xmllint skips schema checks with a
/// note; in CI (`CI` set) it is an error, because `.ci/run` installs it.
pub fn have_xmllint(test: &str) -> bool {
    let found = Command::new("xmllint").arg("--version").output().is_ok();
    if !found {
        assert!(
            std::env::var_os("CI").is_none(),
            "xmllint is missing in CI (libxml2-utils)"
        );
        eprintln!("SKIPPED {test}: xmllint not installed (apt-get install libxml2-utils)");
    }
    found
}

/// Validates a standalone payload document against an XSD with xmllint.
pub fn xmllint_validate(xsd: &Path, file: &Path) {
    assert!(xsd.exists(), "schema {} does not exist", xsd.display());
    let output = Command::new("xmllint")
        .args(["--noout", "--nonet", "--schema"])
        .arg(xsd)
        .arg(file)
        .output()
        .expect("xmllint must be installed (Debian package libxml2-utils)");
    assert!(
        output.status.success(),
        "xmllint --schema {} rejected {}:\n{}",
        xsd.display(),
        file.display(),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// The project's own schema folder.
pub fn project_schemas() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../schemas")
}

/// Validates the golden envelope's body against the project's responder XSD and the
/// official one (both with xmllint), and, for responses, runs the official validator
/// with its Schematron rules (`schematron_args`, or `None` for XSD only).
pub fn validate_golden<B: XmlRoot>(
    name: &str,
    body: &B,
    ours: &str,
    official: &str,
    schematron_args: Option<&[&str]>,
) {
    let payload = to_document(body);
    let (_dir, payload_file) = temp_file("payload.xml", payload.as_bytes());
    assert!(
        project_schemas().join(ours).exists(),
        "project schema {ours} is missing"
    );
    if !have_xmllint(name) {
        return;
    }
    xmllint_validate(&project_schemas().join(ours), &payload_file);
    let Some(reference) = reference_dir(name) else {
        return;
    };
    xmllint_validate(&reference.join("rivta").join(official), &payload_file);
    if let Some(args) = schematron_args {
        let (_dir, envelope_file) = temp_file(name, &golden(name));
        official_validate(&reference, &envelope_file, args);
    }
}
