//! Swedish personal identity numbers: personnummer and samordningsnummer.

use chrono::{Datelike, NaiveDate};

/// OID of the personnummer identifier type.
pub const PERSONNUMMER_OID: &str = "1.2.752.129.2.1.3.1";
/// OID of the samordningsnummer (coordination number) identifier type.
pub const SAMORDNINGSNUMMER_OID: &str = "1.2.752.129.2.1.3.3";

/// Which kind of number identifies the patient.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PatientIdKind {
    /// Personnummer (Skatteverket, population register).
    Personnummer,
    /// Samordningsnummer: day of birth + 60.
    Samordningsnummer,
}

impl PatientIdKind {
    /// The identifier type OID used in PersonIdType `type` / IIType `root`.
    pub fn oid(self) -> &'static str {
        match self {
            PatientIdKind::Personnummer => PERSONNUMMER_OID,
            PatientIdKind::Samordningsnummer => SAMORDNINGSNUMMER_OID,
        }
    }

    /// The kind an OID names.
    pub fn from_oid(oid: &str) -> Option<Self> {
        match oid {
            PERSONNUMMER_OID => Some(PatientIdKind::Personnummer),
            SAMORDNINGSNUMMER_OID => Some(PatientIdKind::Samordningsnummer),
            _ => None,
        }
    }
}

/// Why a string is not a valid personnummer or samordningsnummer. Messages never echo
/// the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PatientIdError {
    /// Nothing was entered.
    #[error("no personal identity number given")]
    Empty,
    /// Not one of the accepted written forms.
    #[error(
        "not a personal identity number: write 12 digits (YYYYMMDDNNNN), optionally with a \
         dash before the last four, or 10 digits (YYMMDD-NNNN)"
    )]
    Format,
    /// The date part is not a real date.
    #[error("the date part is not a real date")]
    Date,
    /// The last digit does not match the Luhn check digit.
    #[error("the check digit is wrong")]
    Checksum,
    /// The identifier type OID is not the personnummer or samordningsnummer OID.
    #[error("unknown identifier type (expected {PERSONNUMMER_OID} or {SAMORDNINGSNUMMER_OID})")]
    UnknownType,
    /// The OID says one kind but the number is the other.
    #[error("the identifier type does not match the number")]
    TypeMismatch,
    /// A birth date in the future.
    #[error("the date part lies in the future")]
    FutureDate,
}

/// A validated personnummer or samordningsnummer, kept as 12 canonical digits
/// `YYYYMMDDNNNC`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PatientId {
    digits: String,
}

