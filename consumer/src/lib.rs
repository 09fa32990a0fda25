//! The school-nurse web app (elevhälsans journalöversikt): staff log in, pick a
//! commission, search a pupil by personnummer or samordningsnummer, and see other care
//! givers' records fetched from the platform's aggregating services, behind the PDL
//! gates (care relation, consent or emergency access, blocks) and an append-only access
//! log written before any patient data is sent.
//!
//! Modules by domain: [`config`] (typed TOML), [`db`]/[`store`] (diesel, SQLite or
//! PostgreSQL), [`fetch`] (mTLS calls and ProcessingStatus), [`records`] (one shape for
//! every record), [`window`] (time-window policy), [`pdl`] (the gates), [`session`]
//! (sessions, CSRF, pupil handles) and [`web`] (routes and pages).

pub mod bvc;
pub mod config;
pub mod db;
pub mod error;
pub mod fetch;
pub mod info;
pub mod pdl;
pub mod records;
pub mod schema;
pub mod session;
pub mod startup;
pub mod store;
pub mod web;
pub mod window;

/// Hashes a password for the staff directory (argon2id, default parameters, random
/// salt): the PHC string for `password_hash`.
pub fn hash_password(password: &str) -> anyhow::Result<String> {
    use argon2::password_hash::{PasswordHasher, SaltString};
    let mut salt = [0u8; 16];
    openssl::rand::rand_bytes(&mut salt)?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| anyhow::anyhow!("salt: {e}"))?;
    argon2::Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("cannot hash the password: {e}"))
}
