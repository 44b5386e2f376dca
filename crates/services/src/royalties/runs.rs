//! Royalty runs: an admin runs a closed period; a job turns its matched usage into one statement
//! per payee, in one transaction (a failed or interrupted run leaves nothing). The statements are
//! drafts until an admin approves them ([`super::approval`]); a period with a payment standing
//! is locked ([`super::payouts`]).
//!
//! The heavy part is SQL (`backbeat_db::royalty_runs`): one pass over the period's lines sums
//! them per song, platform, territory and currency; conversion and fees apply to those sums.
//! Rust only splits each song's rounded net among its payees and balances each payee's account.

use std::collections::{BTreeMap, BTreeSet};

use backbeat_db::royalty_runs::{self, NewRun, NewShare, NewStatement, NewStatementAdvance, Run};
use backbeat_db::{advances, usage_reports};
use backbeat_domain::Actor;
use backbeat_domain::ids::{AlbumId, JobId, PayeeId, RunId, StatementId};
use backbeat_domain::money::{self, Decimal};
use backbeat_domain::period::Period;
use backbeat_domain::royalties::RunStatus;
use diesel_async::{AsyncConnection, AsyncPgConnection};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::audit::{self, Target};
use crate::jobs::{self, Job, JobError, JobRun, Origin};
use crate::royalties::{base_currency, minimum_payout};
use crate::royalties::{payouts, recoupment};
use crate::{Context, Error, Result};

const WHAT: &str = "run royalties";

/// Queues a run of `period`. Refused (409) while a report of the period is importing, while
/// another run of it is in flight, once a later period has been run, while a payment of the
/// period stands (paid, or in an open payout), and when the period already has a run unless
/// `rerun` (the new run then supersedes it, and its statements need approval again).
pub async fn request(
    ctx: &Context,
    actor: &Actor,
    period: Period,
    rerun: bool,
    request_id: &str,
) -> Result<(Run, JobId)> {
    crate::admin::require(actor, WHAT)?;
    let base = base_currency(ctx)?;
    let mut conn = ctx.conn().await?;
    let importing = usage_reports::importing_in(&mut conn, period).await?;
    if importing > 0 {
        return Err(Error::Conflict(format!(
            "{importing} usage report(s) of {period} are still being imported; run the period once they are done"
        )));
    }
    if let Some(later) = royalty_runs::later_than(&mut conn, period).await? {
        return Err(Error::Conflict(format!(
            "{later} has already been run: rerunning {period} would change the balances it brought forward"
        )));
    }
    let current = royalty_runs::current(&mut conn, period).await?;
    if let (Some(current), false) = (&current, rerun) {
        return Err(Error::Conflict(format!(
            "{period} already has a run ({}); `?rerun=true` replaces it",
            current.id
        )));
    }
    payouts::refuse_if_locked(&mut conn, period).await?;
    let id = RunId::generate();
    let job = RoyaltyRun { run_id: id.clone() };
    let job_id = conn
        .transaction::<_, Error, _>(async |conn| {
            let job_id = JobId::generate();
            royalty_runs::insert(
                conn,
                &NewRun {
                    id: id.clone(),
                    period,
                    status: RunStatus::Queued,
                    base_currency: base.code().to_owned(),
                    job_id: Some(job_id.clone()),
                    created_by: Some(actor.user_id.clone()),
                    supersedes: current.as_ref().map(|r| r.id.clone()),
                },
            )
            .await
            .map_err(|e| {
                if e.is_unique_violation(royalty_runs::IN_FLIGHT) {
                    Error::Conflict(format!("a run of {period} is already queued or running"))
                } else {
                    e.into()
                }
            })?;
            jobs::enqueue_once(
                ctx,
                conn,
                &job_id,
                &job,
                Origin {
                    user: Some(&actor.user_id),
                    request_id: Some(request_id),
                },
            )
            .await?;
            audit::record(
                conn,
                actor.user_id.as_str(),
                "royalty_run.create",
                Target {
                    kind: "royalty_run",
                    id: id.as_str(),
                },
                None,
                Some(serde_json::json!({
                    "period": period.to_string(),
                    "rerun": rerun,
                    "supersedes": current.as_ref().map(|r| r.id.to_string()),
                })),
            )
            .await?;
            Ok(job_id)
        })
        .await?;
    let run = royalty_runs::find(&mut conn, &id)
        .await?
        .ok_or_else(|| Error::internal(anyhow::anyhow!("run {id} vanished")))?;
    Ok((run, job_id))
}

