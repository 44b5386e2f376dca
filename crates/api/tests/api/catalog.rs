//! Albums and songs, as openMusic v3 has them (`docs/api/openmusic.md`), in the default
//! (authenticated) mode.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn album_lifecycle() {
    let app = spawn_app().await;
    let (_, token, _) = app.user("artist").await;
    let t = Some(token.as_str());
    let id = app.album(t, "Viva la Vida", 2008).await;
    assert!(id.starts_with("album-") && id.len() == 22, "{id}");

    let body = expect_status(
        app.get(&format!("/albums/{id}"), None).await,
        StatusCode::OK,
    )
    .await;
    let album = &body["data"]["album"];
    assert_eq!(keys(album), ["coverUrl", "id", "name", "songs", "year"]);
    assert_eq!(album["id"], id.as_str());
    assert_eq!(album["name"], "Viva la Vida");
    assert_eq!(album["year"], 2008);
    assert!(album["coverUrl"].is_null());
    assert_eq!(album["songs"], json!([]));

    let body = expect_status(
        app.put_as(
            &format!("/albums/{id}"),
            json!({"name": "Renamed", "year": 2009}),
            t,
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()));
    let body = expect_status(
        app.get(&format!("/albums/{id}"), None).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(body["data"]["album"]["name"], "Renamed");
    assert_eq!(body["data"]["album"]["year"], 2009);

    expect_status(
        app.delete_as(&format!("/albums/{id}"), None, t).await,
        StatusCode::OK,
    )
    .await;
    expect_error(
        app.get(&format!("/albums/{id}"), None).await,
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
    )
    .await;
    expect_error(
        app.put_as(
            &format!("/albums/{id}"),
            json!({"name": "x", "year": 2000}),
            t,
        )
        .await,
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
    )
    .await;
    expect_error(
        app.delete_as(&format!("/albums/{id}"), None, t).await,
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
    )
    .await;
}

#[tokio::test]
async fn an_album_lists_its_songs_with_exactly_three_keys() {
    let app = spawn_app().await;
    let (_, token, _) = app.user("artist").await;
    let t = Some(token.as_str());
    let album = app.album(t, "Viva la Vida", 2008).await;
    let mut body = song_body("Life in Technicolor", "Coldplay");
    body["albumId"] = json!(album);
    let first = app.song(t, body.clone()).await;
    body["title"] = json!("Cemeteries of London");
    let second = app.song(t, body).await;
    app.song(t, song_body("Elsewhere", "Someone")).await;

    let body = expect_status(
        app.get(&format!("/albums/{album}"), None).await,
        StatusCode::OK,
    )
    .await;
    let songs = body["data"]["album"]["songs"].as_array().expect("songs");
    assert_eq!(songs.len(), 2);
    assert_eq!(
        songs[0],
        json!({"id": first, "title": "Life in Technicolor", "performer": "Coldplay"})
    );
    assert_eq!(songs[1]["id"], second.as_str());
}

#[tokio::test]
async fn song_lifecycle() {
    let app = spawn_app().await;
    let (_, token, _) = app.user("artist").await;
    let t = Some(token.as_str());
    let album = app.album(t, "Viva la Vida", 2008).await;
    let mut body = song_body("Life in Technicolor", "Coldplay");
    body["albumId"] = json!(album);
    let id = app.song(t, body).await;
    assert!(id.starts_with("song-") && id.len() == 21, "{id}");

    let body = expect_status(app.get(&format!("/songs/{id}"), None).await, StatusCode::OK).await;
    assert_eq!(
        body["data"]["song"],
        json!({"id": id, "title": "Life in Technicolor", "year": 2008, "performer": "Coldplay", "genre": "Indie", "duration": 120, "albumId": album})
    );

    // PUT replaces every field: optional ones left out become null.
    let update =
        json!({"title": "Lovers in Japan", "year": 2009, "genre": "Pop", "performer": "Coldplay"});
    expect_status(
        app.put_as(&format!("/songs/{id}"), update, t).await,
        StatusCode::OK,
    )
    .await;
    let body = expect_status(app.get(&format!("/songs/{id}"), None).await, StatusCode::OK).await;
    let song = &body["data"]["song"];
    assert_eq!(song["title"], "Lovers in Japan");
    assert_eq!(song["genre"], "Pop");
    assert!(song["duration"].is_null() && song["albumId"].is_null());

    expect_status(
        app.delete_as(&format!("/songs/{id}"), None, t).await,
        StatusCode::OK,
    )
    .await;
    expect_error(
        app.get(&format!("/songs/{id}"), None).await,
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
    )
    .await;
    expect_error(
        app.delete_as(&format!("/songs/{id}"), None, t).await,
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
    )
    .await;
}

