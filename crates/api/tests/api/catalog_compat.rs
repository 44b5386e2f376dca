//! `compat.openmusic_anonymous_catalog = true`: openMusic's anonymous catalog writes.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::*;

async fn compat_app() -> TestApp {
    spawn_app_with(|s| s.compat.openmusic_anonymous_catalog = true).await
}

#[tokio::test]
async fn anonymous_clients_create_edit_and_delete_albums_and_songs() {
    let app = compat_app().await;
    let album = app.album(None, "Viva la Vida", 2008).await;
    let mut body = song_body("Life in Technicolor", "Coldplay");
    body["albumId"] = json!(album);
    let song = app.song(None, body).await;

    let body = expect_status(
        app.get(&format!("/albums/{album}"), None).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(body["data"]["album"]["songs"][0]["id"], song.as_str());

    expect_status(
        app.put_as(
            &format!("/albums/{album}"),
            json!({"name": "Renamed", "year": 2009}),
            None,
        )
        .await,
        StatusCode::OK,
    )
    .await;
    expect_status(
        app.put_as(
            &format!("/songs/{song}"),
            song_body("Renamed", "Coldplay"),
            None,
        )
        .await,
        StatusCode::OK,
    )
    .await;
    expect_status(
        app.delete_as(&format!("/songs/{song}"), None, None).await,
        StatusCode::OK,
    )
    .await;
    expect_status(
        app.delete_as(&format!("/albums/{album}"), None, None).await,
        StatusCode::OK,
    )
    .await;
    expect_error(
        app.get(&format!("/albums/{album}"), None).await,
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
    )
    .await;
}

#[tokio::test]
async fn validation_is_the_same_in_compat_mode() {
    let app = compat_app().await;
    expect_field_error(
        app.post_as("/albums", json!({"name": "A", "year": "dummy"}), None)
            .await,
        "year",
    )
    .await;
    expect_field_error(
        app.post_as("/songs", json!({"title": "T"}), None).await,
        "year",
    )
    .await;
    expect_error(
        app.get("/albums/album-unknown", None).await,
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
    )
    .await;
}

#[tokio::test]
async fn rows_with_an_owner_stay_protected_in_compat_mode() {
    let app = compat_app().await;
    let (_, owner, _) = app.user("owner").await;
    let (_, stranger, _) = app.user("stranger").await;
    let album = app.album(Some(&owner), "Owned", 2000).await;
    expect_error(
        app.put_as(
            &format!("/albums/{album}"),
            json!({"name": "X", "year": 2000}),
            None,
        )
        .await,
        StatusCode::UNAUTHORIZED,
        "AUTH_REQUIRED",
    )
    .await;
    expect_error(
        app.delete_as(&format!("/albums/{album}"), None, Some(&stranger))
            .await,
        StatusCode::FORBIDDEN,
        "FORBIDDEN",
    )
    .await;
    expect_status(
        app.put_as(
            &format!("/albums/{album}"),
            json!({"name": "X", "year": 2000}),
            Some(&owner),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    // An anonymous row is open to everyone, signed in or not.
    let open = app.album(None, "Open", 2000).await;
    expect_status(
        app.put_as(
            &format!("/albums/{open}"),
            json!({"name": "Y", "year": 2000}),
            Some(&stranger),
        )
        .await,
        StatusCode::OK,
    )
    .await;
}
