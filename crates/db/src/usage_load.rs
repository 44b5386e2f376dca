//! Bulk-loading one usage report, all or nothing, on a connection of its own (diesel-async has
//! no COPY).
//!
//! One transaction: the report's table is created unindexed (with the constraint that makes it
//! the report's partition), filled by `COPY`, deduplicated and indexed (building an index after
//! the load is far cheaper than maintaining it per row), summed into the analytics rollups, and
//! attached under its period. Until the commit nobody sees any of it; a failure or a killed
//! worker leaves nothing behind.

use std::collections::HashMap;
use std::fmt::Write as _;

use backbeat_config::DatabaseSettings;
use backbeat_domain::ids::{PlatformId, ReportId};
use backbeat_domain::money::Decimal;
use backbeat_domain::period::Period;
use bytes::{BufMut, Bytes, BytesMut};
use chrono::NaiveDate;
use futures_util::SinkExt;
use tokio_postgres::{Client, CopyInSink};

use crate::DbError;
use crate::tls::Connector;

/// Advisory-lock namespace: one import per report, one partition creation per period.
const LOCK_SPACE: i32 = 0x7573_6167; // "usag"

/// The columns each report's table is filled with, in `COPY` order (`period` and `report_id`
/// are the table's defaults).
const COLUMNS: &str = "line, transaction_id, song_id, isrc, upc, title, artist, territory, \
                       use_type, units, revenue, currency, usage_date";

/// The period's partition: every report of the month is a partition of it.
pub fn period_table(period: Period) -> String {
    format!("usage_lines_p{}", period.compact())
}

/// A report's own table of lines.
pub fn report_table(period: Period, seq: i64) -> String {
    format!("usage_lines_p{}_r{seq}", period.compact())
}

/// Which report is loaded.
#[derive(Debug, Clone)]
pub struct Target {
    pub report_id: ReportId,
    pub seq: i64,
    pub period: Period,
    pub platform_id: PlatformId,
    /// Lines whose revenue is allocated from summaries afterwards (DSR) go through a staging
    /// table that also holds their summary.
    pub staged: bool,
}

/// One line to load, borrowed from what the reader produced.
#[derive(Debug)]
pub struct Row<'a> {
    pub line: u32,
    pub transaction_id: &'a str,
    pub song_id: Option<&'a str>,
    pub isrc: Option<&'a str>,
    pub upc: Option<&'a str>,
    pub title: Option<&'a str>,
    pub artist: Option<&'a str>,
    pub territory: &'a str,
    pub use_type: &'a str,
    pub units: i64,
    /// `None`: allocated from `summary` (staged loads only).
    pub revenue: Option<&'a Decimal>,
    pub currency: &'a str,
    pub usage_date: Option<NaiveDate>,
    pub summary: Option<usize>,
    /// A track's part of a usage of its whole release: its weight in the summary is
    /// `units × share` (staged loads only).
    pub share: Option<&'a Decimal>,
}

/// A DSR summary: the revenue the lines referencing it share, pro rata to their units.
#[derive(Debug)]
pub struct Summary<'a> {
    pub index: usize,
    pub revenue: &'a Decimal,
}

/// A line removed as a repeat of an earlier one's transaction id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Duplicate {
    pub line: i64,
    pub transaction_id: String,
    pub song_id: Option<String>,
    pub territory: String,
    pub currency: String,
    pub units: i64,
    pub revenue: Decimal,
}

/// What a load sums per song (or none), territory and currency: lines, units, revenue.
type Sum = (i64, i64, Decimal);

/// The sums of the lines loaded so far, kept while they stream by, so that a load whose
/// revenue is known line by line need not read its ten million rows again to sum them.
#[derive(Debug, Default)]
pub struct LineSums {
    /// By `"{song}\t{territory}\t{currency}"` (no song: empty).
    sums: HashMap<String, Sum>,
    key: String,
    /// A sum left what a decimal holds (revenue written to 28 places): SQL sums them instead.
    overflowed: bool,
}

