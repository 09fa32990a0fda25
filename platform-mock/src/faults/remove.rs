//! `DELETE /admin/faults/{id}` and `DELETE /admin/faults`.

use actix_web::{HttpResponse, web};
use serde_json::json;

use crate::admin::{AdminState, Authorised};
use crate::error::AdminError;

/// Removes one rule.
pub async fn remove(
    _auth: Authorised,
    state: web::Data<AdminState>,
    id: web::Path<u64>,
) -> Result<HttpResponse, AdminError> {
    let rule = state
        .hooks
        .faults
        .remove(id.into_inner())
        .ok_or(AdminError::NotFound("fault rule"))?;
    tracing::info!(rule = rule.id, "fault rule removed");
    Ok(HttpResponse::Ok().json(super::list::view(&rule)))
}

/// Removes every rule.
pub async fn remove_all(_auth: Authorised, state: web::Data<AdminState>) -> HttpResponse {
    let removed = state.hooks.faults.clear();
    tracing::info!(removed, "fault rules removed");
    HttpResponse::Ok().json(json!({ "removed": removed }))
}
