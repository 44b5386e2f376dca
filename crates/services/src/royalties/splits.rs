//! A song's splits: its owner names who shares the song's net, in basis points. Changes apply
//! to the periods not yet run (a run freezes the splits it used).

use std::collections::HashSet;

use backbeat_db::splits::{self, Split};
use backbeat_db::{payees, users};
use backbeat_domain::email::EmailAddress;
use backbeat_domain::ids::{PayeeId, SongId, UserId};
use backbeat_domain::royalties::check_shares;
use backbeat_domain::{Actor, FieldError};
use diesel_async::AsyncConnection;

use crate::catalog::songs;
use crate::{Context, Error, Result};

/// Who a share goes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PayeeRef {
    User(UserId),
    /// Someone without an account yet: their statements go to the address, and become theirs
    /// when they sign up with it.
    Email(EmailAddress),
}

#[derive(Debug, Clone)]
pub struct SplitInput {
    pub payee: PayeeRef,
    pub share_bps: u32,
}

/// The song's splits (empty: its owner gets everything); the owner's or an admin's to read.
pub async fn get(ctx: &Context, actor: &Actor, song: &SongId) -> Result<Vec<Split>> {
    let mut conn = ctx.conn().await?;
    let song = songs::writable(ctx, &mut conn, Some(actor), song).await?;
    Ok(splits::of_song(&mut conn, &song.id).await?)
}

/// Replaces the song's splits; an empty list gives the owner everything again.
pub async fn replace(
    ctx: &Context,
    actor: &Actor,
    song: &SongId,
    inputs: Vec<SplitInput>,
) -> Result<Vec<Split>> {
    if !inputs.is_empty() {
        let shares: Vec<u32> = inputs.iter().map(|i| i.share_bps).collect();
        check_shares("splits", &shares)?;
    }
    let mut conn = ctx.conn().await?;
    let song = songs::writable(ctx, &mut conn, Some(actor), song).await?;
    let mut errors = Vec::new();
    for (i, input) in inputs.iter().enumerate() {
        if let PayeeRef::User(user) = &input.payee
            && !users::exists(&mut conn, user).await?
        {
            errors.push(FieldError::new(
                format!("splits[{i}].payeeUserId"),
                "names no user",
            ));
        }
    }
    if !errors.is_empty() {
        return Err(Error::Invalid(errors));
    }
    let song_id = song.id.clone();
    conn.transaction::<_, Error, _>(async |conn| {
        let mut shares: Vec<(PayeeId, i32)> = Vec::with_capacity(inputs.len());
        let mut seen = HashSet::new();
        for (i, input) in inputs.iter().enumerate() {
            let payee = match &input.payee {
                PayeeRef::User(user) => payees::of_user(conn, user).await?,
                PayeeRef::Email(email) => payees::of_email(conn, email.as_str()).await?,
            };
            if !seen.insert(payee.clone()) {
                return Err(Error::field(
                    &format!("splits[{i}]"),
                    "names a payee another share already names",
                ));
            }
            shares.push((payee, i32::try_from(input.share_bps).unwrap_or(i32::MAX)));
        }
        splits::replace(conn, &song_id, &shares).await?;
        Ok(())
    })
    .await?;
    Ok(splits::of_song(&mut conn, &song_id).await?)
}
