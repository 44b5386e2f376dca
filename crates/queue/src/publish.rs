//! Publishing with publisher confirms: a message counts as sent only once the broker has it.

use lapin::Confirmation;
use lapin::options::{BasicPublishOptions, ConfirmSelectOptions};
use lapin::types::{AMQPValue, FieldTable, ShortString};
use lapin::{BasicProperties, Channel, Connection};

use crate::{JobMessage, QueueError};

/// A channel in confirm mode.
pub async fn confirm_channel(connection: &Connection) -> Result<Channel, QueueError> {
    let channel = connection.create_channel().await?;
    channel
        .confirm_select(ConfirmSelectOptions::default())
        .await?;
    Ok(channel)
}

/// Persistent, JSON, with the job id as message id and the request id and W3C traceparent as
/// headers.
pub fn properties(message: &JobMessage, extra_headers: &[(&str, String)]) -> BasicProperties {
    let mut headers = FieldTable::default();
    if let Some(request_id) = &message.request_id {
        headers.insert(
            ShortString::from("x-request-id"),
            AMQPValue::LongString(request_id.as_str().into()),
        );
    }
    if let Some(trace_parent) = &message.trace_parent {
        headers.insert(
            ShortString::from("traceparent"),
            AMQPValue::LongString(trace_parent.as_str().into()),
        );
    }
    for (name, value) in extra_headers {
        headers.insert(
            ShortString::from(*name),
            AMQPValue::LongString(value.as_str().into()),
        );
    }
    BasicProperties::default()
        .with_delivery_mode(2)
        .with_content_type("application/json".into())
        .with_message_id(message.job_id.as_str().into())
        .with_headers(headers)
}

/// Publishes one body and waits for the broker's confirm.
pub async fn publish(
    channel: &Channel,
    exchange: &str,
    routing_key: &str,
    body: &[u8],
    properties: BasicProperties,
) -> Result<(), QueueError> {
    let confirm = channel
        .basic_publish(
            exchange.into(),
            routing_key.into(),
            BasicPublishOptions {
                mandatory: true,
                ..BasicPublishOptions::default()
            },
            body,
            properties,
        )
        .await?
        .await?;
    check(confirm)
}

pub fn check(confirm: Confirmation) -> Result<(), QueueError> {
    match confirm {
        // `mandatory`: an unroutable message comes back instead of vanishing.
        Confirmation::Ack(Some(returned)) => Err(QueueError::Unroutable(format!(
            "returned by the broker: {:?}",
            returned.reply_text
        ))),
        Confirmation::Ack(None) | Confirmation::NotRequested => Ok(()),
        Confirmation::Nack(_) => Err(QueueError::Unavailable(
            "the broker refused the message".to_owned(),
        )),
    }
}
