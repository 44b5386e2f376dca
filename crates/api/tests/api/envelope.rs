//! The error contract on the odd cases: every response is JSON with a stable code.

use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::helpers::*;

#[tokio::test]
async fn unknown_routes_are_json_404s() {
    let app = spawn_app().await;
    for path in ["/nope", "/users/me/extra", "/albums-typo"] {
        expect_error(
            app.request(Method::GET, path, None, None).await,
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
        )
        .await;
    }
    expect_error(
        app.request(Method::POST, "/nope", Some(json!({})), None)
            .await,
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
    )
    .await;
}

#[tokio::test]
async fn wrong_methods_are_json_405s_with_allow() {
    let app = spawn_app().await;
    let response = app.request(Method::GET, "/users", None, None).await;
    assert_eq!(
        response
            .headers()
            .get("allow")
            .map(|v| v.to_str().expect("ascii")),
        Some("POST")
    );
    expect_error(
        response,
        StatusCode::METHOD_NOT_ALLOWED,
        "METHOD_NOT_ALLOWED",
    )
    .await;
    expect_error(
        app.request(Method::PATCH, "/authentications", None, None)
            .await,
        StatusCode::METHOD_NOT_ALLOWED,
        "METHOD_NOT_ALLOWED",
    )
    .await;
}

async fn raw_post(
    app: &TestApp,
    path: &str,
    content_type: &str,
    body: Vec<u8>,
) -> reqwest::Response {
    app.client
        .post(app.url(path))
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .expect("sent")
}

#[tokio::test]
async fn malformed_bodies_are_invalid_json() {
    let app = spawn_app().await;
    for body in [
        b"{bad".to_vec(),
        b"[1, 2]".to_vec(),
        b"\"text\"".to_vec(),
        b"{\"username\": \"\xff\xfe\"}".to_vec(),
        b"null".to_vec(),
        // Declared JSON, yet only whitespace: not an empty body.
        b" \n".to_vec(),
    ] {
        expect_error(
            raw_post(&app, "/users", "application/json", body).await,
            StatusCode::BAD_REQUEST,
            "INVALID_JSON",
        )
        .await;
    }
}

#[tokio::test]
async fn nul_characters_are_refused_by_name_in_bodies_and_queries() {
    let app = spawn_app().await;
    // PostgreSQL's text cannot hold NUL: a 400 naming the field, never a failed insert (500).
    let sign_up = raw_post(
        &app,
        "/users",
        "application/json",
        br#"{"username": "nul", "password": "secret-password", "fullname": "a\u0000b"}"#.to_vec(),
    )
    .await;
    expect_field_error(sign_up, "fullname").await;
    let (_, token) = app.admin_user("auditor").await;
    for path in ["/admin/audit?actor=a%00b", "/songs?title=%00"] {
        let field = if path.starts_with("/songs") {
            "title"
        } else {
            "actor"
        };
        expect_field_error(
            app.request(Method::GET, path, None, Some(&token)).await,
            field,
        )
        .await;
    }
    assert_eq!(
        app.request(
            Method::GET,
            "/admin/audit?actor=someone",
            None,
            Some(&token)
        )
        .await
        .status(),
        StatusCode::OK
    );
    // An id in a query is held to the document's rule too (at most 64 characters).
    let long = format!("/distributions?platformId={}", "p".repeat(65));
    expect_field_error(
        app.request(Method::GET, &long, None, Some(&token)).await,
        "platformId",
    )
    .await;
}

