//! `GET/POST /uppdrag`: pick the medarbetaruppdrag to act under.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use super::pages::{CommissionChoice, CommissionPage, commission_text};
use super::{AppState, Ctx, render};
use crate::error::{ConsumerError, redirect};

/// The picker.
pub async fn form(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ConsumerError> {
    let ctx = Ctx::from_request(&req, &state)?;
    let staff = ctx.staff(&state)?;
    let choices = staff
        .commissions
        .iter()
        .enumerate()
        .map(|(index, c)| CommissionChoice {
            index,
            text: commission_text(&state.config, c),
            chosen: ctx.session.commission == Some(index),
        })
        .collect();
    render(&CommissionPage {
        chrome: ctx.chrome(&state),
        csrf: ctx.token(&state),
        choices,
    })
}

/// The choice.
#[derive(Debug, Deserialize)]
pub struct ChoiceForm {
    #[serde(default)]
    csrf: Option<String>,
    #[serde(default)]
    uppdrag: Option<usize>,
}

/// Sets the commission.
pub async fn choose(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<ChoiceForm>,
) -> Result<HttpResponse, ConsumerError> {
    let ctx = Ctx::from_request(&req, &state)?;
    ctx.check_csrf(&state, form.csrf.as_deref())?;
    let staff = ctx.staff(&state)?;
    let index = form
        .uppdrag
        .filter(|i| *i < staff.commissions.len())
        .ok_or_else(|| ConsumerError::BadInput("Välj ett av dina uppdrag.".to_owned()))?;
    state.sessions.choose_commission(&ctx.sid, index);
    Ok(redirect("/"))
}
