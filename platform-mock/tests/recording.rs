//! Call recording, `/metrics` and `/healthz`, black box: calls over mutual TLS to the
//! platform, the recording read back through the admin listener.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use npo_pki::Party;
use serde_json::Value;
use support::*;

const CONSUMER: &str = npo_pki::CONSUMER_HSA_ID;
const TESTER: &str = npo_pki::TESTER_HSA_ID;
const PRODUCER: &str = npo_pki::PRODUCER_SCHOOL_HSA_ID;

fn tak(producer: &TestProducer) -> String {
    let ns = diagnosis_ns();
    route(PRODUCER, &ns, &producer.url("/ok/rec")) + &auth(CONSUMER, &ns, PRODUCER)
}

fn count(json: &Value) -> usize {
    json["calls"].as_array().unwrap().len()
}

#[actix_web::test]
async fn records_a_routed_call_with_personal_ids_masked() {
    let pki = Pki::new();
    let producer = TestProducer::start(&pki, Party::ProducerSchool);
    let platform = TestPlatform::start(&pki, Setup::new(tak(&producer)));
    let ns = diagnosis_ns();
    let reply = platform
        .call(
            &pki,
            Party::Consumer,
            request(Some(PRODUCER), &ns),
            &[("x-skltp-correlation-id", "rec-corr-1")],
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text());

    let json = platform.calls("", 1).await;
    assert_eq!(count(&json), 1, "{json}");
    let call = &json["calls"][0];
    assert_eq!(call["correlation_id"], "rec-corr-1");
    assert_eq!(call["sender"], CONSUMER);
    assert_eq!(call["original_consumer"], CONSUMER);
    assert_eq!(call["logical_address"], PRODUCER);
    assert_eq!(call["contract"], ns.as_str());
    assert_eq!(call["status"], 200);
    assert_eq!(call["vp_code"], Value::Null);
    assert_eq!(call["complete"], true);
    assert!(call["latency_ms"].as_f64().unwrap() > 0.0);
    chrono::DateTime::parse_from_rfc3339(call["time"].as_str().unwrap()).unwrap();

    let request_text = call["request"]["text"].as_str().unwrap();
    assert!(!request_text.contains(PATIENT), "{request_text}");
    assert!(
        request_text.contains("<urn1:id>XXXXXXXXXXXX</urn1:id>"),
        "{request_text}"
    );
    assert_eq!(
        call["request"]["size"],
        request(Some(PRODUCER), &ns).len(),
        "the size as sent"
    );
    assert_eq!(call["response"]["text"], canned_response("rec"));
    assert_eq!(call["response"]["truncated"], false);

    // A fault is recorded too, with its VP code.
    let reply = platform
        .call(&pki, Party::Consumer, request(Some("SE-NOWHERE"), &ns), &[])
        .await;
    reply.assert_vp("VP004");
    let json = platform.calls("vp_code=VP004", 2).await;
    assert_eq!(count(&json), 1, "{json}");
    let call = &json["calls"][0];
    assert_eq!(call["status"], 500);
    assert!(
        call["response"]["text"]
            .as_str()
            .unwrap()
            .contains("VP004 [NPO-TEST-TP1]")
    );
}

#[actix_web::test]
async fn filters_select_calls_and_bad_filters_are_refused() {
    let pki = Pki::new();
    let producer = TestProducer::start(&pki, Party::ProducerSchool);
    let platform = TestPlatform::start(&pki, Setup::new(tak(&producer)));
    let ns = diagnosis_ns();
    let before = chrono::Utc::now();
    // 1: routed (200), 2: no route (VP004), 3: tester not authorised (VP007).
    let ok = platform
        .call(&pki, Party::Consumer, request(Some(PRODUCER), &ns), &[])
        .await;
    assert_eq!(ok.status, 200);
    platform
        .call(&pki, Party::Consumer, request(Some("SE-OTHER"), &ns), &[])
        .await
        .assert_vp("VP004");
    platform
        .call(&pki, Party::Tester, request(Some(PRODUCER), &ns), &[])
        .await
        .assert_vp("VP007");

    let all = platform.calls("", 3).await;
    assert_eq!(count(&all), 3);
    let codes: Vec<Value> = all["calls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["vp_code"].clone())
        .collect();
    assert_eq!(
        codes,
        [Value::from("VP007"), Value::from("VP004"), Value::Null],
        "newest first"
    );

    let pick = |query: &'static str| {
        let platform = &platform;
        async move { platform.calls(query, 3).await }
    };
    assert_eq!(count(&pick("vp_code=vp007").await), 1);
    assert_eq!(count(&pick("vp_code=none").await), 1);
    assert_eq!(count(&pick("status=500").await), 2);
    let by_address = pick("logical_address=se-other").await;
    assert_eq!(count(&by_address), 1);
    assert_eq!(by_address["calls"][0]["vp_code"], "VP004");
    let by_consumer = platform.calls(&format!("consumer={TESTER}"), 3).await;
    assert_eq!(count(&by_consumer), 1);
    assert_eq!(by_consumer["calls"][0]["sender"], TESTER);
    assert_eq!(
        count(&platform.calls(&format!("consumer={CONSUMER}"), 3).await),
        2
    );
    assert_eq!(
        count(
            &platform
                .calls(&format!("contract={}", ns.to_uppercase()), 3)
                .await
        ),
        3
    );
    assert_eq!(count(&pick("contract=urn:other").await), 0);
    let newest = pick("limit=1").await;
    assert_eq!(count(&newest), 1);
    assert_eq!(newest["calls"][0]["vp_code"], "VP007");
    let since = before.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    assert_eq!(
        count(&platform.calls(&format!("since={since}"), 3).await),
        3
    );
    assert_eq!(count(&pick("since=2999-01-01T00:00:00Z").await), 0);

    for bad in ["vp_code=VP099", "since=yesterday", "limit=0", "status=abc"] {
        let (status, body) = platform
            .admin("GET", &format!("/admin/calls?{bad}"), None)
            .await;
        assert_eq!(status, 400, "{bad}: {body}");
    }
    let (status, _) = platform
        .admin_with("GET", "/admin/calls", None, Some("wrong-token-0123456789"))
        .await;
    assert_eq!(status, 401);

    let (status, cleared) = platform.admin("DELETE", "/admin/calls", None).await;
    assert_eq!(status, 200);
    assert_eq!(cleared["dropped"], 3);
    assert_eq!(count(&pick("").await), 0);
}

