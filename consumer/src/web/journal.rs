//! The journal pages: `GET /elev/{handle}/{oversikt|diagnoser|vardkontakter|lakemedel|bvc}`
//! and the configured views `GET /elev/{handle}/vy/{slug}`.
//!
//! Each page: PDL state → (no care relation: stop, nothing fetched) → windows per type
//! → parallel calls to the aggregating services → local window filter → PDL gates →
//! view and user filters → one access-log row → render. If the log row cannot be
//! written, no patient data is sent.

use std::collections::BTreeMap;

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::NaiveDate;
use serde::Deserialize;

use super::consent::form_date;
use super::pages::{
    FilterOption, JournalPage, OverviewRow, PupilNav, Row, Section, WindowRow, block_text,
};
use super::{AppState, Ctx, append_access_log, db, now, render, today};
use crate::bvc;
use crate::config::{ConsumerConfig, ViewConfig};
use crate::error::ConsumerError;
use crate::fetch::PlatformClient;
use crate::info::InfoType;
use crate::pdl::{self, Access};
use crate::records::Record;
use crate::store::{self, LogEntry};
use crate::window::{self, Applied, Span};

/// Filters a user may set on any page (GET parameters; no personal data).
#[derive(Debug, Default, Deserialize)]
pub struct Filters {
    /// Window start `YYYY-MM-DD`.
    #[serde(default)]
    pub fran: Option<String>,
    /// Window end `YYYY-MM-DD`.
    #[serde(default)]
    pub till: Option<String>,
    /// Only this care giver.
    #[serde(default)]
    pub vardgivare: Option<String>,
    /// Only this care unit.
    #[serde(default)]
    pub vardenhet: Option<String>,
    /// Free text.
    #[serde(default)]
    pub text: Option<String>,
}

/// Which page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Overview,
    Single(InfoType),
    Bvc,
}

impl Kind {
    fn from_slug(slug: &str) -> Option<Kind> {
        Some(match slug {
            "oversikt" => Kind::Overview,
            "diagnoser" => Kind::Single(InfoType::Diagnoser),
            "vardkontakter" => Kind::Single(InfoType::Vardkontakter),
            "lakemedel" => Kind::Single(InfoType::Lakemedel),
            "vaccinationer" => Kind::Single(InfoType::Vaccinationer),
            "anteckningar" => Kind::Single(InfoType::Anteckningar),
            "observationer" => Kind::Single(InfoType::Observationer),
            "bvc" => Kind::Bvc,
            _ => return None,
        })
    }
}

struct Plan<'a> {
    slug: String,
    title: String,
    kind: Kind,
    types: Vec<InfoType>,
    view: Option<&'a ViewConfig>,
}

/// A fixed page.
pub async fn page(
    req: HttpRequest,
    state: web::Data<AppState>,
    client: web::Data<PlatformClient>,
    path: web::Path<(String, String)>,
    filters: web::Query<Filters>,
) -> Result<HttpResponse, ConsumerError> {
    let (handle, slug) = path.into_inner();
    let kind = Kind::from_slug(&slug).ok_or(ConsumerError::NotFound)?;
    let (title, types) = match kind {
        Kind::Overview => ("Översikt".to_owned(), InfoType::ALL.to_vec()),
        Kind::Single(t) => (t.label().to_owned(), vec![t]),
        Kind::Bvc => (
            "BVC-sammanfattning".to_owned(),
            vec![
                InfoType::Anteckningar,
                InfoType::Vaccinationer,
                InfoType::Observationer,
                InfoType::Vardkontakter,
            ],
        ),
    };
    let plan = Plan {
        slug,
        title,
        kind,
        types,
        view: None,
    };
    show(&req, &state, &client, &handle, &plan, &filters).await
}

/// A configured view.
pub async fn view(
    req: HttpRequest,
    state: web::Data<AppState>,
    client: web::Data<PlatformClient>,
    path: web::Path<(String, String)>,
    filters: web::Query<Filters>,
) -> Result<HttpResponse, ConsumerError> {
    let (handle, slug) = path.into_inner();
    let view = state.config.view(&slug).ok_or(ConsumerError::NotFound)?;
    let plan = Plan {
        slug: format!("vy/{slug}"),
        title: view.name.clone(),
        kind: Kind::Overview,
        types: view.types.clone(),
        view: Some(view),
    };
    show(&req, &state, &client, &handle, &plan, &filters).await
}

fn opening_span(config: &ConsumerConfig, plan: &Plan<'_>, kind: InfoType) -> Span {
    if let Some(span) = plan.view.and_then(|v| v.window) {
        return span;
    }
    if plan.kind == Kind::Bvc {
        return Span::FromBirth;
    }
    config.time_window.policy(kind).0
}

