//! Money: ISO 4217 currencies, exact decimal amounts (never floating point), rounding and the
//! largest-remainder allocation that splits a total so the parts always add up to it.

use std::cmp::Reverse;
use std::fmt;
use std::str::FromStr;

pub use rust_decimal::Decimal;
use rust_decimal::RoundingStrategy;

use crate::validation::FieldError;

/// An active ISO 4217 currency, by its code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Currency(iso_currency::Currency);

impl Currency {
    /// Money only: the codes for testing and "no currency" (`XTS`, `XXX`) and the units without
    /// a minor unit (gold, SDR, bond units) are refused.
    pub fn parse(field: &str, value: &str) -> Result<Self, FieldError> {
        let code = value.trim().to_ascii_uppercase();
        iso_currency::Currency::from_code(&code)
            .filter(|c| c.exponent().is_some() && !matches!(c.code(), "XTS" | "XXX"))
            .map(Self)
            .ok_or_else(|| {
                FieldError::new(field, "must be an ISO 4217 currency code (USD, EUR...)")
            })
    }

    pub fn code(self) -> &'static str {
        self.0.code()
    }

    /// Digits after the decimal point of its minor unit (2 for USD, 0 for JPY, 3 for BHD).
    pub fn minor_digits(self) -> u32 {
        self.0.exponent().map_or(0, u32::from)
    }
}

/// Every code [`Currency::parse`] takes, in alphabetical order.
pub fn money_codes() -> &'static [&'static str] {
    static CODES: std::sync::OnceLock<Vec<&'static str>> = std::sync::OnceLock::new();
    CODES.get_or_init(|| {
        let letters = b'A'..=b'Z';
        letters
            .clone()
            .flat_map(|a| letters.clone().map(move |b| (a, b)))
            .flat_map(|(a, b)| (b'A'..=b'Z').map(move |c| [a, b, c]))
            .filter_map(|code| {
                let code = std::str::from_utf8(&code).ok()?;
                Currency::parse("currency", code).ok().map(Currency::code)
            })
            .collect()
    })
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// Minor digits of a currency code this system wrote (a statement's): 2 if it is unknown.
pub fn minor_digits_of(code: &str) -> u32 {
    Currency::parse("currency", code).map_or(2, Currency::minor_digits)
}

/// An exact decimal as clients write it: digits, an optional sign and decimal point, no
/// exponent, at most 28 significant digits.
pub fn parse_amount(field: &str, value: &str) -> Result<Decimal, FieldError> {
    let text = value.trim();
    let plain = !text.is_empty()
        && text
            .bytes()
            .enumerate()
            .all(|(i, b)| b.is_ascii_digit() || b == b'.' || (i == 0 && (b == b'-' || b == b'+')));
    if !plain {
        return Err(FieldError::new(field, "must be a decimal number (12.34)"));
    }
    Decimal::from_str_exact(text)
        .map_err(|_| FieldError::new(field, "must be a decimal number of at most 28 digits"))
}

/// Rounds half away from zero (half-up on positive amounts) to `digits` decimal places.
pub fn round(amount: Decimal, digits: u32) -> Decimal {
    amount.round_dp_with_strategy(digits, RoundingStrategy::MidpointAwayFromZero)
}

/// `amount` written with exactly `digits` decimal places (`12.30`).
pub fn format(amount: Decimal, digits: u32) -> String {
    let mut rounded = round(amount, digits);
    rounded.rescale(digits);
    rounded.to_string()
}

/// Whole minor units (cents) as a decimal amount of the currency.
pub fn from_minor(units: i64, digits: u32) -> Decimal {
    Decimal::new(units, digits)
}

/// Amounts this function is used for are rounded totals: at most 18 digits of minor units.
pub fn to_minor(amount: Decimal, digits: u32) -> Option<i64> {
    let mut scaled = round(amount, digits);
    scaled.rescale(digits);
    i64::try_from(scaled.mantissa()).ok()
}

impl FromStr for Currency {
    type Err = FieldError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse("currency", s)
    }
}

