//! Approval: a run's statements are drafts, seen by admins only, until an admin approves the run
//! (every draft of it) or single statements. Approving one emails it to its payee, in the same
//! transaction, and the audit log records who approved what.

use backbeat_db::royalty_runs;
use backbeat_db::royalty_statements;
use backbeat_domain::Actor;
use backbeat_domain::ids::{RunId, StatementId};
use backbeat_domain::royalties::RunStatus;
use diesel_async::{AsyncConnection, AsyncPgConnection};
use serde_json::json;

use crate::audit::{self, Target};
use crate::jobs::{self, Origin};
use crate::royalties::statements::EmailStatement;
use crate::{Context, Error, Result};

const WHAT: &str = "approve royalty statements";

/// What an approval did.
#[derive(Debug, Clone)]
pub struct Approved {
    pub run_id: RunId,
    /// Statements it approved now (already approved ones are left as they are).
    pub approved: Vec<StatementId>,
    /// Of those, the ones queued to be emailed (the others' payees have no address).
    pub emailed: usize,
    /// The run's statements still drafts.
    pub drafts: i64,
}

/// Approves every draft statement of a succeeded run.
pub async fn approve_run(
    ctx: &Context,
    actor: &Actor,
    id: &RunId,
    request_id: &str,
) -> Result<Approved> {
    crate::admin::require_session(actor, WHAT)?;
    let mut conn = ctx.conn().await?;
    let run = royalty_runs::find(&mut conn, id)
        .await?
        .ok_or_else(|| Error::not_found("royalty run"))?;
    approve(ctx, &mut conn, actor, &run, None, request_id).await
}

/// Approves one statement of a succeeded run.
pub async fn approve_statement(
    ctx: &Context,
    actor: &Actor,
    id: &StatementId,
    request_id: &str,
) -> Result<Approved> {
    crate::admin::require_session(actor, WHAT)?;
    let mut conn = ctx.conn().await?;
    let (statement, _, _) = royalty_statements::find(&mut conn, id)
        .await?
        .ok_or_else(|| Error::not_found("statement"))?;
    let run = royalty_runs::find(&mut conn, &statement.run_id)
        .await?
        .ok_or_else(|| Error::not_found("royalty run"))?;
    approve(ctx, &mut conn, actor, &run, Some(id), request_id).await
}

async fn approve(
    ctx: &Context,
    conn: &mut AsyncPgConnection,
    actor: &Actor,
    run: &royalty_runs::Run,
    only: Option<&StatementId>,
    request_id: &str,
) -> Result<Approved> {
    if run.status != RunStatus::Succeeded {
        return Err(Error::Conflict(format!(
            "run {} is {}: only the statements of a period's standing (succeeded) run can be approved",
            run.id,
            run.status.as_str()
        )));
    }
    conn.transaction::<_, Error, _>(async |conn| {
        // The run row is locked so a rerun cannot supersede it halfway through the approval.
        let still = royalty_runs::find_for_update(conn, &run.id).await?;
        if still.map(|r| r.status) != Some(RunStatus::Succeeded) {
            return Err(Error::Conflict(format!(
                "run {} was superseded by a rerun; approve the new run's statements",
                run.id
            )));
        }
        let approved = royalty_statements::approve(conn, &run.id, only, &actor.user_id).await?;
        let mut emailed = 0;
        for (statement_id, email) in &approved {
            if email.is_none() {
                continue;
            }
            let job = EmailStatement {
                statement_id: statement_id.clone(),
            };
            let origin = Origin {
                user: Some(&actor.user_id),
                request_id: Some(request_id),
            };
            jobs::enqueue(ctx, conn, &job, origin).await?;
            emailed += 1;
        }
        let ids: Vec<StatementId> = approved.into_iter().map(|(id, _)| id).collect();
        if !ids.is_empty() {
            let (kind, target) = match only {
                Some(statement) => ("royalty_statement", statement.as_str()),
                None => ("royalty_run", run.id.as_str()),
            };
            audit::record(
                conn,
                actor.user_id.as_str(),
                &format!("{kind}.approve"),
                Target { kind, id: target },
                None,
                Some(json!({
                    "runId": run.id,
                    "period": run.period.to_string(),
                    "statements": ids.len(),
                })),
            )
            .await?;
        }
        let drafts = royalty_statements::drafts(conn, &run.id).await?;
        Ok(Approved {
            run_id: run.id.clone(),
            approved: ids,
            emailed,
            drafts,
        })
    })
    .await
}
