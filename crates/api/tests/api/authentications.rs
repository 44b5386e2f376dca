use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn login_refresh_logout_round_trip() {
    let app = spawn_app().await;
    app.register("dicoding", "secret").await;

    let (status, body) = read(
        app.post(
            "/authentications",
            json!({"username": "dicoding", "password": "secret"}),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(body["status"], "success");
    let access = body["data"]["accessToken"]
        .as_str()
        .expect("access")
        .to_owned();
    let refresh = body["data"]["refreshToken"]
        .as_str()
        .expect("refresh")
        .to_owned();
    assert_ne!(access, refresh);

    let (status, body) = read(
        app.request(
            Method::PUT,
            "/authentications",
            Some(json!({"refreshToken": refresh})),
            None,
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let renewed = body["data"]["accessToken"]
        .as_str()
        .expect("new access token");
    let (status, _) = read(
        app.request(Method::GET, "/users/me", None, Some(renewed))
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK);

    let (status, body) = read(
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
    assert_eq!(body["status"], "success");
    assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()));
}

#[tokio::test]
async fn unknown_user_and_wrong_password_get_the_same_401() {
    let app = spawn_app().await;
    app.register("dicoding", "secret").await;
    let wrong_password = expect_error(
        app.post(
            "/authentications",
            json!({"username": "dicoding", "password": "nope"}),
        )
        .await,
        StatusCode::UNAUTHORIZED,
        "INVALID_CREDENTIALS",
    )
    .await;
    let unknown_user = expect_error(
        app.post(
            "/authentications",
            json!({"username": "ghost", "password": "secret"}),
        )
        .await,
        StatusCode::UNAUTHORIZED,
        "INVALID_CREDENTIALS",
    )
    .await;
    assert_eq!(wrong_password, unknown_user);
}

#[tokio::test]
async fn login_with_a_bad_payload_is_400() {
    let app = spawn_app().await;
    expect_field_error(
        app.post("/authentications", json!({"username": "dicoding"}))
            .await,
        "password",
    )
    .await;
    expect_field_error(
        app.post("/authentications", json!({"password": "secret"}))
            .await,
        "username",
    )
    .await;
    expect_field_error(
        app.post(
            "/authentications",
            json!({"username": 1, "password": "secret"}),
        )
        .await,
        "username",
    )
    .await;
    expect_field_error(
        app.post("/authentications", json!({"username": "a", "password": 2}))
            .await,
        "password",
    )
    .await;
}

#[tokio::test]
async fn two_logins_hold_two_independent_refresh_tokens() {
    let app = spawn_app().await;
    app.register("dicoding", "secret").await;
    let (_, first) = app.login("dicoding", "secret").await;
    let (_, second) = app.login("dicoding", "secret").await;
    assert_ne!(first, second);
    let (status, _) = read(
        app.request(
            Method::DELETE,
            "/authentications",
            Some(json!({"refreshToken": first})),
            None,
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = read(
        app.request(
            Method::PUT,
            "/authentications",
            Some(json!({"refreshToken": second})),
            None,
        )
        .await,
    )
    .await;
    assert_eq!(
        status,
        StatusCode::OK,
        "logging out one session keeps the other"
    );
}

#[tokio::test]
async fn refresh_and_logout_need_a_refresh_token() {
    let app = spawn_app().await;
    for method in [Method::PUT, Method::DELETE] {
        expect_field_error(
            app.request(method.clone(), "/authentications", Some(json!({})), None)
                .await,
            "refreshToken",
        )
        .await;
        expect_field_error(
            app.request(method.clone(), "/authentications", None, None)
                .await,
            "refreshToken",
        )
        .await;
        expect_field_error(
            app.request(
                method.clone(),
                "/authentications",
                Some(json!({"refreshToken": 42})),
                None,
            )
            .await,
            "refreshToken",
        )
        .await;
        expect_field_error(
            app.request(
                method,
                "/authentications",
                Some(json!({"refreshToken": "not-a-token"})),
                None,
            )
            .await,
            "refreshToken",
        )
        .await;
    }
}
