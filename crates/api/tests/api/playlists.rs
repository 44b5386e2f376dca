//! Playlists, playlist songs, activities and collaborations, as openMusic v3 has them
//! (`docs/api/openmusic.md`).

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::*;

struct Cast {
    app: TestApp,
    owner: String,
    collaborator: String,
    collaborator_id: String,
    stranger: String,
    stranger_id: String,
    playlist: String,
    song: String,
    other_song: String,
}

/// An owner's playlist with one song, a collaborator on it, and a stranger.
async fn cast() -> Cast {
    let app = spawn_app().await;
    let (_, owner, _) = app.user("owner").await;
    let (collaborator_id, collaborator, _) = app.user("collaborator").await;
    let (stranger_id, stranger, _) = app.user("stranger").await;
    let playlist = app.playlist(&owner, "Road trip").await;
    let song = app
        .song(Some(&owner), song_body("Life in Technicolor", "Coldplay"))
        .await;
    let other_song = app
        .song(Some(&owner), song_body("Yellow", "Coldplay"))
        .await;
    expect_status(
        app.post_as(
            "/collaborations",
            json!({"playlistId": playlist, "userId": collaborator_id}),
            Some(&owner),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    expect_status(
        app.post_as(
            &format!("/playlists/{playlist}/songs"),
            json!({"songId": song}),
            Some(&owner),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    Cast {
        app,
        owner,
        collaborator,
        collaborator_id,
        stranger,
        stranger_id,
        playlist,
        song,
        other_song,
    }
}

#[tokio::test]
async fn playlist_lifecycle_with_songs_and_activities() {
    let app = spawn_app().await;
    let (_, owner, _) = app.user("dicoding").await;
    let o = Some(owner.as_str());
    let playlist = app.playlist(&owner, "Viva la Vida").await;
    assert!(
        playlist.starts_with("playlist-") && playlist.len() == 25,
        "{playlist}"
    );

    let body = expect_status(app.get("/playlists", o).await, StatusCode::OK).await;
    assert_eq!(
        body["data"]["playlists"],
        json!([{"id": playlist, "name": "Viva la Vida", "username": "dicoding"}])
    );

    let song = app
        .song(o, song_body("Life in Technicolor", "Coldplay"))
        .await;
    let body = expect_status(
        app.post_as(
            &format!("/playlists/{playlist}/songs"),
            json!({"songId": song}),
            o,
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()));

    let body = expect_status(
        app.get(&format!("/playlists/{playlist}/songs"), o).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        body["data"]["playlist"],
        json!({"id": playlist, "name": "Viva la Vida", "username": "dicoding", "songs": [{"id": song, "title": "Life in Technicolor", "performer": "Coldplay"}]})
    );

    expect_status(
        app.delete_as(
            &format!("/playlists/{playlist}/songs"),
            Some(json!({"songId": song})),
            o,
        )
        .await,
        StatusCode::OK,
    )
    .await;
    let body = expect_status(
        app.get(&format!("/playlists/{playlist}/songs"), o).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(body["data"]["playlist"]["songs"], json!([]));

    let body = expect_status(
        app.get(&format!("/playlists/{playlist}/activities"), o)
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(keys(&body["data"]), ["activities", "playlistId"]);
    assert_eq!(body["data"]["playlistId"], playlist.as_str());
    let activities = body["data"]["activities"].as_array().expect("activities");
    assert_eq!(activities.len(), 2);
    assert_eq!(activities[0]["action"], "add");
    assert_eq!(activities[1]["action"], "delete");
    for activity in activities {
        assert_eq!(keys(activity), ["action", "time", "title", "username"]);
        assert_eq!(activity["username"], "dicoding");
        assert_eq!(activity["title"], "Life in Technicolor");
        let time = activity["time"].as_str().expect("time");
        chrono::DateTime::parse_from_rfc3339(time)
            .unwrap_or_else(|_| panic!("ISO-8601 time, got {time}"));
    }

    expect_status(
        app.delete_as(&format!("/playlists/{playlist}"), None, o)
            .await,
        StatusCode::OK,
    )
    .await;
    let body = expect_status(app.get("/playlists", o).await, StatusCode::OK).await;
    assert_eq!(body["data"]["playlists"], json!([]));
    expect_error(
        app.get(&format!("/playlists/{playlist}/songs"), o).await,
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
    )
    .await;
}

#[tokio::test]
async fn collaborators_see_the_playlist_and_their_edits_are_in_the_activity_log() {
    let c = cast().await;
    let app = &c.app;
    let body = expect_status(
        app.get("/playlists", Some(&c.collaborator)).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        body["data"]["playlists"],
        json!([{"id": c.playlist, "name": "Road trip", "username": "owner"}])
    );
    let body = expect_status(
        app.get("/playlists", Some(&c.stranger)).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(body["data"]["playlists"], json!([]));

    expect_status(
        app.post_as(
            &format!("/playlists/{}/songs", c.playlist),
            json!({"songId": c.other_song}),
            Some(&c.collaborator),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    let body = expect_status(
        app.get(
            &format!("/playlists/{}/activities", c.playlist),
            Some(&c.owner),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    let who: Vec<(&str, &str, &str)> = body["data"]["activities"]
        .as_array()
        .expect("activities")
        .iter()
        .map(|a| {
            (
                a["username"].as_str().expect("u"),
                a["title"].as_str().expect("t"),
                a["action"].as_str().expect("a"),
            )
        })
        .collect();
    assert_eq!(
        who,
        [
            ("owner", "Life in Technicolor", "add"),
            ("collaborator", "Yellow", "add")
        ]
    );

    // Removing the collaboration takes the access away.
    expect_status(
        app.delete_as(
            "/collaborations",
            Some(json!({"playlistId": c.playlist, "userId": c.collaborator_id})),
            Some(&c.owner),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    expect_error(
        app.get(
            &format!("/playlists/{}/songs", c.playlist),
            Some(&c.collaborator),
        )
        .await,
        StatusCode::FORBIDDEN,
        "FORBIDDEN",
    )
    .await;
    expect_error(
        app.delete_as(
            "/collaborations",
            Some(json!({"playlistId": c.playlist, "userId": c.collaborator_id})),
            Some(&c.owner),
        )
        .await,
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
    )
    .await;
}

/// Every playlist route against owner, collaborator, stranger and anonymous callers.
#[tokio::test]
async fn authorisation_matrix() {
    let c = cast().await;
    let app = &c.app;
    let p = &c.playlist;
    let song_body = json!({"songId": c.song});
    let collab_body = json!({"playlistId": p, "userId": c.stranger_id});

    // (route, expected for collaborator, stranger, anonymous); the owner's success is checked below.
    type Call<'a> = (&'a str, reqwest::Method, String, Option<Value>);
    let routes: Vec<(Call, u16, u16)> = vec![
        (
            (
                "list songs",
                reqwest::Method::GET,
                format!("/playlists/{p}/songs"),
                None,
            ),
            200,
            403,
        ),
        (
            (
                "activities",
                reqwest::Method::GET,
                format!("/playlists/{p}/activities"),
                None,
            ),
            200,
            403,
        ),
        (
            (
                "add song",
                reqwest::Method::POST,
                format!("/playlists/{p}/songs"),
                Some(json!({"songId": c.other_song})),
            ),
            201,
            403,
        ),
        (
            (
                "remove song",
                reqwest::Method::DELETE,
                format!("/playlists/{p}/songs"),
                Some(song_body.clone()),
            ),
            200,
            403,
        ),
        (
            (
                "add collaborator",
                reqwest::Method::POST,
                "/collaborations".to_owned(),
                Some(collab_body.clone()),
            ),
            403,
            403,
        ),
        (
            (
                "remove collaborator",
                reqwest::Method::DELETE,
                "/collaborations".to_owned(),
                Some(collab_body.clone()),
            ),
            403,
            403,
        ),
        (
            (
                "delete playlist",
                reqwest::Method::DELETE,
                format!("/playlists/{p}"),
                None,
            ),
            403,
            403,
        ),
    ];
    for ((name, method, path, body), collaborator, stranger) in &routes {
        let anonymous = app.request(method.clone(), path, body.clone(), None).await;
        expect_error(anonymous, StatusCode::UNAUTHORIZED, "AUTH_REQUIRED").await;
        let response = app
            .request(method.clone(), path, body.clone(), Some(&c.stranger))
            .await;
        assert_eq!(response.status().as_u16(), *stranger, "stranger: {name}");
        expect_error(response, StatusCode::FORBIDDEN, "FORBIDDEN").await;
        let response = app
            .request(method.clone(), path, body.clone(), Some(&c.collaborator))
            .await;
        assert_eq!(
            response.status().as_u16(),
            *collaborator,
            "collaborator: {name}"
        );
        if *collaborator == 403 {
            expect_error(response, StatusCode::FORBIDDEN, "FORBIDDEN").await;
        }
    }
    // A stranger may not add themselves as a collaborator either.
    expect_error(
        app.post_as("/collaborations", collab_body.clone(), Some(&c.stranger))
            .await,
        StatusCode::FORBIDDEN,
        "FORBIDDEN",
    )
    .await;
    // The owner may do everything.
    let o = Some(c.owner.as_str());
    expect_status(
        app.get(&format!("/playlists/{p}/songs"), o).await,
        StatusCode::OK,
    )
    .await;
    expect_status(
        app.get(&format!("/playlists/{p}/activities"), o).await,
        StatusCode::OK,
    )
    .await;
    expect_status(
        app.post_as(&format!("/playlists/{p}/songs"), song_body.clone(), o)
            .await,
        StatusCode::CREATED,
    )
    .await;
    expect_status(
        app.delete_as(&format!("/playlists/{p}/songs"), Some(song_body), o)
            .await,
        StatusCode::OK,
    )
    .await;
    expect_status(
        app.post_as("/collaborations", collab_body.clone(), o).await,
        StatusCode::CREATED,
    )
    .await;
    expect_status(
        app.delete_as("/collaborations", Some(collab_body), o).await,
        StatusCode::OK,
    )
    .await;
    expect_status(
        app.delete_as(&format!("/playlists/{p}"), None, o).await,
        StatusCode::OK,
    )
    .await;

    // Unknown playlists are 404 for everyone signed in.
    let unknown = "playlist-doesnotexist0000";
    for token in [&c.owner, &c.stranger] {
        let t = Some(token.as_str());
        expect_error(
            app.get(&format!("/playlists/{unknown}/songs"), t).await,
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
        )
        .await;
        expect_error(
            app.get(&format!("/playlists/{unknown}/activities"), t)
                .await,
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
        )
        .await;
        expect_error(
            app.post_as(
                &format!("/playlists/{unknown}/songs"),
                json!({"songId": c.song}),
                t,
            )
            .await,
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
        )
        .await;
        expect_error(
            app.delete_as(
                &format!("/playlists/{unknown}/songs"),
                Some(json!({"songId": c.song})),
                t,
            )
            .await,
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
        )
        .await;
        expect_error(
            app.delete_as(&format!("/playlists/{unknown}"), None, t)
                .await,
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
        )
        .await;
        expect_error(
            app.post_as(
                "/collaborations",
                json!({"playlistId": unknown, "userId": c.stranger_id}),
                t,
            )
            .await,
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
        )
        .await;
    }
    expect_error(
        app.get("/playlists", None).await,
        StatusCode::UNAUTHORIZED,
        "AUTH_REQUIRED",
    )
    .await;
    expect_error(
        app.post_as("/playlists", json!({"name": "x"}), None).await,
        StatusCode::UNAUTHORIZED,
        "AUTH_REQUIRED",
    )
    .await;
}

#[tokio::test]
async fn playlist_song_errors() {
    let c = cast().await;
    let app = &c.app;
    let o = Some(c.owner.as_str());
    let path = format!("/playlists/{}/songs", c.playlist);
    expect_field_error(
        app.post_as(&path, json!({"songId": 123}), o).await,
        "songId",
    )
    .await;
    expect_field_error(app.post_as(&path, json!({}), o).await, "songId").await;
    expect_field_error(app.post_as(&path, json!({"songId": ""}), o).await, "songId").await;
    expect_field_error(
        app.delete_as(&path, Some(json!({"songId": 123})), o).await,
        "songId",
    )
    .await;
    expect_field_error(app.delete_as(&path, None, o).await, "songId").await;
    expect_error(
        app.post_as(&path, json!({"songId": "song-unknown000000000"}), o)
            .await,
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
    )
    .await;
    expect_error(
        app.delete_as(&path, Some(json!({"songId": "song-unknown000000000"})), o)
            .await,
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
    )
    .await;
    // Adding a song twice is refused; removing one that is not there is 404.
    expect_field_error(
        app.post_as(&path, json!({"songId": c.song}), o).await,
        "songId",
    )
    .await;
    expect_error(
        app.delete_as(&path, Some(json!({"songId": c.other_song})), o)
            .await,
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
    )
    .await;
    expect_field_error(
        app.post_as("/playlists", json!({"name": 5}), o).await,
        "name",
    )
    .await;
    expect_field_error(app.post_as("/playlists", json!({}), o).await, "name").await;
    expect_field_error(
        app.post_as("/playlists", json!({"name": "n".repeat(201)}), o)
            .await,
        "name",
    )
    .await;
    // Failed attempts leave no activity behind.
    let body = expect_status(
        app.get(&format!("/playlists/{}/activities", c.playlist), o)
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        body["data"]["activities"]
            .as_array()
            .expect("activities")
            .len(),
        1
    );
}

#[tokio::test]
async fn collaboration_errors() {
    let c = cast().await;
    let app = &c.app;
    let o = Some(c.owner.as_str());
    expect_field_error(
        app.post_as("/collaborations", json!({"userId": c.stranger_id}), o)
            .await,
        "playlistId",
    )
    .await;
    expect_field_error(
        app.post_as("/collaborations", json!({"playlistId": c.playlist}), o)
            .await,
        "userId",
    )
    .await;
    expect_field_error(
        app.post_as("/collaborations", json!({"playlistId": 1, "userId": 2}), o)
            .await,
        "playlistId",
    )
    .await;
    expect_field_error(
        app.delete_as("/collaborations", Some(json!({})), o).await,
        "playlistId",
    )
    .await;
    expect_error(
        app.post_as(
            "/collaborations",
            json!({"playlistId": c.playlist, "userId": "user-unknown000000000"}),
            o,
        )
        .await,
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
    )
    .await;
    // Twice the same collaborator is refused.
    expect_field_error(
        app.post_as(
            "/collaborations",
            json!({"playlistId": c.playlist, "userId": c.collaborator_id}),
            o,
        )
        .await,
        "userId",
    )
    .await;
    let body = expect_status(
        app.post_as(
            "/collaborations",
            json!({"playlistId": c.playlist, "userId": c.stranger_id}),
            o,
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    assert!(
        body["data"]["collaborationId"]
            .as_str()
            .is_some_and(|id| id.starts_with("collab-"))
    );
}

#[tokio::test]
async fn concurrent_adds_of_one_song_or_collaborator_leave_one_row() {
    let c = cast().await;
    let app = &c.app;
    let o = Some(c.owner.as_str());
    let path = format!("/playlists/{}/songs", c.playlist);
    let body = json!({"songId": c.other_song});
    let responses =
        futures_util::future::join_all((0..8).map(|_| app.post_as(&path, body.clone(), o))).await;
    let created = responses
        .iter()
        .filter(|r| r.status() == StatusCode::CREATED)
        .count();
    assert_eq!(created, 1);
    assert!(
        responses
            .iter()
            .all(|r| matches!(r.status(), StatusCode::CREATED | StatusCode::BAD_REQUEST))
    );
    let listed = expect_status(app.get(&path, o).await, StatusCode::OK).await;
    assert_eq!(
        listed["data"]["playlist"]["songs"]
            .as_array()
            .expect("songs")
            .len(),
        2
    );
    let log = expect_status(
        app.get(&format!("/playlists/{}/activities", c.playlist), o)
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        log["data"]["activities"]
            .as_array()
            .expect("activities")
            .len(),
        2,
        "one activity per real change"
    );

    let collab = json!({"playlistId": c.playlist, "userId": c.stranger_id});
    let responses = futures_util::future::join_all(
        (0..8).map(|_| app.post_as("/collaborations", collab.clone(), o)),
    )
    .await;
    assert_eq!(
        responses
            .iter()
            .filter(|r| r.status() == StatusCode::CREATED)
            .count(),
        1
    );
    assert!(
        responses
            .iter()
            .all(|r| matches!(r.status(), StatusCode::CREATED | StatusCode::BAD_REQUEST))
    );
}

#[tokio::test]
async fn deleting_a_song_removes_it_from_playlists_but_keeps_the_history() {
    let c = cast().await;
    let app = &c.app;
    let o = Some(c.owner.as_str());
    expect_status(
        app.delete_as(&format!("/songs/{}", c.song), None, o).await,
        StatusCode::OK,
    )
    .await;
    let body = expect_status(
        app.get(&format!("/playlists/{}/songs", c.playlist), o)
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(body["data"]["playlist"]["songs"], json!([]));
    let body = expect_status(
        app.get(&format!("/playlists/{}/activities", c.playlist), o)
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        body["data"]["activities"][0]["title"],
        "Life in Technicolor"
    );
}