#[tokio::test]
async fn a_song_without_optional_fields_has_null_duration_and_album() {
    let app = spawn_app().await;
    let (_, token, _) = app.user("artist").await;
    let id = app
        .song(
            Some(&token),
            json!({"title": "T", "year": 2000, "genre": "G", "performer": "P"}),
        )
        .await;
    let body = expect_status(app.get(&format!("/songs/{id}"), None).await, StatusCode::OK).await;
    assert!(body["data"]["song"]["duration"].is_null());
    assert!(body["data"]["song"]["albumId"].is_null());
}

#[tokio::test]
async fn deleting_an_album_keeps_its_songs_without_an_album() {
    let app = spawn_app().await;
    let (_, token, _) = app.user("artist").await;
    let t = Some(token.as_str());
    let album = app.album(t, "A", 2000).await;
    let mut body = song_body("Kept", "P");
    body["albumId"] = json!(album);
    let song = app.song(t, body).await;
    expect_status(
        app.delete_as(&format!("/albums/{album}"), None, t).await,
        StatusCode::OK,
    )
    .await;
    let body = expect_status(
        app.get(&format!("/songs/{song}"), None).await,
        StatusCode::OK,
    )
    .await;
    assert!(body["data"]["song"]["albumId"].is_null());
}

#[tokio::test]
async fn search_is_a_case_insensitive_substring_match_on_title_and_performer() {
    let app = spawn_app().await;
    let (_, token, _) = app.user("artist").await;
    let t = Some(token.as_str());
    let technicolor = app
        .song(t, song_body("Life in Technicolor", "Coldplay"))
        .await;
    let london = app
        .song(t, song_body("Cemeteries of London", "Coldplay"))
        .await;
    let other = app
        .song(t, song_body("Technicolor Dreams", "Someone Else"))
        .await;
    app.song(t, song_body("100% Pure", "Lit_eral")).await;

    let ids = |body: serde_json::Value| -> Vec<String> {
        body["data"]["songs"]
            .as_array()
            .expect("songs")
            .iter()
            .map(|s| s["id"].as_str().expect("id").to_owned())
            .collect()
    };
    let body = expect_status(app.get("/songs", None).await, StatusCode::OK).await;
    let all = body["data"]["songs"].as_array().expect("songs");
    assert_eq!(all.len(), 4);
    for song in all {
        assert_eq!(keys(song), ["id", "performer", "title"]);
    }
    assert!(
        body.get("meta").is_none(),
        "an unpaged, complete list keeps openMusic's shape"
    );

    let body = expect_status(
        app.get("/songs?title=TECHNICOLOR", None).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(ids(body), [technicolor.clone(), other.clone()]);
    let body = expect_status(
        app.get("/songs?performer=coldplay", None).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(ids(body), [technicolor.clone(), london]);
    let body = expect_status(
        app.get("/songs?title=technicolor&performer=cold", None)
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(ids(body), [technicolor]);
    let body = expect_status(
        app.get("/songs?title=nothing-like-this", None).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(body["data"]["songs"], json!([]));
    // LIKE wildcards are literal.
    let body = expect_status(app.get("/songs?title=%25", None).await, StatusCode::OK).await;
    assert_eq!(body["data"]["songs"].as_array().expect("songs").len(), 1);
    let body = expect_status(app.get("/songs?performer=t_e", None).await, StatusCode::OK).await;
    assert_eq!(body["data"]["songs"].as_array().expect("songs").len(), 1);
}

#[tokio::test]
async fn search_pages_with_a_cursor_without_skipping_or_repeating() {
    let app = spawn_app().await;
    let (_, token, _) = app.user("artist").await;
    let mut created = Vec::new();
    for i in 0..5 {
        created.push(
            app.song(Some(&token), song_body(&format!("Song {i}"), "P"))
                .await,
        );
    }
    let mut seen = Vec::new();
    let mut path = "/songs?limit=2".to_owned();
    loop {
        let body = expect_status(app.get(&path, None).await, StatusCode::OK).await;
        assert_eq!(body["meta"]["limit"], 2);
        for song in body["data"]["songs"].as_array().expect("songs") {
            seen.push(song["id"].as_str().expect("id").to_owned());
        }
        match body["meta"]["nextCursor"].as_str() {
            Some(cursor) => path = format!("/songs?limit=2&cursor={cursor}"),
            None => break,
        }
        // A song added mid-paging shows up at the end, never shifting earlier pages.
        if seen.len() == 2 {
            created.push(app.song(Some(&token), song_body("Late", "P")).await);
        }
    }
    assert_eq!(seen, created);

    expect_field_error(app.get("/songs?limit=0", None).await, "limit").await;
    expect_field_error(app.get("/songs?limit=abc", None).await, "limit").await;
    expect_field_error(app.get("/songs?cursor=not-a-cursor", None).await, "cursor").await;
    expect_field_error(
        app.get(&format!("/songs?title={}", "x".repeat(201)), None)
            .await,
        "title",
    )
    .await;
}

#[tokio::test]
async fn unknown_ids_are_404() {
    let app = spawn_app().await;
    let (_, token, _) = app.user("artist").await;
    let t = Some(token.as_str());
    for path in [
        "/albums/album-xxxxxxxxxxxxxxxx",
        "/songs/song-xxxxxxxxxxxxxxxx",
        "/albums/%2e%2e%2fetc",
    ] {
        expect_error(
            app.get(path, None).await,
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
        )
        .await;
    }
    let mut body = song_body("T", "P");
    body["albumId"] = json!("album-doesnotexist00");
    expect_error(
        app.post_as("/songs", body, t).await,
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
    )
    .await;
}

#[tokio::test]
async fn invalid_albums_are_400_naming_the_field() {
    let app = spawn_app().await;
    let (_, token, _) = app.user("artist").await;
    let t = Some(token.as_str());
    let album = app.album(t, "A", 2000).await;
    let cases = [
        (json!({"year": 2008}), "name"),
        (json!({"name": "A"}), "year"),
        (json!({"name": "A", "year": "dummy"}), "year"),
        (json!({"name": "A", "year": "2008"}), "year"),
        (json!({"name": "A", "year": 2008.5}), "year"),
        (json!({"name": "A", "year": 99999}), "year"),
        (json!({"name": 42, "year": 2008}), "name"),
        (json!({"name": "", "year": 2008}), "name"),
        (json!({"name": "n".repeat(201), "year": 2008}), "name"),
    ];
    for (body, field) in cases {
        let response =
            expect_field_error(app.post_as("/albums", body.clone(), t).await, field).await;
        assert_eq!(response["status"], "fail");
        expect_field_error(
            app.put_as(&format!("/albums/{album}"), body, t).await,
            field,
        )
        .await;
    }
}

#[tokio::test]
async fn invalid_songs_are_400_naming_the_field() {
    let app = spawn_app().await;
    let (_, token, _) = app.user("artist").await;
    let t = Some(token.as_str());
    let song = app.song(t, song_body("T", "P")).await;
    let valid = song_body("T", "P");
    let with = |key: &str, value: serde_json::Value| {
        let mut body = valid.clone();
        body[key] = value;
        body
    };
    let without = |key: &str| {
        let mut body = valid.clone();
        body.as_object_mut().expect("object").remove(key);
        body
    };
    let cases = [
        (without("title"), "title"),
        (without("year"), "year"),
        (without("genre"), "genre"),
        (without("performer"), "performer"),
        (with("title", json!(1)), "title"),
        (with("year", json!("dummy")), "year"),
        (with("year", json!("2008")), "year"),
        (with("genre", json!(["rock"])), "genre"),
        (with("performer", json!({})), "performer"),
        (with("duration", json!("120")), "duration"),
        (with("duration", json!(-1)), "duration"),
        (with("duration", json!(1.5)), "duration"),
        (with("albumId", json!(7)), "albumId"),
        (with("albumId", json!("")), "albumId"),
        (with("title", json!("t".repeat(201))), "title"),
        (with("genre", json!("g".repeat(101))), "genre"),
    ];
    for (body, field) in cases {
        expect_field_error(app.post_as("/songs", body.clone(), t).await, field).await;
        expect_field_error(app.put_as(&format!("/songs/{song}"), body, t).await, field).await;
    }
}

#[tokio::test]
async fn catalog_writes_need_a_token_by_default() {
    let app = spawn_app().await;
    let (_, token, _) = app.user("artist").await;
    let album = app.album(Some(&token), "A", 2000).await;
    let song = app.song(Some(&token), song_body("T", "P")).await;
    expect_error(
        app.post_as("/albums", json!({"name": "A", "year": 2000}), None)
            .await,
        StatusCode::UNAUTHORIZED,
        "AUTH_REQUIRED",
    )
    .await;
    expect_error(
        app.post_as("/songs", song_body("T", "P"), None).await,
        StatusCode::UNAUTHORIZED,
        "AUTH_REQUIRED",
    )
    .await;
    // 401 comes before any validation of the body.
    expect_error(
        app.put_as(&format!("/albums/{album}"), json!({}), None)
            .await,
        StatusCode::UNAUTHORIZED,
        "AUTH_REQUIRED",
    )
    .await;
    expect_error(
        app.delete_as(&format!("/albums/{album}"), None, None).await,
        StatusCode::UNAUTHORIZED,
        "AUTH_REQUIRED",
    )
    .await;
    expect_error(
        app.put_as(&format!("/songs/{song}"), song_body("T", "P"), None)
            .await,
        StatusCode::UNAUTHORIZED,
        "AUTH_REQUIRED",
    )
    .await;
    expect_error(
        app.delete_as(&format!("/songs/{song}"), None, None).await,
        StatusCode::UNAUTHORIZED,
        "AUTH_REQUIRED",
    )
    .await;
    // Reads stay public.
    expect_status(
        app.get(&format!("/albums/{album}"), None).await,
        StatusCode::OK,
    )
    .await;
    expect_status(
        app.get(&format!("/songs/{song}"), None).await,
        StatusCode::OK,
    )
    .await;
}

#[tokio::test]
async fn only_the_owner_or_an_admin_changes_catalog_rows() {
    let app = spawn_app().await;
    let (_, owner, _) = app.user("owner").await;
    let (_, stranger, _) = app.user("stranger").await;
    app.register("boss", "secret").await;
    let promoted = std::process::Command::new(env!("CARGO_BIN_EXE_backbeat-api"))
        .args(["admin", "promote", "boss"])
        .env("APP_DATABASE__NAME", &app.db.name)
        .env("APP_LOG__FILTER", "warn")
        .status()
        .expect("promote");
    assert!(promoted.success());
    let (admin, _) = app.login("boss", "secret").await;

    let album = app.album(Some(&owner), "A", 2000).await;
    let song = app.song(Some(&owner), song_body("T", "P")).await;
    let s = Some(stranger.as_str());
    expect_error(
        app.put_as(
            &format!("/albums/{album}"),
            json!({"name": "B", "year": 2001}),
            s,
        )
        .await,
        StatusCode::FORBIDDEN,
        "FORBIDDEN",
    )
    .await;
    expect_error(
        app.delete_as(&format!("/albums/{album}"), None, s).await,
        StatusCode::FORBIDDEN,
        "FORBIDDEN",
    )
    .await;
    expect_error(
        app.put_as(&format!("/songs/{song}"), song_body("X", "Y"), s)
            .await,
        StatusCode::FORBIDDEN,
        "FORBIDDEN",
    )
    .await;
    expect_error(
        app.delete_as(&format!("/songs/{song}"), None, s).await,
        StatusCode::FORBIDDEN,
        "FORBIDDEN",
    )
    .await;
    // A stranger cannot attach songs to someone else's album either.
    let mut body = song_body("Sneaky", "P");
    body["albumId"] = json!(album);
    expect_error(
        app.post_as("/songs", body.clone(), s).await,
        StatusCode::FORBIDDEN,
        "FORBIDDEN",
    )
    .await;
    let theirs = app.song(s, song_body("Mine", "Me")).await;
    expect_error(
        app.put_as(&format!("/songs/{theirs}"), body, s).await,
        StatusCode::FORBIDDEN,
        "FORBIDDEN",
    )
    .await;
    // Nothing changed.
    let body = expect_status(
        app.get(&format!("/albums/{album}"), None).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(body["data"]["album"]["name"], "A");

    let a = Some(admin.as_str());
    expect_status(
        app.put_as(
            &format!("/albums/{album}"),
            json!({"name": "By admin", "year": 2001}),
            a,
        )
        .await,
        StatusCode::OK,
    )
    .await;
    expect_status(
        app.put_as(&format!("/songs/{song}"), song_body("By admin", "P"), a)
            .await,
        StatusCode::OK,
    )
    .await;
    expect_status(
        app.delete_as(&format!("/songs/{song}"), None, a).await,
        StatusCode::OK,
    )
    .await;
    expect_status(
        app.delete_as(&format!("/albums/{album}"), None, a).await,
        StatusCode::OK,
    )
    .await;
}

/// The titles `GET /songs?title=...` answers, in order.
async fn found(app: &TestApp, title: &str) -> Vec<String> {
    let body = expect_status(
        app.get(&format!("/songs?title={title}"), None).await,
        StatusCode::OK,
    )
    .await;
    body["data"]["songs"]
        .as_array()
        .expect("songs")
        .iter()
        .map(|s| s["title"].as_str().expect("title").to_owned())
        .collect()
}

/// Search pages are cached; every write that changes one is seen by the next search, with Redis
/// up (the cache in use) or down (no cache).
#[tokio::test]
async fn a_search_sees_every_song_write_at_once() {
    let up = spawn_app().await;
    let down =
        spawn_app_with(|s| s.redis.url = format!("redis://127.0.0.1:{}", closed_port()).into())
            .await;
    for app in [&up, &down] {
        let (_, token, _) = app.user("artist").await;
        let t = Some(token.as_str());
        let first = app.song(t, song_body("Neon Ghosts", "Echo")).await;
        assert_eq!(found(app, "neon").await, ["Neon Ghosts"]);
        assert_eq!(found(app, "neon").await, ["Neon Ghosts"], "served again");

        let second = app.song(t, song_body("Neon Rain", "Echo")).await;
        assert_eq!(found(app, "neon").await, ["Neon Ghosts", "Neon Rain"]);

        let (status, body) = read(
            app.request(
                Method::PATCH,
                &format!("/songs/{first}"),
                Some(json!({"title": "Pale Ghosts"})),
                t,
            )
            .await,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(found(app, "neon").await, ["Neon Rain"]);
        assert_eq!(found(app, "ghosts").await, ["Pale Ghosts"]);

        let (status, body) = read(
            app.put_as(
                &format!("/songs/{second}"),
                song_body("Acid Rain", "Echo"),
                t,
            )
            .await,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(found(app, "rain").await, ["Acid Rain"]);

        let (status, body) = read(app.delete_as(&format!("/songs/{second}"), None, t).await).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(found(app, "rain").await, Vec::<String>::new());
    }
}

/// An album as a client of the API at `base` sees it: (name, year, song titles), or the status
/// when it is not 200.
async fn album_at(
    app: &TestApp,
    base: &str,
    album: &str,
) -> Result<(String, i64, Vec<String>), StatusCode> {
    let response = app
        .client
        .get(format!("{base}/albums/{album}"))
        .send()
        .await
        .expect("sent");
    let (status, body) = read(response).await;
    if status != StatusCode::OK {
        return Err(status);
    }
    let album = &body["data"]["album"];
    assert!(album.get("upc").is_none(), "the openMusic shape: {body}");
    let titles = album["songs"]
        .as_array()
        .expect("songs")
        .iter()
        .map(|s| s["title"].as_str().expect("title").to_owned())
        .collect();
    Ok((
        album["name"].as_str().expect("name").to_owned(),
        album["year"].as_i64().expect("year"),
        titles,
    ))
}

/// Album pages are cached in each replica; every write that changes one, made on any replica,
/// is seen by the next read on every other, with Redis up (the cache in use) or down (no cache).
/// The owner keeps seeing the release metadata the cached page leaves out.
#[tokio::test]
async fn an_album_page_sees_every_write_at_once_on_every_replica() {
    let up = spawn_app().await;
    let down =
        spawn_app_with(|s| s.redis.url = format!("redis://127.0.0.1:{}", closed_port()).into())
            .await;
    for app in [&up, &down] {
        let other = app.replica().await;
        let (_, token, _) = app.user("artist").await;
        let t = Some(token.as_str());
        let album = app.album(t, "Viva la Vida", 2008).await;
        let second = app.album(t, "Prospekt's March", 2008).await;
        let mut body = song_body("Lost!", "Coldplay");
        body["albumId"] = json!(album);
        let song = app.song(t, body).await;
        let seen = |name: &str,
                    year: i64,
                    titles: &[&str]|
         -> Result<(String, i64, Vec<String>), StatusCode> {
            Ok((
                name.to_owned(),
                year,
                titles.iter().map(|t| (*t).to_owned()).collect::<Vec<_>>(),
            ))
        };
        for base in [&app.address, &other] {
            assert_eq!(
                album_at(app, base, &album).await,
                seen("Viva la Vida", 2008, &["Lost!"])
            );
            assert_eq!(
                album_at(app, base, &second).await,
                seen("Prospekt's March", 2008, &[])
            );
        }

        // The owner reads the release metadata even while the public page is cached.
        let owned = expect_status(
            app.get(&format!("/albums/{album}"), t).await,
            StatusCode::OK,
        )
        .await;
        assert!(owned["data"]["album"].get("upc").is_some(), "{owned}");

        let put = app
            .put_as(
                &format!("/albums/{album}"),
                json!({"name": "Viva", "year": 2009}),
                t,
            )
            .await;
        expect_status(put, StatusCode::OK).await;
        assert_eq!(
            album_at(app, &other, &album).await,
            seen("Viva", 2009, &["Lost!"])
        );

        let patch = app
            .patch_as(
                &format!("/albums/{album}"),
                json!({"name": "Viva la Vida"}),
                t,
            )
            .await;
        expect_status(patch, StatusCode::OK).await;
        assert_eq!(
            album_at(app, &other, &album).await,
            seen("Viva la Vida", 2009, &["Lost!"])
        );

        let mut body = song_body("Strawberry Swing", "Coldplay");
        body["albumId"] = json!(album);
        let added = app.song(t, body).await;
        assert_eq!(
            album_at(app, &other, &album).await,
            seen("Viva la Vida", 2009, &["Lost!", "Strawberry Swing"])
        );

        let patch = app
            .patch_as(&format!("/songs/{song}"), json!({"title": "Lost+"}), t)
            .await;
        expect_status(patch, StatusCode::OK).await;
        assert_eq!(
            album_at(app, &other, &album).await,
            seen("Viva la Vida", 2009, &["Lost+", "Strawberry Swing"])
        );

        // Moved by PUT: both albums change.
        let mut body = song_body("Lost+", "Coldplay");
        body["albumId"] = json!(second);
        expect_status(
            app.put_as(&format!("/songs/{song}"), body, t).await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(
            album_at(app, &other, &album).await,
            seen("Viva la Vida", 2009, &["Strawberry Swing"])
        );
        assert_eq!(
            album_at(app, &other, &second).await,
            seen("Prospekt's March", 2008, &["Lost+"])
        );

        // Moved back by PATCH.
        let patch = app
            .patch_as(&format!("/songs/{song}"), json!({"albumId": album}), t)
            .await;
        expect_status(patch, StatusCode::OK).await;
        assert_eq!(
            album_at(app, &other, &second).await,
            seen("Prospekt's March", 2008, &[])
        );
        assert_eq!(
            album_at(app, &other, &album).await,
            seen("Viva la Vida", 2009, &["Lost+", "Strawberry Swing"])
        );

        expect_status(
            app.delete_as(&format!("/songs/{added}"), None, t).await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(
            album_at(app, &other, &album).await,
            seen("Viva la Vida", 2009, &["Lost+"])
        );

        expect_status(
            app.delete_as(&format!("/albums/{album}"), None, t).await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(
            album_at(app, &other, &album).await,
            Err(StatusCode::NOT_FOUND)
        );
    }
}