impl LineSums {
    fn entry(&mut self, song: Option<&str>, territory: &str, currency: &str) -> &mut Sum {
        self.key.clear();
        let _ = write!(
            self.key,
            "{}\t{territory}\t{currency}",
            song.unwrap_or_default()
        );
        if !self.sums.contains_key(&self.key) {
            self.sums.insert(self.key.clone(), (0, 0, Decimal::ZERO));
        }
        self.sums.get_mut(&self.key).expect("inserted above")
    }

    /// Counts a row with a reported revenue (a staged row's is not known yet: not counted).
    pub fn add(&mut self, row: &Row<'_>) {
        if let Some(revenue) = row.revenue {
            let sum = self.entry(row.song_id, row.territory, row.currency);
            sum.0 += 1;
            sum.1 += row.units;
            match sum.2.checked_add(*revenue) {
                Some(total) => sum.2 = total,
                None => self.overflowed = true,
            }
        }
    }

    /// Takes back a line removed as a duplicate.
    pub fn remove(&mut self, line: &Duplicate) {
        let sum = self.entry(line.song_id.as_deref(), &line.territory, &line.currency);
        sum.0 -= 1;
        sum.1 -= line.units;
        match sum.2.checked_sub(line.revenue) {
            Some(total) => sum.2 = total,
            None => self.overflowed = true,
        }
    }
}

/// Per currency, what was loaded.
#[derive(Debug, Clone, PartialEq)]
pub struct CurrencyTotals {
    pub currency: String,
    pub lines: i64,
    pub matched_lines: i64,
    pub units: i64,
    pub revenue: Decimal,
    pub matched_revenue: Decimal,
}

/// The report row's outcome, written in the same transaction.
#[derive(Debug)]
pub struct Outcome<'a> {
    pub lines: i64,
    pub rejected: i64,
    pub totals_json: &'a str,
    pub rejected_by_reason_json: &'a str,
    pub details_json: &'a str,
    /// The first refusals: (line, field, reason).
    pub rejections: &'a [(i64, Option<String>, String)],
}

fn escape_into(out: &mut BytesMut, value: &str) {
    for byte in value.bytes() {
        match byte {
            b'\\' => out.put_slice(b"\\\\"),
            b'\t' => out.put_slice(b"\\t"),
            b'\n' => out.put_slice(b"\\n"),
            b'\r' => out.put_slice(b"\\r"),
            other => out.put_u8(other),
        }
    }
}

fn text(out: &mut BytesMut, value: Option<&str>) {
    match value {
        Some(v) => escape_into(out, v),
        None => out.put_slice(b"\\N"),
    }
}

/// Appends `row` in `COPY ... FROM STDIN` text format; `staged` rows carry their summary and
/// share too.
pub fn encode(row: &Row<'_>, staged: bool, out: &mut BytesMut) {
    let mut number = String::with_capacity(32);
    let _ = write!(number, "{}\t", row.line);
    out.put_slice(number.as_bytes());
    escape_into(out, row.transaction_id);
    for value in [row.song_id, row.isrc, row.upc, row.title, row.artist] {
        out.put_u8(b'\t');
        text(out, value);
    }
    out.put_u8(b'\t');
    escape_into(out, row.territory);
    out.put_u8(b'\t');
    escape_into(out, row.use_type);
    number.clear();
    // A line waiting for its share of a summary holds 0 until `allocate`.
    let _ = match row.revenue {
        Some(revenue) => write!(number, "\t{}\t{revenue}\t", row.units),
        None => write!(number, "\t{}\t0\t", row.units),
    };
    out.put_slice(number.as_bytes());
    escape_into(out, row.currency);
    out.put_u8(b'\t');
    match row.usage_date {
        Some(date) => {
            number.clear();
            let _ = write!(number, "{}", date.format("%Y-%m-%d"));
            out.put_slice(number.as_bytes());
        }
        None => out.put_slice(b"\\N"),
    }
    if staged {
        optional_cell(out, &mut number, row.summary);
        optional_cell(out, &mut number, row.share);
    }
    out.put_u8(b'\n');
}

