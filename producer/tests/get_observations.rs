//! GetObservations 1 over HTTPS against a running producer, on SQLite and PostgreSQL.
//! There is no official test suite for this contract; the cases mirror the other
//! suites': basic (only patientId), date boundaries on the observation time (edges on
//! the first and last second, one second outside, open-ended `time`, observations made
//! over a period), careUnitId / careGiverId / observationType / observationId filters,
//! Http-header filter, non-existent patient (empty response), R3, nullified records,
//! and the invalid requests, which this contract (no `result` element) answers with a
//! SOAP Fault. Every non-fault response passes the official validator (XSD).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use npo_contracts::get_observations::{GetObservations, GetObservationsResponse};
use npo_contracts::healthcond_description_v3::HSA_ID_OID;
use npo_contracts::soap::{self, Fault, FaultCode, SoapError};
use npo_producer::endpoints::soap::ORIGINAL_CONSUMER_HEADER;
use npo_producer::records::JournalRecord;
use npo_producer::records::observation::{self, ObservationRecord, SNOMED_CT};
use support::*;

const PUPIL: &str = "201403129800";
const OTHER_PUPIL: &str = "201508079819";
const UNKNOWN_PUPIL: &str = "199001019802";
const PNR: &str = "1.2.752.129.2.1.3.1";
const UNIT_A: &str = "SE2120009994-0A01";
const UNIT_B: &str = "SE2120009994-0B02";
const OTHER_CARE_GIVER: &str = "SE2321009991-0009";
const AGREEMENT: &str = "3f2b8c1e-5a4d-4e6f-9b7a-1c2d3e4f5a6b";
const PATH: &str = "/GetObservations/1/rivtabp21";

/// A length measured at unit A at `at`, registered at `author_time`.
fn record(id: &str, patient: &str, at: &str, author_time: &str) -> ObservationRecord {
    ObservationRecord {
        document_id: id.into(),
        source_system_hsa_id: SOURCE_SYSTEM.into(),
        patient_id: patient.into(),
        patient_id_type: PNR.into(),
        author_time: author_time.into(),
        author_hsa_id: Some("SE2120009994-P002".into()),
        author_name: Some("Anders Öberg".into()),
        author_role_code: Some("201011".into()),
        author_role_name: Some("Skolsköterska".into()),
        author_org_unit_hsa_id: Some(UNIT_A.into()),
        author_org_unit_name: Some("Elevhälsan Björkskolan".into()),
        care_unit_hsa_id: UNIT_A.into(),
        care_giver_hsa_id: VISIBLE_CARE_GIVER.into(),
        legal_authenticator_hsa_id: None,
        legal_authenticator_name: None,
        signature_time: None,
        approved_for_patient: true,
        care_contact_id: Some("vko-1".into()),
        nullified: false,
        nullified_reason: None,
        observation_group_id: None,
        observation_type_code: "248334005".into(),
        observation_type_code_system: None,
        observation_type_display_name: "Kroppslängd".into(),
        observation_time: at.into(),
        observation_end_time: None,
        value_quantity: Some("148.5".into()),
        value_unit: Some("cm".into()),
        value_code: None,
        value_code_system: None,
        value_display_name: None,
        description: None,
    }
}

fn weight(mut r: ObservationRecord) -> ObservationRecord {
    r.observation_type_code = "27113001".into();
    r.observation_type_display_name = "Kroppsvikt".into();
    r.value_quantity = Some("39.2".into());
    r.value_unit = Some("kg".into());
    r
}

