//! The producer's rows of the bad-input catalogue (SECURITY.md): hostile or broken
//! calls to a contract endpoint over HTTPS, on SQLite and PostgreSQL. Each test asserts
//! the documented answer (HTTP status, SOAP Fault code and text, or the contract's
//! result code), that no personal identity number is echoed, and that nothing was
//! stored: the journal tables and the engagement outbox are unchanged.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::collections::BTreeMap;

use npo_contracts::get_diagnosis::GetDiagnosis;
use npo_contracts::soap::{self, FaultCode, SoapError};
use npo_contracts::types::{ErrorCode, ResultCode};
use npo_pki::Party;
use npo_producer::import::{self, RecordKind};
use npo_producer::outbox;
use npo_producer::records::diagnosis::{self, DiagnosisRecord};
use support::*;

const PUPIL: &str = "201403129800";
const PATH: &str = "/GetDiagnosis/2/rivtabp21";
/// Text that would do harm if it were run as SQL, HTML or script anywhere.
const HOSTILE_TEXT: &str =
    "Astma'); DROP TABLE diagnoses; -- <script>alert(1)</script><img src=x onerror=alert(2)>&amp;";

fn record(id: &str, display_name: &str) -> DiagnosisRecord {
    DiagnosisRecord {
        diagnosis_display_name: Some(display_name.into()),
        ..diagnosis_record(id, PUPIL, "20250110080000")
    }
}

fn start(backend: Backend) -> Option<TestProducer> {
    let db = TestDb::new(backend)?;
    let mut conn = db.connect();
    diagnosis::upsert(&mut conn, &record("dia-1", "Astma, ospecificerad")).unwrap();
    diagnosis::upsert(&mut conn, &record("dia-hostile", HOSTILE_TEXT)).unwrap();
    Some(TestProducer::start(db))
}

/// What the producer has stored: records per kind and the outbox.
fn stored(producer: &TestProducer) -> (BTreeMap<RecordKind, i64>, usize) {
    let mut conn = producer.db.connect();
    (
        import::count_records(&mut conn).unwrap(),
        outbox::all_rows(&mut conn).unwrap().len(),
    )
}

/// A valid GetDiagnosis request for `patient`.
fn valid(patient: &str) -> String {
    get_diagnosis_request(patient)
}

/// POSTs raw bytes as the platform, with extra headers.
async fn post(
    producer: &TestProducer,
    party: Party,
    body: Vec<u8>,
    headers: &[(&str, &str)],
) -> (u16, String) {
    let client = producer.client(party);
    let mut request = client.post(format!("https://localhost:{}{PATH}", producer.port));
    let mut content_type = false;
    for (name, value) in headers {
        content_type |= name.eq_ignore_ascii_case("content-type");
        request = request.insert_header((*name, *value));
    }
    if !content_type {
        request = request.insert_header(("content-type", "text/xml; charset=utf-8"));
    }
    let mut response = request.send_body(body).await.expect("request");
    let bytes = response.body().limit(16 * 1024 * 1024).await.expect("body");
    (
        response.status().as_u16(),
        String::from_utf8(bytes.to_vec()).expect("utf-8"),
    )
}

/// Sends `body`, expects HTTP `status` with a SOAP Fault of `code` whose string
/// contains `expected`, no personal data, and nothing stored. Returns the fault string.
async fn refused_with(
    producer: &TestProducer,
    party: Party,
    body: Vec<u8>,
    headers: &[(&str, &str)],
    status: u16,
    code: FaultCode,
    expected: &str,
) -> String {
    let before = stored(producer);
    let (got, text) = post(producer, party, body, headers).await;
    assert_eq!(got, status, "{text}");
    let fault = match soap::decode_response::<GetDiagnosis>(text.as_bytes()) {
        Err(SoapError::Fault(fault)) => fault,
        other => panic!("expected a SOAP Fault, got {other:?}: {text}"),
    };
    assert_eq!(fault.code, code, "{fault:?}");
    assert!(fault.string.contains(expected), "{:?}", fault.string);
    for personal in [PUPIL, "20140312-9800", "root:x:0:0"] {
        assert!(!text.contains(personal), "{personal} in {text}");
    }
    assert!(!text.contains("Astma"), "journal data in a fault: {text}");
    assert_eq!(stored(producer), before, "something was stored");
    fault.string
}

async fn refused(producer: &TestProducer, body: impl Into<Vec<u8>>, expected: &str) -> String {
    refused_with(
        producer,
        Party::Platform,
        body.into(),
        &[],
        500,
        FaultCode::Client,
        expected,
    )
    .await
}

