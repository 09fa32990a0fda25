//! The app's error type and its mapping to HTTP: readable Swedish pages, 5xx bodies
//! generic (causes go to the log only, never personal data).

use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{HttpResponse, ResponseError};
use askama::Template;

use crate::web::pages::ErrorPage;

/// Everything a request can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ConsumerError {
    /// No session or not logged in.
    #[error("not logged in")]
    NotLoggedIn,
    /// The session timed out.
    #[error("session expired")]
    SessionExpired,
    /// No commission chosen yet.
    #[error("no commission chosen")]
    NoCommission,
    /// The user's role or commission does not allow this.
    #[error("forbidden: {0}")]
    Forbidden(&'static str),
    /// The CSRF token was missing, used before or from another session.
    #[error("CSRF token rejected")]
    Csrf,
    /// The pupil handle is not in this session.
    #[error("unknown pupil handle")]
    UnknownPupil,
    /// No such page.
    #[error("not found")]
    NotFound,
    /// Input the user can correct (Swedish message).
    #[error("bad input: {0}")]
    BadInput(String),
    /// The access log could not be written: no patient data is shown.
    #[error("access log write failed: {0}")]
    AccessLog(String),
    /// The database failed.
    #[error("database error: {0}")]
    Database(String),
    /// Anything else.
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<diesel::result::Error> for ConsumerError {
    fn from(e: diesel::result::Error) -> Self {
        ConsumerError::Database(e.to_string())
    }
}

impl From<askama::Error> for ConsumerError {
    fn from(e: askama::Error) -> Self {
        ConsumerError::Internal(format!("template: {e}"))
    }
}

impl ConsumerError {
    fn page(&self) -> (&'static str, String) {
        match self {
            ConsumerError::NotLoggedIn | ConsumerError::SessionExpired => {
                ("Inloggning krävs", "Logga in för att fortsätta.".to_owned())
            }
            ConsumerError::NoCommission => (
                "Välj uppdrag",
                "Välj det medarbetaruppdrag du arbetar under.".to_owned(),
            ),
            ConsumerError::Forbidden(why) => ("Åtkomst nekad", (*why).to_owned()),
            ConsumerError::Csrf => (
                "Formuläret kunde inte tas emot",
                "Formulärets säkerhetskod saknas, har redan använts eller hör till en annan \
                 inloggning. Gå tillbaka, ladda om sidan och försök igen."
                    .to_owned(),
            ),
            ConsumerError::UnknownPupil => (
                "Eleven är inte vald",
                "Eleven finns inte bland de elever du sökt fram under denna inloggning. \
                 Sök fram eleven igen."
                    .to_owned(),
            ),
            ConsumerError::NotFound => ("Sidan finns inte", "Sidan finns inte.".to_owned()),
            ConsumerError::BadInput(message) => ("Felaktiga uppgifter", message.clone()),
            ConsumerError::AccessLog(_) => (
                "Åtkomsten kunde inte loggas",
                "Åtkomstloggen kunde inte skrivas. Av säkerhetsskäl visas ingen \
                 patientinformation. Försök igen om en stund eller kontakta support."
                    .to_owned(),
            ),
            ConsumerError::Database(_) => (
                "Tjänsten är inte tillgänglig",
                "Databasen svarar inte just nu. Försök igen om en stund.".to_owned(),
            ),
            ConsumerError::Internal(_) => (
                "Ett fel inträffade",
                "Ett oväntat fel inträffade. Försök igen eller kontakta support.".to_owned(),
            ),
        }
    }
}

impl ResponseError for ConsumerError {
    fn status_code(&self) -> StatusCode {
        match self {
            ConsumerError::NotLoggedIn
            | ConsumerError::SessionExpired
            | ConsumerError::NoCommission => StatusCode::SEE_OTHER,
            ConsumerError::Forbidden(_) | ConsumerError::Csrf => StatusCode::FORBIDDEN,
            ConsumerError::UnknownPupil | ConsumerError::NotFound => StatusCode::NOT_FOUND,
            ConsumerError::BadInput(_) => StatusCode::BAD_REQUEST,
            ConsumerError::AccessLog(_) | ConsumerError::Database(_) => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            ConsumerError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            ConsumerError::NotLoggedIn => return redirect("/login"),
            ConsumerError::SessionExpired => return redirect("/login?utloggad=inaktivitet"),
            ConsumerError::NoCommission => return redirect("/uppdrag"),
            ConsumerError::AccessLog(cause)
            | ConsumerError::Database(cause)
            | ConsumerError::Internal(cause) => {
                tracing::error!(error = %self, cause = %cause, "request failed");
            }
            _ => tracing::info!(error = %self, "request refused"),
        }
        let (title, message) = self.page();
        let page = ErrorPage {
            chrome: None,
            title,
            message,
        };
        let body = page.render().unwrap_or_else(|_| title.to_owned());
        HttpResponse::build(self.status_code())
            .insert_header((header::CONTENT_TYPE, "text/html; charset=utf-8"))
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .body(body)
    }
}

/// A 303 redirect.
pub fn redirect(to: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, to))
        .finish()
}
