//! How PostgreSQL plans a query: per execution for the values bound, or once per connection.
//!
//! Diesel prepares each query once per connection and PostgreSQL, after five executions, may
//! keep a generic plan that cannot see the values. For a pattern search that is the wrong plan
//! at scale (it walks an index filtering every row where a trigram index finds the few matches),
//! while on a small table the generic plan is right and planning each time is pure overhead.

use diesel::pg::Pg;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::sql_types::{BigInt, Text};
use diesel::{QueryResult, QueryableByName};
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use crate::DbError;

/// `query` prepared for this execution only (never cached), so PostgreSQL plans it with the
/// values bound: one more round trip (the prepare), against a plan that fits the values.
#[derive(Debug, Clone)]
pub struct CustomPlan<Q>(pub Q);

impl<Q> QueryId for CustomPlan<Q> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<Q: Query> Query for CustomPlan<Q> {
    type SqlType = Q::SqlType;
}

impl<Q: QueryFragment<Pg>> QueryFragment<Pg> for CustomPlan<Q> {
    fn walk_ast<'b>(&'b self, mut pass: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        pass.unsafe_to_cache_prepared();
        self.0.walk_ast(pass)
    }
}

#[derive(QueryableByName)]
struct Estimate {
    #[diesel(sql_type = BigInt)]
    rows: i64,
}

/// The planner's estimate of a table's rows (`pg_class.reltuples`, kept by ANALYZE and
/// autovacuum): free to read, never a scan. 0 for a table never analysed.
pub async fn estimated_rows(conn: &mut AsyncPgConnection, table: &str) -> Result<i64, DbError> {
    let estimate: Estimate = diesel::sql_query(
        "SELECT GREATEST(reltuples, 0)::bigint AS rows FROM pg_class WHERE oid = $1::regclass",
    )
    .bind::<Text, _>(table)
    .get_result(conn)
    .await?;
    Ok(estimate.rows)
}
