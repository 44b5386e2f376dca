//! Payouts: an admin takes every approved payable balance at or above its payee's threshold into
//! a batch (one payment per payee), exports it as a payment file for the bank or payment
//! provider, and marks it paid once the money is sent. A period with a payment standing is
//! locked: it cannot be rerun until an admin records the payments' reversal.

use backbeat_db::payouts::{self, Batch, Payment};
use backbeat_db::{payees, users};
use backbeat_domain::Actor;
use backbeat_domain::ids::{PayoutId, UserId};
use backbeat_domain::money::{self, Decimal, parse_amount};
use backbeat_domain::period::Period;
use backbeat_domain::royalties::PayoutStatus;
use chrono::Utc;
use diesel_async::{AsyncConnection, AsyncPgConnection};
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::audit::{self, Target};
use crate::royalties::base_currency;
use crate::{Context, Error, Result};

const WHAT: &str = "make payouts";

/// Takes every payable balance into a new open batch. Refused (409) when nothing is payable.
pub async fn create(ctx: &Context, actor: &Actor) -> Result<(Batch, Vec<Payment>)> {
    crate::admin::require_session(actor, WHAT)?;
    let base = base_currency(ctx)?;
    let mut conn = ctx.conn().await?;
    let id = PayoutId::generate();
    let (batch, payments) = conn
        .transaction::<_, Error, _>(async |conn| {
            payouts::lock(conn).await?;
            let payable = payouts::payable(conn, base.code()).await?;
            if payable.is_empty() {
                return Err(Error::Conflict(
                    "nothing is payable: no approved statement has a payable balance at or above its payee's threshold that no payout has taken".to_owned(),
                ));
            }
            let payments: Vec<Payment> = payable
                .into_iter()
                .map(|p| Payment {
                    batch_id: id.clone(),
                    reference: reference(&id, &p.statement_id, p.period),
                    statement_id: p.statement_id,
                    payee_id: p.payee_id,
                    period: p.period,
                    email: p.email,
                    amount: p.amount,
                    currency: p.currency,
                    reversed_at: None,
                    reversed_by: None,
                    reversal_reason: None,
                })
                .collect();
            let total: Decimal = payments.iter().map(|p| p.amount).sum();
            let batch = Batch {
                id: id.clone(),
                status: PayoutStatus::Open,
                currency: base.code().to_owned(),
                total,
                payments: i32::try_from(payments.len()).unwrap_or(i32::MAX),
                created_by: Some(actor.user_id.clone()),
                created_at: Utc::now(),
                paid_by: None,
                paid_at: None,
            };
            payouts::insert(conn, &batch, &payments).await?;
            audit::record(
                conn,
                actor.user_id.as_str(),
                "payout.create",
                Target {
                    kind: "payout",
                    id: id.as_str(),
                },
                None,
                Some(json!({
                    "payments": payments.len(),
                    "total": money::format(total, base.minor_digits()),
                    "currency": base.code(),
                })),
            )
            .await?;
            Ok((batch, payments))
        })
        .await?;
    Ok((batch, payments))
}

/// What the payee sees on the transfer: the period and a digest of the payment, unique across
/// payouts (the column is unique) and plain enough for any bank's reference field.
fn reference(
    batch: &PayoutId,
    statement: &backbeat_domain::ids::StatementId,
    period: Period,
) -> String {
    let digest = Sha256::digest(format!("{batch}/{statement}"));
    let hex = backbeat_storage::hex(&digest[..6]).to_ascii_uppercase();
    format!("RY{}-{hex}", period.to_string().replace('-', ""))
}

pub async fn get(ctx: &Context, actor: &Actor, id: &PayoutId) -> Result<(Batch, Vec<Payment>)> {
    crate::admin::require_session(actor, WHAT)?;
    let mut conn = ctx.conn().await?;
    let batch = payouts::find(&mut conn, id)
        .await?
        .ok_or_else(|| Error::not_found("payout"))?;
    let payments = payouts::payments(&mut conn, id).await?;
    Ok((batch, payments))
}

/// The batch's payment file, `payee,email,amount,currency,reference` (the columns mass-payment
/// uploads take), one row per standing payment: `(file name, bytes)`.
pub async fn payment_file(
    ctx: &Context,
    actor: &Actor,
    id: &PayoutId,
) -> Result<(String, Vec<u8>)> {
    use crate::csv_export::{CsvExport, Kind::*};
    let (batch, payments) = get(ctx, actor, id).await?;
    let digits = money::minor_digits_of(&batch.currency);
    let mut out = CsvExport::new(&[
        ("payee", Text),
        ("email", Text),
        ("amount", Number),
        ("currency", Text),
        ("reference", Text),
    ])
    .map_err(Error::internal)?;
    for payment in payments.iter().filter(|p| p.reversed_at.is_none()) {
        out.row(&[
            payment.payee_id.as_str(),
            payment.email.as_deref().unwrap_or(""),
            &money::format(payment.amount, digits),
            &payment.currency,
            &payment.reference,
        ])
        .map_err(Error::internal)?;
    }
    let bytes = out.finish().map_err(Error::internal)?;
    Ok((format!("{}.csv", batch.id), bytes))
}