/// A tab and the value, or `\N` when there is none.
fn optional_cell(out: &mut BytesMut, scratch: &mut String, value: Option<impl std::fmt::Display>) {
    match value {
        Some(value) => {
            scratch.clear();
            let _ = write!(scratch, "\t{value}");
            out.put_slice(scratch.as_bytes());
        }
        None => out.put_slice(b"\t\\N"),
    }
}

/// A report being loaded: an open transaction on a connection of its own.
pub struct ReportLoad {
    client: Client,
    connection: tokio::task::JoinHandle<()>,
    target: Target,
    table: String,
    sink: Option<std::pin::Pin<Box<CopyInSink<Bytes>>>>,
}

impl Drop for ReportLoad {
    fn drop(&mut self) {
        // Closing the connection rolls back whatever was not committed.
        self.connection.abort();
    }
}

async fn connect(
    settings: &DatabaseSettings,
) -> Result<(Client, tokio::task::JoinHandle<()>), DbError> {
    let connector = Connector::new(settings, &settings.name)
        .map_err(|e| DbError::Unavailable(format!("bulk-load connection: {e:#}")))?;
    let (client, connection) =
        tokio::time::timeout(settings.connect_timeout(), connector.connect())
            .await
            .map_err(|_| DbError::Unavailable("bulk-load connection timed out".to_owned()))??;
    let task = tokio::spawn(async move {
        if let Err(error) = connection.await {
            tracing::warn!(%error, "bulk-load connection ended");
        }
    });
    Ok((client, task))
}

/// Creates the period's partition if this is the period's first report. Its own short
/// transaction, so that the long load does not hold the lock.
async fn ensure_period(client: &Client, period: Period) -> Result<(), DbError> {
    let table = period_table(period);
    let from = period.first_day();
    let to = period.next().first_day();
    client
        .batch_execute(&format!(
            "BEGIN;
             SELECT pg_advisory_xact_lock({LOCK_SPACE}, {key});
             CREATE TABLE IF NOT EXISTS {table} PARTITION OF usage_lines
                 FOR VALUES FROM ('{from}') TO ('{to}') PARTITION BY LIST (report_id);
             COMMIT;",
            key = period.compact(),
        ))
        .await?;
    Ok(())
}

