//! ProcessNotification: another index passes on its changes.
//!
//! As the real index: `owner` is mandatory and kept (the engagement stays the other
//! index's); transactions this index owns itself come back in a circle and are dropped
//! before anything is stored; an engagement with the same key that this index owned
//! is removed in favour of the other index's (R5). What remains is passed on to this
//! index's subscribers.

use diesel::QueryResult;
use npo_contracts::engagement_index::{EngagementTransactionType, Ts};

use super::store::{self, EngagementRow, engagement_id};
use crate::db::DbConn;

/// The transactions left once those owned by `own` (this index) are removed.
pub fn remove_circular(
    own: &str,
    transactions: Vec<EngagementTransactionType>,
) -> Vec<EngagementTransactionType> {
    transactions
        .into_iter()
        .filter(|t| t.engagement.owner.as_deref() != Some(own))
        .collect()
}

/// Applies validated transactions in the caller's transaction.
pub fn apply(
    conn: &mut DbConn,
    own: &str,
    transactions: &[EngagementTransactionType],
    now: &Ts,
) -> QueryResult<()> {
    for transaction in transactions {
        let engagement = &transaction.engagement;
        let owner = engagement.owner.as_deref().unwrap_or_default();
        let id = engagement_id(engagement, owner);
        let own_copy = engagement_id(engagement, own);
        if own_copy != id && store::delete(conn, &own_copy)? {
            tracing::warn!(
                engagement = %own_copy,
                new_owner = owner,
                "engagement changed owner; this index's copy removed"
            );
        }
        if transaction.delete_flag {
            store::delete(conn, &id)?;
        } else if store::find_by_ids(conn, std::slice::from_ref(&id))?.is_empty() {
            store::insert(conn, &EngagementRow::new(engagement, owner, now))?;
        } else {
            let most_recent_content = engagement.most_recent_content.as_ref().map(Ts::as_str);
            store::touch(conn, &id, most_recent_content, now.as_str())?;
        }
    }
    Ok(())
}
