//! `GET /metrics` and `GET /healthz` on the admin listener. Both answer without the admin
//! token, as monitoring expects (Prometheus scrapes and liveness probes carry no secret);
//! neither shows message content, patient data or the TAK, and the admin listener is on
//! loopback by default.
//!
//! `/healthz` checks both listeners: it answers at all (the admin listener), and it
//! connects to the routing listener's port. 200 with `"status": "ok"`, else 503 with
//! `"status": "unavailable"`.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use actix_web::http::header::CONTENT_TYPE;
use actix_web::{HttpResponse, web};
use serde_json::json;

use crate::admin::AdminState;

/// Registers `/metrics` and `/healthz`.
pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.route("/metrics", web::get().to(metrics))
        .route("/healthz", web::get().to(healthz));
}

async fn metrics(state: web::Data<AdminState>) -> HttpResponse {
    let hooks = &state.hooks;
    let (calls, bytes) = hooks.recorder.usage();
    let rules = hooks.faults.list().len();
    let text = hooks.metrics.render(&[
        (
            "npo_platform_recorded_calls",
            "Calls held by the call recording.",
            calls as f64,
        ),
        (
            "npo_platform_recorded_bytes",
            "Bytes held by the call recording.",
            bytes as f64,
        ),
        (
            "npo_platform_fault_rules",
            "Fault injection rules in force.",
            rules as f64,
        ),
    ]);
    HttpResponse::Ok()
        .insert_header((CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8"))
        .body(text)
}

/// Where to connect to reach a listener bound to `addr`.
fn reachable(addr: SocketAddr) -> SocketAddr {
    match addr.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => {
            SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), addr.port())
        }
        IpAddr::V6(ip) if ip.is_unspecified() => {
            SocketAddr::new(IpAddr::V6(Ipv6Addr::LOCALHOST), addr.port())
        }
        _ => addr,
    }
}

async fn healthz(state: web::Data<AdminState>) -> HttpResponse {
    let target = reachable(state.routing_addr);
    let started = std::time::Instant::now();
    let routing = actix_web::rt::time::timeout(
        Duration::from_secs(1),
        actix_web::rt::net::TcpStream::connect(target),
    )
    .await;
    let (routing_ok, routing_error) = match routing {
        Ok(Ok(_)) => (true, None),
        Ok(Err(e)) => (false, Some(e.to_string())),
        Err(_) => (false, Some("connect timed out".to_owned())),
    };
    let tak = state.tak.snapshot();
    let body = json!({
        "status": if routing_ok { "ok" } else { "unavailable" },
        "instance_id": state.instance_id,
        "routing": {
            "address": state.routing_addr.to_string(),
            "accepting": routing_ok,
            "error": routing_error,
            "check_ms": started.elapsed().as_secs_f64() * 1000.0,
        },
        "admin": { "accepting": true },
        "tak": {
            "loaded_at": tak.loaded_at.to_rfc3339(),
            "last_reload_failure": state.tak.last_failure(),
        },
    });
    if routing_ok {
        HttpResponse::Ok().json(body)
    } else {
        HttpResponse::ServiceUnavailable().json(body)
    }
}
