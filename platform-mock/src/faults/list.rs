//! `GET /admin/faults`: every rule in force.

use actix_web::{HttpResponse, web};
use serde_json::{Value, json};

use super::FaultRule;
use crate::admin::{AdminState, Authorised};

/// A rule as the admin API shows it.
pub fn view(rule: &FaultRule) -> Value {
    let mut value = serde_json::to_value(&rule.spec).unwrap_or(Value::Null);
    if let Value::Object(map) = &mut value {
        map.insert("id".into(), json!(rule.id));
        map.insert("remaining".into(), json!(rule.remaining()));
        map.insert("expired".into(), json!(rule.remaining() == Some(0)));
        map.insert("applied".into(), json!(rule.applied()));
    }
    value
}

/// The handler.
pub async fn list(_auth: Authorised, state: web::Data<AdminState>) -> HttpResponse {
    let rules: Vec<Value> = state.hooks.faults.list().iter().map(|r| view(r)).collect();
    HttpResponse::Ok().json(rules)
}