impl ReportLoad {
    /// Connects, opens the transaction and creates the report's table. `None` when another
    /// worker is loading this report right now.
    pub async fn begin(
        settings: &DatabaseSettings,
        target: Target,
    ) -> Result<Option<Self>, DbError> {
        let (client, connection) = connect(settings).await?;
        // No statement limit (a load is long by nature), but notice a vanished worker soon.
        client
            .batch_execute(
                "SET application_name = 'backbeat-usage-import';
                 SET statement_timeout = 0;
                 SET client_connection_check_interval = '2s';
                 SET maintenance_work_mem = '256MB';
                 SET work_mem = '64MB';
                 SET jit = off;",
            )
            .await?;
        ensure_period(&client, target.period).await?;
        client.batch_execute("BEGIN").await?;
        let locked: bool = client
            .query_one(
                "SELECT pg_try_advisory_xact_lock($1, hashtext($2))",
                &[&LOCK_SPACE, &target.report_id.as_str()],
            )
            .await?
            .get(0);
        let table = report_table(target.period, target.seq);
        let load = Self {
            client,
            connection,
            target,
            table,
            sink: None,
        };
        if !locked {
            return Ok(None);
        }
        let period = load.target.period.first_day();
        let report = load.target.report_id.as_str().replace('\'', "''");
        // The check makes the table provably the report's partition: attaching it then needs
        // no scan.
        load.client
            .batch_execute(&format!(
                "CREATE TABLE {table} (LIKE usage_lines INCLUDING DEFAULTS,
                     CHECK (period = '{period}' AND report_id = '{report}'));
                 ALTER TABLE {table} ALTER period SET DEFAULT '{period}',
                     ALTER report_id SET DEFAULT '{report}';",
                table = load.table,
            ))
            .await?;
        if load.target.staged {
            load.client
                .batch_execute(&format!(
                    "CREATE TEMP TABLE usage_staging (LIKE {table} INCLUDING DEFAULTS,
                         summary INTEGER, share NUMERIC) ON COMMIT DROP;
                     CREATE TEMP TABLE usage_summaries (summary INTEGER PRIMARY KEY,
                         revenue NUMERIC NOT NULL) ON COMMIT DROP;",
                    table = load.table,
                ))
                .await?;
        }
        Ok(Some(load))
    }

    /// Opens the `COPY` into the report's table (or the staging table).
    pub async fn start_copy(&mut self) -> Result<(), DbError> {
        let (into, extra) = if self.target.staged {
            ("usage_staging", ", summary, share")
        } else {
            (self.table.as_str(), "")
        };
        let sink = self
            .client
            .copy_in(&format!("COPY {into} ({COLUMNS}{extra}) FROM STDIN"))
            .await?;
        self.sink = Some(Box::pin(sink));
        Ok(())
    }

    /// Sends encoded rows ([`encode`]).
    pub async fn write(&mut self, chunk: Bytes) -> Result<(), DbError> {
        let sink = self.sink.as_mut().expect("start_copy first");
        sink.send(chunk).await?;
        Ok(())
    }

    /// Ends the `COPY`; returns the rows loaded.
    pub async fn end_copy(&mut self) -> Result<u64, DbError> {
        let mut sink = self.sink.take().expect("start_copy first");
        Ok(sink.as_mut().finish().await?)
    }

    /// DSR: shares each summary's revenue among its lines, pro rata to their units (times their
    /// share, for the tracks of a release's usage), by largest
    /// remainder at 10 decimal places (or the summary's own precision when finer), so that the
    /// lines add up to the summary exactly; then moves the staged lines into the report's table.
    /// Lines whose summary has no units at all share equally.
    pub async fn allocate(&mut self, summaries: &[Summary<'_>]) -> Result<(), DbError> {
        let indexes: Vec<i32> = summaries
            .iter()
            .map(|s| i32::try_from(s.index).unwrap_or(i32::MAX))
            .collect();
        let revenues: Vec<String> = summaries.iter().map(|s| s.revenue.to_string()).collect();
        self.client
            .execute(
                "INSERT INTO usage_summaries (summary, revenue)
                 SELECT * FROM unnest($1::int[], $2::text[]::numeric[])",
                &[&indexes, &revenues],
            )
            .await?;
        self.client
            .batch_execute(&format!(
                "INSERT INTO {table} ({COLUMNS})
                 WITH weighted AS (
                     SELECT l.*, s.revenue AS total,
                            greatest(scale(s.revenue), 10) AS digits,
                            CASE WHEN sum(l.units) OVER w = 0 THEN 1 ELSE l.units END
                                * coalesce(l.share, 1) AS weight
                     FROM usage_staging l JOIN usage_summaries s USING (summary)
                     WINDOW w AS (PARTITION BY l.summary)
                 ), shares AS (
                     SELECT *, total * power(10::numeric, digits) AS whole, sum(weight) OVER w AS weights
                     FROM weighted WINDOW w AS (PARTITION BY summary)
                 ), floors AS (
                     SELECT *, floor(whole * weight / weights) AS base,
                            whole * weight - floor(whole * weight / weights) * weights AS remainder
                     FROM shares
                 ), ranked AS (
                     SELECT *, whole - sum(base) OVER w AS left_over,
                            row_number() OVER (PARTITION BY summary ORDER BY remainder DESC, line) AS rank
                     FROM floors WINDOW w AS (PARTITION BY summary)
                 )
                 SELECT line, transaction_id, song_id, isrc, upc, title, artist, territory,
                        use_type, units,
                        round((base + CASE WHEN rank <= left_over THEN 1 ELSE 0 END)
                              / power(10::numeric, digits), digits::int),
                        currency, usage_date
                 FROM ranked
                 UNION ALL
                 SELECT {COLUMNS} FROM usage_staging WHERE summary IS NULL",
                table = self.table,
            ))
            .await?;
        Ok(())
    }

    /// Indexes the report's lines by transaction id. A transaction id seen twice keeps its first
    /// line; the repeats are removed and returned.
    pub async fn index(&mut self) -> Result<Vec<Duplicate>, DbError> {
        // Statistics first: without them a fresh table's GROUP BY (here and in royalty runs)
        // plans as an external sort, three times slower than the hash it gets with them.
        self.client
            .batch_execute(&format!("ANALYZE {}", self.table))
            .await?;
        let unique = format!(
            "CREATE UNIQUE INDEX {table}_transaction_key ON {table} (transaction_id COLLATE \"C\")",
            table = self.table
        );
        self.client.batch_execute("SAVEPOINT before_index").await?;
        let duplicates = match self.client.batch_execute(&unique).await {
            Ok(()) => Vec::new(),
            Err(error)
                if error.code() == Some(&tokio_postgres::error::SqlState::UNIQUE_VIOLATION) =>
            {
                self.client
                    .batch_execute("ROLLBACK TO SAVEPOINT before_index")
                    .await?;
                let removed = self
                    .client
                    .query(
                        &format!(
                            "DELETE FROM {table} t USING (
                                 SELECT ctid, row_number() OVER (PARTITION BY transaction_id ORDER BY line) AS n
                                 FROM {table}) d
                             WHERE t.ctid = d.ctid AND d.n > 1
                             RETURNING t.line::bigint, t.transaction_id, t.song_id, t.territory,
                                       t.currency, t.units, t.revenue::text",
                            table = self.table
                        ),
                        &[],
                    )
                    .await?;
                self.client.batch_execute(&unique).await?;
                let mut removed: Vec<Duplicate> = removed
                    .iter()
                    .map(|r| {
                        Ok(Duplicate {
                            line: r.get(0),
                            transaction_id: r.get(1),
                            song_id: r.get(2),
                            territory: r.get(3),
                            currency: r.get(4),
                            units: r.get(5),
                            revenue: decimal(r.get(6))?,
                        })
                    })
                    .collect::<Result<_, DbError>>()?;
                removed.sort_by_key(|d| d.line);
                removed
            }
            Err(error) => return Err(error.into()),
        };
        self.client
            .batch_execute(&format!(
                "RELEASE SAVEPOINT before_index;
                 CREATE INDEX {table}_unmatched_idx ON {table} (line) WHERE song_id IS NULL;",
                table = self.table
            ))
            .await?;
        Ok(duplicates)
    }

    /// Sums the loaded lines (by song, territory and currency): `known`, kept while loading,
    /// else once over the table; adds the matched ones to the analytics rollups, and returns the
    /// totals per currency.
    pub async fn summarize(
        &mut self,
        known: Option<&LineSums>,
    ) -> Result<Vec<CurrencyTotals>, DbError> {
        match known.filter(|k| !k.overflowed) {
            Some(known) => self.write_sums(known).await?,
            None => {
                self.client
                    .batch_execute(&format!(
                        "CREATE TEMP TABLE usage_load_sums ON COMMIT DROP AS
                         SELECT song_id, territory, currency, count(*) AS lines,
                                sum(units) AS units, sum(revenue) AS revenue
                         FROM {table} GROUP BY song_id, territory, currency",
                        table = self.table
                    ))
                    .await?
            }
        }
        add_to_rollups(
            &self.client,
            "usage_load_sums",
            self.target.period,
            &self.target.platform_id,
            1,
        )
        .await?;
        let rows = self
            .client
            .query(
                "SELECT currency, sum(lines)::bigint,
                        coalesce(sum(lines) FILTER (WHERE song_id IS NOT NULL), 0)::bigint,
                        sum(units)::bigint, sum(revenue)::text,
                        coalesce(sum(revenue) FILTER (WHERE song_id IS NOT NULL), 0)::text
                 FROM usage_load_sums GROUP BY currency ORDER BY currency",
                &[],
            )
            .await?;
        rows.iter()
            .map(|r| {
                Ok(CurrencyTotals {
                    currency: r.get(0),
                    lines: r.get(1),
                    matched_lines: r.get(2),
                    units: r.get(3),
                    revenue: decimal(r.get(4))?,
                    matched_revenue: decimal(r.get(5))?,
                })
            })
            .collect()
    }

    async fn write_sums(&mut self, known: &LineSums) -> Result<(), DbError> {
        self.client
            .batch_execute(
                "CREATE TEMP TABLE usage_load_sums (song_id TEXT, territory TEXT NOT NULL,
                     currency TEXT NOT NULL, lines BIGINT NOT NULL, units BIGINT NOT NULL,
                     revenue NUMERIC NOT NULL) ON COMMIT DROP",
            )
            .await?;
        let rows: Vec<(&String, &Sum)> = known.sums.iter().filter(|(_, s)| s.0 != 0).collect();
        for chunk in rows.chunks(10_000) {
            let mut songs: Vec<Option<&str>> = Vec::with_capacity(chunk.len());
            let mut territories = Vec::with_capacity(chunk.len());
            let mut currencies = Vec::with_capacity(chunk.len());
            let (mut lines, mut units, mut revenues) = (Vec::new(), Vec::new(), Vec::new());
            for (key, (l, u, r)) in chunk {
                let mut parts = key.splitn(3, '\t');
                let song = parts.next().unwrap_or_default();
                songs.push((!song.is_empty()).then_some(song));
                territories.push(parts.next().unwrap_or_default());
                currencies.push(parts.next().unwrap_or_default());
                lines.push(*l);
                units.push(*u);
                revenues.push(r.to_string());
            }
            self.client
                .execute(
                    "INSERT INTO usage_load_sums
                     SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[],
                                          $5::bigint[], $6::text[]::numeric[])",
                    &[&songs, &territories, &currencies, &lines, &units, &revenues],
                )
                .await?;
        }
        Ok(())
    }

    /// Attaches the report's lines under their period, records the outcome on the report, and
    /// commits.
    pub async fn commit(self, outcome: Outcome<'_>) -> Result<(), DbError> {
        let period_table = period_table(self.target.period);
        let report = self.target.report_id.as_str().replace('\'', "''");
        self.client
            .batch_execute(&format!(
                "ALTER TABLE {period_table} ATTACH PARTITION {table} FOR VALUES IN ('{report}')",
                table = self.table
            ))
            .await?;
        let (lines, fields, reasons): (Vec<i64>, Vec<Option<String>>, Vec<String>) =
            outcome.rejections.iter().cloned().fold(
                (Vec::new(), Vec::new(), Vec::new()),
                |mut acc, (l, f, r)| {
                    acc.0.push(l);
                    acc.1.push(f);
                    acc.2.push(r);
                    acc
                },
            );
        self.client
            .execute(
                "INSERT INTO usage_rejections (report_id, line, field, reason)
                 SELECT $1, * FROM unnest($2::bigint[], $3::text[], $4::text[])
                 ON CONFLICT DO NOTHING",
                &[&self.target.report_id.as_str(), &lines, &fields, &reasons],
            )
            .await?;
        self.client
            .execute(
                "UPDATE usage_reports SET status = 'imported', error = NULL, lines = $2,
                     matched = (SELECT coalesce(sum(lines), 0) FROM usage_load_sums WHERE song_id IS NOT NULL),
                     unmatched = (SELECT coalesce(sum(lines), 0) FROM usage_load_sums WHERE song_id IS NULL),
                     rejected = $3, totals = $4::text::jsonb, rejected_by_reason = $5::text::jsonb,
                     details = $6::text::jsonb, finished_at = clock_timestamp()
                 WHERE id = $1",
                &[
                    &self.target.report_id.as_str(),
                    &outcome.lines,
                    &outcome.rejected,
                    &outcome.totals_json,
                    &outcome.rejected_by_reason_json,
                    &outcome.details_json,
                ],
            )
            .await?;
        self.client.batch_execute("COMMIT").await?;
        Ok(())
    }
}