/// Calls with a valid envelope around `patient`; expects HTTP 200 with result ERROR /
/// INVALID_REQUEST and no records, nothing stored.
async fn invalid_request(producer: &TestProducer, patient: &str) {
    let before = stored(producer);
    let (status, text) = post(producer, Party::Platform, valid(patient).into(), &[]).await;
    assert_eq!(status, 200, "{text}");
    let response = soap::decode_response::<GetDiagnosis>(text.as_bytes()).unwrap();
    let result = response.body.result.expect("a result");
    assert_eq!(result.result_code, ResultCode::Error);
    assert_eq!(result.error_code, Some(ErrorCode::InvalidRequest));
    assert!(response.body.diagnosis.is_empty());
    assert!(!text.contains(PUPIL) && !text.contains("Astma"), "{text}");
    assert_eq!(stored(producer), before);
}

// ---------------------------------------------------------------------------------
// XML attacks

async fn xxe_external_entity(backend: Backend) {
    let Some(producer) = start(backend) else {
        return;
    };
    let body = valid("&xxe;").replace(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>",
        "<?xml version=\"1.0\"?><!DOCTYPE s:Envelope [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>",
    );
    refused(&producer, body, "entity declaration").await;
    producer.stop().await;
}

async fn billion_laughs(backend: Backend) {
    let Some(producer) = start(backend) else {
        return;
    };
    let mut dtd = String::from("<!DOCTYPE s:Envelope [<!ENTITY l0 \"lol\">");
    for i in 1..10 {
        let prev = format!("&l{};", i - 1);
        dtd += &format!("<!ENTITY l{i} \"{}\">", prev.repeat(10));
    }
    dtd += "]>";
    let body = valid("&l9;").replace("<?xml version=\"1.0\" encoding=\"UTF-8\"?>", &dtd);
    let started = std::time::Instant::now();
    refused(&producer, body, "entity declaration").await;
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    producer.stop().await;
}

async fn doctype_without_entities(backend: Backend) {
    let Some(producer) = start(backend) else {
        return;
    };
    let body = format!(
        "<!DOCTYPE Envelope SYSTEM \"http://example.invalid/x.dtd\">{}",
        valid(PUPIL)
    );
    refused(&producer, body, "DOCTYPE").await;
    producer.stop().await;
}

async fn body_of_50_mb_is_cut_off_at_the_limit(backend: Backend) {
    let Some(producer) = start(backend) else {
        return;
    };
    let before = stored(&producer);
    // 50 MB, generated while sending (chunked): the test never holds it in memory.
    let head = valid(PUPIL).replace("<patientId>", "<!--");
    let chunk = web_bytes(vec![b'x'; 64 * 1024]);
    let chunks = std::iter::once(web_bytes(head.into_bytes()))
        .chain(std::iter::repeat_n(chunk, 800))
        .map(Ok::<_, std::io::Error>);
    let client = producer.client(Party::Platform);
    let started = std::time::Instant::now();
    let mut response = client
        .post(format!("https://localhost:{}{PATH}", producer.port))
        .insert_header(("content-type", "text/xml; charset=utf-8"))
        .send_stream(futures_util::stream::iter(chunks))
        .await
        .expect("an answer before the whole body is sent");
    let text = response.body().await.unwrap();
    assert_eq!(response.status().as_u16(), 500);
    let text = String::from_utf8(text.to_vec()).unwrap();
    match soap::decode_response::<GetDiagnosis>(text.as_bytes()) {
        Err(SoapError::Fault(fault)) => {
            assert_eq!(fault.code, FaultCode::Client);
            assert!(
                fault.string.contains("larger than 65536 bytes"),
                "{}",
                fault.string
            );
        }
        other => panic!("expected a fault, got {other:?}"),
    }
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
    assert_eq!(stored(&producer), before);
    producer.stop().await;
}

fn web_bytes(bytes: Vec<u8>) -> actix_web::web::Bytes {
    actix_web::web::Bytes::from(bytes)
}

async fn deep_nesting(backend: Backend) {
    let Some(producer) = start(backend) else {
        return;
    };
    // Inside an extension element (foreign namespace, skipped like `xs:any ##other`),
    // where nothing else stops the reader.
    let depth = 2_000;
    let body = valid(PUPIL).replace(
        "</GetDiagnosis>",
        &format!(
            "<e:x xmlns:e=\"urn:example:extension\">{}{}</e:x></GetDiagnosis>",
            "<e:x>".repeat(depth),
            "</e:x>".repeat(depth)
        ),
    );
    assert!(body.len() < 64 * 1024);
    refused(&producer, body, "nested deeper than 64 levels").await;
    producer.stop().await;
}

