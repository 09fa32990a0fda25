//! End to end in a real browser: headless Chromium driven over the WebDriver HTTP
//! protocol (chromedriver) against the app on port 0 with the test-double platform.
//! A nurse logs in, searches the pupil, registers a care relation and a consent, opens
//! BVC-sammanfattning and finds the growth chart and the vaccination table in the DOM.
//! Screenshots are saved under `target/test-artefacts/` (the paths are printed).
//!
//! Needs Debian `chromium` and `chromium-driver` (`.ci/run` installs them). Without
//! them the test says "SKIPPED ..." and passes, unless `CI` is set: then it fails.

// Helpers outside #[test] functions are not covered by clippy.toml `allow-*-in-tests`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};
use support::*;

const CHROMIUM: &str = "/usr/bin/chromium";
/// The W3C WebDriver element reference key.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// `name` found on `PATH`.
fn on_path(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(name))
            .find(|p| p.is_file())
    })
}

/// A free loopback port (bound and released).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// chromedriver, ended when dropped.
struct Driver {
    child: Child,
    base: String,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A WebDriver session over HTTP.
struct Session {
    http: awc::Client,
    url: String,
}

async fn call(http: &awc::Client, method: &str, url: &str, body: Option<Value>) -> Value {
    let request = match method {
        "GET" => http.get(url),
        "DELETE" => http.delete(url),
        _ => http.post(url),
    };
    let mut response = match body {
        Some(body) => request.send_json(&body).await,
        None => request.send().await,
    }
    .unwrap_or_else(|e| panic!("{method} {url}: {e}"));
    let bytes = response.body().limit(64 * 1024 * 1024).await.unwrap();
    let value: Value =
        serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{method} {url}: not JSON ({e})"));
    assert!(
        response.status().is_success(),
        "{method} {url}: {} {value}",
        response.status()
    );
    value["value"].clone()
}

impl Session {
    async fn start(driver: &Driver, profile: &Path) -> Session {
        let http = awc::Client::builder()
            .timeout(Duration::from_secs(60))
            .finish();
        let args = [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--window-size=1280,1600",
            "--lang=sv-SE",
        ]
        .map(str::to_owned)
        .into_iter()
        .chain([format!("--user-data-dir={}", profile.display())])
        .collect::<Vec<_>>();
        let capabilities = json!({
            "capabilities": {
                "alwaysMatch": {
                    "browserName": "chrome",
                    "goog:chromeOptions": { "binary": CHROMIUM, "args": args }
                }
            }
        });
        let value = call(
            &http,
            "POST",
            &format!("{}/session", driver.base),
            Some(capabilities),
        )
        .await;
        let id = value["sessionId"].as_str().expect("session id").to_owned();
        Session {
            http,
            url: format!("{}/session/{id}", driver.base),
        }
    }

    async fn post(&self, path: &str, body: Value) -> Value {
        call(
            &self.http,
            "POST",
            &format!("{}{path}", self.url),
            Some(body),
        )
        .await
    }

    /// A POST whose failure is an answer, not a panic.
    async fn try_post(&self, path: &str, body: Value) -> Option<Value> {
        let mut response = self
            .http
            .post(format!("{}{path}", self.url))
            .send_json(&body)
            .await
            .ok()?;
        if !response.status().is_success() {
            return None;
        }
        let bytes = response.body().limit(64 * 1024 * 1024).await.ok()?;
        let value: Value = serde_json::from_slice(&bytes).ok()?;
        Some(value["value"].clone())
    }

    async fn get(&self, path: &str) -> Value {
        call(&self.http, "GET", &format!("{}{path}", self.url), None).await
    }

    async fn open(&self, url: &str) {
        self.post("/url", json!({ "url": url })).await;
    }

    async fn find(&self, css: &str) -> String {
        let value = self
            .post("/element", json!({ "using": "css selector", "value": css }))
            .await;
        value[ELEMENT]
            .as_str()
            .unwrap_or_else(|| panic!("no element {css}: {value}"))
            .to_owned()
    }

    async fn count(&self, css: &str) -> usize {
        let value = self
            .post(
                "/elements",
                json!({ "using": "css selector", "value": css }),
            )
            .await;
        value.as_array().map_or(0, Vec::len)
    }

    async fn type_into(&self, css: &str, text: &str) {
        let element = self.find(css).await;
        self.post(
            &format!("/element/{element}/value"),
            json!({ "text": text }),
        )
        .await;
    }

