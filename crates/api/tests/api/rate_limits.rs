//! Rate limits: shared by every API process through Redis, with headers on every limited route,
//! and served on (per process) while Redis is down.

use backbeat_config::RateRule;
use backbeat_testkit::redis::TestRedis;
use reqwest::{Response, StatusCode};
use serde_json::json;

use crate::helpers::*;

fn header(response: &Response, name: &str) -> Option<u64> {
    response
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
}

async fn login(address: &str, client: &reqwest::Client, username: &str) -> Response {
    client
        .post(format!("{address}/authentications"))
        .json(&json!({"username": username, "password": "secret-password"}))
        .send()
        .await
        .expect("sent")
}

#[tokio::test]
async fn logins_per_address_are_limited_across_two_api_processes() {
    let app = spawn_app_with(|s| {
        s.rate_limits.login_per_address = RateRule {
            limit: 4,
            period_secs: 60,
        };
    })
    .await;
    let replica = app.replica().await;
    app.register("walker", "secret-password").await;
    let mut remaining = Vec::new();
    for address in [&app.address, &replica, &app.address, &replica] {
        let response = login(address, &app.client, "walker").await;
        assert_eq!(response.status(), StatusCode::CREATED);
        assert_eq!(header(&response, "ratelimit-limit"), Some(4));
        assert!(header(&response, "ratelimit-reset").is_some_and(|r| r <= 60));
        remaining.push(header(&response, "ratelimit-remaining").expect("remaining"));
    }
    assert_eq!(remaining, [3, 2, 1, 0], "one budget for both processes");
    let refused = login(&replica, &app.client, "walker").await;
    let retry = header(&refused, "retry-after").expect("Retry-After");
    assert!((1..=15).contains(&retry), "{retry}");
    assert_eq!(header(&refused, "ratelimit-remaining"), Some(0));
    expect_error(refused, StatusCode::TOO_MANY_REQUESTS, "RATE_LIMITED").await;
}

async fn login_from(app: &TestApp, forwarded_for: &str) -> Response {
    app.client
        .post(app.url("/authentications"))
        .header("x-forwarded-for", forwarded_for)
        .json(&json!({"username": "walker", "password": "secret-password"}))
        .send()
        .await
        .expect("sent")
}

