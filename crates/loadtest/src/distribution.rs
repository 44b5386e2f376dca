//! Bulk distribution throughput: 1000 ready releases to 8 platforms (ERN building and package
//! writing included) with one release worker, then with two; and the p99 of `GET /albums/{id}`
//! while a bulk job runs with one worker and with two, each next to its value at rest, in the
//! same run.

use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use backbeat_config::Settings;
use backbeat_config::secrecy::ExposeSecret;
use diesel_async::{AsyncConnection, AsyncPgConnection, SimpleAsyncConnection};
use serde_json::{Value, json};

use backbeat_storage::Storage;
use backbeat_testkit::garage::Garage;

use crate::seed::Catalog;
use crate::stack::{Processes, http, job, job_id, login, percentile, process};
use crate::{DATABASE, Options};

const PREFIX: &str = "benchdist";
/// The read load during the latency run: well under what the API serves, so that the figures
/// are latencies, not queueing at saturation.
const READS_PER_SECOND: f64 = 200.0;

fn command(
    name: &str,
    options: &Options,
    files: &Path,
    round: usize,
    fsync: bool,
    pace: u32,
    store: &[(String, String)],
) -> Command {
    let mut command = process(name);
    command
        .env("APP_DATABASE__NAME", DATABASE)
        .env("APP_RABBITMQ__PREFIX", PREFIX)
        .env("APP_SERVER__PORT", options.port.to_string())
        .env("APP_STORAGE__ROOT", files.join("storage"))
        .env("APP_DISTRIBUTION__DELIVERY_ROOT", deliveries(files, round))
        .env("APP_DISTRIBUTION__FSYNC", fsync.to_string())
        .env("APP_DISTRIBUTION__BULK_PAIRS_PER_SECOND", pace.to_string())
        .env("APP_SCHEDULER__ACKNOWLEDGEMENTS_SECS", "1")
        .env("APP_MAIL__OUTBOX_DIR", files.join("mail"))
        .env("APP_LOG__FILTER", "warn")
        .envs(crate::stack::NO_RATE_LIMITS.iter().copied())
        .envs(store.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .stdout(Stdio::null());
    command
}

/// Where a round's workers read the releases' files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Store {
    Local,
    /// Every package downloads its files.
    S3,
    /// Through the worker's object cache.
    S3Cached,
}

/// The same releases' files in a one-node Garage on loopback, and the settings pointing at it.
async fn s3_copy(files: &Path) -> anyhow::Result<(Garage, Vec<(String, String)>)> {
    let garage = Garage::start();
    let store = backbeat_storage::S3Store::new(garage.config(&files.join("spool"), 0))?;
    let local = backbeat_storage::LocalFolder::new(files.join("storage"));
    for key in [
        format!("audio/{PREFIX}/master.wav"),
        format!("artwork/{PREFIX}/cover.jpg"),
    ] {
        store.put(&key, &local.get(&key).await?).await?;
    }
    let env = garage.env(&files.join("spool"));
    Ok((garage, env))
}

/// Latencies of an open-loop stream of `GET /albums/{id}`: one request every `1/rate` s whatever
/// the answers take, each timed from when it was due, until `stop` is set.
async fn album_reads(
    port: u16,
    catalog_albums: i64,
    rate: f64,
    stop: Arc<AtomicBool>,
) -> Vec<Duration> {
    let client = http();
    let mut ticker = tokio::time::interval(Duration::from_secs_f64(1.0 / rate));
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let mut tasks = Vec::new();
    let mut n = 0i64;
    loop {
        let due = ticker.tick().await;
        n += 1;
        if stop.load(Ordering::Relaxed) {
            break;
        }
        let url = format!(
            "http://127.0.0.1:{port}/albums/{}",
            Catalog::album_id(1 + n % catalog_albums.min(1000))
        );
        let client = client.clone();
        tasks.push(tokio::spawn(async move {
            let ok = client
                .get(url)
                .send()
                .await
                .is_ok_and(|r| r.status().is_success());
            ok.then(|| due.elapsed())
        }));
    }
    let mut latencies = Vec::with_capacity(tasks.len());
    for task in tasks {
        if let Ok(Some(latency)) = task.await {
            latencies.push(latency);
        }
    }
    latencies.sort();
    latencies
}

