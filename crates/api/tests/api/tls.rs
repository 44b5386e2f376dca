//! TLS to PostgreSQL, Redis and RabbitMQ, each against a real TLS endpoint on loopback with
//! certificates made for the test: PostgreSQL's own (it accepts TLS), a TLS `redis-server`, and
//! RabbitMQ behind a TLS-terminating proxy.

use backbeat_testkit::tls::{self, Certificates};
use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::*;

async fn readiness(app: &TestApp) -> (StatusCode, Value) {
    read(app.get("/health/ready", None).await).await
}

#[derive(diesel::QueryableByName)]
struct Encrypted {
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Bool>)]
    all: Option<bool>,
}

#[tokio::test]
async fn postgresql_connections_are_encrypted_as_ssl_mode_asks() {
    let app = spawn_app_with(|s| s.database.ssl_mode = "require".to_owned()).await;
    let (status, body) = readiness(&app).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    app.user("over-tls").await;
    let mut conn = app.db.connect().await;
    let encrypted: Encrypted = diesel_async::RunQueryDsl::get_result(
        diesel::sql_query(
            "SELECT bool_and(s.ssl) AS all FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid)
             WHERE a.datname = current_database() AND a.application_name = 'backbeat-api'",
        ),
        &mut conn,
    )
    .await
    .expect("pg_stat_ssl");
    assert_eq!(encrypted.all, Some(true), "every API connection uses TLS");

    // verify-full checks the certificate: the local server's is not from a trusted CA.
    let strict = spawn_app_with(|s| {
        s.database.ssl_mode = "verify-full".to_owned();
        s.database.acquire_timeout_ms = 1000;
    })
    .await;
    let (status, body) = readiness(&strict).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(body["checks"]["database"], "down");

    // An sslmode that does not exist stops the start, naming the setting.
    let mut settings = app.settings.clone();
    settings.database.ssl_mode = "always".to_owned();
    let error = backbeat_api::Application::build(settings)
        .await
        .err()
        .expect("refused");
    assert!(format!("{error:#}").contains("ssl_mode"), "{error:#}");
}

#[tokio::test]
async fn redis_over_tls_trusts_the_configured_ca_and_only_it() {
    let certs = Certificates::generate();
    let redis = tls::redis(&certs).await;
    let url = format!("rediss://127.0.0.1:{}", redis.port);
    let trusted = spawn_app_with({
        let (url, ca) = (url.clone(), certs.ca());
        move |s| {
            s.redis.url = url.into();
            s.redis.ca_file = Some(ca);
        }
    })
    .await;
    let (status, body) = readiness(&trusted).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // Rate limits count in the TLS Redis.
    let (_, token, _) = trusted.user("secure").await;
    let response = trusted.get("/playlists", Some(&token)).await;
    assert!(response.headers().contains_key("ratelimit-remaining"));

    // Without the CA the server's certificate is refused.
    let untrusted = spawn_app_with(move |s| s.redis.url = url.into()).await;
    let (status, body) = readiness(&untrusted).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(body["checks"]["redis"], "down");
}

#[tokio::test]
async fn rabbitmq_over_tls_trusts_the_configured_ca_and_only_it() {
    let certs = Certificates::generate();
    let proxy = tls::terminating_proxy(&certs, 5672).await;
    let url = format!("amqps://guest:guest@localhost:{}/%2f", proxy.port);
    let trusted = spawn_app_with({
        let (url, ca) = (url.clone(), certs.ca());
        move |s| {
            s.rabbitmq.url = url.into();
            s.rabbitmq.ca_file = Some(ca);
        }
    })
    .await;
    let (status, body) = readiness(&trusted).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    let untrusted = spawn_app_with(move |s| s.rabbitmq.url = url.into()).await;
    let (status, body) = readiness(&untrusted).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(body["checks"]["rabbitmq"], "down");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_object_store_over_tls_trusts_the_configured_ca_and_only_it() {
    let certs = Certificates::generate();
    let garage = backbeat_testkit::garage::Garage::start();
    let plain: u16 = garage
        .endpoint(0)
        .rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .expect("port");
    let proxy = tls::terminating_proxy(&certs, plain).await;
    let spool = tempfile::tempdir().expect("spool");
    let mut settings = backbeat_config::Settings::load_from(std::iter::empty::<(String, String)>())
        .expect("settings");
    garage.apply(&mut settings, spool.path());
    settings.storage.s3.endpoint = format!("https://localhost:{}", proxy.port);
    settings.storage.s3.ca_file = Some(certs.ca());
    let trusted = backbeat_services::context::storage(&settings).expect("store");
    trusted
        .put("covers/tls/a.png", b"over tls")
        .await
        .expect("put over TLS");
    assert_eq!(
        trusted.get("covers/tls/a.png").await.expect("get"),
        b"over tls"
    );

    // Without the CA the store's certificate is refused, and nothing is sent in plaintext.
    settings.storage.s3.ca_file = None;
    let untrusted = backbeat_services::context::storage(&settings).expect("store");
    let refused = untrusted.put("covers/tls/b.png", b"x").await;
    assert!(
        matches!(refused, Err(backbeat_storage::StorageError::Remote(_))),
        "{refused:?}"
    );
    assert!(
        !trusted.exists("covers/tls/b.png").await.expect("exists"),
        "the untrusted client wrote nothing"
    );
}