#[actix_web::test]
async fn the_store_keeps_only_the_newest_calls() {
    let pki = Pki::new();
    let producer = TestProducer::start(&pki, Party::ProducerSchool);
    let platform = TestPlatform::start(
        &pki,
        Setup::new(tak(&producer)).tweak(|c| {
            c.recording.max_calls = 3;
            c.recording.max_body_bytes = 100;
        }),
    );
    let ns = diagnosis_ns();
    for i in 0..5 {
        let id = format!("bounded-{i}");
        let reply = platform
            .call(
                &pki,
                Party::Consumer,
                request(Some(PRODUCER), &ns),
                &[("x-skltp-correlation-id", id.as_str())],
            )
            .await;
        assert_eq!(reply.status, 200);
    }
    // Wait for the fifth call to be stored.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    let json = loop {
        let json = platform.calls("", 3).await;
        if json["calls"][0]["correlation_id"] == "bounded-4" || std::time::Instant::now() > deadline
        {
            break json;
        }
        actix_web::rt::time::sleep(std::time::Duration::from_millis(10)).await;
    };
    assert_eq!(json["stored"], 3);
    let ids: Vec<&str> = json["calls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["correlation_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["bounded-4", "bounded-3", "bounded-2"]);
    let body = &json["calls"][0]["request"];
    assert_eq!(body["truncated"], true);
    assert_eq!(body["text"].as_str().unwrap().len(), 100);
    assert!(body["size"].as_u64().unwrap() > 100);
}

#[actix_web::test]
async fn recording_can_be_disabled_and_masking_turned_off() {
    let pki = Pki::new();
    let producer = TestProducer::start(&pki, Party::ProducerSchool);
    let ns = diagnosis_ns();
    let off = TestPlatform::start(
        &pki,
        Setup::new(tak(&producer)).tweak(|c| c.recording.enabled = false),
    );
    let reply = off
        .call(&pki, Party::Consumer, request(Some(PRODUCER), &ns), &[])
        .await;
    assert_eq!(reply.status, 200);
    actix_web::rt::time::sleep(std::time::Duration::from_millis(100)).await;
    let (_, json) = off.admin("GET", "/admin/calls", None).await;
    assert_eq!(json["enabled"], false);
    assert_eq!(json["stored"], 0);

    let unmasked = TestPlatform::start(
        &pki,
        Setup::new(tak(&producer)).tweak(|c| c.recording.mask_personal_ids = false),
    );
    unmasked
        .call(&pki, Party::Consumer, request(Some(PRODUCER), &ns), &[])
        .await;
    let json = unmasked.calls("", 1).await;
    assert!(
        json["calls"][0]["request"]["text"]
            .as_str()
            .unwrap()
            .contains(PATIENT)
    );
}