pub async fn get(ctx: &Context, actor: &Actor, id: &RunId) -> Result<Run> {
    crate::admin::require(actor, WHAT)?;
    royalty_runs::find(&mut *ctx.conn().await?, id)
        .await?
        .ok_or_else(|| Error::not_found("royalty run"))
}

/// The job: compute and write the period's statements.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RoyaltyRun {
    pub run_id: RunId,
}

enum Failure {
    /// The inputs do not allow a run (a missing exchange rate): permanent, nothing written.
    Refused(String),
    Other(JobError),
}

impl<E: Into<JobError>> From<E> for Failure {
    fn from(error: E) -> Self {
        Failure::Other(error.into())
    }
}

impl Job for RoyaltyRun {
    /// A run holds one transaction over a whole period: one at a time per worker.
    const CONCURRENCY: Option<u16> = Some(1);

    async fn run(self, ctx: &Context, job: &JobRun) -> Result<Value, JobError> {
        let mut conn = ctx.conn().await?;
        let run = royalty_runs::find(&mut conn, &self.run_id)
            .await?
            .ok_or_else(|| JobError::Permanent(format!("run {} no longer exists", self.run_id)))?;
        match run.status {
            RunStatus::Succeeded | RunStatus::Superseded => {
                return Ok(run.result.unwrap_or(Value::Null));
            }
            RunStatus::Failed => {
                return Err(JobError::Permanent(
                    run.error.unwrap_or_else(|| "the run failed".to_owned()),
                ));
            }
            RunStatus::Queued | RunStatus::Running => {}
        }
        royalty_runs::start(&mut conn, &run.id).await?;
        job.progress(ctx, 0, 1).await?;
        let outcome = conn
            .transaction::<_, Failure, _>(async |conn| compute(ctx, conn, &run).await)
            .await;
        match outcome {
            Ok(result) => {
                job.progress(ctx, 1, 1).await?;
                tracing::info!(run_id = %run.id, period = %run.period, "royalty run finished");
                Ok(result)
            }
            Err(Failure::Refused(message)) => {
                royalty_runs::fail(&mut conn, &run.id, &message).await?;
                Err(JobError::Permanent(message))
            }
            Err(Failure::Other(error)) => {
                if job.is_last_attempt() {
                    royalty_runs::fail(&mut conn, &run.id, &format!("the run failed: {error}"))
                        .await?;
                }
                Err(error)
            }
        }
    }
}

/// One payee's account for the period, before it is written.
#[derive(Default)]
struct Account {
    shares: Vec<(backbeat_domain::ids::SongId, Decimal, i32, Decimal)>,
    /// Earnings by release (`None`: songs on none), which advances tied to releases recoup from.
    by_album: BTreeMap<Option<AlbumId>, Decimal>,
}

impl Account {
    fn earnings(&self) -> Decimal {
        self.by_album.values().copied().sum()
    }
}

