//! The platform's routing rows of the bad-input catalogue (SECURITY.md): hostile or
//! broken calls through mutual TLS to `/vp/...`. Each test asserts the documented
//! answer (HTTP status and VP code) and that nothing reached the producer; faults carry
//! no personal identity number (`Reply::assert_vp`). The engagement index's rows are
//! in `tests/engagement_index.rs`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use npo_contracts::soap::FaultCode;
use npo_pki::Party;
use support::*;

const CONSUMER: &str = npo_pki::CONSUMER_HSA_ID;
const TESTER: &str = npo_pki::TESTER_HSA_ID;
const PRODUCER: &str = npo_pki::PRODUCER_SCHOOL_HSA_ID;

struct World {
    pki: Pki,
    producer: TestProducer,
    platform: TestPlatform,
}

/// A producer the consumer (only) may call through the platform.
fn world() -> World {
    let pki = Pki::new();
    let producer = TestProducer::start(&pki, Party::ProducerSchool);
    let ns = diagnosis_ns();
    let tak = route(PRODUCER, &ns, &producer.url("/ok/a")) + &auth(CONSUMER, &ns, PRODUCER);
    let platform = TestPlatform::start(&pki, Setup::new(tak));
    World {
        pki,
        producer,
        platform,
    }
}

fn valid() -> String {
    request(Some(PRODUCER), &diagnosis_ns())
}

/// Sends `body` as the consumer; expects VP015 (a Client fault saying the request could
/// not be read) and nothing forwarded. Returns the fault's detail.
async fn unreadable(w: &World, body: String) -> String {
    let reply = w.platform.call(&w.pki, Party::Consumer, body, &[]).await;
    let fault = reply.assert_vp("VP015");
    assert_eq!(fault.code, FaultCode::Client);
    assert!(w.producer.received().is_empty(), "the call was forwarded");
    let detail = fault.detail.unwrap_or_default();
    assert!(
        detail.starts_with("The request could not be read properly."),
        "{detail}"
    );
    detail
}

#[actix_web::test]
async fn xxe_external_entity_is_vp015() {
    let w = world();
    let body = valid().replace(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>",
        "<?xml version=\"1.0\"?><!DOCTYPE soap:Envelope [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>",
    );
    let body = body.replace(PATIENT, "&xxe;");
    let detail = unreadable(&w, body).await;
    assert!(detail.contains("DTDs and entity declarations"), "{detail}");
    assert!(!detail.contains("root:"));
}

#[actix_web::test]
async fn billion_laughs_is_vp015() {
    let w = world();
    let mut dtd = String::from("<!DOCTYPE soap:Envelope [<!ENTITY l0 \"lol\">");
    for i in 1..10 {
        dtd += &format!("<!ENTITY l{i} \"{}\">", format!("&l{};", i - 1).repeat(10));
    }
    dtd += "]>";
    let body = valid()
        .replace("<?xml version=\"1.0\" encoding=\"UTF-8\"?>", &dtd)
        .replace(PATIENT, "&l9;");
    let started = std::time::Instant::now();
    let detail = unreadable(&w, body).await;
    assert!(detail.contains("DTDs and entity declarations"), "{detail}");
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
}

#[actix_web::test]
async fn body_of_50_mb_is_vp015_at_the_limit() {
    let w = world();
    // 50 MB generated while sending: the test never holds it.
    let head = valid().replace("<!-- kept as sent -->", "<!--");
    let chunk = actix_web::web::Bytes::from(vec![b'x'; 64 * 1024]);
    let chunks = std::iter::once(actix_web::web::Bytes::from(head.into_bytes()))
        .chain(std::iter::repeat_n(chunk, 800))
        .map(Ok::<_, std::io::Error>);
    let client = w.platform.client_with(
        &w.pki,
        &w.pki.cert(Party::Consumer),
        &w.pki.key(Party::Consumer),
    );
    let started = std::time::Instant::now();
    let mut response = client
        .post(format!(
            "https://localhost:{}/vp/GetDiagnosis/2/rivtabp21",
            w.platform.port
        ))
        .insert_header(("content-type", "text/xml; charset=utf-8"))
        .send_stream(futures_util::stream::iter(chunks))
        .await
        .expect("an answer before the whole body is sent");
    let body = response.body().await.unwrap();
    let reply = Reply {
        status: response.status().as_u16(),
        headers: response
            .headers()
            .iter()
            .map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap().to_owned()))
            .collect(),
        body: body.to_vec(),
    };
    let fault = reply.assert_vp("VP015");
    assert!(
        fault
            .detail
            .unwrap_or_default()
            .contains("larger than 65536 bytes"),
        "{}",
        reply.text()
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
    assert!(w.producer.received().is_empty());
}

