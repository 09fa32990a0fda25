//! `POST /elev/{handle}/vardrelation`: register a care relation with the pupil.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use super::{AppState, Ctx, db, now};
use crate::error::{ConsumerError, redirect};
use crate::store::{self, CareRelation};

/// The form.
#[derive(Debug, Deserialize)]
pub struct RelationForm {
    #[serde(default)]
    csrf: Option<String>,
    #[serde(default)]
    reason: String,
}

/// Registers the relation.
pub async fn register(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
    form: web::Form<RelationForm>,
) -> Result<HttpResponse, ConsumerError> {
    let handle = path.into_inner();
    let ctx = Ctx::from_request(&req, &state)?;
    ctx.check_csrf(&state, form.csrf.as_deref())?;
    let (staff, commission) = ctx.carer(&state)?;
    let patient = ctx.pupil(&handle)?;
    let reason = form.reason.trim();
    if reason.is_empty() || reason.chars().count() > 500 {
        return Err(ConsumerError::BadInput(
            "Ange skälet till vårdrelationen (högst 500 tecken).".to_owned(),
        ));
    }
    let row = CareRelation {
        id: store::new_id(),
        patient_id: patient.as_str().to_owned(),
        user_hsa_id: staff.hsa_id.clone(),
        care_giver: commission.care_giver.clone(),
        care_unit: commission.care_unit.clone(),
        reason: reason.to_owned(),
        created_at: now(),
    };
    db(&state, move |conn| Ok(store::insert_relation(conn, &row)?)).await?;
    Ok(redirect(&format!("/elev/{handle}")))
}
