//! `GET /static/style.css`: the one stylesheet (screen, small screens, print).

use actix_web::HttpResponse;
use actix_web::http::header;

const STYLE: &str = include_str!("../../templates/style.css");

/// The stylesheet.
pub async fn style() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/css; charset=utf-8"))
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .body(STYLE)
}
