//! The PDL gates, end to end: browser → app → aggregating platform double (mTLS) →
//! gates → access log. Every test runs on SQLite and, when `NPO_TEST_DATABASE_URL` is
//! set, on PostgreSQL.

mod support;

use chrono::Duration;
use support::*;

/// One diagnosis from the users' own care giver and one from the region's BVC.
fn two_care_givers() -> Fixture {
    let recent = noon(today() - Duration::days(30));
    Fixture {
        diagnoses: vec![
            diagnosis("d-own", &SCHOOL, recent, "J45", "Astma"),
            diagnosis("d-other", &BVC, recent, "F90", "ADHD-utredning BVC"),
        ],
        ..Fixture::default()
    }
}

async fn diagnoses_page(b: &mut Browser, handle: &str) -> Page {
    b.get(&format!("/elev/{handle}/diagnoser")).await
}

#[actix_rt::test]
async fn no_care_relation_shows_no_patient_data_and_fetches_nothing() {
    for backend in BACKENDS {
        let Some(app) = TestApp::start(backend) else {
            continue;
        };
        app.platform.set(two_care_givers());
        let mut b = app.logged_in("sara").await;
        let handle = b.open_pupil(&pupil()).await;
        let page = diagnoses_page(&mut b, &handle).await;
        assert_eq!(page.status, 200);
        assert!(page.body.contains("ingen vårdrelation"), "{}", page.body);
        assert!(!page.body.contains("Astma") && !page.body.contains("ADHD"));
        assert!(app.platform.received().is_empty(), "nothing may be fetched");
        // Consent, emergency access and blocks need the relation first.
        let status = b.get(&format!("/elev/{handle}")).await;
        let token = status.token_for(&format!("/elev/{handle}/vardrelation"));
        let refused = b
            .post(
                &format!("/elev/{handle}/nodatkomst"),
                &[("csrf", &token), ("reason", "Akut")],
            )
            .await;
        assert_eq!(refused.status, 403);
        assert!(refused.body.contains("vårdrelation"), "{}", refused.body);
        assert!(!diagnoses_page(&mut b, &handle).await.body.contains("ADHD"));
        assert!(
            app.journal_log_rows().await.is_empty(),
            "no data shown, no journal page logged"
        );
        let rows = app.log_rows().await;
        assert!(
            !rows.is_empty() && rows.iter().all(|r| r[8] == "behorighet"),
            "only the status page views are logged: {rows:?}"
        );
    }
}

#[actix_rt::test]
async fn relation_alone_shows_only_the_own_care_givers_information() {
    for backend in BACKENDS {
        let Some(app) = TestApp::start(backend) else {
            continue;
        };
        app.platform.set(two_care_givers());
        let mut b = app.logged_in("sara").await;
        let handle = b.open_pupil(&pupil()).await;
        b.register_relation(&handle).await;
        let page = diagnoses_page(&mut b, &handle).await;
        assert_eq!(page.status, 200, "{}", page.body);
        assert!(page.body.contains("J45 – Astma"), "{}", page.body);
        assert!(
            page.body.contains("Siv Sköterska") && page.body.contains("Elevhälsan Björkskolan")
        );
        assert!(
            !page.body.contains("ADHD"),
            "other care giver shown without consent"
        );
        assert!(
            page.body
                .contains("Det finns information från andra vårdgivare")
        );
        let rows = app.journal_log_rows().await;
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0][9], OWN_GIVER, "care givers shown: {:?}", rows[0]);
    }
}

#[actix_rt::test]
async fn consent_from_the_pupil_shows_every_care_giver() {
    for backend in BACKENDS {
        let Some(app) = TestApp::start(backend) else {
            continue;
        };
        app.platform.set(two_care_givers());
        let mut b = app.logged_in("sara").await;
        let handle = b.open_pupil(&pupil()).await;
        b.register_relation(&handle).await;
        let answer = b
            .register_consent(
                &handle,
                &[
                    ("given_by", "pupil"),
                    ("scope", "care_unit"),
                    ("valid_from", ""),
                    ("valid_to", ""),
                ],
            )
            .await;
        assert_eq!(answer.status, 303, "{}", answer.body);
        let page = diagnoses_page(&mut b, &handle).await;
        assert!(
            page.body.contains("Astma") && page.body.contains("ADHD-utredning BVC"),
            "{}",
            page.body
        );
        assert!(page.body.contains("Region Test"), "source care giver named");
        let rows = app.journal_log_rows().await;
        assert_eq!(
            rows[0][9],
            format!("{OWN_GIVER},{OTHER_GIVER}"),
            "{:?}",
            rows[0]
        );
        assert_eq!(rows[0][12], "nej");
    }
}

