//! A local HTTP server that speaks the part of Wistia's API backbeat uses (the media list and
//! each media's stats), with its account limit, for tests and the benchmark. Knobs: 429s with
//! `Retry-After`, server errors, slow pages, and medias added, changed and removed between pages.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use chrono::{DateTime, TimeZone, Utc};
use serde_json::{Value, json};

pub const TOKEN: &str = "wistia-test-token";

/// A media as the server lists it.
#[derive(Debug, Clone)]
pub struct Media {
    pub hashed_id: String,
    pub name: String,
    pub created: DateTime<Utc>,
    pub updated: DateTime<Utc>,
    pub status: String,
    pub archived: bool,
    pub tags: Vec<String>,
    pub plays: i64,
}

impl Media {
    /// The `n`th media: created `n` minutes after a fixed start, ready, tagged `Live`.
    pub fn numbered(n: u32) -> Self {
        let created = Utc
            .with_ymd_and_hms(2026, 1, 1, 0, 0, 0)
            .single()
            .expect("a date")
            + chrono::Duration::minutes(i64::from(n));
        Self {
            hashed_id: format!("m{n:09}"),
            name: format!("Session {n}"),
            created,
            updated: created,
            status: "ready".to_owned(),
            archived: false,
            tags: vec!["Live".to_owned()],
            plays: i64::from(n) * 10,
        }
    }

    fn json(&self) -> Value {
        json!({
            "id": self.hashed_id.len(),
            "hashed_id": self.hashed_id,
            "name": self.name,
            "description": format!("<p>{}</p>", self.name),
            "duration": 187.5,
            "created": self.created.to_rfc3339(),
            "updated": self.updated.to_rfc3339(),
            "status": self.status,
            "archived": self.archived,
            "type": "Video",
            "thumbnail": {"url": format!("https://embed-ssl.wistia.com/deliveries/{}.jpg", self.hashed_id), "width": 200, "height": 120},
            "project": {"id": 7, "name": "Sessions", "hashedId": "prj7"},
            "tags": self.tags.iter().map(|t| json!({"name": t})).collect::<Vec<_>>(),
        })
    }
}

/// A change the server makes to its medias right after serving a page.
#[derive(Debug, Clone)]
pub enum Change {
    Add(Media),
    /// Renames the media and moves its `updated` on.
    Rename(String, String),
    Remove(String),
}

#[derive(Default)]
struct State {
    medias: Vec<Media>,
    /// Requests allowed per rolling minute; `None`: no limit.
    limit_per_minute: Option<usize>,
    recent: VecDeque<Instant>,
    /// The next n requests answer 500.
    fail_next: u32,
    /// Pages that answer 500 (each entry: page, times left).
    failing_pages: HashMap<u32, u32>,
    /// The next n requests answer 429 with this `Retry-After` (seconds).
    throttle_next: (u32, u64),
    /// The next n page requests answer after this delay.
    slow_pages: (u32, Duration),
    /// Requests per page number.
    page_hits: HashMap<u32, u32>,
    after_page: HashMap<u32, Vec<Change>>,
    requests: u64,
    page_requests: u64,
    stats_requests: u64,
    throttled: u64,
    /// Requests in the busiest rolling minute.
    busiest_minute: usize,
}

/// The running server; clones share it.
#[derive(Clone)]
pub struct FakeWistia {
    pub url: String,
    state: Arc<Mutex<State>>,
}

/// What the server saw.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Seen {
    pub requests: u64,
    pub page_requests: u64,
    pub stats_requests: u64,
    /// 429s answered.
    pub throttled: u64,
    pub busiest_minute: usize,
}

