//! Server-side sessions: the logged-in user, the chosen commission, one-time CSRF
//! tokens and the opaque pupil handles (personnummer never go into URLs).

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use npo_contracts::types::PatientId;

/// Name of the session cookie.
pub const COOKIE: &str = "npo_session";
/// Most unused CSRF tokens kept per session (older ones expire).
const MAX_TOKENS: usize = 64;
/// Most pupils opened in one session.
const MAX_PUPILS: usize = 200;

/// A random token: 32 bytes from OpenSSL's CSPRNG, hex.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    if openssl::rand::rand_bytes(&mut bytes).is_err() {
        // Never fall back to a weak source: a UUID v4 comes from the OS generator.
        return format!(
            "{}{}",
            uuid::Uuid::new_v4().simple(),
            uuid::Uuid::new_v4().simple()
        );
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// One session.
#[derive(Debug, Clone)]
pub struct Session {
    /// HSA-ID of the logged-in user (`None`: not logged in yet).
    pub user: Option<String>,
    /// Index of the chosen commission in the user's directory entry.
    pub commission: Option<usize>,
    /// Unused CSRF tokens.
    tokens: VecDeque<String>,
    /// Pupil handles.
    pupils: HashMap<String, PatientId>,
    last_seen: Instant,
}

impl Session {
    fn new() -> Self {
        Session {
            user: None,
            commission: None,
            tokens: VecDeque::new(),
            pupils: HashMap::new(),
            last_seen: Instant::now(),
        }
    }
}

/// What looking a session up found.
#[derive(Debug)]
pub enum Lookup {
    /// A live session (a copy).
    Live(Session),
    /// It timed out and was ended.
    Expired,
    /// No such session.
    Missing,
}

/// All sessions, shared by the workers.
#[derive(Debug)]
pub struct Sessions {
    inner: Mutex<HashMap<String, Session>>,
    idle: Duration,
}

impl Sessions {
    /// Sessions ending after `idle` without use.
    pub fn new(idle: Duration) -> Self {
        Sessions {
            inner: Mutex::new(HashMap::new()),
            idle,
        }
    }

    fn with<T>(&self, f: impl FnOnce(&mut HashMap<String, Session>) -> T) -> T {
        let mut guard = match self.inner.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        f(&mut guard)
    }

    /// Starts an anonymous session; returns its id.
    pub fn create(&self) -> String {
        let id = random_token();
        self.with(|all| {
            let idle = self.idle;
            all.retain(|_, s| s.last_seen.elapsed() < idle);
            all.insert(id.clone(), Session::new());
        });
        id
    }

    /// Looks `id` up and marks it used.
    pub fn touch(&self, id: &str) -> Lookup {
        self.with(|all| match all.get_mut(id) {
            None => Lookup::Missing,
            Some(s) if s.last_seen.elapsed() >= self.idle => {
                all.remove(id);
                Lookup::Expired
            }
            Some(s) => {
                s.last_seen = Instant::now();
                Lookup::Live(s.clone())
            }
        })
    }

    /// Ends a session.
    pub fn remove(&self, id: &str) {
        self.with(|all| {
            all.remove(id);
        });
    }

    /// Replaces session `old` by a new logged-in one (new id: no fixation).
    pub fn login(&self, old: &str, user: &str, commission: Option<usize>) -> String {
        let id = random_token();
        self.with(|all| {
            all.remove(old);
            let mut session = Session::new();
            session.user = Some(user.to_owned());
            session.commission = commission;
            all.insert(id.clone(), session);
        });
        id
    }

    /// Sets the commission of a session.
    pub fn choose_commission(&self, id: &str, index: usize) -> bool {
        self.with(|all| match all.get_mut(id) {
            Some(s) => {
                s.commission = Some(index);
                // Pupils opened under another commission are forgotten.
                s.pupils.clear();
                true
            }
            None => false,
        })
    }

    /// A fresh one-time CSRF token for a form in session `id`.
    pub fn issue_token(&self, id: &str) -> String {
        let token = random_token();
        self.with(|all| {
            if let Some(s) = all.get_mut(id) {
                s.tokens.push_back(token.clone());
                while s.tokens.len() > MAX_TOKENS {
                    s.tokens.pop_front();
                }
            }
        });
        token
    }

    /// Uses up `token`: true only for an unused token of this session.
    pub fn consume_token(&self, id: &str, token: &str) -> bool {
        self.with(|all| match all.get_mut(id) {
            Some(s) => match s.tokens.iter().position(|t| constant_eq(t, token)) {
                Some(i) => {
                    s.tokens.remove(i);
                    true
                }
                None => false,
            },
            None => false,
        })
    }

    /// The handle of `patient` in session `id` (made on first use).
    pub fn pupil_handle(&self, id: &str, patient: &PatientId) -> Option<String> {
        self.with(|all| {
            let s = all.get_mut(id)?;
            if let Some((handle, _)) = s.pupils.iter().find(|(_, p)| *p == patient) {
                return Some(handle.clone());
            }
            if s.pupils.len() >= MAX_PUPILS {
                s.pupils.clear();
            }
            let handle = random_token()[..24].to_owned();
            s.pupils.insert(handle.clone(), patient.clone());
            Some(handle)
        })
    }

    /// The pupil behind `handle` in a session copy.
    pub fn pupil(session: &Session, handle: &str) -> Option<PatientId> {
        session.pupils.get(handle).cloned()
    }
}

fn constant_eq(a: &str, b: &str) -> bool {
    a.len() == b.len() && openssl::memcmp::eq(a.as_bytes(), b.as_bytes())
}
