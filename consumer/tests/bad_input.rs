//! The school-nurse app's rows of the bad-input catalogue (SECURITY.md), on SQLite and
//! PostgreSQL: replayed, missing and foreign CSRF tokens, bad personnummer, payloads in
//! text fields, oversized and broken forms. Each test asserts the documented answer
//! (status and Swedish message) and that nothing was stored: care relations, consents,
//! emergency accesses, blocks and the access log are unchanged, and no call went to
//! the platform.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use diesel::prelude::*;
use npo_consumer::schema::{access_log, blocks, care_relations, consents, emergency_accesses};
use support::*;

/// Text that would do harm if it were run as SQL, HTML or script.
const HOSTILE: &str =
    "Greta'); DROP TABLE consents; -- <script>alert(1)</script><img src=x onerror=alert(2)>";

/// Row counts of the tables a form can write.
fn stored(app: &TestApp) -> [i64; 5] {
    let mut conn = app.db.connect();
    [
        care_relations::table.count().get_result(&mut conn).unwrap(),
        consents::table.count().get_result(&mut conn).unwrap(),
        emergency_accesses::table
            .count()
            .get_result(&mut conn)
            .unwrap(),
        blocks::table.count().get_result(&mut conn).unwrap(),
        access_log::table.count().get_result(&mut conn).unwrap(),
    ]
}

fn fixture() -> Fixture {
    let recent = noon(today() - chrono::Duration::days(30));
    Fixture {
        diagnoses: vec![diagnosis("d-own", &SCHOOL, recent, "J45", "Astma")],
        ..Fixture::default()
    }
}

/// A logged-in nurse with the pupil opened; returns the browser and the handle.
async fn nurse_with_pupil(app: &TestApp) -> (Browser, String) {
    app.platform.set(fixture());
    let mut b = app.logged_in("sara").await;
    let handle = b.open_pupil(&pupil()).await;
    (b, handle)
}

#[actix_rt::test]
async fn a_replayed_csrf_token_stores_nothing() {
    for backend in BACKENDS {
        let Some(app) = TestApp::start(backend) else {
            continue;
        };
        let (mut b, handle) = nurse_with_pupil(&app).await;
        let action = format!("/elev/{handle}/vardrelation");
        let token = b.get(&format!("/elev/{handle}")).await.token_for(&action);
        let form = [("csrf", token.as_str()), ("reason", "Hälsobesök")];
        assert_eq!(b.post(&action, &form).await.status, 303);
        let after_first = stored(&app);
        app.platform.clear_received();
        let replay = b.post(&action, &form).await;
        assert_eq!(replay.status, 403);
        assert!(replay.body.contains("säkerhetskod"), "{}", replay.body);
        assert_eq!(stored(&app), after_first, "{backend:?}");
        assert!(app.platform.received().is_empty());
    }
}

#[actix_rt::test]
async fn a_form_without_a_csrf_token_stores_nothing() {
    for backend in BACKENDS {
        let Some(app) = TestApp::start(backend) else {
            continue;
        };
        let (mut b, handle) = nurse_with_pupil(&app).await;
        let before = stored(&app);
        let page = b
            .post(
                &format!("/elev/{handle}/samtycke"),
                &[("given_by", "pupil"), ("scope", "care_unit")],
            )
            .await;
        assert_eq!(page.status, 403);
        assert!(page.body.contains("säkerhetskod"), "{}", page.body);
        assert_eq!(stored(&app), before, "{backend:?}");
    }
}

#[actix_rt::test]
async fn a_csrf_token_of_another_session_stores_nothing() {
    for backend in BACKENDS {
        let Some(app) = TestApp::start(backend) else {
            continue;
        };
        let (mut b, handle) = nurse_with_pupil(&app).await;
        let action = format!("/elev/{handle}/vardrelation");
        let token = b.get(&format!("/elev/{handle}")).await.token_for(&action);
        let mut other = app.logged_in("lars").await;
        let foreign = other.open_pupil(&pupil()).await;
        let before = stored(&app);
        let page = other
            .post(
                &format!("/elev/{foreign}/vardrelation"),
                &[("csrf", &token), ("reason", "Hälsobesök")],
            )
            .await;
        assert_eq!(page.status, 403);
        assert_eq!(stored(&app), before, "{backend:?}");
    }
}

#[actix_rt::test]
async fn bad_personnummer_is_explained_and_stores_nothing() {
    for backend in BACKENDS {
        let Some(app) = TestApp::start(backend) else {
            continue;
        };
        app.platform.set(fixture());
        let mut b = app.logged_in("sara").await;
        let before = stored(&app);
        for (input, message) in [
            ("19121212-1213", "Kontrollsiffran"),
            ("19121312-1212", "inget riktigt datum"),
            ("1912121212121", "fel form"),
            ("' OR '1'='1", "fel form"),
            ("١٩١٢١٢١٢١٢١٢", "fel form"),
        ] {
            let token = b.get("/elev").await.token_for("/elev");
            let page = b
                .post("/elev", &[("csrf", &token), ("personnummer", input)])
                .await;
            assert_eq!(page.status, 400, "{input}");
            assert!(page.body.contains(message), "{input}: {}", page.body);
        }
        assert_eq!(stored(&app), before, "{backend:?}");
        assert!(app.platform.received().is_empty());
    }
}