    /// Clicks a link or submit button and waits until the next page has loaded (a
    /// new document: the `html` element's reference changes, then `readyState` is
    /// `complete`), so the next step never reads the old page.
    async fn click(&self, css: &str) {
        let before = self.find("html").await;
        let element = self.find(css).await;
        self.post(&format!("/element/{element}/click"), json!({}))
            .await;
        for _ in 0..200 {
            // While the page changes, the driver may answer with an error: try again.
            let now = self
                .try_post(
                    "/element",
                    json!({ "using": "css selector", "value": "html" }),
                )
                .await
                .and_then(|v| v[ELEMENT].as_str().map(str::to_owned));
            if now.is_some_and(|now| now != before) {
                let state = self
                    .try_post(
                        "/execute/sync",
                        json!({ "script": "return document.readyState", "args": [] }),
                    )
                    .await;
                if state.as_ref().and_then(Value::as_str) == Some("complete") {
                    return;
                }
            }
            actix_rt::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("no new page after clicking {css}");
    }

    async fn text(&self, css: &str) -> String {
        let element = self.find(css).await;
        self.get(&format!("/element/{element}/text"))
            .await
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    async fn current_path(&self) -> String {
        let url = self
            .get("/url")
            .await
            .as_str()
            .unwrap_or_default()
            .to_owned();
        url.split_once("://")
            .and_then(|(_, rest)| rest.find('/').map(|at| rest[at..].to_owned()))
            .unwrap_or(url)
    }

    /// Saves a PNG screenshot (of `element`, else the viewport) to `file`.
    async fn screenshot(&self, element: Option<&str>, file: &Path) {
        let path = match element {
            Some(css) => format!("/element/{}/screenshot", self.find(css).await),
            None => "/screenshot".to_owned(),
        };
        let encoded = self.get(&path).await;
        let png = openssl::base64::decode_block(encoded.as_str().expect("base64")).unwrap();
        assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "not a PNG");
        std::fs::write(file, png).unwrap();
        eprintln!("screenshot: {}", file.display());
    }

    async fn end(self) {
        call(&self.http, "DELETE", &self.url, None).await;
    }
}

/// chromedriver on a free port, ready, or `None` when the browser is not installed
/// (outside CI).
async fn driver() -> Option<Driver> {
    let chromedriver = on_path("chromedriver");
    if chromedriver.is_none() || !Path::new(CHROMIUM).is_file() {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI is set but chromium ({CHROMIUM}) or chromedriver is missing: \
             install the Debian packages chromium and chromium-driver"
        );
        eprintln!("SKIPPED: chromium/chromedriver not installed");
        return None;
    }
    let port = free_port();
    let child = Command::new(chromedriver?)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver starts");
    let driver = Driver {
        child,
        base: format!("http://127.0.0.1:{port}"),
    };
    let http = awc::Client::default();
    for _ in 0..100 {
        if let Ok(mut r) = http.get(format!("{}/status", driver.base)).send().await
            && let Ok(status) = r.json::<Value>().await
            && status["value"]["ready"] == json!(true)
        {
            return Some(driver);
        }
        actix_rt::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("chromedriver did not become ready on port {port}");
}

fn artefact_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"),
        PathBuf::from,
    );
    let dir = target.join("test-artefacts");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[actix_rt::test]
async fn a_nurse_opens_the_bvc_summary_in_chromium() {
    let Some(driver) = driver().await else {
        return;
    };
    let app = TestApp::start(Backend::Sqlite).expect("SQLite is always there");
    app.platform.set(bvc_fixture());
    let profile = tempfile::tempdir().unwrap();
    let browser = Session::start(&driver, profile.path()).await;
    let base = format!("http://127.0.0.1:{}", app.port);

    // Log in.
    browser.open(&format!("{base}/login")).await;
    browser.type_into("#username", "sara").await;
    browser.type_into("#password", PASSWORD).await;
    browser
        .click("form[action='/login'] button[type=submit]")
        .await;
    assert_eq!(browser.current_path().await, "/elev");

    // Search the pupil: the number is posted, the address holds an opaque handle.
    browser.type_into("#personnummer", &pupil()).await;
    browser
        .click("form[action='/elev'] button[type=submit]")
        .await;
    let status_path = browser.current_path().await;
    assert!(status_path.starts_with("/elev/"), "{status_path}");
    assert!(
        !status_path.contains(&pupil()[..8]),
        "personal data in the URL"
    );

    // Care relation, then consent (given by the pupil, for this care unit).
    browser
        .type_into("#reason", "Hälsobesök i förskoleklass")
        .await;
    browser
        .click("form[action$='/vardrelation'] button[type=submit]")
        .await;
    assert!(browser.text("p.ok").await.contains("vårdrelation"));
    browser
        .click("form[action$='/samtycke'] button[type=submit]")
        .await;
    assert!(
        browser
            .text("main")
            .await
            .contains("Ett samtycke gäller för dig nu")
    );

    // BVC-sammanfattning from the pupil's navigation.
    browser
        .click("nav[aria-label='Elevens sidor'] a[href$='/bvc']")
        .await;
    assert!(browser.current_path().await.ends_with("/bvc"));
    assert_eq!(browser.text("h1").await, "BVC-sammanfattning");
    assert_eq!(browser.count("svg.bvc-growth-chart").await, 1);
    assert_eq!(
        browser.count("svg.bvc-growth-chart circle.bvc-point").await,
        4
    );
    let vaccinations = browser
        .text("section[aria-labelledby='bvc-vaccinationer'] table.bvc-table")
        .await;
    assert!(
        vaccinations.contains("Vaccinationer per dos i vaccinationsprogrammet")
            && vaccinations.contains("Infanrix hexa")
            && vaccinations.contains("Saknas"),
        "{vaccinations}"
    );
    // The BVC stylesheet is served and applied: a missing dose's status is red.
    let status = browser.find("tr.bvc-missing .bvc-status").await;
    let colour = browser.get(&format!("/element/{status}/css/color")).await;
    assert_eq!(colour, json!("rgba(164, 0, 15, 1)"), "bvc.css not applied");

    let dir = artefact_dir();
    browser
        .screenshot(None, &dir.join("consumer-bvc-page.png"))
        .await;
    browser
        .screenshot(
            Some("section[aria-labelledby='bvc-tillvaxt-rubrik']"),
            &dir.join("consumer-bvc-growth.png"),
        )
        .await;
    browser.end().await;
}
