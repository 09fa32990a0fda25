//! `GET /static/style.css` (the app's stylesheet: screen, small screens, print) and
//! `GET /static/bvc.css` (the BVC summary's, screen and print).

use actix_web::HttpResponse;
use actix_web::http::header;

const STYLE: &str = include_str!("../../templates/style.css");
const BVC_STYLE: &str = include_str!("../../static/bvc.css");

fn css(body: &'static str) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/css; charset=utf-8"))
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .body(body)
}

/// The app's stylesheet.
pub async fn style() -> HttpResponse {
    css(STYLE)
}

/// The BVC summary's stylesheet.
pub async fn bvc_style() -> HttpResponse {
    css(BVC_STYLE)
}
