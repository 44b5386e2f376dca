//! Artist verification end to end: the API queues a crawl, a real worker fetches the profile from
//! a local web server under the crawler's rules, an admin approves, the owner gets the email, and
//! the scheduler expires codes left unfound.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use diesel_async::SimpleAsyncConnection;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use crate::helpers::*;

/// What the profile server answers on a path.
#[derive(Clone)]
enum Reply {
    Page(String),
    Redirect(String),
    /// Answers only after this long.
    Slow(Duration),
}

/// An artist's web pages: a real HTTP server on loopback, recording each request's path and
/// User-Agent.
#[derive(Clone, Default)]
struct ProfileServer {
    port: u16,
    replies: Arc<Mutex<HashMap<String, Reply>>>,
    requests: Arc<Mutex<Vec<(String, String)>>>,
}

impl ProfileServer {
    async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let server = ProfileServer {
            port: listener.local_addr().expect("addr").port(),
            ..Default::default()
        };
        let shared = server.clone();
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                let server = shared.clone();
                tokio::spawn(async move {
                    let mut head = Vec::new();
                    let mut buf = [0u8; 1024];
                    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                        match socket.read(&mut buf).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => head.extend_from_slice(&buf[..n]),
                        }
                    }
                    let head = String::from_utf8_lossy(&head).into_owned();
                    let path = head.split(' ').nth(1).unwrap_or("/").to_owned();
                    let agent = head
                        .lines()
                        .find_map(|l| {
                            l.strip_prefix("user-agent: ")
                                .or_else(|| l.strip_prefix("User-Agent: "))
                        })
                        .unwrap_or_default()
                        .to_owned();
                    server
                        .requests
                        .lock()
                        .expect("lock")
                        .push((path.clone(), agent));
                    let reply = server.replies.lock().expect("lock").get(&path).cloned();
                    let response = match reply {
                        Some(Reply::Page(body)) => format!(
                            "HTTP/1.1 200 OK\r\ncontent-type: text/html\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                            body.len()
                        ),
                        Some(Reply::Redirect(to)) => format!(
                            "HTTP/1.1 302 Found\r\nlocation: {to}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
                        ),
                        Some(Reply::Slow(delay)) => {
                            tokio::time::sleep(delay).await;
                            "HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok".to_owned()
                        }
                        None => "HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\nconnection: close\r\n\r\n".to_owned(),
                    };
                    let _ = socket.write_all(response.as_bytes()).await;
                    let _ = socket.shutdown().await;
                });
            }
        });
        server
    }

    fn serve(&self, path: &str, reply: Reply) {
        self.replies
            .lock()
            .expect("lock")
            .insert(path.to_owned(), reply);
    }

    fn url(&self, host: &str, path: &str) -> String {
        format!("http://{host}:{}{path}", self.port)
    }

    fn requests(&self) -> Vec<(String, String)> {
        self.requests.lock().expect("lock").clone()
    }
}

async fn artist(api: &Api, token: &str, name: &str) -> String {
    api.expect(
        StatusCode::CREATED,
        Method::POST,
        "/artists",
        Some(json!({"name": name})),
        Some(token),
    )
    .await["data"]["artistId"]
        .as_str()
        .expect("artistId")
        .to_owned()
}

/// Requests a code for a new artist's profile; returns (verification id, code).
async fn request(api: &Api, token: &str, artist: &str, url: &str) -> (String, String) {
    let body = api
        .expect(
            StatusCode::CREATED,
            Method::POST,
            &format!("/artists/{artist}/verifications"),
            Some(json!({"profileUrl": url})),
            Some(token),
        )
        .await;
    let code = body["data"]["code"].as_str().expect("code").to_owned();
    assert_eq!(code.len(), 8);
    (
        body["data"]["verificationId"]
            .as_str()
            .expect("id")
            .to_owned(),
        code,
    )
}

