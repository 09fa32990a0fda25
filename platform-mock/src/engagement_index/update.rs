//! Update: source systems register (deleteFlag false) or remove (true) engagements.
//!
//! As the real index: the owner of every engagement becomes the index's own HSA-ID
//! (R6); a new engagement gets `creationTime` now and no `updateTime`; storing an
//! existing one again replaces `mostRecentContent` with the value sent (also when
//! absent) and sets `updateTime` now, keeping `creationTime`. The changes passed on to
//! subscribers are the deletions, the new engagements and those whose
//! `mostRecentContent` changed, with owner, `creationTime` and `updateTime` as stored.

use std::collections::HashMap;

use diesel::QueryResult;
use npo_contracts::engagement_index::{EngagementTransactionType, Ts, Update};

use super::store::{self, EngagementRow, engagement_id};
use crate::db::DbConn;

/// Applies a validated Update in the caller's transaction; returns the changes to
/// notify subscribers of.
pub fn apply(
    conn: &mut DbConn,
    owner: &str,
    request: &Update,
    now: &Ts,
) -> QueryResult<Vec<EngagementTransactionType>> {
    let ids: Vec<String> = request
        .engagement_transaction
        .iter()
        .map(|t| engagement_id(&t.engagement, owner))
        .collect();
    let existing: HashMap<String, EngagementRow> = store::find_by_ids(conn, &ids)?
        .into_iter()
        .map(|row| (row.id.clone(), row))
        .collect();
    let mut changed = Vec::new();
    for (transaction, id) in request.engagement_transaction.iter().zip(&ids) {
        let original = existing.get(id);
        let most_recent_content = transaction
            .engagement
            .most_recent_content
            .as_ref()
            .map(Ts::as_str);
        if transaction.delete_flag {
            store::delete(conn, id)?;
        } else if original.is_some() {
            store::touch(conn, id, most_recent_content, now.as_str())?;
        } else {
            store::insert(
                conn,
                &EngagementRow::new(&transaction.engagement, owner, now),
            )?;
        }
        let content_changed =
            original.is_some_and(|o| o.most_recent_content.as_deref() != most_recent_content);
        if transaction.delete_flag || original.is_none() || content_changed {
            let mut engagement = transaction.engagement.clone();
            engagement.owner = Some(owner.to_owned());
            engagement.creation_time = Some(
                original
                    .and_then(|o| Ts::parse(&o.creation_time))
                    .unwrap_or_else(|| now.clone()),
            );
            engagement.update_time = original.map(|_| now.clone());
            changed.push(EngagementTransactionType {
                delete_flag: transaction.delete_flag,
                engagement,
            });
        }
    }
    Ok(changed)
}
