//! Login, sessions, CSRF, escaping, pupil search and the journal pages: time windows,
//! failed sources, filters, views and what is sent to the platform.

mod support;

use chrono::{Datelike, Duration, NaiveDate};
use support::*;

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

/// A nurse with a relation and a consent for the pupil; returns (browser, handle).
async fn with_consent(app: &TestApp) -> (Browser, String) {
    let mut b = app.logged_in("sara").await;
    let handle = b.open_pupil(&pupil()).await;
    b.register_relation(&handle).await;
    let answer = b
        .register_consent(&handle, &[("given_by", "pupil"), ("scope", "care_unit")])
        .await;
    assert_eq!(answer.status, 303, "{}", answer.body);
    (b, handle)
}

#[actix_rt::test]
async fn login_logout_commission_choice_and_wrong_password() {
    let Some(app) = TestApp::start(Backend::Sqlite) else {
        return;
    };
    let mut b = app.browser();
    assert_eq!(b.get("/elev").await.location(), "/login");
    let wrong = b.login("sara", "fel").await;
    assert_eq!(wrong.status, 401);
    assert!(wrong.body.contains("Fel användarnamn eller lösenord"));
    let unknown = b.login("ingen", PASSWORD).await;
    assert_eq!(unknown.status, 401);

    let page = b.get("/login").await;
    let cookie = page.header("set-cookie").unwrap().to_owned();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    assert!(!cookie.contains("Secure"), "no TLS, no Secure flag");
    let anonymous = b.cookie.clone();
    let ok = b.login("sara", PASSWORD).await;
    assert_eq!((ok.status, ok.location()), (303, "/"));
    assert_ne!(b.cookie, anonymous, "a new session id after login");

    // Two commissions: the picker comes first, patient pages wait for it.
    let mut doctor = app.browser();
    let answer = {
        let page = doctor.get("/login").await;
        let token = page.token_for("/login");
        doctor
            .post(
                "/login",
                &[
                    ("csrf", &token),
                    ("username", "lars"),
                    ("password", PASSWORD),
                ],
            )
            .await
    };
    assert_eq!(answer.location(), "/uppdrag");
    assert_eq!(doctor.get("/elev").await.location(), "/uppdrag");
    let picker = doctor.get("/uppdrag").await;
    assert!(
        picker.body.contains("Elevhälsan Björkskolan") && picker.body.contains("SE2120009994-EHM2")
    );
    let token = picker.token_for("/uppdrag");
    assert_eq!(
        doctor
            .post("/uppdrag", &[("csrf", &token), ("uppdrag", "1")])
            .await
            .status,
        303
    );
    assert_eq!(doctor.get("/elev").await.status, 200);

    // Logout ends the session.
    let search = b.get("/elev").await;
    let token = search.token_for("/logout");
    let out = b.post("/logout", &[("csrf", &token)]).await;
    assert_eq!(out.location(), "/login?utloggad=ja");
    assert_eq!(b.get("/elev").await.location(), "/login");

    // The log follow-up role sees no patient pages; a nurse sees no log.
    let mut logger = app.logged_in("logg").await;
    assert_eq!(logger.get("/elev").await.status, 403);
    let mut nurse = app.logged_in("sara").await;
    assert_eq!(nurse.get("/logg").await.status, 403);
}

#[actix_rt::test]
async fn an_idle_session_times_out() {
    let Some(app) = TestApp::start_with(Backend::Sqlite, |c| c.session.idle_timeout_seconds = 1)
    else {
        return;
    };
    let mut b = app.logged_in("sara").await;
    assert_eq!(b.get("/elev").await.status, 200);
    actix_rt::time::sleep(std::time::Duration::from_millis(1300)).await;
    let page = b.get("/elev").await;
    assert_eq!(page.location(), "/login?utloggad=inaktivitet");
    let login = b.get(page.location()).await;
    assert!(login.body.contains("inaktiv"), "{}", login.body);
}