/// Asks for a check and waits for the crawl to end; returns the verification.
async fn checked(api: &Api, token: &str, id: &str) -> Value {
    let (status, body, headers) = api
        .call(
            Method::POST,
            &format!("/verifications/{id}/check"),
            None,
            Some(token),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    assert!(headers.contains_key("location"));
    let started = Instant::now();
    loop {
        let body = api
            .expect(
                StatusCode::OK,
                Method::GET,
                &format!("/verifications/{id}"),
                None,
                Some(token),
            )
            .await;
        let verification = body["data"]["verification"].clone();
        if verification["status"] != "checking" {
            return verification;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "still checking: {verification}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn stack_settings(s: &mut backbeat_config::Settings) {
    s.verification.allow_loopback = true;
    s.verification.fetch_timeout_ms = 1000;
    s.verification.max_page_bytes = 64 * 1024;
    s.verification.max_redirects = 3;
    s.scheduler.verification_expiry_secs = 1;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_crawl_ends_in_the_right_status_with_its_reason_and_approval_verifies_and_emails() {
    let stack = Stack::new(stack_settings).await;
    let api = stack.api().await;
    let _worker = stack.spawn_worker();
    let web = ProfileServer::start().await;
    let (_, token) = api.user("nadia", Some("nadia@example.com")).await;
    let (_, admin) = api.admin(&mut stack.db.connect().await, "warden").await;

    // Code found: pending review, then approved by an admin.
    let found = artist(&api, &token, "Nadia Rose").await;
    let (id, code) = request(&api, &token, &found, &web.url("127.0.0.1", "/found")).await;
    web.serve(
        "/found",
        Reply::Page(format!("<html><p>backbeat verification: {code}</p></html>")),
    );
    let verification = checked(&api, &token, &id).await;
    assert_eq!(verification["status"], "pending_review", "{verification}");
    let (path, agent) = web.requests().into_iter().last().expect("a request");
    assert_eq!(path, "/found");
    assert!(agent.starts_with("backbeat-verifier/"), "{agent}");

    let queue = api
        .expect(
            StatusCode::OK,
            Method::GET,
            "/admin/verifications?status=pending_review",
            None,
            Some(&admin),
        )
        .await;
    assert_eq!(queue["data"]["verifications"][0]["id"], id.as_str());
    api.expect(
        StatusCode::FORBIDDEN,
        Method::POST,
        &format!("/admin/verifications/{id}/approve"),
        Some(json!({})),
        Some(&token),
    )
    .await;
    let approved = api
        .expect(
            StatusCode::OK,
            Method::POST,
            &format!("/admin/verifications/{id}/approve"),
            Some(json!({"note": "Welcome aboard"})),
            Some(&admin),
        )
        .await;
    assert_eq!(approved["data"]["verification"]["status"], "approved");
    let artist_now = api
        .expect(
            StatusCode::OK,
            Method::GET,
            &format!("/artists/{found}"),
            None,
            Some(&token),
        )
        .await;
    assert_eq!(artist_now["data"]["artist"]["verified"], true);
    let mails = stack.smtp.wait_for(1, Duration::from_secs(30)).await;
    assert_eq!(mails[0].to, ["nadia@example.com"]);
    let text = String::from_utf8_lossy(&mails[0].data);
    assert!(text.contains("Nadia Rose is verified"), "{text}");
    assert!(text.contains("Welcome aboard"), "{text}");
    // Decided once: a second decision is a conflict.
    api.expect(
        StatusCode::CONFLICT,
        Method::POST,
        &format!("/admin/verifications/{id}/reject"),
        Some(json!({})),
        Some(&admin),
    )
    .await;
    let audit = api
        .expect(
            StatusCode::OK,
            Method::GET,
            "/admin/audit?action=verification.approve",
            None,
            Some(&admin),
        )
        .await;
    assert_eq!(
        audit["data"]["events"][0]["targetId"],
        id.as_str(),
        "{audit}"
    );

    // Each failure, with its reason.
    web.serve(
        "/absent",
        Reply::Page("<html>no code here</html>".to_owned()),
    );
    web.serve("/loop-a", Reply::Redirect("/loop-b".to_owned()));
    web.serve("/loop-b", Reply::Redirect("/loop-a".to_owned()));
    web.serve(
        "/private",
        Reply::Redirect("http://10.1.2.3/admin".to_owned()),
    );
    web.serve(
        "/metadata",
        Reply::Redirect("http://169.254.169.254/latest/meta-data/".to_owned()),
    );
    web.serve("/big", Reply::Page("x".repeat(100 * 1024)));
    web.serve("/slow", Reply::Slow(Duration::from_secs(3)));
    for (path, reason) in [
        ("/absent", "was not found on"),
        ("/loop-a", "redirects in a loop"),
        ("/private", "10.1.2.3, a private address"),
        ("/metadata", "169.254.169.254, a link-local address"),
        ("/big", "larger than 65536 bytes"),
        (
            "/slow",
            "did not answer within 1 s (after several attempts)",
        ),
    ] {
        let artist = artist(&api, &token, path).await;
        let (id, _) = request(&api, &token, &artist, &web.url("127.0.0.1", path)).await;
        let verification = checked(&api, &token, &id).await;
        assert_eq!(verification["status"], "failed", "{path}: {verification}");
        let why = verification["reason"].as_str().unwrap_or_default();
        assert!(why.contains(reason), "{path}: {why}");
    }
    // The slow page was tried again before the check failed.
    let slow_tries = web.requests().iter().filter(|(p, _)| p == "/slow").count();
    assert!(slow_tries >= 2, "{slow_tries}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_name_resolving_to_loopback_is_never_fetched_when_loopback_is_not_allowed() {
    let stack = Stack::new(|s| {
        stack_settings(s);
        s.verification.allow_loopback = false;
    })
    .await;
    let api = stack.api().await;
    let _worker = stack.spawn_worker();
    let web = ProfileServer::start().await;
    let (_, token) = api.user("nadia", None).await;
    let artist = artist(&api, &token, "Nadia Rose").await;
    let (id, code) = request(&api, &token, &artist, &web.url("localhost", "/found")).await;
    web.serve("/found", Reply::Page(code));
    let verification = checked(&api, &token, &id).await;
    assert_eq!(verification["status"], "failed", "{verification}");
    let why = verification["reason"].as_str().unwrap_or_default();
    assert!(
        why.contains("`localhost` resolves to") && why.contains("a loopback address"),
        "{why}"
    );
    assert!(
        web.requests().is_empty(),
        "the server was reached: {:?}",
        web.requests()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_codes_per_artist_a_day_and_unfound_codes_expire() {
    let stack = Stack::new(stack_settings).await;
    let api = stack.api().await;
    let _worker = stack.spawn_worker();
    let (_, token) = api.user("nadia", None).await;
    let (_, other) = api.user("mallory", None).await;
    let artist = artist(&api, &token, "Nadia Rose").await;
    let url = "https://nadia.example/about";

    // Someone else's artist reads as unknown.
    api.expect(
        StatusCode::NOT_FOUND,
        Method::POST,
        &format!("/artists/{artist}/verifications"),
        Some(json!({"profileUrl": url})),
        Some(&other),
    )
    .await;
    for bad in [
        "ftp://nadia.example/",
        "not a url",
        "https://user:pw@nadia.example/",
        "HTTPS://nadia.example/",
        "https://nadiä.example/",
        "https://nadia.example/a page",
        "http://nadia*",
        "https://nadia.example/%zz",
    ] {
        let body = api
            .expect(
                StatusCode::BAD_REQUEST,
                Method::POST,
                &format!("/artists/{artist}/verifications"),
                Some(json!({"profileUrl": bad})),
                Some(&token),
            )
            .await;
        assert_eq!(body["details"][0]["field"], "profileUrl", "{bad}: {body}");
    }

    let (first, _) = request(&api, &token, &artist, url).await;
    request(&api, &token, &artist, url).await;
    request(&api, &token, &artist, url).await;
    let (status, body, headers) = api
        .call(
            Method::POST,
            &format!("/artists/{artist}/verifications"),
            Some(json!({"profileUrl": url})),
            Some(&token),
        )
        .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert_eq!(body["code"], "RATE_LIMITED");
    let retry: u64 = headers["retry-after"]
        .to_str()
        .expect("ascii")
        .parse()
        .expect("seconds");
    assert!(retry > 23 * 3600 && retry <= 24 * 3600, "{retry}");
    // Another owner's view of it is none.
    api.expect(
        StatusCode::NOT_FOUND,
        Method::GET,
        &format!("/verifications/{first}"),
        None,
        Some(&other),
    )
    .await;

    // A code past its validity becomes `expired` by the scheduler, and cannot be checked.
    stack
        .db
        .connect()
        .await
        .batch_execute(&format!(
            "UPDATE artist_verifications SET expires_at = now() - interval '1 second' WHERE id = '{first}'"
        ))
        .await
        .expect("age the code");
    let started = Instant::now();
    loop {
        let body = api
            .expect(
                StatusCode::OK,
                Method::GET,
                &format!("/verifications/{first}"),
                None,
                Some(&token),
            )
            .await;
        if body["data"]["verification"]["status"] == "expired" {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "never expired: {body}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let body = api
        .expect(
            StatusCode::CONFLICT,
            Method::POST,
            &format!("/verifications/{first}/check"),
            None,
            Some(&token),
        )
        .await;
    assert!(
        body["message"]
            .as_str()
            .unwrap_or_default()
            .contains("expired"),
        "{body}"
    );
}