async fn many_attributes(backend: Backend) {
    let Some(producer) = start(backend) else {
        return;
    };
    let attributes: String = (0..4_000).map(|i| format!(" a{i}=\"v\"")).collect();
    let body = valid(PUPIL).replace("<patientId>", &format!("<patientId{attributes}>"));
    assert!(body.len() < 64 * 1024);
    // Attributes of RIV-TA elements are not part of the schema: the request is answered
    // as if they were not there (the same answer as the valid request).
    let before = stored(&producer);
    let (status, text) = post(&producer, Party::Platform, body.into(), &[]).await;
    assert_eq!(status, 200, "{text}");
    let response = soap::decode_response::<GetDiagnosis>(text.as_bytes()).unwrap();
    assert_eq!(response.body.diagnosis.len(), 2);
    // Not even a duplicated attribute is looked at (XML calls it malformed; no RIV-TA
    // element has attributes to read): the same answer.
    let duplicated = valid(PUPIL).replace("<patientId>", "<patientId a=\"1\" a=\"2\">");
    let (status, text) = post(&producer, Party::Platform, duplicated.into(), &[]).await;
    assert_eq!(status, 200, "{text}");
    assert_eq!(stored(&producer), before);
    producer.stop().await;
}

// ---------------------------------------------------------------------------------
// Envelope and header

async fn wrong_body_namespace(backend: Backend) {
    let Some(producer) = start(backend) else {
        return;
    };
    let body = valid(PUPIL).replace("GetDiagnosisResponder:2", "GetDiagnosisResponder:1");
    refused(&producer, body, "is in namespace").await;
    producer.stop().await;
}

async fn wrong_child_namespace(backend: Backend) {
    let Some(producer) = start(backend) else {
        return;
    };
    let body = valid(PUPIL)
        .replace("<c:id>", "<id>")
        .replace("</c:id>", "</id>");
    refused(&producer, body, "Invalid request").await;
    producer.stop().await;
}

async fn soap_12_envelope(backend: Backend) {
    let Some(producer) = start(backend) else {
        return;
    };
    let body = valid(PUPIL).replace(
        "http://schemas.xmlsoap.org/soap/envelope/",
        "http://www.w3.org/2003/05/soap-envelope",
    );
    refused(&producer, body, "SOAP 1.2 envelope received").await;
    producer.stop().await;
}

async fn missing_logical_address(backend: Backend) {
    let Some(producer) = start(backend) else {
        return;
    };
    let body = valid(PUPIL).replace(
        &format!("<s:Header><a:LogicalAddress>{SOURCE_SYSTEM}</a:LogicalAddress></s:Header>"),
        "",
    );
    refused(&producer, body, "LogicalAddress header").await;
    producer.stop().await;
}

async fn logical_address_of_another_source_system(backend: Backend) {
    let Some(producer) = start(backend) else {
        return;
    };
    let body = valid(PUPIL).replace(SOURCE_SYSTEM, OTHER_SOURCE_SYSTEM);
    refused(&producer, body, "is not a source system served").await;
    producer.stop().await;
}

async fn two_body_elements(backend: Backend) {
    let Some(producer) = start(backend) else {
        return;
    };
    let envelope = valid(PUPIL);
    let start = envelope.find("<GetDiagnosis ").unwrap();
    let end = envelope.find("</s:Body>").unwrap();
    let body = format!(
        "{}{}{}",
        &envelope[..end],
        &envelope[start..end],
        &envelope[end..]
    );
    refused(&producer, body, "exactly one element").await;
    producer.stop().await;
}

async fn truncated_body(backend: Backend) {
    let Some(producer) = start(backend) else {
        return;
    };
    let envelope = valid(PUPIL);
    let cut = envelope.find("</GetDiagnosis>").unwrap();
    refused(&producer, &envelope.as_bytes()[..cut], "Invalid request").await;
    refused(&producer, Vec::new(), "empty message").await;
    producer.stop().await;
}

async fn invalid_utf8(backend: Backend) {
    let Some(producer) = start(backend) else {
        return;
    };
    let envelope = valid(PUPIL);
    let mut body = envelope.clone().into_bytes();
    let at = envelope.find("</c:type>").unwrap() - 2;
    body[at] = 0xff;
    body[at + 1] = 0xfe;
    refused(&producer, body, "Invalid request").await;
    producer.stop().await;
}

async fn wrong_content_type(backend: Backend) {
    let Some(producer) = start(backend) else {
        return;
    };
    // The envelope decides, not the header: a SOAP 1.1 envelope sent as JSON or as
    // SOAP 1.2's media type is read like any other; JSON is not an envelope.
    let before = stored(&producer);
    for content_type in ["application/json", "application/soap+xml; charset=utf-8"] {
        let (status, text) = post(
            &producer,
            Party::Platform,
            valid(PUPIL).into(),
            &[("content-type", content_type)],
        )
        .await;
        assert_eq!(status, 200, "{content_type}: {text}");
    }
    refused_with(
        &producer,
        Party::Platform,
        br#"{"patientId": "201403129800"}"#.to_vec(),
        &[("content-type", "application/json")],
        500,
        FaultCode::Client,
        "Invalid request",
    )
    .await;
    assert_eq!(stored(&producer), before);
    producer.stop().await;
}

