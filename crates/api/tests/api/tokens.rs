//! Token abuse: every forged, expired or misused token is refused.

use backbeat_config::secrecy::ExposeSecret;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::*;

fn claims(user_id: &str, typ: &str, exp_offset: i64) -> Value {
    let now = chrono::Utc::now().timestamp();
    json!({"sub": user_id, "role": "user", "typ": typ, "iat": now - 10, "exp": now + exp_offset, "jti": "jti-test"})
}

fn sign(claims: &Value, key: &str) -> String {
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        claims,
        &EncodingKey::from_secret(key.as_bytes()),
    )
    .expect("sign")
}

fn keys(app: &TestApp) -> (String, String) {
    let auth = &app.state.settings.auth;
    (
        auth.access_token_key
            .as_ref()
            .expect("key")
            .expose_secret()
            .to_owned(),
        auth.refresh_token_key
            .as_ref()
            .expect("key")
            .expose_secret()
            .to_owned(),
    )
}

async fn me_with(app: &TestApp, token: &str) -> reqwest::Response {
    app.request(Method::GET, "/users/me", None, Some(token))
        .await
}

#[tokio::test]
async fn a_valid_access_token_is_accepted() {
    let app = spawn_app().await;
    let (id, _, _) = app.user("alice").await;
    let (access_key, _) = keys(&app);
    let (status, _) =
        read(me_with(&app, &sign(&claims(&id, "access", 60), &access_key)).await).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "the forging helper itself produces valid tokens"
    );
}

#[tokio::test]
async fn expired_access_tokens_are_401() {
    let app = spawn_app().await;
    let (id, _, _) = app.user("alice").await;
    let (access_key, _) = keys(&app);
    let expired = sign(&claims(&id, "access", -5), &access_key);
    expect_error(
        me_with(&app, &expired).await,
        StatusCode::UNAUTHORIZED,
        "INVALID_TOKEN",
    )
    .await;
}

#[tokio::test]
async fn tampered_tokens_are_401() {
    let app = spawn_app().await;
    let (_, access, _) = app.user("alice").await;
    let parts: Vec<&str> = access.split('.').collect();
    let mut payload: Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).expect("b64")).expect("json");
    payload["role"] = json!("super_admin");
    let forged = format!(
        "{}.{}.{}",
        parts[0],
        URL_SAFE_NO_PAD.encode(payload.to_string()),
        parts[2]
    );
    expect_error(
        me_with(&app, &forged).await,
        StatusCode::UNAUTHORIZED,
        "INVALID_TOKEN",
    )
    .await;
}

#[tokio::test]
async fn tokens_signed_with_another_key_are_401() {
    let app = spawn_app().await;
    let (id, _, _) = app.user("alice").await;
    let forged = sign(
        &claims(&id, "access", 600),
        "an-attacker-key-that-is-long-enough-000",
    );
    expect_error(
        me_with(&app, &forged).await,
        StatusCode::UNAUTHORIZED,
        "INVALID_TOKEN",
    )
    .await;
}

#[tokio::test]
async fn alg_none_tokens_are_401() {
    let app = spawn_app().await;
    let (id, _, _) = app.user("alice").await;
    let header = URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#);
    let payload = URL_SAFE_NO_PAD.encode(claims(&id, "access", 600).to_string());
    for token in [
        format!("{header}.{payload}."),
        format!("{header}.{payload}"),
    ] {
        expect_error(
            me_with(&app, &token).await,
            StatusCode::UNAUTHORIZED,
            "INVALID_TOKEN",
        )
        .await;
    }
}

#[tokio::test]
async fn a_refresh_token_is_not_an_access_token() {
    let app = spawn_app().await;
    let (id, _, refresh) = app.user("alice").await;
    expect_error(
        me_with(&app, &refresh).await,
        StatusCode::UNAUTHORIZED,
        "INVALID_TOKEN",
    )
    .await;
    // Even signed with the access key, a token that says it is a refresh token is refused.
    let (access_key, _) = keys(&app);
    let mislabelled = sign(&claims(&id, "refresh", 600), &access_key);
    expect_error(
        me_with(&app, &mislabelled).await,
        StatusCode::UNAUTHORIZED,
        "INVALID_TOKEN",
    )
    .await;
}

#[tokio::test]
async fn an_access_token_is_not_a_refresh_token() {
    let app = spawn_app().await;
    let (_, access, _) = app.user("alice").await;
    for method in [Method::PUT, Method::DELETE] {
        expect_field_error(
            app.request(
                method,
                "/authentications",
                Some(json!({"refreshToken": access})),
                None,
            )
            .await,
            "refreshToken",
        )
        .await;
    }
}

#[tokio::test]
async fn an_expired_refresh_token_cannot_refresh() {
    let app = spawn_app().await;
    let (id, _, _) = app.user("alice").await;
    let (_, refresh_key) = keys(&app);
    let expired = sign(&claims(&id, "refresh", -5), &refresh_key);
    expect_field_error(
        app.request(
            Method::PUT,
            "/authentications",
            Some(json!({"refreshToken": expired})),
            None,
        )
        .await,
        "refreshToken",
    )
    .await;
}

#[tokio::test]
async fn a_well_signed_refresh_token_that_was_never_stored_is_refused() {
    let app = spawn_app().await;
    let (id, _, _) = app.user("alice").await;
    let (_, refresh_key) = keys(&app);
    let unknown = sign(&claims(&id, "refresh", 600), &refresh_key);
    expect_field_error(
        app.request(
            Method::PUT,
            "/authentications",
            Some(json!({"refreshToken": unknown})),
            None,
        )
        .await,
        "refreshToken",
    )
    .await;
}

#[tokio::test]
async fn a_refresh_token_is_dead_after_logout() {
    let app = spawn_app().await;
    let (_, _, refresh) = app.user("alice").await;
    let (status, _) = read(
        app.request(
            Method::DELETE,
            "/authentications",
            Some(json!({"refreshToken": refresh})),
            None,
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    expect_field_error(
        app.request(
            Method::PUT,
            "/authentications",
            Some(json!({"refreshToken": refresh})),
            None,
        )
        .await,
        "refreshToken",
    )
    .await;
    expect_field_error(
        app.request(
            Method::DELETE,
            "/authentications",
            Some(json!({"refreshToken": refresh})),
            None,
        )
        .await,
        "refreshToken",
    )
    .await;
}

#[tokio::test]
async fn malformed_authorization_headers_are_401() {
    let app = spawn_app().await;
    for value in [
        "Basic dXNlcjpwYXNz",
        "Bearer",
        "Bearer ",
        "Bearer not.a.jwt",
        "token",
    ] {
        let response = app
            .client
            .get(app.url("/users/me"))
            .header("Authorization", value)
            .send()
            .await
            .expect("sent");
        let body = expect_error(response, StatusCode::UNAUTHORIZED, "INVALID_TOKEN").await;
        assert!(body.get("details").is_none());
    }
}
