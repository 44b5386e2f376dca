//! Video sync against a local server that speaks Wistia's API, through the real worker.

use std::time::Duration;

use backbeat_testkit::wistia::{Change, FakeWistia, Media, TOKEN};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::*;

const WAIT: Duration = Duration::from_secs(60);

async fn stack_for(
    wistia: &FakeWistia,
    configure: impl FnOnce(&mut backbeat_config::Settings),
) -> Stack {
    let url = wistia.url.clone();
    Stack::new(move |s| {
        s.wistia.base_url = url;
        s.wistia.token = Some(TOKEN.to_owned().into());
        s.wistia.per_page = 10;
        s.wistia.requests_per_minute = 60_000;
        s.wistia.burst = 20;
        s.wistia.retry_base_ms = 50;
        s.wistia.max_retries = 3;
        s.wistia.request_timeout_ms = 5_000;
        configure(s);
    })
    .await
}

fn medias(n: u32) -> Vec<Media> {
    (1..=n).map(Media::numbered).collect()
}

/// Asks for a sync and waits for its job to finish.
async fn sync(api: &Api, admin: &str) -> Value {
    let (status, body, headers) = api
        .call(Method::PATCH, "/videos/sync", None, Some(admin))
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let job = body["data"]["jobId"].as_str().expect("jobId").to_owned();
    assert_eq!(
        headers.get("location").and_then(|l| l.to_str().ok()),
        Some(format!("/jobs/{job}").as_str())
    );
    api.wait_job(admin, &job, WAIT).await
}

/// Every video as an admin sees them, by hashed id.
async fn all_videos(api: &Api, admin: &str) -> Vec<Value> {
    let body = api
        .expect(
            StatusCode::OK,
            Method::GET,
            "/videos?limit=100",
            None,
            Some(admin),
        )
        .await;
    body["data"]["videos"].as_array().expect("videos").clone()
}

async fn video(api: &Api, admin: &str, hashed_id: &str) -> Value {
    all_videos(api, admin)
        .await
        .into_iter()
        .find(|v| v["hashedId"] == hashed_id)
        .unwrap_or_else(|| panic!("{hashed_id} not in the catalog"))
}