#[actix_rt::test]
async fn forms_without_or_with_used_or_foreign_tokens_are_rejected() {
    for backend in BACKENDS {
        let Some(app) = TestApp::start(backend) else {
            continue;
        };
        app.platform.set(two_care_givers());
        let mut b = app.logged_in("sara").await;
        let handle = b.open_pupil(&pupil()).await;
        let action = format!("/elev/{handle}/vardrelation");

        let missing = b.post(&action, &[("reason", "x")]).await;
        assert_eq!(missing.status, 403);
        assert!(missing.body.contains("säkerhetskod"), "{}", missing.body);

        let status = b.get(&format!("/elev/{handle}")).await;
        let token = status.token_for(&action);
        let mut other = app.logged_in("lars").await;
        let foreign = other.open_pupil(&pupil()).await;
        let stolen = other
            .post(
                &format!("/elev/{foreign}/vardrelation"),
                &[("csrf", &token), ("reason", "x")],
            )
            .await;
        assert_eq!(stolen.status, 403, "a token of another session");

        assert_eq!(
            b.post(&action, &[("csrf", &token), ("reason", "Hälsobesök")])
                .await
                .status,
            303
        );
        let replay = b
            .post(&action, &[("csrf", &token), ("reason", "Hälsobesök")])
            .await;
        assert_eq!(replay.status, 403, "a used token");

        // Only the one accepted form was stored: one relation.
        let page = b.get(&format!("/elev/{handle}/diagnoser")).await;
        assert!(page.body.contains("Astma"));
        assert!(
            !other
                .get(&format!("/elev/{foreign}/diagnoser"))
                .await
                .body
                .contains("Astma")
        );

        // The pupil handle belongs to its session.
        assert_eq!(
            other.get(&format!("/elev/{handle}/diagnoser")).await.status,
            404
        );
    }
}

#[actix_rt::test]
async fn a_script_in_a_diagnosis_text_is_shown_escaped() {
    let Some(app) = TestApp::start(Backend::Sqlite) else {
        return;
    };
    let recent = noon(today() - Duration::days(3));
    app.platform.set(Fixture {
        diagnoses: vec![diagnosis(
            "d-xss",
            &SCHOOL,
            recent,
            "J45",
            "<script>alert('x')</script><img src=x onerror=alert(1)>",
        )],
        ..Fixture::default()
    });
    let mut b = app.logged_in("sara").await;
    let handle = b.open_pupil(&pupil()).await;
    b.register_relation(&handle).await;
    for page in ["diagnoser", "oversikt"] {
        let page = b.get(&format!("/elev/{handle}/{page}")).await;
        assert!(!page.body.contains("<script>alert"), "{}", page.body);
        assert!(!page.body.contains("<img src=x"));
        assert!(
            page.body.contains("&#60;script&#62;alert("),
            "{}",
            page.body
        );
        assert!(
            page.header("content-security-policy")
                .unwrap()
                .contains("default-src 'self'")
        );
    }
}

#[actix_rt::test]
async fn bad_numbers_are_explained_and_good_ones_never_reach_a_url() {
    let Some(app) = TestApp::start(Backend::Sqlite) else {
        return;
    };
    let mut b = app.logged_in("sara").await;
    let number = pupil();
    let wrong_check = format!(
        "{}{}",
        &number[..11],
        (number.as_bytes()[11] - b'0' + 1) % 10
    );
    for (input, message) in [
        (wrong_check.as_str(), "Kontrollsiffran"),
        ("abc", "fel form"),
        ("20141340-1234", "inget riktigt datum"),
        ("", "Skriv elevens personnummer"),
    ] {
        let form = b.get("/elev").await;
        let token = form.token_for("/elev");
        let page = b
            .post("/elev", &[("csrf", &token), ("personnummer", input)])
            .await;
        assert_eq!(page.status, 400, "{input}");
        assert!(page.body.contains(message), "{input}: {}", page.body);
    }
    // Every common written form opens the same pupil; the URL carries a handle only.
    let short = format!("{}-{}", &number[2..8], &number[8..]);
    let dashed = format!("{}-{}", &number[..8], &number[8..]);
    let mut handles = Vec::new();
    for input in [
        number.clone(),
        dashed,
        short,
        format!("  {}  ", &number[2..]),
    ] {
        let handle = b.open_pupil(&input).await;
        assert!(
            !handle.contains(&number[2..8]),
            "personal data in the URL: {handle}"
        );
        handles.push(handle);
    }
    handles.dedup();
    assert_eq!(handles.len(), 1);
    let coordination = samordningsnummer(NaiveDate::from_ymd_opt(2013, 2, 3).unwrap(), 123);
    let handle = b.open_pupil(&coordination).await;
    let page = b.get(&format!("/elev/{handle}")).await;
    assert!(page.body.contains("Samordningsnummer"), "{}", page.body);
}

