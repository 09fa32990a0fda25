//! `GET /admin/calls`: the recorded calls as JSON, newest first.

use actix_web::{HttpResponse, web};
use serde_json::json;

use super::CallFilter;
use crate::admin::{AdminState, Authorised};
use crate::error::AdminError;

/// The handler.
pub async fn list(
    _auth: Authorised,
    state: web::Data<AdminState>,
    query: web::Query<CallFilter>,
) -> Result<HttpResponse, AdminError> {
    let filter = query.into_inner().parse().map_err(AdminError::BadRequest)?;
    let recorder = &state.hooks.recorder;
    let selected = recorder.select(&filter);
    let calls: Vec<super::CallExport<'_>> = selected
        .iter()
        .map(|c| c.export(recorder.masks()))
        .collect();
    let (stored, bytes) = recorder.usage();
    Ok(HttpResponse::Ok().json(json!({
        "enabled": recorder.enabled(),
        "stored": stored,
        "stored_bytes": bytes,
        "count": calls.len(),
        "calls": calls,
    })))
}
