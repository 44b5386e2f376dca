//! Statements as payees read them: the standing ones (of a period's succeeded run), their
//! shares per song, and their lines for the CSV.

use backbeat_domain::ids::{PayeeId, RunId, SongId, StatementId};
use backbeat_domain::money::Decimal;
use backbeat_domain::paging::Cursor;
use backbeat_domain::period::Period;
use backbeat_domain::royalties::RunStatus;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer, Numeric, Text};
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use crate::DbError;
use crate::schema::{payees, royalty_runs, royalty_shares, royalty_statements};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = royalty_statements)]
pub struct Statement {
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
    pub csv_sha256: Option<String>,
    pub created_at: DateTime<Utc>,
    pub approved_at: Option<DateTime<Utc>>,
    pub approved_by: Option<backbeat_domain::ids::UserId>,
}

impl Statement {
    /// Payees see a statement, and are emailed it, only once an admin has approved it.
    pub fn is_approved(&self) -> bool {
        self.approved_at.is_some()
    }
}

/// A statement with its payee's account (if any) and its run's status.
pub type Found = (Statement, Option<backbeat_domain::ids::UserId>, RunStatus);

pub async fn find(
    conn: &mut AsyncPgConnection,
    id: &StatementId,
) -> Result<Option<Found>, DbError> {
    Ok(royalty_statements::table
        .inner_join(payees::table)
        .inner_join(royalty_runs::table)
        .filter(royalty_statements::id.eq(id))
        .select((
            Statement::as_select(),
            payees::user_id,
            royalty_runs::status,
        ))
        .first(conn)
        .await
        .optional()?)
}

/// Standing statements, oldest first; only `payee`'s approved ones when given.
pub async fn page(
    conn: &mut AsyncPgConnection,
    payee: Option<&PayeeId>,
    period: Option<Period>,
    after: Option<&Cursor>,
    limit: i64,
) -> Result<Vec<Statement>, DbError> {
    let mut query = royalty_statements::table
        .inner_join(royalty_runs::table)
        .filter(royalty_runs::status.eq(RunStatus::Succeeded))
        .into_boxed();
    if let Some(payee) = payee {
        query = query
            .filter(royalty_statements::payee_id.eq(payee))
            .filter(royalty_statements::approved_at.is_not_null());
    }
    if let Some(period) = period {
        query = query.filter(royalty_statements::period.eq(period));
    }
    if let Some(after) = after {
        query = query.filter(
            royalty_statements::created_at
                .gt(after.at)
                .or(royalty_statements::created_at
                    .eq(after.at)
                    .and(royalty_statements::id.gt(&after.id))),
        );
    }
    Ok(query
        .order((royalty_statements::created_at, royalty_statements::id))
        .limit(limit)
        .select(Statement::as_select())
        .load(conn)
        .await?)
}

#[derive(Debug, Clone, Queryable)]
pub struct Share {
    pub song_id: SongId,
    pub title: String,
    pub isrc: Option<String>,
    pub song_net: Decimal,
    pub share_bps: i32,
    pub amount: Decimal,
}

/// The statement's shares, by song id.
pub async fn shares(
    conn: &mut AsyncPgConnection,
    statement: &StatementId,
) -> Result<Vec<Share>, DbError> {
    Ok(royalty_shares::table
        .filter(royalty_shares::statement_id.eq(statement))
        .order(royalty_shares::song_id)
        .select((
            royalty_shares::song_id,
            royalty_shares::title,
            royalty_shares::isrc,
            royalty_shares::song_net,
            royalty_shares::share_bps,
            royalty_shares::amount,
        ))
        .load(conn)
        .await?)
}

/// A line of the statement's CSV.
#[derive(Debug, Clone, QueryableByName)]
pub struct CsvLine {
    #[diesel(sql_type = Text)]
    pub song_id: String,
    #[diesel(sql_type = Text)]
    pub title: String,
    #[diesel(sql_type = diesel::sql_types::Nullable<Text>)]
    pub isrc: Option<String>,
    #[diesel(sql_type = Text)]
    pub platform: String,
    #[diesel(sql_type = Text)]
    pub territory: String,
    #[diesel(sql_type = BigInt)]
    pub units: i64,
    #[diesel(sql_type = Numeric)]
    pub gross: Decimal,
    #[diesel(sql_type = Numeric)]
    pub fee: Decimal,
    #[diesel(sql_type = Numeric)]
    pub net: Decimal,
    #[diesel(sql_type = Integer)]
    pub share_bps: i32,
    #[diesel(sql_type = Numeric)]
    pub amount: Decimal,
}