/// Splits `total` (in minor units, may be negative) in proportion to `weights` by the
/// largest-remainder method: every part gets its share rounded down, then the units left over go
/// one each to the parts with the largest remainders, ties to the lower key in byte order. The
/// parts always add up to `total` exactly, and each is within one unit of its exact share.
///
/// Returns the parts in the order given. All weights zero: everything goes by equal weights.
pub fn allocate<K: AsRef<[u8]>>(total: i64, weights: &[(K, u64)]) -> Vec<i64> {
    if weights.is_empty() {
        return Vec::new();
    }
    let all_zero = weights.iter().all(|(_, w)| *w == 0);
    let weight = |w: u64| i128::from(if all_zero { 1 } else { w });
    let sum: i128 = weights.iter().map(|(_, w)| weight(*w)).sum();
    let total = i128::from(total);
    let mut parts = Vec::with_capacity(weights.len());
    let mut remainders = Vec::with_capacity(weights.len());
    for (i, (_, w)) in weights.iter().enumerate() {
        let exact = total * weight(*w);
        parts.push(exact.div_euclid(sum));
        remainders.push((exact.rem_euclid(sum), i));
    }
    let left = total - parts.iter().sum::<i128>();
    remainders.sort_by(|(ra, ia), (rb, ib)| {
        (Reverse(ra), weights[*ia].0.as_ref()).cmp(&(Reverse(rb), weights[*ib].0.as_ref()))
    });
    for (_, i) in remainders.iter().take(usize::try_from(left).unwrap_or(0)) {
        parts[*i] += 1;
    }
    parts
        .into_iter()
        .map(|p| i64::try_from(p).expect("a part never exceeds the total"))
        .collect()
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn the_money_codes_are_the_ones_parse_takes() {
        let codes = money_codes();
        assert!(codes.contains(&"USD") && codes.contains(&"JPY") && codes.contains(&"BHD"));
        assert!(!codes.contains(&"XTS") && !codes.contains(&"XAU"));
        assert!(codes.windows(2).all(|w| w[0] < w[1]));
        assert!(codes.len() > 100, "{}", codes.len());
    }

    #[test]
    fn currencies_are_iso_codes_with_their_minor_units() {
        let usd = Currency::parse("c", "usd").expect("USD");
        assert_eq!((usd.code(), usd.minor_digits()), ("USD", 2));
        assert_eq!(
            Currency::parse("c", "JPY").map(Currency::minor_digits),
            Ok(0)
        );
        assert_eq!(
            Currency::parse("c", "BHD").map(Currency::minor_digits),
            Ok(3)
        );
        for bad in ["", "US", "ABC", "EURO", "€", "XAU", "XXX"] {
            assert!(Currency::parse("c", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn amounts_are_exact_decimals() {
        assert_eq!(
            parse_amount("a", "12.34").map(|d| d.to_string()),
            Ok("12.34".into())
        );
        assert_eq!(
            parse_amount("a", "-0.000000000001").map(|d| d.scale()),
            Ok(12)
        );
        for bad in ["", "1e3", "1,5", "12.3.4", "--1", "NaN", "0x10", " . "] {
            assert!(parse_amount("a", bad).is_err(), "{bad}");
        }
        let d = |s: &str| Decimal::from_str_exact(s).expect("decimal");
        assert_eq!(format(d("2.005"), 2), "2.01");
        assert_eq!(format(d("-2.005"), 2), "-2.01");
        assert_eq!(format(d("2.004999"), 2), "2.00");
        assert_eq!(format(d("7"), 2), "7.00");
        assert_eq!(to_minor(d("12.345"), 2), Some(1235));
        assert_eq!(from_minor(1235, 2).to_string(), "12.35");
    }

    #[test]
    fn allocation_by_hand() {
        // 100 cents in thirds: 33.33 each, the extra cent to the lowest id.
        assert_eq!(
            allocate(100, &[("b", 1), ("a", 1), ("c", 1)]),
            vec![33, 34, 33]
        );
        // 10.00 split 50/30/20 is exact.
        assert_eq!(
            allocate(1000, &[("x", 5000), ("y", 3000), ("z", 2000)]),
            vec![500, 300, 200]
        );
        // 0.05 split 3333/3333/3334: exact shares 1.6665, 1.6665, 1.667: floors 1, 1, 1; the two
        // cents left go to the largest remainders: z (.667), then the tie a < b goes to a.
        assert_eq!(
            allocate(5, &[("b", 3333), ("a", 3333), ("z", 3334)]),
            vec![1, 2, 2]
        );
        // A negative total (refunds exceed revenue) still adds up.
        assert_eq!(
            allocate(-100, &[("a", 1), ("b", 1), ("c", 1)]),
            vec![-33, -33, -34]
        );
        assert_eq!(allocate(7, &[("a", 0), ("b", 0)]), vec![4, 3]);
        assert!(allocate::<&str>(7, &[]).is_empty());
    }

    fn payees() -> impl Strategy<Value = Vec<(String, u64)>> {
        prop::collection::vec(("[a-z0-9-]{1,12}", 1u64..=10_000), 1..12).prop_map(|mut v| {
            v.sort();
            v.dedup_by(|a, b| a.0 == b.0);
            v
        })
    }

    proptest! {
        #[test]
        fn parts_add_up_to_the_total_and_stay_within_a_unit_of_the_exact_share(
            total in -1_000_000_000_000i64..1_000_000_000_000,
            weights in payees(),
        ) {
            let parts = allocate(total, &weights);
            prop_assert_eq!(parts.iter().sum::<i64>(), total);
            let sum: i128 = weights.iter().map(|(_, w)| i128::from(*w)).sum();
            for (part, (_, w)) in parts.iter().zip(&weights) {
                let exact = i128::from(total) * i128::from(*w);
                // floor(exact / sum) <= part <= floor(exact / sum) + 1
                let floor = exact.div_euclid(sum);
                prop_assert!(i128::from(*part) == floor || i128::from(*part) == floor + 1);
            }
        }

        #[test]
        fn the_order_given_does_not_change_who_gets_what(
            total in 0i64..10_000_000,
            weights in payees(),
        ) {
            let parts = allocate(total, &weights);
            let mut reversed = weights.clone();
            reversed.reverse();
            let mut again = allocate(total, &reversed);
            again.reverse();
            prop_assert_eq!(parts, again);
        }

        #[test]
        fn equal_weights_favour_lower_ids(total in 0i64..1000, n in 2usize..8) {
            let weights: Vec<(String, u64)> = (0..n).map(|i| (format!("payee-{i}"), 1)).collect();
            let parts = allocate(total, &weights);
            prop_assert!(parts.windows(2).all(|w| w[0] >= w[1]));
        }

        #[test]
        fn splits_in_basis_points_add_up_to_every_song_net(
            net in -10_000_000i64..10_000_000,
            cuts in prop::collection::vec(1u64..9_999, 0..6),
        ) {
            // Basis points that sum to exactly 10000, as splits are stored.
            let mut points: Vec<u64> = cuts.into_iter().filter(|c| *c < 10_000).collect();
            points.sort();
            points.dedup();
            let mut shares = Vec::new();
            let mut last = 0;
            for (i, p) in points.iter().chain(std::iter::once(&10_000)).enumerate() {
                if *p > last {
                    shares.push((format!("payee-{i:02}"), p - last));
                    last = *p;
                }
            }
            prop_assert_eq!(shares.iter().map(|(_, w)| w).sum::<u64>(), 10_000);
            prop_assert_eq!(allocate(net, &shares).iter().sum::<i64>(), net);
        }
    }
}