/// Closes an open batch: its money was sent. Refused (409) when it is already paid.
pub async fn mark_paid(
    ctx: &Context,
    actor: &Actor,
    id: &PayoutId,
) -> Result<(Batch, Vec<Payment>)> {
    crate::admin::require_session(actor, WHAT)?;
    let mut conn = ctx.conn().await?;
    conn.transaction::<_, Error, _>(async |conn| {
        let batch = payouts::find(conn, id)
            .await?
            .ok_or_else(|| Error::not_found("payout"))?;
        if !payouts::mark_paid(conn, id, &actor.user_id).await? {
            return Err(Error::Conflict(format!(
                "payout {id} is already {}",
                batch.status.as_str()
            )));
        }
        audit::record(
            conn,
            actor.user_id.as_str(),
            "payout.paid",
            Target {
                kind: "payout",
                id: id.as_str(),
            },
            audit::state(&json!({"status": batch.status.as_str()}))?,
            audit::state(&json!({"status": PayoutStatus::Paid.as_str()}))?,
        )
        .await?;
        let batch = payouts::find(conn, id)
            .await?
            .ok_or_else(|| Error::not_found("payout"))?;
        Ok((batch, payouts::payments(conn, id).await?))
    })
    .await
}

/// Records that the period's standing payments were reversed (returned, or never sent), which
/// unlocks the period: a rerun's statements are then paid by a later payout. Refused (409) when
/// none stands.
pub async fn reverse(
    ctx: &Context,
    actor: &Actor,
    period: Period,
    reason: &str,
) -> Result<Vec<Payment>> {
    crate::admin::require_session(actor, "record reversals")?;
    let mut conn = ctx.conn().await?;
    conn.transaction::<_, Error, _>(async |conn| {
        payouts::lock(conn).await?;
        let reversed = payouts::reverse(conn, period, &actor.user_id, reason).await?;
        if reversed.is_empty() {
            return Err(Error::Conflict(format!(
                "no payment of {period} stands: there is nothing to reverse"
            )));
        }
        let total: Decimal = reversed.iter().map(|p| p.amount).sum();
        audit::record(
            conn,
            actor.user_id.as_str(),
            "royalty_period.reversal",
            Target {
                kind: "royalty_period",
                id: &period.to_string(),
            },
            None,
            Some(json!({
                "payments": reversed.len(),
                "total": total.normalize().to_string(),
                "reason": reason,
            })),
        )
        .await?;
        Ok(reversed)
    })
    .await
}

/// 409 when a payment of the period stands: paid (the period is locked) or in an open batch.
pub async fn refuse_if_locked(conn: &mut AsyncPgConnection, period: Period) -> Result<()> {
    let (paid, open) = payouts::of_period(conn, period).await?;
    if paid > 0 {
        return Err(Error::Conflict(format!(
            "{period} is locked: {paid} of its statements have been paid; an admin records the payments' reversal (POST /royalties/periods/{period}/reversal) before it can be rerun"
        )));
    }
    if open > 0 {
        return Err(Error::Conflict(format!(
            "{open} statements of {period} are in an open payout: mark it paid, or record a reversal (POST /royalties/periods/{period}/reversal), before rerunning the period"
        )));
    }
    Ok(())
}

/// Sets what a payee's balance must reach before a payout takes it (`None`: any payable balance;
/// a run already carries balances under `royalties.minimum_payout` forward). Returns the payee's
/// new threshold.
pub async fn set_threshold(
    ctx: &Context,
    actor: &Actor,
    user: &UserId,
    amount: Option<String>,
) -> Result<Option<Decimal>> {
    crate::admin::require_session(actor, "set payout thresholds")?;
    let base = base_currency(ctx)?;
    let threshold = amount
        .map(|raw| match parse_amount("amount", &raw) {
            Ok(a) if a < Decimal::ZERO => Err(Error::field("amount", "must not be negative")),
            Ok(a) if a.scale() > base.minor_digits() => Err(Error::field(
                "amount",
                format!(
                    "has more decimals than {base} has ({})",
                    base.minor_digits()
                ),
            )),
            Ok(a) => Ok(a),
            Err(e) => Err(Error::Invalid(vec![e])),
        })
        .transpose()?;
    let mut conn = ctx.conn().await?;
    if !users::exists(&mut conn, user).await? {
        return Err(Error::NotFound("user not found".to_owned()));
    }
    conn.transaction::<_, Error, _>(async |conn| {
        let payee = payees::of_user(conn, user).await?;
        let before = payees::set_payout_threshold(conn, &payee, threshold).await?;
        let text = |t: Option<Decimal>| t.map(|t| t.normalize().to_string());
        audit::record(
            conn,
            actor.user_id.as_str(),
            "payee.payout_threshold",
            Target {
                kind: "payee",
                id: payee.as_str(),
            },
            Some(json!({"payeeUserId": user, "payoutThreshold": text(before)})),
            Some(json!({"payeeUserId": user, "payoutThreshold": text(threshold)})),
        )
        .await?;
        Ok(threshold)
    })
    .await
}
