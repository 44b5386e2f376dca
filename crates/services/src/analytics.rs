//! Usage analytics for owners and admins: a song's or an album's usage over a range of months,
//! broken down by month, platform or territory, and an owner's catalog overview. Read from the
//! rollups the imports maintain, so they cost the same at ten lines or ten million.

use std::collections::BTreeMap;

use backbeat_db::analytics::{self, Sum};
use backbeat_db::{albums, platforms, songs};
use backbeat_domain::Actor;
use backbeat_domain::ids::{AlbumId, PlatformId, SongId, UserId};
use backbeat_domain::money::Decimal;
use backbeat_domain::period::Period;
use backbeat_domain::usage::GroupBy;

use crate::catalog;
use crate::{Context, Error, Result};

/// Months shown when the caller names none: the last twelve.
const DEFAULT_MONTHS: u32 = 12;
/// The longest range one answer covers.
pub const MAX_MONTHS: u32 = 120;
/// Songs in an overview's top list.
const TOP_SONGS: i64 = 10;

/// Units and revenue per currency (revenue is never converted: that is a royalty run's job).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Usage {
    pub units: i64,
    pub revenue: BTreeMap<String, Decimal>,
}

impl Usage {
    fn add(&mut self, sum: &Sum) {
        self.units += sum.units;
        *self.revenue.entry(sum.currency.clone()).or_default() += sum.revenue;
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    /// `YYYY-MM`, a platform id or a territory code.
    pub key: String,
    /// The platform's or song's name, where the key is an id.
    pub name: Option<String>,
    pub usage: Usage,
}

#[derive(Debug, Clone)]
pub struct Breakdown {
    pub from: Period,
    pub to: Period,
    pub group_by: GroupBy,
    pub total: Usage,
    pub groups: Vec<Group>,
}

#[derive(Debug, Clone)]
pub struct Overview {
    pub from: Period,
    pub to: Period,
    pub total: Usage,
    pub top_songs: Vec<Group>,
    pub by_platform: Vec<Group>,
    pub by_territory: Vec<Group>,
}

/// The months an answer covers: both ends included; by default the last twelve up to this
/// month. A range over [`MAX_MONTHS`] keeps its last ones (the answer's `from` says where it
/// starts); a `from` after `to` is an empty range, as a filter matching nothing is.
pub fn range(from: Option<Period>, to: Option<Period>) -> (Period, Period) {
    let to = to.unwrap_or_else(|| Period::of(chrono::Utc::now().date_naive()));
    let from = from.unwrap_or_else(|| to.minus_months(DEFAULT_MONTHS - 1));
    if from <= to && to.months_since(from) >= MAX_MONTHS {
        return (to.minus_months(MAX_MONTHS - 1), to);
    }
    (from, to)
}

/// Whose analytics the caller may read: the owner's, or anyone's for an admin.
fn may_read(actor: &Actor, owner: Option<&UserId>, what: &str) -> Result<()> {
    if actor.may_act_on(owner) {
        Ok(())
    } else {
        Err(Error::Forbidden(format!(
            "only the {what}'s owner or an admin may read its analytics"
        )))
    }
}

pub async fn song(
    ctx: &Context,
    actor: &Actor,
    id: &SongId,
    (from, to): (Period, Period),
    group_by: GroupBy,
) -> Result<Breakdown> {
    let mut conn = ctx.conn().await?;
    let song = songs::find(&mut conn, id)
        .await?
        .ok_or_else(catalog::songs::not_found)?;
    may_read(actor, song.owner_id.as_ref(), "song")?;
    let sums = analytics::songs(&mut conn, &[song.id], from, to, group_by).await?;
    breakdown(ctx, from, to, group_by, &sums).await
}

/// The sum over the album's tracks.
pub async fn album(
    ctx: &Context,
    actor: &Actor,
    id: &AlbumId,
    (from, to): (Period, Period),
    group_by: GroupBy,
) -> Result<Breakdown> {
    let mut conn = ctx.conn().await?;
    let album = albums::find(&mut conn, id)
        .await?
        .ok_or_else(catalog::albums::not_found)?;
    may_read(actor, album.owner_id.as_ref(), "album")?;
    let tracks: Vec<SongId> = songs::of_album(&mut conn, &album.id)
        .await?
        .into_iter()
        .map(|s| s.id)
        .collect();
    let sums = analytics::songs(&mut conn, &tracks, from, to, group_by).await?;
    breakdown(ctx, from, to, group_by, &sums).await
}

/// The caller's own catalog (every song they own).
pub async fn overview(
    ctx: &Context,
    actor: &Actor,
    (from, to): (Period, Period),
) -> Result<Overview> {
    let mut conn = ctx.conn().await?;
    let owner = &actor.user_id;
    let by_platform = analytics::catalog(&mut conn, owner, from, to, GroupBy::Platform).await?;
    let by_territory = analytics::catalog(&mut conn, owner, from, to, GroupBy::Territory).await?;
    let top = analytics::top_songs(&mut conn, owner, from, to, TOP_SONGS).await?;
    let mut total = Usage::default();
    by_platform.iter().for_each(|s| total.add(s));

    let song_ids: Vec<SongId> = top.iter().map(|s| SongId::from(s.key.as_str())).collect();
    let titles: BTreeMap<String, String> = songs::summaries(&mut conn, &song_ids)
        .await?
        .into_iter()
        .map(|s| (s.id.into_inner(), s.title))
        .collect();
    // Ordered by units, as `top_songs` returns them: `groups` keeps the order.
    let mut top_songs = groups(&top);
    for group in &mut top_songs {
        group.name = titles.get(&group.key).cloned();
    }
    Ok(Overview {
        from,
        to,
        total,
        top_songs,
        by_platform: named_platforms(ctx, groups(&by_platform)).await?,
        by_territory: groups(&by_territory),
    })
}

async fn breakdown(
    ctx: &Context,
    from: Period,
    to: Period,
    group_by: GroupBy,
    sums: &[Sum],
) -> Result<Breakdown> {
    let mut total = Usage::default();
    sums.iter().for_each(|s| total.add(s));
    let mut groups = groups(sums);
    match group_by {
        // Every month of the range, empty ones included, so a chart has no gaps.
        GroupBy::Month => {
            let mut found: BTreeMap<String, Group> =
                groups.into_iter().map(|g| (g.key.clone(), g)).collect();
            let mut months = Vec::new();
            let mut month = from;
            while month <= to {
                let key = month.to_string();
                months.push(found.remove(&key).unwrap_or(Group {
                    key,
                    name: None,
                    usage: Usage::default(),
                }));
                month = month.next();
            }
            groups = months;
        }
        GroupBy::Platform => groups = named_platforms(ctx, groups).await?,
        GroupBy::Territory => {}
    }
    Ok(Breakdown {
        from,
        to,
        group_by,
        total,
        groups,
    })
}

/// One group per key, in the order the keys first appear, its currencies gathered.
fn groups(sums: &[Sum]) -> Vec<Group> {
    let mut out: Vec<Group> = Vec::new();
    for sum in sums {
        match out.last_mut() {
            Some(group) if group.key == sum.key => group.usage.add(sum),
            _ => {
                let mut usage = Usage::default();
                usage.add(sum);
                out.push(Group {
                    key: sum.key.clone(),
                    name: None,
                    usage,
                });
            }
        }
    }
    out
}

async fn named_platforms(ctx: &Context, mut groups: Vec<Group>) -> Result<Vec<Group>> {
    let ids: Vec<PlatformId> = groups
        .iter()
        .map(|g| PlatformId::from(g.key.as_str()))
        .collect();
    let mut conn = ctx.conn().await?;
    let names: BTreeMap<String, String> = platforms::find_many(&mut conn, &ids)
        .await?
        .into_iter()
        .map(|p| (p.id.into_inner(), p.name))
        .collect();
    for group in &mut groups {
        group.name = names.get(&group.key).cloned();
    }
    Ok(groups)
}