#[actix_rt::test]
async fn a_script_in_the_search_field_is_not_echoed() {
    let Some(app) = TestApp::start(Backend::Sqlite) else {
        return;
    };
    let mut b = app.logged_in("sara").await;
    let before = stored(&app);
    let token = b.get("/elev").await.token_for("/elev");
    let page = b
        .post(
            "/elev",
            &[
                ("csrf", &token),
                ("personnummer", "<script>alert(1)</script>"),
            ],
        )
        .await;
    assert_eq!(page.status, 400);
    assert!(!page.body.contains("<script>alert"), "{}", page.body);
    assert_eq!(stored(&app), before);
}

#[actix_rt::test]
async fn script_and_sql_in_a_consent_are_stored_verbatim_and_shown_escaped() {
    for backend in BACKENDS {
        let Some(app) = TestApp::start(backend) else {
            continue;
        };
        let (mut b, handle) = nurse_with_pupil(&app).await;
        b.register_relation(&handle).await;
        let answer = b
            .register_consent(
                &handle,
                &[
                    ("given_by", "guardian"),
                    ("guardian_name", HOSTILE),
                    ("scope", "user"),
                ],
            )
            .await;
        assert_eq!(answer.status, 303, "{}", answer.body);
        let mut conn = app.db.connect();
        let names: Vec<Option<String>> = consents::table
            .select(consents::guardian_name)
            .load(&mut conn)
            .unwrap();
        assert_eq!(names, [Some(HOSTILE.to_owned())], "stored as typed");
        let status = b.get(&format!("/elev/{handle}")).await;
        assert_eq!(status.status, 200);
        assert!(!status.body.contains("<script>alert"), "{}", status.body);
        assert!(!status.body.contains("<img src=x"), "{}", status.body);
        assert!(
            status
                .body
                .contains("&#60;script&#62;alert(1)&#60;/script&#62;"),
            "{}",
            status.body
        );
    }
}

#[actix_rt::test]
async fn an_oversized_form_is_refused_and_stores_nothing() {
    for backend in BACKENDS {
        let Some(app) = TestApp::start(backend) else {
            continue;
        };
        let (mut b, handle) = nurse_with_pupil(&app).await;
        let action = format!("/elev/{handle}/vardrelation");
        let token = b.get(&format!("/elev/{handle}")).await.token_for(&action);
        let before = stored(&app);
        let reason = "x".repeat(100 * 1024);
        let page = b
            .post(&action, &[("csrf", &token), ("reason", &reason)])
            .await;
        assert_eq!(page.status, 400);
        assert!(
            page.body.contains("Formuläret kunde inte läsas"),
            "{}",
            page.body
        );
        assert_eq!(stored(&app), before, "{backend:?}");
    }
}

#[actix_rt::test]
async fn invalid_utf8_in_a_form_is_stored_as_replacement_characters() {
    let Some(app) = TestApp::start(Backend::Sqlite) else {
        return;
    };
    let (mut b, handle) = nurse_with_pupil(&app).await;
    let action = format!("/elev/{handle}/vardrelation");
    let token = b.get(&format!("/elev/{handle}")).await.token_for(&action);
    let client = awc::Client::builder().disable_redirects().finish();
    let mut response = client
        .post(format!("http://127.0.0.1:{}{action}", app.port))
        .insert_header((
            "cookie",
            format!("npo_session={}", b.cookie.clone().unwrap()),
        ))
        .insert_header(("content-type", "application/x-www-form-urlencoded"))
        .send_body(format!("csrf={token}&reason=H%C3%A4lso%FF%FEbes%C3%B6k").into_bytes())
        .await
        .unwrap();
    // Form decoding is lossy (as in browsers): the invalid bytes become U+FFFD, the
    // rest is kept; no raw invalid byte reaches the database or a page.
    assert_eq!(response.status().as_u16(), 303);
    let _ = response.body().await;
    let mut conn = app.db.connect();
    let reasons: Vec<String> = care_relations::table
        .select(care_relations::reason)
        .load(&mut conn)
        .unwrap();
    assert_eq!(reasons, ["Hälso\u{FFFD}\u{FFFD}besök"]);
}

#[actix_rt::test]
async fn sql_in_the_login_name_is_a_wrong_password() {
    let Some(app) = TestApp::start(Backend::Sqlite) else {
        return;
    };
    let before = stored(&app);
    let mut b = app.browser();
    for username in ["' OR '1'='1", "sara' --", "sara\"; DROP TABLE staff; --"] {
        let page = b.login(username, "' OR '1'='1").await;
        assert_eq!(page.status, 401, "{username}");
        assert!(page.body.contains("Fel användarnamn eller lösenord"));
    }
    assert_eq!(b.get("/elev").await.location(), "/login");
    // The staff table is intact: the real user still logs in.
    let ok = b.login("sara", PASSWORD).await;
    assert_eq!(ok.status, 303);
    assert_eq!(stored(&app), before);
}
