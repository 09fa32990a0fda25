//! `POST /elev/{handle}/sparr`: register a block (spärr) against a care giver or a
//! care unit.

use actix_web::{HttpRequest, HttpResponse, web};
use npo_contracts::types::HsaId;
use serde::Deserialize;

use super::{AppState, Ctx, db, now};
use crate::error::{ConsumerError, redirect};
use crate::store::{self, Block};

/// The form.
#[derive(Debug, Deserialize)]
pub struct BlockForm {
    #[serde(default)]
    csrf: Option<String>,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    hsa_id: String,
}

/// Registers the block.
pub async fn register(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
    form: web::Form<BlockForm>,
) -> Result<HttpResponse, ConsumerError> {
    let handle = path.into_inner();
    let ctx = Ctx::from_request(&req, &state)?;
    ctx.check_csrf(&state, form.csrf.as_deref())?;
    let (staff, _) = ctx.carer(&state)?;
    let patient = ctx.pupil(&handle)?;
    super::require_relation(&state, &patient, &staff.hsa_id).await?;
    let kind = match form.kind.as_str() {
        "care_giver" | "care_unit" => form.kind.clone(),
        _ => {
            return Err(ConsumerError::BadInput(
                "Välj om spärren gäller en vårdgivare eller en vårdenhet.".to_owned(),
            ));
        }
    };
    let hsa_id = HsaId::parse(form.hsa_id.trim()).map_err(|_| {
        ConsumerError::BadInput(
            "Ange vårdgivarens eller vårdenhetens HSA-id (bokstäver, siffror och bindestreck)."
                .to_owned(),
        )
    })?;
    let row = Block {
        id: store::new_id(),
        patient_id: patient.as_str().to_owned(),
        kind,
        blocked_hsa_id: hsa_id.as_str().to_owned(),
        registered_by: staff.hsa_id.clone(),
        created_at: now(),
    };
    db(&state, move |conn| Ok(store::insert_block(conn, &row)?)).await?;
    Ok(redirect(&format!("/elev/{handle}")))
}