#[tokio::test]
async fn non_json_bodies_are_415() {
    let app = spawn_app().await;
    expect_error(
        raw_post(&app, "/users", "text/plain", b"{}".to_vec()).await,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "UNSUPPORTED_MEDIA_TYPE",
    )
    .await;
    // A body without any Content-Type is not taken for JSON either.
    let response = app
        .client
        .post(app.url("/users"))
        .body(r#"{"username":"a","password":"b","fullname":"c"}"#)
        .send()
        .await
        .expect("sent");
    expect_error(
        response,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "UNSUPPORTED_MEDIA_TYPE",
    )
    .await;
    // A charset parameter is fine.
    let body = br#"{"username":"a","password":"b","fullname":"c"}"#.to_vec();
    let (status, _) =
        read(raw_post(&app, "/users", "application/json; charset=utf-8", body).await).await;
    assert_eq!(status, StatusCode::CREATED);
}

#[tokio::test]
async fn oversized_bodies_are_413_before_being_read() {
    let app = spawn_app().await;
    let big = format!(
        r#"{{"username":"a","password":"b","fullname":"{}"}}"#,
        "x".repeat(1024 * 1024 + 10)
    );
    expect_error(
        raw_post(&app, "/users", "application/json", big.into_bytes()).await,
        StatusCode::PAYLOAD_TOO_LARGE,
        "PAYLOAD_TOO_LARGE",
    )
    .await;
}

#[tokio::test]
async fn oversized_chunked_bodies_are_413_while_streaming() {
    let app = spawn_app().await;
    let mut stream = tokio::net::TcpStream::connect(app.address.trim_start_matches("http://"))
        .await
        .expect("connect");
    let head = "POST /users HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";
    stream.write_all(head.as_bytes()).await.expect("head");
    let chunk = vec![b' '; 64 * 1024];
    // Up to 2 MiB; the server answers (and may close) before all of it is sent.
    for _ in 0..32 {
        let framed = [
            format!("{:x}\r\n", chunk.len()).into_bytes(),
            chunk.clone(),
            b"\r\n".to_vec(),
        ]
        .concat();
        if stream.write_all(&framed).await.is_err() {
            break;
        }
    }
    let _ = stream.write_all(b"0\r\n\r\n").await;
    let mut response = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut response)).await;
    let text = String::from_utf8_lossy(&response);
    assert!(text.starts_with("HTTP/1.1 413"), "{text}");
    assert!(
        text.to_ascii_lowercase()
            .contains("content-type: application/json"),
        "{text}"
    );
    assert!(text.contains("PAYLOAD_TOO_LARGE"), "{text}");
}

#[tokio::test]
async fn request_ids_are_echoed_or_generated() {
    let app = spawn_app().await;
    let response = app
        .client
        .get(app.url("/health/live"))
        .header("X-Request-Id", "client-id-123")
        .send()
        .await
        .expect("sent");
    assert_eq!(response.headers()["x-request-id"], "client-id-123");

    let a = app.client.get(app.url("/nope")).send().await.expect("sent");
    let b = app.client.get(app.url("/nope")).send().await.expect("sent");
    let (a, b) = (
        a.headers()["x-request-id"].clone(),
        b.headers()["x-request-id"].clone(),
    );
    assert_eq!(a.len(), 32);
    assert_ne!(a, b);

    // Header injection or absurd lengths are replaced, not echoed.
    let response = app
        .client
        .get(app.url("/health/live"))
        .header("X-Request-Id", "x".repeat(500))
        .send()
        .await
        .expect("sent");
    assert_eq!(response.headers()["x-request-id"].len(), 32);
}

#[tokio::test]
async fn a_down_database_gives_a_fast_503_not_a_hang() {
    let port = closed_port();
    let app = spawn_app_with(|s| {
        s.database.port = port;
        s.database.acquire_timeout_ms = 500;
        s.database.connect_timeout_ms = 500;
    })
    .await;
    let started = Instant::now();
    let response = app
        .post(
            "/users",
            json!({"username": "a", "password": "b", "fullname": "c"}),
        )
        .await;
    assert_eq!(
        response
            .headers()
            .get("retry-after")
            .map(|v| v.to_str().expect("ascii")),
        Some("5")
    );
    let body = expect_error(response, StatusCode::SERVICE_UNAVAILABLE, "UNAVAILABLE").await;
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(
        !body.to_string().contains("5432") && !body.to_string().contains(&port.to_string()),
        "{body}"
    );
}

#[tokio::test]
async fn an_exhausted_pool_gives_503() {
    let app = spawn_app_with(|s| {
        s.database.pool_max_size = 1;
        s.database.acquire_timeout_ms = 300;
    })
    .await;
    let held = app.state.db.get().await.expect("the only connection");
    expect_error(
        app.post(
            "/authentications",
            json!({"username": "a", "password": "b"}),
        )
        .await,
        StatusCode::SERVICE_UNAVAILABLE,
        "UNAVAILABLE",
    )
    .await;
    drop(held);
    expect_error(
        app.post(
            "/authentications",
            json!({"username": "a", "password": "b"}),
        )
        .await,
        StatusCode::UNAUTHORIZED,
        "INVALID_CREDENTIALS",
    )
    .await;
}
