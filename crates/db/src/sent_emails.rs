//! Emails already sent, by idempotency key.

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use crate::DbError;
use crate::schema::sent_emails;

/// The Message-ID of the email sent under `key`, if one was.
pub async fn find(conn: &mut AsyncPgConnection, key: &str) -> Result<Option<String>, DbError> {
    Ok(sent_emails::table
        .find(key)
        .select(sent_emails::message_id)
        .first(conn)
        .await
        .optional()?)
}

pub async fn record(
    conn: &mut AsyncPgConnection,
    key: &str,
    message_id: &str,
    recipient: &str,
) -> Result<(), DbError> {
    diesel::insert_into(sent_emails::table)
        .values((
            sent_emails::idempotency_key.eq(key),
            sent_emails::message_id.eq(message_id),
            sent_emails::recipient.eq(recipient),
        ))
        .on_conflict_do_nothing()
        .execute(conn)
        .await?;
    Ok(())
}
