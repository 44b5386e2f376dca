//! An HTTP client for tests that drive the real API, and the steps a label takes to get a release
//! ready for delivery.

use std::time::{Duration, Instant};

use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::fixtures;

#[derive(Clone)]
pub struct Client {
    pub address: String,
    pub http: reqwest::Client,
}

const BOUNDARY: &str = "----backbeat-test-boundary";

/// A `multipart/form-data` body with one file part.
pub fn multipart(field: &str, filename: &str, content_type: &str, bytes: &[u8]) -> Vec<u8> {
    form(&[], (field, filename, content_type, bytes))
}

/// A `multipart/form-data` body: text fields, then one file part `(field, filename,
/// content type, bytes)`.
pub fn form(texts: &[(&str, &str)], file: (&str, &str, &str, &[u8])) -> Vec<u8> {
    let mut body = Vec::new();
    for (name, value) in texts {
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    let (field, filename, content_type, bytes) = file;
    body.extend_from_slice(
        format!(
            "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"{filename}\"\r\n\
             Content-Type: {content_type}\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    body
}

/// What [`Client::ready_release`] created.
#[derive(Debug, Clone)]
pub struct Release {
    pub album_id: String,
    pub artist_id: String,
    pub upc: String,
    /// (song id, ISRC), in track order.
    pub tracks: Vec<(String, String)>,
}

impl Client {
    pub fn new(address: impl Into<String>) -> Self {
        Self {
            address: address.into(),
            http: reqwest::Client::new(),
        }
    }

    /// A client whose every request carries `X-Request-Id: request_id`, for tests that follow
    /// one request through the logs.
    pub fn with_request_id(address: impl Into<String>, request_id: &str) -> Self {
        let mut headers = HeaderMap::new();
        headers.insert(
            "X-Request-Id",
            request_id.parse().expect("a valid header value"),
        );
        Self {
            address: address.into(),
            http: reqwest::Client::builder()
                .default_headers(headers)
                .build()
                .expect("client builds"),
        }
    }

    pub async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
        token: Option<&str>,
    ) -> (StatusCode, Value, HeaderMap) {
        let mut request = self.http.request(method, format!("{}{path}", self.address));
        if let Some(body) = body {
            request = request.json(&body);
        }
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.expect("request sent");
        let status = response.status();
        let headers = response.headers().clone();
        let body = response.json().await.unwrap_or(Value::Null);
        (status, body, headers)
    }

    /// A call that must answer `expected`; returns the body.
    pub async fn expect(
        &self,
        expected: StatusCode,
        method: Method,
        path: &str,
        body: Option<Value>,
        token: Option<&str>,
    ) -> Value {
        let (status, body, _) = self.call(method.clone(), path, body, token).await;
        assert_eq!(status, expected, "{method} {path}: {body}");
        body
    }

    /// `PUT`s one file as a multipart part.
    pub async fn upload(
        &self,
        path: &str,
        field: &str,
        filename: &str,
        bytes: &[u8],
        token: &str,
    ) -> (StatusCode, Value) {
        let response = self
            .http
            .put(format!("{}{path}", self.address))
            .bearer_auth(token)
            .header(
                "Content-Type",
                format!("multipart/form-data; boundary={BOUNDARY}"),
            )
            .body(multipart(
                field,
                filename,
                "application/octet-stream",
                bytes,
            ))
            .send()
            .await
            .expect("upload sent");
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// `POST`s a multipart form (see [`form`]); returns status and body.
    pub async fn post_form(&self, path: &str, body: Vec<u8>, token: &str) -> (StatusCode, Value) {
        let response = self
            .http
            .post(format!("{}{path}", self.address))
            .bearer_auth(token)
            .header(
                "Content-Type",
                format!("multipart/form-data; boundary={BOUNDARY}"),
            )
            .body(body)
            .send()
            .await
            .expect("form sent");
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// Logs in (password `secret-password`, as [`Client::user`] signs up); returns the token.
    pub async fn login(&self, username: &str) -> String {
        self.expect(
            StatusCode::CREATED,
            Method::POST,
            "/authentications",
            Some(json!({"username": username, "password": "secret-password"})),
            None,
        )
        .await["data"]["accessToken"]
            .as_str()
            .expect("token")
            .to_owned()
    }

    /// Signs up, is made an admin in the database (as the operator's CLI does) and logs in;
    /// returns (user id, access token).
    pub async fn admin(
        &self,
        conn: &mut diesel_async::AsyncPgConnection,
        username: &str,
    ) -> (String, String) {
        let (id, _) = self.user(username, None).await;
        assert!(
            backbeat_db::users::set_role(conn, username, backbeat_domain::Role::Admin)
                .await
                .expect("promote")
        );
        (id, self.login(username).await)
    }

    /// Signs up (with an email when given) and logs in; returns (user id, access token).
    pub async fn user(&self, username: &str, email: Option<&str>) -> (String, String) {
        let mut body =
            json!({"username": username, "password": "secret-password", "fullname": "Test User"});
        if let Some(email) = email {
            body["email"] = json!(email);
        }
        let created = self
            .expect(
                StatusCode::CREATED,
                Method::POST,
                "/users",
                Some(body),
                None,
            )
            .await;
        let login = self
            .expect(
                StatusCode::CREATED,
                Method::POST,
                "/authentications",
                Some(json!({"username": username, "password": "secret-password"})),
                None,
            )
            .await;
        (
            created["data"]["userId"]
                .as_str()
                .expect("userId")
                .to_owned(),
            login["data"]["accessToken"]
                .as_str()
                .expect("token")
                .to_owned(),
        )
    }

    /// Every platform's id by code.
    pub async fn platforms(&self, token: &str) -> Vec<(String, String)> {
        let body = self
            .expect(StatusCode::OK, Method::GET, "/platforms", None, Some(token))
            .await;
        body["data"]["platforms"]
            .as_array()
            .expect("platforms")
            .iter()
            .map(|p| {
                (
                    p["code"].as_str().expect("code").to_owned(),
                    p["id"].as_str().expect("id").to_owned(),
                )
            })
            .collect()
    }

    pub async fn platform(&self, token: &str, code: &str) -> String {
        self.platforms(token)
            .await
            .into_iter()
            .find(|(c, _)| c == code)
            .map(|(_, id)| id)
            .unwrap_or_else(|| panic!("no platform {code}"))
    }

    /// A release that passes readiness, built the way a label would: an artist, the album with
    /// its metadata, `tracks` songs with theirs, a WAV or FLAC master each (alternating), artwork.
    /// `serial` keeps UPCs and ISRCs unique across releases of one test.
    pub async fn ready_release(&self, token: &str, serial: u32, tracks: u32) -> Release {
        let artist = self
            .expect(
                StatusCode::CREATED,
                Method::POST,
                "/artists",
                Some(json!({"name": "Nadia Rose", "externalUrls": ["https://nadiarose.example"]})),
                Some(token),
            )
            .await["data"]["artistId"]
            .as_str()
            .expect("artistId")
            .to_owned();
        let album = self
            .expect(
                StatusCode::CREATED,
                Method::POST,
                "/albums",
                Some(json!({"name": format!("Night & Day {serial}"), "year": 2026})),
                Some(token),
            )
            .await["data"]["albumId"]
            .as_str()
            .expect("albumId")
            .to_owned();
        let upc = upc(serial);
        self.expect(
            StatusCode::OK,
            Method::PATCH,
            &format!("/albums/{album}"),
            Some(json!({
                "artistId": artist, "upc": upc, "label": "Backbeat Records", "genre": "Pop",
                "releaseDate": "2026-12-04", "pLine": "2026 Backbeat Records",
                "cLine": "2026 Backbeat Records", "territories": ["Worldwide"],
            })),
            Some(token),
        )
        .await;
        let mut created = Vec::new();
        for number in 1..=tracks {
            let song = self
                .expect(
                    StatusCode::CREATED,
                    Method::POST,
                    "/songs",
                    Some(
                        json!({"title": format!("Track {number}"), "year": 2026, "genre": "Pop",
                        "performer": "Nadia Rose", "albumId": album}),
                    ),
                    Some(token),
                )
                .await["data"]["songId"]
                .as_str()
                .expect("songId")
                .to_owned();
            let isrc = format!("QZBBT26{:05}", serial * 100 + number);
            self.expect(
                StatusCode::OK,
                Method::PATCH,
                &format!("/songs/{song}"),
                Some(json!({
                    "isrc": isrc, "trackNumber": number, "explicit": number == 2,
                    "contributors": [{"name": "Ana Writer", "role": "Composer"},
                                     {"name": "Max Knobs", "role": "Producer"}],
                })),
                Some(token),
            )
            .await;
            let (file, name) = if number % 2 == 1 {
                (fixtures::cd_wav(1), "master.wav")
            } else {
                (fixtures::flac(2, 44_100, 16, 44_100), "master.flac")
            };
            let (status, body) = self
                .upload(&format!("/songs/{song}/audio"), "audio", name, &file, token)
                .await;
            assert_eq!(status, StatusCode::OK, "{body}");
            created.push((song, isrc));
        }
        let (status, body) = self
            .upload(
                &format!("/albums/{album}/artwork"),
                "artwork",
                "cover.jpg",
                fixtures::artwork(),
                token,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        Release {
            album_id: album,
            artist_id: artist,
            upc,
            tracks: created,
        }
    }

    /// Polls `GET /jobs/{id}` until the job is `succeeded` or `dead`.
    pub async fn wait_job(&self, token: &str, job: &str, timeout: Duration) -> Value {
        let started = Instant::now();
        loop {
            let body = self
                .expect(
                    StatusCode::OK,
                    Method::GET,
                    &format!("/jobs/{job}"),
                    None,
                    Some(token),
                )
                .await;
            let job = body["data"]["job"].clone();
            if job["status"] == "succeeded" || job["status"] == "dead" {
                return job;
            }
            assert!(
                started.elapsed() < timeout,
                "job still {}: {job}",
                job["status"]
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// A valid UPC-A for each serial: 11 digits, then the GS1 check digit.
pub fn upc(serial: u32) -> String {
    let body = format!("{:011}", 19_000_000_000u64 + u64::from(serial));
    let sum: u32 = body
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, d)| u32::from(d - b'0') * if i % 2 == 0 { 3 } else { 1 })
        .sum();
    format!("{body}{}", (10 - sum % 10) % 10)
}
