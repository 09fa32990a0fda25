//! The producer's vendor import parser (`npo_producer::import::read`), JSON in, as
//! `npo producer import` and the admin upload run it before anything is written.
//!
//! Invariants: no panic; an accepted document serialises to JSON that reads back to
//! the same document and passes `validate`; with the served source systems restricted
//! to the ones it names it is still accepted; no problem text repeats a `patientId`
//! value from the input.
#![no_main]

use libfuzzer_sys::fuzz_target;
use npo_producer::import::{self, ImportOptions};
use serde_json::Value;

/// `patientId` values of the input (personal data), and the `documentId` / `type`
/// values that problems may name.
fn strings_of(value: &Value, patient_ids: &mut Vec<String>, named: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, v) in map {
                if let Value::String(s) = v {
                    if key == "patientId" {
                        patient_ids.push(s.clone());
                    } else if key == "documentId" || key == "type" {
                        named.push(s.clone());
                    }
                }
                strings_of(v, patient_ids, named);
            }
        }
        Value::Array(items) => {
            for v in items {
                strings_of(v, patient_ids, named);
            }
        }
        _ => {}
    }
}

fuzz_target!(|data: &[u8]| {
    match import::read(data, &ImportOptions::default()) {
        Ok(document) => {
            let json = serde_json::to_vec(&document)
                .unwrap_or_else(|e| panic!("an accepted document does not serialise: {e}"));
            let again = import::read(&json, &ImportOptions::default())
                .unwrap_or_else(|p| panic!("re-serialised document refused: {p:?}"));
            assert_eq!(again, document, "document changed on re-serialisation");
            assert!(import::validate(&document).is_empty());
            let mut systems: Vec<String> = document
                .records
                .iter()
                .map(|r| r.header().source_system_hsa_id.to_owned())
                .chain(
                    document
                        .deletions
                        .iter()
                        .map(|d| d.source_system_hsa_id.clone()),
                )
                .collect();
            systems.sort();
            systems.dedup();
            let options = ImportOptions {
                owner: None,
                source_systems: Some(systems),
            };
            assert!(import::validate_with(&document, &options).is_empty());
        }
        Err(problems) => {
            assert!(!problems.is_empty(), "refused without a problem");
            let Ok(value) = serde_json::from_slice::<Value>(data) else {
                return;
            };
            let mut patient_ids = Vec::new();
            let mut named = Vec::new();
            strings_of(&value, &mut patient_ids, &mut named);
            for id in patient_ids {
                // Only what could be a person's number: a run of six digits or more.
                // The fuzzer set `patientId` to "field is mis" and to the OID
                // "1.2.752.129.2.1.3.1", which the generic problem texts contain; neither
                // is personal data to leak.
                let longest_digit_run = id
                    .split(|c: char| !c.is_ascii_digit())
                    .map(str::len)
                    .max()
                    .unwrap_or(0);
                if id.trim().len() < 10
                    || longest_digit_run < 6
                    || named.iter().any(|n| n.contains(id.trim()))
                {
                    continue;
                }
                for problem in &problems {
                    assert!(
                        !problem.reason.contains(id.trim()),
                        "problem repeats a patientId: {problem}"
                    );
                }
            }
        }
    }
});