#[actix_rt::test]
async fn time_windows_per_type_with_policy_limits() {
    for backend in BACKENDS {
        let Some(app) = TestApp::start(backend) else {
            continue;
        };
        let year = today().year();
        let first = NaiveDate::from_ymd_opt(year - 3, 1, 1).unwrap();
        let before = first - Duration::days(1);
        let start = |d: NaiveDate| {
            npo_contracts::types::TimeStamp::new(d.and_hms_opt(0, 0, 0).unwrap()).unwrap()
        };
        let late = |d: NaiveDate| {
            npo_contracts::types::TimeStamp::new(d.and_hms_opt(23, 59, 0).unwrap()).unwrap()
        };
        app.platform.set(Fixture {
            diagnoses: vec![
                diagnosis("in", &SCHOOL, start(first), "J45", "Precis innanför"),
                diagnosis("out", &SCHOOL, late(before), "J30", "Precis utanför"),
            ],
            vaccinations: vec![
                vaccination(
                    "v-birth",
                    &SCHOOL,
                    pupil_birth() + Duration::days(90),
                    "Infanrix hexa",
                ),
                vaccination(
                    "v-recent",
                    &SCHOOL,
                    today() - Duration::days(100),
                    "MPR dos 2",
                ),
            ],
            medication: vec![
                // Started long before the window, still going: overlaps.
                medication(
                    "m-open",
                    &SCHOOL,
                    noon(before - Duration::days(400)),
                    None,
                    "R03AC02",
                    "Salbutamol",
                ),
                // Ended just before the window.
                medication(
                    "m-ended",
                    &SCHOOL,
                    noon(before - Duration::days(400)),
                    Some(late(before)),
                    "R06AE07",
                    "Cetirizin",
                ),
            ],
            care_contacts: vec![
                care_contact("c-in", &SCHOOL, start(first), "Kontakt precis innanför"),
                care_contact("c-out", &SCHOOL, late(before), "Kontakt precis utanför"),
            ],
            observations: vec![observation(
                "o-birth",
                &SCHOOL,
                pupil_birth() + Duration::days(3),
                "27113001",
                "Kroppsvikt",
                "3.9",
                "kg",
            )],
            ..Fixture::default()
        });
        let mut b = app.logged_in("sara").await;
        let handle = b.open_pupil(&pupil()).await;
        b.register_relation(&handle).await;

        let page = b.get(&format!("/elev/{handle}/vardkontakter")).await;
        assert!(
            page.body.contains("Kontakt precis innanför"),
            "{}",
            page.body
        );
        assert!(!page.body.contains("Kontakt precis utanför"));
        let page = b.get(&format!("/elev/{handle}/observationer")).await;
        assert!(!page.body.contains("3.9 kg"));
        let page = b
            .get(&format!(
                "/elev/{handle}/observationer?fran={}",
                pupil_birth()
            ))
            .await;
        assert!(page.body.contains("3.9 kg"), "{}", page.body);

        let page = b.get(&format!("/elev/{handle}/diagnoser")).await;
        assert!(
            page.body.contains("Precis innanför") && !page.body.contains("Precis utanför"),
            "{}",
            page.body
        );
        assert!(
            page.body
                .contains(&format!("Diagnoser: {first} – {}", today())),
            "applied window shown"
        );
        let asked = app
            .platform
            .received()
            .last()
            .unwrap()
            .period
            .clone()
            .unwrap();
        assert_eq!(
            asked,
            (
                first.format("%Y%m%d").to_string(),
                today().format("%Y%m%d").to_string()
            )
        );

        // Widening beyond the maximum (3 years for diagnoses) is narrowed and said so.
        let page = b
            .get(&format!("/elev/{handle}/diagnoser?fran=2000-01-01"))
            .await;
        assert!(!page.body.contains("Precis utanför"));
        assert!(
            page.body.contains(&format!("begränsat: tidigast {first}")),
            "{}",
            page.body
        );
        // Narrowing works.
        let narrow = (today() - Duration::days(10)).to_string();
        let page = b
            .get(&format!("/elev/{handle}/diagnoser?fran={narrow}"))
            .await;
        assert!(!page.body.contains("Precis innanför"));

        let page = b.get(&format!("/elev/{handle}/lakemedel")).await;
        assert!(
            page.body.contains("Salbutamol") && page.body.contains("pågående"),
            "{}",
            page.body
        );
        assert!(!page.body.contains("Cetirizin"));

        // Vaccinations open at three years but may reach back to birth.
        let page = b.get(&format!("/elev/{handle}/vaccinationer")).await;
        assert!(page.body.contains("MPR dos 2") && !page.body.contains("Infanrix"));
        let page = b
            .get(&format!("/elev/{handle}/vaccinationer?fran=2000-01-01"))
            .await;
        assert!(page.body.contains("Infanrix hexa"), "{}", page.body);
        assert!(
            page.body
                .contains(&format!("begränsat: tidigast {}", pupil_birth()))
        );
        // The BVC page opens from birth.
        let page = b.get(&format!("/elev/{handle}/bvc")).await;
        assert!(page.body.contains("Infanrix hexa") && page.body.contains("MPR dos 2"));
        let bad = b
            .get(&format!("/elev/{handle}/diagnoser?fran=2025-13-01"))
            .await;
        assert_eq!(bad.status, 400);
        assert!(bad.body.contains("ÅÅÅÅ-MM-DD"));
    }
}

