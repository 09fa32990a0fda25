//! The platform's routing core, black box over mutual TLS: a consumer calls the platform
//! on port 0, the platform routes by LogicalAddress and contract namespace through the
//! TAK (written by each test) to a test producer, or answers with a VP fault.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::sync::{Arc, Mutex};
use std::time::Instant;

use actix_web::web::Bytes;
use npo_contracts::registry::Contract;
use npo_contracts::soap::FaultCode;
use npo_pki::Party;
use npo_platform::local::{LocalBoxFuture, LocalCall, LocalReply, LocalService, Worker};
use serde_json::json;
use support::*;

const CONSUMER: &str = npo_pki::CONSUMER_HSA_ID;
const TESTER: &str = npo_pki::TESTER_HSA_ID;
const PRODUCER: &str = npo_pki::PRODUCER_SCHOOL_HSA_ID;

/// A producer, the TAK routing `PRODUCER` + GetDiagnosis to `path` on it, and the
/// consumer authorised.
fn simple_tak(producer: &TestProducer, path: &str) -> String {
    let ns = diagnosis_ns();
    route(PRODUCER, &ns, &producer.url(path)) + &auth(CONSUMER, &ns, PRODUCER)
}

#[actix_web::test]
async fn routes_a_call_and_passes_bodies_and_headers_through() {
    let pki = Pki::new();
    let producer = TestProducer::start(&pki, Party::ProducerSchool);
    let platform = TestPlatform::start(&pki, Setup::new(simple_tak(&producer, "/ok/a")));
    let ns = diagnosis_ns();
    let body = request(Some(PRODUCER), &ns);
    let action = Contract::GetDiagnosis.soap_action();

    // The URL path plays no part in routing.
    let reply = platform
        .call_with(
            &pki,
            &pki.cert(Party::Consumer),
            &pki.key(Party::Consumer),
            "/some/unrelated/path",
            body.clone(),
            &[("SOAPAction", action.as_str())],
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(
        reply.text(),
        canned_response("a"),
        "body passed through unchanged"
    );
    assert_eq!(reply.header("content-type"), Some("text/xml;charset=UTF-8"));
    let correlation = reply.header("x-skltp-correlation-id").unwrap().to_owned();
    assert!(uuid::Uuid::parse_str(&correlation).is_ok(), "{correlation}");
    let prt: u64 = reply.header("x-skltp-prt").unwrap().parse().unwrap();
    assert!(prt < 5_000);

    let got = producer.only();
    assert_eq!(
        got.body,
        body.as_bytes(),
        "request passed through unchanged"
    );
    assert_eq!(got.path, "/ok/a");
    assert_eq!(got.caller.as_deref(), Some(npo_pki::PLATFORM_HSA_ID));
    assert_eq!(got.headers["soapaction"], action);
    assert_eq!(got.headers["content-type"], "text/xml; charset=utf-8");
    assert_eq!(got.headers["x-skltp-correlation-id"], correlation);
    assert_eq!(
        got.headers["x-rivta-original-serviceconsumer-hsaid"],
        CONSUMER
    );
    assert_eq!(
        got.headers["x-rivta-routing-history"],
        format!("{CONSUMER}#{INSTANCE}")
    );
    assert!(
        !got.headers.contains_key("x-vp-sender-id"),
        "HTTPS producer"
    );

    // Given headers are kept and passed on; the history gets this instance appended.
    let reply = platform
        .call(
            &pki,
            Party::Consumer,
            body,
            &[
                ("x-skltp-correlation-id", "corr-from-consumer-1"),
                (
                    "x-rivta-original-serviceconsumer-hsaid",
                    "SE2120009994-N1SE",
                ),
                ("x-rivta-routing-history", "SE1-EARLIER#OTHER-TP"),
            ],
        )
        .await;
    assert_eq!(reply.status, 200);
    assert_eq!(
        reply.header("x-skltp-correlation-id"),
        Some("corr-from-consumer-1")
    );
    let got = producer.received().pop().unwrap();
    assert_eq!(
        got.headers["x-skltp-correlation-id"],
        "corr-from-consumer-1"
    );
    assert_eq!(
        got.headers["x-rivta-original-serviceconsumer-hsaid"],
        "SE2120009994-N1SE"
    );
    assert_eq!(
        got.headers["x-rivta-routing-history"],
        format!("SE1-EARLIER#OTHER-TP#{INSTANCE}")
    );
}

#[actix_web::test]
async fn lookups_ignore_case_and_large_answers_stream_through() {
    let pki = Pki::new();
    let producer = TestProducer::start(&pki, Party::ProducerSchool);
    let ns = diagnosis_ns();
    let tak = route(
        &PRODUCER.to_lowercase(),
        &ns.to_uppercase(),
        &producer.url("/big/1024"),
    ) + &auth(
        &CONSUMER.to_lowercase(),
        &ns.to_uppercase(),
        &PRODUCER.to_lowercase(),
    );
    let platform = TestPlatform::start(&pki, Setup::new(tak));
    let reply = platform
        .call(&pki, Party::Consumer, request(Some(PRODUCER), &ns), &[])
        .await;
    assert_eq!(
        reply.status,
        200,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    assert!(reply.body.len() > 1024 * 1024);
    assert!(reply.text().ends_with(&canned_response("big")));
    assert_eq!(
        reply.header("content-length"),
        Some(reply.body.len().to_string().as_str())
    );
}

#[actix_web::test]
async fn vp001_vp003_vp004_for_the_rivta_header_and_routes() {
    let pki = Pki::new();
    let producer = TestProducer::start(&pki, Party::ProducerSchool);
    let platform = TestPlatform::start(&pki, Setup::new(simple_tak(&producer, "/ok/a")));
    let ns = diagnosis_ns();

    let fault = platform
        .call(&pki, Party::Consumer, request(None, &ns), &[])
        .await
        .assert_vp("VP001");
    assert_eq!(fault.code, FaultCode::Client);

    for empty in ["", "   "] {
        let fault = platform
            .call(&pki, Party::Consumer, request(Some(empty), &ns), &[])
            .await
            .assert_vp("VP003");
        assert_eq!(fault.code, FaultCode::Client);
    }

    let other = "SE2321009991-BV3C";
    let fault = platform
        .call(&pki, Party::Consumer, request(Some(other), &ns), &[])
        .await
        .assert_vp("VP004");
    assert_eq!(fault.code, FaultCode::Client);
    let detail = fault.detail.unwrap();
    assert!(
        detail.contains(&format!("serviceNamespace: {ns}, receiverId: {other}")),
        "{detail}"
    );
    assert!(!detail.contains("Whitespace"), "{detail}");

    // Padding is not trimmed away: no route, and a hint says why.
    let padded = format!(" {PRODUCER} ");
    let detail = platform
        .call(&pki, Party::Consumer, request(Some(&padded), &ns), &[])
        .await
        .assert_vp("VP004")
        .detail
        .unwrap();
    assert!(
        detail.ends_with("Whitespace detected in incoming request!"),
        "{detail}"
    );
    // None of the refused calls reached the producer.
    assert!(
        producer.received().is_empty(),
        "a refused call reached the producer"
    );

    // Another contract to the same address has no route either.
    platform
        .call(
            &pki,
            Party::Consumer,
            request(Some(PRODUCER), &care_contacts_ns()),
            &[],
        )
        .await
        .assert_vp("VP004");
    assert!(producer.received().is_empty());
}

#[actix_web::test]
async fn vp002_for_a_certificate_without_serial_number() {
    let pki = Pki::new();
    let producer = TestProducer::start(&pki, Party::ProducerSchool);
    let platform = TestPlatform::start(&pki, Setup::new(simple_tak(&producer, "/ok/a")));
    let (cert, key) = pki.issue_without_serial_number();
    let reply = platform
        .call_with(
            &pki,
            &cert,
            &key,
            "/",
            request(Some(PRODUCER), &diagnosis_ns()),
            &[],
        )
        .await;
    let fault = reply.assert_vp("VP002");
    assert_eq!(fault.code, FaultCode::Client);
    assert!(
        fault.detail.unwrap().contains("serialNumber"),
        "says what is missing"
    );
    assert!(producer.received().is_empty());
}

#[actix_web::test]
async fn vp006_vp007_vp010_from_the_tak() {
    let pki = Pki::new();
    let producer = TestProducer::start(&pki, Party::ProducerSchool);
    let ns = diagnosis_ns();
    let (two, unauthorised, no_url) = (
        "SE2120009994-0TWO",
        "SE2120009994-0NOA",
        "SE2120009994-0URL",
    );
    let tak = route(two, &ns, &producer.url("/ok/1"))
        + &route(two, &ns, &producer.url("/ok/2"))
        + &auth(CONSUMER, &ns, two)
        + &route(unauthorised, &ns, &producer.url("/ok/a"))
        + &auth(TESTER, &ns, unauthorised)
        + &route(no_url, &ns, "")
        + &auth(CONSUMER, &ns, no_url);
    let platform = TestPlatform::start(&pki, Setup::new(tak));

    let fault = platform
        .call(&pki, Party::Consumer, request(Some(two), &ns), &[])
        .await
        .assert_vp("VP006");
    assert_eq!(fault.code, FaultCode::Server);

    let fault = platform
        .call(&pki, Party::Consumer, request(Some(unauthorised), &ns), &[])
        .await
        .assert_vp("VP007");
    assert_eq!(
        fault.code,
        FaultCode::Server,
        "VP007 is a Server fault in SKLTP"
    );
    assert!(
        fault
            .detail
            .unwrap()
            .contains(&format!("senderId: {CONSUMER}"))
    );
    // The authorised tester gets through.
    let reply = platform
        .call(&pki, Party::Tester, request(Some(unauthorised), &ns), &[])
        .await;
    assert_eq!(reply.status, 200);

    let fault = platform
        .call(&pki, Party::Consumer, request(Some(no_url), &ns), &[])
        .await
        .assert_vp("VP010");
    assert_eq!(fault.code, FaultCode::Server);
    assert_eq!(
        producer.received().len(),
        1,
        "only the tester's call arrived"
    );
}

#[actix_web::test]
async fn vp009_for_every_producer_failure_and_faults_pass_through() {
    let pki = Pki::new();
    let producer = TestProducer::start(&pki, Party::ProducerSchool);
    // A producer whose certificate comes from another CA: the TLS handshake fails.
    let foreign_pki = Pki::new();
    let foreign = TestProducer::start(&foreign_pki, Party::ProducerSchool);
    let ns = diagnosis_ns();
    let slow_ns = care_contacts_ns();
    let refused_url = format!("https://127.0.0.1:{}/ok/a", closed_port());
    let cases = [
        ("SE2120009994-R001", ns.clone(), refused_url.clone()),
        ("SE2120009994-R002", ns.clone(), foreign.url("/ok/a")),
        (
            "SE2120009994-R003",
            slow_ns.clone(),
            producer.url("/slow/1500"),
        ),
        (
            "SE2120009994-R004",
            ns.clone(),
            producer.url("/unavailable"),
        ),
        ("SE2120009994-R005", ns.clone(), producer.url("/empty")),
        ("SE2120009994-R006", ns.clone(), producer.url("/html500")),
        ("SE2120009994-R007", ns.clone(), producer.url("/fault")),
    ];
    let mut tak = auth(CONSUMER, &ns, "*") + &auth(CONSUMER, &slow_ns, "*");
    for (address, contract, url) in &cases {
        tak += &route(address, contract, url);
    }
    let platform = TestPlatform::start(&pki, Setup::new(tak));
    let call = |address: &str, contract: &str| {
        platform.call(&pki, Party::Consumer, request(Some(address), contract), &[])
    };

    let expect = |reply: Reply, url: &str, needle: &str| {
        let fault = reply.assert_vp("VP009");
        assert_eq!(fault.code, FaultCode::Server);
        let detail = fault.detail.unwrap();
        assert!(
            detail.starts_with(&format!(
                "Error connecting to service producer at address {url}. "
            )),
            "{detail}"
        );
        assert!(detail.contains(needle), "{needle:?} not in {detail:?}");
    };
    expect(
        call("SE2120009994-R001", &ns).await,
        &refused_url,
        "could not connect",
    );
    expect(
        call("SE2120009994-R002", &ns).await,
        &foreign.url("/ok/a"),
        "TLS handshake failed",
    );
    assert!(foreign.received().is_empty());

    // The slow contract's timeout is 300 ms (the default is 5 s).
    let started = Instant::now();
    expect(
        call("SE2120009994-R003", &slow_ns).await,
        &producer.url("/slow/1500"),
        "Timeout when waiting on response from producer.",
    );
    let elapsed = started.elapsed();
    assert!(elapsed.as_millis() < 1_200, "timed out after {elapsed:?}");

    expect(
        call("SE2120009994-R004", &ns).await,
        &producer.url("/unavailable"),
        "HTTP 503 without a SOAP body",
    );
    expect(
        call("SE2120009994-R005", &ns).await,
        &producer.url("/empty"),
        "Empty message when server responded with status code: 200",
    );
    expect(
        call("SE2120009994-R006", &ns).await,
        &producer.url("/html500"),
        "HTTP 500 without a SOAP body",
    );

    // A producer's SOAP Fault passes through unchanged.
    let reply = call("SE2120009994-R007", &ns).await;
    assert_eq!(reply.status, 500);
    assert_eq!(reply.text(), PRODUCER_FAULT);
    assert!(reply.header("x-skltp-correlation-id").is_some());
    assert!(reply.header("x-skltp-prt").is_some());
}

#[actix_web::test]
async fn vp011_and_trusted_proxy_mode() {
    let pki = Pki::new();
    let producer = TestProducer::start(&pki, Party::ProducerSchool);
    let ns = diagnosis_ns();
    let consumer_pem = std::fs::read_to_string(pki.cert(Party::Consumer)).unwrap();
    let encoded = url_encode(&consumer_pem);

    // Not a trusted proxy: the header is refused.
    let untrusted = TestPlatform::start(
        &pki,
        Setup::new(simple_tak(&producer, "/ok/a")).tweak(|c| {
            c.proxy.trusted_addresses = vec!["10.9.9.9".parse().unwrap()];
        }),
    );
    let fault = untrusted
        .call(
            &pki,
            Party::Tester,
            request(Some(PRODUCER), &ns),
            &[("x-vp-auth-cert", encoded.as_str())],
        )
        .await
        .assert_vp("VP011");
    assert_eq!(fault.code, FaultCode::Client);
    let detail = fault.detail.unwrap();
    assert!(
        detail.contains("127.0.0.1") && detail.contains("x-vp-auth-cert"),
        "{detail}"
    );
    assert!(
        producer.received().is_empty(),
        "a refused call reached the producer"
    );

    // A trusted proxy (the tester's connection) forwards the consumer's certificate.
    let platform = TestPlatform::start(
        &pki,
        Setup::new(simple_tak(&producer, "/ok/a")).tweak(|c| {
            c.proxy.trusted_addresses = vec!["127.0.0.1".parse().unwrap()];
        }),
    );
    let reply = platform
        .call(
            &pki,
            Party::Tester,
            request(Some(PRODUCER), &ns),
            &[("x-vp-auth-cert", encoded.as_str())],
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    let got = producer.only();
    assert_eq!(
        got.headers["x-rivta-original-serviceconsumer-hsaid"],
        CONSUMER
    );
    assert!(got.headers["x-rivta-routing-history"].starts_with(CONSUMER));

    // Spaces of the PEM armour encoded as '+' (form encoding) are read too.
    let plus = encoded.replace("%20", "+");
    let reply = platform
        .call(
            &pki,
            Party::Tester,
            request(Some(PRODUCER), &ns),
            &[("x-vp-auth-cert", plus.as_str())],
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text());

    // Forwarded certificates without serialNumber, from another CA, or garbage: VP002.
    let (no_serial, _) = pki.issue_without_serial_number();
    let foreign = Pki::new();
    for pem in [
        std::fs::read_to_string(no_serial).unwrap(),
        std::fs::read_to_string(foreign.cert(Party::Consumer)).unwrap(),
        "-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----".to_owned(),
    ] {
        platform
            .call(
                &pki,
                Party::Tester,
                request(Some(PRODUCER), &ns),
                &[("x-vp-auth-cert", url_encode(&pem).as_str())],
            )
            .await
            .assert_vp("VP002");
    }
    // Without the header the proxy is just a caller: the tester is not authorised.
    platform
        .call(&pki, Party::Tester, request(Some(PRODUCER), &ns), &[])
        .await
        .assert_vp("VP007");
}

#[actix_web::test]
async fn vp013_original_consumer_header_rules() {
    let pki = Pki::new();
    let producer = TestProducer::start(&pki, Party::ProducerSchool);
    let ns = diagnosis_ns();
    let tak = route(PRODUCER, &ns, &producer.url("/ok/a"))
        + &auth(CONSUMER, &ns, "*")
        + &auth(TESTER, &ns, "*");
    let header = [(
        "x-rivta-original-serviceconsumer-hsaid",
        "SE2120009994-N1SE",
    )];

    let enforcing = TestPlatform::start(
        &pki,
        Setup::new(tak.clone()).tweak(|c| {
            c.original_consumer.enforce = true;
            c.original_consumer.allowed_senders = vec![TESTER.to_owned()];
        }),
    );
    let fault = enforcing
        .call(&pki, Party::Consumer, request(Some(PRODUCER), &ns), &header)
        .await
        .assert_vp("VP013");
    assert_eq!(fault.code, FaultCode::Client);
    assert!(
        producer.received().is_empty(),
        "a refused call reached the producer"
    );
    // Without the header the consumer is fine; the allowed tester may set it.
    let reply = enforcing
        .call(&pki, Party::Consumer, request(Some(PRODUCER), &ns), &[])
        .await;
    assert_eq!(reply.status, 200);
    let reply = enforcing
        .call(&pki, Party::Tester, request(Some(PRODUCER), &ns), &header)
        .await;
    assert_eq!(reply.status, 200);
    let got = producer.received().pop().unwrap();
    assert_eq!(
        got.headers["x-rivta-original-serviceconsumer-hsaid"],
        "SE2120009994-N1SE"
    );

    // Not enforced (SKLTP's default): passed on, with a warning in the log.
    let lenient = TestPlatform::start(
        &pki,
        Setup::new(tak).tweak(|c| {
            c.original_consumer.allowed_senders = vec![TESTER.to_owned()];
        }),
    );
    let reply = lenient
        .call(&pki, Party::Consumer, request(Some(PRODUCER), &ns), &header)
        .await;
    assert_eq!(reply.status, 200);
    let got = producer.received().pop().unwrap();
    assert_eq!(
        got.headers["x-rivta-original-serviceconsumer-hsaid"],
        "SE2120009994-N1SE"
    );
}

#[actix_web::test]
async fn vp014_routing_loop() {
    let pki = Pki::new();
    let producer = TestProducer::start(&pki, Party::ProducerSchool);
    let platform = TestPlatform::start(&pki, Setup::new(simple_tak(&producer, "/ok/a")));
    let history = format!("{CONSUMER}#{INSTANCE}#OTHER-TP");
    let fault = platform
        .call(
            &pki,
            Party::Consumer,
            request(Some(PRODUCER), &diagnosis_ns()),
            &[("x-rivta-routing-history", history.as_str())],
        )
        .await
        .assert_vp("VP014");
    assert_eq!(fault.code, FaultCode::Server);
    assert!(producer.received().is_empty());
}

#[actix_web::test]
async fn vp015_for_unreadable_requests() {
    let pki = Pki::new();
    let producer = TestProducer::start(&pki, Party::ProducerSchool);
    let platform = TestPlatform::start(&pki, Setup::new(simple_tak(&producer, "/ok/a")));
    let ns = diagnosis_ns();
    let valid = request(Some(PRODUCER), &ns);
    let bodies = [
        ("empty", String::new()),
        ("not XML", format!("patient {PATIENT} please")),
        (
            "truncated before the body",
            valid[..valid.find("</soap:Header>").unwrap()].to_owned(),
        ),
        (
            "mismatched tags",
            valid.replace("</add:LogicalAddress>", "</add:Logical>"),
        ),
        (
            "undeclared prefix",
            valid.replace(
                "<urn:GetDiagnosis xmlns:urn=",
                "<urn:GetDiagnosis xmlns:other=",
            ),
        ),
        (
            "no body element",
            valid[..valid.find("<soap:Body>").unwrap()].to_owned()
                + "<soap:Body></soap:Body></soap:Envelope>",
        ),
        (
            "SOAP 1.2",
            valid.replace(
                "http://schemas.xmlsoap.org/soap/envelope/",
                "http://www.w3.org/2003/05/soap-envelope",
            ),
        ),
        (
            "DTD",
            valid.replace(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>",
                "<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY e \"x\">]>",
            ),
        ),
        (
            "not an envelope",
            format!("<GetDiagnosis xmlns=\"{ns}\">{PATIENT}</GetDiagnosis>"),
        ),
        ("too large", format!("{valid}{}", " ".repeat(70 * 1024))),
    ];
    for (what, body) in bodies {
        let reply = platform.call(&pki, Party::Consumer, body, &[]).await;
        let fault = reply.assert_vp("VP015");
        assert_eq!(fault.code, FaultCode::Client, "{what}");
        assert!(
            fault
                .detail
                .as_deref()
                .is_some_and(|d| d.starts_with("The request could not be read properly.")),
            "{what}: {fault:?}"
        );
    }
    assert!(producer.received().is_empty());
}

#[actix_web::test]
async fn routes_climb_the_hsa_tree_exact_beats_tree_beats_default() {
    let pki = Pki::new();
    let producer = TestProducer::start(&pki, Party::ProducerSchool);
    let ns = diagnosis_ns();
    let (leaf, mid, top, sibling) = (
        "SE2120009994-LEAF",
        "SE2120009994-0MID",
        "SE2120009994-0TOP",
        "SE2120009994-SIBL",
    );
    let hsa = unit(leaf, mid)
        + &unit(sibling, mid)
        + &unit(mid, top)
        + "[[units]]\nhsa_id = \"SE2120009994-0TOP\"\n";
    let tak = route(leaf, &ns, &producer.url("/ok/leaf"))
        + &route(top, &ns, &producer.url("/ok/top"))
        + &route("*", &ns, &producer.url("/ok/default"))
        + &auth(CONSUMER, &ns, "*");
    let platform = TestPlatform::start(&pki, Setup::new(tak).hsa(hsa));
    let answered_by = |reply: Reply| {
        assert_eq!(reply.status, 200, "{}", reply.text());
        let text = reply.text();
        ["leaf", "top", "default"]
            .into_iter()
            .find(|tag| text.contains(&format!("<ns2:logId>{tag}</ns2:logId>")))
            .unwrap()
    };
    let call =
        |address: &str| platform.call(&pki, Party::Consumer, request(Some(address), &ns), &[]);
    assert_eq!(
        answered_by(call(leaf).await),
        "leaf",
        "exact beats the tree"
    );
    assert_eq!(
        answered_by(call(sibling).await),
        "top",
        "sibling → mid → top"
    );
    assert_eq!(answered_by(call(mid).await), "top", "tree beats *");
    assert_eq!(
        answered_by(call("SE2321009991-UNKN").await),
        "default",
        "unknown units climb to SE, then *"
    );

    let (status, found) = platform
        .admin(
            "GET",
            &format!("/admin/lookup?consumer={CONSUMER}&contract={ns}&logical_address={sibling}"),
            None,
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        found["route"]["matched_on"],
        json!({"level": "parent", "address": top.to_lowercase()})
    );
}

#[actix_web::test]
async fn authorisations_via_default_and_tree_in_order_exact_default_tree() {
    let pki = Pki::new();
    let producer = TestProducer::start(&pki, Party::ProducerSchool);
    let ns = diagnosis_ns();
    let (leaf, top, elsewhere) = (
        "SE2120009994-LEAF",
        "SE2120009994-0TOP",
        "SE2321009991-ELSE",
    );
    let hsa = unit(leaf, top);
    let tak = route("*", &ns, &producer.url("/ok/a"))
        + &auth(CONSUMER, &ns, leaf)
        + &auth(CONSUMER, &ns, "*")
        + &auth(CONSUMER, &ns, top)
        + &auth(TESTER, &ns, top);
    let platform = &TestPlatform::start(&pki, Setup::new(tak).hsa(hsa));

    // Via the tree: the tester is authorised for the parent only.
    let reply = platform
        .call(&pki, Party::Tester, request(Some(leaf), &ns), &[])
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    platform
        .call(&pki, Party::Tester, request(Some(elsewhere), &ns), &[])
        .await
        .assert_vp("VP007");
    // Via `*`: the consumer may call any address.
    let reply = platform
        .call(&pki, Party::Consumer, request(Some(elsewhere), &ns), &[])
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text());

    // The order, observed through the lookup: exact, then `*`, then the tree.
    let lookup = |address: &str| {
        let path =
            format!("/admin/lookup?consumer={CONSUMER}&contract={ns}&logical_address={address}");
        async move { platform.admin("GET", &path, None).await.1["authorisation"].clone() }
    };
    let id_of = |address: &str| {
        let address = address.to_owned();
        async move {
            let (_, all) = platform.admin("GET", "/admin/authorisations", None).await;
            all.as_array()
                .unwrap()
                .iter()
                .find(|a| a["consumer"] == CONSUMER && a["logical_address"] == address.as_str())
                .unwrap()["id"]
                .as_u64()
                .unwrap()
        }
    };
    assert_eq!(lookup(leaf).await["matched_on"], json!({"level": "exact"}));
    let exact = id_of(leaf).await;
    let (status, _) = platform
        .admin("DELETE", &format!("/admin/authorisations/{exact}"), None)
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        lookup(leaf).await["matched_on"],
        json!({"level": "default"}),
        "* beats the tree"
    );
    let star = id_of("*").await;
    platform
        .admin("DELETE", &format!("/admin/authorisations/{star}"), None)
        .await;
    assert_eq!(
        lookup(leaf).await["matched_on"],
        json!({"level": "parent", "address": top.to_lowercase()})
    );
    assert_eq!(lookup(elsewhere).await["authorised"], false);
}

#[actix_web::test]
async fn expired_and_future_entries_are_ignored() {
    let pki = Pki::new();
    let producer = TestProducer::start(&pki, Party::ProducerSchool);
    let ns = diagnosis_ns();
    let (dated, unauthorised) = ("SE2120009994-DATE", "SE2120009994-NOAU");
    let tak = route_valid(
        dated,
        &ns,
        &producer.url("/ok/expired"),
        "2000-01-01",
        "2001-12-31",
    ) + &route_valid(
        dated,
        &ns,
        &producer.url("/ok/future"),
        "2999-01-01",
        "2999-12-31",
    ) + &route_valid(
        "*",
        &ns,
        &producer.url("/ok/default"),
        "2000-01-01",
        "2999-12-31",
    ) + &auth_valid(CONSUMER, &ns, dated, "2000-01-01", "2999-12-31")
        + &auth_valid(CONSUMER, &ns, unauthorised, "2000-01-01", "2001-12-31")
        + &auth_valid(
            CONSUMER,
            &ns,
            unauthorised,
            "2999-01-01T00:00:00+01:00",
            "2999-12-31",
        );
    let platform = TestPlatform::start(&pki, Setup::new(tak));

    let reply = platform
        .call(&pki, Party::Consumer, request(Some(dated), &ns), &[])
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert!(
        reply.text().contains("<ns2:logId>default</ns2:logId>"),
        "the exact routes are out of their windows"
    );
    platform
        .call(&pki, Party::Consumer, request(Some(unauthorised), &ns), &[])
        .await
        .assert_vp("VP007");
}

#[actix_web::test]
async fn resetcache_reloads_the_edited_file_and_keeps_the_old_tak_on_errors() {
    let pki = Pki::new();
    let producer = TestProducer::start(&pki, Party::ProducerSchool);
    let ns = diagnosis_ns();
    let platform = TestPlatform::start(&pki, Setup::new(auth(CONSUMER, &ns, PRODUCER)));
    let call = || platform.call(&pki, Party::Consumer, request(Some(PRODUCER), &ns), &[]);
    call().await.assert_vp("VP004");

    std::fs::write(&platform.tak_file, simple_tak(&producer, "/ok/a")).unwrap();
    call().await.assert_vp("VP004");
    let (status, body) = platform.admin("GET", "/resetcache", None).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["counts"]["routes"], 1);
    assert_eq!(call().await.status, 200);

    std::fs::write(&platform.tak_file, "[[routes]]\nlogical_address = ").unwrap();
    let (status, body) = platform.admin("GET", "/resetcache", None).await;
    assert_eq!(status, 500);
    assert!(
        body["error"].as_str().unwrap().contains("tak.toml"),
        "{body}"
    );
    assert_eq!(call().await.status, 200, "the previous TAK stays in use");
    let (_, status_json) = platform.admin("GET", "/status", None).await;
    assert!(status_json["tak"]["last_reload_failure"]["error"].is_string());

    std::fs::write(&platform.tak_file, auth(CONSUMER, &ns, PRODUCER)).unwrap();
    let (status, _) = platform.admin("POST", "/resetcache", None).await;
    assert_eq!(status, 200);
    call().await.assert_vp("VP004");
    let (_, status_json) = platform.admin("GET", "/status", None).await;
    assert!(status_json["tak"]["last_reload_failure"].is_null());
}

