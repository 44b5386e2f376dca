//! The load generator: one HTTP/1.1 keep-alive connection per virtual client, each sending its
//! next request as soon as the previous answer has been read in full.

use std::time::{Duration, Instant};

use rand::RngExt;
use reqwest::{Client, Method, StatusCode};
use serde_json::json;

use crate::Options;
use crate::seed::{Catalog, PASSWORD, WORDS};

const WARM_UP: Duration = Duration::from_secs(2);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scenario {
    GetAlbum,
    SearchSongs,
    ListPlaylists,
    AddThenRemoveSong,
    /// `GET /albums/{id}/likes` over the first 1000 albums (a hot set the warm-up caches).
    AlbumLikes,
}

impl Scenario {
    const ALL: [Scenario; 4] = [
        Scenario::GetAlbum,
        Scenario::SearchSongs,
        Scenario::ListPlaylists,
        Scenario::AddThenRemoveSong,
    ];
}

#[derive(Default)]
struct Samples {
    latencies: Vec<Duration>,
    errors: usize,
}

impl Samples {
    fn record(&mut self, started: Instant, status: StatusCode) {
        self.latencies.push(started.elapsed());
        if !status.is_success() {
            self.errors += 1;
        }
    }

    fn merge(&mut self, other: Samples) {
        self.latencies.extend(other.latencies);
        self.errors += other.errors;
    }

    fn row(mut self, endpoint: &str, elapsed: Duration) -> String {
        self.latencies.sort();
        let n = self.latencies.len();
        let pct = |p: f64| {
            let i = ((n as f64 * p).ceil() as usize).clamp(1, n.max(1)) - 1;
            self.latencies
                .get(i)
                .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
        };
        format!(
            "| {endpoint} | {n} | {} | {:.0} | {:.2} | {:.2} |\n",
            self.errors,
            n as f64 / elapsed.as_secs_f64(),
            pct(0.50),
            pct(0.99)
        )
    }
}

pub async fn run(options: &Options, catalog: &Catalog) -> anyhow::Result<String> {
    let base = format!("http://127.0.0.1:{}", options.port);
    let client = Client::builder()
        .pool_max_idle_per_host(options.concurrency * 2)
        .build()?;
    let tokens = login_all(&client, &base, options.concurrency).await?;
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let mut report = format!(
        "# backbeat load benchmark\n\n\
         - machine: {cores} cores (API, PostgreSQL and this load generator share them)\n\
         - catalog: {} users, {} albums, {} songs, {} playlists (20 songs each)\n\
         - concurrency: {} keep-alive connections; {} s per endpoint after a {} s warm-up\n\
         - API: release build, default configuration (pool of 16 connections, one HTTP worker per core)\n\n\
         | endpoint | requests | errors | req/s | p50 ms | p99 ms |\n|---|---|---|---|---|---|\n",
        catalog.users,
        catalog.albums,
        catalog.songs,
        catalog.users * catalog.playlists_per_user,
        options.concurrency,
        options.seconds,
        WARM_UP.as_secs()
    );
    for scenario in Scenario::ALL {
        // Warm-up: connections open, caches warm; not measured.
        drive(
            &client,
            &base,
            &tokens,
            catalog,
            scenario,
            options.concurrency,
            WARM_UP,
        )
        .await;
        let duration = Duration::from_secs(options.seconds);
        let started = Instant::now();
        let (first, second) = drive(
            &client,
            &base,
            &tokens,
            catalog,
            scenario,
            options.concurrency,
            duration,
        )
        .await;
        let elapsed = started.elapsed();
        match scenario {
            Scenario::GetAlbum => report.push_str(&first.row("GET /albums/{id}", elapsed)),
            Scenario::SearchSongs => {
                report.push_str(&first.row("GET /songs?title={word}", elapsed))
            }
            Scenario::ListPlaylists => report.push_str(&first.row("GET /playlists", elapsed)),
            Scenario::AddThenRemoveSong => {
                report.push_str(&first.row("POST /playlists/{id}/songs", elapsed));
                report.push_str(&second.row("DELETE /playlists/{id}/songs", elapsed));
            }
            Scenario::AlbumLikes => unreachable!("measured by `likes`"),
        }
        eprintln!("{scenario:?} done");
    }
    report.push_str(
        "\nErrors are non-2xx answers; for POST they are the rare 400s for a random song the seed had \
         already put in that playlist (left alone, so the data does not change).\n",
    );
    Ok(report)
}