/// The statement's lines in a stable order (song, platform, territory): its run's lines of its
/// songs, times its shares. The run is looked up first (an init plan), so that the planner
/// starts from the statement's few shares instead of from every line of the run.
pub async fn csv_lines(
    conn: &mut AsyncPgConnection,
    statement: &StatementId,
) -> Result<Vec<CsvLine>, DbError> {
    Ok(diesel::sql_query(
        "SELECT l.song_id, s.title, s.isrc, coalesce(p.name, l.platform_id) AS platform, l.territory,
                l.units, l.gross, l.fee, l.net, s.share_bps, l.net * s.share_bps * 0.0001 AS amount
         FROM royalty_shares s
         JOIN royalty_run_lines l ON l.run_id = (SELECT run_id FROM royalty_statements WHERE id = $1)
                                 AND l.song_id = s.song_id
         LEFT JOIN platforms p ON p.id = l.platform_id
         WHERE s.statement_id = $1
         ORDER BY l.song_id, l.platform_id, l.territory",
    )
    .bind::<Text, _>(statement.as_str())
    .load(conn)
    .await?)
}

/// Approves the run's draft statements (all of them, or only `only`): returns the ones it
/// approved, with the address each is emailed to.
pub async fn approve(
    conn: &mut AsyncPgConnection,
    run: &RunId,
    only: Option<&StatementId>,
    by: &backbeat_domain::ids::UserId,
) -> Result<Vec<(StatementId, Option<String>)>, DbError> {
    let mut query = diesel::update(royalty_statements::table)
        .filter(royalty_statements::run_id.eq(run))
        .filter(royalty_statements::approved_at.is_null())
        .into_boxed();
    if let Some(only) = only {
        query = query.filter(royalty_statements::id.eq(only));
    }
    Ok(query
        .set((
            royalty_statements::approved_at.eq(diesel::dsl::now),
            royalty_statements::approved_by.eq(by),
        ))
        .returning((royalty_statements::id, royalty_statements::email))
        .get_results(conn)
        .await?)
}

/// How many of the run's statements are drafts.
pub async fn drafts(conn: &mut AsyncPgConnection, run: &RunId) -> Result<i64, DbError> {
    Ok(royalty_statements::table
        .filter(royalty_statements::run_id.eq(run))
        .filter(royalty_statements::approved_at.is_null())
        .count()
        .get_result(conn)
        .await?)
}

/// Records that the statement was emailed with files of this digest (its CSV then its PDF;
/// the column predates the PDF).
pub async fn mark_sent(
    conn: &mut AsyncPgConnection,
    id: &StatementId,
    sha256: &str,
) -> Result<(), DbError> {
    diesel::update(royalty_statements::table.find(id))
        .set(royalty_statements::csv_sha256.eq(sha256))
        .execute(conn)
        .await?;
    Ok(())
}

/// The digest of the files last emailed to the payee for the period by an earlier run.
pub async fn sent_before(
    conn: &mut AsyncPgConnection,
    statement: &Statement,
) -> Result<Option<String>, DbError> {
    Ok(royalty_statements::table
        .filter(royalty_statements::period.eq(statement.period))
        .filter(royalty_statements::payee_id.eq(&statement.payee_id))
        .filter(royalty_statements::id.ne(&statement.id))
        .filter(royalty_statements::csv_sha256.is_not_null())
        .order(royalty_statements::created_at.desc())
        .select(royalty_statements::csv_sha256)
        .first::<Option<String>>(conn)
        .await
        .optional()?
        .flatten())
}

/// The payee's part of one platform in one territory, exact.
#[derive(Debug, Clone, QueryableByName)]
pub struct PlatformTerritory {
    #[diesel(sql_type = Text)]
    pub platform: String,
    #[diesel(sql_type = Text)]
    pub territory: String,
    #[diesel(sql_type = BigInt)]
    pub units: i64,
    #[diesel(sql_type = Numeric)]
    pub gross: Decimal,
    #[diesel(sql_type = Numeric)]
    pub fee: Decimal,
    #[diesel(sql_type = Numeric)]
    pub earnings: Decimal,
}

