//! The SOAP endpoints: one per contract at `/<Contract>/<major>/rivtabp21`, plus
//! PingForConfiguration, the WSDLs (`?wsdl`) and the schema files they import.

pub mod get_diagnosis;
pub mod ping;
pub mod soap;
pub mod wsdl;

use actix_web::{HttpRequest, HttpResponse, web};
use npo_contracts::registry::Contract;

pub use soap::AppState;

/// Registers every route.
pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.route(&Contract::GetDiagnosis.endpoint_path(), web::post().to(get_diagnosis::get_diagnosis))
        .route(
            &Contract::PingForConfiguration.endpoint_path(),
            web::post().to(ping::ping_for_configuration),
        )
        .route("/core_components/{file}", web::get().to(wsdl::core_component))
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