#[actix_web::test]
async fn the_html_page_escapes_content_and_asks_for_credentials() {
    let pki = Pki::new();
    let producer = TestProducer::start(&pki, Party::ProducerSchool);
    let platform = TestPlatform::start(&pki, Setup::new(tak(&producer)));
    let ns = diagnosis_ns();
    let hostile = request(Some(PRODUCER), &ns).replace(
        "<!-- kept as sent -->",
        "<!-- <script>alert('x')</script> -->",
    );
    let reply = platform.call(&pki, Party::Consumer, hostile, &[]).await;
    assert_eq!(reply.status, 200);
    // The logical address itself carries markup (the XML escape decodes to `<b>`).
    platform
        .call(
            &pki,
            Party::Consumer,
            request(Some("&lt;b&gt;SE-X"), &ns),
            &[],
        )
        .await
        .assert_vp("VP004");
    platform.calls("", 2).await;

    let (status, headers, _) = platform.admin_raw("/admin/calls/view", &[]).await;
    assert_eq!(status, 401);
    assert!(
        headers["www-authenticate"].starts_with("Basic "),
        "{headers:?}"
    );
    let wrong = format!(
        "Basic {}",
        openssl::base64::encode_block(b"tester:not-the-token")
    );
    let (status, _, _) = platform
        .admin_raw("/admin/calls/view", &[("authorization", wrong.as_str())])
        .await;
    assert_eq!(status, 401);

    let basic = format!(
        "Basic {}",
        openssl::base64::encode_block(format!("tester:{TOKEN}").as_bytes())
    );
    let (status, headers, html) = platform
        .admin_raw("/admin/calls/view", &[("authorization", basic.as_str())])
        .await;
    assert_eq!(status, 200);
    assert!(headers["content-type"].starts_with("text/html"));
    assert!(html.contains("Inspelade anrop"), "Swedish UI");
    assert!(
        !html.contains("<script"),
        "markup from a call reached the page"
    );
    assert!(!html.contains("<b>SE-X"));
    // askama escapes `<` and `>` as numeric character references.
    let escaped = |text: &str| text.replace('<', "&#60;").replace('>', "&#62;");
    assert!(html.contains(&escaped("<script>")), "shown escaped: {html}");
    assert!(html.contains(&format!("<td>{}</td>", escaped("<b>SE-X"))));
    assert!(html.contains("<pre>"));
    assert!(!html.contains(PATIENT), "masked on the page too");

    // The form's filters work without JavaScript: a plain GET query.
    let bearer = format!("Bearer {TOKEN}");
    let (status, _, filtered) = platform
        .admin_raw(
            "/admin/calls/view?logical_address=&contract=&consumer=&vp_code=VP004&status=&since=&limit=",
            &[("authorization", bearer.as_str())],
        )
        .await;
    assert_eq!(status, 200);
    assert!(filtered.contains(&escaped("<b>SE-X")));
    assert!(!filtered.contains("alert"), "the 200 call is filtered out");
    assert!(filtered.contains("<option value=\"VP004\" selected>"));
    let (status, _, invalid) = platform
        .admin_raw(
            "/admin/calls/view?since=ig%C3%A5r",
            &[("authorization", bearer.as_str())],
        )
        .await;
    assert_eq!(status, 200);
    assert!(invalid.contains("Ogiltigt filter"), "{invalid}");
}

#[actix_web::test]
async fn metrics_count_calls_and_healthz_reports_both_listeners() {
    let pki = Pki::new();
    let producer = TestProducer::start(&pki, Party::ProducerSchool);
    let mut platform = TestPlatform::start(&pki, Setup::new(tak(&producer)));
    let ns = diagnosis_ns();
    for _ in 0..2 {
        let reply = platform
            .call(&pki, Party::Consumer, request(Some(PRODUCER), &ns), &[])
            .await;
        assert_eq!(reply.status, 200);
    }
    platform
        .call(&pki, Party::Consumer, request(Some("SE-NOWHERE"), &ns), &[])
        .await
        .assert_vp("VP004");

    // No token needed (scrapers and probes carry none).
    let (status, headers, text) = platform.admin_raw("/metrics", &[]).await;
    assert_eq!(status, 200);
    assert!(headers["content-type"].starts_with("text/plain; version=0.0.4"));
    assert!(
        text.contains(&format!(
            "npo_platform_calls_total{{contract=\"{ns}\",status=\"200\",vp_code=\"none\"}} 2"
        )),
        "{text}"
    );
    assert!(text.contains(&format!(
        "npo_platform_calls_total{{contract=\"{ns}\",status=\"500\",vp_code=\"VP004\"}} 1"
    )));
    assert!(text.contains(&format!(
        "npo_platform_call_duration_seconds_bucket{{contract=\"{ns}\",le=\"+Inf\"}} 3"
    )));
    assert!(text.contains(&format!(
        "npo_platform_call_duration_seconds_count{{contract=\"{ns}\"}} 3"
    )));
    assert!(text.contains("# TYPE npo_platform_call_duration_seconds histogram"));
    assert!(!text.contains(PATIENT));

    let (status, health) = platform.admin_with("GET", "/healthz", None, None).await;
    assert_eq!(status, 200, "{health}");
    assert_eq!(health["status"], "ok");
    assert_eq!(health["routing"]["accepting"], true);
    assert_eq!(health["admin"]["accepting"], true);

    platform.stop_routing().await;
    let (status, health) = platform.admin_with("GET", "/healthz", None, None).await;
    assert_eq!(status, 503, "{health}");
    assert_eq!(health["status"], "unavailable");
    assert_eq!(health["routing"]["accepting"], false);
}