/// The records every case runs against.
fn fixtures() -> Vec<ObservationRecord> {
    let inside = "20240315120000";
    let mut records = vec![
        // Date boundaries for 2024-03-01 00:00:00..2024-03-31 23:59:59 on the
        // observation time; authorTime (registration) does not count.
        record("db-1-on-start", PUPIL, "20240301000000", "20240401100000"),
        record("db-2-on-end", PUPIL, "20240331235959", "20240401100000"),
        record("db-4-just-before", PUPIL, "20240229235959", inside),
        weight(record("db-5-just-after", PUPIL, "20240401000000", inside)),
        {
            // Over a night, ending on the period's first second.
            let mut r = record("db-6-overnight", PUPIL, "20240229200000", "20240301080000");
            r.observation_type_code = "LANGTID".into();
            r.observation_type_code_system =
                Some("2.25.125055856986048920317160086233076023874".into());
            r.observation_type_display_name = "Långtidsmätning".into();
            r.observation_end_time = Some("20240301000000".into());
            r.value_quantity = Some("36.9".into());
            r.value_unit = Some("Cel".into());
            r
        },
    ];
    // One visit: length and weight in one group, signed.
    for r in [
        record(
            "db-3-visit-length",
            PUPIL,
            "20240312100500",
            "20240312101500",
        ),
        weight(record(
            "db-3-visit-weight",
            PUPIL,
            "20240312100700",
            "20240312101500",
        )),
    ] {
        let mut r = r;
        r.observation_group_id = Some("visit-20240312".into());
        r.legal_authenticator_hsa_id = Some("SE2120009994-P002".into());
        r.legal_authenticator_name = Some("Anders Öberg".into());
        r.signature_time = Some("20240312110000".into());
        records.push(r);
    }
    // A coded value.
    let mut assessment = record("assessment", PUPIL, "20250105100000", "20250105100000");
    assessment.observation_type_code = "TILLVBED".into();
    assessment.observation_type_code_system =
        Some("2.25.125055856986048920317160086233076023874".into());
    assessment.observation_type_display_name = "Bedömning av tillväxt".into();
    assessment.value_quantity = None;
    assessment.value_unit = None;
    assessment.value_code = Some("NORMAL".into());
    assessment.value_code_system = Some("2.25.125055856986048920317160086233076023874".into());
    assessment.value_display_name = Some("Normal tillväxt".into());
    assessment.description = Some("Följer sin kurva.".into());
    records.push(assessment);
    // Care units, care givers.
    let mut unit_b = record("unit-b", PUPIL, "20250110080000", "20250110080000");
    unit_b.care_unit_hsa_id = UNIT_B.into();
    unit_b.author_role_code = None;
    unit_b.author_role_name = None;
    records.push(unit_b);
    let mut other_giver = weight(record(
        "other-care-giver",
        PUPIL,
        "20250112080000",
        "20250112080000",
    ));
    other_giver.care_giver_hsa_id = OTHER_CARE_GIVER.into();
    records.push(other_giver);
    // Never to be sent: nullified, another patient, another source system.
    let mut nullified = record("nullified", PUPIL, "20250113080000", "20250113080000");
    nullified.nullified = true;
    nullified.nullified_reason = Some("Felmätning".into());
    records.push(nullified);
    records.push(record(
        "other-pupil",
        OTHER_PUPIL,
        "20250114080000",
        "20250114080000",
    ));
    let mut other_system = record("other-system", PUPIL, "20250115080000", "20250115080000");
    other_system.source_system_hsa_id = OTHER_SOURCE_SYSTEM.into();
    records.push(other_system);
    records
}

/// Everything PUPIL has in the served source system.
const ALL_VISIBLE: usize = 7 + 3;

fn start(backend: Backend) -> Option<TestProducer> {
    let db = TestDb::new(backend)?;
    let mut conn = db.connect();
    for r in fixtures() {
        assert!(
            r.validate().is_empty(),
            "{}: {:?}",
            r.document_id,
            r.validate()
        );
        observation::upsert(&mut conn, &r).unwrap();
    }
    Some(TestProducer::start(db))
}

struct Request<'a> {
    logical_address: &'a str,
    /// `root`, `extension` of patientId.
    patient: (&'a str, &'a str),
    /// `start`, `end` of time (each optional).
    time: Option<(Option<&'a str>, Option<&'a str>)>,
    /// `code`, `codeSystem` of each observationType.
    types: &'a [(&'a str, &'a str)],
    /// `root`, `extension` of each observationId.
    ids: &'a [(&'a str, &'a str)],
    care_giver: Option<(&'a str, &'a str)>,
    care_unit: Option<(&'a str, &'a str)>,
    /// The interactionAgreementId element, verbatim (None: left out).
    agreement: Option<&'a str>,
    source_system: Option<&'a str>,
    /// A relation filter's referredInformationType.
    relation: Option<&'a str>,
}