fn decimal(text: String) -> Result<Decimal, DbError> {
    // Sums of revenue fit: each line holds at most 28 digits, and money never gets near 10^28.
    text.parse::<Decimal>()
        .map_err(|e| DbError::Unavailable(format!("a sum of revenue does not fit a decimal: {e}")))
}

/// Adds (`sign` 1) or removes (`sign` -1) sums `(song_id, territory, currency, units, revenue)`
/// of one report to the three rollups. Rows are written in key order, so that two imports of the
/// same period never wait on each other in opposite orders.
async fn add_to_rollups(
    client: &Client,
    sums: &str,
    period: Period,
    platform: &PlatformId,
    sign: i32,
) -> Result<(), DbError> {
    let period = period.first_day().to_string();
    let platform = platform.as_str();
    let upsert = |table: &str, key: &str| {
        format!(
            "ON CONFLICT ({key}) DO UPDATE SET units = {table}.units + EXCLUDED.units,
                 revenue = {table}.revenue + EXCLUDED.revenue"
        )
    };
    client
        .execute(
            &format!(
                "INSERT INTO usage_by_song (song_id, period, platform_id, territory, currency, units, revenue)
                 SELECT song_id, $1::text::date, $2, territory, currency, units * $3::int, revenue * $3::int
                 FROM {sums} WHERE song_id IS NOT NULL
                 ORDER BY song_id, territory, currency
                 {}",
                upsert("usage_by_song", "song_id, period, platform_id, territory, currency")
            ),
            &[&period, &platform, &sign],
        )
        .await?;
    client
        .execute(
            &format!(
                "INSERT INTO usage_by_owner (owner_id, period, platform_id, territory, currency, units, revenue)
                 SELECT s.owner_id, $1::text::date, $2, x.territory, x.currency, sum(x.units) * $3::int, sum(x.revenue) * $3::int
                 FROM {sums} x JOIN songs s ON s.id = x.song_id
                 WHERE s.owner_id IS NOT NULL
                 GROUP BY s.owner_id, x.territory, x.currency
                 ORDER BY s.owner_id, x.territory, x.currency
                 {}",
                upsert("usage_by_owner", "owner_id, period, platform_id, territory, currency")
            ),
            &[&period, &platform, &sign],
        )
        .await?;
    client
        .execute(
            &format!(
                "INSERT INTO usage_by_owner_song (owner_id, period, song_id, currency, units, revenue)
                 SELECT s.owner_id, $1::text::date, x.song_id, x.currency, sum(x.units) * $2::int, sum(x.revenue) * $2::int
                 FROM {sums} x JOIN songs s ON s.id = x.song_id
                 WHERE s.owner_id IS NOT NULL
                 GROUP BY s.owner_id, x.song_id, x.currency
                 ORDER BY s.owner_id, x.song_id, x.currency
                 {}",
                upsert("usage_by_owner_song", "owner_id, period, song_id, currency")
            ),
            &[&period, &sign],
        )
        .await?;
    Ok(())
}

