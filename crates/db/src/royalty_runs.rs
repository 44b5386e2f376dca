//! Royalty runs, and the steps of one: every step runs on the caller's connection inside one
//! transaction, in SQL over the period's usage lines (aggregated once into temporary tables), so
//! a run of ten million lines costs one scan of them, and a failed run leaves nothing.

use backbeat_domain::ids::{
    AdvanceId, AlbumId, JobId, PayeeId, RunId, SongId, StatementId, UserId,
};
use backbeat_domain::money::Decimal;
use backbeat_domain::period::Period;
use backbeat_domain::royalties::RunStatus;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, Date, Integer, Numeric, Text};
use diesel_async::{AsyncPgConnection, RunQueryDsl, SimpleAsyncConnection};

use crate::DbError;
use crate::schema::{royalty_runs, royalty_statement_advances, royalty_statements};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = royalty_runs)]
pub struct Run {
    pub id: RunId,
    pub period: Period,
    pub status: RunStatus,
    pub base_currency: String,
    pub job_id: Option<JobId>,
    pub created_by: Option<UserId>,
    pub supersedes: Option<RunId>,
    pub result: Option<serde_json::Value>,
    pub error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
}

/// One run of a period at a time.
pub const IN_FLIGHT: &str = "royalty_runs_in_flight_key";

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = royalty_runs)]
pub struct NewRun {
    pub id: RunId,
    pub period: Period,
    pub status: RunStatus,
    pub base_currency: String,
    pub job_id: Option<JobId>,
    pub created_by: Option<UserId>,
    pub supersedes: Option<RunId>,
}

