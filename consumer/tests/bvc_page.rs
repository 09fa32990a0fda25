//! The BVC page (`/elev/{h}/bvc`) over the test-double platform: the summary (vaccinations
//! against the programme, growth chart, basprogram visits) made only from records that
//! passed the PDL gates and blocks, with the page's access-log row, windows and notices.

// Helpers outside #[test] functions are not covered by clippy.toml `allow-*-in-tests`.
#![allow(clippy::unwrap_used)]

mod support;

use chrono::{Datelike, Duration};
use support::*;

/// The `<tr>` elements of `html` that contain `needle`.
fn rows_with<'a>(html: &'a str, needle: &str) -> Vec<&'a str> {
    html.split("<tr")
        .skip(1)
        .filter_map(|part| part.split("</tr>").next())
        .filter(|row| row.contains(needle))
        .collect()
}

/// The BVC summary fragment of a page (empty when there is none).
fn summary(body: &str) -> &str {
    body.find(r#"<section class="bvc-summary""#)
        .map(|at| &body[at..])
        .unwrap_or_default()
}

#[actix_rt::test]
async fn the_bvc_page_shows_vaccinations_growth_chart_and_visits() {
    for backend in BACKENDS {
        let Some(app) = TestApp::start(backend) else {
            continue;
        };
        app.platform.set(bvc_fixture());
        let mut b = app.logged_in("sara").await;
        let handle = b.open_pupil(&pupil()).await;
        b.register_relation(&handle).await;
        let consent = b
            .register_consent(&handle, &[("given_by", "pupil"), ("scope", "care_unit")])
            .await;
        assert_eq!(consent.status, 303, "{}", consent.body);

        let page = b.get(&format!("/elev/{handle}/bvc")).await;
        assert_eq!(page.status, 200, "{}", page.body);
        assert!(
            page.body
                .contains(r#"<link rel="stylesheet" href="/static/bvc.css">"#)
        );
        let s = summary(&page.body);
        assert!(!s.is_empty(), "no summary: {}", page.body);

        // Vaccinations: DTP dose 1 given (with its vaccine and source), MPR missing.
        assert!(s.contains("Vaccinationer per dos i vaccinationsprogrammet"));
        let given = rows_with(s, "Infanrix hexa");
        assert!(
            given.iter().any(|r| r.contains(r#"class="bvc-given""#)
                && r.contains("Difteri, stelkramp, kikhosta")
                && r.contains("2014-08-20")
                && r.contains("BVC Vårdcentralen Solbacken")),
            "{given:?}"
        );
        let mpr = rows_with(s, "Mässling, påssjuka, röda hund (MPR)");
        assert!(
            mpr.iter().any(|r| r.contains(r#"class="bvc-missing""#)
                && r.contains(r#"<span class="bvc-status">Saknas</span>"#)),
            "{mpr:?}"
        );
        assert!(
            rows_with(s, "Gardasil 9")
                .iter()
                .any(|r| r.contains("bvc-given"))
        );

        // Growth: the SVG chart with one point per accepted value, and its table.
        assert!(s.contains(r#"class="bvc-growth-chart""#), "{s}");
        assert_eq!(s.matches(r#"<circle class="bvc-point""#).count(), 4);
        assert!(
            rows_with(s, "10,20 kg")
                .iter()
                .any(|r| r.contains(&(pupil_birth() + Duration::days(370)).to_string()))
        );

        // Visits: the 4-week visit is attended by the BVC note; others are missing.
        assert!(s.contains("Hälsobesök enligt basprogrammet"));
        assert!(
            rows_with(s, "Anteckning: Hälsobesök 4 veckor")
                .iter()
                .any(|r| r.contains("bvc-given") && r.contains("Genomfört")),
            "{s}"
        );
        assert!(rows_with(s, "bvc-missing").len() > 5);
        // The school's own visit is not a child-health visit.
        assert!(!s.contains("Hälsosamtal åk 6"));

        // The page keeps its applied windows (from birth for the BVC types, care
        // contacts within their maximum) and its access-log row.
        assert!(
            page.body
                .contains(&format!("Vaccinationer: {} – {}", pupil_birth(), today()))
        );
        assert!(page.body.contains(&format!(
            "Vårdkontakter: {}-01-01 – {}",
            today().year() - 3,
            today()
        )));
        let rows = app.journal_log_rows().await;
        let bvc_rows: Vec<_> = rows
            .iter()
            .filter(|r| r.iter().any(|c| c == "bvc"))
            .collect();
        assert_eq!(bvc_rows.len(), 1, "{rows:?}");
        let row = bvc_rows[0].join("|");
        assert!(
            row.contains("vaccinationer")
                && row.contains("observationer")
                && row.contains("anteckningar")
                && row.contains("vardkontakter")
                && row.contains(OTHER_GIVER)
                && row.contains(OWN_GIVER),
            "{row}"
        );

        // The stylesheet is served with the app's other assets.
        let css = b.get("/static/bvc.css").await;
        assert_eq!(css.status, 200);
        assert!(css.header("content-type").unwrap().starts_with("text/css"));
        assert!(css.body.contains(".bvc-"));
    }
}

#[actix_rt::test]
async fn other_care_givers_and_blocked_records_stay_out_of_the_summary() {
    for backend in BACKENDS {
        let Some(app) = TestApp::start(backend) else {
            continue;
        };
        app.platform.set(bvc_fixture());
        let mut b = app.logged_in("sara").await;
        let handle = b.open_pupil(&pupil()).await;

        // No care relation: no summary, nothing fetched.
        app.platform.clear_received();
        let page = b.get(&format!("/elev/{handle}/bvc")).await;
        assert_eq!(page.status, 200);
        assert!(summary(&page.body).is_empty());
        assert!(page.body.contains("ingen vårdrelation"));
        assert!(app.platform.received().is_empty());

        // A relation without consent: the own care giver's records only.
        b.register_relation(&handle).await;
        let page = b.get(&format!("/elev/{handle}/bvc")).await;
        let s = summary(&page.body);
        assert!(
            rows_with(s, "Gardasil 9")
                .iter()
                .any(|r| r.contains("bvc-given"))
        );
        assert!(
            !page.body.contains("Infanrix"),
            "another care giver's dose shown"
        );
        assert!(!s.contains("bvc-growth-chart") && !s.contains("Välmående"));
        assert!(
            rows_with(s, "Difteri, stelkramp, kikhosta")
                .iter()
                .all(|r| !r.contains("bvc-given")),
            "{s}"
        );
        assert!(
            page.body
                .contains("Det finns information från andra vårdgivare")
        );

        // With a consent the region's BVC record is in; a block on its unit takes it out.
        b.register_consent(&handle, &[("given_by", "pupil"), ("scope", "care_unit")])
            .await;
        let page = b.get(&format!("/elev/{handle}/bvc")).await;
        assert!(summary(&page.body).contains("Infanrix hexa"));
        let answer = b
            .pupil_form(
                &handle,
                "sparr",
                &[("kind", "care_unit"), ("hsa_id", OTHER_UNIT)],
            )
            .await;
        assert_eq!(answer.status, 303, "{}", answer.body);
        let page = b.get(&format!("/elev/{handle}/bvc")).await;
        let s = summary(&page.body);
        assert!(
            rows_with(s, "Gardasil 9")
                .iter()
                .any(|r| r.contains("bvc-given"))
        );
        assert!(
            !page.body.contains("Infanrix")
                && !page.body.contains("Välmående")
                && !s.contains("bvc-growth-chart"),
            "blocked content sent"
        );
        assert!(
            page.body
                .contains("Det finns spärrad information hos vårdenheten BVC Solbacken"),
            "{}",
            page.body
        );
    }
}

#[actix_rt::test]
async fn a_failed_source_is_named_on_the_bvc_page_and_the_rest_is_summarised() {
    let Some(app) = TestApp::start(Backend::Sqlite) else {
        return;
    };
    let mut fixture = bvc_fixture();
    fixture.failing = vec![(
        "GetObservations".to_owned(),
        npo_pki::PRODUCER_BVC_HSA_ID.to_owned(),
    )];
    app.platform.set(fixture);
    let mut b = app.logged_in("sara").await;
    let handle = b.open_pupil(&pupil()).await;
    b.register_relation(&handle).await;
    b.register_consent(&handle, &[("given_by", "pupil"), ("scope", "care_unit")])
        .await;
    let page = b.get(&format!("/elev/{handle}/bvc")).await;
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains(&format!(
            "Observationer: källan BVC-journalen ({})",
            npo_pki::PRODUCER_BVC_HSA_ID
        )),
        "{}",
        page.body
    );
    let s = summary(&page.body);
    assert!(s.contains("Infanrix hexa") && !s.contains("bvc-growth-chart"));
    assert!(s.contains("Inga mätningar av längd, vikt eller huvudomfång."));
}

#[actix_rt::test]
async fn units_of_a_configured_bvc_kind_count_as_child_health_care() {
    // The unit's own name carries none of the programme's child-health words; its
    // configured kind (`[[units]] kind = "bvc"`, `[bvc] unit_kinds`) makes it BVC.
    const PLAIN: By = By {
        giver: OTHER_GIVER,
        unit: OTHER_UNIT,
        unit_name: "Vårdcentralen Solbacken",
        author: "Berit Berg",
    };
    let fixture = || Fixture {
        notes: vec![note(
            "n-18m",
            &PLAIN,
            noon(pupil_birth() + Duration::days(550)),
            "Hälsobesök 18 månader",
            "Språket kommer igång.",
        )],
        ..Fixture::default()
    };
    for unit_kinds in [vec!["bvc".to_owned()], Vec::new()] {
        let counted = !unit_kinds.is_empty();
        let Some(app) = TestApp::start_with(Backend::Sqlite, |c| c.bvc.unit_kinds = unit_kinds)
        else {
            return;
        };
        app.platform.set(fixture());
        let mut b = app.logged_in("sara").await;
        let handle = b.open_pupil(&pupil()).await;
        b.register_relation(&handle).await;
        b.register_consent(&handle, &[("given_by", "pupil"), ("scope", "care_unit")])
            .await;
        let page = b.get(&format!("/elev/{handle}/bvc")).await;
        let s = summary(&page.body);
        assert_eq!(s.contains("Språket kommer igång."), counted, "{s}");
        let visit = rows_with(s, "Hälsobesök 18 månader");
        assert_eq!(
            visit.iter().any(|r| r.contains("bvc-given")),
            counted,
            "{visit:?}"
        );
    }
}
