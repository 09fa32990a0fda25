//! A small blocking HTTP/1.1 client for the school-nurse app as a browser uses it:
//! keeps the session cookie, does not follow redirects, reads the forms' CSRF tokens.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

/// Whether something accepts connections on `127.0.0.1:port` within `limit`.
pub fn wait_for_port(port: u16, limit: Duration) -> bool {
    let until = Instant::now() + limit;
    while Instant::now() < until {
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    false
}

/// An answer.
#[derive(Debug, Clone)]
pub struct Page {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Page {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn location(&self) -> &str {
        self.header("location").unwrap_or_default()
    }

    /// The CSRF token of the form posting to `action`.
    pub fn token_for(&self, action: &str) -> String {
        let marker = format!("action=\"{action}\"");
        let start = self
            .body
            .find(&marker)
            .unwrap_or_else(|| panic!("no form posting to {action} in:\n{}", self.body));
        let rest = &self.body[start..];
        let value = rest
            .split("name=\"csrf\" value=\"")
            .nth(1)
            .unwrap_or_else(|| panic!("no CSRF token in the form posting to {action}"));
        value.split('"').next().unwrap().to_owned()
    }
}

/// A browser on `http://127.0.0.1:<port>`.
pub struct Browser {
    port: u16,
    cookie: Option<String>,
}

fn form_encode(fields: &[(&str, &str)]) -> String {
    fn enc(s: &str) -> String {
        let mut out = String::new();
        for b in s.bytes() {
            match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                    out.push(b as char)
                }
                b' ' => out.push('+'),
                _ => out.push_str(&format!("%{b:02X}")),
            }
        }
        out
    }
    fields
        .iter()
        .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
        .collect::<Vec<_>>()
        .join("&")
}

fn dechunk(mut body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let Some(end) = body.windows(2).position(|w| w == b"\r\n") else {
            return out;
        };
        let size_text = String::from_utf8_lossy(&body[..end]);
        let size =
            usize::from_str_radix(size_text.split(';').next().unwrap().trim(), 16).unwrap_or(0);
        if size == 0 {
            return out;
        }
        let start = end + 2;
        out.extend_from_slice(&body[start..start + size]);
        body = &body[start + size + 2..];
    }
}

impl Browser {
    pub fn new(port: u16) -> Browser {
        Browser { port, cookie: None }
    }

    fn send(&mut self, method: &str, path: &str, form: Option<String>) -> Page {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(60)))
            .unwrap();
        let mut head = format!(
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nConnection: close\r\n",
            self.port
        );
        if let Some(cookie) = &self.cookie {
            head.push_str(&format!("Cookie: npo_session={cookie}\r\n"));
        }
        let body = form.unwrap_or_default();
        if method == "POST" {
            head.push_str("Content-Type: application/x-www-form-urlencoded\r\n");
            head.push_str(&format!("Content-Length: {}\r\n", body.len()));
        }
        head.push_str("\r\n");
        stream.write_all(head.as_bytes()).unwrap();
        stream.write_all(body.as_bytes()).unwrap();
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).unwrap();
        let split = raw
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .expect("an HTTP head");
        let head = String::from_utf8_lossy(&raw[..split]).into_owned();
        let mut lines = head.split("\r\n");
        let status: u16 = lines
            .next()
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|s| s.parse().ok())
            .expect("a status line");
        let headers: Vec<(String, String)> = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
            .collect();
        let mut body = raw[split + 4..].to_vec();
        if headers
            .iter()
            .any(|(k, v)| k == "transfer-encoding" && v.contains("chunked"))
        {
            body = dechunk(&body);
        }
        for (k, v) in &headers {
            if k == "set-cookie"
                && let Some(rest) = v.strip_prefix("npo_session=")
            {
                let value = rest.split(';').next().unwrap_or_default().to_owned();
                self.cookie = (!value.is_empty()).then_some(value);
            }
        }
        Page {
            status,
            headers,
            body: String::from_utf8_lossy(&body).into_owned(),
        }
    }

    pub fn get(&mut self, path: &str) -> Page {
        self.send("GET", path, None)
    }

    pub fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Page {
        self.send("POST", path, Some(form_encode(fields)))
    }

    /// Logs in and picks the first commission when asked to.
    pub fn login(&mut self, username: &str, password: &str) {
        let page = self.get("/login");
        assert_eq!(page.status, 200, "{}", page.body);
        let token = page.token_for("/login");
        let answer = self.post(
            "/login",
            &[
                ("csrf", &token),
                ("username", username),
                ("password", password),
            ],
        );
        assert_eq!(answer.status, 303, "login failed: {}", answer.body);
        if answer.location() == "/uppdrag" {
            let picker = self.get("/uppdrag");
            let token = picker.token_for("/uppdrag");
            let chosen = self.post("/uppdrag", &[("csrf", &token), ("uppdrag", "0")]);
            assert_eq!(chosen.status, 303, "{}", chosen.body);
        }
    }

    /// Searches a pupil; returns the opaque handle of `/elev/{handle}`.
    pub fn open_pupil(&mut self, number: &str) -> String {
        let form = self.get("/elev");
        assert_eq!(form.status, 200, "{}", form.body);
        let token = form.token_for("/elev");
        let answer = self.post("/elev", &[("csrf", &token), ("personnummer", number)]);
        assert_eq!(answer.status, 303, "{}", answer.body);
        answer
            .location()
            .strip_prefix("/elev/")
            .expect("a pupil page")
            .to_owned()
    }

    /// Posts a form of the pupil's status page (`vardrelation`, `samtycke`, ...).
    pub fn pupil_form(&mut self, handle: &str, action: &str, fields: &[(&str, &str)]) -> Page {
        let status = self.get(&format!("/elev/{handle}"));
        assert_eq!(status.status, 200, "{}", status.body);
        let full = format!("/elev/{handle}/{action}");
        let token = status.token_for(&full);
        let mut form: Vec<(&str, &str)> = vec![("csrf", &token)];
        form.extend_from_slice(fields);
        self.post(&full, &form)
    }

    /// GETs `path` until `ready(body)` holds (30 s at most); returns that body.
    pub fn wait_for(&mut self, path: &str, ready: impl Fn(&str) -> bool, logs: &str) -> String {
        let until = Instant::now() + Duration::from_secs(30);
        loop {
            let page = self.get(path);
            if page.status == 200 && ready(&page.body) {
                return page.body;
            }
            if Instant::now() > until {
                panic!(
                    "{path} never got ready; last answer {}:\n{}\n\nservice logs:\n{logs}",
                    page.status, page.body
                );
            }
            std::thread::sleep(Duration::from_millis(300));
        }
    }
}