impl Default for Request<'_> {
    fn default() -> Self {
        Request {
            logical_address: SOURCE_SYSTEM,
            patient: (PNR, PUPIL),
            time: None,
            types: &[],
            ids: &[],
            care_giver: None,
            care_unit: None,
            agreement: Some(AGREEMENT),
            source_system: None,
            relation: None,
        }
    }
}

fn ii(element: &str, (root, extension): (&str, &str)) -> String {
    format!("<{element}><c:root>{root}</c:root><c:extension>{extension}</c:extension></{element}>")
}

fn envelope(r: &Request<'_>) -> String {
    let mut body = ii("patientId", r.patient);
    if let Some((start, end)) = r.time {
        body += "<time>";
        if let Some(start) = start {
            body += &format!("<c:start>{start}</c:start>");
        }
        if let Some(end) = end {
            body += &format!("<c:end>{end}</c:end>");
        }
        body += "</time>";
    }
    for (code, system) in r.types {
        body += &format!(
            "<observationType><c:code>{code}</c:code><c:codeSystem>{system}</c:codeSystem></observationType>"
        );
    }
    for id in r.ids {
        body += &ii("observationId", *id);
    }
    if let Some(giver) = r.care_giver {
        body += &ii("careGiverId", giver);
    }
    if let Some(unit) = r.care_unit {
        body += &ii("careUnitId", unit);
    }
    if let Some(agreement) = r.agreement {
        body += &format!("<interactionAgreementId>{agreement}</interactionAgreementId>");
    }
    if let Some(source) = r.source_system {
        body += &format!("<sourceSystemHSAId>{source}</sourceSystemHSAId>");
    }
    if let Some(kind) = r.relation {
        body += &format!(
            "<relation><c:referredInformationType>{kind}</c:referredInformationType></relation>"
        );
    }
    format!(
        r#"<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" xmlns:a="urn:riv:itintegration:registry:1"><s:Header><a:LogicalAddress>{}</a:LogicalAddress></s:Header><s:Body><GetObservations xmlns="urn:riv:clinicalprocess:healthcond:basic:GetObservationsResponder:1" xmlns:c="urn:riv:clinicalprocess:healthcond:basic:1">{body}</GetObservations></s:Body></s:Envelope>"#,
        r.logical_address
    )
}

/// Calls, checks the response with the official validator, and decodes it.
async fn respond(
    producer: &TestProducer,
    name: &str,
    request: &Request<'_>,
    headers: &[(&str, &str)],
) -> (GetObservationsResponse, String) {
    let (status, body) = producer.post(PATH, envelope(request), headers).await;
    assert_eq!(status, 200, "{body}");
    official_validate(&format!("GetObservations-{name}"), &body, &[]);
    let response = soap::decode_response::<GetObservations>(body.as_bytes())
        .expect("valid response")
        .body;
    (response, body)
}

/// The observation ids (extensions, sorted) of a call.
async fn call(
    producer: &TestProducer,
    name: &str,
    request: &Request<'_>,
    headers: &[(&str, &str)],
) -> Vec<String> {
    let (response, _) = respond(producer, name, request, headers).await;
    let mut ids: Vec<String> = response
        .observation_group
        .iter()
        .flat_map(|g| {
            assert_eq!(g.source_system.id.extension, SOURCE_SYSTEM);
            assert_eq!(g.patient.id.extension, PUPIL);
            g.observation.iter().map(|o| {
                assert_eq!(o.id.root, SOURCE_SYSTEM);
                o.id.extension.clone()
            })
        })
        .collect();
    ids.sort();
    ids
}

/// The fault a call is answered with.
async fn fault(producer: &TestProducer, request: &Request<'_>) -> (Fault, String) {
    let (status, body) = producer.post(PATH, envelope(request), &[]).await;
    assert_eq!(status, 500, "{body}");
    match soap::decode_response::<GetObservations>(body.as_bytes()) {
        Err(SoapError::Fault(fault)) => (fault, body),
        other => panic!("expected a fault, got {other:?}"),
    }
}

fn sorted(ids: &[&str]) -> Vec<String> {
    let mut ids: Vec<String> = ids.iter().map(|s| s.to_string()).collect();
    ids.sort();
    ids
}

