//! `POST /PingForConfiguration/1/rivtabp21`: the platform's liveness check.

use actix_web::{HttpRequest, HttpResponse, web};
use npo_contracts::ping_for_configuration::{
    ConfigurationType, PingForConfiguration, PingForConfigurationResponse, Ts,
};
use npo_contracts::types::TimeStamp;

use super::soap::{AppState, ProducerError, handle};

/// Answers PingForConfiguration with the producer's version, time and source systems.
pub async fn ping_for_configuration(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> HttpResponse {
    handle::<PingForConfiguration, _>(&req, payload, &state, |state, _request, _context| {
        let now = TimeStamp::from_utc(chrono::Utc::now())
            .and_then(|t| Ts::parse(&t.to_string()))
            .ok_or_else(|| ProducerError::Internal("system clock outside 1900-2099".into()))?;
        Ok(PingForConfigurationResponse {
            version: env!("CARGO_PKG_VERSION").to_owned(),
            ping_date_time: now,
            configuration: vec![ConfigurationType {
                name: "sourceSystems".to_owned(),
                value: state.config.source_systems.join(","),
            }],
        })
    })
    .await
}
