//! Page models: one askama template each (auto-escaping HTML in `consumer/templates`).

use askama::Template;
use npo_contracts::types::PatientId;

use crate::config::{CommissionConfig, ConsumerConfig};
use crate::records::Record;

/// Header of every page for a logged-in user.
#[derive(Debug, Clone)]
pub struct Chrome {
    /// Name.
    pub user_name: String,
    /// Role label.
    pub role: &'static str,
    /// The chosen commission.
    pub commission: Option<String>,
    /// Token of the logout form.
    pub logout_csrf: String,
    /// Show the log follow-up link.
    pub log_follow_up: bool,
}

/// `care unit (care giver) – purpose`.
pub fn commission_text(config: &ConsumerConfig, c: &CommissionConfig) -> String {
    format!(
        "{}, {} – {}",
        config.unit_name(&c.care_unit),
        config.unit_name(&c.care_giver),
        c.purpose.label()
    )
}

/// What a block covers, for the notice.
pub fn block_text(config: &ConsumerConfig, kind: &str, hsa_id: &str) -> String {
    let what = if kind == "care_unit" {
        "vårdenheten"
    } else {
        "vårdgivaren"
    };
    format!("{what} {} ({hsa_id})", config.unit_name(hsa_id))
}

/// A link in the pupil navigation.
#[derive(Debug, Clone)]
pub struct NavLink {
    /// Target.
    pub href: String,
    /// Text.
    pub label: String,
    /// The current page.
    pub current: bool,
}

/// The pupil bar: who, and the pages.
#[derive(Debug, Clone)]
pub struct PupilNav {
    /// `/elev/{handle}`.
    pub base: String,
    /// `YYYYMMDD-NNNN`.
    pub pupil: String,
    /// Personnummer or samordningsnummer.
    pub kind: &'static str,
    /// Links.
    pub links: Vec<NavLink>,
}

impl PupilNav {
    /// The navigation of pupil `handle`, `current` being the page's slug.
    pub fn new(config: &ConsumerConfig, handle: &str, patient: &PatientId, current: &str) -> Self {
        let mut links: Vec<NavLink> = [
            ("", "Behörighet"),
            ("oversikt", "Översikt"),
            ("diagnoser", "Diagnoser"),
            ("vardkontakter", "Vårdkontakter"),
            ("lakemedel", "Läkemedel"),
            ("bvc", "BVC-sammanfattning"),
        ]
        .iter()
        .map(|(slug, label)| NavLink {
            href: if slug.is_empty() {
                format!("/elev/{handle}")
            } else {
                format!("/elev/{handle}/{slug}")
            },
            label: (*label).to_owned(),
            current: *slug == current,
        })
        .collect();
        for view in &config.views {
            let slug = format!("vy/{}", view.slug);
            links.push(NavLink {
                href: format!("/elev/{handle}/{slug}"),
                label: format!("Vy: {}", view.name),
                current: slug == current,
            });
        }
        PupilNav {
            base: format!("/elev/{handle}"),
            pupil: patient.display_form(),
            kind: match patient.kind() {
                npo_contracts::types::PatientIdKind::Personnummer => "Personnummer",
                npo_contracts::types::PatientIdKind::Samordningsnummer => "Samordningsnummer",
            },
            links,
        }
    }
}

/// An error page.
#[derive(Debug, Template)]
#[template(path = "error.html")]
pub struct ErrorPage {
    /// Header.
    pub chrome: Option<Chrome>,
    /// Title.
    pub title: &'static str,
    /// Message.
    pub message: String,
}

/// The login page.
#[derive(Debug, Template)]
#[template(path = "login.html")]
pub struct LoginPage {
    /// Header.
    pub chrome: Option<Chrome>,
    /// Form token.
    pub csrf: String,
    /// Offer password login.
    pub password_enabled: bool,
    /// Offer certificate login.
    pub certificate_enabled: bool,
    /// Information (logged out...).
    pub notice: Option<String>,
    /// Error.
    pub error: Option<String>,
}

/// One commission to pick.
#[derive(Debug)]
pub struct CommissionChoice {
    /// Index in the directory entry.
    pub index: usize,
    /// Text.
    pub text: String,
    /// Chosen now.
    pub chosen: bool,
}

/// The commission picker.
#[derive(Debug, Template)]
#[template(path = "commission.html")]
pub struct CommissionPage {
    /// Header.
    pub chrome: Option<Chrome>,
    /// Form token.
    pub csrf: String,
    /// Choices.
    pub choices: Vec<CommissionChoice>,
}

/// The pupil search.
#[derive(Debug, Template)]
#[template(path = "search.html")]
pub struct SearchPage {
    /// Header.
    pub chrome: Option<Chrome>,
    /// Form token.
    pub csrf: String,
    /// Why the number was refused.
    pub error: Option<&'static str>,
    /// What was entered (shown back in the form only).
    pub entered: String,
}

/// A consent in the list.
#[derive(Debug)]
pub struct ConsentRow {
    /// Id (for withdrawal).
    pub id: String,
    /// Who gave it.
    pub given_by: String,
    /// Scope.
    pub scope: String,
    /// Validity.
    pub valid: String,
    /// Status text.
    pub status: String,
    /// Not yet withdrawn.
    pub can_withdraw: bool,
    /// Token of its withdraw form.
    pub csrf: String,
}

/// A block in the list.
#[derive(Debug)]
pub struct BlockRow {
    /// What is blocked.
    pub text: String,
    /// When.
    pub created: String,
}

