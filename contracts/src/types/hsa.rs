//! HSA-IDs: identifiers in the national HSA directory (units, care givers, people,
//! systems) and RIV-TA logical addresses.

/// Longest HSA-ID accepted (the directory's limit is 64 characters).
pub const MAX_HSA_ID_LEN: usize = 64;

/// A syntactically valid HSA-ID such as `SE2321000016-7P3K`.
///
/// HSAIdType is a plain string in the schemas, so message fields stay `String`; this
/// type is for the edges (configuration, certificates, routing tables) where a value
/// must be checked. Comparison with [`HsaId::matches`] ignores ASCII case, as the
/// platform's routing does.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct HsaId(String);

/// Why a string is not an HSA-ID.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum HsaIdError {
    /// Empty or whitespace only.
    #[error("HSA-ID is empty")]
    Empty,
    /// Leading or trailing whitespace.
    #[error("HSA-ID has leading or trailing whitespace")]
    Padded,
    /// Too long.
    #[error("HSA-ID is longer than {MAX_HSA_ID_LEN} characters")]
    TooLong,
    /// A character outside A–Z, a–z, 0–9, `-`, `_`, `.`.
    #[error("HSA-ID may contain only letters A-Z, digits, '-', '_' and '.'")]
    Character,
}

impl HsaId {
    /// Validates an HSA-ID exactly as given (whitespace is an error, not trimmed).
    pub fn parse(text: &str) -> Result<Self, HsaIdError> {
        if text.trim().is_empty() {
            return Err(HsaIdError::Empty);
        }
        if text.trim() != text {
            return Err(HsaIdError::Padded);
        }
        if text.len() > MAX_HSA_ID_LEN {
            return Err(HsaIdError::TooLong);
        }
        if !text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        {
            return Err(HsaIdError::Character);
        }
        Ok(HsaId(text.to_owned()))
    }

    /// The HSA-ID as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Case-insensitive equality with another identifier.
    pub fn matches(&self, other: &str) -> bool {
        self.0.eq_ignore_ascii_case(other)
    }
}

impl std::fmt::Display for HsaId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::str::FromStr for HsaId {
    type Err = HsaIdError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        HsaId::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_real_shapes() {
        for id in [
            "SE2321000016-7P3K",
            "5565594230",
            "SE162321000024-0001",
            "HSA-ID.1_a",
        ] {
            assert!(HsaId::parse(id).is_ok(), "{id}");
        }
    }

    #[test]
    fn rejects_padding_blanks_and_odd_characters() {
        assert_eq!(HsaId::parse(""), Err(HsaIdError::Empty));
        assert_eq!(HsaId::parse("  "), Err(HsaIdError::Empty));
        assert_eq!(HsaId::parse(" SE123"), Err(HsaIdError::Padded));
        assert_eq!(HsaId::parse("SE 123"), Err(HsaIdError::Character));
        assert_eq!(HsaId::parse("SE<123>"), Err(HsaIdError::Character));
        assert_eq!(HsaId::parse(&"A".repeat(65)), Err(HsaIdError::TooLong));
    }

    #[test]
    fn matching_ignores_case() {
        let id = HsaId::parse("SE2321000016-7P3K").expect("valid");
        assert!(id.matches("se2321000016-7p3k"));
        assert!(!id.matches("SE2321000016-7P3L"));
    }
}