#[actix_web::test]
async fn deep_nesting_is_vp015() {
    let w = world();
    let depth = 5_000;
    // Before the patient id: the scan stops reading once it has that.
    let body = valid().replace(
        "<urn:patientId>",
        &format!(
            "{}{}<urn:patientId>",
            "<x>".repeat(depth),
            "</x>".repeat(depth)
        ),
    );
    let detail = unreadable(&w, body).await;
    assert!(detail.contains("nested deeper than 64 levels"), "{detail}");
}

#[actix_web::test]
async fn invalid_utf8_in_the_logical_address_is_vp015() {
    let w = world();
    let valid = valid();
    let at = valid.find("</add:LogicalAddress>").unwrap() - 1;
    let mut body = valid.into_bytes();
    body[at] = 0xff;
    // The body is not valid UTF-8 as a whole: the String carrier needs the lossy form,
    // so send the bytes directly.
    let client = w.platform.client_with(
        &w.pki,
        &w.pki.cert(Party::Consumer),
        &w.pki.key(Party::Consumer),
    );
    let mut response = client
        .post(format!(
            "https://localhost:{}/vp/GetDiagnosis/2/rivtabp21",
            w.platform.port
        ))
        .insert_header(("content-type", "text/xml; charset=utf-8"))
        .send_body(body)
        .await
        .unwrap();
    let bytes = response.body().await.unwrap();
    let reply = Reply {
        status: response.status().as_u16(),
        headers: response
            .headers()
            .iter()
            .map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap().to_owned()))
            .collect(),
        body: bytes.to_vec(),
    };
    let fault = reply.assert_vp("VP015");
    assert_eq!(fault.code, FaultCode::Client);
    assert!(w.producer.received().is_empty());
}

#[actix_web::test]
async fn an_unknown_contract_namespace_is_vp004() {
    let w = world();
    let body = request(
        Some(PRODUCER),
        "urn:riv:clinicalprocess:healthcond:description:GetDiagnosisResponder:9",
    );
    let fault = w
        .platform
        .call(&w.pki, Party::Consumer, body, &[])
        .await
        .assert_vp("VP004");
    assert_eq!(fault.code, FaultCode::Client);
    assert!(w.producer.received().is_empty());
}

#[actix_web::test]
async fn huge_header_is_431() {
    let w = world();
    let value = "x".repeat(128 * 1024);
    let reply = w
        .platform
        .call(
            &w.pki,
            Party::Consumer,
            valid(),
            &[("x-padding", value.as_str())],
        )
        .await;
    assert_eq!(reply.status, 431, "{}", reply.text());
    assert!(w.producer.received().is_empty());
}

#[actix_web::test]
async fn a_forged_original_consumer_header_does_not_change_the_sender() {
    let w = world();
    // The tester's certificate is not authorised; naming the consumer in the header
    // does not make it so: authorisation uses the certificate's HSA-ID.
    let fault = w
        .platform
        .call(
            &w.pki,
            Party::Tester,
            valid(),
            &[("x-rivta-original-serviceconsumer-hsaid", CONSUMER)],
        )
        .await
        .assert_vp("VP007");
    assert!(
        fault
            .detail
            .unwrap_or_default()
            .contains(&format!("senderId: {TESTER}"))
    );
    assert!(w.producer.received().is_empty());
}

#[actix_web::test]
async fn a_forged_sender_id_header_does_not_change_the_sender() {
    let w = world();
    let fault = w
        .platform
        .call(
            &w.pki,
            Party::Tester,
            valid(),
            &[("x-vp-sender-id", CONSUMER)],
        )
        .await
        .assert_vp("VP007");
    assert!(
        fault
            .detail
            .unwrap_or_default()
            .contains(&format!("senderId: {TESTER}"))
    );
    assert!(w.producer.received().is_empty());
    // The authorised consumer's forged header is not passed on as the sender: the
    // producer sees the certificate's identity.
    let reply = w
        .platform
        .call(
            &w.pki,
            Party::Consumer,
            valid(),
            &[("x-vp-sender-id", TESTER)],
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    let got = w.producer.only();
    assert_ne!(
        got.headers.get("x-vp-sender-id").map(String::as_str),
        Some(TESTER)
    );
    assert_eq!(
        got.headers["x-rivta-original-serviceconsumer-hsaid"],
        CONSUMER
    );
}
