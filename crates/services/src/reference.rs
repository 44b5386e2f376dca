//! The cheapest round trips a request can make, for the benchmark's limit reference: what any
//! endpoint reading PostgreSQL or Redis is measured against (`./dev bench reads`).

use crate::{Context, Error, Result};

/// One `SELECT 1` through the database pool.
pub async fn select_one(ctx: &Context) -> Result<i32> {
    Ok(backbeat_db::pool::select_one(&mut *ctx.conn().await?).await?)
}

/// One Redis `GET` through the cache pool.
pub async fn redis_get(ctx: &Context) -> Result<Option<String>> {
    let key = format!("{}bench:reference", ctx.settings.cache.prefix);
    backbeat_cache::pool::get(&ctx.redis, &key)
        .await
        .map_err(Error::Unavailable)
}