async fn login_all(client: &Client, base: &str, count: usize) -> anyhow::Result<Vec<String>> {
    let mut tokens = Vec::with_capacity(count);
    for i in 1..=count {
        let response = client
            .post(format!("{base}/authentications"))
            .json(&json!({"username": format!("bench{i}"), "password": PASSWORD}))
            .send()
            .await?;
        anyhow::ensure!(
            response.status() == StatusCode::CREATED,
            "login of bench{i}: {}",
            response.status()
        );
        let body: serde_json::Value = response.json().await?;
        tokens.push(
            body["data"]["accessToken"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
        );
    }
    Ok(tokens)
}

async fn drive(
    client: &Client,
    base: &str,
    tokens: &[String],
    catalog: &Catalog,
    scenario: Scenario,
    concurrency: usize,
    duration: Duration,
) -> (Samples, Samples) {
    let deadline = Instant::now() + duration;
    let tasks: Vec<_> = (0..concurrency)
        .map(|i| {
            let client = client.clone();
            let base = base.to_owned();
            let token = tokens[i % tokens.len()].clone();
            // Client i is user i+1, whose first playlist is 2i+1.
            let playlist = Catalog::playlist_id(i as i64 * catalog.playlists_per_user + 1);
            let (albums, songs) = (catalog.albums, catalog.songs);
            tokio::spawn(async move {
                let mut first = Samples::default();
                let mut second = Samples::default();
                while Instant::now() < deadline {
                    let (album, song, word) = {
                        let mut rng = rand::rng();
                        (
                            rng.random_range(1..=albums),
                            rng.random_range(1..=songs),
                            WORDS[rng.random_range(0..WORDS.len())],
                        )
                    };
                    match scenario {
                        Scenario::GetAlbum => {
                            let path = format!("{base}/albums/{}", Catalog::album_id(album));
                            let t = Instant::now();
                            first.record(t, send(&client, Method::GET, &path, None, None).await);
                        }
                        Scenario::SearchSongs => {
                            let path = format!("{base}/songs?title={word}");
                            let t = Instant::now();
                            first.record(t, send(&client, Method::GET, &path, None, None).await);
                        }
                        Scenario::AlbumLikes => {
                            let path = format!(
                                "{base}/albums/{}/likes",
                                Catalog::album_id(1 + album % albums.min(1000))
                            );
                            let t = Instant::now();
                            first.record(t, send(&client, Method::GET, &path, None, None).await);
                        }
                        Scenario::ListPlaylists => {
                            let t = Instant::now();
                            first.record(
                                t,
                                send(
                                    &client,
                                    Method::GET,
                                    &format!("{base}/playlists"),
                                    None,
                                    Some(&token),
                                )
                                .await,
                            );
                        }
                        Scenario::AddThenRemoveSong => {
                            let path = format!("{base}/playlists/{playlist}/songs");
                            let body = json!({"songId": Catalog::song_id(song)});
                            let t = Instant::now();
                            let added =
                                send(&client, Method::POST, &path, Some(&body), Some(&token)).await;
                            first.record(t, added);
                            // A song the seed already put there is left alone, so the data never changes.
                            if added == StatusCode::CREATED {
                                let t = Instant::now();
                                second.record(
                                    t,
                                    send(&client, Method::DELETE, &path, Some(&body), Some(&token))
                                        .await,
                                );
                            }
                        }
                    }
                }
                (first, second)
            })
        })
        .collect();
    let mut first = Samples::default();
    let mut second = Samples::default();
    for task in tasks {
        if let Ok((a, b)) = task.await {
            first.merge(a);
            second.merge(b);
        }
    }
    (first, second)
}

/// Sends and reads the whole body; a transport failure counts as a 599.
async fn send(
    client: &Client,
    method: Method,
    url: &str,
    body: Option<&serde_json::Value>,
    token: Option<&str>,
) -> StatusCode {
    let mut request = client.request(method, url);
    if let Some(body) = body {
        request = request.json(body);
    }
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    match request.send().await {
        Ok(response) => {
            let status = response.status();
            let _ = response.bytes().await;
            status
        }
        Err(_) => StatusCode::from_u16(599).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
    }
}

/// One `GET /albums/{id}/likes` measurement against the API on `options.port`: a table row
/// labelled `label`, and the requests per second.
pub async fn likes(
    options: &Options,
    catalog: &Catalog,
    label: &str,
) -> anyhow::Result<(String, f64)> {
    let base = format!("http://127.0.0.1:{}", options.port);
    let client = Client::builder()
        .pool_max_idle_per_host(options.concurrency * 2)
        .build()?;
    let tokens = vec![String::new()];
    drive(
        &client,
        &base,
        &tokens,
        catalog,
        Scenario::AlbumLikes,
        options.concurrency,
        WARM_UP,
    )
    .await;
    let duration = Duration::from_secs(options.seconds);
    let started = Instant::now();
    let (samples, _) = drive(
        &client,
        &base,
        &tokens,
        catalog,
        Scenario::AlbumLikes,
        options.concurrency,
        duration,
    )
    .await;
    let elapsed = started.elapsed();
    let rate = samples.latencies.len() as f64 / elapsed.as_secs_f64();
    Ok((
        samples.row(&format!("GET /albums/{{id}}/likes, {label}"), elapsed),
        rate,
    ))
}