/// Removes a report's lines (drops its table) and takes them out of the rollups, in one
/// transaction.
pub async fn remove(
    settings: &DatabaseSettings,
    report: &ReportId,
    seq: i64,
    period: Period,
    platform: &PlatformId,
) -> Result<(), DbError> {
    let (client, connection) = connect(settings).await?;
    let table = report_table(period, seq);
    let result = async {
        client
            .batch_execute("SET statement_timeout = 0; BEGIN")
            .await?;
        let exists: bool = client
            .query_one("SELECT to_regclass($1) IS NOT NULL", &[&table])
            .await?
            .get(0);
        if exists {
            client
                .batch_execute(&format!(
                    "CREATE TEMP TABLE usage_removed_sums ON COMMIT DROP AS
                     SELECT song_id, territory, currency, count(*) AS lines, sum(units) AS units,
                            sum(revenue) AS revenue
                     FROM {table} GROUP BY song_id, territory, currency"
                ))
                .await?;
            add_to_rollups(&client, "usage_removed_sums", period, platform, -1).await?;
            client.batch_execute(&format!("DROP TABLE {table}")).await?;
        }
        client
            .execute(
                "DELETE FROM usage_reports WHERE id = $1",
                &[&report.as_str()],
            )
            .await?;
        client.batch_execute("COMMIT").await?;
        Ok::<_, DbError>(())
    }
    .await;
    connection.abort();
    result
}
