//! Personnummer / samordningsnummer parsing: the strict contract form
//! (`PatientId::parse_canonical`, `PatientId::from_typed`, the engagement index's
//! `RegisteredResidentIdentification`) and the lenient written forms the school-nurse
//! app accepts (`PatientId::parse_at`), with a fuzzed "today".
//!
//! Invariants: no panic; a parsed number re-serialises (canonical, display form, and
//! the 10-digit form with `-` or `+`) and re-parses to the same value; the kind and
//! OID agree with `from_typed`; a lenient parse never lies in the future; an error
//! message carries no digits of the input.
#![no_main]

use chrono::{Datelike, NaiveDate};
use libfuzzer_sys::fuzz_target;
use npo_contracts::engagement_index::RegisteredResidentIdentification;
use npo_contracts::types::{PatientId, PatientIdKind};

fn check_valid(id: &PatientId, today: NaiveDate) {
    let canonical = id.as_str();
    assert_eq!(canonical.len(), 12);
    assert_eq!(PatientId::parse_canonical(canonical).as_ref(), Ok(id));
    assert_eq!(PatientId::from_typed(canonical, id.oid()).as_ref(), Ok(id));
    assert_eq!(PatientIdKind::from_oid(id.oid()), Some(id.kind()));
    let rri = RegisteredResidentIdentification::parse(canonical)
        .unwrap_or_else(|| panic!("a valid id is a RegisteredResidentIdentification"));
    assert_eq!(rri.to_patient_id().as_ref(), Ok(id));
    assert_eq!(RegisteredResidentIdentification::from(id), rri);
    let birth = id
        .birth_date()
        .unwrap_or_else(|| panic!("a valid id has a birth date"));

    // The written forms parse back to the same number, when not in the future.
    if birth <= today {
        assert_eq!(PatientId::parse_at(canonical, today).as_ref(), Ok(id));
        assert_eq!(
            PatientId::parse_at(&id.display_form(), today).as_ref(),
            Ok(id)
        );
        let short = &canonical[2..8];
        let serial = &canonical[8..];
        let dash = PatientId::parse_at(&format!("{short}-{serial}"), today);
        let plus = PatientId::parse_at(&format!("{short}+{serial}"), today);
        let age_years = today.year() - birth.year();
        if age_years < 199 {
            assert!(
                dash.as_ref() == Ok(id) || plus.as_ref() == Ok(id),
                "neither 10-digit form of {canonical} parses back (today {today})"
            );
        }
        if let (Ok(dash), Ok(plus)) = (&dash, &plus) {
            assert_ne!(dash, plus, "`-` and `+` name the same century");
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let (today, text) = match data {
        [a, b, c, rest @ ..] => {
            let days = i64::from(u16::from_le_bytes([*a, *b])) * 4 + i64::from(*c % 4);
            let base = NaiveDate::from_ymd_opt(1900, 1, 1).unwrap_or_default();
            (base + chrono::Duration::days(days), rest)
        }
        _ => (
            NaiveDate::from_ymd_opt(2026, 11, 22).unwrap_or_default(),
            data,
        ),
    };
    let Ok(text) = std::str::from_utf8(text) else {
        return;
    };

    if let Ok(id) = PatientId::parse_canonical(text) {
        assert_eq!(id.as_str(), text, "the canonical form is kept as sent");
        check_valid(&id, today);
    }
    for oid in [
        npo_contracts::types::PERSONNUMMER_OID,
        npo_contracts::types::SAMORDNINGSNUMMER_OID,
    ] {
        if let Ok(id) = PatientId::from_typed(text, oid) {
            assert_eq!(id.oid(), oid);
            check_valid(&id, today);
        }
    }
    if let Some(rri) = RegisteredResidentIdentification::parse(text) {
        assert_eq!(rri.as_str(), text);
        if let Ok(id) = rri.to_patient_id() {
            check_valid(&id, today);
        }
    }
    match PatientId::parse_at(text, today) {
        Ok(id) => {
            let birth = id.birth_date().unwrap_or_else(|| panic!("no birth date"));
            assert!(birth <= today, "a lenient parse in the future");
            check_valid(&id, today);
        }
        Err(err) => {
            // The message never echoes the input: it has no run of six digits (a
            // date of birth or more), whatever was typed.
            let message = err.to_string();
            let longest_digit_run = message
                .split(|c: char| !c.is_ascii_digit())
                .map(str::len)
                .max()
                .unwrap_or(0);
            assert!(longest_digit_run < 6, "digits in an error: {message}");
        }
    }
});
