//! Parse and serialise throughput of a 50-record response of each contract, and the
//! routing fast path. Run with `cargo bench -p npo-contracts --bench xml`; criterion
//! prints MB/s ("thrpt") per case.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::hint::black_box;
use std::path::Path;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use npo_contracts::soap::{self, Envelope, Operation};
use npo_contracts::{
    fastpath, get_care_contacts, get_care_documentation, get_diagnosis, get_medication_history,
    get_observations, get_vaccination_history,
};

const RECORDS: usize = 50;

fn golden(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// Repeats the records of a list field to `RECORDS` entries, giving each a distinct
/// document id so the payload is not trivially repetitive.
fn fill<T: Clone>(records: &mut Vec<T>, mut rename: impl FnMut(&mut T, usize)) {
    let templates = records.clone();
    assert!(!templates.is_empty(), "golden response has no records");
    records.clear();
    for index in 0..RECORDS {
        let mut record = templates[index % templates.len()].clone();
        rename(&mut record, index);
        records.push(record);
    }
}

/// Benchmarks parsing and serialising the response of `Op` built from `golden_name`
/// by `grow`.
fn bench_response<Op: Operation>(
    c: &mut Criterion,
    golden_name: &str,
    grow: impl FnOnce(&mut Op::Response),
) where
    Op::Response: Clone + std::fmt::Debug,
{
    let mut envelope: Envelope<Op::Response> =
        soap::decode_envelope(&golden(golden_name), false).expect("golden decodes");
    grow(&mut envelope.body);
    let xml = soap::encode(&envelope);
    soap::decode_response::<Op>(xml.as_bytes()).expect("50-record response decodes");

    let mut group = c.benchmark_group(format!("{}/{RECORDS}-records", Op::CONTRACT));
    group.throughput(Throughput::Bytes(xml.len() as u64));
    group.bench_function("parse", |b| {
        b.iter(|| soap::decode_response::<Op>(black_box(xml.as_bytes())).expect("decodes"))
    });
    group.bench_function("serialise", |b| {
        b.iter(|| soap::encode(black_box(&envelope)))
    });
    group.finish();
}

fn responses(c: &mut Criterion) {
    bench_response::<get_diagnosis::GetDiagnosis>(c, "GetDiagnosis_response.xml", |r| {
        fill(&mut r.diagnosis, |d, i| {
            d.diagnosis_header.document_id = format!("dia-{i:06}")
        })
    });
    bench_response::<get_care_contacts::GetCareContacts>(c, "GetCareContacts_response.xml", |r| {
        fill(&mut r.care_contact, |d, i| {
            d.care_contact_header.document_id = format!("vko-{i:06}")
        })
    });
    bench_response::<get_medication_history::GetMedicationHistory>(
        c,
        "GetMedicationHistory_response.xml",
        |r| {
            fill(&mut r.medication_medical_record, |d, i| {
                d.medication_medical_record_header.document_id = format!("gmh-{i:06}")
            })
        },
    );
    bench_response::<get_vaccination_history::GetVaccinationHistory>(
        c,
        "GetVaccinationHistory_response.xml",
        |r| {
            fill(&mut r.vaccination_medical_record, |d, i| {
                d.vaccination_medical_record_header.document_id = format!("gvh-{i:06}")
            })
        },
    );
    bench_response::<get_care_documentation::GetCareDocumentation>(
        c,
        "GetCareDocumentation_response.xml",
        |r| fill(&mut r.care_documentation, |_, _| {}),
    );
    bench_response::<get_observations::GetObservations>(c, "GetObservations_response.xml", |r| {
        fill(&mut r.observation_group, |_, _| {})
    });
}

fn fast_path(c: &mut Criterion) {
    let mut group = c.benchmark_group("fastpath");
    // A realistic request: routing reads the header and the body start only.
    let request = golden("GetDiagnosis_request.xml");
    group.throughput(Throughput::Bytes(request.len() as u64));
    group.bench_function("GetDiagnosis-request", |b| {
        b.iter(|| fastpath::scan(black_box(&request)).expect("scans"))
    });
    // A large request whose patient id comes last: the scan must read it all.
    let units: String = (0..2000)
        .map(|i| format!("<urn1:careUnitHSAId>SE2321000016-{i:04}</urn1:careUnitHSAId>\n      "))
        .collect();
    let large = String::from_utf8(request.clone()).expect("utf8").replacen(
        "<urn1:careUnitHSAId>",
        &format!("{units}<urn1:careUnitHSAId>"),
        1,
    );
    group.throughput(Throughput::Bytes(large.len() as u64));
    group.bench_function("full-read-100KB", |b| {
        b.iter(|| fastpath::scan(black_box(large.as_bytes())).expect("scans"))
    });
    group.finish();
}

criterion_group!(benches, responses, fast_path);
criterion_main!(benches);
