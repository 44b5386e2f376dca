//! The ownership check that new routes cannot escape: every route of the route table with an id
//! in its path is called by a second signed-in user with the first user's (or an admin's) real
//! resource, with a body the owner could send, and must answer 403 or 404 and change nothing. A
//! route that anyone may call with another's id is in [`OPEN_TO_ALL`], with the reason; a route
//! the table gains without a case here fails the test until it gets one.

use std::collections::BTreeMap;
use std::time::Duration;

use backbeat_api::access::Access;
use backbeat_api::routes::ROUTED;
use backbeat_domain::ids::{MessageId, RoomId, UserId, VideoId};
use backbeat_testkit::fixtures;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::*;
use crate::usage::import;

const WAIT: Duration = Duration::from_secs(60);

/// Routes with an id that anyone (or any signed-in user) may call with someone else's: why.
const OPEN_TO_ALL: &[(&str, &str, &str)] = &[
    ("get", "/albums/{id}", "public catalog read"),
    ("get", "/songs/{id}", "public catalog read"),
    ("get", "/albums/{id}/likes", "public like count"),
    (
        "get",
        "/videos/{id}",
        "public catalog read (hidden ones are 404)",
    ),
    ("get", "/artists/{id}", "public artist profile"),
    (
        "get",
        "/media/{key:.+}",
        "published covers and artwork, by unguessable key",
    ),
    (
        "post",
        "/albums/{id}/likes",
        "the caller likes an album: their own like, not the owner's album",
    ),
    (
        "delete",
        "/albums/{id}/likes",
        "the caller takes back their own like",
    ),
    (
        "get",
        "/royalties/fx/{period}",
        "reference exchange rates of a period, owned by nobody",
    ),
];

/// A request's body.
enum Body {
    None,
    Json(Value),
    /// One file part: (field, file name, bytes).
    File(&'static str, &'static str, Vec<u8>),
}

/// The owner's resources, by the path parameter that names them.
struct Owned {
    ids: BTreeMap<&'static str, String>,
}

impl Owned {
    /// `path` with each parameter replaced by the resource it names in this route.
    fn fill(&self, path: &str) -> String {
        let prefix = path.trim_start_matches('/').split('/').next().unwrap_or("");
        let resource = match (prefix, path) {
            (_, p) if p.contains("{playlistId}") => "playlist",
            (_, p) if p.contains("{userId}") => "owner",
            (_, p) if p.contains("{period}") => "period",
            ("api-keys", _) => "apiKey",
            ("albums", _) => "album",
            ("songs", _) => "song",
            ("jobs", _) => "job",
            ("playlists", _) => "playlist",
            ("artists", _) => "artist",
            ("verifications", _) => "verification",
            ("rooms", _) => "room",
            ("videos", _) => "video",
            ("tags", _) => "tag",
            ("messages", _) => "message",
            ("platforms", _) => "platform",
            ("distributions", _) => "distribution",
            ("usage-reports", _) => "report",
            ("royalties", p) if p.starts_with("/royalties/runs") => "run",
            ("royalties", p) if p.starts_with("/royalties/payouts") => "payout",
            ("royalties", _) => "statement",
            ("admin", p) if p.starts_with("/admin/users") => "owner",
            ("admin", _) => "verification",
            _ => panic!("{path}: which resource does its id name? add it to Owned::fill"),
        };
        let id = self
            .ids
            .get(resource)
            .unwrap_or_else(|| panic!("{path}: no {resource} was made"));
        let mut filled = String::new();
        let mut rest = path;
        while let Some(start) = rest.find('{') {
            let end = rest[start..].find('}').expect("closing brace") + start;
            filled.push_str(&rest[..start]);
            filled.push_str(id);
            rest = &rest[end + 1..];
        }
        filled.push_str(rest);
        filled
    }
}

