//! The SOAP endpoints: one per contract at `/<Contract>/<major>/rivtabp21`, plus
//! PingForConfiguration, the WSDLs (`?wsdl`) and the schema files they import.

pub mod get_care_contacts;
pub mod get_care_documentation;
pub mod get_diagnosis;
pub mod get_medication_history;
pub mod get_observations;
pub mod get_vaccination_history;
pub mod ping;
pub mod soap;
pub mod wsdl;

use actix_web::{HttpRequest, HttpResponse, web};
use npo_contracts::registry::Contract;

pub use soap::AppState;

/// Registers every route.
pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.route(
        &Contract::GetDiagnosis.endpoint_path(),
        web::post().to(get_diagnosis::get_diagnosis),
    )
    .route(
        &Contract::GetCareContacts.endpoint_path(),
        web::post().to(get_care_contacts::get_care_contacts),
    )
    .route(
        &Contract::GetCareDocumentation.endpoint_path(),
        web::post().to(get_care_documentation::get_care_documentation),
    )
    .route(
        &Contract::GetObservations.endpoint_path(),
        web::post().to(get_observations::get_observations),
    )
    .route(
        &Contract::GetMedicationHistory.endpoint_path(),
        web::post().to(get_medication_history::get_medication_history),
    )
    .route(
        &Contract::GetVaccinationHistory.endpoint_path(),
        web::post().to(get_vaccination_history::get_vaccination_history),
    )
    .route(
        &Contract::PingForConfiguration.endpoint_path(),
        web::post().to(ping::ping_for_configuration),
    )
    .route(
        "/core_components/{file}",
        web::get().to(wsdl::core_component),
    )
    .route("/{contract}/{major}/{file}", web::get().to(get_schema_file));
}

/// `GET /<Contract>/<major>/rivtabp21?wsdl` and `GET /<Contract>/<major>/<file>.xsd`.
async fn get_schema_file(req: HttpRequest, path: web::Path<(String, u32, String)>) -> HttpResponse {
    let (name, major, file) = path.into_inner();
    let Some(contract) = Contract::ALL
        .into_iter()
        .filter(|c| c.engagement_keys().is_some() || *c == Contract::PingForConfiguration)
        .find(|c| c.name() == name && c.major() == major)
    else {
        return HttpResponse::NotFound().finish();
    };
    if file == "rivtabp21" && req.query_string().eq_ignore_ascii_case("wsdl") {
        wsdl::wsdl(&req, contract)
    } else {
        wsdl::interaction_file(contract, &file)
    }
}
