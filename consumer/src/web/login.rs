//! `GET /login`, `POST /login` (directory password) and `POST /login/certifikat`
//! (SITHS-style client certificate: HSA-ID from the certificate `serialNumber`).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use argon2::{Argon2, PasswordHash, PasswordVerifier};
use serde::Deserialize;

use super::pages::LoginPage;
use super::{AppState, Ctx, render, session_cookie};
use crate::config::StaffConfig;
use crate::error::{ConsumerError, redirect};
use crate::session::Lookup;

/// Query of the login page.
#[derive(Debug, Deserialize)]
pub struct LoginQuery {
    /// `inaktivitet` after an idle timeout, `ja` after logout.
    #[serde(default)]
    utloggad: Option<String>,
}

fn page(state: &AppState, sid: &str, notice: Option<String>, error: Option<String>) -> LoginPage {
    LoginPage {
        chrome: None,
        csrf: state.sessions.issue_token(sid),
        password_enabled: state.config.login.password,
        certificate_enabled: state.config.login.certificate,
        notice,
        error,
    }
}

/// The login page; starts an anonymous session for the form's CSRF token.
pub async fn form(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<LoginQuery>,
) -> Result<HttpResponse, ConsumerError> {
    let existing = req
        .cookie(crate::session::COOKIE)
        .map(|c| c.value().to_owned());
    let sid = match existing
        .as_deref()
        .map(|sid| (sid, state.sessions.touch(sid)))
    {
        Some((_, Lookup::Live(session))) if session.user.is_some() => return Ok(redirect("/")),
        Some((sid, Lookup::Live(_))) => sid.to_owned(),
        _ => state.sessions.create(),
    };
    let notice = match query.utloggad.as_deref() {
        Some("inaktivitet") => {
            Some("Du har loggats ut eftersom du varit inaktiv för länge. Logga in igen.".to_owned())
        }
        Some(_) => Some("Du är utloggad.".to_owned()),
        None => None,
    };
    let mut response = render(&page(&state, &sid, notice, None))?;
    response
        .add_cookie(&session_cookie(&state, &sid))
        .map_err(|e| ConsumerError::Internal(e.to_string()))?;
    Ok(response)
}

/// The password form.
#[derive(Debug, Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    csrf: Option<String>,
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
}

/// A fixed hash verified for unknown users, so timing does not tell who exists.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$Xj8AXpCUVCA3q636yHygLw$Virnhm4/ZbqCpM8FLF8NxwwJz0WeJ6hEIHOEfg4ExYQ";

fn verify(hash: &str, password: &str) -> bool {
    PasswordHash::new(hash)
        .map(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

/// Logs in with username and password.
pub async fn password(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<PasswordForm>,
) -> Result<HttpResponse, ConsumerError> {
    let ctx = Ctx::any_session(&req, &state)?;
    ctx.check_csrf(&state, form.csrf.as_deref())?;
    if !state.config.login.password {
        return Err(ConsumerError::Forbidden(
            "Inloggning med lösenord är avstängd. Logga in med certifikat.",
        ));
    }
    let person = state
        .config
        .staff_by_username(form.username.trim())
        .cloned();
    let hash = person
        .as_ref()
        .and_then(|p| p.password_hash.clone())
        .unwrap_or_else(|| DUMMY_HASH.to_owned());
    let password = form.password.clone();
    let ok = web::block(move || verify(&hash, &password))
        .await
        .map_err(|e| ConsumerError::Internal(e.to_string()))?;
    match person.filter(|p| ok && p.password_hash.is_some()) {
        Some(person) => Ok(logged_in(&state, &ctx.sid, &person)?),
        None => {
            tracing::info!("password login refused");
            let mut response = render(&page(
                &state,
                &ctx.sid,
                None,
                Some("Fel användarnamn eller lösenord.".to_owned()),
            ))?;
            *response.status_mut() = StatusCode::UNAUTHORIZED;
            Ok(response)
        }
    }
}

/// The certificate form (only the token).
#[derive(Debug, Deserialize)]
pub struct CertificateForm {
    #[serde(default)]
    csrf: Option<String>,
}

/// Logs in with the browser's client certificate.
pub async fn certificate(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<CertificateForm>,
) -> Result<HttpResponse, ConsumerError> {
    let ctx = Ctx::any_session(&req, &state)?;
    ctx.check_csrf(&state, form.csrf.as_deref())?;
    if !state.config.login.certificate {
        return Err(ConsumerError::Forbidden(
            "Inloggning med certifikat är inte aktiverad.",
        ));
    }
    let hsa_id = npo_pki::peer_identity(&req).and_then(|p| p.hsa_id.clone());
    let Some(hsa_id) = hsa_id else {
        let mut response = render(&page(
            &state,
            &ctx.sid,
            None,
            Some(
                "Inget giltigt certifikat med HSA-id skickades. Sätt i ditt kort och försök igen."
                    .to_owned(),
            ),
        ))?;
        *response.status_mut() = StatusCode::UNAUTHORIZED;
        return Ok(response);
    };
    match state.config.staff_by_hsa_id(&hsa_id).cloned() {
        Some(person) => logged_in(&state, &ctx.sid, &person),
        None => {
            tracing::info!("certificate login refused: HSA-ID not in the directory");
            let mut response = render(&page(
                &state,
                &ctx.sid,
                None,
                Some("Certifikatets HSA-id finns inte i personalkatalogen.".to_owned()),
            ))?;
            *response.status_mut() = StatusCode::UNAUTHORIZED;
            Ok(response)
        }
    }
}

fn logged_in(
    state: &AppState,
    old_sid: &str,
    person: &StaffConfig,
) -> Result<HttpResponse, ConsumerError> {
    let single = (person.commissions.len() == 1).then_some(0);
    let sid = state.sessions.login(old_sid, &person.hsa_id, single);
    tracing::info!(user = %person.hsa_id, "logged in");
    let mut response = redirect(if single.is_some() { "/" } else { "/uppdrag" });
    response
        .add_cookie(&session_cookie(state, &sid))
        .map_err(|e| ConsumerError::Internal(e.to_string()))?;
    Ok(response)
}
