//! The browser side: routes, the shared request context (session, user, commission,
//! CSRF) and rendering.

pub mod access_log;
pub mod assets;
pub mod block;
pub mod commission;
pub mod consent;
pub mod emergency;
pub mod journal;
pub mod login;
pub mod logout;
pub mod pages;
pub mod pupil;
pub mod relation;
pub mod search;

use std::sync::Arc;

use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use npo_contracts::types::PatientId;

use crate::config::{CommissionConfig, ConsumerConfig, Purpose, StaffConfig};
use crate::db::{DbConn, DbPool};
use crate::error::ConsumerError;
use crate::session::{COOKIE, Lookup, Session, Sessions};
use pages::Chrome;

/// Shared state of every worker.
#[derive(Debug, Clone)]
pub struct AppState {
    /// The validated configuration.
    pub config: Arc<ConsumerConfig>,
    /// Database pool.
    pub pool: DbPool,
    /// Sessions.
    pub sessions: Arc<Sessions>,
    /// Cookies get `Secure` (HTTPS towards the browser).
    pub secure_cookies: bool,
    /// The BVC programme (vaccinations, basprogram, growth), loaded at start.
    pub bvc: Arc<crate::bvc::BvcProgramme>,
}

/// Mounts every route.
pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(home))
        .route("/static/style.css", web::get().to(assets::style))
        .route("/static/bvc.css", web::get().to(assets::bvc_style))
        .route("/login", web::get().to(login::form))
        .route("/login", web::post().to(login::password))
        .route("/login/certifikat", web::post().to(login::certificate))
        .route("/logout", web::post().to(logout::logout))
        .route("/uppdrag", web::get().to(commission::form))
        .route("/uppdrag", web::post().to(commission::choose))
        .route("/elev", web::get().to(search::form))
        .route("/elev", web::post().to(search::search))
        .route("/elev/{handle}", web::get().to(pupil::status))
        .route(
            "/elev/{handle}/vardrelation",
            web::post().to(relation::register),
        )
        .route("/elev/{handle}/samtycke", web::post().to(consent::register))
        .route(
            "/elev/{handle}/samtycke/aterkalla",
            web::post().to(consent::withdraw),
        )
        .route(
            "/elev/{handle}/nodatkomst",
            web::post().to(emergency::register),
        )
        .route("/elev/{handle}/sparr", web::post().to(block::register))
        .route("/elev/{handle}/vy/{slug}", web::get().to(journal::view))
        .route("/elev/{handle}/{page}", web::get().to(journal::page))
        .route("/logg", web::get().to(access_log::form))
        .route("/logg", web::post().to(access_log::search))
        .route("/logg/csv", web::post().to(access_log::csv));
}

async fn home(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ConsumerError> {
    let ctx = Ctx::from_request(&req, &state)?;
    let staff = ctx.staff(&state)?;
    if staff.role.is_care() {
        Ok(crate::error::redirect("/elev"))
    } else {
        Ok(crate::error::redirect("/logg"))
    }
}

/// The session of a request.
#[derive(Debug, Clone)]
pub struct Ctx {
    /// Session id.
    pub sid: String,
    /// A copy of the session.
    pub session: Session,
}

impl Ctx {
    /// The session, or an anonymous-session-free error (not logged in / expired).
    pub fn any_session(req: &HttpRequest, state: &AppState) -> Result<Ctx, ConsumerError> {
        let sid = req
            .cookie(COOKIE)
            .map(|c| c.value().to_owned())
            .ok_or(ConsumerError::NotLoggedIn)?;
        match state.sessions.touch(&sid) {
            Lookup::Live(session) => Ok(Ctx { sid, session }),
            Lookup::Expired => Err(ConsumerError::SessionExpired),
            Lookup::Missing => Err(ConsumerError::NotLoggedIn),
        }
    }

    /// A logged-in session.
    pub fn from_request(req: &HttpRequest, state: &AppState) -> Result<Ctx, ConsumerError> {
        let ctx = Self::any_session(req, state)?;
        if ctx.session.user.is_none() {
            return Err(ConsumerError::NotLoggedIn);
        }
        Ok(ctx)
    }

    /// The logged-in person.
    pub fn staff<'a>(&self, state: &'a AppState) -> Result<&'a StaffConfig, ConsumerError> {
        let hsa_id = self
            .session
            .user
            .as_deref()
            .ok_or(ConsumerError::NotLoggedIn)?;
        state
            .config
            .staff_by_hsa_id(hsa_id)
            .ok_or(ConsumerError::NotLoggedIn)
    }

    /// The chosen commission.
    pub fn commission<'a>(
        &self,
        state: &'a AppState,
    ) -> Result<(&'a StaffConfig, &'a CommissionConfig), ConsumerError> {
        let staff = self.staff(state)?;
        let index = self.session.commission.ok_or(ConsumerError::NoCommission)?;
        let commission = staff
            .commissions
            .get(index)
            .ok_or(ConsumerError::NoCommission)?;
        Ok((staff, commission))
    }

    /// A care professional acting under a care-and-treatment commission.
    pub fn carer<'a>(
        &self,
        state: &'a AppState,
    ) -> Result<(&'a StaffConfig, &'a CommissionConfig), ConsumerError> {
        let (staff, commission) = self.commission(state)?;
        if !staff.role.is_care() {
            return Err(ConsumerError::Forbidden(
                "Din roll ger inte åtkomst till patientuppgifter.",
            ));
        }
        if commission.purpose != Purpose::VardOchBehandling {
            return Err(ConsumerError::Forbidden(
                "Uppdraget du valt har inte syftet vård och behandling. Byt uppdrag för att \
                 se patientuppgifter.",
            ));
        }
        Ok((staff, commission))
    }

    /// The pupil behind a URL handle.
    pub fn pupil(&self, handle: &str) -> Result<PatientId, ConsumerError> {
        Sessions::pupil(&self.session, handle).ok_or(ConsumerError::UnknownPupil)
    }

    /// Uses up a form's CSRF token.
    pub fn check_csrf(&self, state: &AppState, token: Option<&str>) -> Result<(), ConsumerError> {
        match token {
            Some(token) if state.sessions.consume_token(&self.sid, token) => Ok(()),
            _ => Err(ConsumerError::Csrf),
        }
    }

    /// The page chrome (user, commission, logout form with a fresh token).
    pub fn chrome(&self, state: &AppState) -> Option<Chrome> {
        let staff = self.staff(state).ok()?;
        let commission = self
            .session
            .commission
            .and_then(|i| staff.commissions.get(i))
            .map(|c| pages::commission_text(&state.config, c));
        Some(Chrome {
            user_name: staff.name.clone(),
            role: staff.role.label(),
            commission,
            logout_csrf: state.sessions.issue_token(&self.sid),
            log_follow_up: !staff.role.is_care(),
        })
    }

    /// A fresh CSRF token for a form.
    pub fn token(&self, state: &AppState) -> String {
        state.sessions.issue_token(&self.sid)
    }
}