#[actix_web::test]
async fn status_reports_counts_and_cache_state() {
    let pki = Pki::new();
    let ns = diagnosis_ns();
    let ns2 = care_contacts_ns();
    let tak = format!(
        "[[logical_addresses]]\naddress = \"SE2120009994-LIST\"\ndescription = \"listed only\"\n\n\
         [[contracts]]\nnamespace = \"{}\"\n\n",
        Contract::PingForConfiguration.responder_ns()
    ) + &route(PRODUCER, &ns, "https://localhost:1/a")
        + &route("SE2321009991-BV3C", &ns2, "https://localhost:1/b")
        + &route("*", &ns2, "https://localhost:1/c")
        + &auth(CONSUMER, &ns, PRODUCER)
        + &auth(CONSUMER, &ns2, "*");
    let hsa = unit("SE2120009994-LEAF", "SE2120009994-0TOP");
    let platform = TestPlatform::start(&pki, Setup::new(tak).hsa(hsa));
    let (status, body) = platform.admin("GET", "/status", None).await;
    assert_eq!(status, 200);
    assert_eq!(body["instance_id"], INSTANCE);
    let tak = &body["tak"];
    assert_eq!(tak["initialized"], true);
    assert_eq!(
        tak["counts"],
        json!({
            "logical_addresses": 3,
            "contracts": 3,
            "routes": 3,
            "authorisations": 2,
            "hsa_units": 1
        })
    );
    assert_eq!(tak["runtime_changes"], 0);
    assert!(tak["tak_file"].as_str().unwrap().ends_with("tak.toml"));
    assert!(tak["hsa_file"].as_str().unwrap().ends_with("hsa.toml"));
    let loaded_at = tak["loaded_at"].as_str().unwrap();
    assert!(
        chrono::DateTime::parse_from_rfc3339(loaded_at).is_ok(),
        "{loaded_at}"
    );
    assert!(tak["last_reload_failure"].is_null());
    assert_eq!(body["local_services"], json!([]));
}

