use backbeat_api::Application;
use backbeat_api::state::AppState;
use backbeat_config::Settings;
use backbeat_testkit::TestDatabase;
use backbeat_testkit::broker::TestQueues;
use reqwest::{Method, Response, StatusCode};
use serde_json::{Value, json};

pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub state: AppState,
    pub db: TestDatabase,
    /// Held for its drop, which deletes this test's queues.
    pub _queues: TestQueues,
    /// This test's storage folder (covers).
    pub storage: tempfile::TempDir,
    /// What the app was built with (a replica is built with the same).
    pub settings: Settings,
}

/// Starts the real application on a random port, on a database of its own.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

pub async fn spawn_app_with(configure: impl FnOnce(&mut Settings)) -> TestApp {
    let db = TestDatabase::create().await;
    let mut settings = db.settings();
    let storage = tempfile::tempdir().expect("storage dir");
    settings.storage.root = storage.path().display().to_string();
    // Redis keys and queue names of this test's own.
    settings.cache.prefix = format!("test:{}:", db.name);
    configure(&mut settings);
    let queues = TestQueues::new(&settings);
    queues.apply(&mut settings);
    // Warnings and errors (with their cause chains) show in a failing test's output.
    backbeat_telemetry::init(&settings.log, "backbeat-api");
    let app = Application::build(settings.clone())
        .await
        .expect("application builds");
    let address = format!("http://127.0.0.1:{}", app.port());
    let state = app.state().clone();
    tokio::spawn(app.run_until_stopped());
    TestApp {
        address,
        client: reqwest::Client::new(),
        state,
        db,
        _queues: queues,
        storage,
        settings,
    }
}

/// A closed local port: a dependency that is down.
pub fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    drop(listener);
    port
}

