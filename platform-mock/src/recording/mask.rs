//! Masking of Swedish personal identity numbers (personnummer, samordningsnummer) in
//! recorded bodies.
//!
//! Masked forms, each standing alone (no letter or digit right before or after):
//! `YYYYMMDDNNNN`, `YYYYMMDD-NNNN`, `YYYYMMDD+NNNN`, `YYMMDDNNNN`, `YYMMDD-NNNN`,
//! `YYMMDD+NNNN`, where MM is 01–12 and DD is 01–31 (personnummer) or 61–91
//! (samordningsnummer). The check digit is not verified: test data often has a wrong one,
//! and masking too much is the safe side. Organisation numbers (MM ≥ 20 by design) and
//! HSA-IDs (`SE2120009994-...`: a letter before the digits) are left alone. Every digit of
//! a match becomes `X`; separators stay, so the length and the XML stay as they were.

/// Masks every personal identity number in `body`, in place.
pub fn mask_personal_ids(body: &mut [u8]) {
    let mut i = 0;
    while i < body.len() {
        let starts_token = body.get(i).is_some_and(u8::is_ascii_digit)
            && (i == 0 || !body.get(i - 1).is_some_and(u8::is_ascii_alphanumeric));
        if starts_token && let Some(len) = id_at(body.get(i..).unwrap_or_default()) {
            if let Some(slice) = body.get_mut(i..i + len) {
                for b in slice.iter_mut().filter(|b| b.is_ascii_digit()) {
                    *b = b'X';
                }
            }
            i += len;
            continue;
        }
        // Skip the rest of this run of digits and letters: an id cannot start inside it.
        if body.get(i).is_some_and(u8::is_ascii_alphanumeric) {
            while body.get(i).is_some_and(u8::is_ascii_alphanumeric) {
                i += 1;
            }
        } else {
            i += 1;
        }
    }
}

/// The length of the identity number at the start of `s`, if one is there.
fn id_at(s: &[u8]) -> Option<usize> {
    let digits = s.iter().take_while(|b| b.is_ascii_digit()).count();
    let date_len = match digits {
        12 => 8,
        10 => 6,
        8 | 6 => digits,
        _ => return None,
    };
    let total = if digits == date_len {
        // With a separator: date, `-` or `+`, four digits.
        let sep = *s.get(date_len)?;
        if sep != b'-' && sep != b'+' {
            return None;
        }
        let tail = s.get(date_len + 1..)?;
        if tail.iter().take_while(|b| b.is_ascii_digit()).count() != 4 {
            return None;
        }
        date_len + 5
    } else {
        digits
    };
    if s.get(total).is_some_and(u8::is_ascii_alphanumeric) {
        return None;
    }
    let date = s.get(date_len - 4..date_len)?;
    let two = |at: usize| -> Option<u8> {
        let hi = date.get(at)?.checked_sub(b'0')?;
        let lo = date.get(at + 1)?.checked_sub(b'0')?;
        Some(hi * 10 + lo)
    };
    let (month, day) = (two(0)?, two(2)?);
    let day_ok = (1..=31).contains(&day) || (61..=91).contains(&day);
    ((1..=12).contains(&month) && day_ok).then_some(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn masked(text: &str) -> String {
        let mut bytes = text.as_bytes().to_vec();
        mask_personal_ids(&mut bytes);
        String::from_utf8(bytes).unwrap()
    }

    #[test]
    fn masks_every_form() {
        assert_eq!(masked("<id>191212121212</id>"), "<id>XXXXXXXXXXXX</id>");
        assert_eq!(masked("19121212-1212"), "XXXXXXXX-XXXX");
        assert_eq!(masked("1212121212"), "XXXXXXXXXX");
        assert_eq!(
            masked("121212-1212 and 121212+1212"),
            "XXXXXX-XXXX and XXXXXX+XXXX"
        );
        // Samordningsnummer: day + 60.
        assert_eq!(masked("\"197010632391\""), "\"XXXXXXXXXXXX\"");
    }

    #[test]
    fn leaves_other_numbers_alone() {
        for text in [
            "SE2120009994-N1SE",
            "5565594230",
            "1234567890123",
            "20240101",
            "191213131212",
            "2024-01-01T10:00:00",
            "x191212121212",
            "191212121212x",
            "19121212-12345",
        ] {
            assert_eq!(masked(text), text);
        }
    }
}
