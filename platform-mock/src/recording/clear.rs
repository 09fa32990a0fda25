//! `DELETE /admin/calls`: empties the store.

use actix_web::{HttpResponse, web};
use serde_json::json;

use crate::admin::{AdminState, Authorised};

/// The handler.
pub async fn clear(_auth: Authorised, state: web::Data<AdminState>) -> HttpResponse {
    let dropped = state.hooks.recorder.clear();
    HttpResponse::Ok().json(json!({ "dropped": dropped }))
}