pub async fn insert(conn: &mut AsyncPgConnection, run: &NewRun) -> Result<(), DbError> {
    diesel::insert_into(royalty_runs::table)
        .values(run)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn find(conn: &mut AsyncPgConnection, id: &RunId) -> Result<Option<Run>, DbError> {
    Ok(royalty_runs::table
        .find(id)
        .select(Run::as_select())
        .first(conn)
        .await
        .optional()?)
}

/// The period's standing (succeeded) run.
pub async fn current(conn: &mut AsyncPgConnection, period: Period) -> Result<Option<Run>, DbError> {
    Ok(royalty_runs::table
        .filter(royalty_runs::period.eq(period))
        .filter(royalty_runs::status.eq(RunStatus::Succeeded))
        .select(Run::as_select())
        .first(conn)
        .await
        .optional()?)
}

/// A later period that has a run (queued, running or standing): rerunning an earlier one would
/// change the balances it brought forward.
pub async fn later_than(
    conn: &mut AsyncPgConnection,
    period: Period,
) -> Result<Option<Period>, DbError> {
    Ok(royalty_runs::table
        .filter(royalty_runs::period.gt(period))
        .filter(royalty_runs::status.eq_any([
            RunStatus::Queued,
            RunStatus::Running,
            RunStatus::Succeeded,
        ]))
        .select(royalty_runs::period)
        .order(royalty_runs::period.desc())
        .first(conn)
        .await
        .optional()?)
}

pub async fn start(conn: &mut AsyncPgConnection, id: &RunId) -> Result<(), DbError> {
    diesel::update(royalty_runs::table.find(id))
        .set((
            royalty_runs::status.eq(RunStatus::Running),
            royalty_runs::started_at.eq(diesel::dsl::now),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn fail(conn: &mut AsyncPgConnection, id: &RunId, error: &str) -> Result<(), DbError> {
    diesel::update(royalty_runs::table.find(id))
        .set((
            royalty_runs::status.eq(RunStatus::Failed),
            royalty_runs::error.eq(error),
            royalty_runs::finished_at.eq(diesel::dsl::now),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

/// Stands the run as the period's result, superseding the one before.
pub async fn succeed(
    conn: &mut AsyncPgConnection,
    run: &Run,
    result: &serde_json::Value,
) -> Result<(), DbError> {
    diesel::update(royalty_runs::table)
        .filter(royalty_runs::period.eq(run.period))
        .filter(royalty_runs::status.eq(RunStatus::Succeeded))
        .set(royalty_runs::status.eq(RunStatus::Superseded))
        .execute(conn)
        .await?;
    diesel::update(royalty_runs::table.find(&run.id))
        .set((
            royalty_runs::status.eq(RunStatus::Succeeded),
            royalty_runs::result.eq(result),
            royalty_runs::error.eq(None::<String>),
            // The run's transaction began long ago: `now()` would be its start.
            royalty_runs::finished_at.eq(diesel::dsl::sql::<
                diesel::sql_types::Nullable<diesel::sql_types::Timestamptz>,
            >("clock_timestamp()")),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

/// The query summing the period's matched lines per song, platform, territory and currency:
/// the one pass over the lines. It reads each imported report's own table (attached under the
/// period), where the planner has the statistics the import gathered: a parallel hash aggregate
/// per report, instead of the blind guess it makes through the partitioned parent.
pub async fn usage_query(conn: &mut AsyncPgConnection, period: Period) -> Result<String, DbError> {
    use crate::schema::usage_reports;
    let reports: Vec<(i64, String)> = usage_reports::table
        .filter(usage_reports::period.eq(period))
        .filter(usage_reports::status.eq(backbeat_domain::usage::ReportStatus::Imported))
        // The other files of a multi-file report are in its file 1's lines.
        .filter(usage_reports::part_of.is_null())
        .order(usage_reports::seq)
        .select((usage_reports::seq, usage_reports::platform_id))
        .load(conn)
        .await?;
    if reports.is_empty() {
        return Ok(
            "SELECT NULL::text AS song_id, NULL::text AS platform_id, NULL::text AS territory,
                          NULL::text AS currency, NULL::bigint AS units, NULL::numeric AS revenue
                   WHERE false"
                .to_owned(),
        );
    }
    let parts: Vec<String> = reports
        .iter()
        .map(|(seq, platform)| {
            format!(
                "SELECT song_id, '{platform}'::text AS platform_id, territory, currency,
                        sum(units) AS units, sum(revenue) AS revenue
                 FROM {table} WHERE song_id IS NOT NULL
                 GROUP BY song_id, territory, currency",
                platform = platform.replace('\'', "''"),
                table = crate::usage_load::report_table(period, *seq),
            )
        })
        .collect();
    Ok(format!(
        "SELECT song_id, platform_id, territory, currency, sum(units)::bigint AS units,
                sum(revenue) AS revenue
         FROM ({}) per_report
         GROUP BY 1, 2, 3, 4",
        parts.join(" UNION ALL ")
    ))
}

/// Stages [`usage_query`] as `run_usage`. Returns the rows it holds.
pub async fn stage_usage(conn: &mut AsyncPgConnection, period: Period) -> Result<usize, DbError> {
    // A run reads a whole period: no statement limit, no JIT (a second of compiling for
    // nothing), and room for its hash aggregates.
    conn.batch_execute(
        "SET LOCAL statement_timeout = 0; SET LOCAL work_mem = '256MB'; SET LOCAL jit = off",
    )
    .await?;
    let query = usage_query(conn, period).await?;
    conn.batch_execute(&format!(
        "CREATE TEMP TABLE run_usage ON COMMIT DROP AS {query}"
    ))
    .await?;
    Ok(diesel::sql_query("ANALYZE run_usage").execute(conn).await?)
}

#[derive(QueryableByName)]
struct Word {
    #[diesel(sql_type = Text)]
    word: String,
}

/// Currencies of the staged usage with no rate for the period.
pub async fn missing_rates(
    conn: &mut AsyncPgConnection,
    period: Period,
    base: &str,
) -> Result<Vec<String>, DbError> {
    let rows: Vec<Word> = diesel::sql_query(
        "SELECT DISTINCT currency AS word FROM run_usage
         WHERE currency <> $2
           AND currency NOT IN (SELECT currency FROM fx_rates WHERE period = $1)
         ORDER BY 1",
    )
    .bind::<Date, _>(period)
    .bind::<Text, _>(base)
    .load(conn)
    .await?;
    Ok(rows.into_iter().map(|w| w.word).collect())
}

/// Freezes the splits of the staged songs the period has none for yet: a song's current splits,
/// else its owner at 100%. A rerun then pays as the first run did.
pub async fn freeze_splits(conn: &mut AsyncPgConnection, period: Period) -> Result<(), DbError> {
    diesel::sql_query(
        "INSERT INTO payees (id, user_id)
         SELECT DISTINCT ON (s.owner_id) 'payee-' || substr(md5(random()::text || s.owner_id), 1, 16), s.owner_id
         FROM (SELECT DISTINCT song_id FROM run_usage) u JOIN songs s ON s.id = u.song_id
         WHERE s.owner_id IS NOT NULL
           AND NOT EXISTS (SELECT 1 FROM song_splits x WHERE x.song_id = s.id)
           AND NOT EXISTS (SELECT 1 FROM payees p WHERE p.user_id = s.owner_id)
         ON CONFLICT DO NOTHING",
    )
    .execute(conn)
    .await?;
    diesel::sql_query(
        "WITH songs_to_freeze AS (
             SELECT DISTINCT u.song_id FROM run_usage u
             WHERE NOT EXISTS (SELECT 1 FROM period_splits p WHERE p.period = $1 AND p.song_id = u.song_id))
         INSERT INTO period_splits (period, song_id, payee_id, share_bps)
         SELECT $1, x.song_id, x.payee_id, x.share_bps
         FROM song_splits x JOIN songs_to_freeze f ON f.song_id = x.song_id
         UNION ALL
         SELECT $1, s.id, p.id, 10000
         FROM songs_to_freeze f JOIN songs s ON s.id = f.song_id JOIN payees p ON p.user_id = s.owner_id
         WHERE NOT EXISTS (SELECT 1 FROM song_splits x WHERE x.song_id = s.id)",
    )
    .bind::<Date, _>(period)
    .execute(conn)
    .await?;
    Ok(())
}

/// Converts the staged usage to the base currency and takes the platform's fee, per song,
/// platform and territory, into the run's lines (`royalty_run_lines`), which its statements
/// read. Amounts stay exact: numeric products are exact, and basis points apply as `* 0.0001`
/// (a division would round).
pub async fn stage_lines(
    conn: &mut AsyncPgConnection,
    run: &RunId,
    period: Period,
    base: &str,
    default_fee_bps: i32,
) -> Result<(), DbError> {
    diesel::sql_query(
        "INSERT INTO royalty_run_lines (run_id, song_id, platform_id, territory, units, gross, fee, net)
         SELECT $4, song_id, platform_id, territory, units, gross, fee, gross - fee
         FROM (SELECT g.song_id, g.platform_id, g.territory, g.units, g.gross,
                      g.gross * coalesce(p.fee_bps, $3) * 0.0001 AS fee
               FROM (SELECT u.song_id, u.platform_id, u.territory, sum(u.units)::bigint AS units,
                            sum(u.revenue * coalesce(f.rate, 1)) AS gross
                     FROM run_usage u
                     LEFT JOIN fx_rates f
                       ON f.period = $1 AND f.currency = u.currency AND u.currency <> $2
                     GROUP BY 1, 2, 3) g
               JOIN platforms p ON p.id = g.platform_id) x
         ORDER BY song_id, platform_id, territory",
    )
    .bind::<Date, _>(period)
    .bind::<Text, _>(base)
    .bind::<Integer, _>(default_fee_bps)
    .bind::<Text, _>(run.as_str())
    .execute(conn)
    .await?;
    Ok(())
}

/// A song's net for the period, rounded once to the minor unit, and its release.
#[derive(Debug, Clone, QueryableByName)]
pub struct SongNet {
    #[diesel(sql_type = Text)]
    pub song_id: SongId,
    #[diesel(sql_type = Numeric)]
    pub net: Decimal,
    /// `None`: a single, or a song since deleted.
    #[diesel(sql_type = diesel::sql_types::Nullable<Text>)]
    pub album_id: Option<AlbumId>,
}

pub async fn song_nets(
    conn: &mut AsyncPgConnection,
    run: &RunId,
    minor_digits: u32,
) -> Result<Vec<SongNet>, DbError> {
    Ok(diesel::sql_query(
        "SELECT n.song_id, n.net, s.album_id
         FROM (SELECT song_id, round(sum(net), $1) AS net FROM royalty_run_lines
               WHERE run_id = $2 GROUP BY song_id) n
         LEFT JOIN songs s ON s.id = n.song_id
         ORDER BY n.song_id",
    )
    .bind::<Integer, _>(i32::try_from(minor_digits).unwrap_or(2))
    .bind::<Text, _>(run.as_str())
    .load(conn)
    .await?)
}

#[derive(Debug, Clone, QueryableByName)]
pub struct FrozenSplit {
    #[diesel(sql_type = Text)]
    pub song_id: SongId,
    #[diesel(sql_type = Text)]
    pub payee_id: PayeeId,
    #[diesel(sql_type = Integer)]
    pub share_bps: i32,
}

/// The period's frozen splits of the staged songs, by song then payee.
pub async fn frozen_splits(
    conn: &mut AsyncPgConnection,
    period: Period,
) -> Result<Vec<FrozenSplit>, DbError> {
    Ok(diesel::sql_query(
        "SELECT p.song_id, p.payee_id, p.share_bps FROM period_splits p
         WHERE p.period = $1 AND p.song_id IN (SELECT song_id FROM run_usage)
         ORDER BY p.song_id, p.payee_id",
    )
    .bind::<Date, _>(period)
    .load(conn)
    .await?)
}

#[derive(Debug, Clone, QueryableByName)]
pub struct PayeeSum {
    #[diesel(sql_type = Text)]
    pub payee_id: PayeeId,
    #[diesel(sql_type = Numeric)]
    pub amount: Decimal,
}

/// Each payee's share of the gross (before the fee), unrounded: exact, so summing each song's
/// lines first gives what summing every line's share would.
pub async fn payee_gross(
    conn: &mut AsyncPgConnection,
    run: &RunId,
    period: Period,
) -> Result<Vec<PayeeSum>, DbError> {
    Ok(diesel::sql_query(
        "SELECT p.payee_id, sum(l.gross * p.share_bps) * 0.0001 AS amount
         FROM (SELECT song_id, sum(gross) AS gross FROM royalty_run_lines
               WHERE run_id = $2 GROUP BY song_id) l
         JOIN period_splits p ON p.period = $1 AND p.song_id = l.song_id
         GROUP BY p.payee_id",
    )
    .bind::<Date, _>(period)
    .bind::<Text, _>(run.as_str())
    .load(conn)
    .await?)
}

#[derive(Debug, Clone, QueryableByName)]
pub struct Closing {
    #[diesel(sql_type = Text)]
    pub payee_id: PayeeId,
    #[diesel(sql_type = Numeric)]
    pub closing_balance: Decimal,
}

/// Every payee's balance after their last standing statement before `period`: its closing
/// balance, plus its payable unless a payout (not reversed) took it. An unpaid payable (below the
/// payee's threshold, not yet in a payout, or a statement never approved) is still owed. So is
/// the payable of an earlier statement whose payment was reversed after the last statement was
/// written (that statement took it as paid; a reversal before it was already carried by it).
pub async fn previous_closings(
    conn: &mut AsyncPgConnection,
    period: Period,
) -> Result<Vec<Closing>, DbError> {
    Ok(diesel::sql_query(
        "WITH standing AS (
             SELECT s.id, s.payee_id, s.period, s.created_at, s.closing_balance,
                    s.payable AS stated,
                    CASE WHEN EXISTS (SELECT 1 FROM payout_payments p
                                      WHERE p.statement_id = s.id AND p.reversed_at IS NULL)
                         THEN 0 ELSE s.payable END AS payable
             FROM royalty_statements s
             JOIN royalty_runs r ON r.id = s.run_id AND r.status = 'succeeded'
             WHERE s.period < $1),
         last AS (
             SELECT DISTINCT ON (payee_id) payee_id, period, created_at,
                    closing_balance + payable AS closing_balance
             FROM standing ORDER BY payee_id, period DESC),
         reinstated AS (
             SELECT st.payee_id, sum(st.stated) AS amount
             FROM standing st JOIN last l USING (payee_id)
             WHERE st.period < l.period AND st.payable = st.stated
               AND EXISTS (SELECT 1 FROM payout_payments p
                           WHERE p.statement_id = st.id AND p.reversed_at > l.created_at)
             GROUP BY st.payee_id)
         SELECT last.payee_id, last.closing_balance + coalesce(reinstated.amount, 0) AS closing_balance
         FROM last LEFT JOIN reinstated USING (payee_id)",
    )
    .bind::<Date, _>(period)
    .load(conn)
    .await?)
}

/// The run, locked to the end of the transaction (a rerun superseding it waits).
pub async fn find_for_update(
    conn: &mut AsyncPgConnection,
    id: &RunId,
) -> Result<Option<Run>, DbError> {
    Ok(royalty_runs::table
        .find(id)
        .select(Run::as_select())
        .for_update()
        .first(conn)
        .await
        .optional()?)
}

/// Takes the run for this transaction; `false` when another one holds it.
pub async fn lock(conn: &mut AsyncPgConnection, id: &RunId) -> Result<bool, DbError> {
    Ok(royalty_runs::table
        .find(id)
        .select(royalty_runs::id)
        .for_update()
        .skip_locked()
        .first::<RunId>(conn)
        .await
        .optional()?
        .is_some())
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = royalty_statements)]
pub struct NewStatement {
    pub id: StatementId,
    pub run_id: RunId,
    pub period: Period,
    pub payee_id: PayeeId,
    pub currency: String,
    pub opening_balance: Decimal,
    pub gross: Decimal,
    pub fee: Decimal,
    pub earnings: Decimal,
    pub advances: Decimal,
    pub advances_recouped: Decimal,
    pub closing_balance: Decimal,
    pub payable: Decimal,
    pub email: Option<String>,
}

/// One payee's share of one song.
#[derive(Debug, Clone)]
pub struct NewShare {
    pub statement_id: StatementId,
    pub song_id: SongId,
    pub song_net: Decimal,
    pub share_bps: i32,
    pub amount: Decimal,
}

/// One advance in one statement's ledger.
#[derive(Debug, Clone, PartialEq, Insertable)]
#[diesel(table_name = royalty_statement_advances)]
pub struct NewStatementAdvance {
    pub statement_id: StatementId,
    pub advance_id: AdvanceId,
    pub position: i32,
    pub opening: Decimal,
    pub advanced: Decimal,
    pub recouped: Decimal,
    pub closing: Decimal,
}

/// Writes the statements, their ledgers of advances and their shares (with the song's title and
/// ISRC as they are now); their lines are the run's, times each share.
pub async fn write_statements(
    conn: &mut AsyncPgConnection,
    statements: &[NewStatement],
    advances: &[NewStatementAdvance],
    shares: &[NewShare],
) -> Result<(), DbError> {
    for chunk in statements.chunks(1000) {
        diesel::insert_into(royalty_statements::table)
            .values(chunk)
            .execute(conn)
            .await?;
    }
    for chunk in advances.chunks(1000) {
        diesel::insert_into(royalty_statement_advances::table)
            .values(chunk)
            .execute(conn)
            .await?;
    }
    for chunk in shares.chunks(20_000) {
        let column = |f: fn(&NewShare) -> String| chunk.iter().map(f).collect::<Vec<_>>();
        diesel::sql_query(
            "INSERT INTO royalty_shares (statement_id, song_id, title, isrc, song_net, share_bps, amount)
             SELECT x.statement_id, x.song_id, coalesce(s.title, '(deleted song)'), s.isrc,
                    x.song_net, x.share_bps, x.amount
             FROM unnest($1::text[], $2::text[], $3::numeric[], $4::int[], $5::numeric[])
                  AS x(statement_id, song_id, song_net, share_bps, amount)
             LEFT JOIN songs s ON s.id = x.song_id",
        )
        .bind::<Array<Text>, _>(column(|s| s.statement_id.to_string()))
        .bind::<Array<Text>, _>(column(|s| s.song_id.to_string()))
        .bind::<Array<Numeric>, _>(chunk.iter().map(|s| s.song_net).collect::<Vec<_>>())
        .bind::<Array<Integer>, _>(chunk.iter().map(|s| s.share_bps).collect::<Vec<_>>())
        .bind::<Array<Numeric>, _>(chunk.iter().map(|s| s.amount).collect::<Vec<_>>())
        .execute(conn)
        .await?;
    }
    Ok(())
}

#[derive(Debug, Clone, QueryableByName)]
pub struct PayeeEmail {
    #[diesel(sql_type = Text)]
    pub payee_id: PayeeId,
    #[diesel(sql_type = diesel::sql_types::Nullable<Text>)]
    pub email: Option<String>,
}

/// Where each payee's mail goes: the account's address, else the payee's own.
pub async fn payee_emails(
    conn: &mut AsyncPgConnection,
    payees: &[PayeeId],
) -> Result<Vec<PayeeEmail>, DbError> {
    let ids: Vec<&str> = payees.iter().map(|p| p.as_str()).collect();
    Ok(diesel::sql_query(
        "SELECT p.id AS payee_id, coalesce(u.email, p.email) AS email
         FROM payees p LEFT JOIN users u ON u.id = p.user_id
         WHERE p.id = ANY($1)",
    )
    .bind::<Array<Text>, _>(ids)
    .load(conn)
    .await?)
}
