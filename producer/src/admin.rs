//! The admin API on the producer's HTTPS listener, mounted only when the configuration
//! has an `[admin]` section:
//!
//! - `POST /admin/import`: an import document (JSON, see `producer/IMPORT.md`) with
//!   `Authorization: Bearer <admin.token>`. Checked completely, then applied in one
//!   transaction like `npo producer import`. Answers 200 with the summary, 400 with
//!   the JSON list of problems (nothing written), 401 without the right token, 413
//!   when larger than `admin.max_body_bytes`, 503 when the database is unavailable.
//!
//! Callers need a client certificate of the trusted CA (the TLS handshake demands it),
//! but unlike the SOAP endpoints any HSA-ID may call: the token is the authorisation.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use futures_util::StreamExt as _;
use serde_json::json;

use crate::config::AdminConfig;
use crate::db::DbPool;
use crate::import::{self, ImportError, ImportOptions};

/// The path of the import endpoint.
pub const IMPORT_PATH: &str = "/admin/import";

/// What the admin endpoints need.
#[derive(Clone)]
pub struct AdminState {
    pool: DbPool,
    token_digest: [u8; 32],
    max_body_bytes: usize,
    options: ImportOptions,
}

impl std::fmt::Debug for AdminState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AdminState")
            .field("max_body_bytes", &self.max_body_bytes)
            .finish_non_exhaustive()
    }
}

impl AdminState {
    /// The state for `config`, importing into `pool` with `options`.
    pub fn new(pool: DbPool, config: &AdminConfig, options: ImportOptions) -> Self {
        AdminState {
            pool,
            token_digest: openssl::sha::sha256(config.token.as_bytes()),
            max_body_bytes: config.max_body_bytes,
            options,
        }
    }

    /// Whether the request carries `Authorization: Bearer <token>` with the configured
    /// token (compared in constant time, as digests of equal length).
    fn authorized(&self, req: &HttpRequest) -> bool {
        let Some(value) = req
            .headers()
            .get("authorization")
            .and_then(|v| v.to_str().ok())
        else {
            return false;
        };
        let Some((scheme, token)) = value.trim().split_once(' ') else {
            return false;
        };
        if !scheme.eq_ignore_ascii_case("bearer") {
            return false;
        }
        let digest = openssl::sha::sha256(token.trim().as_bytes());
        openssl::memcmp::eq(&digest, &self.token_digest)
    }
}

/// Registers the admin routes.
pub fn config(cfg: &mut web::ServiceConfig, state: web::Data<AdminState>) {
    cfg.service(
        web::resource(IMPORT_PATH)
            .app_data(state)
            .route(web::post().to(import_handler)),
    );
}

fn error(status: StatusCode, message: &str) -> HttpResponse {
    HttpResponse::build(status).json(json!({ "error": message }))
}

/// `POST /admin/import`.
async fn import_handler(
    req: HttpRequest,
    mut payload: web::Payload,
    state: web::Data<AdminState>,
) -> HttpResponse {
    let caller = npo_pki::peer_identity(&req)
        .and_then(|p| p.hsa_id.clone())
        .unwrap_or_default();
    if !state.authorized(&req) {
        tracing::warn!(caller = %caller, "admin import refused: missing or wrong bearer token");
        return HttpResponse::Unauthorized()
            .insert_header(("www-authenticate", "Bearer realm=\"npo-producer-admin\""))
            .json(json!({ "error": "missing or wrong bearer token" }));
    }
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let Ok(chunk) = chunk else {
            return error(
                StatusCode::BAD_REQUEST,
                "the request body could not be read",
            );
        };
        if body.len() + chunk.len() > state.max_body_bytes {
            let message = format!("the document is larger than {} bytes", state.max_body_bytes);
            return error(StatusCode::PAYLOAD_TOO_LARGE, &message);
        }
        body.extend_from_slice(&chunk);
    }
    let worker_state = state.clone();
    let outcome = web::block(move || {
        let document = import::read(&body, &worker_state.options)
            .map_err(|problems| Outcome::Import(ImportError::Invalid(problems)))?;
        let mut conn = worker_state
            .pool
            .get()
            .map_err(|e| Outcome::Unavailable(e.to_string()))?;
        let applied = import::apply_all(&mut conn, &[document], &worker_state.options, &mut || {});
        if let Err(ImportError::Database(e)) = &applied {
            conn.note_error(e);
        }
        applied.map_err(Outcome::from)
    })
    .await;
    match outcome {
        Ok(Ok(summary)) => {
            tracing::info!(
                caller = %caller,
                records = summary.records,
                inserted = summary.inserted,
                updated = summary.updated,
                unchanged = summary.unchanged,
                deleted = summary.deleted,
                engagement_updates = summary.engagement_updates,
                "admin import applied"
            );
            HttpResponse::Ok().json(summary)
        }
        Ok(Err(Outcome::Import(ImportError::Invalid(problems)))) => {
            tracing::info!(caller = %caller, problems = problems.len(), "admin import refused: invalid document");
            HttpResponse::BadRequest().json(problems)
        }
        Ok(Err(Outcome::Import(ImportError::Database(e)))) => {
            tracing::error!(error = %e, "admin import failed; rolled back");
            error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal error; nothing was written",
            )
        }
        Ok(Err(Outcome::Unavailable(e))) => {
            tracing::error!(error = %e, "admin import: database unavailable");
            error(
                StatusCode::SERVICE_UNAVAILABLE,
                "the database is unavailable; nothing was written",
            )
        }
        Err(e) => {
            tracing::error!(error = %e, "admin import: worker failed");
            error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal error; nothing was written",
            )
        }
    }
}

/// Why the blocking part did not produce a summary.
#[derive(Debug)]
enum Outcome {
    Import(ImportError),
    Unavailable(String),
}

impl From<ImportError> for Outcome {
    fn from(e: ImportError) -> Self {
        Outcome::Import(e)
    }
}