/// Only patientId: everything of the patient in the served source system, grouped,
/// and nothing nullified, of another patient or of another source system (R3).
async fn basic(backend: Backend) {
    let Some(producer) = start(backend) else {
        return;
    };
    let (response, body) = respond(&producer, "basic", &Request::default(), &[]).await;
    let groups = &response.observation_group;
    let count: usize = groups.iter().map(|g| g.observation.len()).sum();
    assert_eq!(count, ALL_VISIBLE);
    // The visit's length and weight share one group; the others stand alone.
    assert_eq!(groups.len(), ALL_VISIBLE - 1);
    let visit = groups
        .iter()
        .find(|g| g.observation.len() == 2)
        .expect("the visit's group");
    assert!(visit.legal_authenticator.is_some());
    assert_eq!(visit.patient.date_of_birth.to_string(), "20140312");
    for unwanted in [
        "nullified",
        "other-pupil",
        "other-system",
        "Felmätning",
        "vko-1",
    ] {
        assert!(!body.contains(unwanted), "{unwanted} was sent");
    }
    assert!(body.contains("Normal tillväxt") && body.contains("Kroppsvikt"));
    producer.stop().await;
}

async fn date_boundaries(backend: Backend) {
    let Some(producer) = start(backend) else {
        return;
    };
    let period = Request {
        time: Some((Some("20240301000000"), Some("20240331235959"))),
        ..Request::default()
    };
    assert_eq!(
        call(&producer, "dates", &period, &[]).await,
        sorted(&[
            "db-1-on-start",
            "db-2-on-end",
            "db-3-visit-length",
            "db-3-visit-weight",
            "db-6-overnight"
        ])
    );
    // Open start: everything observed up to the end.
    let until = Request {
        time: Some((None, Some("20240229235959"))),
        ..Request::default()
    };
    assert_eq!(
        call(&producer, "until", &until, &[]).await,
        sorted(&["db-4-just-before", "db-6-overnight"])
    );
    // Open end: everything observed from the start.
    let from = Request {
        time: Some((Some("20250110080000"), None)),
        ..Request::default()
    };
    assert_eq!(
        call(&producer, "from", &from, &[]).await,
        sorted(&["other-care-giver", "unit-b"])
    );
    // An empty time element filters nothing.
    let empty = Request {
        time: Some((None, None)),
        ..Request::default()
    };
    assert_eq!(
        call(&producer, "empty-time", &empty, &[]).await.len(),
        ALL_VISIBLE
    );
    producer.stop().await;
}

async fn filters(backend: Backend) {
    let Some(producer) = start(backend) else {
        return;
    };
    // careUnitId, careGiverId.
    let request = Request {
        care_unit: Some((HSA_ID_OID, UNIT_B)),
        source_system: Some(SOURCE_SYSTEM),
        ..Request::default()
    };
    assert_eq!(call(&producer, "unit", &request, &[]).await, ["unit-b"]);
    let request = Request {
        care_giver: Some((HSA_ID_OID, OTHER_CARE_GIVER)),
        ..Request::default()
    };
    assert_eq!(
        call(&producer, "giver", &request, &[]).await,
        ["other-care-giver"]
    );
    let request = Request {
        care_giver: Some((HSA_ID_OID, VISIBLE_CARE_GIVER)),
        care_unit: Some((HSA_ID_OID, UNIT_A)),
        ..Request::default()
    };
    assert_eq!(
        call(&producer, "giver-and-unit", &request, &[]).await.len(),
        ALL_VISIBLE - 2
    );
    // observationType: code and code system must both match.
    let request = Request {
        types: &[("27113001", SNOMED_CT)],
        ..Request::default()
    };
    assert_eq!(
        call(&producer, "weights", &request, &[]).await,
        sorted(&["db-3-visit-weight", "db-5-just-after", "other-care-giver"])
    );
    let request = Request {
        types: &[
            ("27113001", "1.2.3.4"),
            ("TILLVBED", "2.25.125055856986048920317160086233076023874"),
        ],
        ..Request::default()
    };
    assert_eq!(
        call(&producer, "types", &request, &[]).await,
        ["assessment"]
    );
    // observationId: root (the source system) and extension (the documentId).
    let request = Request {
        ids: &[
            (SOURCE_SYSTEM, "db-1-on-start"),
            (SOURCE_SYSTEM, "nullified"),
        ],
        ..Request::default()
    };
    assert_eq!(
        call(&producer, "ids", &request, &[]).await,
        ["db-1-on-start"]
    );
    let request = Request {
        ids: &[
            (OTHER_SOURCE_SYSTEM, "db-1-on-start"),
            (SOURCE_SYSTEM, "other-system"),
        ],
        ..Request::default()
    };
    assert!(
        call(&producer, "foreign-ids", &request, &[])
            .await
            .is_empty()
    );
    // A relation filter: our observations carry no relations.
    let request = Request {
        relation: Some("careContact"),
        ..Request::default()
    };
    assert!(call(&producer, "relation", &request, &[]).await.is_empty());
    // Http-header filter: the restricted consumer sees only its care giver's.
    let ids = call(
        &producer,
        "restricted",
        &Request::default(),
        &[(ORIGINAL_CONSUMER_HEADER, RESTRICTED_CONSUMER)],
    )
    .await;
    assert_eq!(ids.len(), ALL_VISIBLE - 1);
    assert!(!ids.contains(&"other-care-giver".to_string()));
    let ids = call(
        &producer,
        "unrestricted",
        &Request::default(),
        &[(ORIGINAL_CONSUMER_HEADER, "SE5599000022-ANY1")],
    )
    .await;
    assert_eq!(ids.len(), ALL_VISIBLE);
    producer.stop().await;
}

