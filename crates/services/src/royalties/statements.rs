//! Statements: what a payee earned in a period, readable by admins and, once approved, by the
//! payee, as JSON or as a CSV of its lines, and emailed to the payee with that CSV attached.

use backbeat_db::payees;
use backbeat_db::royalty_statements::{self, AdvanceBalance, Share, Statement};
use backbeat_domain::Actor;
use backbeat_domain::ids::StatementId;
use backbeat_domain::money;
use backbeat_domain::paging::{Cursor, Page};
use backbeat_domain::period::Period;
use backbeat_domain::royalties::RunStatus;
use backbeat_mail::templates::RoyaltyStatement;
use backbeat_mail::{Attachment, Email};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::jobs::{Job, JobError, JobRun};
use crate::mail::send_once;
use crate::royalties::statement_pdf::{self, StatementPdf};
use crate::{Context, Error, Result};

/// Lines of the CSV keep this many decimal places (amounts before the statement's rounding).
const LINE_DIGITS: u32 = 10;

/// A statement with whether it is its period's standing one.
#[derive(Debug, Clone)]
pub struct Found {
    pub statement: Statement,
    pub current: bool,
    pub shares: Vec<Share>,
    /// Each advance's movement in the period, in the order recouped.
    pub advances: Vec<AdvanceBalance>,
}

/// The caller's standing statements (an admin's: everyone's), oldest first.
pub async fn page(
    ctx: &Context,
    actor: &Actor,
    period: Option<Period>,
    after: Option<&Cursor>,
    limit: i64,
) -> Result<Page<Statement>> {
    let mut conn = ctx.conn().await?;
    let payee = if actor.role.is_admin() {
        None
    } else {
        match payees::find_of_user(&mut conn, &actor.user_id).await? {
            Some(payee) => Some(payee),
            None => {
                return Ok(Page {
                    items: Vec::new(),
                    next: None,
                });
            }
        }
    };
    let items =
        royalty_statements::page(&mut conn, payee.as_ref(), period, after, limit + 1).await?;
    Ok(Page::from_rows(items, limit, |s| Cursor {
        at: s.created_at,
        id: s.id.to_string(),
    }))
}

async fn readable(
    conn: &mut backbeat_db::AsyncPgConnection,
    actor: &Actor,
    id: &StatementId,
) -> Result<(Statement, bool)> {
    let (statement, user, status) = royalty_statements::find(conn, id)
        .await?
        .ok_or_else(|| Error::not_found("statement"))?;
    if !actor.may_act_on(user.as_ref()) {
        // Another payee's statement is not theirs to know of.
        return Err(Error::not_found("statement"));
    }
    if !statement.is_approved() && !actor.role.is_admin() {
        // A draft is the label's to review, not yet the payee's to read.
        return Err(Error::not_found("statement"));
    }
    Ok((statement, status == RunStatus::Succeeded))
}

pub async fn get(ctx: &Context, actor: &Actor, id: &StatementId) -> Result<Found> {
    let mut conn = ctx.conn().await?;
    let (statement, current) = readable(&mut conn, actor, id).await?;
    let shares = royalty_statements::shares(&mut conn, &statement.id).await?;
    let advances = royalty_statements::advances(&mut conn, &statement.id).await?;
    Ok(Found {
        statement,
        current,
        shares,
        advances,
    })
}

/// The statement's lines as CSV: `(file name, bytes)`.
pub async fn csv(ctx: &Context, actor: &Actor, id: &StatementId) -> Result<(String, Vec<u8>)> {
    let mut conn = ctx.conn().await?;
    let (statement, _) = readable(&mut conn, actor, id).await?;
    let bytes = render_csv(&mut conn, &statement).await?;
    Ok((file_name(&statement), bytes))
}

/// The statement as PDF: `(file name, bytes)`.
pub async fn pdf(ctx: &Context, actor: &Actor, id: &StatementId) -> Result<(String, Vec<u8>)> {
    let mut conn = ctx.conn().await?;
    let (statement, _) = readable(&mut conn, actor, id).await?;
    let advances = royalty_statements::advances(&mut conn, &statement.id).await?;
    let bytes = render_pdf(&mut conn, &statement, &advances).await?;
    Ok((pdf_name(&statement), bytes))
}

fn file_name(statement: &Statement) -> String {
    format!("royalty-statement-{}.csv", statement.period)
}

fn pdf_name(statement: &Statement) -> String {
    format!("royalty-statement-{}.pdf", statement.period)
}

/// Months the PDF charts: this statement's and the eleven before it.
const CHARTED_MONTHS: i32 = 12;

/// The statement as a PDF (see [`statement_pdf`]). The same statement gives the same bytes.
/// `advances`: the statement's ([`royalty_statements::advances`]), which the caller has.
pub async fn render_pdf(
    conn: &mut backbeat_db::AsyncPgConnection,
    statement: &Statement,
    advances: &[AdvanceBalance],
) -> Result<Vec<u8>> {
    let lines = royalty_statements::by_platform_territory(conn, &statement.id).await?;
    let mut months: Vec<(String, money::Decimal)> = royalty_statements::earlier_earnings(
        conn,
        &statement.payee_id,
        statement.period,
        CHARTED_MONTHS - 1,
    )
    .await?
    .into_iter()
    .map(|(period, earnings)| (period.to_string(), earnings))
    .collect();
    months.push((statement.period.to_string(), statement.earnings));
    let payee = match &statement.email {
        Some(email) => email.clone(),
        None => statement.payee_id.to_string(),
    };
    let document = StatementPdf {
        statement,
        payee: &payee,
        lines: &lines,
        advances,
        months: &months,
    };
    Ok(statement_pdf::render(&document))
}

