//! The admin listener: cache state and reloads as SKLTP (`/status`, `/resetcache`), and a
//! small API to change TAK entries at run time, and the tester features (call recording,
//! fault rules, metrics, health). Plain HTTP on a loopback address; every request except
//! `/metrics` and `/healthz` needs `Authorization: Bearer <admin.token>` (HTML pages also
//! take HTTP Basic with the token as password).
//!
//! | Method and path | What |
//! |---|---|
//! | `GET /status` | JSON: instance, uptime, TAK load time, source files, counts, runtime changes, last failed reload, local services |
//! | `GET` or `POST /resetcache` | re-read the TAK and HSA files (admin changes are dropped); 500 and the old TAK kept when a file is bad |
//! | `GET /admin/routes` | every route with its `id` |
//! | `POST /admin/routes` | add a route: JSON as a `[[routes]]` entry of the TAK file; 201 with the route and its `id` |
//! | `DELETE /admin/routes/{id}` | remove a route (file or admin); 404 when unknown |
//! | `GET`, `POST /admin/authorisations`, `DELETE /admin/authorisations/{id}` | the same for authorisations |
//! | `GET /admin/lookup?consumer=..&contract=..&logical_address=..` | which route and authorisation a call would get now, and on which level they matched |
//! | `/admin/calls`, `/admin/calls/view` | the call recording, see [`crate::recording`] |
//! | `/admin/faults` | fault and latency injection rules, see [`crate::faults`] |
//! | `GET /metrics`, `GET /healthz` (no token) | see [`crate::health`] |

use std::future::{Ready, ready};
use std::sync::Arc;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::json;

use crate::config::Secret;
use crate::error::AdminError;
use crate::hooks::Hooks;
use crate::tak::{AuthorisationSpec, RouteLookupError, RouteSpec, TakStore};

/// What the admin endpoints share.
#[derive(Debug)]
pub struct AdminState {
    /// The TAK.
    pub tak: Arc<TakStore>,
    /// The bearer token.
    pub token: Secret,
    /// This instance's id.
    pub instance_id: String,
    /// When the platform started.
    pub started_at: DateTime<Utc>,
    /// Names of the local services.
    pub local_services: Vec<String>,
    /// The tester features (recording, fault rules, metrics).
    pub hooks: Arc<Hooks>,
    /// The routing listener's bound address (for `/healthz`).
    pub routing_addr: std::net::SocketAddr,
}

/// Registers the admin routes.
pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.route("/status", web::get().to(status))
        .route("/resetcache", web::get().to(reset_cache))
        .route("/resetcache", web::post().to(reset_cache))
        .route("/admin/routes", web::get().to(list_routes))
        .route("/admin/routes", web::post().to(add_route))
        .route("/admin/routes/{id}", web::delete().to(remove_route))
        .route("/admin/authorisations", web::get().to(list_authorisations))
        .route("/admin/authorisations", web::post().to(add_authorisation))
        .route(
            "/admin/authorisations/{id}",
            web::delete().to(remove_authorisation),
        )
        .route("/admin/lookup", web::get().to(lookup))
        .configure(crate::recording::config)
        .configure(crate::faults::config)
        .configure(crate::health::config);
}

/// Proof that the request carried the admin token.
#[derive(Debug)]
pub struct Authorised;

/// Compares without stopping at the first difference.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The token presented: `Bearer <token>`, or HTTP Basic with the token as password (any
/// user name), which browsers can send for the HTML pages.
fn presented_token(req: &HttpRequest) -> Option<String> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, rest) = value.split_once(' ')?;
    if scheme.eq_ignore_ascii_case("bearer") {
        return Some(rest.trim().to_owned());
    }
    if scheme.eq_ignore_ascii_case("basic") {
        let decoded = openssl::base64::decode_block(rest.trim()).ok()?;
        let text = String::from_utf8(decoded).ok()?;
        let (_user, password) = text.split_once(':')?;
        return Some(password.to_owned());
    }
    None
}

fn token_ok(req: &HttpRequest) -> bool {
    let Some(state) = req.app_data::<web::Data<AdminState>>() else {
        return false;
    };
    presented_token(req)
        .is_some_and(|token| same(token.as_bytes(), state.token.expose().as_bytes()))
}

impl FromRequest for Authorised {
    type Error = AdminError;
    type Future = Ready<Result<Self, AdminError>>;

    fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        ready(if token_ok(req) {
            Ok(Authorised)
        } else {
            Err(AdminError::Unauthorised)
        })
    }
}

/// Like [`Authorised`] for HTML pages: without the token the browser is asked for Basic
/// credentials.
#[derive(Debug)]
pub struct AuthorisedPage;

impl FromRequest for AuthorisedPage {
    type Error = AdminError;
    type Future = Ready<Result<Self, AdminError>>;

    fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        ready(if token_ok(req) {
            Ok(AuthorisedPage)
        } else {
            Err(AdminError::PageUnauthorised)
        })
    }
}

async fn status(_auth: Authorised, state: web::Data<AdminState>) -> HttpResponse {
    let tak = state.tak.snapshot();
    let sources = state.tak.sources();
    let now = Utc::now();
    HttpResponse::Ok().json(json!({
        "instance_id": state.instance_id,
        "started_at": state.started_at.to_rfc3339(),
        "uptime_seconds": (now - state.started_at).num_seconds(),
        "tak": {
            "initialized": true,
            "loaded_at": tak.loaded_at.to_rfc3339(),
            "tak_file": sources.tak_file,
            "hsa_file": sources.hsa_file,
            "counts": tak.counts(),
            "runtime_changes": tak.runtime_changes,
            "last_reload_failure": state.tak.last_failure(),
        },
        "local_services": state.local_services,
    }))
}

async fn reset_cache(
    _auth: Authorised,
    state: web::Data<AdminState>,
) -> Result<HttpResponse, AdminError> {
    let counts = state
        .tak
        .reload()
        .map_err(|e| AdminError::Reload(e.to_string()))?;
    let tak = state.tak.snapshot();
    Ok(HttpResponse::Ok().json(json!({
        "status": "reloaded",
        "loaded_at": tak.loaded_at.to_rfc3339(),
        "counts": counts,
    })))
}

async fn list_routes(_auth: Authorised, state: web::Data<AdminState>) -> HttpResponse {
    HttpResponse::Ok().json(state.tak.snapshot().routes())
}

fn json_body<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, AdminError> {
    serde_json::from_slice(body).map_err(|e| AdminError::BadRequest(format!("invalid JSON: {e}")))
}

async fn add_route(
    _auth: Authorised,
    state: web::Data<AdminState>,
    body: web::Bytes,
) -> Result<HttpResponse, AdminError> {
    let spec: RouteSpec = json_body(&body)?;
    let route = state.tak.add_route(spec).map_err(AdminError::BadRequest)?;
    Ok(HttpResponse::Created().json(route))
}

async fn remove_route(
    _auth: Authorised,
    state: web::Data<AdminState>,
    id: web::Path<u64>,
) -> Result<HttpResponse, AdminError> {
    let removed = state
        .tak
        .remove_route(id.into_inner())
        .ok_or(AdminError::NotFound("route"))?;
    Ok(HttpResponse::Ok().json(removed))
}

async fn list_authorisations(_auth: Authorised, state: web::Data<AdminState>) -> HttpResponse {
    HttpResponse::Ok().json(state.tak.snapshot().authorisations())
}

async fn add_authorisation(
    _auth: Authorised,
    state: web::Data<AdminState>,
    body: web::Bytes,
) -> Result<HttpResponse, AdminError> {
    let spec: AuthorisationSpec = json_body(&body)?;
    let auth = state
        .tak
        .add_authorisation(spec)
        .map_err(AdminError::BadRequest)?;
    Ok(HttpResponse::Created().json(auth))
}

async fn remove_authorisation(
    _auth: Authorised,
    state: web::Data<AdminState>,
    id: web::Path<u64>,
) -> Result<HttpResponse, AdminError> {
    let removed = state
        .tak
        .remove_authorisation(id.into_inner())
        .ok_or(AdminError::NotFound("authorisation"))?;
    Ok(HttpResponse::Ok().json(removed))
}

/// Query of `/admin/lookup`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LookupQuery {
    /// The consumer's HSA-ID.
    pub consumer: String,
    /// Contract namespace.
    pub contract: String,
    /// Logical address, as a caller would send it.
    pub logical_address: String,
}

async fn lookup(
    _auth: Authorised,
    state: web::Data<AdminState>,
    query: web::Query<LookupQuery>,
) -> HttpResponse {
    let tak = state.tak.snapshot();
    let now = Utc::now();
    let q = query.into_inner();
    let route = match tak.route(&q.logical_address, &q.contract, now) {
        Ok(found) => json!({
            "vp_code": null,
            "route": found.route,
            "matched_on": found.matched_on,
        }),
        Err(RouteLookupError::NoRoute) => json!({ "vp_code": "VP004" }),
        Err(RouteLookupError::Several { count, matched_on }) => {
            json!({ "vp_code": "VP006", "count": count, "matched_on": matched_on })
        }
        Err(RouteLookupError::EmptyUrl { matched_on }) => {
            json!({ "vp_code": "VP010", "matched_on": matched_on })
        }
    };
    let authorisation = match tak.authorise(&q.consumer, &q.contract, &q.logical_address, now) {
        Some(found) => {
            json!({ "authorised": true, "id": found.id, "matched_on": found.matched_on })
        }
        None => json!({ "authorised": false, "vp_code": "VP007" }),
    };
    HttpResponse::Ok().json(json!({ "route": route, "authorisation": authorisation }))
}
