//! The industry's identifiers: ISRC for recordings, UPC/EAN for releases (DDEX calls it ICPN),
//! ISWC for musical works. Each parses once at the edge into a type that can only hold a valid,
//! normalised value (upper case, no separators).

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::validation::FieldError;

/// Keeps ASCII letters and digits, dropping the separators people type (`-`, `.`, spaces).
fn compact(value: &str) -> String {
    value
        .chars()
        .filter(|c| !matches!(c, '-' | '.' | ' '))
        .collect::<String>()
        .to_ascii_uppercase()
}

/// International Standard Recording Code: `CC-XXX-YY-NNNNN`, a country code (2 letters), a
/// registrant (3 letters or digits), the year of reference (2 digits) and a designation
/// (5 digits). ISRCs carry no check digit.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Isrc(String);

impl Isrc {
    pub fn parse(field: &str, value: &str) -> Result<Self, FieldError> {
        let code = compact(value);
        let bytes = code.as_bytes();
        let valid = bytes.len() == 12
            && bytes[..2].iter().all(u8::is_ascii_uppercase)
            && bytes[2..5].iter().all(u8::is_ascii_alphanumeric)
            && bytes[5..].iter().all(u8::is_ascii_digit);
        if !valid {
            return Err(FieldError::new(
                field,
                "must be an ISRC: CC-XXX-YY-NNNNN (country, registrant, year, designation)",
            ));
        }
        Ok(Self(code))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A release's barcode: UPC-A (12 digits) or EAN-13, its last digit the GS1 check digit.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Upc(String);

/// The GS1 check digit of `digits` (the code without its check digit): weights 3 and 1
/// alternate from the rightmost digit.
fn gs1_check_digit(digits: &[u8]) -> u8 {
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, d)| u32::from(d - b'0') * if i % 2 == 0 { 3 } else { 1 })
        .sum();
    ((10 - sum % 10) % 10) as u8
}

impl Upc {
    pub fn parse(field: &str, value: &str) -> Result<Self, FieldError> {
        let code = compact(value);
        let bytes = code.as_bytes();
        if !matches!(bytes.len(), 12 | 13) || !bytes.iter().all(u8::is_ascii_digit) {
            return Err(FieldError::new(
                field,
                "must be a UPC-A (12 digits) or an EAN-13 (13 digits)",
            ));
        }
        let (body, check) = bytes.split_at(bytes.len() - 1);
        if gs1_check_digit(body) != check[0] - b'0' {
            return Err(FieldError::new(field, "has a wrong check digit"));
        }
        Ok(Self(code))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// International Standard Musical Work Code: `T` and 9 digits, then a check digit (written
/// `T-034.524.680-1`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Iswc(String);

impl Iswc {
    pub fn parse(field: &str, value: &str) -> Result<Self, FieldError> {
        let code = compact(value);
        let bytes = code.as_bytes();
        if bytes.len() != 11 || bytes[0] != b'T' || !bytes[1..].iter().all(u8::is_ascii_digit) {
            return Err(FieldError::new(
                field,
                "must be an ISWC: T followed by 10 digits (T-034.524.680-1)",
            ));
        }
        // 1 + the sum of each work digit times its position, then 10 minus that modulo 10.
        let sum: u32 = 1 + bytes[1..10]
            .iter()
            .enumerate()
            .map(|(i, d)| (i as u32 + 1) * u32::from(d - b'0'))
            .sum::<u32>();
        let check = (10 - sum % 10) % 10;
        if check != u32::from(bytes[10] - b'0') {
            return Err(FieldError::new(field, "has a wrong check digit"));
        }
        Ok(Self(code))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

macro_rules! display_and_sql {
    ($($ty:ty),+) => {$(
        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    )+};
}
display_and_sql!(Isrc, Upc, Iswc);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn isrc_worked_examples_and_near_misses() {
        // IFPI's ISRC handbook example, written with and without its hyphens.
        assert_eq!(
            Isrc::parse("isrc", "US-S1Z-99-00001")
                .map(|i| i.0)
                .ok()
                .as_deref(),
            Some("USS1Z9900001")
        );
        assert_eq!(
            Isrc::parse("isrc", "gbayc1700598")
                .map(|i| i.0)
                .ok()
                .as_deref(),
            Some("GBAYC1700598")
        );
        for bad in [
            "USS1Z990000",   // one digit short
            "USS1Z99000011", // one digit long
            "U1S1Z9900001",  // a digit in the country code
            "USS1Z9A00001",  // a letter in the year
            "USS1Z99-0000X", // a letter in the designation
            "",
        ] {
            assert!(Isrc::parse("isrc", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn upc_and_ean_check_digits() {
        // GS1's UPC-A example and the EAN-13 of Wikipedia's article, then each with its check
        // digit one off.
        assert!(Upc::parse("upc", "036000291452").is_ok());
        assert!(Upc::parse("upc", "4006381333931").is_ok());
        assert!(Upc::parse("upc", "0 36000 29145 2").is_ok());
        assert_eq!(
            Upc::parse("upc", "036000291453")
                .map_err(|e| e.message)
                .err()
                .as_deref(),
            Some("has a wrong check digit")
        );
        assert!(Upc::parse("upc", "4006381333932").is_err());
        assert!(Upc::parse("upc", "4006381333930").is_err());
        // One digit changed in the body.
        assert!(Upc::parse("upc", "036000291462").is_err());
        for bad in ["03600029145", "40063813339311", "03600029145A", ""] {
            assert!(Upc::parse("upc", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn iswc_check_digits() {
        // CISAC's worked example T-034.524.680-1, and the same with the check digit one off.
        assert_eq!(
            Iswc::parse("iswc", "T-034.524.680-1")
                .map(|i| i.0)
                .ok()
                .as_deref(),
            Some("T0345246801")
        );
        assert!(Iswc::parse("iswc", "T0345246801").is_ok());
        assert!(Iswc::parse("iswc", "T-034.524.680-2").is_err());
        assert!(Iswc::parse("iswc", "T-034.524.680-0").is_err());
        // One work digit changed.
        assert!(Iswc::parse("iswc", "T-034.524.681-1").is_err());
        for bad in ["034.524.680-1", "T-034.524.68-1", "X-034.524.680-1", ""] {
            assert!(Iswc::parse("iswc", bad).is_err(), "{bad}");
        }
    }
}