impl TestApp {
    /// A second API process on the same database, Redis keys and queues: another replica.
    /// Returns its address.
    pub async fn replica(&self) -> String {
        let app = Application::build(self.settings.clone())
            .await
            .expect("replica builds");
        let address = format!("http://127.0.0.1:{}", app.port());
        tokio::spawn(app.run_until_stopped());
        address
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub async fn request(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
        token: Option<&str>,
    ) -> Response {
        let mut request = self.client.request(method, self.url(path));
        if let Some(body) = body {
            request = request.json(&body);
        }
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send().await.expect("request sent")
    }

    pub async fn post(&self, path: &str, body: Value) -> Response {
        self.request(Method::POST, path, Some(body), None).await
    }

    pub async fn register(&self, username: &str, password: &str) -> String {
        let response = self
            .post(
                "/users",
                json!({"username": username, "password": password, "fullname": "Test User"}),
            )
            .await;
        let (status, body) = read(response).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        body["data"]["userId"].as_str().expect("userId").to_owned()
    }

    /// Registers and logs in; returns (user id, access token, refresh token).
    pub async fn user(&self, username: &str) -> (String, String, String) {
        let id = self.register(username, "secret-password").await;
        let (access, refresh) = self.login(username, "secret-password").await;
        (id, access, refresh)
    }

    pub async fn login(&self, username: &str, password: &str) -> (String, String) {
        let (status, body) = read(
            self.post(
                "/authentications",
                json!({"username": username, "password": password}),
            )
            .await,
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        (
            body["data"]["accessToken"]
                .as_str()
                .expect("accessToken")
                .to_owned(),
            body["data"]["refreshToken"]
                .as_str()
                .expect("refreshToken")
                .to_owned(),
        )
    }
}

/// Status and JSON body, asserting the response declares JSON.
pub async fn read(response: Response) -> (StatusCode, Value) {
    let status = response.status();
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().expect("ascii").to_owned())
        .unwrap_or_default();
    assert!(
        content_type.starts_with("application/json"),
        "content-type was {content_type:?} for {status}"
    );
    let text = response.text().await.expect("body");
    let body = serde_json::from_str(&text).unwrap_or_else(|_| panic!("JSON body, got {text:?}"));
    (status, body)
}

/// Asserts a failure envelope with the given status and code; returns the body.
pub async fn expect_error(response: Response, status: StatusCode, code: &str) -> Value {
    let (actual, body) = read(response).await;
    assert_eq!(actual, status, "{body}");
    assert_eq!(body["code"], code, "{body}");
    let expected_status = if status.is_server_error() {
        "error"
    } else {
        "fail"
    };
    assert_eq!(body["status"], expected_status, "{body}");
    assert!(
        body["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{body}"
    );
    body
}

/// Asserts a 400 validation failure naming `field`.
pub async fn expect_field_error(response: Response, field: &str) -> Value {
    let body = expect_error(response, StatusCode::BAD_REQUEST, "VALIDATION_ERROR").await;
    let details = body["details"].as_array().expect("details");
    assert!(
        details.iter().any(|d| d["field"] == field),
        "no detail for {field}: {body}"
    );
    body
}

/// Asserts a 409 naming `field` as holding a value something else already has.
pub async fn expect_conflict(response: Response, field: &str) -> Value {
    let body = expect_error(response, StatusCode::CONFLICT, "CONFLICT").await;
    let details = body["details"].as_array().expect("details");
    assert!(
        details.iter().any(|d| d["field"] == field),
        "no detail for {field}: {body}"
    );
    body
}

impl TestApp {
    pub async fn get(&self, path: &str, token: Option<&str>) -> Response {
        self.request(Method::GET, path, None, token).await
    }

    pub async fn post_as(&self, path: &str, body: Value, token: Option<&str>) -> Response {
        self.request(Method::POST, path, Some(body), token).await
    }

    pub async fn put_as(&self, path: &str, body: Value, token: Option<&str>) -> Response {
        self.request(Method::PUT, path, Some(body), token).await
    }

    pub async fn patch_as(&self, path: &str, body: Value, token: Option<&str>) -> Response {
        self.request(Method::PATCH, path, Some(body), token).await
    }

    pub async fn delete_as(
        &self,
        path: &str,
        body: Option<Value>,
        token: Option<&str>,
    ) -> Response {
        self.request(Method::DELETE, path, body, token).await
    }

    /// Creates an album as `token`'s user and returns its id.
    pub async fn album(&self, token: Option<&str>, name: &str, year: i64) -> String {
        let (status, body) = read(
            self.post_as("/albums", json!({"name": name, "year": year}), token)
                .await,
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        body["data"]["albumId"]
            .as_str()
            .expect("albumId")
            .to_owned()
    }

    /// Creates a song as `token`'s user and returns its id.
    pub async fn song(&self, token: Option<&str>, song: Value) -> String {
        let (status, body) = read(self.post_as("/songs", song, token).await).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        body["data"]["songId"].as_str().expect("songId").to_owned()
    }

    pub async fn playlist(&self, token: &str, name: &str) -> String {
        let (status, body) = read(
            self.post_as("/playlists", json!({"name": name}), Some(token))
                .await,
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        body["data"]["playlistId"]
            .as_str()
            .expect("playlistId")
            .to_owned()
    }
}

pub fn song_body(title: &str, performer: &str) -> Value {
    json!({"title": title, "year": 2008, "genre": "Indie", "performer": performer, "duration": 120})
}

/// Asserts a success status and returns the body.
pub async fn expect_status(response: Response, status: StatusCode) -> Value {
    let (actual, body) = read(response).await;
    assert_eq!(actual, status, "{body}");
    assert_eq!(body["status"], "success", "{body}");
    body
}

/// The keys of a JSON object, sorted.
pub fn keys(value: &Value) -> Vec<String> {
    let mut keys: Vec<String> = value.as_object().expect("object").keys().cloned().collect();
    keys.sort();
    keys
}

impl TestApp {
    /// The shared HTTP client of the test kit, pointed at this app.
    pub fn client(&self) -> backbeat_testkit::http::Client {
        backbeat_testkit::http::Client::new(self.address.clone())
    }

    /// Signs up, is made an admin (as the operator's CLI does), logs in; returns the token.
    pub async fn admin(&self, username: &str) -> String {
        self.admin_user(username).await.1
    }

    /// Like [`TestApp::admin`]; returns (user id, access token).
    pub async fn admin_user(&self, username: &str) -> (String, String) {
        let id = self.register(username, "secret-password").await;
        let mut conn = self.db.connect().await;
        assert!(
            backbeat_db::users::set_role(&mut conn, username, backbeat_domain::Role::Admin)
                .await
                .expect("promote")
        );
        (id, self.login(username, "secret-password").await.0)
    }
}