impl PatientId {
    /// Parses what a person types: `YYYYMMDDNNNN`, `YYYYMMDD-NNNN`, `YYMMDDNNNN`,
    /// `YYMMDD-NNNN` or `YYMMDD+NNNN` (`+`: 100 years or older), with surrounding
    /// whitespace. With a 2-digit year the century is the latest one that does not put
    /// the birth date after `today`.
    pub fn parse_at(input: &str, today: NaiveDate) -> Result<Self, PatientIdError> {
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err(PatientIdError::Empty);
        }
        if !trimmed.is_ascii() {
            return Err(PatientIdError::Format);
        }
        let (head, tail, plus) = match trimmed.find(['-', '+', ' ']) {
            Some(index) => {
                let separator = trimmed.as_bytes()[index];
                (&trimmed[..index], &trimmed[index + 1..], separator == b'+')
            }
            None if trimmed.len() >= 4 => (
                &trimmed[..trimmed.len() - 4],
                &trimmed[trimmed.len() - 4..],
                false,
            ),
            None => return Err(PatientIdError::Format),
        };
        let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        if tail.len() != 4 || !all_digits(head) || !all_digits(tail) {
            return Err(PatientIdError::Format);
        }
        let digits = match head.len() {
            8 if !plus => format!("{head}{tail}"),
            6 => {
                let yy: i32 = head[..2].parse().map_err(|_| PatientIdError::Format)?;
                let mut year = today.year() - (today.year() - yy).rem_euclid(100);
                let candidate = format!("{year:04}{}{tail}", &head[2..]);
                // A birth date later this year than today belongs to the previous century.
                if birth_date_of(&candidate).is_some_and(|birth| birth > today) {
                    year -= 100;
                }
                if plus {
                    year -= 100;
                }
                format!("{year:04}{}{tail}", &head[2..])
            }
            _ => return Err(PatientIdError::Format),
        };
        let id = Self::parse_canonical(&digits)?;
        if id.birth_date().is_some_and(|birth| birth > today) {
            return Err(PatientIdError::FutureDate);
        }
        Ok(id)
    }

    /// [`PatientId::parse_at`] with today's date.
    pub fn parse(input: &str) -> Result<Self, PatientIdError> {
        Self::parse_at(input, chrono::Local::now().date_naive())
    }

    /// Parses the canonical 12-digit form used inside messages.
    pub fn parse_canonical(digits: &str) -> Result<Self, PatientIdError> {
        if digits.len() != 12 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(PatientIdError::Format);
        }
        if birth_date_of(digits).is_none() {
            return Err(PatientIdError::Date);
        }
        if !luhn_valid(&digits[2..]) {
            return Err(PatientIdError::Checksum);
        }
        Ok(PatientId {
            digits: digits.to_owned(),
        })
    }

    /// Validates a PersonIdType / IIType pair: the number and the identifier type OID.
    pub fn from_typed(number: &str, type_oid: &str) -> Result<Self, PatientIdError> {
        let kind = PatientIdKind::from_oid(type_oid).ok_or(PatientIdError::UnknownType)?;
        let id = Self::parse_canonical(number)?;
        if id.kind() != kind {
            return Err(PatientIdError::TypeMismatch);
        }
        Ok(id)
    }

    /// The 12 canonical digits.
    pub fn as_str(&self) -> &str {
        &self.digits
    }

    /// Personnummer or samordningsnummer (day of birth above 60).
    pub fn kind(&self) -> PatientIdKind {
        if self.digits[6..8] > *"60" {
            PatientIdKind::Samordningsnummer
        } else {
            PatientIdKind::Personnummer
        }
    }

    /// The identifier type OID.
    pub fn oid(&self) -> &'static str {
        self.kind().oid()
    }

    /// The date of birth (for a samordningsnummer, with 60 taken off the day).
    pub fn birth_date(&self) -> Option<NaiveDate> {
        birth_date_of(&self.digits)
    }

    /// The written form `YYYYMMDD-NNNN`.
    pub fn display_form(&self) -> String {
        format!("{}-{}", &self.digits[..8], &self.digits[8..])
    }
}

impl std::fmt::Display for PatientId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.digits)
    }
}

/// The birth date of 12 digits `YYYYMMDD...`, with samordningsnummer days (61–91)
/// mapped back.
fn birth_date_of(digits: &str) -> Option<NaiveDate> {
    let year: i32 = digits.get(0..4)?.parse().ok()?;
    let month: u32 = digits.get(4..6)?.parse().ok()?;
    let mut day: u32 = digits.get(6..8)?.parse().ok()?;
    if day > 60 {
        day -= 60;
    }
    NaiveDate::from_ymd_opt(year, month, day)
}

