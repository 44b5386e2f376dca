//! Royalties: splits of each song's net among payees ([`splits`]), the contract terms a run
//! applies (platform fees live with the platforms; exchange rates in [`fx`]; [`advances`], and
//! how earnings recoup them in [`recoupment`]), the run that turns a period's matched usage into statements ([`runs`]), their approval
//! ([`approval`]), the statements payees read and receive by email ([`statements`]), and the
//! payouts that pay them and lock their periods ([`payouts`]).
//!
//! Money is exact decimal end to end. A run converts and takes fees per line exactly (numeric
//! products, never rounded), rounds each song's net once (half away from zero) to the base
//! currency's minor unit, and splits it by largest remainder, so payees' amounts always add up to
//! the song's net.

pub mod advances;
pub mod approval;
pub mod fx;
pub mod payouts;
pub mod recoupment;
pub mod runs;
pub mod splits;
pub mod statement_pdf;
pub mod statements;

use backbeat_domain::money::{Currency, Decimal, parse_amount};

use crate::{Context, Error, Result};

/// The currency statements are in (`royalties.base_currency`).
pub fn base_currency(ctx: &Context) -> Result<Currency> {
    Currency::parse(
        "royalties.base_currency",
        &ctx.settings.royalties.base_currency,
    )
    .map_err(|e| Error::internal(anyhow::anyhow!("configuration: {}", e.sentence())))
}

/// Balances below this are carried forward (`royalties.minimum_payout`).
pub fn minimum_payout(ctx: &Context) -> Result<Decimal> {
    parse_amount(
        "royalties.minimum_payout",
        &ctx.settings.royalties.minimum_payout,
    )
    .map_err(|e| Error::internal(anyhow::anyhow!("configuration: {}", e.sentence())))
}
