//! Fault and latency injection, black box: rules added through the admin API (or the
//! configuration), calls over mutual TLS, what the consumer gets.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::time::{Duration, Instant};

use npo_contracts::soap::FaultCode;
use npo_pki::Party;
use npo_platform::faults::{FaultAction, FaultRuleSpec};
use serde_json::{Value, json};
use support::*;

const CONSUMER: &str = npo_pki::CONSUMER_HSA_ID;
const PRODUCER: &str = npo_pki::PRODUCER_SCHOOL_HSA_ID;
const OTHER: &str = "SE2120009994-0A02";

/// Routes for GetDiagnosis to `PRODUCER` and `OTHER`, and GetCareContacts (timeout 300 ms
/// in the test configuration) to `PRODUCER`, all to `/ok/<tag>`.
fn tak(producer: &TestProducer) -> String {
    let (diag, care) = (diagnosis_ns(), care_contacts_ns());
    route(PRODUCER, &diag, &producer.url("/ok/p"))
        + &route(OTHER, &diag, &producer.url("/ok/o"))
        + &route(PRODUCER, &care, &producer.url("/ok/c"))
        + &auth(CONSUMER, &diag, "*")
        + &auth(CONSUMER, &care, PRODUCER)
}

async fn add(platform: &TestPlatform, rule: Value) -> u64 {
    let (status, body) = platform.admin("POST", "/admin/faults", Some(rule)).await;
    assert_eq!(status, 201, "{body}");
    body["id"].as_u64().unwrap()
}

async fn diagnosis(platform: &TestPlatform, pki: &Pki, address: &str) -> Reply {
    platform
        .call(
            pki,
            Party::Consumer,
            request(Some(address), &diagnosis_ns()),
            &[],
        )
        .await
}

#[actix_web::test]
async fn each_action_is_what_the_consumer_sees() {
    let pki = Pki::new();
    let producer = TestProducer::start(&pki, Party::ProducerSchool);
    let platform = TestPlatform::start(&pki, Setup::new(tak(&producer)));
    let ns = diagnosis_ns();

    // SOAP Fault: passed through as a producer's, HTTP 500; the producer is not called.
    let id = add(
        &platform,
        json!({"logical_address": PRODUCER, "contract": ns,
               "action": {"type": "soap_fault", "faultstring": "Källsystemet är nere <igen>"}}),
    )
    .await;
    let reply = diagnosis(&platform, &pki, PRODUCER).await;
    assert_eq!(reply.status, 500);
    let fault = reply.fault();
    assert_eq!(fault.string, "Källsystemet är nere <igen>");
    assert_eq!(fault.code, FaultCode::Server);
    assert!(reply.header("x-skltp-correlation-id").is_some());
    assert!(
        producer.received().is_empty(),
        "the producer was not called"
    );
    // Another logical address is not affected.
    assert_eq!(diagnosis(&platform, &pki, OTHER).await.status, 200);
    platform
        .admin("DELETE", &format!("/admin/faults/{id}"), None)
        .await;

    // HTTP 5xx with a text body, empty body, dropped connection: VP009, as the platform
    // answers such a producer.
    let cases = [
        (
            json!({"type": "http_error", "status": 503, "body": "Service Unavailable"}),
            "HTTP 503 without a SOAP body",
        ),
        (json!({"type": "empty_body"}), "Empty message"),
        (
            json!({"type": "drop_connection"}),
            "closed the connection without answering",
        ),
    ];
    for (action, detail) in cases {
        let id = add(
            &platform,
            json!({"logical_address": PRODUCER, "action": action}),
        )
        .await;
        let fault = diagnosis(&platform, &pki, PRODUCER)
            .await
            .assert_vp("VP009");
        let text = fault.detail.unwrap();
        assert!(text.contains(detail), "{detail:?} not in {text:?}");
        assert!(text.contains(&producer.url("/ok/p")), "{text}");
        let (status, _) = platform
            .admin("DELETE", &format!("/admin/faults/{id}"), None)
            .await;
        assert_eq!(status, 200);
    }

    // Any VP code: the platform's own fault.
    for code in ["VP004", "VP007", "VP013"] {
        let id = add(
            &platform,
            json!({"logical_address": PRODUCER, "action": {"type": "vp", "code": code}}),
        )
        .await;
        let fault = diagnosis(&platform, &pki, PRODUCER).await.assert_vp(code);
        assert!(fault.detail.unwrap().contains(&format!("fault rule {id}")));
        platform
            .admin("DELETE", &format!("/admin/faults/{id}"), None)
            .await;
    }
    assert!(producer.received().iter().all(|r| r.path == "/ok/o"));
    assert_eq!(diagnosis(&platform, &pki, PRODUCER).await.status, 200);
}

#[actix_web::test]
async fn delays_hold_the_call_and_past_the_timeout_give_vp009() {
    let pki = Pki::new();
    let producer = TestProducer::start(&pki, Party::ProducerSchool);
    let platform = TestPlatform::start(&pki, Setup::new(tak(&producer)));

    // Below GetDiagnosis' timeout (5 s): the answer arrives, late.
    add(
        &platform,
        json!({"contract": diagnosis_ns(), "action": {"type": "delay", "ms": 400}}),
    )
    .await;
    let started = Instant::now();
    let reply = diagnosis(&platform, &pki, PRODUCER).await;
    let took = started.elapsed();
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(reply.text(), canned_response("p"));
    assert!(took >= Duration::from_millis(400), "{took:?}");

    // Past GetCareContacts' timeout (300 ms): VP009 at the timeout, not after the delay.
    add(
        &platform,
        json!({"contract": care_contacts_ns(), "action": {"type": "delay", "ms": 3000}}),
    )
    .await;
    let started = Instant::now();
    let reply = platform
        .call(
            &pki,
            Party::Consumer,
            request(Some(PRODUCER), &care_contacts_ns()),
            &[],
        )
        .await;
    let took = started.elapsed();
    let fault = reply.assert_vp("VP009");
    assert!(fault.detail.unwrap().contains("Timeout"), "timeout fault");
    assert!(
        took >= Duration::from_millis(300) && took < Duration::from_millis(2500),
        "{took:?}"
    );
    assert!(
        producer.received().iter().all(|r| r.path != "/ok/c"),
        "the producer was not called"
    );
}