async fn compute(
    ctx: &Context,
    conn: &mut AsyncPgConnection,
    run: &Run,
) -> std::result::Result<Value, Failure> {
    let base = base_currency(ctx)?;
    let minor = base.minor_digits();
    let minimum = minimum_payout(ctx)?;
    let period = run.period;
    if !royalty_runs::lock(conn, &run.id).await? {
        return Err(Failure::Other(JobError::Retry(
            "another worker is running this run".to_owned(),
        )));
    }

    // Under the payouts' lock: no payout takes the period's statements while it is rerun.
    backbeat_db::payouts::lock(conn).await?;
    match payouts::refuse_if_locked(conn, period).await {
        Ok(()) => {}
        Err(Error::Conflict(message)) => return Err(Failure::Refused(message)),
        Err(other) => return Err(other.into()),
    }
    let mut clock = Steps::start();
    royalty_runs::stage_usage(conn, period).await?;
    clock.step("usage");
    let missing = royalty_runs::missing_rates(conn, period, base.code()).await?;
    if !missing.is_empty() {
        return Err(Failure::Refused(format!(
            "no exchange rate to {base} for {} in {period}: set them with PUT /royalties/fx/{period}",
            missing.join(", ")
        )));
    }
    royalty_runs::freeze_splits(conn, period).await?;
    clock.step("splits");
    let fee_bps = i32::try_from(ctx.settings.royalties.default_fee_bps).unwrap_or(10_000);
    royalty_runs::stage_lines(conn, &run.id, period, base.code(), fee_bps).await?;
    clock.step("lines");

    // Each song's net, split among its payees by largest remainder (ties to the lower payee id).
    let nets = royalty_runs::song_nets(conn, &run.id, minor).await?;
    let mut splits: BTreeMap<_, Vec<_>> = BTreeMap::new();
    for split in royalty_runs::frozen_splits(conn, period).await? {
        splits.entry(split.song_id.clone()).or_default().push(split);
    }
    let mut accounts: BTreeMap<PayeeId, Account> = BTreeMap::new();
    let mut unassigned = Vec::new();
    let mut total_net = Decimal::ZERO;
    for song in &nets {
        total_net += song.net;
        let Some(song_splits) = splits.get(&song.song_id) else {
            unassigned.push(json!({"songId": song.song_id, "net": money::format(song.net, minor)}));
            continue;
        };
        let minor_units = money::to_minor(song.net, minor).ok_or_else(|| {
            Failure::Other(JobError::Permanent(format!(
                "the net of song {} is too large",
                song.song_id
            )))
        })?;
        let weights: Vec<(&str, u64)> = song_splits
            .iter()
            .map(|s| (s.payee_id.as_str(), u64::try_from(s.share_bps).unwrap_or(0)))
            .collect();
        for (split, part) in song_splits
            .iter()
            .zip(money::allocate(minor_units, &weights))
        {
            let amount = money::from_minor(part, minor);
            let account = accounts.entry(split.payee_id.clone()).or_default();
            *account.by_album.entry(song.album_id.clone()).or_default() += amount;
            account
                .shares
                .push((song.song_id.clone(), song.net, split.share_bps, amount));
        }
    }

    clock.step("shares");
    // Balances brought forward from each payee's last statement, and the advances they owe.
    let previous: BTreeMap<PayeeId, Decimal> = royalty_runs::previous_closings(conn, period)
        .await?
        .into_iter()
        .map(|c| (c.payee_id, c.closing_balance))
        .collect();
    let mut owed: BTreeMap<PayeeId, Vec<recoupment::Owed>> = BTreeMap::new();
    for advance in advances::owed_at(conn, period).await? {
        let (opening, advanced) = match advance.outstanding {
            Some(outstanding) => (outstanding, Decimal::ZERO),
            None => (Decimal::ZERO, advance.amount),
        };
        owed.entry(advance.payee_id)
            .or_default()
            .push(recoupment::Owed {
                id: advance.advance_id,
                albums: advance.album_ids.into_iter().map(AlbumId::from).collect(),
                opening,
                advanced,
            });
    }
    let gross: BTreeMap<PayeeId, Decimal> = royalty_runs::payee_gross(conn, &run.id, period)
        .await?
        .into_iter()
        .map(|g| (g.payee_id, money::round(g.amount, minor)))
        .collect();
    let payees: BTreeSet<PayeeId> = accounts
        .keys()
        .chain(owed.keys())
        .chain(
            previous
                .iter()
                .filter(|(_, c)| !c.is_zero())
                .map(|(p, _)| p),
        )
        .cloned()
        .collect();
    let emails: BTreeMap<PayeeId, Option<String>> =
        royalty_runs::payee_emails(conn, &payees.iter().cloned().collect::<Vec<_>>())
            .await?
            .into_iter()
            .map(|e| (e.payee_id, e.email))
            .collect();

    let mut statements = Vec::with_capacity(payees.len());
    let mut shares = Vec::new();
    let mut ledger = Vec::new();
    let mut totals = (Decimal::ZERO, Decimal::ZERO, Decimal::ZERO, Decimal::ZERO);
    for payee in &payees {
        let account = accounts.remove(payee).unwrap_or_default();
        let earnings = account.earnings();
        let opening = previous.get(payee).copied().unwrap_or_default();
        let gross = gross.get(payee).copied().unwrap_or_default();
        let settled = recoupment::settle(
            opening,
            &account.by_album,
            owed.get(payee).map(Vec::as_slice).unwrap_or_default(),
            minimum,
        );
        let id = StatementId::generate();
        for (position, movement) in (1..).zip(&settled.movements) {
            ledger.push(NewStatementAdvance {
                statement_id: id.clone(),
                advance_id: movement.id.clone(),
                position,
                opening: movement.opening,
                advanced: movement.advanced,
                recouped: movement.recouped,
                closing: movement.closing,
            });
        }
        for (song_id, song_net, share_bps, amount) in account.shares {
            shares.push(NewShare {
                statement_id: id.clone(),
                song_id,
                song_net,
                share_bps,
                amount,
            });
        }
        totals.0 += gross;
        totals.1 += gross - earnings;
        totals.2 += earnings;
        totals.3 += settled.payable;
        statements.push(NewStatement {
            id,
            run_id: run.id.clone(),
            period,
            payee_id: payee.clone(),
            currency: base.code().to_owned(),
            opening_balance: opening,
            gross,
            fee: gross - earnings,
            earnings,
            advances: settled.advanced,
            advances_recouped: settled.recouped,
            closing_balance: settled.closing_balance,
            payable: settled.payable,
            email: emails.get(payee).cloned().flatten(),
        });
    }
    clock.step("balances");
    royalty_runs::write_statements(conn, &statements, &ledger, &shares).await?;
    clock.step("statements");

    let unmatched: serde_json::Map<String, Value> = usage_reports::unmatched_totals(conn, period)
        .await?
        .into_iter()
        .map(|(currency, lines, revenue)| {
            (
                currency,
                json!({"lines": lines, "revenue": revenue.normalize().to_string()}),
            )
        })
        .collect();
    let result = json!({
        "runId": run.id,
        "period": period.to_string(),
        "currency": base.code(),
        "songs": nets.len(),
        "payees": statements.len(),
        "statements": statements.len(),
        "net": money::format(total_net, minor),
        "gross": money::format(totals.0, minor),
        "fee": money::format(totals.1, minor),
        "earnings": money::format(totals.2, minor),
        "payable": money::format(totals.3, minor),
        "unassignedSongs": unassigned,
        "unmatched": unmatched,
    });
    royalty_runs::succeed(conn, run, &result).await?;
    clock.step("result");
    tracing::info!(run_id = %run.id, steps = %clock, "royalty run computed");
    Ok(result)
}

/// How long each step of a run took, for the log: where a slow run's time went.
struct Steps {
    last: std::time::Instant,
    took: Vec<(&'static str, std::time::Duration)>,
}

impl Steps {
    fn start() -> Self {
        Self {
            last: std::time::Instant::now(),
            took: Vec::new(),
        }
    }

    fn step(&mut self, name: &'static str) {
        let now = std::time::Instant::now();
        self.took.push((name, now - self.last));
        self.last = now;
    }
}

impl std::fmt::Display for Steps {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (n, (name, took)) in self.took.iter().enumerate() {
            let separator = if n == 0 { "" } else { " " };
            write!(f, "{separator}{name}={}ms", took.as_millis())?;
        }
        Ok(())
    }
}