#[actix_rt::test]
async fn a_source_that_did_not_answer_is_named_and_the_rest_is_shown() {
    for backend in BACKENDS {
        let Some(app) = TestApp::start(backend) else {
            continue;
        };
        let mut fixture = two_care_givers();
        fixture.failing = vec![(
            "GetDiagnosis".to_owned(),
            npo_pki::PRODUCER_BVC_HSA_ID.to_owned(),
        )];
        app.platform.set(fixture);
        let (mut b, handle) = with_consent(&app).await;
        let page = b.get(&format!("/elev/{handle}/diagnoser")).await;
        assert_eq!(page.status, 200);
        assert!(page.body.contains("Astma"), "what arrived is shown");
        assert!(!page.body.contains("ADHD"));
        assert!(
            page.body.contains(&format!(
                "källan BVC-journalen ({})",
                npo_pki::PRODUCER_BVC_HSA_ID
            )) && page.body.contains("svarade inte: Timeout (kod 504)"),
            "{}",
            page.body
        );
    }
}

#[actix_rt::test]
async fn calls_go_in_parallel_over_mtls_to_the_aggregation_address() {
    let Some(app) = TestApp::start(Backend::Sqlite) else {
        return;
    };
    app.platform.set(two_care_givers());
    let (mut b, handle) = with_consent(&app).await;
    app.platform.clear_received();
    let page = b.get(&format!("/elev/{handle}/oversikt")).await;
    assert_eq!(page.status, 200);
    let received = app.platform.received();
    let mut paths: Vec<&str> = received.iter().map(|r| r.path.as_str()).collect();
    paths.sort();
    assert_eq!(
        paths,
        [
            "/vp/GetCareContacts/3/rivtabp21",
            "/vp/GetCareDocumentation/3/rivtabp21",
            "/vp/GetDiagnosis/2/rivtabp21",
            "/vp/GetMedicationHistory/2/rivtabp21",
            "/vp/GetObservations/1/rivtabp21",
            "/vp/GetVaccinationHistory/2/rivtabp21",
        ]
    );
    for r in &received {
        assert_eq!(
            r.caller.as_deref(),
            Some(npo_pki::CONSUMER_HSA_ID),
            "function certificate"
        );
        assert_eq!(r.logical_address.as_deref(), Some("5565594230"));
        assert_eq!(
            r.headers
                .get("x-rivta-original-serviceconsumer-hsaid")
                .map(String::as_str),
            Some(npo_pki::CONSUMER_HSA_ID)
        );
        assert_eq!(r.patient, pupil());
    }
    let corr: std::collections::HashSet<_> = received
        .iter()
        .map(|r| r.headers.get("x-skltp-correlation-id").cloned())
        .collect();
    assert_eq!(corr.len(), 1, "one correlation id per page");
    // Overview: per type count and most recent.
    assert!(
        page.body
            .contains("<th scope=\"row\">Diagnoser</th><td>2</td>"),
        "{}",
        page.body
    );
}

