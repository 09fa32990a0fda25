//! The PDL gates of sammanhållen journalföring, applied to fetched records before
//! anything is rendered:
//!
//! 1. no care relation → no patient data at all (nothing is fetched);
//! 2. blocks (spärr) win: matching records never leave the server, only a notice
//!    naming the blocked care giver or unit;
//! 3. the user's own care giver's records are shown;
//! 4. other care givers' records only with a valid consent or an active emergency
//!    access.

use crate::config::CommissionConfig;
use crate::records::Record;
use crate::store::{Block, PupilState};

/// What the user may see of one pupil, now.
#[derive(Debug, Clone)]
pub struct Access {
    /// The user has a care relation with the pupil.
    pub relation: bool,
    /// A consent covers this user/unit.
    pub consent: bool,
    /// An emergency access of this user is active.
    pub emergency: bool,
    /// Blocks registered for the pupil.
    pub blocks: Vec<Block>,
}

impl Access {
    /// Works out access from what is registered.
    pub fn decide(state: &PupilState, user: &str, commission: &CommissionConfig, now: i64) -> Self {
        let relation = state
            .relations
            .iter()
            .any(|r| r.user_hsa_id.eq_ignore_ascii_case(user));
        let consent = state
            .consents
            .iter()
            .any(|c| c.covers(user, &commission.care_unit, now));
        let emergency = state
            .emergencies
            .iter()
            .any(|e| e.user_hsa_id.eq_ignore_ascii_case(user) && e.expires_at > now);
        Access {
            relation,
            consent,
            emergency,
            blocks: state.blocks.clone(),
        }
    }

    /// Other care givers' information may be shown.
    pub fn others_allowed(&self) -> bool {
        self.relation && (self.consent || self.emergency)
    }
}

/// A block that hid at least one record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockNotice {
    /// `care_giver` or `care_unit`.
    pub kind: String,
    /// The blocked care giver or unit.
    pub hsa_id: String,
}

/// The records that may be shown, and what was held back (counts only).
#[derive(Debug, Default)]
pub struct Gated {
    /// Shown records.
    pub shown: Vec<Record>,
    /// Blocks that hid something.
    pub blocked: Vec<BlockNotice>,
    /// Other care givers' records were held back for lack of consent.
    pub withheld_others: bool,
    /// Records from other care givers are among those shown.
    pub others_shown: bool,
}

fn same(a: Option<&str>, b: &str) -> bool {
    a.is_some_and(|a| a.eq_ignore_ascii_case(b))
}

fn blocking<'a>(record: &Record, blocks: &'a [Block], c: &CommissionConfig) -> Option<&'a Block> {
    blocks.iter().find(|b| match b.kind.as_str() {
        // A block stops access from outside the blocked care giver or unit.
        "care_giver" => {
            same(record.care_giver.as_deref(), &b.blocked_hsa_id)
                && !c.care_giver.eq_ignore_ascii_case(&b.blocked_hsa_id)
        }
        "care_unit" => {
            same(record.care_unit.as_deref(), &b.blocked_hsa_id)
                && !c.care_unit.eq_ignore_ascii_case(&b.blocked_hsa_id)
        }
        // Unknown kinds block everything (fail closed).
        _ => true,
    })
}

/// Applies the gates. Nullified records are dropped too.
pub fn gate(records: Vec<Record>, access: &Access, commission: &CommissionConfig) -> Gated {
    let mut gated = Gated::default();
    if !access.relation {
        gated.withheld_others = !records.is_empty();
        return gated;
    }
    for record in records {
        if record.nullified {
            continue;
        }
        if let Some(block) = blocking(&record, &access.blocks, commission) {
            let notice = BlockNotice {
                kind: block.kind.clone(),
                hsa_id: block.blocked_hsa_id.clone(),
            };
            if !gated.blocked.contains(&notice) {
                gated.blocked.push(notice);
            }
            continue;
        }
        let own = same(record.care_giver.as_deref(), &commission.care_giver);
        if own {
            gated.shown.push(record);
        } else if access.others_allowed() {
            gated.others_shown = true;
            gated.shown.push(record);
        } else {
            gated.withheld_others = true;
        }
    }
    gated
}