/// Luhn check over the 10 digits `YYMMDDNNNC`.
fn luhn_valid(ten: &str) -> bool {
    let sum: u32 = ten
        .bytes()
        .enumerate()
        .map(|(index, byte)| {
            let digit = u32::from(byte - b'0') * if index % 2 == 0 { 2 } else { 1 };
            digit / 10 + digit % 10
        })
        .sum();
    ten.len() == 10 && sum.is_multiple_of(10)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 22).expect("valid date")
    }

    fn parse(input: &str) -> Result<String, PatientIdError> {
        PatientId::parse_at(input, today()).map(|id| id.as_str().to_owned())
    }

    #[test]
    fn accepts_the_common_written_forms() {
        for form in [
            "191212121212",
            "19121212-1212",
            " 19121212-1212 ",
            "121212+1212",
        ] {
            assert_eq!(parse(form), Ok("191212121212".to_owned()), "{form}");
        }
        // Without '+', a 2-digit year is the latest century not in the future.
        assert_eq!(parse("121212-1212"), Ok("201212121212".to_owned()));
        assert_eq!(parse("1212121212"), Ok("201212121212".to_owned()));
    }

    #[test]
    fn skatteverket_style_test_numbers_are_valid() {
        // Test numbers in the 98xx/99xx serial series, and Tolvan Tolvansson.
        for number in [
            "199001019802",
            "202012319816",
            "200402299820",
            "198507159989",
        ] {
            let id = PatientId::parse_canonical(number).expect(number);
            assert_eq!(id.kind(), PatientIdKind::Personnummer);
            assert_eq!(id.oid(), PERSONNUMMER_OID);
        }
    }

    #[test]
    fn samordningsnummer_has_day_plus_sixty() {
        let id = PatientId::parse_at("701063-2391", today()).expect("valid");
        assert_eq!(id.as_str(), "197010632391");
        assert_eq!(id.kind(), PatientIdKind::Samordningsnummer);
        assert_eq!(id.oid(), SAMORDNINGSNUMMER_OID);
        assert_eq!(id.birth_date(), NaiveDate::from_ymd_opt(1970, 10, 3));
        assert!(PatientId::parse_canonical("201005619901").is_ok());
    }

    #[test]
    fn rejects_bad_checksums() {
        assert_eq!(parse("19121212-1213"), Err(PatientIdError::Checksum));
        assert_eq!(parse("199001019803"), Err(PatientIdError::Checksum));
        assert_eq!(parse("701063-2392"), Err(PatientIdError::Checksum));
    }

    #[test]
    fn rejects_impossible_dates() {
        // 2005-02-29 does not exist (2005 is no leap year); 2004-02-30 neither.
        assert_eq!(parse("20050229-1234"), Err(PatientIdError::Date));
        assert_eq!(parse("19901301-1234"), Err(PatientIdError::Date));
        assert_eq!(parse("19900100-1234"), Err(PatientIdError::Date));
        // Day 92 would be a samordningsnummer for day 32.
        assert_eq!(parse("19900192-1234"), Err(PatientIdError::Date));
        assert_eq!(parse("20301212-1210"), Err(PatientIdError::FutureDate));
    }

    #[test]
    fn rejects_malformed_input() {
        assert_eq!(parse(""), Err(PatientIdError::Empty));
        assert_eq!(parse("   "), Err(PatientIdError::Empty));
        for bad in [
            "1912121212121",
            "19121212_1212",
            "abcdefgh-ijkl",
            "191212-12",
            "19121212--1212",
            "١٩١٢١٢١٢١٢١٢",
        ] {
            assert_eq!(parse(bad), Err(PatientIdError::Format), "{bad}");
        }
        assert_eq!(parse("19121212+1212"), Err(PatientIdError::Format));
    }

    #[test]
    fn the_type_oid_must_match_the_number() {
        assert!(PatientId::from_typed("191212121212", PERSONNUMMER_OID).is_ok());
        assert_eq!(
            PatientId::from_typed("191212121212", SAMORDNINGSNUMMER_OID),
            Err(PatientIdError::TypeMismatch)
        );
        assert_eq!(
            PatientId::from_typed("191212121212", "1.2.3"),
            Err(PatientIdError::UnknownType)
        );
    }

    #[test]
    fn displays_with_a_dash() {
        let id = PatientId::parse_canonical("191212121212").expect("valid");
        assert_eq!(id.display_form(), "19121212-1212");
    }
}