#[actix_rt::test]
async fn filters_views_and_nullified_records() {
    let Some(app) = TestApp::start(Backend::Sqlite) else {
        return;
    };
    let day = |n: i64| today() - Duration::days(n);
    let mut nullified = diagnosis("d-null", &SCHOOL, noon(day(5)), "J99", "Makulerad diagnos");
    nullified.diagnosis_header.nullified = Some(true);
    app.platform.set(Fixture {
        diagnoses: vec![
            diagnosis("d-1", &SCHOOL, noon(day(20)), "J45", "Astma"),
            diagnosis("d-2", &SCHOOL_2, noon(day(10)), "L20", "Eksem"),
            diagnosis("d-3", &BVC, noon(day(15)), "F90", "ADHD-utredning BVC"),
            nullified,
        ],
        notes: vec![
            note(
                "n-bvc",
                &BVC,
                noon(day(400)),
                "BVC 4-årsbesök",
                "Språkutveckling åldersadekvat",
            ),
            note("n-school", &SCHOOL, noon(day(40)), "Hälsosamtal", "Mår bra"),
        ],
        observations: vec![
            observation(
                "o-1",
                &BVC,
                pupil_birth() + Duration::days(30),
                "27113001",
                "Kroppsvikt",
                "4.6",
                "kg",
            ),
            observation(
                "o-2",
                &BVC,
                pupil_birth() + Duration::days(30),
                "248334005",
                "Kroppslängd",
                "55",
                "cm",
            ),
        ],
        medication: vec![
            medication(
                "m-1",
                &SCHOOL,
                noon(day(200)),
                None,
                "R03AC02",
                "Salbutamol",
            ),
            medication(
                "m-2",
                &SCHOOL,
                noon(day(200)),
                Some(noon(day(20))),
                "R03BA02",
                "Budesonid",
            ),
            medication("m-3", &BVC, noon(day(100)), None, "R06AE07", "Cetirizin"),
        ],
        ..Fixture::default()
    });
    let (mut b, handle) = with_consent(&app).await;
    let page = b.get(&format!("/elev/{handle}/lakemedel")).await;
    assert!(
        page.body.contains("Salbutamol")
            && page.body.contains("Budesonid")
            && page.body.contains("Cetirizin")
    );
    // "Aktuell medicinering": code prefix R03, ongoing only.
    let page = b
        .get(&format!("/elev/{handle}/vy/aktuell-medicinering"))
        .await;
    assert!(page.body.contains("R03AC02 – Salbutamol"), "{}", page.body);
    assert!(!page.body.contains("Budesonid") && !page.body.contains("Cetirizin"));
    assert!(page.body.contains("Vy: Aktuell medicinering"));
    let page = b.get(&format!("/elev/{handle}/diagnoser")).await;
    assert!(!page.body.contains("Makulerad"), "nullified hidden");
    let eksem = page.body.find("Eksem").unwrap();
    let adhd = page.body.find("ADHD").unwrap();
    let astma = page.body.find("Astma").unwrap();
    assert!(eksem < adhd && adhd < astma, "newest first");

    let page = b
        .get(&format!(
            "/elev/{handle}/diagnoser?vardgivare={OTHER_GIVER}"
        ))
        .await;
    assert!(page.body.contains("ADHD") && !page.body.contains("Astma"));
    let page = b
        .get(&format!("/elev/{handle}/diagnoser?vardenhet={OWN_UNIT_2}"))
        .await;
    assert!(page.body.contains("Eksem") && !page.body.contains("Astma"));
    let page = b.get(&format!("/elev/{handle}/diagnoser?text=astm")).await;
    assert!(page.body.contains("Astma") && !page.body.contains("Eksem"));

    let page = b.get(&format!("/elev/{handle}/bvc")).await;
    assert!(
        page.body.contains("BVC 4-årsbesök") && !page.body.contains("Hälsosamtal"),
        "{}",
        page.body
    );
    assert!(page.body.contains("<td>4,60 kg</td>") && page.body.contains("<td>55,0 cm</td>"));

    // The "Skolstart" view: BVC units only, from birth.
    let page = b.get(&format!("/elev/{handle}/vy/skolstart")).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("BVC 4-årsbesök") && !page.body.contains("Hälsosamtal"));
    assert!(page.body.contains("55 cm"));
    assert_eq!(
        b.get(&format!("/elev/{handle}/vy/finns-inte")).await.status,
        404
    );
}
