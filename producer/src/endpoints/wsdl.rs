//! `GET /<Contract>/<major>/rivtabp21?wsdl` and the schema files its imports name, from
//! the project's own schemas (embedded in npo-contracts).

use actix_web::{HttpRequest, HttpResponse};
use npo_contracts::registry::Contract;
use npo_contracts::schemas;

/// The address written in the project's WSDL files, replaced by the served one.
const WSDL_ADDRESS: &str = "https://localhost:8443";

fn xml(body: String) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/xml; charset=utf-8")
        .body(body)
}

/// The WSDL of `contract`, with its address pointing at this server.
pub fn wsdl(req: &HttpRequest, contract: Contract) -> HttpResponse {
    match schemas::wsdl(contract) {
        Some((_, text)) => {
            let here = format!("https://{}", req.connection_info().host());
            xml(text.replace(WSDL_ADDRESS, &here))
        }
        None => HttpResponse::NotFound().finish(),
    }
}

/// `GET /<Contract>/<major>/<file>.xsd`.
pub fn interaction_file(contract: Contract, name: &str) -> HttpResponse {
    match schemas::interaction_file(contract, name) {
        Some(text) => xml(text.to_owned()),
        None => HttpResponse::NotFound().finish(),
    }
}

/// `GET /core_components/<file>.xsd`.
pub async fn core_component(name: actix_web::web::Path<String>) -> HttpResponse {
    match schemas::core_component(&name) {
        Some(text) => xml(text.to_owned()),
        None => HttpResponse::NotFound().finish(),
    }
}