async fn unknown_patient_and_invalid_requests(backend: Backend) {
    let Some(producer) = start(backend) else {
        return;
    };
    // Non-existent patient: an empty response, not a fault.
    let request = Request {
        patient: (PNR, UNKNOWN_PUPIL),
        ..Request::default()
    };
    assert!(
        call(&producer, "unknown-patient", &request, &[])
            .await
            .is_empty()
    );
    // Invalid requests: a Client fault naming the element, never echoing the number.
    let cases: Vec<(Request<'_>, &str)> = vec![
        (
            Request {
                source_system: Some(OTHER_SOURCE_SYSTEM),
                ..Request::default()
            },
            "sourceSystemHSAId",
        ),
        (
            Request {
                patient: (PNR, "201403129801"),
                ..Request::default()
            },
            "patientId",
        ),
        (
            Request {
                patient: ("1.2.3.4", PUPIL),
                ..Request::default()
            },
            "patientId",
        ),
        (
            Request {
                time: Some((Some("20240331000000"), Some("20240301000000"))),
                ..Request::default()
            },
            "time",
        ),
        (
            Request {
                care_unit: Some(("1.2.3.4", UNIT_B)),
                ..Request::default()
            },
            "careUnitId",
        ),
        (
            Request {
                care_giver: Some((HSA_ID_OID, " ")),
                ..Request::default()
            },
            "careGiverId",
        ),
        (
            Request {
                agreement: None,
                ..Request::default()
            },
            "interactionAgreementId",
        ),
        (
            Request {
                agreement: Some("not-a-uuid"),
                ..Request::default()
            },
            "interactionAgreementId",
        ),
    ];
    for (request, element) in cases {
        let (fault, body) = fault(&producer, &request).await;
        assert_eq!(fault.code, FaultCode::Client, "{element}");
        assert!(
            fault.string.starts_with("Invalid request") && fault.string.contains(element),
            "{element}: {}",
            fault.string
        );
        assert!(
            !body.contains("201403129801") && !body.contains(PUPIL),
            "{element}"
        );
    }
    // A LogicalAddress this producer does not serve.
    let request = Request {
        logical_address: OTHER_SOURCE_SYSTEM,
        ..Request::default()
    };
    assert!(
        fault(&producer, &request)
            .await
            .0
            .string
            .contains("not a source system served")
    );
    producer.stop().await;
}

macro_rules! on_both_backends {
    ($($case:ident),*) => {
        mod sqlite {
            $( #[actix_rt::test] async fn $case() { super::$case(super::Backend::Sqlite).await } )*
        }
        mod postgres {
            $( #[actix_rt::test] async fn $case() { super::$case(super::Backend::Postgres).await } )*
        }
    };
}

on_both_backends!(
    basic,
    date_boundaries,
    filters,
    unknown_patient_and_invalid_requests
);