#[actix_rt::test]
async fn guardian_consent_is_recorded_with_the_guardians_name() {
    for backend in BACKENDS {
        let Some(app) = TestApp::start(backend) else {
            continue;
        };
        app.platform.set(two_care_givers());
        let mut b = app.logged_in("sara").await;
        let handle = b.open_pupil(&pupil()).await;
        b.register_relation(&handle).await;
        let missing_name = b
            .register_consent(
                &handle,
                &[
                    ("given_by", "guardian"),
                    ("guardian_name", " "),
                    ("scope", "user"),
                ],
            )
            .await;
        assert_eq!(missing_name.status, 400);
        assert!(
            missing_name.body.contains("vårdnadshavaren"),
            "{}",
            missing_name.body
        );
        let answer = b
            .register_consent(
                &handle,
                &[
                    ("given_by", "guardian"),
                    ("guardian_name", "Greta Förälder"),
                    ("scope", "user"),
                ],
            )
            .await;
        assert_eq!(answer.status, 303, "{}", answer.body);
        let status = b.get(&format!("/elev/{handle}")).await;
        assert!(
            status.body.contains("Vårdnadshavare Greta Förälder"),
            "{}",
            status.body
        );
        assert!(status.body.contains("Gäller (för dig)"));
        let page = diagnoses_page(&mut b, &handle).await;
        assert!(page.body.contains("ADHD-utredning BVC"));

        // Scope "user": another user at the same unit is not covered.
        let mut doctor = app.logged_in("lars").await;
        let h2 = doctor.open_pupil(&pupil()).await;
        doctor.register_relation(&h2).await;
        let page = diagnoses_page(&mut doctor, &h2).await;
        assert!(
            page.body.contains("Astma") && !page.body.contains("ADHD"),
            "{}",
            page.body
        );
    }
}

#[actix_rt::test]
async fn expired_and_withdrawn_consents_do_not_open_other_care_givers() {
    for backend in BACKENDS {
        let Some(app) = TestApp::start(backend) else {
            continue;
        };
        app.platform.set(two_care_givers());
        let mut b = app.logged_in("sara").await;
        let handle = b.open_pupil(&pupil()).await;
        b.register_relation(&handle).await;
        let from = (today() - Duration::days(60)).to_string();
        let to = (today() - Duration::days(1)).to_string();
        let expired = b
            .register_consent(
                &handle,
                &[
                    ("given_by", "pupil"),
                    ("scope", "care_unit"),
                    ("valid_from", &from),
                    ("valid_to", &to),
                ],
            )
            .await;
        assert_eq!(expired.status, 303);
        let page = diagnoses_page(&mut b, &handle).await;
        assert!(!page.body.contains("ADHD"), "expired consent used");
        assert!(
            b.get(&format!("/elev/{handle}"))
                .await
                .body
                .contains("Har gått ut")
        );

        b.register_consent(&handle, &[("given_by", "pupil"), ("scope", "care_unit")])
            .await;
        assert!(diagnoses_page(&mut b, &handle).await.body.contains("ADHD"));

        // Withdraw the valid one: the form in the row that says it applies.
        let status = b.get(&format!("/elev/{handle}")).await;
        let action = format!("/elev/{handle}/samtycke/aterkalla");
        let row = &status.body[status.body.find("Gäller (för dig)").unwrap()..];
        let field = |name: &str| {
            row.split(&format!("name=\"{name}\" value=\""))
                .nth(1)
                .unwrap()
                .split('"')
                .next()
                .unwrap()
                .to_owned()
        };
        let (token, id) = (field("csrf"), field("id"));
        let answer = b.post(&action, &[("csrf", &token), ("id", &id)]).await;
        assert_eq!(answer.status, 303, "{}", answer.body);
        let page = diagnoses_page(&mut b, &handle).await;
        assert!(
            page.body.contains("Astma") && !page.body.contains("ADHD"),
            "withdrawn consent used"
        );
        assert!(
            b.get(&format!("/elev/{handle}"))
                .await
                .body
                .contains("Återkallat")
        );
    }
}