/// The pupil's PDL status.
#[derive(Debug, Template)]
#[template(path = "pupil.html")]
pub struct PupilPage {
    /// Header.
    pub chrome: Option<Chrome>,
    /// Pupil bar.
    pub nav: PupilNav,
    /// The user has a care relation.
    pub has_relation: bool,
    /// The user's relation.
    pub my_relation: Option<String>,
    /// A consent covers the user.
    pub consent_active: bool,
    /// Active emergency access until.
    pub emergency_until: Option<String>,
    /// Consents.
    pub consents: Vec<ConsentRow>,
    /// Blocks.
    pub blocks: Vec<BlockRow>,
    /// Today, `YYYY-MM-DD`.
    pub today: String,
    /// Emergency access length.
    pub emergency_minutes: u32,
    /// Tokens.
    pub csrf_relation: String,
    /// Tokens.
    pub csrf_consent: String,
    /// Tokens.
    pub csrf_emergency: String,
    /// Tokens.
    pub csrf_block: String,
}

/// A record row.
#[derive(Debug, Clone)]
pub struct Row {
    /// Time.
    pub time: String,
    /// End (or "pågående").
    pub end: String,
    /// Code and name.
    pub what: String,
    /// Details.
    pub detail: String,
    /// Care giver name.
    pub care_giver: String,
    /// Care unit name.
    pub care_unit: String,
    /// Author.
    pub author: String,
}

impl Row {
    /// The row of a record.
    pub fn of(config: &ConsumerConfig, r: &Record) -> Row {
        Row {
            time: r.time_text(),
            end: if r.open_ended {
                "pågående".to_owned()
            } else {
                r.end
                    .map(|e| e.format("%Y-%m-%d %H:%M").to_string())
                    .unwrap_or_default()
            },
            what: r.code_text(),
            detail: r.detail.clone(),
            care_giver: r
                .care_giver
                .as_deref()
                .map(|g| config.unit_name(g))
                .unwrap_or_else(|| "Okänd vårdgivare".to_owned()),
            care_unit: r
                .care_unit
                .as_deref()
                .and_then(|u| config.unit(u).map(|c| c.name.clone()))
                .or_else(|| r.care_unit_name.clone())
                .or_else(|| r.care_unit.clone())
                .unwrap_or_default(),
            author: r.author.clone().unwrap_or_default(),
        }
    }
}

/// A table.
#[derive(Debug)]
pub struct Section {
    /// Heading.
    pub title: String,
    /// Rows, newest first.
    pub rows: Vec<Row>,
}

/// One type in the overview.
#[derive(Debug)]
pub struct OverviewRow {
    /// Type.
    pub label: &'static str,
    /// Page slug.
    pub slug: &'static str,
    /// How many.
    pub count: usize,
    /// The most recent.
    pub latest: Option<Row>,
}

/// The applied window of one type.
#[derive(Debug)]
pub struct WindowRow {
    /// Type.
    pub label: &'static str,
    /// From.
    pub from: String,
    /// To.
    pub to: String,
    /// Earliest allowed.
    pub earliest: String,
    /// The user's request was narrowed.
    pub clamped: bool,
}

/// A choice in a filter.
#[derive(Debug)]
pub struct FilterOption {
    /// HSA-ID.
    pub id: String,
    /// Name.
    pub name: String,
    /// Chosen.
    pub selected: bool,
}

/// A journal page.
#[derive(Debug, Template)]
#[template(path = "journal.html")]
pub struct JournalPage {
    /// Header.
    pub chrome: Option<Chrome>,
    /// Pupil bar.
    pub nav: PupilNav,
    /// Heading.
    pub title: String,
    /// The page's own URL (filter form).
    pub action: String,
    /// No care relation: nothing shown.
    pub no_relation: bool,
    /// Shown under emergency access.
    pub emergency: bool,
    /// Applied windows.
    pub windows: Vec<WindowRow>,
    /// Failed sources.
    pub failures: Vec<String>,
    /// Blocks that hid something.
    pub blocked: Vec<String>,
    /// Other care givers' information held back.
    pub withheld_others: bool,
    /// Overview rows.
    pub overview: Vec<OverviewRow>,
    /// Tables.
    pub sections: Vec<Section>,
    /// Filter values.
    pub fran: String,
    /// Filter values.
    pub till: String,
    /// Filter values.
    pub text: String,
    /// Care giver choices.
    pub care_givers: Vec<FilterOption>,
    /// Care unit choices.
    pub care_units: Vec<FilterOption>,
    /// Show the overview table.
    pub show_overview: bool,
    /// The BVC page (links the BVC stylesheet).
    pub bvc: bool,
    /// The BVC summary (HTML from the summary's auto-escaping templates).
    pub bvc_fragment: Option<String>,
    /// Why there is no BVC summary.
    pub bvc_error: Option<String>,
}

/// A log row.
#[derive(Debug)]
pub struct LogRow {
    /// When.
    pub time: String,
    /// Who.
    pub user: String,
    /// Commission.
    pub commission: String,
    /// Pupil.
    pub pupil: String,
    /// Page.
    pub page: String,
    /// Care givers shown.
    pub care_givers: String,
    /// Types.
    pub types: String,
    /// Window.
    pub window: String,
    /// Emergency.
    pub emergency: bool,
    /// Correlation id.
    pub correlation_id: String,
}

/// The log follow-up.
#[derive(Debug, Template)]
#[template(path = "log.html")]
pub struct LogPage {
    /// Header.
    pub chrome: Option<Chrome>,
    /// Token of the filter form.
    pub csrf: String,
    /// Token of the CSV form.
    pub csrf_csv: String,
    /// Filter values.
    pub user: String,
    /// Filter values.
    pub pupil: String,
    /// Filter values.
    pub from: String,
    /// Filter values.
    pub to: String,
    /// Filter values.
    pub emergency: bool,
    /// Rows.
    pub rows: Vec<LogRow>,
    /// Row limit.
    pub limit: i64,
}