impl FakeWistia {
    pub async fn start(medias: Vec<Media>) -> Self {
        let state = Arc::new(Mutex::new(State {
            medias,
            ..State::default()
        }));
        let shared = web::Data::from(Arc::clone(&state));
        let server = HttpServer::new(move || {
            App::new()
                .app_data(shared.clone())
                .route("/v1/medias.json", web::get().to(list))
                .route("/v1/medias/{id}/stats.json", web::get().to(stats))
        })
        .workers(2)
        .disable_signals()
        .bind(("127.0.0.1", 0))
        .expect("bind the fake Wistia");
        let port = server.addrs()[0].port();
        tokio::spawn(server.run());
        Self {
            url: format!("http://127.0.0.1:{port}"),
            state,
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().expect("fake Wistia state")
    }

    /// Wistia's account limit: over it, 429 with `Retry-After`.
    pub fn limit_per_minute(&self, limit: usize) {
        self.state().limit_per_minute = Some(limit);
    }

    pub fn fail_next(&self, requests: u32) {
        self.state().fail_next = requests;
    }

    /// Page `page` answers 500 the next `times` times it is asked for.
    pub fn fail_page(&self, page: u32, times: u32) {
        self.state().failing_pages.insert(page, times);
    }

    pub fn throttle_next(&self, requests: u32, retry_after_secs: u64) {
        self.state().throttle_next = (requests, retry_after_secs);
    }

    /// The next `pages` page requests answer only after `delay`.
    pub fn slow_pages(&self, pages: u32, delay: Duration) {
        self.state().slow_pages = (pages, delay);
    }

    /// How many times page `page` was asked for.
    pub fn page_hits(&self, page: u32) -> u32 {
        self.state().page_hits.get(&page).copied().unwrap_or(0)
    }

    /// Applies `change` right after page `page` is served (once).
    pub fn after_page(&self, page: u32, change: Change) {
        self.state()
            .after_page
            .entry(page)
            .or_default()
            .push(change);
    }

    /// Changes the medias now.
    pub fn apply(&self, change: Change) {
        apply(&mut self.state().medias, change);
    }

    pub fn set_archived(&self, hashed_id: &str, archived: bool) {
        let mut state = self.state();
        if let Some(m) = state.medias.iter_mut().find(|m| m.hashed_id == hashed_id) {
            m.archived = archived;
            m.updated += chrono::Duration::seconds(1);
        }
    }

    /// Takes every Wistia tag off the media.
    pub fn clear_tags(&self, hashed_id: &str) {
        let mut state = self.state();
        if let Some(m) = state.medias.iter_mut().find(|m| m.hashed_id == hashed_id) {
            m.tags.clear();
            m.updated += chrono::Duration::seconds(1);
        }
    }

    pub fn set_plays(&self, hashed_id: &str, plays: i64) {
        let mut state = self.state();
        if let Some(m) = state.medias.iter_mut().find(|m| m.hashed_id == hashed_id) {
            m.plays = plays;
        }
    }

    pub fn seen(&self) -> Seen {
        let state = self.state();
        Seen {
            requests: state.requests,
            page_requests: state.page_requests,
            stats_requests: state.stats_requests,
            throttled: state.throttled,
            busiest_minute: state.busiest_minute,
        }
    }
}

fn apply(medias: &mut Vec<Media>, change: Change) {
    match change {
        Change::Add(media) => medias.push(media),
        Change::Rename(id, name) => {
            if let Some(m) = medias.iter_mut().find(|m| m.hashed_id == id) {
                m.name = name;
                m.updated += chrono::Duration::seconds(1);
            }
        }
        Change::Remove(id) => medias.retain(|m| m.hashed_id != id),
    }
}

/// Counts the request and answers what the knobs say before the route does, if anything.
fn gate(state: &mut State, request: &HttpRequest) -> Option<HttpResponse> {
    state.requests += 1;
    let authorized = request
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        == Some(format!("Bearer {TOKEN}").as_str());
    if !authorized {
        return Some(HttpResponse::Unauthorized().json(json!({"error": "unauthorized"})));
    }
    let now = Instant::now();
    while state
        .recent
        .front()
        .is_some_and(|t| now.duration_since(*t) >= Duration::from_secs(60))
    {
        state.recent.pop_front();
    }
    if let Some(limit) = state.limit_per_minute
        && state.recent.len() >= limit
    {
        state.throttled += 1;
        let oldest = state.recent.front().copied().unwrap_or(now);
        let wait = Duration::from_secs(60).saturating_sub(now.duration_since(oldest));
        return Some(
            HttpResponse::TooManyRequests()
                .insert_header(("Retry-After", wait.as_secs().max(1).to_string()))
                .json(json!({"error": "rate limit exceeded"})),
        );
    }
    state.recent.push_back(now);
    state.busiest_minute = state.busiest_minute.max(state.recent.len());
    if state.throttle_next.0 > 0 {
        state.throttle_next.0 -= 1;
        state.throttled += 1;
        return Some(
            HttpResponse::TooManyRequests()
                .insert_header(("Retry-After", state.throttle_next.1.to_string()))
                .json(json!({"error": "rate limit exceeded"})),
        );
    }
    if state.fail_next > 0 {
        state.fail_next -= 1;
        return Some(HttpResponse::ServiceUnavailable().json(json!({"error": "try later"})));
    }
    None
}

async fn list(
    state: web::Data<Mutex<State>>,
    request: HttpRequest,
    query: web::Query<HashMap<String, String>>,
) -> HttpResponse {
    let page: u32 = query.get("page").and_then(|p| p.parse().ok()).unwrap_or(1);
    let per_page: usize = query
        .get("per_page")
        .and_then(|p| p.parse().ok())
        .unwrap_or(10);
    let delay = {
        let mut state = state.lock().expect("state");
        if let Some(refused) = gate(&mut state, &request) {
            return refused;
        }
        state.page_requests += 1;
        *state.page_hits.entry(page).or_default() += 1;
        if let Some(times) = state.failing_pages.get_mut(&page)
            && *times > 0
        {
            *times -= 1;
            return HttpResponse::InternalServerError().json(json!({"error": "boom"}));
        }
        if state.slow_pages.0 > 0 {
            state.slow_pages.0 -= 1;
            state.slow_pages.1
        } else {
            Duration::ZERO
        }
    };
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    let mut state = state.lock().expect("state");
    let mut sorted: Vec<&Media> = state.medias.iter().collect();
    sorted.sort_by_key(|m| (m.created, m.hashed_id.clone()));
    let body: Vec<Value> = sorted
        .into_iter()
        .skip((page.max(1) as usize - 1) * per_page)
        .take(per_page)
        .map(Media::json)
        .collect();
    if let Some(changes) = state.after_page.remove(&page) {
        for change in changes {
            apply(&mut state.medias, change);
        }
    }
    HttpResponse::Ok().json(body)
}

async fn stats(
    state: web::Data<Mutex<State>>,
    request: HttpRequest,
    id: web::Path<String>,
) -> HttpResponse {
    let mut state = state.lock().expect("state");
    if let Some(refused) = gate(&mut state, &request) {
        return refused;
    }
    state.stats_requests += 1;
    match state.medias.iter().find(|m| m.hashed_id == *id) {
        Some(m) => HttpResponse::Ok().json(json!({
            "stats": {"plays": m.plays, "visitors": m.plays / 2, "pageLoads": m.plays * 3}
        })),
        None => HttpResponse::NotFound().json(json!({"error": "not found"})),
    }
}
