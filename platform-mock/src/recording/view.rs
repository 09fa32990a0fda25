//! `GET /admin/calls/view`: the recorded calls as an HTML page with a filter form (plain
//! GET form, no JavaScript). Browsers authenticate with HTTP Basic (any user name, the
//! admin token as password); the bearer token works too.

use actix_web::http::header::ContentType;
use actix_web::{HttpResponse, web};
use askama::Template;

use super::{CallFilter, CallRecord, DEFAULT_LIMIT};
use crate::admin::{AdminState, AuthorisedPage};
use crate::error::AdminError;
use crate::vp::VpCode;

/// One call as shown (every field text, escaped by the template).
struct Row {
    id: u64,
    time: String,
    correlation_id: String,
    sender: String,
    original_consumer: String,
    logical_address: String,
    contract: String,
    outcome: String,
    is_fault: bool,
    latency: String,
    fault_rule: String,
    complete: bool,
    request: String,
    request_note: String,
    response: String,
    response_note: String,
}

/// The form's current values.
#[derive(Default)]
struct Form {
    logical_address: String,
    contract: String,
    consumer: String,
    status: String,
    since: String,
    limit: String,
}

#[derive(Template)]
#[template(path = "calls.html")]
struct CallsPage<'a> {
    instance_id: &'a str,
    form: Form,
    error: Option<String>,
    rows: Vec<Row>,
    stored: usize,
    enabled: bool,
    masked: bool,
    vp_options: Vec<(&'static str, bool)>,
    none_selected: bool,
    default_limit: usize,
}

fn text(value: &Option<String>) -> String {
    value.clone().unwrap_or_default()
}

fn dash(value: &Option<String>) -> String {
    value.clone().unwrap_or_else(|| "–".into())
}

fn note(body: &super::RecordedBody) -> String {
    if body.truncated {
        format!("{} byte, visar de första {}", body.size, body.text.len())
    } else {
        format!("{} byte", body.size)
    }
}

fn row(call: &CallRecord, mask: bool) -> Row {
    let exported = call.export(mask);
    Row {
        id: call.id,
        time: call.time.format("%Y-%m-%d %H:%M:%S%.3f").to_string(),
        correlation_id: call.correlation_id.clone(),
        sender: dash(&call.sender),
        original_consumer: dash(&call.original_consumer),
        logical_address: dash(&call.logical_address),
        contract: dash(&call.contract),
        outcome: call
            .vp_code
            .clone()
            .unwrap_or_else(|| format!("HTTP {}", call.status)),
        is_fault: call.vp_code.is_some() || call.status >= 400,
        latency: format!("{:.1}", call.latency_ms),
        fault_rule: call.fault_rule.map(|id| id.to_string()).unwrap_or_default(),
        complete: call.complete,
        request_note: note(&exported.request),
        response_note: note(&exported.response),
        request: exported.request.text,
        response: exported.response.text,
    }
}

/// The handler.
pub async fn view(
    _auth: AuthorisedPage,
    state: web::Data<AdminState>,
    query: web::Query<CallFilter>,
) -> Result<HttpResponse, AdminError> {
    let given = query.into_inner();
    let recorder = &state.hooks.recorder;
    let (calls, error) = match given.clone().parse() {
        Ok(filter) => (recorder.select(&filter), None),
        Err(e) => (Vec::new(), Some(e)),
    };
    let vp = given.vp_code.clone().unwrap_or_default();
    let page = CallsPage {
        instance_id: &state.instance_id,
        form: Form {
            logical_address: text(&given.logical_address),
            contract: text(&given.contract),
            consumer: text(&given.consumer),
            status: text(&given.status),
            since: text(&given.since),
            limit: text(&given.limit),
        },
        error,
        rows: calls.iter().map(|c| row(c, recorder.masks())).collect(),
        stored: recorder.usage().0,
        enabled: recorder.enabled(),
        masked: recorder.config().mask_personal_ids,
        vp_options: VpCode::ALL
            .iter()
            .map(|c| (c.as_str(), c.as_str().eq_ignore_ascii_case(&vp)))
            .collect(),
        none_selected: vp.eq_ignore_ascii_case("none"),
        default_limit: DEFAULT_LIMIT,
    };
    let html = page
        .render()
        .map_err(|e| AdminError::Internal(format!("rendering the calls page: {e}")))?;
    Ok(HttpResponse::Ok()
        .insert_header(ContentType::html())
        .insert_header(("cache-control", "no-store"))
        .insert_header((
            "content-security-policy",
            "default-src 'none'; style-src 'unsafe-inline'",
        ))
        .body(html))
}
