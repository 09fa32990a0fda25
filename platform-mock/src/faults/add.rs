//! `POST /admin/faults`: adds a rule.

use actix_web::{HttpResponse, web};

use super::FaultRuleSpec;
use crate::admin::{AdminState, Authorised};
use crate::error::AdminError;

/// The handler.
pub async fn add(
    _auth: Authorised,
    state: web::Data<AdminState>,
    body: web::Bytes,
) -> Result<HttpResponse, AdminError> {
    let spec: FaultRuleSpec = serde_json::from_slice(&body)
        .map_err(|e| AdminError::BadRequest(format!("invalid fault rule: {e}")))?;
    let rule = state
        .hooks
        .faults
        .add(spec)
        .map_err(AdminError::BadRequest)?;
    tracing::info!(rule = rule.id, action = ?rule.spec.action, "fault rule added");
    Ok(HttpResponse::Created().json(super::list::view(&rule)))
}
