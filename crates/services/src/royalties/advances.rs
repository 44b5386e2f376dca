//! Advances: an admin records money paid to a payee ahead of earnings, on some releases or on
//! everything; statements from its period on recoup it from those earnings before anything is
//! payable ([`super::recoupment`]).

use backbeat_db::advances::{self, Advance};
use backbeat_db::{albums, payees, users};
use backbeat_domain::ids::{AdvanceId, AlbumId, UserId};
use backbeat_domain::money::{Currency, Decimal, parse_amount};
use backbeat_domain::period::Period;
use backbeat_domain::{Actor, FieldError};

use crate::royalties::base_currency;
use diesel_async::AsyncConnection;

use crate::audit::{self, Target};
use crate::{Context, Error, Result};

#[derive(Debug, Clone)]
pub struct AdvanceInput {
    pub amount: String,
    pub currency: String,
    pub note: Option<String>,
    /// The first period it is recouped from; this month when absent.
    pub period: Option<Period>,
    /// The releases whose earnings recoup it; `None`: everything the payee earns.
    pub albums: Option<Vec<AlbumId>>,
}

/// An advance as recorded, with the releases it is recouped from (empty: everything).
#[derive(Debug, Clone)]
pub struct Recorded {
    pub advance: Advance,
    pub albums: Vec<AlbumId>,
}

pub async fn create(
    ctx: &Context,
    actor: &Actor,
    user: &UserId,
    input: AdvanceInput,
) -> Result<Recorded> {
    crate::admin::require_session(actor, "record advances")?;
    let base = base_currency(ctx)?;
    let mut errors = Vec::new();
    let amount = match parse_amount("amount", &input.amount) {
        Ok(a) if a > Decimal::ZERO && a.scale() <= base.minor_digits() => Some(a),
        Ok(a) if a <= Decimal::ZERO => {
            errors.push(FieldError::new("amount", "must be above 0"));
            None
        }
        Ok(_) => {
            errors.push(FieldError::new(
                "amount",
                format!(
                    "has more decimals than {base} has ({})",
                    base.minor_digits()
                ),
            ));
            None
        }
        Err(e) => {
            errors.push(e);
            None
        }
    };
    match Currency::parse("currency", &input.currency) {
        Ok(c) if c == base => {}
        Ok(_) => errors.push(FieldError::new(
            "currency",
            format!("must be the base currency, {base}"),
        )),
        Err(e) => errors.push(e),
    }
    let (Some(amount), true) = (amount, errors.is_empty()) else {
        return Err(Error::Invalid(errors));
    };
    let mut conn = ctx.conn().await?;
    if !users::exists(&mut conn, user).await? {
        return Err(Error::NotFound("user not found".to_owned()));
    }
    let albums = input.albums.unwrap_or_default();
    if !albums.is_empty() {
        let known: Vec<AlbumId> = albums::owners(&mut conn, &albums)
            .await?
            .into_iter()
            .map(|(id, _)| id)
            .collect();
        let unknown: Vec<&str> = albums
            .iter()
            .filter(|a| !known.contains(a))
            .map(AlbumId::as_str)
            .collect();
        if !unknown.is_empty() {
            return Err(Error::NotFound(format!(
                "releases not found: {}",
                unknown.join(", ")
            )));
        }
    }
    let payee = payees::of_user(&mut conn, user).await?;
    let advance = Advance {
        id: AdvanceId::generate(),
        payee_id: payee,
        amount,
        currency: base.code().to_owned(),
        period: input
            .period
            .unwrap_or_else(|| Period::of(chrono::Utc::now().date_naive())),
        note: input.note,
        created_by: Some(actor.user_id.clone()),
        created_at: chrono::Utc::now(),
    };
    conn.transaction::<_, Error, _>(async |conn| {
        advances::insert(conn, &advance).await?;
        if !albums.is_empty() {
            advances::insert_albums(conn, &advance.id, &albums).await?;
        }
        audit::record(
            conn,
            actor.user_id.as_str(),
            "advance.create",
            Target {
                kind: "advance",
                id: advance.id.as_str(),
            },
            None,
            Some(serde_json::json!({
                "payeeUserId": user,
                "amount": advance.amount.to_string(),
                "currency": advance.currency,
                "period": advance.period.to_string(),
                "note": advance.note,
                "albumIds": albums,
            })),
        )
        .await
    })
    .await?;
    Ok(Recorded { advance, albums })
}