async fn huge_header(backend: Backend) {
    let Some(producer) = start(backend) else {
        return;
    };
    let before = stored(&producer);
    let value = "x".repeat(128 * 1024);
    let client = producer.client(Party::Platform);
    let response = client
        .post(format!("https://localhost:{}{PATH}", producer.port))
        .insert_header(("content-type", "text/xml; charset=utf-8"))
        .insert_header(("x-padding", value.as_str()))
        .send_body(valid(PUPIL))
        .await
        .expect("an answer");
    assert_eq!(response.status().as_u16(), 431);
    assert_eq!(stored(&producer), before);
    producer.stop().await;
}

// ---------------------------------------------------------------------------------
// Identity and field values

async fn forged_original_consumer_from_a_caller_that_is_not_allowed(backend: Backend) {
    let Some(producer) = start(backend) else {
        return;
    };
    // Only the platform's certificate may call; a header naming a consumer changes
    // nothing for anyone else.
    refused_with(
        &producer,
        Party::Tester,
        valid(PUPIL).into(),
        &[(
            "x-rivta-original-serviceconsumer-hsaid",
            Party::Platform.hsa_id(),
        )],
        403,
        FaultCode::Client,
        "not allowed to call this producer",
    )
    .await;
    producer.stop().await;
}

async fn bad_personnummer(backend: Backend) {
    let Some(producer) = start(backend) else {
        return;
    };
    for patient in ["201403129801", "20140312-9800", "201413129800", "abc"] {
        invalid_request(&producer, patient).await;
    }
    producer.stop().await;
}

async fn sql_in_the_patient_id(backend: Backend) {
    let Some(producer) = start(backend) else {
        return;
    };
    invalid_request(&producer, "201403129800' OR '1'='1").await;
    invalid_request(&producer, "1' UNION SELECT * FROM diagnoses --").await;
    producer.stop().await;
}

async fn sql_in_a_filter_field(backend: Backend) {
    let Some(producer) = start(backend) else {
        return;
    };
    let before = stored(&producer);
    let body = valid(PUPIL).replace(
        "<patientId>",
        "<careUnitHSAId>x' OR '1'='1</careUnitHSAId><patientId>",
    );
    let (status, text) = post(&producer, Party::Platform, body.into(), &[]).await;
    assert_eq!(status, 200, "{text}");
    let response = soap::decode_response::<GetDiagnosis>(text.as_bytes()).unwrap();
    // The value is a bound parameter: it matches no care unit.
    assert!(response.body.diagnosis.is_empty(), "{text}");
    assert_eq!(stored(&producer), before);
    producer.stop().await;
}

async fn script_and_sql_in_a_stored_text_are_served_escaped(backend: Backend) {
    let Some(producer) = start(backend) else {
        return;
    };
    let before = stored(&producer);
    let (status, text) = post(&producer, Party::Platform, valid(PUPIL).into(), &[]).await;
    assert_eq!(status, 200, "{text}");
    assert!(!text.contains("<script>"), "{text}");
    assert!(!text.contains("<img"), "{text}");
    assert!(
        text.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "{text}"
    );
    let response = soap::decode_response::<GetDiagnosis>(text.as_bytes()).unwrap();
    let names: Vec<String> = response
        .body
        .diagnosis
        .iter()
        .filter_map(|d| d.diagnosis_body.diagnosis_code.as_ref())
        .filter_map(|code| code.display_name.clone())
        .collect();
    assert!(names.iter().any(|n| n == HOSTILE_TEXT), "{names:?}");
    assert_eq!(
        stored(&producer),
        before,
        "the diagnoses table is still there"
    );
    producer.stop().await;
}

macro_rules! on_both_backends {
    ($($case:ident),* $(,)?) => {
        mod sqlite {
            $( #[actix_rt::test] async fn $case() { super::$case(super::Backend::Sqlite).await } )*
        }
        mod postgres {
            $( #[actix_rt::test] async fn $case() { super::$case(super::Backend::Postgres).await } )*
        }
    };
}

on_both_backends!(
    xxe_external_entity,
    billion_laughs,
    doctype_without_entities,
    body_of_50_mb_is_cut_off_at_the_limit,
    deep_nesting,
    many_attributes,
    wrong_body_namespace,
    wrong_child_namespace,
    soap_12_envelope,
    missing_logical_address,
    logical_address_of_another_source_system,
    two_body_elements,
    truncated_body,
    invalid_utf8,
    wrong_content_type,
    huge_header,
    forged_original_consumer_from_a_caller_that_is_not_allowed,
    bad_personnummer,
    sql_in_the_patient_id,
    sql_in_a_filter_field,
    script_and_sql_in_a_stored_text_are_served_escaped,
);
