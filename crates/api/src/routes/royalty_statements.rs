//! `GET /royalties/statements`, `GET /royalties/statements/{id}` and its `.csv` and `.pdf`.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use backbeat_domain::ids::StatementId;
use backbeat_services::royalties::statements;

use crate::auth::Caller;
use crate::error::{ApiResult, ErrorBody};
use crate::response::{self, DataEnvelope, PageEnvelope, PageQuery};
use crate::state::AppState;
use crate::views::royalties::{
    AdvanceBalanceView, PeriodFilter, ShareView, StatementData, StatementList, StatementView,
};

#[utoipa::path(
    get, path = "/royalties/statements", tag = "royalties",
    params(PeriodFilter, PageQuery),
    responses(
        (status = 200, description = "The caller's standing statements (an admin's: everyone's), oldest first", body = PageEnvelope<StatementList>),
        (status = 400, description = "Invalid `period`, `limit` or `cursor`", body = ErrorBody),
        (status = 401, description = "No access token", body = ErrorBody),
    )
)]
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    filter: web::Query<PeriodFilter>,
    page: web::Query<PageQuery>,
) -> ApiResult<HttpResponse> {
    let (limit, cursor) = page.read()?;
    let period = filter.read()?;
    let found = statements::page(&state, &caller, period, cursor.as_ref(), limit).await?;
    Ok(response::page(
        StatementList {
            statements: found
                .items
                .into_iter()
                .map(|s| StatementView::new(s, true))
                .collect(),
        },
        found.next.as_ref(),
        limit,
    ))
}

#[utoipa::path(
    get, path = "/royalties/statements/{id}", tag = "royalties",
    params(("id" = String, Path, description = "Statement id")),
    responses(
        (status = 200, description = "The statement and the payee's share of each song", body = DataEnvelope<StatementData>),
        (status = 401, description = "No access token", body = ErrorBody),
        (status = 404, description = "Unknown statement, or another payee's", body = ErrorBody),
    )
)]
pub async fn get(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<StatementId>,
) -> ApiResult<HttpResponse> {
    let found = statements::get(&state, &caller, &id).await?;
    let currency = found.statement.currency.clone();
    Ok(response::data(
        StatusCode::OK,
        StatementData {
            statement: StatementView::new(found.statement, found.current),
            shares: found.shares.into_iter().map(ShareView::from).collect(),
            advances: found
                .advances
                .into_iter()
                .map(|a| AdvanceBalanceView::new(a, &currency))
                .collect(),
        },
    ))
}

#[utoipa::path(
    get, path = "/royalties/statements/{id}.csv", tag = "royalties",
    params(("id" = String, Path, description = "Statement id")),
    responses(
        (status = 200, description = "The statement's lines: `period,song_id,isrc,title,platform,territory,units,gross,fee,net,share_bps,amount,currency`, \\
            one per song, platform and territory, amounts to 10 decimal places (the same file the payee was emailed)", content_type = "text/csv"),
        (status = 401, description = "No access token", body = ErrorBody),
        (status = 404, description = "Unknown statement, or another payee's", body = ErrorBody),
    )
)]
pub async fn csv(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<StatementId>,
) -> ApiResult<HttpResponse> {
    let (name, bytes) = statements::csv(&state, &caller, &id).await?;
    Ok(response::file("text/csv; charset=utf-8", &name, bytes))
}

#[utoipa::path(
    get, path = "/royalties/statements/{id}.pdf", tag = "royalties",
    params(("id" = String, Path, description = "Statement id")),
    responses(
        (status = 200, description = "The statement as PDF (the file the payee was emailed): the period, opening balance, gross, fees, \\
            earnings, advances and what was recouped, closing balance and payable, charts of earnings by platform and by month, \\
            and the earnings of every platform and territory. The same statement always gives the same bytes", content_type = "application/pdf"),
        (status = 401, description = "No access token", body = ErrorBody),
        (status = 404, description = "Unknown statement, or another payee's", body = ErrorBody),
    )
)]
pub async fn pdf(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<StatementId>,
) -> ApiResult<HttpResponse> {
    let (name, bytes) = statements::pdf(&state, &caller, &id).await?;
    Ok(response::file("application/pdf", &name, bytes))
}