#[actix_rt::test]
async fn emergency_access_needs_a_reason_shows_all_and_is_flagged_in_the_log() {
    for backend in BACKENDS {
        let Some(app) = TestApp::start(backend) else {
            continue;
        };
        app.platform.set(two_care_givers());
        let mut b = app.logged_in("sara").await;
        let handle = b.open_pupil(&pupil()).await;
        b.register_relation(&handle).await;
        let no_reason = b
            .pupil_form(&handle, "nodatkomst", &[("reason", "  ")])
            .await;
        assert_eq!(no_reason.status, 400);
        assert!(no_reason.body.contains("skäl"), "{}", no_reason.body);
        let answer = b
            .pupil_form(
                &handle,
                "nodatkomst",
                &[("reason", "Medvetslös elev, allergistatus behövs")],
            )
            .await;
        assert_eq!(answer.status, 303);
        let page = diagnoses_page(&mut b, &handle).await;
        assert!(page.body.contains("ADHD-utredning BVC"), "{}", page.body);
        assert!(page.body.contains("Nödåtkomst"));
        let rows = app.journal_log_rows().await;
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0][12], "ja", "emergency flag: {:?}", rows[0]);

        // The follow-up can filter on it.
        let mut logger = app.logged_in("logg").await;
        let form = logger.get("/logg").await;
        let token = form.token_for("/logg");
        let filtered = logger
            .post(
                "/logg",
                &[("csrf", &token), ("emergency", "ja"), ("pupil", &pupil())],
            )
            .await;
        assert!(
            filtered.body.contains("<strong>Ja</strong>"),
            "{}",
            filtered.body
        );
    }
}

#[actix_rt::test]
async fn a_block_hides_matching_records_and_says_where_information_is_blocked() {
    for backend in BACKENDS {
        let Some(app) = TestApp::start(backend) else {
            continue;
        };
        let recent = noon(today() - Duration::days(10));
        let mut fixture = two_care_givers();
        fixture.diagnoses.push(diagnosis(
            "d-secret",
            &BVC,
            recent,
            "Z63",
            "Hemlig anteckning om familjen",
        ));
        app.platform.set(fixture);
        let mut b = app.logged_in("sara").await;
        let handle = b.open_pupil(&pupil()).await;
        b.register_relation(&handle).await;
        b.register_consent(&handle, &[("given_by", "pupil"), ("scope", "care_unit")])
            .await;
        let answer = b
            .pupil_form(
                &handle,
                "sparr",
                &[("kind", "care_unit"), ("hsa_id", OTHER_UNIT)],
            )
            .await;
        assert_eq!(answer.status, 303, "{}", answer.body);
        let page = diagnoses_page(&mut b, &handle).await;
        assert!(page.body.contains("Astma"));
        assert!(
            !page.body.contains("Hemlig") && !page.body.contains("ADHD"),
            "blocked content sent"
        );
        assert!(
            page.body
                .contains("Det finns spärrad information hos vårdenheten BVC Solbacken"),
            "{}",
            page.body
        );
        let rows = app.journal_log_rows().await;
        assert_eq!(rows[0][9], OWN_GIVER, "blocked care giver logged as shown");
    }
}

#[actix_rt::test]
async fn one_access_log_row_per_page_view() {
    for backend in BACKENDS {
        let Some(app) = TestApp::start(backend) else {
            continue;
        };
        app.platform.set(two_care_givers());
        let mut b = app.logged_in("sara").await;
        let handle = b.open_pupil(&pupil()).await;
        b.register_relation(&handle).await;
        for page in ["oversikt", "diagnoser", "diagnoser", "bvc"] {
            assert_eq!(b.get(&format!("/elev/{handle}/{page}")).await.status, 200);
        }
        let rows = app.journal_log_rows().await;
        assert_eq!(rows.len(), 4, "{rows:?}");
        let pages: Vec<&str> = rows.iter().map(|r| r[8].as_str()).collect();
        assert_eq!(pages, ["bvc", "diagnoser", "diagnoser", "oversikt"]);
        for row in &rows {
            assert_eq!(row[1], NURSE);
            assert_eq!(row[4], OWN_GIVER);
            assert_eq!(row[5], OWN_UNIT);
            assert_eq!(row[7], pupil());
            assert!(row[13].len() == 36, "correlation id: {row:?}");
        }
        assert!(
            rows[3][10].contains("diagnoser,vardkontakter"),
            "{:?}",
            rows[3]
        );
        assert!(
            rows[1][11].starts_with("diagnoser "),
            "window: {:?}",
            rows[1]
        );
        // The correlation id went to the platform too.
        let sent: Vec<String> = app
            .platform
            .received()
            .iter()
            .filter_map(|r| r.headers.get("x-skltp-correlation-id").cloned())
            .collect();
        assert!(rows.iter().all(|r| sent.contains(&r[13])));
    }
}

