use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn sign_up_returns_a_prefixed_user_id_and_stores_a_phc_scrypt_hash() {
    let app = spawn_app().await;
    let (status, body) = read(
        app.post(
            "/users",
            json!({"username": "dicoding", "password": "secret", "fullname": "Dicoding Indonesia"}),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(body["status"], "success");
    let id = body["data"]["userId"].as_str().expect("userId");
    assert!(id.starts_with("user-") && id.len() == 21, "{id}");

    use diesel::prelude::*;
    use diesel_async::RunQueryDsl;
    let mut conn = app.db.connect().await;
    let (hash, role): (String, String) = backbeat_db::schema::users::table
        .filter(backbeat_db::schema::users::id.eq(id))
        .select((
            backbeat_db::schema::users::password_hash,
            backbeat_db::schema::users::role,
        ))
        .first(&mut conn)
        .await
        .expect("row stored");
    assert!(hash.starts_with("$scrypt$ln=10,r=8,p=1$"), "{hash}");
    assert!(!hash.contains("secret"));
    assert_eq!(role, "user");
}

#[tokio::test]
async fn a_taken_username_is_a_400_on_username() {
    let app = spawn_app().await;
    app.register("dicoding", "secret").await;
    let body = expect_field_error(
        app.post(
            "/users",
            json!({"username": "dicoding", "password": "other", "fullname": "Someone"}),
        )
        .await,
        "username",
    )
    .await;
    assert!(body["message"].as_str().expect("message").contains("taken"));
}

#[tokio::test]
async fn concurrent_sign_ups_with_one_username_create_one_account() {
    let app = spawn_app().await;
    let body = json!({"username": "race", "password": "secret", "fullname": "Racer"});
    let (a, b) = tokio::join!(
        app.post("/users", body.clone()),
        app.post("/users", body.clone())
    );
    let mut statuses = [a.status(), b.status()];
    statuses.sort();
    assert_eq!(statuses, [StatusCode::CREATED, StatusCode::BAD_REQUEST]);
}

#[tokio::test]
async fn every_invalid_sign_up_names_the_field_at_fault() {
    let app = spawn_app().await;
    let cases = [
        (json!({"password": "secret", "fullname": "F"}), "username"),
        (json!({"username": "a", "fullname": "F"}), "password"),
        (json!({"username": "a", "password": "secret"}), "fullname"),
        (
            json!({"username": 123, "password": "secret", "fullname": "F"}),
            "username",
        ),
        (
            json!({"username": "a", "password": true, "fullname": "F"}),
            "password",
        ),
        (
            json!({"username": "a", "password": "secret", "fullname": ["F"]}),
            "fullname",
        ),
        (
            json!({"username": "", "password": "secret", "fullname": "F"}),
            "username",
        ),
        (
            json!({"username": "a", "password": "", "fullname": "F"}),
            "password",
        ),
        (
            json!({"username": "a", "password": "secret", "fullname": "  "}),
            "fullname",
        ),
        (
            json!({"username": "x".repeat(51), "password": "secret", "fullname": "F"}),
            "username",
        ),
        (
            json!({"username": "has space", "password": "secret", "fullname": "F"}),
            "username",
        ),
        (
            json!({"username": "a", "password": "p".repeat(1025), "fullname": "F"}),
            "password",
        ),
        (
            json!({"username": "a", "password": "secret", "fullname": "f".repeat(101)}),
            "fullname",
        ),
        (
            json!({"username": null, "password": "secret", "fullname": "F"}),
            "username",
        ),
    ];
    for (body, field) in cases {
        let response = app.post("/users", body.clone()).await;
        expect_field_error(response, field).await;
    }
}

#[tokio::test]
async fn all_missing_fields_are_reported_together() {
    let app = spawn_app().await;
    let body = expect_field_error(app.post("/users", json!({})).await, "username").await;
    let fields: Vec<&str> = body["details"]
        .as_array()
        .expect("details")
        .iter()
        .filter_map(|d| d["field"].as_str())
        .collect();
    assert_eq!(fields, ["username", "password", "fullname"]);
    assert_eq!(body["message"], "\"username\" is required");
}

#[tokio::test]
async fn me_shows_the_caller_and_needs_a_token() {
    let app = spawn_app().await;
    let (id, access, _) = app.user("listener").await;
    let (status, body) = read(
        app.request(Method::GET, "/users/me", None, Some(&access))
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["data"]["user"]["id"], id.as_str());
    assert_eq!(body["data"]["user"]["username"], "listener");
    assert_eq!(body["data"]["user"]["fullname"], "Test User");
    assert_eq!(body["data"]["user"]["role"], "user");
    assert!(body["data"]["user"].get("passwordHash").is_none());

    expect_error(
        app.request(Method::GET, "/users/me", None, None).await,
        StatusCode::UNAUTHORIZED,
        "AUTH_REQUIRED",
    )
    .await;
}

#[tokio::test]
async fn an_account_may_have_one_email_unique_whatever_its_case() {
    let app = spawn_app().await;
    let client = app.client();
    // openMusic's sign-up, without one, stays valid.
    let (_, plain) = client.user("plain", None).await;
    let body = client
        .expect(StatusCode::OK, Method::GET, "/users/me", None, Some(&plain))
        .await;
    assert!(body["data"]["user"]["email"].is_null());

    let (_, nadia) = client.user("nadia", Some("Nadia@Example.com")).await;
    let body = client
        .expect(StatusCode::OK, Method::GET, "/users/me", None, Some(&nadia))
        .await;
    assert_eq!(body["data"]["user"]["email"], "Nadia@Example.com");
    let body = expect_conflict(
        app.post("/users", json!({"username": "copycat", "password": "secret", "fullname": "C", "email": "nadia@example.COM"})).await,
        "email",
    )
    .await;
    assert_eq!(
        body["details"][0]["message"],
        "is already used by another account"
    );
    expect_field_error(
        app.post("/users", json!({"username": "bad", "password": "secret", "fullname": "B", "email": "not-an-email"})).await,
        "email",
    )
    .await;

    let body = client
        .expect(
            StatusCode::OK,
            Method::PATCH,
            "/users/me",
            Some(json!({"email": "plain@example.com"})),
            Some(&plain),
        )
        .await;
    assert_eq!(body["data"]["user"]["email"], "plain@example.com");
    let (status, body, _) = client
        .call(
            Method::PATCH,
            "/users/me",
            Some(json!({"email": "NADIA@example.com"})),
            Some(&plain),
        )
        .await;
    assert_eq!(
        (status, body["details"][0]["field"].clone()),
        (StatusCode::CONFLICT, json!("email"))
    );
    let body = client
        .expect(
            StatusCode::OK,
            Method::PATCH,
            "/users/me",
            Some(json!({"email": null})),
            Some(&plain),
        )
        .await;
    assert!(body["data"]["user"]["email"].is_null());
    let (status, _, _) = client
        .call(Method::PATCH, "/users/me", Some(json!({})), Some(&plain))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _, _) = client
        .call(
            Method::PATCH,
            "/users/me",
            Some(json!({"email": "x@y.co"})),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}