#[actix_web::test]
async fn times_expire_and_rules_are_added_listed_and_removed_at_runtime() {
    let pki = Pki::new();
    let producer = TestProducer::start(&pki, Party::ProducerSchool);
    let platform = TestPlatform::start(&pki, Setup::new(tak(&producer)));

    let id = add(
        &platform,
        json!({"logical_address": PRODUCER, "times": 2,
               "action": {"type": "vp", "code": "VP004"}}),
    )
    .await;
    let (_, rules) = platform.admin("GET", "/admin/faults", None).await;
    assert_eq!(rules.as_array().unwrap().len(), 1);
    assert_eq!(rules[0]["id"], id);
    assert_eq!(rules[0]["remaining"], 2);
    assert_eq!(rules[0]["action"]["type"], "vp");

    diagnosis(&platform, &pki, PRODUCER)
        .await
        .assert_vp("VP004");
    diagnosis(&platform, &pki, PRODUCER)
        .await
        .assert_vp("VP004");
    assert_eq!(
        diagnosis(&platform, &pki, PRODUCER).await.status,
        200,
        "expired after two uses"
    );
    let (_, rules) = platform.admin("GET", "/admin/faults", None).await;
    assert_eq!(rules[0]["remaining"], 0);
    assert_eq!(rules[0]["expired"], true);
    assert_eq!(rules[0]["applied"], 2);

    // Added at run time, removed at run time.
    let id = add(
        &platform,
        json!({"action": {"type": "vp", "code": "VP010"}}),
    )
    .await;
    diagnosis(&platform, &pki, OTHER).await.assert_vp("VP010");
    let (status, removed) = platform
        .admin("DELETE", &format!("/admin/faults/{id}"), None)
        .await;
    assert_eq!(status, 200);
    assert_eq!(removed["id"], id);
    assert_eq!(diagnosis(&platform, &pki, OTHER).await.status, 200);
    let (status, _) = platform
        .admin("DELETE", &format!("/admin/faults/{id}"), None)
        .await;
    assert_eq!(status, 404);

    // Refused rules and callers.
    for bad in [
        json!({"action": {"type": "http_error", "status": 404}}),
        json!({"action": {"type": "vp", "code": "VP042"}}),
        json!({"action": {"type": "explode"}}),
        json!({"times": 0, "action": {"type": "empty_body"}}),
        json!({"patient": "x", "action": {"type": "empty_body"}}),
    ] {
        let (status, body) = platform
            .admin("POST", "/admin/faults", Some(bad.clone()))
            .await;
        assert_eq!(status, 400, "{bad}: {body}");
    }
    let (status, _) = platform
        .admin_with(
            "POST",
            "/admin/faults",
            Some(json!({"action": {"type": "empty_body"}})),
            None,
        )
        .await;
    assert_eq!(status, 401);

    add(&platform, json!({"action": {"type": "empty_body"}})).await;
    add(&platform, json!({"action": {"type": "empty_body"}})).await;
    let (status, cleared) = platform.admin("DELETE", "/admin/faults", None).await;
    assert_eq!(status, 200);
    assert_eq!(
        cleared["removed"], 3,
        "the expired rule and the two new ones"
    );
    assert_eq!(diagnosis(&platform, &pki, PRODUCER).await.status, 200);
}

#[actix_web::test]
async fn rules_match_on_patient_id_and_load_from_the_configuration() {
    let pki = Pki::new();
    let producer = TestProducer::start(&pki, Party::ProducerSchool);
    let configured = FaultRuleSpec {
        logical_address: Some(OTHER.into()),
        contract: None,
        patient_id: None,
        action: FaultAction::Vp {
            code: "VP006".into(),
        },
        times: None,
    };
    let platform = TestPlatform::start(
        &pki,
        Setup::new(tak(&producer)).tweak(move |c| c.faults = vec![configured]),
    );
    diagnosis(&platform, &pki, OTHER).await.assert_vp("VP006");

    // The request's patient is 191212121212; the rule gives it with a hyphen.
    let id = add(
        &platform,
        json!({"patient_id": "19121212-1212", "action": {"type": "vp", "code": "VP004"}}),
    )
    .await;
    add(
        &platform,
        json!({"patient_id": "201212121212", "action": {"type": "vp", "code": "VP010"}}),
    )
    .await;
    diagnosis(&platform, &pki, PRODUCER)
        .await
        .assert_vp("VP004");
    platform
        .admin("DELETE", &format!("/admin/faults/{id}"), None)
        .await;
    assert_eq!(
        diagnosis(&platform, &pki, PRODUCER).await.status,
        200,
        "another patient's rule does not apply"
    );

    // The recording names the rule; the metrics count the injections.
    let calls = platform.calls("vp_code=VP004", 3).await;
    assert_eq!(calls["calls"][0]["fault_rule"], id);
    let (_, _, metrics) = platform.admin_raw("/metrics", &[]).await;
    assert!(
        metrics.contains("npo_platform_fault_injections_total 2"),
        "{metrics}"
    );
    assert!(metrics.contains("npo_platform_fault_rules 2"));
}