#[actix_rt::test]
async fn when_the_log_cannot_be_written_no_patient_data_is_sent() {
    for backend in BACKENDS {
        let Some(app) = TestApp::start(backend) else {
            continue;
        };
        app.platform.set(two_care_givers());
        let mut b = app.logged_in("sara").await;
        let handle = b.open_pupil(&pupil()).await;
        b.register_relation(&handle).await;
        use diesel::connection::SimpleConnection;
        app.db
            .connect()
            .batch_execute("ALTER TABLE access_log RENAME TO access_log_gone")
            .unwrap();
        let page = diagnoses_page(&mut b, &handle).await;
        assert_eq!(page.status, 503);
        assert!(
            page.body.contains("Åtkomstloggen kunde inte skrivas"),
            "{}",
            page.body
        );
        assert!(
            !page.body.contains("Astma"),
            "patient data without a log row"
        );
    }
}

#[actix_rt::test]
async fn the_status_page_logs_its_view_and_shows_nothing_without_a_log_row() {
    for backend in BACKENDS {
        let Some(app) = TestApp::start(backend) else {
            continue;
        };
        let mut b = app.logged_in("sara").await;
        let handle = b.open_pupil(&pupil()).await;
        b.register_relation(&handle).await;
        let answer = b
            .register_consent(
                &handle,
                &[
                    ("given_by", "guardian"),
                    ("guardian_name", "Greta Vårdnadshavare"),
                    ("scope", "care_unit"),
                ],
            )
            .await;
        assert_eq!(answer.status, 303, "{}", answer.body);
        let answer = b
            .pupil_form(
                &handle,
                "sparr",
                &[("kind", "care_unit"), ("hsa_id", OTHER_UNIT)],
            )
            .await;
        assert_eq!(answer.status, 303, "{}", answer.body);
        let before = app.log_rows().await.len();
        let page = b.get(&format!("/elev/{handle}")).await;
        assert_eq!(page.status, 200);
        assert!(page.body.contains("Greta Vårdnadshavare") && page.body.contains("BVC Solbacken"));
        let rows = app.log_rows().await;
        assert_eq!(
            rows.len(),
            before + 1,
            "one row per view of the status page"
        );
        let row = &rows[0];
        assert_eq!(row[1], NURSE);
        assert_eq!((row[4].as_str(), row[5].as_str()), (OWN_GIVER, OWN_UNIT));
        assert_eq!(row[7], pupil());
        assert_eq!(row[8], "behorighet");
        assert_eq!(row[9], OWN_GIVER);
        assert_eq!(row[10], "samtycken,sparrar");
        assert_eq!(row[12], "nej");
        assert_eq!(row[13].len(), 36, "correlation id: {row:?}");

        // No row, no page: consents (guardian names) and blocks stay on the server.
        use diesel::connection::SimpleConnection;
        app.db
            .connect()
            .batch_execute("ALTER TABLE access_log RENAME TO access_log_gone")
            .unwrap();
        let page = b.get(&format!("/elev/{handle}")).await;
        assert_eq!(page.status, 503);
        assert!(page.body.contains("Åtkomstloggen kunde inte skrivas"));
        assert!(
            !page.body.contains("Greta") && !page.body.contains("BVC Solbacken"),
            "{}",
            page.body
        );
    }
}

#[actix_rt::test]
async fn the_access_log_refuses_updates_and_deletes() {
    for backend in BACKENDS {
        let Some(app) = TestApp::start(backend) else {
            continue;
        };
        app.platform.set(two_care_givers());
        let mut b = app.logged_in("sara").await;
        let handle = b.open_pupil(&pupil()).await;
        b.register_relation(&handle).await;
        diagnoses_page(&mut b, &handle).await;
        use diesel::connection::SimpleConnection;
        let mut conn = app.db.connect();
        assert!(
            conn.batch_execute("UPDATE access_log SET emergency = true")
                .is_err()
        );
        assert!(conn.batch_execute("DELETE FROM access_log").is_err());
        assert_eq!(app.journal_log_rows().await.len(), 1);
    }
}
