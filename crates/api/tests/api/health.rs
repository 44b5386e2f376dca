use reqwest::{Method, StatusCode};

use crate::helpers::*;

#[tokio::test]
async fn live_answers_without_dependencies() {
    let port = closed_port();
    let app = spawn_app_with(|s| s.database.port = port).await;
    let (status, body) = read(app.request(Method::GET, "/health/live", None, None).await).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["data"]["status"], "live");
}

#[tokio::test]
async fn ready_checks_every_dependency() {
    let app = spawn_app().await;
    let (status, body) = read(app.request(Method::GET, "/health/ready", None, None).await).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body["data"]["checks"],
        serde_json::json!({"database": "ok", "redis": "ok", "rabbitmq": "ok", "storage": "ok", "relay": "ok"})
    );
}

#[tokio::test]
async fn ready_names_each_failing_dependency() {
    let closed = closed_port();
    type Breakage = Box<dyn FnOnce(&mut backbeat_config::Settings)>;
    let cases: [(&str, Breakage); 3] = [
        ("database", Box::new(move |s| s.database.port = closed)),
        (
            "redis",
            Box::new(move |s| s.redis.url = format!("redis://127.0.0.1:{closed}").into()),
        ),
        (
            "rabbitmq",
            Box::new(move |s| {
                s.rabbitmq.url = format!("amqp://guest:guest@127.0.0.1:{closed}/%2f").into()
            }),
        ),
    ];
    for (name, configure) in cases {
        let app = spawn_app_with(|s| {
            s.database.connect_timeout_ms = 500;
            s.database.acquire_timeout_ms = 500;
            configure(s);
        })
        .await;
        let response = app.request(Method::GET, "/health/ready", None, None).await;
        assert!(response.headers().contains_key("retry-after"));
        let body = expect_error(response, StatusCode::SERVICE_UNAVAILABLE, "UNAVAILABLE").await;
        assert_eq!(body["checks"][name], "down", "{body}");
        assert!(
            body["message"].as_str().expect("message").contains(name),
            "{body}"
        );
        let up = ["database", "redis", "rabbitmq"]
            .into_iter()
            .filter(|n| *n != name);
        for other in up {
            assert_eq!(body["checks"][other], "ok", "{body}");
        }
    }
}

