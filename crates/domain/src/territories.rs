//! Where a release may be sold: worldwide, a list of countries, or worldwide except some.
//! Countries are ISO 3166-1 alpha-2 codes as DDEX accepts them (the AVS `CurrentTerritoryCode`).

use crate::validation::FieldError;

pub const WORLDWIDE: &str = "Worldwide";

/// The ISO 3166-1 alpha-2 codes of DDEX's allowed-value set 3, sorted.
pub const COUNTRIES: &[&str] = &[
    "AD", "AE", "AF", "AG", "AI", "AL", "AM", "AN", "AO", "AQ", "AR", "AS", "AT", "AU", "AW", "AX",
    "AZ", "BA", "BB", "BD", "BE", "BF", "BG", "BH", "BI", "BJ", "BL", "BM", "BN", "BO", "BQ", "BR",
    "BS", "BT", "BV", "BW", "BY", "BZ", "CA", "CC", "CD", "CF", "CG", "CH", "CI", "CK", "CL", "CM",
    "CN", "CO", "CR", "CS", "CU", "CV", "CW", "CX", "CY", "CZ", "DE", "DJ", "DK", "DM", "DO", "DZ",
    "EC", "EE", "EG", "EH", "ER", "ES", "ET", "FI", "FJ", "FK", "FM", "FO", "FR", "GA", "GB", "GD",
    "GE", "GF", "GG", "GH", "GI", "GL", "GM", "GN", "GP", "GQ", "GR", "GS", "GT", "GU", "GW", "GY",
    "HK", "HM", "HN", "HR", "HT", "HU", "ID", "IE", "IL", "IM", "IN", "IO", "IQ", "IR", "IS", "IT",
    "JE", "JM", "JO", "JP", "KE", "KG", "KH", "KI", "KM", "KN", "KP", "KR", "KW", "KY", "KZ", "LA",
    "LB", "LC", "LI", "LK", "LR", "LS", "LT", "LU", "LV", "LY", "MA", "MC", "MD", "ME", "MF", "MG",
    "MH", "MK", "ML", "MM", "MN", "MO", "MP", "MQ", "MR", "MS", "MT", "MU", "MV", "MW", "MX", "MY",
    "MZ", "NA", "NC", "NE", "NF", "NG", "NI", "NL", "NO", "NP", "NR", "NU", "NZ", "OM", "PA", "PE",
    "PF", "PG", "PH", "PK", "PL", "PM", "PN", "PR", "PS", "PT", "PW", "PY", "QA", "RE", "RO", "RS",
    "RU", "RW", "SA", "SB", "SC", "SD", "SE", "SG", "SH", "SI", "SJ", "SK", "SL", "SM", "SN", "SO",
    "SR", "SS", "ST", "SV", "SX", "SY", "SZ", "TC", "TD", "TF", "TG", "TH", "TJ", "TK", "TL", "TM",
    "TN", "TO", "TR", "TT", "TV", "TW", "TZ", "UA", "UG", "UM", "US", "UY", "UZ", "VA", "VC", "VE",
    "VG", "VI", "VN", "VU", "WF", "WS", "XK", "YE", "YT", "ZA", "ZM", "ZW",
];

/// `Worldwide`, some countries, or worldwide except some: DDEX deals carry either territory codes
/// or excluded ones, never both.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Territories {
    #[default]
    Worldwide,
    Only(Vec<String>),
    Except(Vec<String>),
}

impl Territories {
    /// Reads the API's list: `["Worldwide"]`, country codes (`["US", "CA"]`), or `"Worldwide"`
    /// with exclusions written `-CODE` (`["Worldwide", "-KP"]`). Duplicates are dropped and codes
    /// sorted, so equal territories compare (and serialise) equal.
    pub fn parse(field: &str, entries: &[String]) -> Result<Self, FieldError> {
        let mut worldwide = false;
        let mut only = Vec::new();
        let mut except = Vec::new();
        for entry in entries {
            let entry = entry.trim();
            if entry.eq_ignore_ascii_case(WORLDWIDE) {
                worldwide = true;
                continue;
            }
            let (excluded, code) = match entry.strip_prefix('-') {
                Some(code) => (true, code),
                None => (false, entry),
            };
            let code = code.to_ascii_uppercase();
            if COUNTRIES.binary_search(&code.as_str()).is_err() {
                return Err(FieldError::new(
                    field,
                    format!(
                        "`{entry}` is not \"Worldwide\" nor an ISO 3166-1 alpha-2 country code"
                    ),
                ));
            }
            if excluded {
                except.push(code)
            } else {
                only.push(code)
            }
        }
        for list in [&mut only, &mut except] {
            list.sort();
            list.dedup();
        }
        match (worldwide, only.is_empty(), except.is_empty()) {
            (_, true, true) if worldwide => Ok(Territories::Worldwide),
            (true, true, false) => Ok(Territories::Except(except)),
            (false, false, true) => Ok(Territories::Only(only)),
            (_, true, true) => Err(FieldError::new(field, "must name at least one territory")),
            (true, false, _) => Err(FieldError::new(
                field,
                "lists countries and \"Worldwide\": use exclusions (\"-KP\") instead",
            )),
            (false, _, false) => Err(FieldError::new(
                field,
                "exclusions (\"-KP\") only go with \"Worldwide\"",
            )),
        }
    }

    /// The API's list form, as `parse` reads it.
    pub fn to_list(&self) -> Vec<String> {
        match self {
            Territories::Worldwide => vec![WORLDWIDE.to_owned()],
            Territories::Only(codes) => codes.clone(),
            Territories::Except(codes) => std::iter::once(WORLDWIDE.to_owned())
                .chain(codes.iter().map(|c| format!("-{c}")))
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(entries: &[&str]) -> Result<Territories, FieldError> {
        let entries: Vec<String> = entries.iter().map(|e| (*e).to_owned()).collect();
        Territories::parse("territories", &entries)
    }

    #[test]
    fn countries_are_sorted_for_lookup() {
        assert!(COUNTRIES.windows(2).all(|w| w[0] < w[1]));
        assert!(COUNTRIES.contains(&"ID") && COUNTRIES.contains(&"US"));
    }

    #[test]
    fn reads_the_three_forms_and_refuses_mixtures() {
        assert_eq!(parse(&["Worldwide"]).ok(), Some(Territories::Worldwide));
        assert_eq!(
            parse(&["us", "CA", "US"]).ok(),
            Some(Territories::Only(vec!["CA".into(), "US".into()]))
        );
        let except = parse(&["Worldwide", "-KP", "-cu"]).expect("exclusions");
        assert_eq!(except, Territories::Except(vec!["CU".into(), "KP".into()]));
        assert_eq!(except.to_list(), ["Worldwide", "-CU", "-KP"]);
        for bad in [
            &["XX"][..],
            &["Worldwide", "US"],
            &["US", "-CA"],
            &[],
            &["Mars"],
        ] {
            assert!(parse(bad).is_err(), "{bad:?}");
        }
    }
}