#[tokio::test]
async fn a_forged_forwarded_for_buys_no_fresh_budget_and_a_trusted_proxy_s_is_believed() {
    let limited = |s: &mut backbeat_config::Settings| {
        s.rate_limits.login_per_address = RateRule {
            limit: 2,
            period_secs: 60,
        };
    };
    // Straight from the client: whatever it claims, it is 127.0.0.1.
    let app = spawn_app_with(limited).await;
    app.register("walker", "secret-password").await;
    for forged in ["198.51.100.1", "198.51.100.2"] {
        assert_eq!(login_from(&app, forged).await.status(), StatusCode::CREATED);
    }
    let refused = login_from(&app, "198.51.100.3").await;
    expect_error(refused, StatusCode::TOO_MANY_REQUESTS, "RATE_LIMITED").await;

    // Behind a trusted proxy (this test's address), each forwarded client has its own budget,
    // counted on the last address the proxy added, not on what the client put before it.
    let app = spawn_app_with(|s| {
        limited(s);
        s.server.trusted_proxies = vec!["127.0.0.1".parse().expect("ip")];
    })
    .await;
    app.register("walker", "secret-password").await;
    for _ in 0..2 {
        let response = login_from(&app, "203.0.113.7").await;
        assert_eq!(response.status(), StatusCode::CREATED);
    }
    let refused = login_from(&app, "10.9.9.9, 203.0.113.7").await;
    expect_error(refused, StatusCode::TOO_MANY_REQUESTS, "RATE_LIMITED").await;
    let other = login_from(&app, "203.0.113.8").await;
    assert_eq!(other.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn logins_per_username_are_limited_whatever_the_address() {
    let app = spawn_app_with(|s| {
        s.rate_limits.login_per_username = RateRule {
            limit: 2,
            period_secs: 60,
        };
    })
    .await;
    app.register("target", "secret-password").await;
    app.register("bystander", "secret-password").await;
    for _ in 0..2 {
        let response = app
            .post(
                "/authentications",
                json!({"username": "TARGET", "password": "guess"}),
            )
            .await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    }
    let refused = app
        .post(
            "/authentications",
            json!({"username": "target", "password": "secret-password"}),
        )
        .await;
    assert!(header(&refused, "retry-after").is_some());
    expect_error(refused, StatusCode::TOO_MANY_REQUESTS, "RATE_LIMITED").await;
    // Another account is not affected.
    app.login("bystander", "secret-password").await;
}

#[tokio::test]
async fn every_login_answer_describes_the_policy_closest_to_exhaustion() {
    let app = spawn_app_with(|s| {
        s.rate_limits.login_per_address = RateRule {
            limit: 20,
            period_secs: 60,
        };
        s.rate_limits.login_per_username = RateRule {
            limit: 3,
            period_secs: 60,
        };
    })
    .await;
    app.register("target", "secret-password").await;
    let guess = json!({"username": "target", "password": "guess"});
    // Wrong passwords: the per-username policy (3) runs out long before the per-address one (20).
    for left in [2, 1, 0] {
        let response = app.post("/authentications", guess.clone()).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(header(&response, "ratelimit-limit"), Some(3));
        assert_eq!(header(&response, "ratelimit-remaining"), Some(left));
        assert!(response.headers().get("retry-after").is_none());
    }
    let refused = app.post("/authentications", guess.clone()).await;
    assert_eq!(
        header(&refused, "ratelimit-limit"),
        Some(3),
        "the policy that refused"
    );
    assert_eq!(header(&refused, "ratelimit-remaining"), Some(0));
    let reset = header(&refused, "ratelimit-reset").expect("RateLimit-Reset");
    assert!((1..=60).contains(&reset), "{reset}");
    let retry = header(&refused, "retry-after").expect("Retry-After");
    assert!((1..=20).contains(&retry), "{retry}");
    expect_error(refused, StatusCode::TOO_MANY_REQUESTS, "RATE_LIMITED").await;

    // Another account from the same address: its own username budget is still the tighter one.
    app.register("bystander", "secret-password").await;
    let response = login(&app.address, &app.client, "bystander").await;
    assert_eq!(response.status(), StatusCode::CREATED);
    assert_eq!(header(&response, "ratelimit-limit"), Some(3));
    assert_eq!(header(&response, "ratelimit-remaining"), Some(2));
}

#[tokio::test]
async fn authenticated_reads_and_writes_carry_headers_and_are_limited_per_account() {
    let app = spawn_app_with(|s| {
        s.rate_limits.writes_per_caller = RateRule {
            limit: 2,
            period_secs: 60,
        };
        s.rate_limits.reads_per_caller = RateRule {
            limit: 100,
            period_secs: 60,
        };
    })
    .await;
    let (_, token, _) = app.user("writer").await;
    let read = app.get("/playlists", Some(&token)).await;
    assert_eq!(header(&read, "ratelimit-limit"), Some(100));
    assert_eq!(header(&read, "ratelimit-remaining"), Some(99));
    for _ in 0..2 {
        let created = app
            .post_as("/playlists", json!({"name": "mix"}), Some(&token))
            .await;
        assert_eq!(created.status(), StatusCode::CREATED);
        assert_eq!(header(&created, "ratelimit-limit"), Some(2));
    }
    let refused = app
        .post_as("/playlists", json!({"name": "mix"}), Some(&token))
        .await;
    expect_error(refused, StatusCode::TOO_MANY_REQUESTS, "RATE_LIMITED").await;
    // Nothing was written by the refused request.
    let list = expect_status(app.get("/playlists", Some(&token)).await, StatusCode::OK).await;
    assert_eq!(list["data"]["playlists"].as_array().map(Vec::len), Some(2));
    // Another account has its own budget; anonymous public reads are not limited by default.
    let (_, other, _) = app.user("reader").await;
    assert_eq!(
        app.post_as("/playlists", json!({"name": "x"}), Some(&other))
            .await
            .status(),
        StatusCode::CREATED
    );
    let public = app.get("/songs", None).await;
    assert!(public.headers().get("ratelimit-limit").is_none());
}

#[tokio::test]
async fn with_redis_stopped_requests_are_still_served_and_limited_per_process() {
    let mut redis = TestRedis::start().await;
    let url = redis.url();
    let app = spawn_app_with(move |s| {
        s.redis.url = url.into();
        s.redis.timeout_ms = 200;
        s.rate_limits.reads_per_caller = RateRule {
            limit: 5,
            period_secs: 60,
        };
    })
    .await;
    let (user_id, token, _) = app.user("steady").await;
    let (_, admin) = app.admin_user("keeper").await;
    let body = expect_status(
        app.post_as(
            "/api-keys",
            json!({"name": "k", "scopes": ["playlists:read"]}),
            Some(&token),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    let key = body["data"]["key"].as_str().expect("key").to_owned();
    let first = app.get("/playlists", Some(&token)).await;
    assert_eq!(first.status(), StatusCode::OK);
    assert_eq!(header(&first, "ratelimit-remaining"), Some(4));

    redis.stop();
    // Served without Redis, with a token and with a key.
    let served = app.get("/playlists", Some(&token)).await;
    assert_eq!(served.status(), StatusCode::OK);
    assert_eq!(header(&served, "ratelimit-limit"), Some(5));
    expect_status(app.get("/playlists", Some(&key)).await, StatusCode::OK).await;

    // A suspension cannot reach the mirror, so it is refused rather than left unenforced...
    let (status, body) = read(
        app.request(
            reqwest::Method::PATCH,
            &format!("/admin/users/{user_id}"),
            Some(json!({"status": "suspended"})),
            Some(&admin),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    // ...and one already in PostgreSQL is read from there while Redis is down.
    let mut conn = app.db.connect().await;
    diesel_async::RunQueryDsl::execute(
        diesel::sql_query(
            "UPDATE users SET status = 'suspended', access_changed_at = now() WHERE username = 'steady'",
        ),
        &mut conn,
    )
    .await
    .expect("suspend");
    expect_error(
        app.get("/playlists", Some(&key)).await,
        StatusCode::UNAUTHORIZED,
        "INVALID_TOKEN",
    )
    .await;

    // The local limit still holds.
    let mut statuses = Vec::new();
    for _ in 0..6 {
        statuses.push(app.get("/playlists", Some(&admin)).await.status());
    }
    assert_eq!(statuses[0], StatusCode::OK);
    assert_eq!(
        statuses.last(),
        Some(&StatusCode::TOO_MANY_REQUESTS),
        "{statuses:?}"
    );
    assert!(
        !statuses.iter().any(|s| s.is_server_error()),
        "{statuses:?}"
    );
}
