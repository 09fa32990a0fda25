//! `POST /elev/{handle}/nodatkomst`: emergency access (nödåtkomst), reason required,
//! time-limited, flagged in the access log.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use super::{AppState, Ctx, db, now};
use crate::error::{ConsumerError, redirect};
use crate::store::{self, EmergencyAccess};

/// The form.
#[derive(Debug, Deserialize)]
pub struct EmergencyForm {
    #[serde(default)]
    csrf: Option<String>,
    #[serde(default)]
    reason: String,
}

/// Opens emergency access.
pub async fn register(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
    form: web::Form<EmergencyForm>,
) -> Result<HttpResponse, ConsumerError> {
    let handle = path.into_inner();
    let ctx = Ctx::from_request(&req, &state)?;
    ctx.check_csrf(&state, form.csrf.as_deref())?;
    let (staff, commission) = ctx.carer(&state)?;
    let patient = ctx.pupil(&handle)?;
    super::require_relation(&state, &patient, &staff.hsa_id).await?;
    let reason = form.reason.trim();
    if reason.is_empty() || reason.chars().count() > 500 {
        return Err(ConsumerError::BadInput(
            "Nödåtkomst kräver ett skäl (högst 500 tecken).".to_owned(),
        ));
    }
    let now = now();
    let row = EmergencyAccess {
        id: store::new_id(),
        patient_id: patient.as_str().to_owned(),
        user_hsa_id: staff.hsa_id.clone(),
        care_unit: commission.care_unit.clone(),
        reason: reason.to_owned(),
        created_at: now,
        expires_at: now + i64::from(state.config.emergency.duration_minutes) * 60,
    };
    tracing::warn!(user = %staff.hsa_id, "emergency access opened");
    db(&state, move |conn| Ok(store::insert_emergency(conn, &row)?)).await?;
    Ok(redirect(&format!("/elev/{handle}")))
}
