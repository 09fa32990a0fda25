//! FindContent: which engagements a resident has in a service domain.
//!
//! As the real index: the resident and the service domain are required (EI000 when
//! missing or blank); every other field given narrows the search by exact match
//! (an empty element too: it matches only empty values, i.e. nothing), and
//! `mostRecentContent` keeps engagements with content at or after it. The engagements
//! are returned with owner, `creationTime`, `updateTime` and `mostRecentContent`.

use diesel::QueryResult;
use npo_contracts::engagement_index::{FindContent, FindContentResponse};

use super::error::EiFault;
use super::store;
use super::validate::is_real_time;
use crate::db::DbConn;

/// Checks what the schema leaves open.
pub fn check(request: &FindContent) -> Result<(), EiFault> {
    if request.service_domain.trim().is_empty() {
        return Err(EiFault::technical("serviceDomain is mandatory but missing"));
    }
    if !is_real_time(request.most_recent_content.as_ref()) {
        return Err(EiFault::invalid(
            "Field \"mostRecentContent\": Input date is not according to expected format \
             \"YYYYMMDDhhmmss\"",
        ));
    }
    Ok(())
}

/// Runs the search.
pub fn run(conn: &mut DbConn, request: &FindContent) -> QueryResult<FindContentResponse> {
    let rows = store::find_content(conn, request)?;
    let engagement = rows
        .iter()
        .filter_map(|row| {
            let engagement = row.to_engagement();
            if engagement.is_none() {
                tracing::warn!(engagement = %row.id, "stored engagement unreadable; skipped");
            }
            engagement
        })
        .collect();
    Ok(FindContentResponse { engagement })
}