/// The session cookie.
pub fn session_cookie(state: &AppState, sid: &str) -> Cookie<'static> {
    Cookie::build(COOKIE, sid.to_owned())
        .path("/")
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(state.secure_cookies)
        .finish()
}

/// Refuses registrations (consent, emergency access, blocks) without a care relation.
pub async fn require_relation(
    state: &AppState,
    patient: &PatientId,
    user: &str,
) -> Result<(), ConsumerError> {
    let (patient, user) = (patient.as_str().to_owned(), user.to_owned());
    let has = db(state, move |conn| {
        Ok(crate::store::has_relation(conn, &patient, &user)?)
    })
    .await?;
    if has {
        Ok(())
    } else {
        Err(ConsumerError::Forbidden(
            "Registrera först en vårdrelation med eleven.",
        ))
    }
}

/// Runs a database function on the blocking pool.
pub async fn db<T, F>(state: &AppState, f: F) -> Result<T, ConsumerError>
where
    F: FnOnce(&mut DbConn) -> Result<T, ConsumerError> + Send + 'static,
    T: Send + 'static,
{
    let pool = state.pool.clone();
    web::block(move || {
        let mut conn = pool
            .get()
            .map_err(|e| ConsumerError::Database(e.to_string()))?;
        f(&mut conn)
    })
    .await
    .map_err(|e| ConsumerError::Internal(e.to_string()))?
}

/// Renders a page (never cached: it may carry patient data).
pub fn render<T: Template>(page: &T) -> Result<HttpResponse, ConsumerError> {
    let body = page.render()?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/html; charset=utf-8"))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(body))
}

/// Now, Unix seconds.
pub fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// Writes the access-log row of a page with patient data; any failure is an
/// [`ConsumerError::AccessLog`] (503, no patient data sent).
pub async fn append_access_log(
    state: &AppState,
    entry: crate::store::LogEntry,
) -> Result<(), ConsumerError> {
    db(state, move |conn| {
        crate::store::append_log(conn, &entry).map_err(|e| ConsumerError::AccessLog(e.to_string()))
    })
    .await
    .map_err(|e| match e {
        ConsumerError::AccessLog(cause) | ConsumerError::Database(cause) => {
            ConsumerError::AccessLog(cause)
        }
        other => ConsumerError::AccessLog(other.to_string()),
    })
}

/// Unix seconds as Swedish local `YYYY-MM-DD hh:mm`.
pub fn local_time(seconds: i64) -> String {
    chrono::DateTime::from_timestamp(seconds, 0)
        .map(|t| {
            npo_contracts::types::TimeStamp::from_utc(t)
                .map(|ts| ts.local().format("%Y-%m-%d %H:%M").to_string())
                .unwrap_or_else(|| t.format("%Y-%m-%d %H:%M UTC").to_string())
        })
        .unwrap_or_default()
}

/// Today in Sweden.
pub fn today() -> chrono::NaiveDate {
    npo_contracts::types::TimeStamp::from_utc(chrono::Utc::now())
        .map(|t| t.local().date())
        .unwrap_or_else(|| chrono::Utc::now().date_naive())
}