async fn public_ids(api: &Api) -> Vec<String> {
    let mut ids = Vec::new();
    let mut path = "/videos?limit=10".to_owned();
    loop {
        let body = api
            .expect(StatusCode::OK, Method::GET, &path, None, None)
            .await;
        ids.extend(
            body["data"]["videos"]
                .as_array()
                .expect("videos")
                .iter()
                .map(|v| v["hashedId"].as_str().expect("hashedId").to_owned()),
        );
        match body["meta"]["nextCursor"].as_str() {
            Some(cursor) => path = format!("/videos?limit=10&cursor={cursor}"),
            None => return ids,
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_clean_sync_then_an_incremental_one_through_429s_5xx_and_a_slow_page() {
    let mut listed = medias(25);
    listed[2].archived = true;
    listed[3].status = "processing".to_owned();
    let wistia = FakeWistia::start(listed).await;
    let stack = stack_for(&wistia, |s| s.wistia.request_timeout_ms = 700).await;
    let api = stack.api().await;
    let (_, admin) = api.admin(&mut stack.db.connect().await, "curator").await;
    let _worker = stack.spawn_worker();

    let first = sync(&api, &admin).await;
    assert_eq!(first["status"], "succeeded", "{first}");
    assert_eq!(first["kind"], "video_sync");
    let result = &first["result"];
    assert_eq!(
        (
            result["listed"].clone(),
            result["added"].clone(),
            result["unchanged"].clone()
        ),
        (json!(25), json!(25), json!(0)),
        "{result}"
    );
    assert_eq!(result["statsRefreshed"], 24, "every ready video: {result}");
    assert_eq!(result["removed"], 0);
    assert_eq!(
        first["progress"],
        json!({"done": 25 + 24, "total": 25 + 24}),
        "{first}"
    );
    assert_eq!(wistia.seen().page_requests, 3, "10 + 10 + 5");
    assert_eq!(wistia.seen().throttled, 0);

    // The public sees visible, ready videos, newest first, paged without gaps or repeats.
    let public = public_ids(&api).await;
    let expected: Vec<String> = (1..=25u32)
        .rev()
        .filter(|n| *n != 3 && *n != 4)
        .map(|n| format!("m{n:09}"))
        .collect();
    assert_eq!(public, expected);
    let one = video(&api, &admin, "m000000007").await;
    assert_eq!(one["name"], "Session 7");
    assert_eq!(one["plays"], 70);
    assert_eq!(one["visibility"], "visible");
    assert_eq!(one["tags"][0]["name"], "Live");
    assert_eq!(one["tags"][0]["sources"], json!(["wistia"]));
    assert_eq!(one["thumbnail"]["width"], 200);
    assert_eq!(
        video(&api, &admin, "m000000003").await["visibility"],
        "hidden",
        "archived"
    );
    let processing = video(&api, &admin, "m000000004").await;
    api.expect(
        StatusCode::NOT_FOUND,
        Method::GET,
        &format!("/videos/{}", processing["id"].as_str().expect("id")),
        None,
        None,
    )
    .await;

    // Wistia changes: one renamed, one added, one unarchived, plays move on; and it misbehaves:
    // a 429 with Retry-After, two 503s, and a page slower than the client's timeout.
    wistia.apply(Change::Rename(
        "m000000001".into(),
        "Session 1 (remastered)".into(),
    ));
    wistia.apply(Change::Add(Media::numbered(26)));
    wistia.set_archived("m000000003", false);
    wistia.set_plays("m000000007", 700);
    wistia.throttle_next(1, 1);
    wistia.fail_next(2);
    let second = sync(&api, &admin).await;
    assert_eq!(second["status"], "succeeded", "{second}");
    let result = &second["result"];
    assert_eq!(
        (
            result["added"].clone(),
            result["changed"].clone(),
            result["unchanged"].clone()
        ),
        (json!(1), json!(2), json!(23)),
        "{result}"
    );
    assert!(
        result["wistia"]["throttled"] == 1 && result["wistia"]["retries"].as_u64() >= Some(3),
        "{result}"
    );
    assert_eq!(
        video(&api, &admin, "m000000001").await["name"],
        "Session 1 (remastered)"
    );
    assert_eq!(
        video(&api, &admin, "m000000003").await["visibility"],
        "visible"
    );
    assert_eq!(video(&api, &admin, "m000000007").await["plays"], 700);
    assert_eq!(
        public_ids(&api).await.first().map(String::as_str),
        Some("m000000026")
    );

    // A page slower than the timeout is asked for again.
    wistia.slow_pages(1, Duration::from_millis(1500));
    let before = wistia.page_hits(1);
    let third = sync(&api, &admin).await;
    assert_eq!(third["status"], "succeeded", "{third}");
    assert_eq!(wistia.page_hits(1), before + 2, "timed out once, then read");
    assert_eq!(third["result"]["unchanged"], 26);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_sync_failing_halfway_changes_only_what_it_finished_and_the_next_attempt_resumes() {
    let wistia = FakeWistia::start(medias(25)).await;
    let stack = stack_for(&wistia, |s| {
        s.wistia.max_retries = 1;
        // Room to look at the catalog between the failed attempt and the next.
        s.jobs.retry_base_ms = 4_000;
    })
    .await;
    let api = stack.api().await;
    let (_, admin) = api.admin(&mut stack.db.connect().await, "curator").await;
    let _worker = stack.spawn_worker();
    assert_eq!(sync(&api, &admin).await["status"], "succeeded");

    // Gone from Wistia, and a change on page 1; then page 3 fails through the attempt's retries.
    wistia.apply(Change::Remove("m000000005".into()));
    wistia.apply(Change::Rename("m000000002".into(), "Renamed".into()));
    wistia.fail_page(3, 2);
    let hits = (wistia.page_hits(1), wistia.page_hits(2));
    let (_, body, _) = api
        .call(Method::PATCH, "/videos/sync", None, Some(&admin))
        .await;
    let job = body["data"]["jobId"].as_str().expect("jobId").to_owned();
    let started = std::time::Instant::now();
    loop {
        let state = api
            .expect(
                StatusCode::OK,
                Method::GET,
                &format!("/jobs/{job}"),
                None,
                Some(&admin),
            )
            .await;
        let job = &state["data"]["job"];
        if job["status"] == "retrying" {
            // A retry is coming, and when: a client polling knows not to give up.
            assert!(job["nextAttemptAt"].is_string(), "{job}");
            assert_eq!(job["attempts"], 1, "{job}");
            assert_eq!(job["maxAttempts"], 8, "{job}");
            assert!(job["error"].is_string(), "{job}");
            break;
        }
        assert!(started.elapsed() < WAIT, "{state}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Pages 1 and 2 were written; the removal waits for a complete pass.
    assert_eq!(video(&api, &admin, "m000000002").await["name"], "Renamed");
    let removed = video(&api, &admin, "m000000005").await;
    assert!(removed["removedAt"].is_null(), "{removed}");
    assert!(public_ids(&api).await.contains(&"m000000005".to_owned()));
    // A second request joins the sync in flight.
    let (status, joined, _) = api
        .call(Method::PATCH, "/videos/sync", None, Some(&admin))
        .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    assert_eq!(joined["data"]["jobId"], job.as_str());
    assert_eq!(joined["data"]["alreadyRunning"], true);

    let finished = api.wait_job(&admin, &job, WAIT).await;
    assert_eq!(finished["status"], "succeeded", "{finished}");
    assert_eq!(finished["attempts"], 2);
    assert_eq!(
        (wistia.page_hits(1), wistia.page_hits(2)),
        (hits.0 + 1, hits.1 + 1),
        "the second attempt resumed at page 3"
    );
    assert_eq!(finished["result"]["removed"], 1);
    let removed = video(&api, &admin, "m000000005").await;
    assert!(removed["removedAt"].is_string(), "{removed}");
    assert_eq!(removed["visibility"], "hidden");
    assert!(!public_ids(&api).await.contains(&"m000000005".to_owned()));
    api.expect(
        StatusCode::NOT_FOUND,
        Method::GET,
        &format!("/videos/{}", removed["id"].as_str().expect("id")),
        None,
        None,
    )
    .await;
    // An admin cannot show a tombstone.
    let refused = api
        .expect(
            StatusCode::CONFLICT,
            Method::PATCH,
            &format!("/videos/{}/visibility", removed["id"].as_str().expect("id")),
            Some(json!({"visibility": "visible"})),
            Some(&admin),
        )
        .await;
    assert_eq!(refused["code"], "CONFLICT");

    // A media that comes back is restored.
    wistia.apply(Change::Add(Media::numbered(5)));
    assert_eq!(sync(&api, &admin).await["status"], "succeeded");
    assert!(video(&api, &admin, "m000000005").await["removedAt"].is_null());
}

#[tokio::test(flavor = "multi_thread")]
async fn medias_removed_and_added_between_pages_are_neither_lost_nor_wrongly_removed() {
    let wistia = FakeWistia::start(medias(25)).await;
    let stack = stack_for(&wistia, |_| {}).await;
    let api = stack.api().await;
    let (_, admin) = api.admin(&mut stack.db.connect().await, "curator").await;
    let _worker = stack.spawn_worker();
    assert_eq!(sync(&api, &admin).await["status"], "succeeded");

    // After page 1 is read, a media on it is removed (every later media moves back by one, so
    // m11 slides onto page 1 unread) and one is added at the end.
    wistia.after_page(1, Change::Remove("m000000002".into()));
    wistia.after_page(1, Change::Add(Media::numbered(26)));
    let second = sync(&api, &admin).await;
    assert_eq!(second["status"], "succeeded", "{second}");
    assert_eq!(second["result"]["removed"], 1, "{second}");
    assert_eq!(second["result"]["added"], 1);
    let shifted = video(&api, &admin, "m000000011").await;
    assert!(
        shifted["removedAt"].is_null(),
        "skipped by the shift, still there: {shifted}"
    );
    assert!(video(&api, &admin, "m000000002").await["removedAt"].is_string());
    assert!(public_ids(&api).await.contains(&"m000000026".to_owned()));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_worker_killed_mid_sync_leaves_the_pass_to_the_next_and_nothing_is_duplicated() {
    let wistia = FakeWistia::start(medias(45)).await;
    let stack = stack_for(&wistia, |_| {}).await;
    let api = stack.api().await;
    let (_, admin) = api.admin(&mut stack.db.connect().await, "curator").await;
    wistia.slow_pages(5, Duration::from_millis(600));
    let mut first = stack.spawn_worker();
    let (_, body, _) = api
        .call(Method::PATCH, "/videos/sync", None, Some(&admin))
        .await;
    let job = body["data"]["jobId"].as_str().expect("jobId").to_owned();
    let started = std::time::Instant::now();
    while wistia.page_hits(3) == 0 {
        assert!(started.elapsed() < WAIT);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    first.signal("-KILL");
    first.wait_exit(WAIT);

    let _second = stack.spawn_worker();
    let finished = api.wait_job(&admin, &job, WAIT).await;
    assert_eq!(finished["status"], "succeeded", "{finished}");
    assert_eq!(finished["attempts"], 2);
    assert_eq!(
        wistia.page_hits(1),
        1,
        "page 1 was committed before the kill"
    );
    let all = all_videos(&api, &admin).await;
    assert_eq!(all.len(), 45);
    let mut distinct: Vec<&str> = all
        .iter()
        .map(|v| v["hashedId"].as_str().expect("id"))
        .collect();
    distinct.dedup();
    assert_eq!(distinct.len(), 45);
}

#[tokio::test(flavor = "multi_thread")]
async fn local_tags_survive_syncs_and_the_cached_playlist_follows_every_change() {
    let wistia = FakeWistia::start(medias(5)).await;
    let stack = stack_for(&wistia, |_| {}).await;
    let api = stack.api().await;
    let (_, admin) = api.admin(&mut stack.db.connect().await, "curator").await;
    let (_, listener) = api.user("listener", None).await;
    let _worker = stack.spawn_worker();
    assert_eq!(sync(&api, &admin).await["status"], "succeeded");

    let playlist = |expected: &'static str| {
        let api = api.clone();
        async move {
            let (status, body, headers) =
                api.call(Method::GET, "/videos/playlist", None, None).await;
            assert_eq!(status, StatusCode::OK);
            assert_eq!(
                headers.get("x-data-source").and_then(|v| v.to_str().ok()),
                Some(expected),
                "{body}"
            );
            body["data"]["videos"].as_array().expect("videos").clone()
        }
    };
    let listed = playlist("database").await;
    assert_eq!(listed.len(), 5);
    assert_eq!(listed[0]["hashedId"], "m000000005");
    assert_eq!(playlist("cache").await, listed);

    // Tags: unique whatever the case, Wistia's included; only admins create them.
    let created = api
        .expect(
            StatusCode::CREATED,
            Method::POST,
            "/tags",
            Some(json!({"name": " Featured "})),
            Some(&admin),
        )
        .await;
    let featured = created["data"]["tagId"].as_str().expect("tagId").to_owned();
    for taken in ["featured", "LIVE"] {
        let conflict = api
            .expect(
                StatusCode::CONFLICT,
                Method::POST,
                "/tags",
                Some(json!({"name": taken})),
                Some(&admin),
            )
            .await;
        assert_eq!(conflict["code"], "CONFLICT");
    }
    api.expect(
        StatusCode::FORBIDDEN,
        Method::POST,
        "/tags",
        Some(json!({"name": "Mine"})),
        Some(&listener),
    )
    .await;
    let invalid = api
        .expect(
            StatusCode::BAD_REQUEST,
            Method::POST,
            "/tags",
            Some(json!({"name": "  "})),
            Some(&admin),
        )
        .await;
    assert_eq!(invalid["details"][0]["field"], "name");
    let tags = api
        .expect(StatusCode::OK, Method::GET, "/tags", None, None)
        .await;
    let names: Vec<&str> = tags["data"]["tags"]
        .as_array()
        .expect("tags")
        .iter()
        .map(|t| t["name"].as_str().expect("name"))
        .collect();
    assert_eq!(names, ["Featured", "Live"]);

    let first = video(&api, &admin, "m000000001").await;
    let first_id = first["id"].as_str().expect("id").to_owned();
    let tagged = api
        .expect(
            StatusCode::OK,
            Method::PUT,
            &format!("/videos/{first_id}/tags"),
            Some(json!({"tagIds": [featured]})),
            Some(&admin),
        )
        .await;
    assert_eq!(
        tagged["data"]["video"]["tags"],
        json!([
            {"id": featured, "name": "Featured", "sources": ["local"]},
            {"id": first["tags"][0]["id"], "name": "Live", "sources": ["wistia"]},
        ])
    );
    let bad = api
        .expect(
            StatusCode::NOT_FOUND,
            Method::PUT,
            &format!("/videos/{first_id}/tags"),
            Some(json!({"tagIds": ["tag-doesnotexist00"]})),
            Some(&admin),
        )
        .await;
    assert_eq!(bad["code"], "NOT_FOUND");
    let listed = playlist("database").await;
    assert_eq!(listed[4]["tags"][0]["name"], "Featured");
    playlist("cache").await;
    let by_tag = api
        .expect(
            StatusCode::OK,
            Method::GET,
            &format!("/videos?tag={featured}"),
            None,
            None,
        )
        .await;
    assert_eq!(by_tag["data"]["videos"].as_array().map(Vec::len), Some(1));

    // Wistia drops its tag from the video: the sync replaces only Wistia's tags.
    wistia.clear_tags("m000000001");
    assert_eq!(sync(&api, &admin).await["status"], "succeeded");
    let after = video(&api, &admin, "m000000001").await;
    assert_eq!(
        after["tags"],
        json!([{"id": featured, "name": "Featured", "sources": ["local"]}]),
        "{after}"
    );
    playlist("database").await;
    playlist("cache").await;

    // A visibility change.
    let second_id = video(&api, &admin, "m000000002").await["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let hidden = api
        .expect(
            StatusCode::OK,
            Method::PATCH,
            &format!("/videos/{second_id}/visibility"),
            Some(json!({"visibility": "hidden"})),
            Some(&admin),
        )
        .await;
    assert_eq!(hidden["data"]["video"]["visibility"], "hidden");
    let listed = playlist("database").await;
    assert!(listed.iter().all(|v| v["id"] != second_id.as_str()));
    playlist("cache").await;
    api.expect(
        StatusCode::FORBIDDEN,
        Method::PATCH,
        &format!("/videos/{second_id}/visibility"),
        Some(json!({"visibility": "visible"})),
        Some(&listener),
    )
    .await;
    api.expect(
        StatusCode::UNAUTHORIZED,
        Method::PATCH,
        &format!("/videos/{second_id}/visibility"),
        Some(json!({"visibility": "visible"})),
        None,
    )
    .await;
    let wrong = api
        .expect(
            StatusCode::BAD_REQUEST,
            Method::PATCH,
            &format!("/videos/{second_id}/visibility"),
            Some(json!({"visibility": "secret"})),
            Some(&admin),
        )
        .await;
    assert_eq!(wrong["details"][0]["field"], "visibility");
    api.expect(
        StatusCode::FORBIDDEN,
        Method::GET,
        "/videos?visibility=hidden",
        None,
        Some(&listener),
    )
    .await;
    let hidden_list = api
        .expect(
            StatusCode::OK,
            Method::GET,
            "/videos?visibility=hidden",
            None,
            Some(&admin),
        )
        .await;
    assert_eq!(hidden_list["data"]["videos"][0]["id"], second_id.as_str());

    // An admin's API key with `videos:write` acts as the admin; one without it, and a key of a
    // user who is not an admin, are refused.
    let key = |owner: String, scopes: Value| {
        let api = api.clone();
        async move {
            let body = api
                .expect(
                    StatusCode::CREATED,
                    Method::POST,
                    "/api-keys",
                    Some(json!({"name": "video tool", "scopes": scopes})),
                    Some(&owner),
                )
                .await;
            body["data"]["key"].as_str().expect("key").to_owned()
        }
    };
    let writer = key(admin.clone(), json!(["videos:write"])).await;
    let reader = key(admin.clone(), json!(["catalog:read"])).await;
    let users_key = key(listener.clone(), json!(["videos:write"])).await;
    let path = format!("/videos/{second_id}/visibility");
    let shown = api
        .expect(
            StatusCode::OK,
            Method::PATCH,
            &path,
            Some(json!({"visibility": "visible"})),
            Some(&writer),
        )
        .await;
    assert_eq!(shown["data"]["video"]["visibility"], "visible");
    for (key, code) in [(&reader, "INSUFFICIENT_SCOPE"), (&users_key, "FORBIDDEN")] {
        let refused = api
            .expect(
                StatusCode::FORBIDDEN,
                Method::PATCH,
                &path,
                Some(json!({"visibility": "hidden"})),
                Some(key),
            )
            .await;
        assert_eq!(refused["code"], code);
    }
    let listed = playlist("database").await;
    assert!(listed.iter().any(|v| v["id"] == second_id.as_str()));

    // Renaming and deleting a tag.
    api.expect(
        StatusCode::OK,
        Method::PATCH,
        &format!("/tags/{featured}"),
        Some(json!({"name": "Spotlight"})),
        Some(&admin),
    )
    .await;
    let first_listed = |listed: Vec<Value>| {
        listed
            .into_iter()
            .find(|v| v["hashedId"] == "m000000001")
            .expect("m1 in the playlist")
    };
    let first = first_listed(playlist("database").await);
    assert_eq!(first["tags"][0]["name"], "Spotlight", "{first}");
    playlist("cache").await;
    api.expect(
        StatusCode::OK,
        Method::DELETE,
        &format!("/tags/{featured}"),
        None,
        Some(&admin),
    )
    .await;
    let first = first_listed(playlist("database").await);
    assert!(
        first["tags"].as_array().is_some_and(Vec::is_empty),
        "{first}"
    );
    api.expect(
        StatusCode::NOT_FOUND,
        Method::DELETE,
        &format!("/tags/{featured}"),
        None,
        Some(&admin),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn without_a_token_sync_is_refused_and_the_schedule_stays_idle() {
    let stack = Stack::new(|s| s.wistia.token = None).await;
    let api = stack.api().await;
    let (_, admin) = api.admin(&mut stack.db.connect().await, "curator").await;
    let worker = stack.spawn_worker();
    let refused = api
        .expect(
            StatusCode::CONFLICT,
            Method::PATCH,
            "/videos/sync",
            None,
            Some(&admin),
        )
        .await;
    assert!(
        refused["message"]
            .as_str()
            .is_some_and(|m| m.contains("Wistia token")),
        "{refused}"
    );
    worker.wait_for_log("idle: no Wistia token configured", WAIT);
    let mut conn = stack.db.connect().await;
    use diesel::prelude::*;
    use diesel_async::RunQueryDsl;
    let queued: i64 = backbeat_db::schema::jobs::table
        .filter(backbeat_db::schema::jobs::kind.eq("video_sync"))
        .count()
        .get_result(&mut conn)
        .await
        .expect("count");
    assert_eq!(queued, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_token_wistia_refuses_kills_the_sync_at_once_and_changes_nothing() {
    let wistia = FakeWistia::start(medias(5)).await;
    let stack = stack_for(&wistia, |s| {
        s.wistia.token = Some("revoked-wistia-token".to_owned().into());
    })
    .await;
    let api = stack.api().await;
    let (_, admin) = api.admin(&mut stack.db.connect().await, "curator").await;
    let _worker = stack.spawn_worker();
    let dead = sync(&api, &admin).await;
    assert_eq!(dead["status"], "dead", "{dead}");
    assert_eq!(dead["attempts"], 1, "not retried: {dead}");
    let error = dead["error"].as_str().expect("error");
    assert!(error.contains("refused the token"), "{error}");
    assert!(!error.contains("revoked-wistia-token"), "{error}");
    assert!(all_videos(&api, &admin).await.is_empty());
}
