//! The access-log follow-up for logguppföljare: `GET /logg` (form and latest rows),
//! `POST /logg` (filtered; the pupil is posted, never in a URL) and `POST /logg/csv`.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use npo_contracts::types::PatientId;
use serde::Deserialize;

use super::consent::{form_date, local_seconds};
use super::pages::{LogPage, LogRow};
use super::search::explain;
use super::{AppState, Ctx, db, local_time, render, today};
use crate::config::Role;
use crate::error::ConsumerError;
use crate::store::{self, LogEntry, LogFilter};

/// Rows shown on the page at most.
const PAGE_ROWS: i64 = 500;
/// Rows exported at most.
const CSV_ROWS: i64 = 100_000;

/// The filter form.
#[derive(Debug, Default, Deserialize)]
pub struct LogForm {
    #[serde(default)]
    csrf: Option<String>,
    #[serde(default)]
    user: String,
    #[serde(default)]
    pupil: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    emergency: Option<String>,
}

fn follower(ctx: &Ctx, state: &AppState) -> Result<(), ConsumerError> {
    let staff = ctx.staff(state)?;
    if staff.role != Role::Logguppfoljare {
        return Err(ConsumerError::Forbidden(
            "Loggen kan bara följas upp av den som har rollen logguppföljare.",
        ));
    }
    Ok(())
}

fn filter_of(form: &LogForm) -> Result<LogFilter, ConsumerError> {
    let patient_id = match form.pupil.trim() {
        "" => None,
        text => Some(
            PatientId::parse_at(text, today())
                .map_err(|e| ConsumerError::BadInput(explain(e).to_owned()))?
                .as_str()
                .to_owned(),
        ),
    };
    let from = form_date(&form.from)?.and_then(|d| local_seconds(d, 0, 0, 0));
    let until = form_date(&form.to)?
        .and_then(|d| d.succ_opt())
        .and_then(|d| local_seconds(d, 0, 0, 0));
    Ok(LogFilter {
        user_hsa_id: Some(form.user.trim().to_owned()).filter(|u| !u.is_empty()),
        patient_id,
        from,
        until,
        emergency_only: form.emergency.is_some(),
    })
}

fn rows(state: &AppState, entries: &[LogEntry]) -> Vec<LogRow> {
    entries
        .iter()
        .map(|e| LogRow {
            time: local_time(e.created_at),
            user: format!("{} ({})", e.user_name, e.user_hsa_id),
            commission: format!(
                "{} / {}",
                state.config.unit_name(&e.care_giver),
                state.config.unit_name(&e.care_unit)
            ),
            pupil: PatientId::parse_canonical(&e.patient_id)
                .map(|p| p.display_form())
                .unwrap_or_else(|_| e.patient_id.clone()),
            page: e.page.clone(),
            care_givers: e.care_givers_shown.clone(),
            types: e.info_types.clone(),
            window: e.time_window.clone(),
            emergency: e.emergency,
            correlation_id: e.correlation_id.clone(),
        })
        .collect()
}

async fn page(
    ctx: &Ctx,
    state: &AppState,
    form: LogForm,
    filter: LogFilter,
) -> Result<HttpResponse, ConsumerError> {
    let entries = db(state, move |conn| {
        Ok(store::search_log(conn, &filter, PAGE_ROWS)?)
    })
    .await?;
    render(&LogPage {
        chrome: ctx.chrome(state),
        csrf: ctx.token(state),
        csrf_csv: ctx.token(state),
        user: form.user,
        pupil: form.pupil,
        from: form.from,
        to: form.to,
        emergency: form.emergency.is_some(),
        rows: rows(state, &entries),
        limit: PAGE_ROWS,
    })
}

/// The follow-up page with the latest rows.
pub async fn form(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ConsumerError> {
    let ctx = Ctx::from_request(&req, &state)?;
    follower(&ctx, &state)?;
    page(&ctx, &state, LogForm::default(), LogFilter::default()).await
}

/// Filtered rows.
pub async fn search(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<LogForm>,
) -> Result<HttpResponse, ConsumerError> {
    let ctx = Ctx::from_request(&req, &state)?;
    ctx.check_csrf(&state, form.csrf.as_deref())?;
    follower(&ctx, &state)?;
    let form = form.into_inner();
    let filter = filter_of(&form)?;
    page(&ctx, &state, form, filter).await
}

fn csv_field(value: &str) -> String {
    // Quote always; neutralise spreadsheet formulas.
    let value = if value.starts_with(['=', '+', '-', '@']) {
        format!("'{value}")
    } else {
        value.to_owned()
    };
    format!("\"{}\"", value.replace('"', "\"\""))
}

/// CSV export of the filtered rows.
pub async fn csv(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<LogForm>,
) -> Result<HttpResponse, ConsumerError> {
    let ctx = Ctx::from_request(&req, &state)?;
    ctx.check_csrf(&state, form.csrf.as_deref())?;
    follower(&ctx, &state)?;
    let filter = filter_of(&form)?;
    let entries = db(&state, move |conn| {
        Ok(store::search_log(conn, &filter, CSV_ROWS)?)
    })
    .await?;
    let mut out = String::from(
        "tid;anvandare_hsa_id;anvandare;roll;vardgivare;vardenhet;syfte;elev;sida;\
         visade_vardgivare;informationstyper;tidsfonster;nodatkomst;korrelations_id\r\n",
    );
    for e in &entries {
        let fields = [
            local_time(e.created_at),
            e.user_hsa_id.clone(),
            e.user_name.clone(),
            e.role.clone(),
            e.care_giver.clone(),
            e.care_unit.clone(),
            e.purpose.clone(),
            e.patient_id.clone(),
            e.page.clone(),
            e.care_givers_shown.clone(),
            e.info_types.clone(),
            e.time_window.clone(),
            if e.emergency { "ja" } else { "nej" }.to_owned(),
            e.correlation_id.clone(),
        ];
        out.push_str(
            &fields
                .iter()
                .map(|f| csv_field(f))
                .collect::<Vec<_>>()
                .join(";"),
        );
        out.push_str("\r\n");
    }
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/csv; charset=utf-8"))
        .insert_header((
            header::CONTENT_DISPOSITION,
            "attachment; filename=\"atkomstlogg.csv\"",
        ))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(out))
}