/// One row per song, platform and territory: the line's gross, fee and net in the statement's
/// currency, the payee's share in basis points and their amount, to 10 decimal places. The same
/// inputs give the same bytes.
pub async fn render_csv(
    conn: &mut backbeat_db::AsyncPgConnection,
    statement: &Statement,
) -> Result<Vec<u8>> {
    use crate::csv_export::{CsvExport, Kind::*};
    let lines = royalty_statements::csv_lines(conn, &statement.id).await?;
    let mut out = CsvExport::new(&[
        ("period", Text),
        ("song_id", Text),
        ("isrc", Text),
        ("title", Text),
        ("platform", Text),
        ("territory", Text),
        ("units", Number),
        ("gross", Number),
        ("fee", Number),
        ("net", Number),
        ("share_bps", Number),
        ("amount", Number),
        ("currency", Text),
    ])
    .map_err(Error::internal)?;
    let period = statement.period.to_string();
    for line in &lines {
        let amount = |a| money::format(a, LINE_DIGITS);
        out.row(&[
            &period,
            &line.song_id,
            line.isrc.as_deref().unwrap_or(""),
            &line.title,
            &line.platform,
            &line.territory,
            &line.units.to_string(),
            &amount(line.gross),
            &amount(line.fee),
            &amount(line.net),
            &line.share_bps.to_string(),
            &amount(line.amount),
            &statement.currency,
        ])
        .map_err(Error::internal)?;
    }
    out.finish().map_err(Error::internal)
}

/// What the payee was sent, as one digest: the CSV, and the figures the PDF adds to it (the
/// balances and each advance's movement). The same lines with other balances (an advance
/// recorded, a payment reversed) give the same CSV, and the payee must still get the new
/// statement. Not the PDF's bytes: they name the statement, which a rerun renews.
fn digest(statement: &Statement, csv: &[u8], advances: &[AdvanceBalance]) -> String {
    let mut figures = format!(
        "{} {} {} {} {} {} {} {}",
        statement.opening_balance,
        statement.gross,
        statement.fee,
        statement.earnings,
        statement.advances,
        statement.advances_recouped,
        statement.closing_balance,
        statement.payable
    );
    for a in advances {
        figures.push_str(&format!(
            "\n{} {} {} {} {}",
            a.advance_id, a.opening, a.advanced, a.recouped, a.closing
        ));
    }
    let hash = Sha256::new()
        .chain_update(csv)
        .chain_update([0])
        .chain_update(figures.as_bytes())
        .finalize();
    backbeat_storage::hex(&hash)
}

/// The job: email the statement to its payee with its CSV and PDF, once. A rerun that gives a
/// payee the very same statement ([`digest`]) does not email them again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EmailStatement {
    pub statement_id: StatementId,
}

impl Job for EmailStatement {
    async fn run(self, ctx: &Context, job: &JobRun) -> Result<Value, JobError> {
        let mut conn = ctx.conn().await?;
        let Some((statement, _, status)) =
            royalty_statements::find(&mut conn, &self.statement_id).await?
        else {
            return Ok(json!({"skipped": "the statement no longer exists"}));
        };
        if status != RunStatus::Succeeded {
            return Ok(json!({"skipped": "a later run superseded the statement"}));
        }
        if !statement.is_approved() {
            return Ok(json!({"skipped": "the statement is a draft"}));
        }
        let Some(recipient) = statement.email.clone() else {
            return Ok(json!({"skipped": "the payee has no email address"}));
        };
        let csv = render_csv(&mut conn, &statement).await?;
        let advances = royalty_statements::advances(&mut conn, &statement.id).await?;
        let sha256 = digest(&statement, &csv, &advances);
        if royalty_statements::sent_before(&mut conn, &statement)
            .await?
            .as_deref()
            == Some(sha256.as_str())
        {
            royalty_statements::mark_sent(&mut conn, &statement.id, &sha256).await?;
            return Ok(
                json!({"skipped": "the payee already has this very statement", "filesSha256": sha256}),
            );
        }
        let shares = royalty_statements::shares(&mut conn, &statement.id).await?;
        let pdf = render_pdf(&mut conn, &statement, &advances).await?;
        drop(conn);
        let d = money::minor_digits_of(&statement.currency);
        let f = |a| money::format(a, d);
        let period = statement.period.to_string();
        let (opening, gross, fee, earnings, advances, recouped, closing, payable) = (
            f(statement.opening_balance),
            f(statement.gross),
            f(statement.fee),
            f(statement.earnings),
            f(statement.advances),
            f(statement.advances_recouped),
            f(statement.closing_balance),
            f(statement.payable),
        );
        let rendered = RoyaltyStatement {
            period: &period,
            currency: &statement.currency,
            opening_balance: &opening,
            gross: &gross,
            fee: &fee,
            earnings: &earnings,
            advances: &advances,
            advances_recouped: &recouped,
            closing_balance: &closing,
            payable: &payable,
            songs: shares.len(),
        }
        .render();
        let email = Email::new(
            &recipient,
            rendered,
            format!("royalty-statement.{}", statement.id),
        )
        .attach(Attachment {
            filename: file_name(&statement),
            content_type: "text/csv".to_owned(),
            body: csv,
        })
        .attach(Attachment {
            filename: pdf_name(&statement),
            content_type: "application/pdf".to_owned(),
            body: pdf,
        });
        let message_id = send_once(ctx, email).await?;
        royalty_statements::mark_sent(&mut *ctx.conn().await?, &statement.id, &sha256).await?;
        job.progress(ctx, 1, 1).await?;
        Ok(json!({"recipient": recipient, "messageId": message_id, "filesSha256": sha256}))
    }
}
