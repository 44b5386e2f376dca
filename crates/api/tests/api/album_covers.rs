//! `POST /albums/{id}/covers` and the served `coverUrl`.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::helpers::*;

const BOUNDARY: &str = "----backbeat-test-boundary";

fn png(size: usize) -> Vec<u8> {
    let mut bytes = b"\x89PNG\r\n\x1a\n".to_vec();
    bytes.resize(size, 0x42);
    bytes
}

fn jpeg(size: usize) -> Vec<u8> {
    let mut bytes = vec![0xFF, 0xD8, 0xFF, 0xE0];
    bytes.resize(size, 0x24);
    bytes
}

fn multipart(field: &str, filename: &str, content_type: &str, bytes: &[u8]) -> Vec<u8> {
    let mut body = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"{filename}\"\r\nContent-Type: {content_type}\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    body
}

async fn upload(
    app: &TestApp,
    album: &str,
    token: Option<&str>,
    body: Vec<u8>,
) -> reqwest::Response {
    let mut request = app
        .client
        .post(app.url(&format!("/albums/{album}/covers")))
        .header(
            "content-type",
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.expect("sent")
}

async fn cover_url(app: &TestApp, album: &str) -> Option<String> {
    let body = expect_status(
        app.get(&format!("/albums/{album}"), None).await,
        StatusCode::OK,
    )
    .await;
    body["data"]["album"]["coverUrl"]
        .as_str()
        .map(str::to_owned)
}

#[tokio::test]
async fn an_uploaded_cover_is_served_at_an_absolute_url_with_its_type() {
    let app = spawn_app().await;
    let (_, token, _) = app.user("artist").await;
    let album = app.album(Some(&token), "Viva la Vida", 2008).await;
    assert_eq!(cover_url(&app, &album).await, None);

    let image = png(2048);
    let body = expect_status(
        upload(
            &app,
            &album,
            Some(&token),
            multipart("cover", "cover.png", "image/png", &image),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()));

    let url = cover_url(&app, &album).await.expect("coverUrl");
    assert!(
        url.starts_with(&format!("{}/media/covers/{album}/", app.address)),
        "{url}"
    );
    assert!(url.ends_with(".png"));
    let served = app.client.get(&url).send().await.expect("sent");
    assert_eq!(served.status(), StatusCode::OK);
    assert_eq!(served.headers()["content-type"], "image/png");
    assert_eq!(
        served.bytes().await.expect("bytes").as_ref(),
        image.as_slice()
    );
}

#[tokio::test]
async fn a_new_cover_replaces_and_removes_the_old_one() {
    let app = spawn_app().await;
    let (_, token, _) = app.user("artist").await;
    let album = app.album(Some(&token), "A", 2000).await;
    expect_status(
        upload(
            &app,
            &album,
            Some(&token),
            multipart("cover", "a.png", "image/png", &png(100)),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    let first = cover_url(&app, &album).await.expect("first");
    expect_status(
        upload(
            &app,
            &album,
            Some(&token),
            multipart("cover", "b.jpg", "image/jpeg", &jpeg(100)),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    let second = cover_url(&app, &album).await.expect("second");
    assert_ne!(first, second);
    assert!(second.ends_with(".jpg"));
    assert_eq!(
        app.client
            .get(&second)
            .send()
            .await
            .expect("sent")
            .headers()["content-type"],
        "image/jpeg"
    );
    expect_error(
        app.client.get(&first).send().await.expect("sent"),
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
    )
    .await;
    let files: Vec<_> = std::fs::read_dir(app.storage.path().join("covers").join(&album))
        .expect("dir")
        .flatten()
        .collect();
    assert_eq!(files.len(), 1, "the old file is deleted");
}

#[tokio::test]
async fn only_real_images_of_an_image_type_are_accepted() {
    let app = spawn_app().await;
    let (_, token, _) = app.user("artist").await;
    let album = app.album(Some(&token), "A", 2000).await;
    let t = Some(token.as_str());
    let cases = [
        multipart("cover", "a.txt", "text/plain", b"hello"),
        multipart("cover", "a.png", "image/png", b"this is not a png at all"),
        multipart("cover", "a.gif", "image/gif", b"GIF89a..........."),
        multipart("cover", "a.png", "application/octet-stream", &png(100)),
        multipart("image", "a.png", "image/png", &png(100)),
    ];
    for body in cases {
        expect_field_error(upload(&app, &album, t, body).await, "cover").await;
    }
    assert_eq!(cover_url(&app, &album).await, None);
    // Not multipart at all.
    let response = app
        .post_as(&format!("/albums/{album}/covers"), json!({"cover": "x"}), t)
        .await;
    expect_error(
        response,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "UNSUPPORTED_MEDIA_TYPE",
    )
    .await;
}

#[tokio::test]
async fn covers_over_512000_bytes_are_413_and_exactly_512000_is_fine() {
    let app = spawn_app().await;
    let (_, token, _) = app.user("artist").await;
    let album = app.album(Some(&token), "A", 2000).await;
    let t = Some(token.as_str());
    expect_error(
        upload(
            &app,
            &album,
            t,
            multipart("cover", "big.png", "image/png", &png(512_001)),
        )
        .await,
        StatusCode::PAYLOAD_TOO_LARGE,
        "PAYLOAD_TOO_LARGE",
    )
    .await;
    expect_error(
        upload(
            &app,
            &album,
            t,
            multipart("cover", "huge.png", "image/png", &png(5_000_000)),
        )
        .await,
        StatusCode::PAYLOAD_TOO_LARGE,
        "PAYLOAD_TOO_LARGE",
    )
    .await;
    assert_eq!(cover_url(&app, &album).await, None);
    expect_status(
        upload(
            &app,
            &album,
            t,
            multipart("cover", "max.png", "image/png", &png(512_000)),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
}

#[tokio::test]
async fn an_oversized_cover_streamed_without_a_length_is_cut_off() {
    let app = spawn_app().await;
    let (_, token, _) = app.user("artist").await;
    let album = app.album(Some(&token), "A", 2000).await;
    let mut stream = tokio::net::TcpStream::connect(app.address.trim_start_matches("http://"))
        .await
        .expect("connect");
    let head = format!(
        "POST /albums/{album}/covers HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: multipart/form-data; boundary={BOUNDARY}\r\nTransfer-Encoding: chunked\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).await.expect("head");
    let body = multipart("cover", "big.png", "image/png", &png(3_000_000));
    for chunk in body.chunks(64 * 1024) {
        let framed = [
            format!("{:x}\r\n", chunk.len()).into_bytes(),
            chunk.to_vec(),
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
    assert!(text.contains("PAYLOAD_TOO_LARGE"));
}

#[tokio::test]
async fn file_names_come_from_the_server_not_the_client() {
    let app = spawn_app().await;
    let (_, token, _) = app.user("artist").await;
    let album = app.album(Some(&token), "A", 2000).await;
    let body = multipart("cover", "../../../../tmp/evil.png", "image/png", &png(64));
    expect_status(
        upload(&app, &album, Some(&token), body).await,
        StatusCode::CREATED,
    )
    .await;
    let url = cover_url(&app, &album).await.expect("url");
    assert!(!url.contains("evil") && !url.contains(".."), "{url}");
    assert!(!std::path::Path::new("/tmp/evil.png").exists());
    // Stored keys cannot be abused to read outside the storage folder either.
    for path in [
        "/media/..%2f..%2fetc%2fpasswd.png",
        "/media/covers/../../secret.png",
        "/media/%2e%2e/x.png",
    ] {
        let response = app.client.get(app.url(path)).send().await.expect("sent");
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
    }
    // Only covers are public: an artwork master in the same store is not served, key known or not.
    let artwork = "artwork/album-x/0123456789abcdef0123456789abcdef.png";
    app.state
        .storage
        .put(artwork, &png(64))
        .await
        .expect("stored");
    let response = app
        .client
        .get(app.url(&format!("/media/{artwork}")))
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let served = app.client.get(&url).send().await.expect("sent");
    assert_eq!(served.status(), StatusCode::OK);
}

#[tokio::test]
async fn cover_uploads_follow_the_catalog_rules() {
    let app = spawn_app().await;
    let (_, owner, _) = app.user("owner").await;
    let (_, stranger, _) = app.user("stranger").await;
    let album = app.album(Some(&owner), "A", 2000).await;
    let image = multipart("cover", "a.png", "image/png", &png(64));
    expect_error(
        upload(&app, &album, None, image.clone()).await,
        StatusCode::UNAUTHORIZED,
        "AUTH_REQUIRED",
    )
    .await;
    expect_error(
        upload(&app, &album, Some(&stranger), image.clone()).await,
        StatusCode::FORBIDDEN,
        "FORBIDDEN",
    )
    .await;
    expect_error(
        upload(&app, "album-unknown000000000", Some(&owner), image).await,
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
    )
    .await;

    let compat = spawn_app_with(|s| s.compat.openmusic_anonymous_catalog = true).await;
    let album = compat.album(None, "Open", 2000).await;
    expect_status(
        upload(
            &compat,
            &album,
            None,
            multipart("cover", "a.png", "image/png", &png(64)),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
}

#[tokio::test]
async fn deleting_an_album_deletes_its_cover_file() {
    let app = spawn_app().await;
    let (_, token, _) = app.user("artist").await;
    let album = app.album(Some(&token), "A", 2000).await;
    expect_status(
        upload(
            &app,
            &album,
            Some(&token),
            multipart("cover", "a.png", "image/png", &png(64)),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    let url = cover_url(&app, &album).await.expect("url");
    expect_status(
        app.delete_as(&format!("/albums/{album}"), None, Some(&token))
            .await,
        StatusCode::OK,
    )
    .await;
    expect_error(
        app.client.get(&url).send().await.expect("sent"),
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
    )
    .await;
}

/// An album with a cover, and the `coverUrl` read with `headers`.
async fn cover_url_seen_with(app: &TestApp, headers: &[(&str, &str)]) -> String {
    let (_, token, _) = app.user("artist").await;
    let album = app.album(Some(&token), "Linked", 2010).await;
    expect_status(
        upload(
            app,
            &album,
            Some(&token),
            multipart("cover", "c.png", "image/png", &png(64)),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    let mut request = app.client.get(app.url(&format!("/albums/{album}")));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let body = expect_status(request.send().await.expect("sent"), StatusCode::OK).await;
    body["data"]["album"]["coverUrl"]
        .as_str()
        .expect("coverUrl")
        .to_owned()
}

#[tokio::test]
async fn cover_urls_follow_the_address_clients_use_and_proxies_only_when_trusted() {
    let forwarded = [
        ("x-forwarded-proto", "https"),
        ("x-forwarded-host", "music.example.com"),
    ];
    // Not a trusted proxy: the forwarded headers are ignored; the URL is the one requested.
    let app = spawn_app().await;
    let url = cover_url_seen_with(&app, &forwarded).await;
    assert!(
        url.starts_with(&format!("{}/media/covers/", app.address)),
        "{url}"
    );

    let behind_proxy =
        spawn_app_with(|s| s.server.trusted_proxies = vec!["127.0.0.1".parse().expect("ip")]).await;
    let url = cover_url_seen_with(&behind_proxy, &forwarded).await;
    assert!(
        url.starts_with("https://music.example.com/media/covers/"),
        "{url}"
    );

    let configured = spawn_app_with(|s| {
        s.server.public_base_url = "https://cdn.example.org/".to_owned();
        s.server.trusted_proxies = vec!["127.0.0.1".parse().expect("ip")];
    })
    .await;
    let url = cover_url_seen_with(&configured, &forwarded).await;
    assert!(
        url.starts_with("https://cdn.example.org/media/covers/"),
        "{url}"
    );
}