/// One bulk job; returns (pairs delivered, seconds from request to finish).
async fn bulk(
    port: u16,
    token: &str,
    albums: &[String],
    platforms: &[String],
) -> anyhow::Result<(i64, f64, String)> {
    let started = Instant::now();
    let body: Value = http()
        .post(format!("http://127.0.0.1:{port}/distributions/bulk"))
        .bearer_auth(token)
        .json(&json!({"albumIds": albums, "platformIds": platforms}))
        .send()
        .await?
        .json()
        .await?;
    let id = job_id(&body)?;
    loop {
        let job = job(port, token, &id).await?;
        if job["status"] == "succeeded" {
            return Ok((
                job["result"]["delivered"].as_i64().unwrap_or(0),
                started.elapsed().as_secs_f64(),
                id,
            ));
        }
        anyhow::ensure!(job["status"] != "dead", "the bulk job died: {job}");
        anyhow::ensure!(
            started.elapsed() < Duration::from_secs(900),
            "the bulk job is still running: {job}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Each round delivers into a folder of its own, all removed at the end: deleting one round's
/// 40,000 files just before the next creates as many would make ext4 (without a journal, as on
/// this machine) scan past every recently deleted inode for each new one, kernel time that
/// would be measured as the bulk job's.
fn deliveries(files: &Path, round: usize) -> std::path::PathBuf {
    files.join(format!("deliveries-{round}"))
}

fn pacing(pairs_per_second: u32) -> String {
    match pairs_per_second {
        0 => "as fast as it can".to_owned(),
        rate => format!("{rate} pairs/s"),
    }
}

/// Removes the distributions a previous bulk run made, so each run does the full work.
async fn reset(conn: &mut AsyncPgConnection) -> anyhow::Result<()> {
    conn.batch_execute(&format!(
        "DELETE FROM distributions WHERE album_id LIKE 'album-{PREFIX}%';
         DELETE FROM delivery_batches WHERE NOT EXISTS (SELECT 1 FROM distribution_messages m
             WHERE m.platform_id = delivery_batches.platform_id AND m.batch_id = delivery_batches.id);
         DELETE FROM acknowledgement_files;
         DELETE FROM jobs WHERE kind LIKE 'bulk_distribution%' OR kind LIKE 'acknowledgement%';
         UPDATE platforms SET delivery_profile = 'release_by_release';"
    ))
    .await?;
    Ok(())
}

/// The platforms answer every batch of a round (ingested), and the workers collect the answers:
/// returns (files, releases acknowledged, seconds from the first file written to the last status
/// recorded).
async fn acknowledge(
    conn: &mut AsyncPgConnection,
    root: &Path,
    codes: &[String],
) -> anyhow::Result<(usize, i64, f64)> {
    use backbeat_testkit::platform::{Answer, StandIn};
    let started = Instant::now();
    let mut files = 0;
    let mut releases = 0;
    for code in codes {
        let mut stand_in = StandIn::new(root.join(code));
        for batch in stand_in.take_batches() {
            stand_in.answer(&batch, |_| Answer::Ingested);
            files += 1;
            releases += batch.messages.len() as i64;
        }
    }
    #[derive(diesel::QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    loop {
        let row: Count = diesel_async::RunQueryDsl::get_result(
            diesel::sql_query(format!(
                "SELECT count(*) AS n FROM distributions
                 WHERE album_id LIKE 'album-{PREFIX}%' AND platform_status = 'ingested'"
            )),
            conn,
        )
        .await?;
        if row.n >= releases {
            return Ok((files, row.n, started.elapsed().as_secs_f64()));
        }
        anyhow::ensure!(
            started.elapsed() < Duration::from_secs(600),
            "{} of {releases} acknowledgements applied",
            row.n
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

pub async fn run(
    settings: &Settings,
    options: &Options,
    catalog: &Catalog,
    releases: usize,
    platforms: usize,
    fsync: bool,
) -> anyhow::Result<String> {
    let configured = settings.distribution.bulk_pairs_per_second;
    let files = tempfile::tempdir()?;
    let url = settings
        .database
        .connection_url()
        .expose_secret()
        .to_owned();
    let mut conn = AsyncPgConnection::establish(&url).await?;
    remove_seed(&mut conn).await?;
    let owner: String = {
        #[derive(diesel::QueryableByName)]
        struct Id {
            #[diesel(sql_type = diesel::sql_types::Text)]
            id: String,
        }
        let row: Id = diesel_async::RunQueryDsl::get_result(
            diesel::sql_query("SELECT id FROM users WHERE username = 'bench1'"),
            &mut conn,
        )
        .await?;
        row.id
    };
    let albums = backbeat_testkit::releases::seed(
        &mut conn,
        &backbeat_storage::LocalFolder::new(files.path().join("storage")),
        &owner,
        PREFIX,
        releases,
        0,
        500_000,
    )
    .await;
    eprintln!("seeded {releases} ready releases");

    let mut report = format!(
        "## Bulk distribution: {releases} releases x {platforms} platforms\n\n\
         - release build; one track per release (1 s WAV, 3000x3000 JPEG artwork); every pair builds its ERN 4.3 \
         message and writes its package (XML, audio, artwork, manifest) to the platform's drop folder, \
         atomically{}\n\
         - each worker paced at `distribution.bulk_pairs_per_second` ({}), or as fast as it can\n         - rows marked \"files from S3\": every master and artwork read from an S3-compatible store \
         (a one-node Garage on loopback) instead of the local folder; without a cache every package \
         downloads its files, with the worker's cache (`storage.s3.cache_bytes`) each object is \
         downloaded once per worker (here every release shares one master and one artwork, so that \
         row is a best case; a real catalog saves the platforms' multiplicity)\n\n\
         | workers | pacing per worker | pairs delivered | seconds | pairs/s |\n|---|---|---|---|---|\n",
        if fsync {
            ", flushed to disk (fsync) before it appears"
        } else {
            " (fsync off)"
        },
        pacing(configured),
    );
    // (pacing, pairs/s) of each throughput round
    let mut rates: Vec<(u32, f64)> = Vec::new();
    // (workers, reads at rest, reads during the bulk job)
    let mut latencies: Vec<(usize, Vec<Duration>, Vec<Duration>)> = Vec::new();
    // One worker, two workers, as fast as they can, then at the configured pace; then each
    // again under a read load, at the configured pace (what a deployment runs).
    let (_garage, s3_env) = s3_copy(files.path()).await?;
    let mut s3_cached = s3_env.clone();
    s3_cached.push((
        "APP_STORAGE__S3__CACHE_BYTES".to_owned(),
        (2u64 << 30).to_string(),
    ));
    use Store::*;
    // (workers, read load, pace, store, batch profile)
    let mut rounds = vec![
        (1, false, 0, Local, false),
        (1, false, 0, Local, true),
        (2, false, 0, Local, false),
        (2, false, 0, Local, true),
    ];
    // The same, every stored file read from the object store.
    rounds.extend([
        (1, false, 0, S3, false),
        (2, false, 0, S3, false),
        (2, false, 0, S3Cached, false),
    ]);
    if configured > 0 {
        rounds.extend([
            (1, false, configured, Local, false),
            (2, false, configured, Local, false),
        ]);
    }
    rounds.extend([
        (1, true, configured, Local, false),
        (2, true, configured, Local, false),
    ]);
    // (workers, batch pairs/s, release-by-release pairs/s)
    let mut by_profile: Vec<(usize, f64, f64)> = Vec::new();
    // (workers, files, releases, seconds)
    let mut intake: Vec<(usize, usize, i64, f64)> = Vec::new();
    // (workers, store, pairs/s), unpaced
    let mut by_store: Vec<(usize, Store, f64)> = Vec::new();
    for (round, (workers, reads, pace, kind, batch)) in rounds.into_iter().enumerate() {
        let store: &[(String, String)] = match kind {
            Local => &[],
            S3 => &s3_env,
            S3Cached => &s3_cached,
        };
        reset(&mut conn).await?;
        if batch {
            conn.batch_execute(
                "UPDATE platforms SET delivery_profile = 'batch', batch_max_releases = 100",
            )
            .await?;
        }
        let mut processes = Processes(vec![
            command(
                "backbeat-api",
                options,
                files.path(),
                round,
                fsync,
                pace,
                store,
            )
            .arg("serve")
            .spawn()?,
        ]);
        for _ in 0..workers {
            processes.0.push(
                command(
                    "backbeat-worker",
                    options,
                    files.path(),
                    round,
                    fsync,
                    pace,
                    store,
                )
                .spawn()?,
            );
        }
        crate::wait_until_ready(options.port).await?;
        let token = login(options.port, "bench1").await?;
        let (platform_ids, codes): (Vec<String>, Vec<String>) = {
            let body: Value = http()
                .get(format!("http://127.0.0.1:{}/platforms", options.port))
                .bearer_auth(&token)
                .send()
                .await?
                .json()
                .await?;
            body["data"]["platforms"]
                .as_array()
                .map(|list| {
                    list.iter()
                        .take(platforms)
                        .filter_map(|p| {
                            Some((p["id"].as_str()?.to_owned(), p["code"].as_str()?.to_owned()))
                        })
                        .unzip()
                })
                .unwrap_or_default()
        };
        // Workers connected and consuming.
        tokio::time::sleep(Duration::from_secs(3)).await;
        if !reads {
            let (delivered, seconds, _) =
                bulk(options.port, &token, &albums, &platform_ids).await?;
            let rate = delivered as f64 / seconds;
            report.push_str(&format!(
                "| {workers}{} | {} | {delivered} | {seconds:.1} | **{rate:.0}** |\n",
                match (kind, batch) {
                    (Local, true) =>
                        ", batch profile (a batch per chunk and platform, BatchComplete last)",
                    (Local, false) => "",
                    (S3, _) => ", files from S3, no cache",
                    (S3Cached, _) => ", files from S3 through the worker's cache",
                },
                pacing(pace),
            ));
            if batch {
                if let Some(last) = by_profile.iter_mut().find(|(w, _, _)| *w == workers) {
                    last.1 = rate;
                }
                let answered =
                    acknowledge(&mut conn, &deliveries(files.path(), round), &codes).await?;
                intake.push((workers, answered.0, answered.1, answered.2));
                continue;
            }
            if pace == 0 && kind == Local {
                by_profile.push((workers, 0.0, rate));
            }
            if pace == 0 {
                by_store.push((workers, kind, rate));
            }
            if kind == Local {
                rates.push((pace, rate));
            }
            continue;
        }
        let stop = Arc::new(AtomicBool::new(false));
        let timer = Arc::clone(&stop);
        let seconds = options.seconds;
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_secs(seconds)).await;
            timer.store(true, Ordering::Relaxed);
        });
        let at_rest = album_reads(options.port, catalog.albums, READS_PER_SECOND, stop).await;
        let stop = Arc::new(AtomicBool::new(false));
        let reads = tokio::spawn(album_reads(
            options.port,
            catalog.albums,
            READS_PER_SECOND,
            Arc::clone(&stop),
        ));
        let result = bulk(options.port, &token, &albums, &platform_ids).await;
        stop.store(true, Ordering::Relaxed);
        let during = reads.await?;
        let (delivered, seconds, _) = result?;
        report.push_str(&format!(
            "| {workers}, under the read load below | {} | {delivered} | {seconds:.1} | {:.0} |\n",
            pacing(pace),
            delivered as f64 / seconds
        ));
        latencies.push((workers, at_rest, during));
    }
    report.push('\n');
    for pair in rates.chunks(2) {
        if let [(pace, one), (_, two)] = pair {
            report.push_str(&format!(
                "two workers / one worker, {}: **{:.2}x**\n",
                pacing(*pace),
                two / one.max(f64::MIN_POSITIVE)
            ));
        }
    }
    for (workers, batch, by_release) in &by_profile {
        report.push_str(&format!(
            "{workers} worker(s), as fast as they go, batch profile / release by release: **{:.2}x**\n",
            batch / by_release.max(f64::MIN_POSITIVE)
        ));
    }
    let rate = |workers: usize, kind: Store| {
        by_store
            .iter()
            .find(|(w, k, _)| *w == workers && *k == kind)
            .map_or(0.0, |(_, _, r)| *r)
    };
    for (workers, kind, what) in [
        (1, S3, "files from S3 without a cache"),
        (2, S3, "files from S3 without a cache"),
        (2, S3Cached, "files from S3 through the cache"),
    ] {
        report.push_str(&format!(
            "{workers} worker(s), as fast as they go, {what} / from the local folder: **{:.2}x**\n",
            rate(workers, kind) / rate(workers, Local).max(f64::MIN_POSITIVE)
        ));
    }
    report.push_str(
        "\n## Acknowledgement intake\n\n\
         - after each batch-profile round, a stand-in platform per drop folder checks every batch \
         and writes one `ErnAcknowledgementStatusMessage` per batch (one status per release in it); the \
         workers' scheduled collection (every 1 s) parses each file, applies it in one transaction \
         and archives it; timed from the first file written to the last status recorded\n\n\
         | workers | files | release statuses | seconds | files/s | statuses/s |\n|---|---|---|---|---|---|\n",
    );
    for (workers, files, releases, seconds) in &intake {
        report.push_str(&format!(
            "| {workers} | {files} | {releases} | {seconds:.1} | **{:.1}** | {:.0} |\n",
            *files as f64 / seconds,
            *releases as f64 / seconds
        ));
    }
    report.push_str(&format!(
        "\n## `GET /albums/{{id}}` at rest and while the bulk job runs (same run)\n\n\
         - open loop: {READS_PER_SECOND} requests/s, each timed from when it was due (queueing included); \
         at rest just before each bulk job, on the same processes; workers paced at {}\n\n\
         | workers | when | requests | p50 ms | p99 ms | p99 during / at rest |\n|---|---|---|---|---|---|\n",
        pacing(configured),
    ));
    for (workers, at_rest, during) in &latencies {
        let rest_p99 = percentile(at_rest, 0.99);
        report.push_str(&format!(
            "| {workers} | at rest | {} | {:.2} | {rest_p99:.2} | |\n\
             | {workers} | during the bulk job | {} | {:.2} | {:.2} | **{:.2}x** |\n",
            at_rest.len(),
            percentile(at_rest, 0.5),
            during.len(),
            percentile(during, 0.5),
            percentile(during, 0.99),
            percentile(during, 0.99) / rest_p99.max(f64::MIN_POSITIVE),
        ));
    }
    reset(&mut conn).await?;
    remove_seed(&mut conn).await?;
    Ok(report)
}

/// The seeded releases, removed so that the catalog is what the other benchmarks expect.
async fn remove_seed(conn: &mut AsyncPgConnection) -> anyhow::Result<()> {
    conn.batch_execute(&format!(
        "DELETE FROM distributions WHERE album_id LIKE 'album-{PREFIX}%';
         DELETE FROM jobs WHERE kind LIKE 'bulk_distribution%';
         DELETE FROM songs WHERE id LIKE 'song-{PREFIX}%';
         DELETE FROM albums WHERE id LIKE 'album-{PREFIX}%';
         DELETE FROM artists WHERE id LIKE 'artist-{PREFIX}%';"
    ))
    .await?;
    Ok(())
}
