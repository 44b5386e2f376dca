//! API keys and scopes, suspension, account administration, the audit log, CORS and
//! compression, and login under a flood.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::*;

const ALL_SCOPES: [&str; 10] = [
    "catalog:read",
    "catalog:write",
    "playlists:read",
    "playlists:write",
    "distribution:read",
    "distribution:write",
    "analytics:read",
    "royalties:read",
    "royalties:write",
    "videos:write",
];

/// Creates a key with `scopes` for the session `token`; returns (id, secret).
async fn key(app: &TestApp, token: &str, scopes: &[&str]) -> (String, String) {
    let body = expect_status(
        app.post_as(
            "/api-keys",
            json!({"name": "script", "scopes": scopes}),
            Some(token),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    (
        body["data"]["apiKeyId"].as_str().expect("id").to_owned(),
        body["data"]["key"].as_str().expect("key").to_owned(),
    )
}

/// A request with the key in `X-Api-Key`.
async fn with_header(
    app: &TestApp,
    method: Method,
    path: &str,
    key: &str,
    body: Option<Value>,
) -> reqwest::Response {
    let mut request = app
        .client
        .request(method, app.url(path))
        .header("x-api-key", key);
    if let Some(body) = body {
        request = request.json(&body);
    }
    request.send().await.expect("sent")
}

#[tokio::test]
async fn a_key_is_shown_once_stored_as_a_hash_and_listed_without_its_secret() {
    let app = spawn_app().await;
    let (_, token, _) = app.user("keyholder").await;
    let body = expect_status(
        app.post_as(
            "/api-keys",
            json!({"name": "catalog sync", "scopes": ["catalog:read", "catalog:write"],
                   "expiresAt": "2099-01-01T00:00:00Z"}),
            Some(&token),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    let secret = body["data"]["key"].as_str().expect("key");
    let id = body["data"]["apiKeyId"].as_str().expect("id");
    assert!(secret.starts_with("bbk_") && secret.len() == 44, "{secret}");

    let listed = expect_status(app.get("/api-keys", Some(&token)).await, StatusCode::OK).await;
    let listed_keys = listed["data"]["apiKeys"].as_array().expect("list");
    assert_eq!(listed_keys.len(), 1);
    let listed_key = &listed_keys[0];
    assert_eq!(
        keys(listed_key),
        [
            "createdAt",
            "expiresAt",
            "id",
            "lastUsedAt",
            "name",
            "prefix",
            "revoked",
            "scopes"
        ]
    );
    assert_eq!(listed_key["id"], id);
    assert_eq!(listed_key["name"], "catalog sync");
    assert_eq!(
        listed_key["scopes"],
        json!(["catalog:read", "catalog:write"])
    );
    assert_eq!(listed_key["revoked"], false);
    assert!(listed_key["lastUsedAt"].is_null());
    assert!(secret.starts_with(listed_key["prefix"].as_str().expect("prefix")));
    assert!(
        !listed.to_string().contains(secret),
        "the secret is never listed"
    );

    // Only a keyed hash is stored: the secret appears in no column.
    let mut conn = app.db.connect().await;
    let dump: Vec<Row> = diesel_async::RunQueryDsl::load(
        diesel::sql_query("SELECT row_to_json(k)::text AS json FROM api_keys k"),
        &mut conn,
    )
    .await
    .expect("rows");
    assert_eq!(dump.len(), 1);
    assert!(!dump[0].json.contains(&secret[4..]), "{}", dump[0].json);

    // Bad input: past expiry, unknown scope, no scopes, no name.
    expect_field_error(
        app.post_as(
            "/api-keys",
            json!({"name": "x", "scopes": ["catalog:read"], "expiresAt": "2020-01-01T00:00:00Z"}),
            Some(&token),
        )
        .await,
        "expiresAt",
    )
    .await;
    expect_field_error(
        app.post_as(
            "/api-keys",
            json!({"name": "x", "scopes": ["admin"]}),
            Some(&token),
        )
        .await,
        "scopes",
    )
    .await;
    expect_field_error(
        app.post_as(
            "/api-keys",
            json!({"name": "x", "scopes": []}),
            Some(&token),
        )
        .await,
        "scopes",
    )
    .await;
    expect_field_error(
        app.post_as(
            "/api-keys",
            json!({"scopes": ["catalog:read"]}),
            Some(&token),
        )
        .await,
        "name",
    )
    .await;
}

#[derive(diesel::QueryableByName)]
struct Row {
    #[diesel(sql_type = diesel::sql_types::Text)]
    json: String,
}

#[tokio::test]
async fn each_scope_opens_its_routes_and_a_key_without_it_gets_insufficient_scope() {
    let app = spawn_app().await;
    let (user_id, token, _) = app.user("label").await;
    let album = app.album(Some(&token), "Release", 2024).await;
    let song = app.song(Some(&token), song_body("Track", "Artist")).await;
    let splits = json!({"splits": [{"payeeUserId": user_id, "shareBps": 10000}]});
    let cases: [(&str, Method, String, Option<Value>); 9] = [
        (
            "catalog:read",
            Method::GET,
            format!("/albums/{album}"),
            None,
        ),
        (
            "catalog:write",
            Method::POST,
            "/albums".to_owned(),
            Some(json!({"name": "Two", "year": 2024})),
        ),
        ("playlists:read", Method::GET, "/playlists".to_owned(), None),
        (
            "playlists:write",
            Method::POST,
            "/playlists".to_owned(),
            Some(json!({"name": "Mix"})),
        ),
        (
            "distribution:read",
            Method::GET,
            "/distributions".to_owned(),
            None,
        ),
        (
            "distribution:write",
            Method::DELETE,
            "/distributions/distribution-unknown".to_owned(),
            None,
        ),
        (
            "analytics:read",
            Method::GET,
            "/analytics/overview".to_owned(),
            None,
        ),
        (
            "royalties:read",
            Method::GET,
            "/royalties/statements".to_owned(),
            None,
        ),
        (
            "royalties:write",
            Method::PUT,
            format!("/songs/{song}/splits"),
            Some(splits),
        ),
    ];
    for (scope, method, path, body) in cases {
        let (_, only) = key(&app, &token, &[scope]).await;
        let allowed = with_header(&app, method.clone(), &path, &only, body.clone()).await;
        assert!(
            ![StatusCode::UNAUTHORIZED, StatusCode::FORBIDDEN].contains(&allowed.status()),
            "{scope}: {method} {path} answered {}",
            allowed.status()
        );
        let others: Vec<&str> = ALL_SCOPES.iter().copied().filter(|s| *s != scope).collect();
        let (_, without) = key(&app, &token, &others).await;
        let refused = app
            .request(method.clone(), &path, body, Some(&without))
            .await;
        let body = expect_error(refused, StatusCode::FORBIDDEN, "INSUFFICIENT_SCOPE").await;
        assert!(
            body["message"].as_str().is_some_and(|m| m.contains(scope)),
            "{body}"
        );
    }
}

#[tokio::test]
async fn keys_act_as_their_owner_and_never_for_admin_actions_or_key_management() {
    let app = spawn_app().await;
    let (_, admin) = app.admin_user("boss").await;
    let (_, all) = key(&app, &admin, &ALL_SCOPES).await;
    let (user_id, _, _) = app.user("someone").await;
    for (method, path, body) in [
        (
            Method::PATCH,
            format!("/admin/users/{user_id}"),
            json!({"status": "suspended"}),
        ),
        (Method::GET, "/admin/audit".to_owned(), json!({})),
        (
            Method::POST,
            "/platforms".to_owned(),
            json!({"code": "x", "name": "X", "partyId": "PADPIDA0000000001"}),
        ),
        (
            Method::PUT,
            "/royalties/fx/2026-01".to_owned(),
            json!({"rates": {}}),
        ),
        (
            Method::POST,
            "/api-keys".to_owned(),
            json!({"name": "more", "scopes": ["catalog:read"]}),
        ),
        (
            Method::PATCH,
            "/users/me".to_owned(),
            json!({"fullname": "x"}),
        ),
    ] {
        expect_error(
            app.request(method, &path, Some(body), Some(&all)).await,
            StatusCode::FORBIDDEN,
            "FORBIDDEN",
        )
        .await;
    }
    // What the spec opens to `royalties:write` an admin's key may do: start a run.
    let (status, body) = read(
        app.post_as("/royalties/runs", json!({"period": "2026-01"}), Some(&all))
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    // A user's key with the same scope cannot: it acts as its (non-admin) owner.
    let (_, user_token, _) = app.user("plain").await;
    let (_, user_key) = key(&app, &user_token, &["royalties:write"]).await;
    expect_error(
        app.post_as(
            "/royalties/runs",
            json!({"period": "2026-02"}),
            Some(&user_key),
        )
        .await,
        StatusCode::FORBIDDEN,
        "FORBIDDEN",
    )
    .await;
    // Any key reads its owner's profile.
    let me = expect_status(app.get("/users/me", Some(&user_key)).await, StatusCode::OK).await;
    assert_eq!(me["data"]["user"]["username"], "plain");
    // A malformed or unknown key is 401.
    for bad in ["bbk_short", "bbk_0000000000000000000000000000000000000000"] {
        expect_error(
            with_header(&app, Method::GET, "/users/me", bad, None).await,
            StatusCode::UNAUTHORIZED,
            "INVALID_TOKEN",
        )
        .await;
    }
}

#[tokio::test]
async fn revoked_and_expired_keys_are_refused_on_every_replica() {
    let app = spawn_app_with(|s| s.auth.key_usage_flush_secs = 1).await;
    let replica = app.replica().await;
    let (_, token, _) = app.user("owner").await;
    let (id, secret) = key(&app, &token, &["playlists:read"]).await;
    let on_replica = |secret: String| {
        let client = app.client.clone();
        let url = format!("{replica}/playlists");
        async move {
            client
                .get(url)
                .bearer_auth(secret)
                .send()
                .await
                .expect("sent")
        }
    };
    // Both processes have seen (and cached) the key.
    expect_status(app.get("/playlists", Some(&secret)).await, StatusCode::OK).await;
    expect_status(on_replica(secret.clone()).await, StatusCode::OK).await;

    // Used keys get a lastUsedAt, written in the background.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let listed = expect_status(app.get("/api-keys", Some(&token)).await, StatusCode::OK).await;
    assert!(
        listed["data"]["apiKeys"][0]["lastUsedAt"].is_string(),
        "{listed}"
    );

    expect_status(
        app.delete_as(&format!("/api-keys/{id}"), None, Some(&token))
            .await,
        StatusCode::OK,
    )
    .await;
    expect_error(
        app.get("/playlists", Some(&secret)).await,
        StatusCode::UNAUTHORIZED,
        "INVALID_TOKEN",
    )
    .await;
    expect_error(
        on_replica(secret.clone()).await,
        StatusCode::UNAUTHORIZED,
        "INVALID_TOKEN",
    )
    .await;
    let listed = expect_status(app.get("/api-keys", Some(&token)).await, StatusCode::OK).await;
    assert_eq!(listed["data"]["apiKeys"][0]["revoked"], true);
    // Another user's key id reads as unknown.
    let (_, other, _) = app.user("other").await;
    let (other_id, _) = key(&app, &other, &["catalog:read"]).await;
    expect_error(
        app.delete_as(&format!("/api-keys/{other_id}"), None, Some(&token))
            .await,
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
    )
    .await;

    let soon = (chrono::Utc::now() + chrono::Duration::seconds(1)).to_rfc3339();
    let body = expect_status(
        app.post_as(
            "/api-keys",
            json!({"name": "short", "scopes": ["playlists:read"], "expiresAt": soon}),
            Some(&token),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    let short = body["data"]["key"].as_str().expect("key").to_owned();
    expect_status(app.get("/playlists", Some(&short)).await, StatusCode::OK).await;
    tokio::time::sleep(Duration::from_millis(1200)).await;
    expect_error(
        app.get("/playlists", Some(&short)).await,
        StatusCode::UNAUTHORIZED,
        "INVALID_TOKEN",
    )
    .await;
}

#[tokio::test]
async fn a_suspended_user_is_locked_out_at_once_everywhere_and_can_be_reinstated() {
    let app = spawn_app().await;
    let replica = app.replica().await;
    let (_, admin) = app.admin_user("moderator").await;
    let (user_id, token, refresh) = app.user("troll").await;
    let (_, secret) = key(&app, &token, &["playlists:read"]).await;
    // The replica has verified both credentials before the suspension.
    for credential in [&token, &secret] {
        let response = app
            .client
            .get(format!("{replica}/playlists"))
            .bearer_auth(credential)
            .send()
            .await
            .expect("sent");
        assert_eq!(response.status(), StatusCode::OK);
    }

    let body = expect_status(
        app.request(
            Method::PATCH,
            &format!("/admin/users/{user_id}"),
            Some(json!({"status": "suspended"})),
            Some(&admin),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(body["data"]["user"]["status"], "suspended");

    for credential in [&token, &secret] {
        expect_error(
            app.get("/playlists", Some(credential)).await,
            StatusCode::UNAUTHORIZED,
            "INVALID_TOKEN",
        )
        .await;
        let response = app
            .client
            .get(format!("{replica}/playlists"))
            .bearer_auth(credential)
            .send()
            .await
            .expect("sent");
        expect_error(response, StatusCode::UNAUTHORIZED, "INVALID_TOKEN").await;
    }
    expect_error(
        app.request(
            Method::PUT,
            "/authentications",
            Some(json!({"refreshToken": refresh})),
            None,
        )
        .await,
        StatusCode::BAD_REQUEST,
        "VALIDATION_ERROR",
    )
    .await;
    let login = app
        .post(
            "/authentications",
            json!({"username": "troll", "password": "secret-password"}),
        )
        .await;
    expect_error(login, StatusCode::FORBIDDEN, "FORBIDDEN").await;
    // A wrong password says nothing about the suspension.
    let wrong = app
        .post(
            "/authentications",
            json!({"username": "troll", "password": "not-it"}),
        )
        .await;
    expect_error(wrong, StatusCode::UNAUTHORIZED, "INVALID_CREDENTIALS").await;

    // Reinstated: the key works again, old access tokens stay stale, a new login works.
    expect_status(
        app.request(
            Method::PATCH,
            &format!("/admin/users/{user_id}"),
            Some(json!({"status": "active"})),
            Some(&admin),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    expect_status(app.get("/playlists", Some(&secret)).await, StatusCode::OK).await;
    let (fresh, _) = app.login("troll", "secret-password").await;
    expect_status(app.get("/playlists", Some(&fresh)).await, StatusCode::OK).await;
}

#[tokio::test]
async fn roles_are_granted_up_to_ones_own_and_the_last_super_admin_stays() {
    let app = spawn_app().await;
    let super_id = app.register("root", "secret-password").await;
    let mut conn = app.db.connect().await;
    backbeat_db::users::set_role(&mut conn, "root", backbeat_domain::Role::SuperAdmin)
        .await
        .expect("promote");
    let (root, _) = app.login("root", "secret-password").await;
    let (_, admin) = app.admin_user("deputy").await;
    let (user_id, user_token, _) = app.user("member").await;
    let patch = |id: &str, token: &str, body: Value| {
        let path = format!("/admin/users/{id}");
        let token = token.to_owned();
        let app = &app;
        async move {
            app.request(Method::PATCH, &path, Some(body), Some(&token))
                .await
        }
    };
    // Not an admin.
    expect_error(
        patch(&user_id, &user_token, json!({"role": "admin"})).await,
        StatusCode::FORBIDDEN,
        "FORBIDDEN",
    )
    .await;
    // An admin grants up to admin, not super_admin, and cannot touch a super admin.
    expect_error(
        patch(&user_id, &admin, json!({"role": "super_admin"})).await,
        StatusCode::FORBIDDEN,
        "FORBIDDEN",
    )
    .await;
    expect_error(
        patch(&super_id, &admin, json!({"status": "suspended"})).await,
        StatusCode::FORBIDDEN,
        "FORBIDDEN",
    )
    .await;
    let body = expect_status(
        patch(&user_id, &admin, json!({"role": "admin"})).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(body["data"]["user"]["role"], "admin");
    // The last super admin can neither be demoted nor suspended, not even by themselves.
    expect_error(
        patch(&super_id, &root, json!({"role": "admin"})).await,
        StatusCode::CONFLICT,
        "CONFLICT",
    )
    .await;
    expect_error(
        patch(&super_id, &root, json!({"status": "suspended"})).await,
        StatusCode::CONFLICT,
        "CONFLICT",
    )
    .await;
    // With a second super admin, the first may step down.
    expect_status(
        patch(&user_id, &root, json!({"role": "super_admin"})).await,
        StatusCode::OK,
    )
    .await;
    expect_status(
        patch(&super_id, &root, json!({"role": "admin"})).await,
        StatusCode::OK,
    )
    .await;
    // Bad input.
    expect_field_error(
        patch(&user_id, &admin, json!({"role": "owner"})).await,
        "role",
    )
    .await;
    // Nothing to change is a no-op that shows the user as they are.
    let (status, body) = read(patch(&user_id, &admin, json!({})).await).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["user"]["id"], user_id.as_str());
    expect_error(
        patch("user-unknown", &admin, json!({"role": "user"})).await,
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
    )
    .await;
}

#[tokio::test]
async fn admins_find_accounts_by_text_role_and_status_a_page_at_a_time() {
    let app = spawn_app().await;
    let (_, admin) = app.admin_user("finder").await;
    for name in ["alice", "alina", "bob"] {
        app.register(name, "secret-password").await;
    }
    let found = expect_status(
        app.get("/admin/users?search=ALI", Some(&admin)).await,
        StatusCode::OK,
    )
    .await;
    let names: Vec<&str> = found["data"]["users"]
        .as_array()
        .expect("users")
        .iter()
        .map(|u| u["username"].as_str().expect("name"))
        .collect();
    assert_eq!(names, ["alice", "alina"]);
    let admins = expect_status(
        app.get("/admin/users?role=admin", Some(&admin)).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(admins["data"]["users"].as_array().map(Vec::len), Some(1));
    let first = expect_status(
        app.get("/admin/users?limit=2", Some(&admin)).await,
        StatusCode::OK,
    )
    .await;
    let cursor = first["meta"]["nextCursor"]
        .as_str()
        .expect("more")
        .to_owned();
    let second = expect_status(
        app.get(
            &format!("/admin/users?limit=2&cursor={cursor}"),
            Some(&admin),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(second["data"]["users"].as_array().map(Vec::len), Some(2));
    assert!(second["meta"]["nextCursor"].is_null());
    expect_field_error(
        app.get("/admin/users?status=banned", Some(&admin)).await,
        "status",
    )
    .await;
}

#[tokio::test]
async fn admin_actions_and_key_changes_are_in_the_audit_log() {
    let app = spawn_app().await;
    let (admin_id, admin) = app.admin_user("auditor").await;
    let (user_id, token, _) = app.user("subject").await;
    let (key_id, _) = key(&app, &token, &["catalog:read"]).await;
    expect_status(
        app.delete_as(&format!("/api-keys/{key_id}"), None, Some(&token))
            .await,
        StatusCode::OK,
    )
    .await;
    expect_status(
        app.request(
            Method::PATCH,
            &format!("/admin/users/{user_id}"),
            Some(json!({"role": "admin"})),
            Some(&admin),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    let (status, body) = read(
        app.post_as(
            "/platforms",
            json!({"code": "newdsp", "name": "New DSP", "partyId": "PADPIDA2099010101"}),
            Some(&admin),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");

    let log = expect_status(app.get("/admin/audit", Some(&admin)).await, StatusCode::OK).await;
    let events = log["data"]["events"].as_array().expect("events");
    let actions: Vec<&str> = events
        .iter()
        .map(|e| e["action"].as_str().expect("action"))
        .collect();
    assert_eq!(
        actions,
        [
            "platform.create",
            "user.update",
            "api_key.revoke",
            "api_key.create"
        ]
    );
    let update = &events[1];
    assert_eq!(update["actorId"], admin_id);
    assert_eq!(update["targetType"], "user");
    assert_eq!(update["targetId"], user_id);
    assert_eq!(
        update["before"],
        json!({"role": "user", "status": "active"})
    );
    assert_eq!(
        update["after"],
        json!({"role": "admin", "status": "active"})
    );
    assert!(update["createdAt"].is_string());
    assert_eq!(events[2]["before"]["revoked"], false);
    assert_eq!(events[2]["after"]["revoked"], true);
    assert!(events[3]["before"].is_null());
    assert_eq!(events[3]["after"]["scopes"], json!(["catalog:read"]));
    assert_eq!(events[0]["after"]["code"], "newdsp");

    let filtered = expect_status(
        app.get(
            &format!("/admin/audit?actor={user_id}&action=api_key.create"),
            Some(&admin),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(filtered["data"]["events"].as_array().map(Vec::len), Some(1));
    let paged = expect_status(
        app.get("/admin/audit?limit=3", Some(&admin)).await,
        StatusCode::OK,
    )
    .await;
    let cursor = paged["meta"]["nextCursor"].as_str().expect("more");
    let rest = expect_status(
        app.get(
            &format!("/admin/audit?limit=3&cursor={cursor}"),
            Some(&admin),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(rest["data"]["events"][0]["action"], "api_key.create");
    // The promoted subject is an admin now, but a plain user cannot read the log.
    let (_, plain, _) = app.user("nobody").await;
    expect_error(
        app.get("/admin/audit", Some(&plain)).await,
        StatusCode::FORBIDDEN,
        "FORBIDDEN",
    )
    .await;
}

#[tokio::test]
async fn browsers_on_allowed_origins_get_cors_and_clients_that_ask_get_gzip() {
    let app = spawn_app_with(|s| {
        s.server.cors_allowed_origins = vec!["https://player.example.com".to_owned()];
    })
    .await;
    let preflight = app
        .client
        .request(Method::OPTIONS, app.url("/playlists"))
        .header("origin", "https://player.example.com")
        .header("access-control-request-method", "POST")
        .header(
            "access-control-request-headers",
            "authorization, content-type, x-api-key",
        )
        .send()
        .await
        .expect("sent");
    assert_eq!(preflight.status(), StatusCode::OK);
    let headers = preflight.headers();
    assert_eq!(
        headers["access-control-allow-origin"],
        "https://player.example.com"
    );
    let allowed = headers["access-control-allow-headers"]
        .to_str()
        .expect("ascii")
        .to_lowercase();
    assert!(
        allowed.contains("x-api-key") && allowed.contains("authorization"),
        "{allowed}"
    );
    assert!(
        headers["access-control-allow-methods"]
            .to_str()
            .expect("ascii")
            .contains("POST")
    );

    let simple = app
        .client
        .get(app.url("/health/live"))
        .header("origin", "https://player.example.com")
        .send()
        .await
        .expect("sent");
    assert_eq!(
        simple.headers()["access-control-allow-origin"],
        "https://player.example.com"
    );
    let exposed = simple.headers()["access-control-expose-headers"]
        .to_str()
        .expect("ascii")
        .to_lowercase();
    assert!(
        exposed.contains("ratelimit-remaining") && exposed.contains("x-request-id"),
        "{exposed}"
    );

    let other = app
        .client
        .get(app.url("/health/live"))
        .header("origin", "https://evil.example.net")
        .send()
        .await
        .expect("sent");
    assert!(other.headers().get("access-control-allow-origin").is_none());

    let plain = app
        .client
        .get(app.url("/openapi.json"))
        .send()
        .await
        .expect("sent");
    assert!(plain.headers().get("content-encoding").is_none());
    let gzip = app
        .client
        .get(app.url("/openapi.json"))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .expect("sent");
    assert_eq!(gzip.headers()["content-encoding"], "gzip");
    let compressed = gzip.bytes().await.expect("body");
    assert_eq!(&compressed[..2], &[0x1f, 0x8b], "a gzip stream");

    // No origins configured (the default): no CORS headers at all.
    let closed = spawn_app().await;
    let response = closed
        .client
        .get(closed.url("/health/live"))
        .header("origin", "https://player.example.com")
        .send()
        .await
        .expect("sent");
    assert!(
        response
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );
}

#[tokio::test]
async fn a_login_flood_is_turned_away_with_503_instead_of_queueing() {
    let app = spawn_app_with(|s| {
        s.auth.scrypt.log_n = 14;
        s.auth.max_concurrent_hashes = 1;
        s.auth.hash_wait_ms = 1;
    })
    .await;
    app.register("victim", "secret-password").await;
    let attempts = (0..12).map(|_| {
        app.post(
            "/authentications",
            json!({"username": "victim", "password": "wrong-password"}),
        )
    });
    let responses = futures_util::future::join_all(attempts).await;
    let mut busy = 0;
    for response in responses {
        match response.status() {
            StatusCode::UNAUTHORIZED => {}
            StatusCode::SERVICE_UNAVAILABLE => {
                assert_eq!(response.headers()["retry-after"], "5");
                expect_error(response, StatusCode::SERVICE_UNAVAILABLE, "UNAVAILABLE").await;
                busy += 1;
            }
            other => panic!("unexpected {other}"),
        }
    }
    assert!(busy > 0, "some attempts found every hashing slot taken");
    // Other routes do not wait on hashing.
    assert_eq!(app.get("/health/live", None).await.status(), StatusCode::OK);
}
