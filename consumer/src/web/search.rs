//! `GET/POST /elev`: find a pupil by personnummer or samordningsnummer. The number
//! is posted (never in a URL) and replaced by an opaque per-session handle.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use npo_contracts::types::{PatientId, PatientIdError};
use serde::Deserialize;

use super::pages::SearchPage;
use super::{AppState, Ctx, render, today};
use crate::error::{ConsumerError, redirect};

/// The search form.
pub async fn form(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ConsumerError> {
    let ctx = Ctx::from_request(&req, &state)?;
    ctx.carer(&state)?;
    render(&SearchPage {
        chrome: ctx.chrome(&state),
        csrf: ctx.token(&state),
        error: None,
        entered: String::new(),
    })
}

/// What was entered.
#[derive(Debug, Deserialize)]
pub struct SearchForm {
    #[serde(default)]
    csrf: Option<String>,
    #[serde(default)]
    personnummer: String,
}

/// A Swedish explanation of why a number is not accepted.
pub fn explain(error: PatientIdError) -> &'static str {
    match error {
        PatientIdError::Empty => "Skriv elevens personnummer eller samordningsnummer.",
        PatientIdError::Format => {
            "Numret har fel form. Skriv 12 siffror (ÅÅÅÅMMDDNNNN), gärna med bindestreck \
             före de fyra sista (ÅÅÅÅMMDD-NNNN), eller 10 siffror (ÅÅMMDD-NNNN)."
        }
        PatientIdError::Date => {
            "Datumdelen är inget riktigt datum. Kontrollera år, månad och dag (för \
             samordningsnummer är dagen födelsedagen plus 60)."
        }
        PatientIdError::Checksum => {
            "Kontrollsiffran (den sista siffran) stämmer inte. Kontrollera att numret är rätt \
             skrivet."
        }
        PatientIdError::FutureDate => "Födelsedatumet ligger i framtiden.",
        PatientIdError::UnknownType | PatientIdError::TypeMismatch => {
            "Numret är varken ett personnummer eller ett samordningsnummer."
        }
    }
}

/// Validates the number and opens the pupil.
pub async fn search(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<SearchForm>,
) -> Result<HttpResponse, ConsumerError> {
    let ctx = Ctx::from_request(&req, &state)?;
    ctx.check_csrf(&state, form.csrf.as_deref())?;
    ctx.carer(&state)?;
    match PatientId::parse_at(&form.personnummer, today()) {
        Ok(patient) => {
            let handle = state
                .sessions
                .pupil_handle(&ctx.sid, &patient)
                .ok_or(ConsumerError::NotLoggedIn)?;
            Ok(redirect(&format!("/elev/{handle}")))
        }
        Err(error) => {
            let mut response = render(&SearchPage {
                chrome: ctx.chrome(&state),
                csrf: ctx.token(&state),
                error: Some(explain(error)),
                entered: form.personnummer.chars().take(20).collect(),
            })?;
            *response.status_mut() = StatusCode::BAD_REQUEST;
            Ok(response)
        }
    }
}
