//! `POST /logout`.

use actix_web::cookie::time::Duration;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use super::{AppState, Ctx, session_cookie};
use crate::error::{ConsumerError, redirect};

/// The logout form.
#[derive(Debug, Deserialize)]
pub struct LogoutForm {
    #[serde(default)]
    csrf: Option<String>,
}

/// Ends the session.
pub async fn logout(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<LogoutForm>,
) -> Result<HttpResponse, ConsumerError> {
    let ctx = Ctx::any_session(&req, &state)?;
    ctx.check_csrf(&state, form.csrf.as_deref())?;
    state.sessions.remove(&ctx.sid);
    let mut cookie = session_cookie(&state, "");
    cookie.set_max_age(Duration::ZERO);
    let mut response = redirect("/login?utloggad=ja");
    response
        .add_cookie(&cookie)
        .map_err(|e| ConsumerError::Internal(e.to_string()))?;
    Ok(response)
}