#[tokio::test]
async fn ready_fails_while_the_outbox_relay_cannot_publish() {
    let app = spawn_app_with(|s| s.jobs.relay_interval_ms = 50).await;
    // Every dependency answers, but the relay cannot read its outbox.
    let mut conn = app.db.connect().await;
    diesel_async::RunQueryDsl::execute(
        diesel::sql_query("ALTER TABLE outbox RENAME TO outbox_gone"),
        &mut conn,
    )
    .await
    .expect("rename");
    let started = std::time::Instant::now();
    let body = loop {
        let response = app.request(Method::GET, "/health/ready", None, None).await;
        if response.status() == StatusCode::SERVICE_UNAVAILABLE {
            break expect_error(response, StatusCode::SERVICE_UNAVAILABLE, "UNAVAILABLE").await;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(10),
            "readiness never noticed the relay"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    assert_eq!(body["checks"]["relay"], "down", "{body}");
    assert_eq!(body["checks"]["database"], "ok", "{body}");
}

#[tokio::test]
async fn metrics_count_requests_by_route_pattern() {
    let app = spawn_app().await;
    app.request(Method::GET, "/health/live", None, None).await;
    app.request(Method::GET, "/albums/album-doesnotexist0000", None, None)
        .await;
    // No route takes these: a method the path does not have, a path nobody serves.
    app.request(Method::DELETE, "/health/live", None, None)
        .await;
    app.request(Method::GET, "/no/such/path", None, None).await;
    let response = app.request(Method::GET, "/metrics", None, None).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .expect("ascii")
            .starts_with("text/plain")
    );
    let text = response.text().await.expect("text");
    assert!(
        text.contains(r#"http_requests_total{method="GET",route="/health/live",status="200"}"#),
        "{text}"
    );
    assert!(
        text.contains(r#"route="/albums/{id}",status="404""#),
        "the pattern, not the id: {text}"
    );
    assert!(!text.contains("album-doesnotexist"));
    assert!(
        text.contains(r#"http_requests_total{method="DELETE",route="/health/live",status="405"}"#),
        "{text}"
    );
    assert!(
        text.contains(r#"http_requests_total{method="GET",route="unmatched",status="404"}"#),
        "{text}"
    );
    assert!(text.contains("http_request_duration_seconds_bucket"));
    assert!(text.contains("outbox_pending"));
}

async fn metrics_status(app: &TestApp, forwarded_for: Option<&str>) -> StatusCode {
    let mut request = app.client.get(app.url("/metrics"));
    if let Some(address) = forwarded_for {
        request = request.header("x-forwarded-for", address);
    }
    let response = request.send().await.expect("metrics");
    let status = response.status();
    if status == StatusCode::NOT_FOUND {
        let body: serde_json::Value = response.json().await.expect("json");
        assert_eq!(body["code"], "NOT_FOUND", "{body}");
    }
    status
}

#[tokio::test]
async fn metrics_answer_only_the_allowed_networks_as_the_client_really_is() {
    let net = |n: &str| n.parse::<ipnet::IpNet>().expect("net");
    // This test calls from 127.0.0.1, outside the allowed network: 404, forged header or not.
    let app = spawn_app_with(|s| s.server.metrics_allowed_networks = vec![net("10.0.0.0/8")]).await;
    assert_eq!(metrics_status(&app, None).await, StatusCode::NOT_FOUND);
    assert_eq!(
        metrics_status(&app, Some("10.1.2.3")).await,
        StatusCode::NOT_FOUND
    );

    // Behind a trusted proxy (this test), the client is the forwarded address.
    let proxied = |s: &mut backbeat_config::Settings| {
        s.server.trusted_proxies = vec!["127.0.0.1".parse().expect("ip")];
        s.server.metrics_allowed_networks = vec![net("10.0.0.0/8"), net("127.0.0.0/8")];
    };
    let app = spawn_app_with(proxied).await;
    assert_eq!(metrics_status(&app, Some("10.1.2.3")).await, StatusCode::OK);
    // A public client through the load balancer is refused, though the balancer is allowed.
    assert_eq!(
        metrics_status(&app, Some("203.0.113.9")).await,
        StatusCode::NOT_FOUND
    );
    assert_eq!(metrics_status(&app, None).await, StatusCode::OK);
}

#[tokio::test]
async fn metrics_on_their_own_port_leave_the_api_port() {
    let port = closed_port();
    let app = spawn_app_with(|s| s.server.metrics_port = port).await;
    assert_eq!(metrics_status(&app, None).await, StatusCode::NOT_FOUND);
    let own = |path: &str| format!("http://127.0.0.1:{port}{path}");
    let response = app
        .client
        .get(own("/metrics"))
        .send()
        .await
        .expect("metrics");
    assert_eq!(response.status(), StatusCode::OK);
    let text = response.text().await.expect("text");
    assert!(text.contains(r#"route="/metrics",status="404""#), "{text}");
    // The monitoring port serves metrics only.
    let response = app
        .client
        .get(own("/health/live"))
        .send()
        .await
        .expect("live");
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_benchmark_reference_routes_exist_only_when_enabled() {
    let app = spawn_app().await;
    for path in ["/bench/select-1", "/bench/redis-get"] {
        let (status, _) = read(app.get(path, None).await).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
    }
    let app = spawn_app_with(|s| {
        s.server.reference_routes = true;
        s.rate_limits.anonymous_reads_per_address.limit = 2;
    })
    .await;
    let (status, body) = read(app.get("/bench/select-1", None).await).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["value"], 1);
    let (status, body) = read(app.get("/bench/redis-get", None).await).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["value"], serde_json::Value::Null);
    // Behind the same guard as an anonymous catalog read: its rate limit applies.
    let response = app.get("/bench/select-1", None).await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
}
