//! `GET /elev/{handle}`: the pupil's PDL status (care relation, consents, emergency
//! access, blocks) with the forms to register them, and the journal pages.
//!
//! Consents and blocks are personal data about the pupil (who gave consent, guardians'
//! names, where information is blocked): the page writes its access-log row first
//! (page `behorighet`, types `samtycken,sparrar`) and shows nothing if it cannot.

use actix_web::{HttpRequest, HttpResponse, web};

use super::pages::{BlockRow, ConsentRow, PupilNav, PupilPage, block_text};
use super::{AppState, Ctx, append_access_log, db, local_time, now, render, today};
use crate::error::ConsumerError;
use crate::pdl::Access;
use crate::store::{self, LogEntry};

/// The status page's name in the access log.
pub const LOG_PAGE: &str = "behorighet";
/// What the status page shows, for the access log.
pub const LOG_INFO_TYPES: &str = "samtycken,sparrar";

/// The status page.
pub async fn status(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ConsumerError> {
    let handle = path.into_inner();
    let ctx = Ctx::from_request(&req, &state)?;
    let (staff, commission) = ctx.carer(&state)?;
    let patient = ctx.pupil(&handle)?;
    let id = patient.as_str().to_owned();
    let pupil_state = db(&state, move |conn| Ok(store::pupil_state(conn, &id)?)).await?;
    let now = now();
    let access = Access::decide(&pupil_state, &staff.hsa_id, commission, now);
    // Consents and blocks are registered in this app, under the user's care giver.
    let entry = LogEntry {
        id: store::new_log_id(),
        created_at: now,
        correlation_id: uuid::Uuid::new_v4().to_string(),
        user_hsa_id: staff.hsa_id.clone(),
        user_name: staff.name.clone(),
        role: staff.role.as_str().to_owned(),
        care_giver: commission.care_giver.clone(),
        care_unit: commission.care_unit.clone(),
        purpose: commission.purpose.as_str().to_owned(),
        patient_id: patient.as_str().to_owned(),
        page: LOG_PAGE.to_owned(),
        care_givers_shown: commission.care_giver.clone(),
        info_types: LOG_INFO_TYPES.to_owned(),
        time_window: String::new(),
        emergency: access.emergency,
    };
    append_access_log(&state, entry).await?;
    let my_relation = pupil_state
        .relations
        .iter()
        .find(|r| r.user_hsa_id.eq_ignore_ascii_case(&staff.hsa_id))
        .map(|r| format!("{} (registrerad {})", r.reason, local_time(r.created_at)));
    let emergency_until = pupil_state
        .emergencies
        .iter()
        .filter(|e| e.user_hsa_id.eq_ignore_ascii_case(&staff.hsa_id) && e.expires_at > now)
        .map(|e| e.expires_at)
        .max()
        .map(local_time);
    let consents = pupil_state
        .consents
        .iter()
        .map(|c| ConsentRow {
            id: c.id.clone(),
            given_by: match (&c.given_by[..], &c.guardian_name) {
                ("guardian", Some(name)) => format!("Vårdnadshavare {name}"),
                _ => "Eleven".to_owned(),
            },
            scope: if c.scope == "user" {
                format!("Användare {}", c.scope_hsa_id)
            } else {
                format!("Vårdenhet {}", state.config.unit_name(&c.scope_hsa_id))
            },
            valid: format!(
                "{} – {}",
                local_time(c.valid_from),
                c.valid_to
                    .map(local_time)
                    .unwrap_or_else(|| "tills vidare".to_owned())
            ),
            status: if let Some(at) = c.withdrawn_at {
                format!("Återkallat {}", local_time(at))
            } else if c.is_valid(now) {
                if c.covers(&staff.hsa_id, &commission.care_unit, now) {
                    "Gäller (för dig)".to_owned()
                } else {
                    "Gäller (annan omfattning)".to_owned()
                }
            } else if c.valid_from > now {
                "Ännu inte giltigt".to_owned()
            } else {
                "Har gått ut".to_owned()
            },
            can_withdraw: c.withdrawn_at.is_none(),
            csrf: ctx.token(&state),
        })
        .collect();
    let blocks = pupil_state
        .blocks
        .iter()
        .map(|b| BlockRow {
            text: block_text(&state.config, &b.kind, &b.blocked_hsa_id),
            created: local_time(b.created_at),
        })
        .collect();
    render(&PupilPage {
        chrome: ctx.chrome(&state),
        nav: PupilNav::new(&state.config, &handle, &patient, ""),
        has_relation: access.relation,
        my_relation,
        consent_active: access.consent,
        emergency_until,
        consents,
        blocks,
        today: today().to_string(),
        emergency_minutes: state.config.emergency.duration_minutes,
        csrf_relation: ctx.token(&state),
        csrf_consent: ctx.token(&state),
        csrf_emergency: ctx.token(&state),
        csrf_block: ctx.token(&state),
    })
}
