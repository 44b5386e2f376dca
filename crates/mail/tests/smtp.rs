//! The SMTP sender against a real SMTP server on loopback: emails arrive, one connection serves
//! many of them, and a connection the server dropped is replaced rather than failing a send.

use std::time::Duration;

use backbeat_config::{MailSettings, SmtpSettings, SmtpTls};
use backbeat_mail::{Email, LettreMailer, Mailer};
use backbeat_testkit::smtp::SmtpServer;

fn mailer(port: u16) -> LettreMailer {
    let smtp = SmtpSettings {
        host: "127.0.0.1".to_owned(),
        port,
        username: String::new(),
        password: None,
        tls: SmtpTls::None,
        timeout_secs: 5,
    };
    let mail = MailSettings {
        from: "backbeat <no-reply@backbeat.test>".to_owned(),
        outbox_dir: String::new(),
    };
    LettreMailer::new(&smtp, &mail).expect("mailer")
}

fn email(n: usize) -> Email {
    Email {
        to: format!("listener{n}@example.com"),
        subject: format!("Email {n}"),
        text: "text".to_owned(),
        html: "<p>html</p>".to_owned(),
        attachments: Vec::new(),
        idempotency_key: format!("key-{n}"),
    }
}

#[tokio::test]
async fn emails_share_one_connection_and_arrive_in_full() {
    let server = SmtpServer::start().await;
    let mailer = mailer(server.port);
    for n in 0..5 {
        mailer.send(email(n)).await.expect("sent");
    }
    let received = server.wait_for(5, Duration::from_secs(5)).await;
    assert_eq!(received.len(), 5);
    assert_eq!(received[3].to, vec!["listener3@example.com".to_owned()]);
    let data = String::from_utf8_lossy(&received[3].data);
    assert!(data.contains("Subject: Email 3"), "{data}");
    assert!(data.contains("<key-3@backbeat.test>"), "{data}");
    assert_eq!(server.connections(), 1, "each email opened a connection");
}

#[tokio::test]
async fn a_connection_the_server_lost_is_replaced() {
    let first = SmtpServer::start().await;
    let port = first.port;
    let mailer = mailer(port);
    mailer.send(email(0)).await.expect("sent");
    // The server goes away with the idle connection, and comes back on the same port.
    drop(first);
    let second = loop {
        if let Some(server) = SmtpServer::start_on(port).await {
            break server;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    mailer
        .send(email(1))
        .await
        .expect("sent on a new connection");
    let received = second.wait_for(1, Duration::from_secs(5)).await;
    assert_eq!(received[0].to, vec!["listener1@example.com".to_owned()]);
}