/// What the owner could send to the route (so that only ownership can stop the intruder).
fn request_body(method: &str, path: &str, owned: &Owned) -> Body {
    let id = |name: &str| owned.ids[name].clone();
    match (method, path) {
        ("put", "/albums/{id}") => Body::Json(json!({"name": "Taken", "year": 2026})),
        ("patch", "/albums/{id}") => Body::Json(json!({"name": "Taken"})),
        ("post", "/albums/{id}/covers") => Body::File(
            "cover",
            "cover.png",
            fixtures::png(600, 600, fixtures::Color::Rgb),
        ),
        ("put", "/albums/{id}/artwork") => {
            Body::File("artwork", "cover.jpg", fixtures::artwork().to_vec())
        }
        ("post", "/albums/{id}/distributions") => {
            Body::Json(json!({"platformIds": [id("platform")]}))
        }
        ("post", "/export/playlists/{playlistId}") => {
            Body::Json(json!({"targetEmail": "intruder@example.com"}))
        }
        ("put", "/songs/{id}") => Body::Json(
            json!({"title": "Taken", "year": 2026, "genre": "Pop", "performer": "Intruder"}),
        ),
        ("patch", "/songs/{id}") => Body::Json(json!({"title": "Taken"})),
        ("put", "/songs/{id}/audio") => Body::File("audio", "master.wav", fixtures::cd_wav(1)),
        ("put", "/songs/{id}/splits") => Body::Json(
            json!({"splits": [{"payeeEmail": "intruder@example.com", "shareBps": 10000}]}),
        ),
        ("post" | "delete", "/playlists/{id}/songs") => {
            Body::Json(json!({"songId": id("intruderSong")}))
        }
        ("patch", "/artists/{id}") => Body::Json(json!({"name": "Taken"})),
        ("post", "/artists/{id}/verifications") => {
            Body::Json(json!({"profileUrl": "https://intruder.example/"}))
        }
        ("post", "/rooms/{id}/members") => Body::Json(json!({"userId": id("intruder")})),
        ("patch", "/videos/{id}/visibility") => Body::Json(json!({"visibility": "hidden"})),
        ("put", "/videos/{id}/tags") => Body::Json(json!({"tagIds": [id("tag")]})),
        ("patch", "/tags/{id}") => Body::Json(json!({"name": "Taken"})),
        ("patch", "/platforms/{id}") => Body::Json(json!({"feeBps": 0})),
        ("post", "/platforms/{id}/test-deliveries") => Body::Json(json!({"albumId": id("album")})),
        ("put", "/royalties/fx/{period}") => Body::Json(json!({"rates": {"EUR": "9"}})),
        ("post", "/payees/{userId}/advances") => {
            Body::Json(json!({"amount": "100.00", "currency": "USD", "albumIds": [id("album")]}))
        }
        ("put", "/payees/{userId}/payout-threshold") => Body::Json(json!({"amount": "1000.00"})),
        ("post", "/royalties/periods/{period}/reversal") => {
            Body::Json(json!({"reason": "by the intruder"}))
        }
        ("patch", "/admin/users/{id}") => Body::Json(json!({"role": "admin"})),
        ("post", "/admin/verifications/{id}/approve" | "/admin/verifications/{id}/reject") => {
            Body::Json(json!({"note": "by the intruder"}))
        }
        ("post", "/verifications/{id}/check" | "/distributions/{id}/retry") => {
            Body::Json(json!({}))
        }
        _ => Body::None,
    }
}

