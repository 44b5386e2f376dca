//! Platforms and distribution requests as the API answers them (deliveries themselves run in the
//! worker: see the worker's pipeline tests).

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::*;

#[tokio::test]
async fn platforms_are_seeded_and_only_admins_manage_them() {
    let app = spawn_app().await;
    let client = app.client();
    let (_, user) = client.user("label", None).await;
    let body = client
        .expect(StatusCode::OK, Method::GET, "/platforms", None, Some(&user))
        .await;
    let platforms = body["data"]["platforms"].as_array().expect("platforms");
    let names: Vec<&str> = platforms
        .iter()
        .map(|p| p["name"].as_str().expect("name"))
        .collect();
    for name in [
        "Spotify",
        "Apple Music",
        "Amazon Music",
        "YouTube Music",
        "Deezer",
        "TIDAL",
        "SoundCloud",
        "Pandora",
    ] {
        assert!(names.contains(&name), "{name} missing from {names:?}");
    }
    assert_eq!(
        keys(&platforms[0]),
        [
            "active",
            "code",
            "delivery",
            "feeBps",
            "id",
            "name",
            "onboarding",
            "partyId"
        ]
    );
    assert_eq!(platforms[0]["onboarding"], false);
    assert_eq!(
        platforms[0]["delivery"],
        json!({"method": "folder", "profile": "release_by_release", "batchMaxReleases": 100})
    );
    let (status, _, _) = client.call(Method::GET, "/platforms", None, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    let new = json!({"code": "napster", "name": "Napster", "partyId": "PADPIDA2008090401N"});
    let (status, body, _) = client
        .call(Method::POST, "/platforms", Some(new.clone()), Some(&user))
        .await;
    assert_eq!(
        (status, body["code"].clone()),
        (StatusCode::FORBIDDEN, json!("FORBIDDEN"))
    );

    let admin = app.admin("boss").await;
    let created = client
        .expect(
            StatusCode::CREATED,
            Method::POST,
            "/platforms",
            Some(new.clone()),
            Some(&admin),
        )
        .await;
    let id = created["data"]["platformId"]
        .as_str()
        .expect("platformId")
        .to_owned();
    assert_eq!(created["data"]["platform"]["active"], true);
    let body = expect_conflict(app.post_as("/platforms", new, Some(&admin)).await, "code").await;
    assert_eq!(
        body["details"][0]["message"],
        "is already used by another platform"
    );
    for (body, field) in [
        (
            json!({"code": "Bad Code", "name": "x", "partyId": "PADPIDA1"}),
            "code",
        ),
        (
            json!({"code": "ok", "name": "x", "partyId": "DPID123"}),
            "partyId",
        ),
        (
            json!({"code": "ok2", "name": "x", "partyId": "PADPIDA1", "deliveryFolder": "../etc"}),
            "deliveryFolder",
        ),
    ] {
        expect_field_error(app.post_as("/platforms", body, Some(&admin)).await, field).await;
    }
    let changed = client
        .expect(
            StatusCode::OK,
            Method::PATCH,
            &format!("/platforms/{id}"),
            Some(json!({"active": false})),
            Some(&admin),
        )
        .await;
    assert_eq!(changed["data"]["platform"]["active"], false);
    let (status, _, _) = client
        .call(
            Method::PATCH,
            &format!("/platforms/{id}"),
            Some(json!({"active": true})),
            Some(&user),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, _) = client
        .call(
            Method::PATCH,
            "/platforms/platform-doesnotexist0",
            Some(json!({"active": true})),
            Some(&admin),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

const HOST_KEY: &str = "SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s";

#[tokio::test]
async fn an_sftp_platform_needs_its_whole_server_described() {
    let app = spawn_app().await;
    let client = app.client();
    let admin = app.admin("boss").await;
    let base = json!({"code": "sftp_dsp", "name": "SFTP DSP", "partyId": "PADPIDA2008090401N"});
    let with = |extra: Value| {
        let mut body = base.clone();
        for (k, v) in extra.as_object().expect("object") {
            body[k] = v.clone();
        }
        body
    };
    // Every missing part is named at once.
    let body = expect_field_error(
        app.post_as(
            "/platforms",
            with(json!({"deliveryMethod": "sftp", "sftpHost": "sftp.example.com"})),
            Some(&admin),
        )
        .await,
        "sftpUsername",
    )
    .await;
    let fields: Vec<&str> = body["details"]
        .as_array()
        .expect("details")
        .iter()
        .map(|d| d["field"].as_str().expect("field"))
        .collect();
    assert_eq!(fields, ["sftpUsername", "sftpHostKey"]);
    for (extra, field) in [
        (json!({"deliveryMethod": "ftp"}), "deliveryMethod"),
        (json!({"sftpHost": "-oProxyCommand=x"}), "sftpHost"),
        (json!({"sftpHost": "a b"}), "sftpHost"),
        (json!({"sftpPort": 0}), "sftpPort"),
        (json!({"sftpPort": 65536}), "sftpPort"),
        (json!({"sftpUsername": "a;b"}), "sftpUsername"),
        (json!({"sftpHostKey": "MD5:aa:bb"}), "sftpHostKey"),
        (json!({"sftpHostKey": "SHA256:short"}), "sftpHostKey"),
        (json!({"deliveryFolder": "/incoming"}), "deliveryFolder"),
        (
            json!({"deliveryFolder": "incoming/../.."}),
            "deliveryFolder",
        ),
        (
            json!({"deliveryFolder": "incoming//ddex"}),
            "deliveryFolder",
        ),
        (json!({"deliveryFolder": ".hidden"}), "deliveryFolder"),
    ] {
        expect_field_error(
            app.post_as("/platforms", with(extra), Some(&admin)).await,
            field,
        )
        .await;
    }

    let created = client
        .expect(
            StatusCode::CREATED,
            Method::POST,
            "/platforms",
            Some(with(json!({
                "deliveryMethod": "sftp",
                "deliveryFolder": "incoming",
                "sftpHost": "sftp.example.com",
                "sftpUsername": "backbeat",
                "sftpHostKey": HOST_KEY,
            }))),
            Some(&admin),
        )
        .await;
    assert_eq!(
        created["data"]["platform"]["delivery"],
        json!({
            "method": "sftp",
            "profile": "release_by_release",
            "batchMaxReleases": 100,
            "settings": {
                "folder": "incoming",
                "acknowledgementFolder": "acknowledgements",
                "sftp": {"host": "sftp.example.com", "port": 22, "username": "backbeat", "hostKey": HOST_KEY},
            },
        })
    );
    // Anyone may list the platforms; only admins see where their packages go.
    let (_, user) = client.user("label", None).await;
    let listed = client
        .expect(StatusCode::OK, Method::GET, "/platforms", None, Some(&user))
        .await;
    let listed = listed["data"]["platforms"]
        .as_array()
        .expect("platforms")
        .iter()
        .find(|p| p["code"] == "sftp_dsp")
        .expect("listed")
        .clone();
    assert_eq!(
        listed["delivery"],
        json!({"method": "sftp", "profile": "release_by_release", "batchMaxReleases": 100})
    );
    let id = created["data"]["platformId"].as_str().expect("id");
    // Back to its folder: the server stays described, for switching back.
    let changed = client
        .expect(
            StatusCode::OK,
            Method::PATCH,
            &format!("/platforms/{id}"),
            Some(json!({"deliveryMethod": "folder", "deliveryFolder": null, "sftpPort": 2222})),
            Some(&admin),
        )
        .await;
    let delivery = &changed["data"]["platform"]["delivery"];
    assert_eq!(delivery["method"], "folder");
    assert!(delivery["settings"]["folder"].is_null());
    assert_eq!(delivery["settings"]["sftp"]["port"], 2222);

    // A folder platform switched to SFTP without its server is refused and left as it was.
    let napster = client
        .expect(
            StatusCode::CREATED,
            Method::POST,
            "/platforms",
            Some(json!({"code": "napster", "name": "Napster", "partyId": "PADPIDA2008090401N"})),
            Some(&admin),
        )
        .await;
    let napster = napster["data"]["platformId"].as_str().expect("id");
    expect_field_error(
        app.patch_as(
            &format!("/platforms/{napster}"),
            json!({"deliveryMethod": "sftp", "sftpHost": "10.0.0.1"}),
            Some(&admin),
        )
        .await,
        "sftpUsername",
    )
    .await;
    let platforms = client
        .expect(
            StatusCode::OK,
            Method::GET,
            "/platforms",
            None,
            Some(&admin),
        )
        .await;
    let napster = platforms["data"]["platforms"]
        .as_array()
        .expect("platforms")
        .iter()
        .find(|p| p["id"] == napster)
        .expect("napster")
        .clone();
    assert_eq!(
        napster["delivery"],
        json!({
            "method": "folder",
            "profile": "release_by_release",
            "batchMaxReleases": 100,
            "settings": {"folder": null, "acknowledgementFolder": "acknowledgements", "sftp": null},
        })
    );
}

#[tokio::test]
async fn a_distribution_request_checks_readiness_platforms_and_what_is_live() {
    let app = spawn_app().await;
    let client = app.client();
    let (_, owner) = client.user("label", None).await;
    let (_, stranger) = client.user("stranger", None).await;
    let spotify = client.platform(&owner, "spotify").await;
    let deezer = client.platform(&owner, "deezer").await;
    let tidal = client.platform(&owner, "tidal").await;

    // Not ready: 400 with every problem and its code.
    let bare = app.album(Some(&owner), "Bare", 2026).await;
    let body = expect_field_error(
        app.post_as(
            &format!("/albums/{bare}/distributions"),
            json!({"platformIds": [spotify]}),
            Some(&owner),
        )
        .await,
        "upc",
    )
    .await;
    assert_eq!(body["message"], "the release is not ready for delivery");
    assert_eq!(body["details"][0]["code"], "UPC_MISSING");
    assert_eq!(body["details"].as_array().map(Vec::len), Some(9));

    let release = client.ready_release(&owner, 7, 1).await;
    let path = format!("/albums/{}/distributions", release.album_id);
    for (body, field) in [
        (json!({}), "platformIds"),
        (json!({"platformIds": []}), "platformIds"),
        (
            json!({"platformIds": ["platform-doesnotexist0"]}),
            "platformIds",
        ),
        (json!({"platformIds": [spotify, spotify]}), "platformIds"),
        (
            json!({"platformIds": [spotify], "releaseAt": "next friday"}),
            "releaseAt",
        ),
    ] {
        expect_field_error(app.post_as(&path, body, Some(&owner)).await, field).await;
    }
    let (status, _, _) = client
        .call(
            Method::POST,
            &path,
            Some(json!({"platformIds": [spotify]})),
            Some(&stranger),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let (status, body, headers) = client
        .call(
            Method::POST,
            &path,
            Some(json!({"platformIds": [spotify, deezer]})),
            Some(&owner),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    assert_eq!(headers["location"], path.as_str());
    let started = body["data"]["distributions"]
        .as_array()
        .expect("distributions");
    assert_eq!(started.len(), 2);
    for (d, platform) in started.iter().zip([&spotify, &deezer]) {
        assert_eq!(keys(d), ["id", "jobId", "platformId", "status"]);
        assert_eq!(d["platformId"], platform.as_str());
        assert_eq!(d["status"], "queued");
        assert!(d["jobId"].as_str().is_some_and(|j| j.starts_with("job-")));
    }
    // A live distribution per platform: the whole request is refused, nothing is added.
    let body = expect_error(
        app.post_as(&path, json!({"platformIds": [tidal, deezer]}), Some(&owner))
            .await,
        StatusCode::CONFLICT,
        "CONFLICT",
    )
    .await;
    assert!(
        body["message"]
            .as_str()
            .is_some_and(|m| m.contains("Deezer")),
        "{body}"
    );
    // Scheduled for later: no job yet.
    let body = client
        .expect(
            StatusCode::ACCEPTED,
            Method::POST,
            &path,
            Some(json!({"platformIds": [tidal], "releaseAt": "2099-01-01T00:00:00Z"})),
            Some(&owner),
        )
        .await;
    assert_eq!(body["data"]["distributions"][0]["status"], "scheduled");
    assert!(body["data"]["distributions"][0]["jobId"].is_null());

    let listed = client
        .expect(StatusCode::OK, Method::GET, &path, None, Some(&owner))
        .await;
    let listed = listed["data"]["distributions"]
        .as_array()
        .expect("list")
        .clone();
    assert_eq!(listed.len(), 3);
    assert_eq!(
        keys(&listed[0]),
        [
            "albumId",
            "deliveredAt",
            "error",
            "history",
            "id",
            "jobId",
            "messageId",
            "platformId",
            "platformStatus",
            "releaseAt",
            "status"
        ]
    );
    assert_eq!(listed[0]["history"][0]["status"], "queued");
    assert!(listed[0]["messageId"].is_null(), "not delivered yet");
    assert!(listed[0]["platformStatus"].is_null(), "nothing heard back");

    // Cancelled before delivery; then no more to do with it.
    let cancelled = listed[2]["id"].as_str().expect("id");
    let body = client
        .expect(
            StatusCode::OK,
            Method::DELETE,
            &format!("/distributions/{cancelled}"),
            None,
            Some(&owner),
        )
        .await;
    assert_eq!(body["message"], "Distribution cancelled");
    assert_eq!(body["data"]["distribution"]["status"], "cancelled");
    let statuses: Vec<&str> = body["data"]["distribution"]["history"]
        .as_array()
        .expect("history")
        .iter()
        .map(|h| h["status"].as_str().expect("status"))
        .collect();
    assert_eq!(statuses, ["scheduled", "cancelled"]);
    for (method, suffix) in [(Method::DELETE, ""), (Method::POST, "/retry")] {
        let (status, body, _) = client
            .call(
                method,
                &format!("/distributions/{cancelled}{suffix}"),
                None,
                Some(&owner),
            )
            .await;
        assert_eq!(status, StatusCode::CONFLICT, "{body}");
    }
    // A cancelled distribution is history: the platform can be distributed to again.
    client
        .expect(
            StatusCode::ACCEPTED,
            Method::POST,
            &path,
            Some(json!({"platformIds": [tidal], "releaseAt": "2099-01-01T00:00:00Z"})),
            Some(&owner),
        )
        .await;

    // The caller's list, filtered and paged; strangers see none of it.
    let body = client
        .expect(
            StatusCode::OK,
            Method::GET,
            "/distributions?status=cancelled",
            None,
            Some(&owner),
        )
        .await;
    assert_eq!(
        body["data"]["distributions"].as_array().map(Vec::len),
        Some(1)
    );
    let body = client
        .expect(
            StatusCode::OK,
            Method::GET,
            &format!("/distributions?platformId={spotify}&limit=1"),
            None,
            Some(&owner),
        )
        .await;
    assert_eq!(
        body["data"]["distributions"][0]["platformId"],
        spotify.as_str()
    );
    assert!(body["meta"]["nextCursor"].is_null());
    let body = client
        .expect(
            StatusCode::OK,
            Method::GET,
            "/distributions?limit=2",
            None,
            Some(&owner),
        )
        .await;
    assert!(body["meta"]["nextCursor"].is_string());
    expect_field_error(
        app.get("/distributions?status=lost", Some(&owner)).await,
        "status",
    )
    .await;
    let body = client
        .expect(
            StatusCode::OK,
            Method::GET,
            "/distributions",
            None,
            Some(&stranger),
        )
        .await;
    assert_eq!(body["data"]["distributions"], json!([]));
    let first = listed[0]["id"].as_str().expect("id");
    for (method, suffix) in [
        (Method::GET, ""),
        (Method::DELETE, ""),
        (Method::POST, "/retry"),
    ] {
        let (status, _, _) = client
            .call(
                method,
                &format!("/distributions/{first}{suffix}"),
                None,
                Some(&stranger),
            )
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }
    let (status, _, _) = client.call(Method::GET, &path, None, Some(&stranger)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // A release on sale somewhere cannot just be deleted.
    let body = expect_error(
        app.delete_as(&format!("/albums/{}", release.album_id), None, Some(&owner))
            .await,
        StatusCode::CONFLICT,
        "CONFLICT",
    )
    .await;
    assert!(
        body["message"]
            .as_str()
            .is_some_and(|m| m.contains("take it down"))
    );
}

#[tokio::test]
async fn a_bulk_request_names_only_the_callers_releases_and_active_platforms() {
    let app = spawn_app_with(|s| s.distribution.bulk_max_releases = 3).await;
    let client = app.client();
    let (_, owner) = client.user("label", None).await;
    let (_, stranger) = client.user("stranger", None).await;
    let spotify = client.platform(&owner, "spotify").await;
    let mine = app.album(Some(&owner), "Mine", 2026).await;
    let theirs = app.album(Some(&stranger), "Theirs", 2026).await;

    let body = expect_error(
        app.post_as(
            "/distributions/bulk",
            json!({"albumIds": [mine, theirs], "platformIds": [spotify]}),
            Some(&owner),
        )
        .await,
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
    )
    .await;
    assert!(
        body["message"]
            .as_str()
            .is_some_and(|m| m.contains(&theirs) && !m.contains(&mine)),
        "{body}"
    );
    for (body, field) in [
        (json!({"platformIds": [spotify]}), "albumIds"),
        (
            json!({"albumIds": [mine, "a", "b", "c"], "platformIds": [spotify]}),
            "albumIds",
        ),
        (
            json!({"albumIds": [mine, mine], "platformIds": [spotify]}),
            "albumIds",
        ),
        (
            json!({"albumIds": [mine], "platformIds": ["platform-nope00000000"]}),
            "platformIds",
        ),
    ] {
        expect_field_error(
            app.post_as("/distributions/bulk", body, Some(&owner)).await,
            field,
        )
        .await;
    }
    let (status, body, headers) = client
        .call(
            Method::POST,
            "/distributions/bulk",
            Some(json!({"albumIds": [mine], "platformIds": [spotify]})),
            Some(&owner),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let job = body["data"]["jobId"].as_str().expect("jobId");
    assert_eq!(headers["location"], format!("/jobs/{job}").as_str());
    let body = client
        .expect(
            StatusCode::OK,
            Method::GET,
            &format!("/jobs/{job}"),
            None,
            Some(&owner),
        )
        .await;
    assert_eq!(body["data"]["job"]["kind"], "bulk_distribution");
    let (status, _, _) = client
        .call(
            Method::GET,
            &format!("/jobs/{job}/items"),
            None,
            Some(&stranger),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _, _) = client
        .call(Method::GET, &format!("/jobs/{job}"), None, Some(&stranger))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn test_deliveries_go_only_to_platforms_in_onboarding_from_admins() {
    let app = spawn_app().await;
    let client = app.client();
    let admin = app.admin("boss").await;
    let (_, owner) = client.user("label", None).await;
    let created = client
        .expect(
            StatusCode::CREATED,
            Method::POST,
            "/platforms",
            Some(json!({
                "code": "new_dsp",
                "name": "New DSP",
                "partyId": "PADPIDA2026120701N",
                "onboarding": true,
            })),
            Some(&admin),
        )
        .await;
    assert_eq!(created["data"]["platform"]["onboarding"], true);
    let id = created["data"]["platformId"]
        .as_str()
        .expect("id")
        .to_owned();
    let path = format!("/platforms/{id}/test-deliveries");
    expect_field_error(
        app.patch_as(
            &format!("/platforms/{id}"),
            json!({"onboarding": "yes"}),
            Some(&admin),
        )
        .await,
        "onboarding",
    )
    .await;

    // What is sent is checked: an album named, known and ready.
    let bare = app.album(Some(&owner), "Bare", 2026).await;
    for (body, field) in [
        (json!({}), "albumId"),
        (json!({"albumId": 7}), "albumId"),
        (json!({"albumId": "album-doesnotexist0"}), "albumId"),
        (json!({"albumId": bare}), "upc"),
    ] {
        expect_field_error(app.post_as(&path, body, Some(&admin)).await, field).await;
    }
    let release = client.ready_release(&owner, 11, 1).await;
    let body = json!({"albumId": release.album_id});
    // Admins only, even for the release's owner; an unknown platform is 404.
    expect_error(
        app.post_as(&path, body.clone(), Some(&owner)).await,
        StatusCode::FORBIDDEN,
        "FORBIDDEN",
    )
    .await;
    expect_error(
        app.post_as(
            "/platforms/platform-doesnotexist0/test-deliveries",
            body.clone(),
            Some(&admin),
        )
        .await,
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
    )
    .await;
    let sent = client
        .expect(
            StatusCode::ACCEPTED,
            Method::POST,
            &path,
            Some(body.clone()),
            Some(&admin),
        )
        .await;
    assert_eq!(sent["data"]["distribution"]["status"], "queued");
    assert!(sent["data"]["distribution"]["jobId"].is_string());
    // Listed with the platform, not with the release; the release stays free to distribute.
    let tests = client
        .expect(StatusCode::OK, Method::GET, &path, None, Some(&admin))
        .await;
    assert_eq!(
        tests["data"]["distributions"].as_array().map(Vec::len),
        Some(1)
    );
    assert_eq!(
        tests["data"]["distributions"][0]["history"][0]["note"],
        "test delivery"
    );
    let releases = client
        .expect(
            StatusCode::OK,
            Method::GET,
            &format!("/albums/{}/distributions", release.album_id),
            None,
            Some(&owner),
        )
        .await;
    assert_eq!(releases["data"]["distributions"], json!([]));
    // Once live, the platform takes no more tests.
    client
        .expect(
            StatusCode::OK,
            Method::PATCH,
            &format!("/platforms/{id}"),
            Some(json!({"onboarding": false})),
            Some(&admin),
        )
        .await;
    client
        .expect(
            StatusCode::ACCEPTED,
            Method::POST,
            &format!("/albums/{}/distributions", release.album_id),
            Some(json!({"platformIds": [id]})),
            Some(&owner),
        )
        .await;
    expect_error(
        app.post_as(&path, body, Some(&admin)).await,
        StatusCode::CONFLICT,
        "CONFLICT",
    )
    .await;
}