#[actix_web::test]
async fn admin_api_adds_and_removes_entries_behind_a_token() {
    let pki = Pki::new();
    let producer = TestProducer::start(&pki, Party::ProducerSchool);
    let ns = diagnosis_ns();
    let platform = TestPlatform::start(&pki, Setup::new(""));
    let call = || platform.call(&pki, Party::Consumer, request(Some(PRODUCER), &ns), &[]);

    for token in [None, Some("wrong-token-0123456789"), Some("")] {
        let (status, body) = platform.admin_with("GET", "/status", None, token).await;
        assert_eq!(status, 401, "{token:?}: {body}");
    }
    let (status, _) = platform
        .admin_with("GET", "/resetcache", None, Some("nope"))
        .await;
    assert_eq!(status, 401);

    call().await.assert_vp("VP004");
    let (status, route) = platform
        .admin(
            "POST",
            "/admin/routes",
            Some(
                json!({"logical_address": PRODUCER, "contract": ns, "url": producer.url("/ok/a")}),
            ),
        )
        .await;
    assert_eq!(status, 201, "{route}");
    assert_eq!(route["origin"], "admin");
    call().await.assert_vp("VP007");
    let (status, auth) = platform
        .admin(
            "POST",
            "/admin/authorisations",
            Some(json!({"consumer": CONSUMER, "contract": ns, "logical_address": PRODUCER})),
        )
        .await;
    assert_eq!(status, 201, "{auth}");
    assert_eq!(call().await.status, 200);

    let (_, status_json) = platform.admin("GET", "/status", None).await;
    assert_eq!(status_json["tak"]["runtime_changes"], 2);
    assert_eq!(status_json["tak"]["counts"]["routes"], 1);
    let (_, routes) = platform.admin("GET", "/admin/routes", None).await;
    assert_eq!(routes.as_array().unwrap().len(), 1);

    let route_id = route["id"].as_u64().unwrap();
    let (status, _) = platform
        .admin("DELETE", &format!("/admin/routes/{route_id}"), None)
        .await;
    assert_eq!(status, 200);
    call().await.assert_vp("VP004");
    let (status, _) = platform
        .admin("DELETE", &format!("/admin/routes/{route_id}"), None)
        .await;
    assert_eq!(status, 404);
    let auth_id = auth["id"].as_u64().unwrap();
    let (status, _) = platform
        .admin("DELETE", &format!("/admin/authorisations/{auth_id}"), None)
        .await;
    assert_eq!(status, 200);

    // Bad entries are refused with the reason.
    for bad in [
        json!({"logical_address": " padded", "contract": ns, "url": "https://x"}),
        json!({"logical_address": PRODUCER, "contract": ns, "url": "ftp://x"}),
        json!({"logical_address": PRODUCER, "contract": ns, "url": "https://x", "valid_from": "soon"}),
        json!({"logical_address": PRODUCER, "contract": ns}),
        json!({"logical_address": PRODUCER, "contract": ns, "url": "https://x", "extra": 1}),
    ] {
        let (status, body) = platform
            .admin("POST", "/admin/routes", Some(bad.clone()))
            .await;
        assert_eq!(status, 400, "{bad}: {body}");
        assert!(body["error"].is_string());
    }

    // A reload drops admin changes: the file is the source of truth.
    platform
        .admin(
            "POST",
            "/admin/routes",
            Some(
                json!({"logical_address": PRODUCER, "contract": ns, "url": producer.url("/ok/a")}),
            ),
        )
        .await;
    platform.admin("GET", "/resetcache", None).await;
    let (_, routes) = platform.admin("GET", "/admin/routes", None).await;
    assert_eq!(routes, json!([]));
}

