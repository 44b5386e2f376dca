//! The `backbeat-api` binary: serving with a clean exit on SIGTERM, migrations, and the operator
//! command that creates admins (no HTTP route may).

use reqwest::{Method, StatusCode};

use crate::helpers::*;

fn backbeat_api(app: &TestApp, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_backbeat-api"))
        .args(args)
        .env("APP_DATABASE__NAME", &app.db.name)
        .env("APP_CACHE__PREFIX", &app.settings.cache.prefix)
        .env("APP_LOG__FILTER", "warn")
        .output()
        .expect("run backbeat-api")
}

#[tokio::test]
async fn admin_promote_gives_a_user_the_admin_role() {
    let app = spawn_app().await;
    app.register("boss", "secret").await;
    let output = backbeat_api(&app, &["admin", "promote", "boss"]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(String::from_utf8_lossy(&output.stdout).contains("boss is now admin"));

    let (access, _) = app.login("boss", "secret").await;
    let (status, body) = read(
        app.request(Method::GET, "/users/me", None, Some(&access))
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["data"]["user"]["role"], "admin");

    let output = backbeat_api(&app, &["admin", "promote", "boss", "--role", "super_admin"]);
    assert!(output.status.success());
    let (access, _) = app.login("boss", "secret").await;
    let (_, body) = read(
        app.request(Method::GET, "/users/me", None, Some(&access))
            .await,
    )
    .await;
    assert_eq!(body["data"]["user"]["role"], "super_admin");
}

#[tokio::test]
async fn admin_promote_fails_for_unknown_users_and_roles() {
    let app = spawn_app().await;
    let output = backbeat_api(&app, &["admin", "promote", "ghost"]);
    assert!(!output.status.success());
    let output = backbeat_api(&app, &["admin", "promote", "ghost", "--role", "root"]);
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("unknown role"));
}

#[tokio::test]
async fn migrate_is_idempotent() {
    let app = spawn_app().await;
    let output = backbeat_api(&app, &["migrate"]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[tokio::test]
async fn serve_exits_cleanly_on_sigterm_after_using_every_dependency() {
    let app = spawn_app().await;
    let port = closed_port();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_backbeat-api"))
        .arg("serve")
        .env("APP_DATABASE__NAME", &app.db.name)
        .env("APP_SERVER__PORT", port.to_string())
        .env("APP_CACHE__PREFIX", &app.settings.cache.prefix)
        .env("APP_LOG__FILTER", "warn")
        .env("APP_LOG__FORMAT", "json")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start backbeat-api");
    let ready = format!("http://127.0.0.1:{port}/health/ready");
    let mut answered = false;
    for _ in 0..100 {
        if let Ok(response) = app.client.get(&ready).send().await {
            assert_eq!(response.status(), StatusCode::OK);
            answered = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(answered, "the server never answered");
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(killed.success());
    let started = std::time::Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            assert!(status.success(), "exit status {status}");
            break;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(10),
            "still running 10 s after SIGTERM"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    // A clean stop logs no warning or error (an operator's alerting would fire on each deploy).
    let output = child.wait_with_output().expect("output");
    let logs = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        !logs.contains("\"level\":\"ERROR\"") && !logs.contains("\"level\":\"WARN\""),
        "{logs}"
    );
}

// Multi-threaded: the app must keep serving while this thread waits for the command.
#[tokio::test(flavor = "multi_thread")]
async fn the_healthcheck_command_passes_only_when_the_api_answers() {
    let app = spawn_app().await;
    let port = app.address.rsplit(':').next().expect("port").to_owned();
    let check = |port: &str, extra: &[&str]| {
        let mut args = vec!["healthcheck"];
        args.extend_from_slice(extra);
        std::process::Command::new(env!("CARGO_BIN_EXE_backbeat-api"))
            .args(&args)
            .env("PORT", port)
            .env("APP_LOG__FILTER", "warn")
            .output()
            .expect("run backbeat-api healthcheck")
    };
    let live = check(&port, &[]);
    assert!(
        live.status.success(),
        "{}",
        String::from_utf8_lossy(&live.stderr)
    );
    let ready = check(&port, &["--ready"]);
    assert!(
        ready.status.success(),
        "{}",
        String::from_utf8_lossy(&ready.stderr)
    );
    let down = check(&closed_port().to_string(), &[]);
    assert!(!down.status.success(), "nothing listens there");
}