async fn send(api: &Api, method: &str, path: &str, body: Body, token: &str) -> (StatusCode, Value) {
    let method = Method::from_bytes(method.to_ascii_uppercase().as_bytes()).expect("method");
    let request = api
        .http
        .request(method, format!("{}{path}", api.address))
        .bearer_auth(token);
    let request = match body {
        Body::None => request,
        Body::Json(value) => request.json(&value),
        Body::File(field, name, bytes) => request
            .header(
                "content-type",
                "multipart/form-data; boundary=----backbeat-test-boundary",
            )
            .body(backbeat_testkit::http::multipart(
                field,
                name,
                "application/octet-stream",
                &bytes,
            )),
    };
    let response = request.send().await.expect("sent");
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

fn data_id(body: &Value, field: &str) -> String {
    body["data"][field]
        .as_str()
        .unwrap_or_else(|| panic!("no data.{field}: {body}"))
        .to_owned()
}

/// Everything the owner and the admin made, as each reads it: must be the same afterwards.
async fn snapshot(api: &Api, owned: &Owned, owner: &str, admin: &str) -> Vec<Value> {
    let id = |name: &str| &owned.ids[name];
    let mut reads = Vec::new();
    for (path, token) in [
        (format!("/albums/{}", id("album")), owner),
        (format!("/albums/{}/distributions", id("album")), owner),
        (format!("/albums/{}/likes", id("album")), owner),
        (format!("/songs/{}", id("song")), owner),
        (format!("/songs/{}/splits", id("song")), owner),
        (format!("/playlists/{}/songs", id("playlist")), owner),
        (format!("/artists/{}", id("artist")), owner),
        (format!("/verifications/{}", id("verification")), owner),
        (format!("/rooms/{}", id("room")), owner),
        (format!("/rooms/{}/messages", id("room")), owner),
        (format!("/distributions/{}", id("distribution")), owner),
        (format!("/royalties/statements/{}", id("statement")), owner),
        ("/api-keys".to_owned(), owner),
        ("/playlists".to_owned(), owner),
        (format!("/videos/{}", id("video")), admin),
        ("/tags".to_owned(), admin),
        ("/platforms".to_owned(), admin),
        (format!("/usage-reports/{}", id("report")), admin),
        (format!("/royalties/runs/{}", id("run")), admin),
        (format!("/royalties/payouts/{}", id("payout")), admin),
        (format!("/royalties/fx/{}", id("period")), admin),
        ("/admin/users".to_owned(), admin),
        ("/admin/verifications".to_owned(), admin),
        ("/users/me".to_owned(), owner),
    ] {
        let (status, body, _) = api.call(Method::GET, &path, None, Some(token)).await;
        assert_eq!(status, StatusCode::OK, "{path}: {body}");
        reads.push(json!({"path": path, "body": body}));
    }
    reads
}

#[tokio::test(flavor = "multi_thread")]
async fn every_route_with_an_id_refuses_another_users_resource_and_changes_nothing() {
    let stack = Stack::new(|_| {}).await;
    let api = stack.api().await;
    let _worker = stack.spawn_worker();
    let (_, admin) = api.admin(&mut stack.db.connect().await, "boss").await;
    let (owner_id, owner) = api.user("label", Some("label@example.com")).await;
    let (intruder_id, intruder) = api.user("intruder", Some("intruder@example.com")).await;
    let mut ids = BTreeMap::new();
    ids.insert("owner", owner_id.clone());
    ids.insert("intruder", intruder_id);
    ids.insert("period", "2026-10".to_owned());

    // The owner's catalog, library, keys, room and delivery.
    let release = api.ready_release(&owner, 1, 1).await;
    let (song, isrc) = release.tracks[0].clone();
    ids.insert("album", release.album_id.clone());
    ids.insert("artist", release.artist_id.clone());
    ids.insert("song", song.clone());
    let body = api
        .expect(
            StatusCode::CREATED,
            Method::POST,
            "/songs",
            Some(json!({"title": "Mine", "year": 2026, "genre": "Pop", "performer": "Intruder"})),
            Some(&intruder),
        )
        .await;
    ids.insert("intruderSong", data_id(&body, "songId"));
    let body = api
        .expect(
            StatusCode::CREATED,
            Method::POST,
            "/playlists",
            Some(json!({"name": "Private"})),
            Some(&owner),
        )
        .await;
    let playlist = data_id(&body, "playlistId");
    api.expect(
        StatusCode::CREATED,
        Method::POST,
        &format!("/playlists/{playlist}/songs"),
        Some(json!({"songId": song})),
        Some(&owner),
    )
    .await;
    ids.insert("playlist", playlist);
    let body = api
        .expect(
            StatusCode::CREATED,
            Method::POST,
            "/api-keys",
            Some(json!({"name": "sync", "scopes": ["catalog:read"]})),
            Some(&owner),
        )
        .await;
    ids.insert("apiKey", data_id(&body, "apiKeyId"));
    let body = api
        .expect(
            StatusCode::CREATED,
            Method::POST,
            &format!("/artists/{}/verifications", release.artist_id),
            Some(json!({"profileUrl": "https://nadiarose.example/"})),
            Some(&owner),
        )
        .await;
    ids.insert("verification", data_id(&body, "verificationId"));
    let body = api
        .expect(
            StatusCode::CREATED,
            Method::POST,
            "/rooms",
            Some(json!({"name": "Band only", "kind": "private"})),
            Some(&owner),
        )
        .await;
    let room = data_id(&body, "roomId");
    let message = MessageId::generate();
    backbeat_db::chat_messages::insert_once(
        &mut stack.db.connect().await,
        backbeat_db::chat_messages::NewMessage {
            id: &message,
            room_id: &RoomId::from(room.as_str()),
            author_id: &UserId::from(owner_id.as_str()),
            client_id: "first",
            body: "for the band",
        },
    )
    .await
    .expect("message");
    ids.insert("room", room);
    ids.insert("message", message.to_string());
    let spotify = api.platform(&admin, "spotify").await;
    ids.insert("platform", spotify.clone());
    let body = api
        .expect(
            StatusCode::ACCEPTED,
            Method::POST,
            &format!("/albums/{}/distributions", release.album_id),
            Some(json!({"platformIds": [spotify]})),
            Some(&owner),
        )
        .await;
    let started = &body["data"]["distributions"][0];
    let job = started["jobId"].as_str().expect("jobId").to_owned();
    assert_eq!(
        api.wait_job(&owner, &job, WAIT).await["status"],
        "succeeded"
    );
    ids.insert(
        "distribution",
        started["id"].as_str().expect("id").to_owned(),
    );
    ids.insert("job", job);

    // The admin's: a usage report paying the owner, the period's run and the owner's statement,
    // a tag and a video.
    let report = format!(
        "transaction_id,isrc,upc,territory,use_type,units,net_revenue,currency\n\
         T1,{isrc},,US,stream,100,2.00,USD\n"
    );
    let report = import(&api, &admin, &spotify, "2026-10", "csv", report.as_bytes()).await;
    ids.insert("report", report["id"].as_str().expect("id").to_owned());
    let body = api
        .expect(
            StatusCode::ACCEPTED,
            Method::POST,
            "/royalties/runs",
            Some(json!({"period": "2026-10"})),
            Some(&admin),
        )
        .await;
    let run_job = data_id(&body, "jobId");
    assert_eq!(
        api.wait_job(&admin, &run_job, WAIT).await["status"],
        "succeeded"
    );
    ids.insert("run", data_id(&body, "runId"));
    api.expect(
        StatusCode::OK,
        Method::POST,
        &format!("/royalties/runs/{}/approval", ids["run"]),
        None,
        Some(&admin),
    )
    .await;
    let payout = api
        .expect(
            StatusCode::CREATED,
            Method::POST,
            "/royalties/payouts",
            None,
            Some(&admin),
        )
        .await;
    ids.insert(
        "payout",
        payout["data"]["payout"]["id"]
            .as_str()
            .expect("payout id")
            .to_owned(),
    );
    let statements = api
        .expect(
            StatusCode::OK,
            Method::GET,
            "/royalties/statements?period=2026-10",
            None,
            Some(&owner),
        )
        .await;
    ids.insert(
        "statement",
        statements["data"]["statements"][0]["id"]
            .as_str()
            .expect("the owner's statement")
            .to_owned(),
    );
    let body = api
        .expect(
            StatusCode::CREATED,
            Method::POST,
            "/tags",
            Some(json!({"name": "Featured"})),
            Some(&admin),
        )
        .await;
    ids.insert("tag", data_id(&body, "tagId"));
    let video = VideoId::generate();
    let now = chrono::Utc::now();
    backbeat_db::videos::upsert(
        &mut stack.db.connect().await,
        &[backbeat_db::videos::Listed {
            id: video.clone(),
            hashed_id: "abc123xyz0".to_owned(),
            name: "Live at the Roundhouse".to_owned(),
            description: String::new(),
            duration_seconds: Some(182.5),
            status: backbeat_domain::video::MediaStatus::Ready,
            archived: false,
            thumbnail_url: None,
            thumbnail_width: None,
            thumbnail_height: None,
            project_name: None,
            project_hashed_id: None,
            wistia_created_at: now,
            wistia_updated_at: now,
            seen_pass: 1,
        }],
    )
    .await
    .expect("video");
    ids.insert("video", video.to_string());
    let owned = Owned { ids };
    // Statement emails and the like settle before the picture is taken.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let before = snapshot(&api, &owned, &owner, &admin).await;

    let (mut refused, mut by_role, mut open) = (0, 0, 0);
    let mut escaped = Vec::new();
    for &(method, path, access) in ROUTED {
        if !path.contains('{') {
            continue;
        }
        if OPEN_TO_ALL
            .iter()
            .any(|(m, p, _)| (*m, *p) == (method, path))
        {
            open += 1;
            continue;
        }
        let filled = owned.fill(path);
        let (status, answer) = send(
            &api,
            method,
            &filled,
            request_body(method, path, &owned),
            &intruder,
        )
        .await;
        if !matches!(status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND) {
            escaped.push(format!("{method} {path} ({filled}): {status} {answer}"));
        } else if access == Access::Admin {
            by_role += 1;
        } else {
            refused += 1;
        }
    }
    assert!(
        escaped.is_empty(),
        "another user's resource was not refused:\n{}",
        escaped.join("\n")
    );
    // The reads refused to the intruder answer their rightful reader: the ids were real.
    for &(method, path, access) in ROUTED {
        if method != "get" || !path.contains('{') || OPEN_TO_ALL.iter().any(|(_, p, _)| *p == path)
        {
            continue;
        }
        let admins = access == Access::Admin
            || path.starts_with("/usage-reports")
            || path.starts_with("/royalties/runs");
        let reader = if admins { &admin } else { &owner };
        let filled = owned.fill(path);
        let (status, answer) = send(&api, method, &filled, Body::None, reader).await;
        assert_eq!(status, StatusCode::OK, "{filled} as its reader: {answer}");
    }
    let after = snapshot(&api, &owned, &owner, &admin).await;
    for (before, after) in before.iter().zip(&after) {
        assert_eq!(before, after, "changed by the intruder");
    }
    let total = ROUTED.iter().filter(|(_, p, _)| p.contains('{')).count();
    assert_eq!(refused + by_role + open, total);
    assert!(refused >= 40, "{refused}");
    println!(
        "ownership: {total} routes with an id: {refused} refused another user's resource, \
         {by_role} admin-only refused a non-admin, {open} open to all by design"
    );
}
