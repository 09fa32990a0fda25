//! XML Schema built-in simple types used by the contracts.

use base64::Engine as _;

use super::XmlText;
use super::writer::escape_into;

/// `xs:string` (and string-based types without a pattern, such as HSAIdType).
impl XmlText for String {
    #[inline]
    fn from_xml_text(text: &str) -> Result<Self, String> {
        Ok(text.to_owned())
    }

    #[inline]
    fn write_xml_text(&self, out: &mut String) {
        escape_into(out, self, false);
    }
}

/// `xs:boolean`: `true`, `false`, `1`, `0` (surrounding whitespace collapsed).
impl XmlText for bool {
    fn from_xml_text(text: &str) -> Result<Self, String> {
        match text.trim() {
            "true" | "1" => Ok(true),
            "false" | "0" => Ok(false),
            _ => Err("not an xs:boolean (true, false, 1 or 0)".to_owned()),
        }
    }

    fn write_xml_text(&self, out: &mut String) {
        out.push_str(if *self { "true" } else { "false" });
    }
}

macro_rules! integer_text {
    ($($ty:ty => $xsd:literal),*) => {$(
        impl XmlText for $ty {
            fn from_xml_text(text: &str) -> Result<Self, String> {
                let trimmed = text.trim();
                let digits = trimmed.strip_prefix('+').unwrap_or(trimmed);
                digits.parse::<$ty>().map_err(|_| concat!("not an ", $xsd).to_owned())
            }

            fn write_xml_text(&self, out: &mut String) {
                use std::fmt::Write as _;
                let _ = write!(out, "{self}");
            }
        }
    )*};
}
integer_text!(i32 => "xs:int", i64 => "xs:long", u32 => "xs:unsignedInt");

/// `xs:double`. Written in Rust's shortest round-trip form (`12.5`, `70`).
impl XmlText for f64 {
    fn from_xml_text(text: &str) -> Result<Self, String> {
        match text.trim() {
            "INF" => Ok(f64::INFINITY),
            "-INF" => Ok(f64::NEG_INFINITY),
            "NaN" => Ok(f64::NAN),
            other => {
                let valid = !other.is_empty()
                    && other
                        .bytes()
                        .all(|b| b.is_ascii_digit() || b"+-.eE".contains(&b));
                if !valid {
                    return Err("not an xs:double".to_owned());
                }
                other
                    .parse::<f64>()
                    .map_err(|_| "not an xs:double".to_owned())
            }
        }
    }

    fn write_xml_text(&self, out: &mut String) {
        use std::fmt::Write as _;
        if self.is_nan() {
            out.push_str("NaN");
        } else if self.is_infinite() {
            out.push_str(if *self > 0.0 { "INF" } else { "-INF" });
        } else {
            let _ = write!(out, "{self}");
        }
    }
}

/// `xs:decimal`, kept in its lexical form so that values round-trip exactly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decimal(String);

impl Decimal {
    /// Parses an `xs:decimal` lexical form such as `-12.50`.
    pub fn parse(text: &str) -> Option<Self> {
        let trimmed = text.trim();
        let unsigned = trimmed.strip_prefix(['+', '-']).unwrap_or(trimmed);
        let (whole, fraction) = unsigned.split_once('.').unwrap_or((unsigned, ""));
        let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if (whole.is_empty() && fraction.is_empty()) || !digits(whole) || !digits(fraction) {
            return None;
        }
        Some(Decimal(trimmed.to_owned()))
    }

    /// The lexical form.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The value as a float, for arithmetic and display.
    pub fn to_f64(&self) -> f64 {
        self.0.parse().unwrap_or(f64::NAN)
    }
}

impl XmlText for Decimal {
    fn from_xml_text(text: &str) -> Result<Self, String> {
        Decimal::parse(text).ok_or_else(|| "not an xs:decimal".to_owned())
    }

    fn write_xml_text(&self, out: &mut String) {
        out.push_str(&self.0);
    }
}

/// `xs:base64Binary`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Base64Binary(pub Vec<u8>);

impl XmlText for Base64Binary {
    fn from_xml_text(text: &str) -> Result<Self, String> {
        let compact: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
        base64::engine::general_purpose::STANDARD
            .decode(compact.as_bytes())
            .map(Base64Binary)
            .map_err(|_| "not valid xs:base64Binary".to_owned())
    }

    fn write_xml_text(&self, out: &mut String) {
        base64::engine::general_purpose::STANDARD.encode_string(&self.0, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn booleans_accept_all_lexical_forms() {
        assert_eq!(bool::from_xml_text("1"), Ok(true));
        assert_eq!(bool::from_xml_text(" false "), Ok(false));
        assert!(bool::from_xml_text("yes").is_err());
    }

    #[test]
    fn decimals_round_trip_lexically() {
        assert_eq!(
            Decimal::parse("12.50").map(|d| d.as_str().to_owned()),
            Some("12.50".into())
        );
        assert!(Decimal::parse("1e5").is_none());
        assert!(Decimal::parse(".").is_none());
        assert!(Decimal::parse("-.5").is_some());
    }

    #[test]
    fn doubles_reject_garbage() {
        assert!(f64::from_xml_text("12,5").is_err());
        assert_eq!(f64::from_xml_text("3.5"), Ok(3.5));
    }
}