/// The statement's earnings per platform and territory, largest first (ties by name).
pub async fn by_platform_territory(
    conn: &mut AsyncPgConnection,
    statement: &StatementId,
) -> Result<Vec<PlatformTerritory>, DbError> {
    Ok(diesel::sql_query(
        "SELECT coalesce(p.name, l.platform_id) AS platform, l.territory,
                sum(l.units)::bigint AS units,
                sum(l.gross * s.share_bps * 0.0001) AS gross,
                sum(l.fee * s.share_bps * 0.0001) AS fee,
                sum(l.net * s.share_bps * 0.0001) AS earnings
         FROM royalty_shares s
         JOIN royalty_run_lines l ON l.run_id = (SELECT run_id FROM royalty_statements WHERE id = $1)
                                 AND l.song_id = s.song_id
         LEFT JOIN platforms p ON p.id = l.platform_id
         WHERE s.statement_id = $1
         GROUP BY 1, 2
         ORDER BY earnings DESC, 1, 2",
    )
    .bind::<Text, _>(statement.as_str())
    .load(conn)
    .await?)
}

/// The payee's earnings in their standing approved statements of the `months` periods before
/// `period`, oldest first.
pub async fn earlier_earnings(
    conn: &mut AsyncPgConnection,
    payee: &PayeeId,
    period: Period,
    months: i32,
) -> Result<Vec<(Period, Decimal)>, DbError> {
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::Date)]
        period: Period,
        #[diesel(sql_type = Numeric)]
        earnings: Decimal,
    }
    let rows: Vec<Row> = diesel::sql_query(
        "SELECT s.period, s.earnings
         FROM royalty_statements s
         JOIN royalty_runs r ON r.id = s.run_id AND r.status = 'succeeded'
         WHERE s.payee_id = $1 AND s.approved_at IS NOT NULL
           AND s.period < $2 AND s.period >= $2 - make_interval(months => $3)
         ORDER BY s.period",
    )
    .bind::<Text, _>(payee.as_str())
    .bind::<diesel::sql_types::Date, _>(period)
    .bind::<Integer, _>(months)
    .load(conn)
    .await?;
    Ok(rows.into_iter().map(|r| (r.period, r.earnings)).collect())
}

/// One advance in a statement's ledger, with what it is recouped from.
#[derive(Debug, Clone, QueryableByName)]
pub struct AdvanceBalance {
    #[diesel(sql_type = Text)]
    pub advance_id: backbeat_domain::ids::AdvanceId,
    #[diesel(sql_type = diesel::sql_types::Nullable<Text>)]
    pub note: Option<String>,
    /// The releases it is recouped from (empty: everything), by id, and their names (a release
    /// since deleted: its id).
    #[diesel(sql_type = diesel::sql_types::Array<Text>)]
    pub album_ids: Vec<String>,
    #[diesel(sql_type = diesel::sql_types::Array<Text>)]
    pub album_names: Vec<String>,
    #[diesel(sql_type = Numeric)]
    pub opening: Decimal,
    #[diesel(sql_type = Numeric)]
    pub advanced: Decimal,
    #[diesel(sql_type = Numeric)]
    pub recouped: Decimal,
    #[diesel(sql_type = Numeric)]
    pub closing: Decimal,
}

/// The statement's advances in the order they were recouped.
pub async fn advances(
    conn: &mut AsyncPgConnection,
    statement: &StatementId,
) -> Result<Vec<AdvanceBalance>, DbError> {
    Ok(diesel::sql_query(
        "SELECT sa.advance_id, a.note,
                coalesce(r.ids, '{}') AS album_ids, coalesce(r.names, '{}') AS album_names,
                sa.opening, sa.advanced, sa.recouped, sa.closing
         FROM royalty_statement_advances sa
         JOIN advances a ON a.id = sa.advance_id
         LEFT JOIN LATERAL (
             SELECT array_agg(x.album_id ORDER BY x.album_id) AS ids,
                    array_agg(coalesce(al.name, x.album_id) ORDER BY x.album_id) AS names
             FROM advance_albums x LEFT JOIN albums al ON al.id = x.album_id
             WHERE x.advance_id = sa.advance_id) r ON true
         WHERE sa.statement_id = $1
         ORDER BY sa.position",
    )
    .bind::<Text, _>(statement.as_str())
    .load(conn)
    .await?)
}
