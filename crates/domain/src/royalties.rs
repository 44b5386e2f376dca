//! Royalty runs and the splits they apply.

use crate::text_enum::text_enum;
use crate::validation::FieldError;

/// All of a song's net, in basis points.
pub const WHOLE_BPS: u32 = 10_000;

text_enum! {
    /// `queued` → `running` → `succeeded` (or `failed`, with nothing written); a later run of the
    /// same period (`?rerun=true`) makes it `superseded`.
    pub enum RunStatus {
        Queued = "queued",
        Running = "running",
        Succeeded = "succeeded",
        Failed = "failed",
        Superseded = "superseded",
    }
}

text_enum! {
    /// A payout batch is `open` (its payment file exported, the money on its way) until an admin
    /// marks it `paid`.
    pub enum PayoutStatus {
        Open = "open",
        Paid = "paid",
    }
}

/// Shares in basis points, each above zero, adding up to exactly 10000.
pub fn check_shares(field: &str, shares: &[u32]) -> Result<(), FieldError> {
    if shares.is_empty() {
        return Err(FieldError::new(field, "must name at least one payee"));
    }
    if shares.iter().any(|s| *s == 0 || *s > WHOLE_BPS) {
        return Err(FieldError::new(
            field,
            "each shareBps must be a whole number from 1 to 10000",
        ));
    }
    let sum: u32 = shares.iter().sum();
    if sum != WHOLE_BPS {
        return Err(FieldError::new(
            field,
            format!("shares must add up to 10000 basis points, not {sum}"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_add_up_to_the_whole() {
        assert!(check_shares("splits", &[5000, 3000, 2000]).is_ok());
        assert!(check_shares("splits", &[10_000]).is_ok());
        for bad in [
            &[][..],
            &[5000, 4999],
            &[5000, 5001],
            &[0, 10_000],
            &[10_001],
        ] {
            assert!(check_shares("splits", bad).is_err(), "{bad:?}");
        }
    }
}
