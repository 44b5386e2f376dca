//! The operator command that creates admins (no HTTP route may).

use reqwest::{Method, StatusCode};

use crate::helpers::*;

fn backbeat_api(app: &TestApp, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_backbeat-api"))
        .args(args)
        .env("APP_DATABASE__NAME", &app.db.name)
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
