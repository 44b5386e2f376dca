//! Exchange rates per period, set by admins: base-currency units per unit of each currency the
//! period's reports are in. A run without a rate for one of them fails, naming it.

use std::collections::BTreeMap;

use backbeat_db::fx_rates;
use backbeat_domain::money::{Currency, Decimal, parse_amount};
use backbeat_domain::period::Period;
use backbeat_domain::{Actor, FieldError};
use diesel_async::AsyncConnection;

use crate::audit::{self, Target};
use crate::royalties::base_currency;
use crate::{Context, Error, Result};

const WHAT: &str = "set exchange rates";
const READ: &str = "read exchange rates";

pub async fn get(ctx: &Context, actor: &Actor, period: Period) -> Result<Vec<(String, Decimal)>> {
    crate::admin::require(actor, READ)?;
    Ok(fx_rates::of_period(&mut *ctx.conn().await?, period).await?)
}

/// Replaces the period's rates with `rates` (`{"EUR": "1.08"}`); a rerun of the period uses them.
pub async fn replace(
    ctx: &Context,
    actor: &Actor,
    period: Period,
    rates: BTreeMap<String, String>,
) -> Result<Vec<(String, Decimal)>> {
    crate::admin::require_session(actor, WHAT)?;
    let base = base_currency(ctx)?;
    let mut errors = Vec::new();
    let mut parsed = Vec::with_capacity(rates.len());
    for (code, rate) in &rates {
        let field = format!("rates.{code}");
        let currency = match Currency::parse(&field, code) {
            Ok(c) if c == base => {
                errors.push(FieldError::new(
                    &field,
                    format!("is the base currency ({base}): its rate is 1"),
                ));
                continue;
            }
            Ok(c) => c,
            Err(e) => {
                errors.push(e);
                continue;
            }
        };
        match parse_amount(&field, rate) {
            Ok(r) if r > Decimal::ZERO => parsed.push((currency.code().to_owned(), r)),
            Ok(_) => errors.push(FieldError::new(&field, "must be above 0")),
            Err(e) => errors.push(e),
        }
    }
    if !errors.is_empty() {
        return Err(Error::Invalid(errors));
    }
    let mut conn = ctx.conn().await?;
    conn.transaction::<_, Error, _>(async |conn| {
        let rates = |list: &[(String, Decimal)]| {
            serde_json::Value::Object(
                list.iter()
                    .map(|(code, rate)| (code.clone(), rate.to_string().into()))
                    .collect(),
            )
        };
        let before = fx_rates::of_period(conn, period).await?;
        fx_rates::replace(conn, period, &parsed, &actor.user_id).await?;
        audit::record(
            conn,
            actor.user_id.as_str(),
            "fx_rates.replace",
            Target {
                kind: "period",
                id: &period.to_string(),
            },
            Some(rates(&before)),
            Some(rates(&parsed)),
        )
        .await
    })
    .await?;
    Ok(fx_rates::of_period(&mut conn, period).await?)
}
