//! The one mailer of backbeat, behind the [`Mailer`] trait: SMTP in production (lettre over
//! tokio; STARTTLS or implicit TLS when configured), or `.eml` files in a folder when no SMTP
//! server is configured. A test that cannot run a mail server may substitute its own `Mailer`;
//! the suite itself uses a real SMTP server on loopback.
//!
//! Every message has a text and an HTML part, a Message-ID derived from its idempotency key (so a
//! resend of the same logical email carries the same id), and an `X-Idempotency-Key` header.
//! Deciding *whether* to send (has this key been sent already?) is the caller's job, with the
//! record in PostgreSQL. What each email says lives in [`templates`].

mod smtp;
pub mod templates;

use std::path::PathBuf;
use std::sync::Arc;

use backbeat_config::{MailSettings, SmtpSettings};
use lettre::message::header::{ContentType, Header, HeaderName, HeaderValue};
use lettre::message::{Attachment as MimeAttachment, Mailbox, MultiPart};
use lettre::{AsyncFileTransport, AsyncTransport, Message, Tokio1Executor};

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    /// The message itself is wrong (an address the builder refuses): retrying will not help.
    #[error("invalid email: {0}")]
    Invalid(String),
    /// The server refused for good (5xx): retrying will not help.
    #[error("mail server refused the message: {0}")]
    Rejected(String),
    /// Connection trouble, timeouts, 4xx: worth retrying.
    #[error("mail server unavailable: {0}")]
    Unavailable(String),
    #[error("cannot write mail file: {0}")]
    File(String),
}

impl MailError {
    pub fn is_permanent(&self) -> bool {
        matches!(self, MailError::Invalid(_) | MailError::Rejected(_))
    }
}

pub struct Attachment {
    pub filename: String,
    pub content_type: String,
    pub body: Vec<u8>,
}

pub struct Email {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    pub attachments: Vec<Attachment>,
    /// Same key, same logical email: becomes the Message-ID and `X-Idempotency-Key`.
    pub idempotency_key: String,
}

impl Email {
    /// A rendered template addressed to `to`.
    pub fn new(
        to: impl Into<String>,
        rendered: templates::Rendered,
        idempotency_key: String,
    ) -> Self {
        Self {
            to: to.into(),
            subject: rendered.subject,
            text: rendered.text,
            html: rendered.html,
            attachments: Vec::new(),
            idempotency_key,
        }
    }

    pub fn attach(mut self, attachment: Attachment) -> Self {
        self.attachments.push(attachment);
        self
    }
}

/// Sends an email and returns its Message-ID.
#[async_trait::async_trait]
pub trait Mailer: Send + Sync + std::fmt::Debug {
    async fn send(&self, email: Email) -> Result<String, MailError>;
}

/// The configured mailer: SMTP when `smtp.host` is set, else `.eml` files in `mail.outbox_dir`.
pub fn from_settings(
    smtp: &SmtpSettings,
    mail: &MailSettings,
) -> Result<Arc<dyn Mailer>, MailError> {
    Ok(Arc::new(LettreMailer::new(smtp, mail)?))
}

#[derive(Clone)]
enum Transport {
    Smtp(Arc<smtp::SmtpSender>),
    File(AsyncFileTransport<Tokio1Executor>, PathBuf),
}

/// lettre's SMTP or file transport.
#[derive(Clone)]
pub struct LettreMailer {
    transport: Transport,
    from: Mailbox,
}

impl std::fmt::Debug for LettreMailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = match &self.transport {
            Transport::Smtp(_) => "smtp",
            Transport::File(..) => "file",
        };
        f.debug_struct("Mailer")
            .field("transport", &kind)
            .field("from", &self.from.to_string())
            .finish()
    }
}

#[derive(Clone)]
struct IdempotencyKey(String);

impl Header for IdempotencyKey {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("X-Idempotency-Key")
    }

    fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(Self(s.to_owned()))
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), self.0.clone())
    }
}

impl LettreMailer {
    pub fn new(smtp: &SmtpSettings, mail: &MailSettings) -> Result<Self, MailError> {
        let from: Mailbox = mail
            .from
            .parse()
            .map_err(|e| MailError::Invalid(format!("mail.from: {e}")))?;
        let transport = if smtp.host.is_empty() {
            let dir = PathBuf::from(&mail.outbox_dir);
            Transport::File(AsyncFileTransport::new(&dir), dir)
        } else {
            Transport::Smtp(Arc::new(smtp::SmtpSender::new(smtp)?))
        };
        Ok(Self { transport, from })
    }
}

#[async_trait::async_trait]
impl Mailer for LettreMailer {
    async fn send(&self, email: Email) -> Result<String, MailError> {
        let domain = self.from.email.domain().to_owned();
        let message_id = format!("<{}@{}>", sanitize(&email.idempotency_key), domain);
        let to: Mailbox = email
            .to
            .parse()
            .map_err(|e| MailError::Invalid(format!("recipient: {e}")))?;
        let mut body =
            MultiPart::mixed().multipart(MultiPart::alternative_plain_html(email.text, email.html));
        for attachment in email.attachments {
            let content_type = ContentType::parse(&attachment.content_type)
                .map_err(|e| MailError::Invalid(format!("attachment type: {e}")))?;
            body = body.singlepart(
                MimeAttachment::new(attachment.filename).body(attachment.body, content_type),
            );
        }
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(email.subject)
            .message_id(Some(message_id.clone()))
            .header(IdempotencyKey(email.idempotency_key))
            .multipart(body)
            .map_err(|e| MailError::Invalid(e.to_string()))?;
        match &self.transport {
            Transport::Smtp(smtp) => {
                smtp.send(message.envelope(), &message.formatted()).await?;
            }
            Transport::File(file, dir) => {
                tokio::fs::create_dir_all(dir)
                    .await
                    .map_err(|e| MailError::File(e.to_string()))?;
                file.send(message)
                    .await
                    .map_err(|e| MailError::File(e.to_string()))?;
            }
        }
        tracing::info!(%message_id, "email sent");
        Ok(message_id)
    }
}

/// Message-ID local parts allow a restricted alphabet.
fn sanitize(key: &str) -> String {
    key.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '.'
            }
        })
        .collect()
}
