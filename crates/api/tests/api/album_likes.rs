//! `POST|DELETE|GET /albums/{id}/likes` with the Redis-cached count.

use reqwest::StatusCode;

use crate::helpers::*;

async fn likes(app: &TestApp, album: &str) -> (i64, String) {
    let response = app.get(&format!("/albums/{album}/likes"), None).await;
    let source = response
        .headers()
        .get("x-data-source")
        .map(|v| v.to_str().expect("ascii").to_owned())
        .unwrap_or_default();
    let body = expect_status(response, StatusCode::OK).await;
    (
        body["data"]["likes"].as_i64().expect("likes is a number"),
        source,
    )
}

#[tokio::test]
async fn likes_are_counted_cached_and_invalidated_by_every_like_and_unlike() {
    let app = spawn_app().await;
    let (_, artist, _) = app.user("artist").await;
    let (_, fan, _) = app.user("fan").await;
    let (_, other, _) = app.user("other").await;
    let album = app.album(Some(&artist), "A", 2000).await;
    let path = format!("/albums/{album}/likes");

    assert_eq!(likes(&app, &album).await, (0, "database".to_owned()));
    assert_eq!(likes(&app, &album).await, (0, "cache".to_owned()));

    let body = expect_status(
        app.post_as(&path, serde_json::json!({}), Some(&fan)).await,
        StatusCode::CREATED,
    )
    .await;
    assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()));
    assert_eq!(
        likes(&app, &album).await,
        (1, "database".to_owned()),
        "the like invalidated the cache"
    );
    assert_eq!(likes(&app, &album).await, (1, "cache".to_owned()));

    expect_status(
        app.post_as(&path, serde_json::json!({}), Some(&other))
            .await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(likes(&app, &album).await.0, 2);

    expect_status(app.delete_as(&path, None, Some(&fan)).await, StatusCode::OK).await;
    assert_eq!(
        likes(&app, &album).await,
        (1, "database".to_owned()),
        "the unlike invalidated the cache"
    );
}

#[tokio::test]
async fn like_errors() {
    let app = spawn_app().await;
    let (_, fan, _) = app.user("fan").await;
    let album = app.album(Some(&fan), "A", 2000).await;
    let path = format!("/albums/{album}/likes");
    expect_status(
        app.post_as(&path, serde_json::json!({}), Some(&fan)).await,
        StatusCode::CREATED,
    )
    .await;
    expect_error(
        app.post_as(&path, serde_json::json!({}), Some(&fan)).await,
        StatusCode::BAD_REQUEST,
        "VALIDATION_ERROR",
    )
    .await;
    expect_error(
        app.post_as(&path, serde_json::json!({}), None).await,
        StatusCode::UNAUTHORIZED,
        "AUTH_REQUIRED",
    )
    .await;
    expect_error(
        app.delete_as(&path, None, None).await,
        StatusCode::UNAUTHORIZED,
        "AUTH_REQUIRED",
    )
    .await;
    expect_status(app.delete_as(&path, None, Some(&fan)).await, StatusCode::OK).await;
    expect_error(
        app.delete_as(&path, None, Some(&fan)).await,
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
    )
    .await;
    let unknown = "/albums/album-unknown000000000/likes";
    expect_error(
        app.post_as(unknown, serde_json::json!({}), Some(&fan))
            .await,
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
    )
    .await;
    expect_error(
        app.delete_as(unknown, None, Some(&fan)).await,
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
    )
    .await;
    expect_error(
        app.get(unknown, None).await,
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
    )
    .await;
}

#[tokio::test]
async fn concurrent_likes_by_one_user_count_once() {
    let app = spawn_app().await;
    let (_, fan, _) = app.user("fan").await;
    let album = app.album(Some(&fan), "A", 2000).await;
    let path = format!("/albums/{album}/likes");
    let responses = futures_util::future::join_all(
        (0..8).map(|_| app.post_as(&path, serde_json::json!({}), Some(&fan))),
    )
    .await;
    assert_eq!(
        responses
            .iter()
            .filter(|r| r.status() == StatusCode::CREATED)
            .count(),
        1
    );
    assert_eq!(likes(&app, &album).await.0, 1);
}

#[tokio::test]
async fn a_deleted_album_is_not_served_from_the_cache() {
    let app = spawn_app().await;
    let (_, fan, _) = app.user("fan").await;
    let album = app.album(Some(&fan), "A", 2000).await;
    likes(&app, &album).await;
    assert_eq!(likes(&app, &album).await.1, "cache");
    expect_status(
        app.delete_as(&format!("/albums/{album}"), None, Some(&fan))
            .await,
        StatusCode::OK,
    )
    .await;
    expect_error(
        app.get(&format!("/albums/{album}/likes"), None).await,
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
    )
    .await;
}

#[tokio::test]
async fn likes_work_from_the_database_when_redis_is_down() {
    let closed = closed_port();
    let app = spawn_app_with(|s| s.redis.url = format!("redis://127.0.0.1:{closed}").into()).await;
    let (_, fan, _) = app.user("fan").await;
    let album = app.album(Some(&fan), "A", 2000).await;
    let path = format!("/albums/{album}/likes");
    expect_status(
        app.post_as(&path, serde_json::json!({}), Some(&fan)).await,
        StatusCode::CREATED,
    )
    .await;
    for _ in 0..3 {
        assert_eq!(likes(&app, &album).await, (1, "database".to_owned()));
    }
    expect_status(app.delete_as(&path, None, Some(&fan)).await, StatusCode::OK).await;
    assert_eq!(likes(&app, &album).await, (0, "database".to_owned()));
}
