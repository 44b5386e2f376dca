//! Artists: their owner creates, reads, changes and lists them; nobody else sees them.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn artists_belong_to_their_owner() {
    let app = spawn_app().await;
    let client = app.client();
    let (_, owner) = client.user("nadia", None).await;
    let (_, stranger) = client.user("stranger", None).await;

    let created = client
        .expect(
            StatusCode::CREATED,
            Method::POST,
            "/artists",
            Some(json!({"name": "Nadia Rose", "bio": "Pop from Jakarta", "externalUrls": ["https://nadia.example/"]})),
            Some(&owner),
        )
        .await;
    let id = created["data"]["artistId"]
        .as_str()
        .expect("artistId")
        .to_owned();
    assert!(id.starts_with("artist-"));

    let artist = client
        .expect(
            StatusCode::OK,
            Method::GET,
            &format!("/artists/{id}"),
            None,
            Some(&owner),
        )
        .await;
    assert_eq!(
        keys(&artist["data"]["artist"]),
        ["bio", "createdAt", "externalUrls", "id", "name", "verified"]
    );
    assert_eq!(artist["data"]["artist"]["verified"], false);

    // null clears; `verified` is not the owner's to set; absent fields stay.
    let changed = client
        .expect(
            StatusCode::OK,
            Method::PATCH,
            &format!("/artists/{id}"),
            Some(json!({"bio": null, "verified": true})),
            Some(&owner),
        )
        .await;
    let artist = &changed["data"]["artist"];
    assert!(artist["bio"].is_null());
    assert_eq!(artist["verified"], false);
    assert_eq!(artist["name"], "Nadia Rose");
    assert_eq!(artist["externalUrls"], json!(["https://nadia.example/"]));

    // A stranger cannot tell it exists.
    for method in [Method::GET, Method::PATCH] {
        let (status, body, _) = client
            .call(
                method.clone(),
                &format!("/artists/{id}"),
                Some(json!({"name": "Mine now"})),
                Some(&stranger),
            )
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{method}: {body}");
        assert_eq!(body["code"], "NOT_FOUND");
    }
    let stranger_list = client
        .expect(
            StatusCode::OK,
            Method::GET,
            "/artists?mine=true",
            None,
            Some(&stranger),
        )
        .await;
    assert_eq!(stranger_list["data"]["artists"], json!([]));
    let (status, _, _) = client
        .call(Method::GET, "/artists?mine=false", None, Some(&owner))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // Paged, oldest first.
    client
        .expect(
            StatusCode::CREATED,
            Method::POST,
            "/artists",
            Some(json!({"name": "Second"})),
            Some(&owner),
        )
        .await;
    let first = client
        .expect(
            StatusCode::OK,
            Method::GET,
            "/artists?limit=1",
            None,
            Some(&owner),
        )
        .await;
    assert_eq!(first["data"]["artists"][0]["name"], "Nadia Rose");
    assert_eq!(first["meta"]["limit"], 1);
    let cursor = first["meta"]["nextCursor"].as_str().expect("another page");
    let second = client
        .expect(
            StatusCode::OK,
            Method::GET,
            &format!("/artists?limit=1&cursor={cursor}"),
            None,
            Some(&owner),
        )
        .await;
    assert_eq!(second["data"]["artists"][0]["name"], "Second");
    assert!(second["meta"]["nextCursor"].is_null());
}

#[tokio::test]
async fn artist_input_is_checked_field_by_field() {
    let app = spawn_app().await;
    let (_, token, _) = app.user("nadia").await;
    for (body, field) in [
        (json!({}), "name"),
        (json!({"name": ""}), "name"),
        (json!({"name": "x".repeat(201)}), "name"),
        (
            json!({"name": "Ok", "externalUrls": ["ftp://x"]}),
            "externalUrls",
        ),
        (
            json!({"name": "Ok", "externalUrls": "https://x"}),
            "externalUrls",
        ),
        (
            json!({"name": "Ok", "externalUrls": ["http://A*"]}),
            "externalUrls",
        ),
        (
            json!({"name": "Ok", "externalUrls": [" https://x.example/"]}),
            "externalUrls",
        ),
        (json!({"name": "Ok", "bio": 7}), "bio"),
    ] {
        expect_field_error(app.post_as("/artists", body, Some(&token)).await, field).await;
    }
    expect_error(
        app.post_as("/artists", json!({"name": "No token"}), None)
            .await,
        StatusCode::UNAUTHORIZED,
        "AUTH_REQUIRED",
    )
    .await;
    expect_error(
        app.get("/artists/artist-doesnotexist0", Some(&token)).await,
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
    )
    .await;
}