fn nonempty(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

async fn show(
    req: &HttpRequest,
    state: &AppState,
    client: &PlatformClient,
    handle: &str,
    plan: &Plan<'_>,
    filters: &Filters,
) -> Result<HttpResponse, ConsumerError> {
    let ctx = Ctx::from_request(req, state)?;
    let (staff, commission) = ctx.carer(state)?;
    let patient = ctx.pupil(handle)?;
    let config = &state.config;
    let id = patient.as_str().to_owned();
    let pupil_state = db(state, move |conn| Ok(store::pupil_state(conn, &id)?)).await?;
    let access = Access::decide(&pupil_state, &staff.hsa_id, commission, now());
    let nav = PupilNav::new(config, handle, &patient, &plan.slug);
    let mut page = JournalPage {
        chrome: None,
        nav,
        title: plan.title.clone(),
        action: format!("/elev/{handle}/{}", plan.slug),
        no_relation: !access.relation,
        emergency: access.emergency,
        windows: Vec::new(),
        failures: Vec::new(),
        blocked: Vec::new(),
        withheld_others: false,
        overview: Vec::new(),
        sections: Vec::new(),
        fran: nonempty(&filters.fran).unwrap_or_default().to_owned(),
        till: nonempty(&filters.till).unwrap_or_default().to_owned(),
        text: nonempty(&filters.text).unwrap_or_default().to_owned(),
        care_givers: Vec::new(),
        care_units: Vec::new(),
        show_overview: plan.kind == Kind::Overview,
        bvc: false,
        bvc_fragment: None,
        bvc_error: None,
    };
    if !access.relation {
        // No care relation: nothing is fetched, nothing shown, nothing to log.
        page.chrome = ctx.chrome(state);
        return render(&page);
    }

    let today = today();
    let birth = patient.birth_date();
    let asked_from = form_date(filters.fran.as_deref().unwrap_or_default())?;
    let asked_to = form_date(filters.till.as_deref().unwrap_or_default())?;
    if let (Some(from), Some(to)) = (asked_from, asked_to)
        && to < from
    {
        return Err(ConsumerError::BadInput(
            "Tidsfönstrets slut ligger före dess början.".to_owned(),
        ));
    }
    let windows: BTreeMap<InfoType, Applied> = plan
        .types
        .iter()
        .map(|&t| {
            let (_, max) = config.time_window.policy(t);
            let opening = opening_span(config, plan, t);
            (
                t,
                window::resolve(opening, max, asked_from, asked_to, birth, today),
            )
        })
        .collect();
    let wanted: Vec<_> = windows.iter().map(|(t, a)| (*t, a.window)).collect();
    let correlation_id = uuid::Uuid::new_v4().to_string();
    let fetched = client.fetch(&patient, &wanted, &correlation_id).await;

    // Local filter on the applied window (sources may ignore the period).
    let in_window: Vec<Record> = fetched
        .records
        .into_iter()
        .filter(|r| {
            windows
                .get(&r.kind)
                .is_some_and(|a| a.window.overlaps(r.start_date(), r.end_date()))
        })
        .collect();
    let gated = pdl::gate(in_window, &access, commission);
    let mut shown: Vec<Record> = gated
        .shown
        .into_iter()
        .filter(|r| view_admits(config, plan, r, today))
        .collect();

    // Filter choices come from what may be shown; then the user's filters.
    let mut givers: BTreeMap<String, String> = BTreeMap::new();
    let mut units: BTreeMap<String, String> = BTreeMap::new();
    for r in &shown {
        if let Some(g) = &r.care_giver {
            givers.insert(g.clone(), config.unit_name(g));
        }
        if let Some(u) = &r.care_unit {
            let name = config
                .unit(u)
                .map(|c| c.name.clone())
                .or_else(|| r.care_unit_name.clone())
                .unwrap_or_else(|| u.clone());
            units.insert(u.clone(), name);
        }
    }
    let giver_filter = nonempty(&filters.vardgivare);
    let unit_filter = nonempty(&filters.vardenhet);
    let text_filter = nonempty(&filters.text).map(str::to_lowercase);
    shown.retain(|r| {
        giver_filter.is_none_or(|g| {
            r.care_giver
                .as_deref()
                .is_some_and(|c| c.eq_ignore_ascii_case(g))
        }) && unit_filter.is_none_or(|u| {
            r.care_unit
                .as_deref()
                .is_some_and(|c| c.eq_ignore_ascii_case(u))
        }) && text_filter.as_deref().is_none_or(|t| r.contains(t))
    });
    shown.sort_by(|a, b| b.time.cmp(&a.time).then_with(|| a.id.cmp(&b.id)));
    page.care_givers = options(givers, giver_filter);
    page.care_units = options(units, unit_filter);

    let mut shown_givers: Vec<String> = shown
        .iter()
        .map(|r| r.care_giver.clone().unwrap_or_else(|| "okänd".to_owned()))
        .collect();
    shown_givers.sort();
    shown_givers.dedup();

    // The access log row, before anything is sent.
    let window_text = windows
        .iter()
        .map(|(t, a)| format!("{} {}", t.slug(), a.window.text()))
        .collect::<Vec<_>>()
        .join("; ");
    let entry = LogEntry {
        id: store::new_log_id(),
        created_at: now(),
        correlation_id: correlation_id.clone(),
        user_hsa_id: staff.hsa_id.clone(),
        user_name: staff.name.clone(),
        role: staff.role.as_str().to_owned(),
        care_giver: commission.care_giver.clone(),
        care_unit: commission.care_unit.clone(),
        purpose: commission.purpose.as_str().to_owned(),
        patient_id: patient.as_str().to_owned(),
        page: plan.slug.clone(),
        care_givers_shown: shown_givers.join(","),
        info_types: plan
            .types
            .iter()
            .map(|t| t.slug())
            .collect::<Vec<_>>()
            .join(","),
        time_window: window_text,
        emergency: access.emergency,
    };
    append_access_log(state, entry).await?;

    page.windows = windows
        .iter()
        .map(|(t, a)| WindowRow {
            label: t.label(),
            from: a.window.from.to_string(),
            to: a.window.to.to_string(),
            earliest: a.earliest.to_string(),
            clamped: a.clamped,
        })
        .collect();
    page.failures = fetched
        .failures
        .iter()
        .map(|f| match &f.source {
            Some(source) => format!(
                "{}: källan {} ({source}) – {}",
                f.kind.label(),
                config.unit_name(source),
                f.text
            ),
            None => format!("{}: {}", f.kind.label(), f.text),
        })
        .collect();
    page.blocked = gated
        .blocked
        .iter()
        .map(|b| block_text(config, &b.kind, &b.hsa_id))
        .collect();
    page.withheld_others = gated.withheld_others;
    page.emergency = access.emergency;
    let row = |r: &Record| Row::of(config, r);
    match plan.kind {
        Kind::Overview => {
            page.overview = plan
                .types
                .iter()
                .map(|&t| {
                    let of_type: Vec<&Record> = shown.iter().filter(|r| r.kind == t).collect();
                    OverviewRow {
                        label: t.label(),
                        slug: t.slug(),
                        count: of_type.len(),
                        latest: of_type.first().map(|r| row(r)),
                    }
                })
                .collect();
            if plan.view.is_some() {
                page.sections = plan
                    .types
                    .iter()
                    .map(|&t| Section {
                        title: t.label().to_owned(),
                        rows: shown.iter().filter(|r| r.kind == t).map(row).collect(),
                    })
                    .collect();
            }
        }
        Kind::Single(t) => {
            page.sections = vec![Section {
                title: t.label().to_owned(),
                rows: shown.iter().map(row).collect(),
            }];
        }
        Kind::Bvc => {
            // Only what passed the window, the PDL gates, blocks and the user's filters.
            let sets = crate::records::raw_sets(&shown);
            let vaccinations: Vec<_> = sets.vaccinations.into_iter().cloned().collect();
            let observations: Vec<_> = sets.observations.into_iter().cloned().collect();
            let notes: Vec<_> = sets.notes.into_iter().cloned().collect();
            let care_contacts: Vec<_> = sets.care_contacts.into_iter().cloned().collect();
            let inputs = bvc::BvcInputs {
                vaccinations: &vaccinations,
                observations: &observations,
                notes: &notes,
                care_contacts: &care_contacts,
            };
            page.bvc = true;
            match bvc::summarise(&inputs, &state.bvc, &patient, today) {
                Ok(summary) => {
                    page.bvc_fragment = Some(summary.render().map_err(|e| {
                        ConsumerError::Internal(format!("BVC summary template: {e}"))
                    })?);
                }
                Err(e) => page.bvc_error = Some(summary_error_text(&e).to_owned()),
            }
        }
    }
    page.chrome = ctx.chrome(state);
    render(&page)
}

/// The page's notice when no summary can be made.
fn summary_error_text(error: &bvc::SummaryError) -> &'static str {
    match error {
        bvc::SummaryError::NoBirthDate => {
            "BVC-sammanfattningen kan inte visas: elevens födelsedatum går inte att läsa ut ur \
             person- eller samordningsnumret. Uppgifterna finns under Vaccinationer, \
             Observationer och Anteckningar."
        }
        bvc::SummaryError::BeforeBirth => {
            "BVC-sammanfattningen kan inte visas: elevens födelsedatum ligger efter dagens datum."
        }
    }
}

fn options(all: BTreeMap<String, String>, chosen: Option<&str>) -> Vec<FilterOption> {
    all.into_iter()
        .map(|(id, name)| FilterOption {
            selected: chosen.is_some_and(|c| c.eq_ignore_ascii_case(&id)),
            id,
            name,
        })
        .collect()
}

fn view_admits(config: &ConsumerConfig, plan: &Plan<'_>, r: &Record, today: NaiveDate) -> bool {
    let Some(view) = plan.view else {
        return true;
    };
    let code_ok = view.code_prefixes.is_empty()
        || r.code
            .as_deref()
            .is_some_and(|c| view.code_prefixes.iter().any(|p| c.starts_with(p.as_str())));
    let unit_ok = view.unit_kinds.is_empty()
        || r.care_unit
            .as_deref()
            .and_then(|u| config.unit(u))
            .and_then(|u| u.kind.as_deref())
            .is_some_and(|k| view.unit_kinds.iter().any(|v| v == k));
    let current_ok = !view.current_only
        || r.kind != InfoType::Lakemedel
        || r.end_date().is_none_or(|end| end >= today);
    code_ok && unit_ok && current_ok
}
