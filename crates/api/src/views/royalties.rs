//! Usage reports, analytics, splits, contract terms, royalty runs and statements.

use backbeat_db::usage_reports::{Line, Rejection, Report};
use backbeat_domain::period::Period;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

/// `?period=` of the lists of one month's reports or statements.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PeriodFilter {
    /// Only this month's.
    #[param(value_type = Option<crate::schemas::Month>)]
    period: Option<String>,
}

impl PeriodFilter {
    pub fn read(&self) -> Result<Option<Period>, crate::error::ApiError> {
        Ok(self
            .period
            .as_deref()
            .map(|p| Period::parse("period", p))
            .transpose()?)
    }
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReportView {
    #[schema(example = "report-Qbax5Oy7L8WKf74l")]
    pub id: String,
    pub platform_id: String,
    #[schema(example = "2026-10")]
    pub period: String,
    /// `csv` or `dsr`.
    pub format: String,
    /// `queued`, `importing`, `waiting` (a file of a multi-file DSR report, until its other files
    /// have arrived), `imported`, or `failed` (nothing kept; `error` says why).
    pub status: String,
    pub error: Option<String>,
    pub file: ReportFile,
    /// A file of a multi-file DSR report (`FileNumber` of `NumberOfFiles` in its `HEAD`): its
    /// files, uploaded in any order, are imported as one report once all have arrived, into the
    /// report of file 1 (`partOf` on the others; their counts and totals are in it).
    pub report_file: Option<ReportFileOf>,
    /// Counts once imported: data lines read, loaded and matched to a song, loaded but matched to
    /// none (`GET /usage-reports/{id}/unmatched`), refused (`GET /usage-reports/{id}/rejections`).
    pub counts: Option<ReportCounts>,
    /// Per currency: `{lines, matchedLines, units, revenue, matchedRevenue}` of the loaded
    /// lines, amounts as exact decimal strings.
    #[schema(value_type = Option<Object>)]
    pub totals: Option<Value>,
    /// Refused lines by reason (`"units: must not be negative": 3`).
    #[schema(value_type = Option<Object>)]
    pub rejected_by_reason: Option<Value>,
    /// What the file said about itself: the DSR header, record types skipped, summaries whose
    /// revenue no line took.
    #[schema(value_type = Option<Object>)]
    pub details: Option<Value>,
    pub job_id: Option<String>,
    pub created_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReportFileOf {
    /// The report's `MessageId`.
    pub message_id: String,
    pub file_number: i32,
    pub number_of_files: i32,
    /// The report (file 1) whose import took this file in.
    pub part_of: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReportFile {
    pub name: Option<String>,
    pub bytes: i64,
    /// Lower-case hex; the same file is imported once.
    pub sha256: String,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReportCounts {
    pub lines: i64,
    pub matched: i64,
    pub unmatched: i64,
    pub rejected: i64,
}

impl From<Report> for ReportView {
    fn from(r: Report) -> Self {
        let counts = match (r.lines, r.matched, r.unmatched, r.rejected) {
            (Some(lines), Some(matched), Some(unmatched), Some(rejected)) => Some(ReportCounts {
                lines,
                matched,
                unmatched,
                rejected,
            }),
            _ => None,
        };
        Self {
            id: r.id.into_inner(),
            platform_id: r.platform_id.into_inner(),
            period: r.period.to_string(),
            format: r.format.to_string(),
            status: r.status.to_string(),
            error: r.error,
            report_file: match (r.message_id, r.file_number, r.number_of_files) {
                (Some(message_id), Some(file_number), Some(number_of_files)) => {
                    Some(ReportFileOf {
                        message_id,
                        file_number,
                        number_of_files,
                        part_of: r.part_of.map(|p| p.into_inner()),
                    })
                }
                _ => None,
            },
            file: ReportFile {
                name: r.file_name,
                bytes: r.file_bytes,
                sha256: r.file_sha256,
            },
            counts,
            totals: r.totals,
            rejected_by_reason: r.rejected_by_reason,
            details: r.details,
            job_id: r.job_id.map(|j| j.into_inner()),
            created_at: r.created_at,
            started_at: r.started_at,
            finished_at: r.finished_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReportAccepted {
    pub report_id: String,
    pub job_id: String,
    pub report: ReportView,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReportData {
    pub report: ReportView,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReportList {
    pub reports: Vec<ReportView>,
}

/// A loaded line that matched no song.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UnmatchedLine {
    pub line: i32,
    pub transaction_id: String,
    pub isrc: Option<String>,
    pub upc: Option<String>,
    pub title: Option<String>,
    pub artist: Option<String>,
    pub territory: String,
    pub use_type: String,
    pub units: i64,
    /// Exact decimal, in `currency`.
    pub revenue: String,
    pub currency: String,
}

impl From<Line> for UnmatchedLine {
    fn from(l: Line) -> Self {
        Self {
            line: l.line,
            transaction_id: l.transaction_id,
            isrc: l.isrc,
            upc: l.upc,
            title: l.title,
            artist: l.artist,
            territory: l.territory,
            use_type: l.use_type,
            units: l.units,
            revenue: l.revenue.normalize().to_string(),
            currency: l.currency,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UnmatchedList {
    pub lines: Vec<UnmatchedLine>,
}

/// A refused line.
#[derive(Debug, Serialize, ToSchema)]
pub struct RejectionView {
    pub line: i64,
    /// The column (CSV) or cell (DSR) at fault.
    pub field: Option<String>,
    pub reason: String,
}

impl From<Rejection> for RejectionView {
    fn from(r: Rejection) -> Self {
        Self {
            line: r.line,
            field: r.field,
            reason: r.reason,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RejectionList {
    pub rejections: Vec<RejectionView>,
}

/// A share of a song's net.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SplitView {
    pub payee_id: String,
    /// The payee's account, once there is one.
    pub payee_user_id: Option<String>,
    /// The address statements go to while the payee has no account.
    pub payee_email: Option<String>,
    #[schema(example = 5000)]
    pub share_bps: i32,
}

impl From<backbeat_db::splits::Split> for SplitView {
    fn from(s: backbeat_db::splits::Split) -> Self {
        Self {
            payee_id: s.payee_id.into_inner(),
            payee_email: if s.user_id.is_none() { s.email } else { None },
            payee_user_id: s.user_id.map(|u| u.into_inner()),
            share_bps: s.share_bps,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SplitList {
    /// Empty: the song's owner gets 100%.
    pub splits: Vec<SplitView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FxRates {
    #[schema(example = "2026-10")]
    pub period: String,
    #[schema(example = "USD")]
    pub base: String,
    /// Base-currency units per unit of each currency.
    #[schema(value_type = Object, example = json!({"EUR": "1.08", "GBP": "1.27"}))]
    pub rates: std::collections::BTreeMap<String, String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FxData {
    pub fx: FxRates,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AdvanceView {
    pub id: String,
    pub payee_id: String,
    #[schema(example = "500.00")]
    pub amount: String,
    pub currency: String,
    /// The first period it is recouped from.
    pub period: String,
    pub note: Option<String>,
    /// The releases whose earnings recoup it; empty: everything the payee earns.
    pub album_ids: Vec<String>,
    pub created_at: DateTime<Utc>,
}

impl From<backbeat_services::royalties::advances::Recorded> for AdvanceView {
    fn from(recorded: backbeat_services::royalties::advances::Recorded) -> Self {
        let a = recorded.advance;
        Self {
            album_ids: recorded
                .albums
                .into_iter()
                .map(|a| a.into_inner())
                .collect(),
            id: a.id.into_inner(),
            payee_id: a.payee_id.into_inner(),
            amount: a.amount.normalize().to_string(),
            currency: a.currency,
            period: a.period.to_string(),
            note: a.note,
            created_at: a.created_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AdvanceCreated {
    pub advance_id: String,
    pub advance: AdvanceView,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RunView {
    pub id: String,
    pub period: String,
    /// `queued`, `running`, `succeeded`, `failed` (nothing written; `error` says why) or
    /// `superseded` by a rerun.
    pub status: String,
    pub currency: String,
    pub job_id: Option<String>,
    /// The run this one replaced.
    pub supersedes: Option<String>,
    /// Once succeeded: counts (`songs`, `payees`, `statements`), totals in the base currency
    /// (`net`, `gross`, `fee`, `earnings`, `payable`), songs nobody is paid for
    /// (`unassignedSongs`) and the period's unmatched usage per currency (`unmatched`).
    #[schema(value_type = Option<Object>)]
    pub result: Option<Value>,
    pub error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
}

impl From<backbeat_db::royalty_runs::Run> for RunView {
    fn from(r: backbeat_db::royalty_runs::Run) -> Self {
        Self {
            id: r.id.into_inner(),
            period: r.period.to_string(),
            status: r.status.to_string(),
            currency: r.base_currency,
            job_id: r.job_id.map(|j| j.into_inner()),
            supersedes: r.supersedes.map(|s| s.into_inner()),
            result: r.result,
            error: r.error,
            created_at: r.created_at,
            started_at: r.started_at,
            finished_at: r.finished_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RunAccepted {
    pub run_id: String,
    pub job_id: String,
    pub run: RunView,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RunData {
    pub run: RunView,
}

/// A payee's statement for a period; amounts in `currency`, to its minor unit.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct StatementView {
    pub id: String,
    pub run_id: String,
    pub period: String,
    pub payee_id: String,
    pub currency: String,
    /// Brought forward from the payee's previous statement (negative: advances not recouped).
    #[schema(example = "0.00")]
    pub opening_balance: String,
    /// The payee's share of the revenue before the distributor's fee.
    pub gross: String,
    pub fee: String,
    /// `gross - fee`: the sum of the payee's song shares.
    pub earnings: String,
    /// Advances counted for the first time in this statement.
    pub advances: String,
    pub advances_recouped: String,
    /// `opening + earnings - advances - payable`.
    pub closing_balance: String,
    pub payable: String,
    /// Where it was (or will be) emailed.
    pub email: Option<String>,
    pub emailed: bool,
    /// `false` once a rerun of the period replaced it.
    pub current: bool,
    /// `draft` (admins only see it; nobody is emailed) until an admin approves it: `approved`.
    #[schema(example = "approved")]
    pub status: &'static str,
    pub approved_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl StatementView {
    pub fn new(s: backbeat_db::royalty_statements::Statement, current: bool) -> Self {
        let digits = backbeat_domain::money::minor_digits_of(&s.currency);
        let f = |a| backbeat_domain::money::format(a, digits);
        let status = if s.is_approved() { "approved" } else { "draft" };
        Self {
            id: s.id.into_inner(),
            run_id: s.run_id.into_inner(),
            period: s.period.to_string(),
            payee_id: s.payee_id.into_inner(),
            opening_balance: f(s.opening_balance),
            gross: f(s.gross),
            fee: f(s.fee),
            earnings: f(s.earnings),
            advances: f(s.advances),
            advances_recouped: f(s.advances_recouped),
            closing_balance: f(s.closing_balance),
            payable: f(s.payable),
            currency: s.currency,
            email: s.email,
            emailed: s.csv_sha256.is_some(),
            current,
            status,
            approved_at: s.approved_at,
            created_at: s.created_at,
        }
    }
}

/// The payee's share of one song.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ShareView {
    pub song_id: String,
    pub title: String,
    pub isrc: Option<String>,
    /// The song's net for the period, rounded once to the minor unit.
    pub song_net: String,
    pub share_bps: i32,
    /// By largest remainder: the song's shares add up to its net exactly.
    pub amount: String,
}

impl From<backbeat_db::royalty_statements::Share> for ShareView {
    fn from(s: backbeat_db::royalty_statements::Share) -> Self {
        Self {
            song_id: s.song_id.into_inner(),
            title: s.title,
            isrc: s.isrc,
            song_net: s.song_net.to_string(),
            share_bps: s.share_bps,
            amount: s.amount.to_string(),
        }
    }
}

/// One advance in a statement: what it is, what recoups it, and how the period moved it.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AdvanceBalanceView {
    pub advance_id: String,
    pub note: Option<String>,
    /// The releases whose earnings recoup it; empty: everything the payee earns.
    pub album_ids: Vec<String>,
    /// The names of those releases, in the same order (a release since deleted: its id).
    pub album_names: Vec<String>,
    /// What it still owed when the period opened (0 for one made in the period).
    #[schema(example = "380.00")]
    pub opening: String,
    /// Made in this period (first counted by this statement).
    pub advanced: String,
    pub recouped: String,
    /// `opening + advanced - recouped`: still owed.
    pub closing: String,
}

impl AdvanceBalanceView {
    pub fn new(a: backbeat_db::royalty_statements::AdvanceBalance, currency: &str) -> Self {
        let digits = backbeat_domain::money::minor_digits_of(currency);
        let f = |v| backbeat_domain::money::format(v, digits);
        Self {
            advance_id: a.advance_id.into_inner(),
            note: a.note,
            album_ids: a.album_ids,
            album_names: a.album_names,
            opening: f(a.opening),
            advanced: f(a.advanced),
            recouped: f(a.recouped),
            closing: f(a.closing),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StatementData {
    pub statement: StatementView,
    pub shares: Vec<ShareView>,
    /// Each advance the payee owed or was paid in the period, in the order recouped: advances on
    /// releases first (each from its releases' earnings only), then those on everything.
    pub advances: Vec<AdvanceBalanceView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StatementList {
    pub statements: Vec<StatementView>,
}

/// What an approval did.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ApprovalView {
    pub run_id: String,
    /// The statements approved by this request (ones already approved are not repeated).
    pub approved: Vec<String>,
    /// How many of them were queued to be emailed (the others' payees have no address).
    pub emailed: usize,
    /// The run's statements still drafts.
    pub drafts: i64,
}

impl From<backbeat_services::royalties::approval::Approved> for ApprovalView {
    fn from(a: backbeat_services::royalties::approval::Approved) -> Self {
        Self {
            run_id: a.run_id.into_inner(),
            approved: a.approved.into_iter().map(|s| s.into_inner()).collect(),
            emailed: a.emailed,
            drafts: a.drafts,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ApprovalData {
    pub approval: ApprovalView,
}

/// One payee's payment in a payout.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PaymentView {
    pub payee_id: String,
    pub statement_id: String,
    pub period: String,
    pub email: Option<String>,
    #[schema(example = "125.40")]
    pub amount: String,
    pub currency: String,
    /// What the payee sees on the transfer; unique across payouts.
    #[schema(example = "RY202611-3FA2C81B09DE")]
    pub reference: String,
    /// Set once an admin recorded the payment's reversal (its period is then unlocked).
    pub reversed_at: Option<DateTime<Utc>>,
    pub reversal_reason: Option<String>,
}

impl From<backbeat_db::payouts::Payment> for PaymentView {
    fn from(p: backbeat_db::payouts::Payment) -> Self {
        let digits = backbeat_domain::money::minor_digits_of(&p.currency);
        Self {
            payee_id: p.payee_id.into_inner(),
            statement_id: p.statement_id.into_inner(),
            period: p.period.to_string(),
            email: p.email,
            amount: backbeat_domain::money::format(p.amount, digits),
            currency: p.currency,
            reference: p.reference,
            reversed_at: p.reversed_at,
            reversal_reason: p.reversal_reason,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PayoutView {
    pub id: String,
    /// `open` (exported, the money on its way) until marked `paid`.
    #[schema(example = "open")]
    pub status: String,
    pub currency: String,
    #[schema(example = "1250.00")]
    pub total: String,
    pub payment_count: i32,
    pub created_at: DateTime<Utc>,
    pub paid_at: Option<DateTime<Utc>>,
}

impl From<backbeat_db::payouts::Batch> for PayoutView {
    fn from(b: backbeat_db::payouts::Batch) -> Self {
        let digits = backbeat_domain::money::minor_digits_of(&b.currency);
        Self {
            id: b.id.into_inner(),
            status: b.status.to_string(),
            total: backbeat_domain::money::format(b.total, digits),
            currency: b.currency,
            payment_count: b.payments,
            created_at: b.created_at,
            paid_at: b.paid_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PayoutData {
    pub payout: PayoutView,
    pub payments: Vec<PaymentView>,
}

impl PayoutData {
    pub fn new(
        batch: backbeat_db::payouts::Batch,
        payments: Vec<backbeat_db::payouts::Payment>,
    ) -> Self {
        Self {
            payout: batch.into(),
            payments: payments.into_iter().map(PaymentView::from).collect(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReversalView {
    pub period: String,
    /// The payments reversed by this request.
    pub reversed: Vec<PaymentView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReversalData {
    pub reversal: ReversalView,
}
