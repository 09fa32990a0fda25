//! `POST /elev/{handle}/samtycke` (register a consent, given by the pupil or a
//! guardian) and `POST /elev/{handle}/samtycke/aterkalla` (withdraw one; history kept).

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::NaiveDate;
use npo_contracts::types::TimeStamp;
use serde::Deserialize;

use super::{AppState, Ctx, db, now, today};
use crate::error::{ConsumerError, redirect};
use crate::store::{self, Consent};

/// The consent form.
#[derive(Debug, Deserialize)]
pub struct ConsentForm {
    #[serde(default)]
    csrf: Option<String>,
    /// `pupil` or `guardian`.
    #[serde(default)]
    given_by: String,
    #[serde(default)]
    guardian_name: String,
    /// `care_unit` or `user`.
    #[serde(default)]
    scope: String,
    /// `YYYY-MM-DD` (empty: today).
    #[serde(default)]
    valid_from: String,
    /// `YYYY-MM-DD` (empty: until withdrawn).
    #[serde(default)]
    valid_to: String,
}

fn bad(message: &str) -> ConsumerError {
    ConsumerError::BadInput(message.to_owned())
}

/// Parses a `YYYY-MM-DD` form date.
pub fn form_date(text: &str) -> Result<Option<NaiveDate>, ConsumerError> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map(Some)
        .map_err(|_| bad("Skriv datum som ÅÅÅÅ-MM-DD."))
}

/// Unix seconds of a Swedish local date at `h:m:s`.
pub fn local_seconds(date: NaiveDate, h: u32, m: u32, s: u32) -> Option<i64> {
    let local = date.and_hms_opt(h, m, s)?;
    TimeStamp::new(local).map(|t| t.to_utc().timestamp())
}

/// Registers a consent.
pub async fn register(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
    form: web::Form<ConsentForm>,
) -> Result<HttpResponse, ConsumerError> {
    let handle = path.into_inner();
    let ctx = Ctx::from_request(&req, &state)?;
    ctx.check_csrf(&state, form.csrf.as_deref())?;
    let (staff, commission) = ctx.carer(&state)?;
    let patient = ctx.pupil(&handle)?;
    super::require_relation(&state, &patient, &staff.hsa_id).await?;
    let guardian_name = match form.given_by.as_str() {
        "pupil" => None,
        "guardian" => {
            let name = form.guardian_name.trim();
            if name.is_empty() || name.chars().count() > 200 {
                return Err(bad("Ange namnet på vårdnadshavaren som lämnade samtycket."));
            }
            Some(name.to_owned())
        }
        _ => {
            return Err(bad(
                "Ange vem som lämnade samtycket: eleven eller en vårdnadshavare.",
            ));
        }
    };
    let scope_hsa_id = match form.scope.as_str() {
        "care_unit" => commission.care_unit.clone(),
        "user" => staff.hsa_id.clone(),
        _ => return Err(bad("Ange om samtycket gäller vårdenheten eller bara dig.")),
    };
    let from = form_date(&form.valid_from)?.unwrap_or_else(today);
    let to = form_date(&form.valid_to)?;
    if to.is_some_and(|to| to < from) {
        return Err(bad("Slutdatumet ligger före startdatumet."));
    }
    let valid_from = local_seconds(from, 0, 0, 0).ok_or_else(|| bad("Ogiltigt startdatum."))?;
    let valid_to = match to {
        Some(to) => Some(local_seconds(to, 23, 59, 59).ok_or_else(|| bad("Ogiltigt slutdatum."))?),
        None => None,
    };
    let row = Consent {
        id: store::new_id(),
        patient_id: patient.as_str().to_owned(),
        given_by: form.given_by.clone(),
        guardian_name,
        scope: form.scope.clone(),
        scope_hsa_id,
        care_giver: commission.care_giver.clone(),
        registered_by: staff.hsa_id.clone(),
        valid_from,
        valid_to,
        withdrawn_at: None,
        withdrawn_by: None,
        created_at: now(),
    };
    db(&state, move |conn| Ok(store::insert_consent(conn, &row)?)).await?;
    Ok(redirect(&format!("/elev/{handle}")))
}

/// The withdraw form.
#[derive(Debug, Deserialize)]
pub struct WithdrawForm {
    #[serde(default)]
    csrf: Option<String>,
    #[serde(default)]
    id: String,
}

/// Withdraws a consent.
pub async fn withdraw(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
    form: web::Form<WithdrawForm>,
) -> Result<HttpResponse, ConsumerError> {
    let handle = path.into_inner();
    let ctx = Ctx::from_request(&req, &state)?;
    ctx.check_csrf(&state, form.csrf.as_deref())?;
    let (staff, _) = ctx.carer(&state)?;
    let patient = ctx.pupil(&handle)?;
    let (id, by, patient_id) = (
        form.id.clone(),
        staff.hsa_id.clone(),
        patient.as_str().to_owned(),
    );
    let done = db(&state, move |conn| {
        Ok(store::withdraw_consent(conn, &patient_id, &id, &by, now())?)
    })
    .await?;
    if !done {
        return Err(bad("Samtycket finns inte eller är redan återkallat."));
    }
    Ok(redirect(&format!("/elev/{handle}")))
}