/// A stand-in for the engagement index, to prove the local-service hook.
#[derive(Debug, Default)]
struct FakeEngagementIndex {
    calls: Mutex<Vec<LocalCall>>,
}

impl LocalService for FakeEngagementIndex {
    fn name(&self) -> &str {
        "fake-engagement-index"
    }

    fn handles(&self, logical_address: &str, contract_ns: &str) -> bool {
        logical_address.eq_ignore_ascii_case(npo_pki::ENGAGEMENT_INDEX_HSA_ID)
            && contract_ns.starts_with("urn:riv:itintegration:engagementindex:")
    }

    fn call<'a>(
        &'a self,
        ctx: &'a LocalCall,
        body: Bytes,
        _worker: Worker<'a>,
    ) -> LocalBoxFuture<'a, LocalReply> {
        self.calls.lock().unwrap().push(ctx.clone());
        assert!(!body.is_empty(), "the request body is handed over");
        Box::pin(async move { LocalReply::soap(200, "<answered-locally/>") })
    }
}

#[actix_web::test]
async fn local_services_answer_ei_calls_after_authorisation() {
    let pki = Pki::new();
    let producer = TestProducer::start(&pki, Party::ProducerSchool);
    let ei = Arc::new(FakeEngagementIndex::default());
    let update = Contract::Update.responder_ns();
    let find = Contract::FindContent.responder_ns();
    let ei_address = npo_pki::ENGAGEMENT_INDEX_HSA_ID;
    // No route for the engagement index is needed; the authorisation is.
    let tak = auth(npo_pki::PRODUCER_SCHOOL_HSA_ID, &update, ei_address)
        + &auth(CONSUMER, &find, ei_address)
        + &auth(CONSUMER, &diagnosis_ns(), "*");
    let platform = TestPlatform::start(&pki, Setup::new(tak).local(ei.clone()));

    let reply = platform
        .call(
            &pki,
            Party::ProducerSchool,
            request(Some(ei_address), &update),
            &[("x-skltp-correlation-id", "ei-corr-1")],
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(reply.text(), "<answered-locally/>");
    assert_eq!(reply.header("x-skltp-correlation-id"), Some("ei-corr-1"));
    let call = ei.calls.lock().unwrap().pop().unwrap();
    assert_eq!(call.sender_hsa_id, npo_pki::PRODUCER_SCHOOL_HSA_ID);
    assert_eq!(
        call.original_consumer_hsa_id,
        npo_pki::PRODUCER_SCHOOL_HSA_ID
    );
    assert_eq!(call.contract_ns, update);
    assert_eq!(
        call.operation, "GetDiagnosis",
        "the body element's local name"
    );
    assert_eq!(call.logical_address, ei_address);
    assert_eq!(call.correlation_id, "ei-corr-1");
    assert_eq!(
        call.routing_history,
        format!("{}#{INSTANCE}", npo_pki::PRODUCER_SCHOOL_HSA_ID)
    );

    let reply = platform
        .call(&pki, Party::Consumer, request(Some(ei_address), &find), &[])
        .await;
    assert_eq!(reply.status, 200);
    // Not authorised for Update: VP007, the service is not called.
    platform
        .call(
            &pki,
            Party::Consumer,
            request(Some(ei_address), &update),
            &[],
        )
        .await
        .assert_vp("VP007");
    assert!(ei.calls.lock().unwrap().len() == 1);
    // Other contracts to the EI address are routed as usual (no route here).
    platform
        .call(
            &pki,
            Party::Consumer,
            request(Some(ei_address), &diagnosis_ns()),
            &[],
        )
        .await
        .assert_vp("VP004");
    assert!(producer.received().is_empty());

    let (_, status) = platform.admin("GET", "/status", None).await;
    assert_eq!(status["local_services"], json!(["fake-engagement-index"]));
}

/// The examples in platform-mock/README.md are valid.
#[test]
fn readme_examples_parse() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))
        .expect("README.md");
    let block = |marker: &str| -> String {
        let start = readme
            .find(marker)
            .unwrap_or_else(|| panic!("{marker} in README"));
        let rest = &readme[start..];
        let body = &rest[rest.find('\n').unwrap() + 1..];
        body[..body.find("```").unwrap()].to_owned()
    };
    let config: npo_platform::config::PlatformConfig =
        toml::from_str(&block("```toml\n# platform.toml")).unwrap();
    assert_eq!(config.instance_id, "NPO-TP-LOCAL");
    let tak: npo_platform::tak::TakFile = toml::from_str(&block("```toml\n# tak.toml")).unwrap();
    let hsa: npo_platform::hsa::HsaFile = toml::from_str(&block("```toml\n# hsa.toml")).unwrap();
    let tree = npo_platform::hsa::HsaTree::from_file(&hsa).unwrap();
    let tak = npo_platform::tak::Tak::from_file(tak, tree, &std::sync::atomic::AtomicU64::new(1))
        .unwrap();
    assert!(tak.counts().routes > 0 && tak.counts().authorisations > 0);
}
