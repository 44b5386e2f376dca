//! Usage import, royalty run and analytics at scale, each next to its floor in the same run:
//!
//! 1. a CSV usage report of `lines` lines over `songs` songs (ISRCs set on the seeded songs, three
//!    payees splitting each) imported through the API by one release worker: lines/s, and the
//!    worker's peak RSS next to the file's size; beside it, a bare `COPY` of the same file into an
//!    unindexed table;
//! 2. the royalty run of that period: seconds, beside the run's main `GROUP BY` alone;
//! 3. its approval: every statement emailed with its CSV and PDF (seconds, worker peak RSS),
//!    beside one PDF rendered alone;
//! 4. the same lines as a three-file gzipped DSR uploaded out of order: lines/s beside the CSV;
//! 5. p50/p99 of each analytics endpoint over the imported period.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use backbeat_config::Settings;
use backbeat_config::secrecy::ExposeSecret;
use diesel_async::{AsyncConnection, AsyncPgConnection, SimpleAsyncConnection};
use futures_util::SinkExt;
use serde_json::{Value, json};

use crate::seed::Catalog;
use crate::stack::{Processes, login, percentile, process, wait_job};
use crate::{DATABASE, Options};

const PREFIX: &str = "benchroyal";
const PERIOD: &str = "2026-10";
const TERRITORIES: [&str; 20] = [
    "US", "GB", "DE", "FR", "BR", "MX", "JP", "KR", "IN", "CA", "AU", "ES", "IT", "NL", "SE", "PL",
    "TR", "ID", "NG", "ZA",
];
const LIMIT: Duration = Duration::from_secs(3600);

fn command(name: &str, options: &Options, files: &Path) -> Command {
    let mut command = process(name);
    command
        .env("APP_DATABASE__NAME", DATABASE)
        .env("APP_RABBITMQ__PREFIX", PREFIX)
        .env("APP_SERVER__PORT", options.port.to_string())
        .env("APP_STORAGE__ROOT", files.join("storage"))
        .env("APP_MAIL__OUTBOX_DIR", files.join("mail"))
        .env("APP_ROYALTIES__REPORT_MAX_BYTES", (64u64 << 30).to_string())
        .env("APP_LOG__FILTER", "warn")
        .envs(crate::stack::NO_RATE_LIMITS.iter().copied())
        .stdout(Stdio::null());
    command
}

fn isrc(song: i64) -> String {
    format!("QZBEN26{song:05}")
}

/// Clears what an earlier run left, gives the first `songs` songs ISRCs and four payees each
/// (bench2 50%, bench3 30%, bench4 10%, and 10% to a payee of the song's own known by email, so
/// a run writes a statement for each of `songs` + 3 payees), and makes bench1 an admin.
async fn prepare(conn: &mut AsyncPgConnection, songs: i64) -> anyhow::Result<()> {
    anyhow::ensure!(songs <= 99_999, "ISRCs here number songs with five digits");
    conn.batch_execute(&format!(
        "DROP TABLE IF EXISTS usage_lines_p{compact} CASCADE;
         DROP TABLE IF EXISTS bench_copy;
         TRUNCATE usage_reports, usage_rejections, usage_by_song, usage_by_owner, usage_by_owner_song,
                  royalty_run_lines, royalty_shares, royalty_statements, royalty_runs, period_splits,
                  song_splits, advances, fx_rates, payees CASCADE;
         TRUNCATE payout_payments, payout_batches;
         DELETE FROM jobs WHERE kind IN ('usage_import', 'royalty_run', 'royalty_statement_email');
         UPDATE songs SET isrc = NULL WHERE isrc LIKE 'QZBEN%';
         UPDATE songs SET isrc = 'QZBEN26' || lpad(substr(id, 7)::bigint::text, 5, '0')
           WHERE id <= '{last}';
         UPDATE users SET role = 'admin' WHERE username = 'bench1';
         INSERT INTO payees (id, user_id)
           SELECT 'payee-bench' || i, 'user-b' || lpad(i::text, 15, '0') FROM generate_series(2, 4) i;
         INSERT INTO song_splits (song_id, payee_id, share_bps)
           SELECT s.id, p.id, p.bps FROM songs s,
                  (VALUES ('payee-bench2', 5000), ('payee-bench3', 3000), ('payee-bench4', 1000)) p(id, bps)
           WHERE s.id <= '{last}';
         INSERT INTO payees (id, email)
           SELECT 'payee-benchfan' || substr(id, 7), 'fan' || substr(id, 7) || '@bench.example'
           FROM songs WHERE id <= '{last}';
         INSERT INTO song_splits (song_id, payee_id, share_bps)
           SELECT id, 'payee-benchfan' || substr(id, 7), 1000 FROM songs WHERE id <= '{last}';",
        compact = PERIOD.replace('-', ""),
        last = Catalog::song_id(songs),
    ))
    .await?;
    Ok(())
}

/// Writes the report: `lines` lines over `songs` songs, 20 territories, a quarter in EUR.
fn write_report(path: &Path, lines: u64, songs: i64) -> anyhow::Result<u64> {
    let mut out = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(path)?);
    writeln!(
        out,
        "transaction_id,isrc,upc,territory,use_type,units,net_revenue,currency"
    )?;
    for n in 0..lines {
        let song = 1 + (n as i64 * 7919) % songs;
        let territory = TERRITORIES[((n / 7) % 20) as usize];
        let (use_type, units) = if n % 50 == 0 {
            ("download", 1)
        } else {
            ("stream", 1 + n % 5)
        };
        let currency = if n % 4 == 0 { "EUR" } else { "USD" };
        writeln!(
            out,
            "t{n},{},,{territory},{use_type},{units},0.{:06},{currency}",
            isrc(song),
            (n * 7919) % 1_000_000
        )?;
    }
    out.flush()?;
    Ok(std::fs::metadata(path)?.len())
}

/// Writes the same usage as a DSR (Basic Audio 1.3) in three gzipped files: one block per song
/// (its release and sound recording) in the file of its third of the catalog, `lines` usage
/// lines in all, one summary record per territory and file. Returns each file's path and size.
fn write_dsr(dir: &Path, lines: u64, songs: i64) -> anyhow::Result<Vec<(std::path::PathBuf, u64)>> {
    const FILES: i64 = 3;
    let head = "#HEAD\tMessageVersion\tProfile\tProfileVersion\tMessageId\tMessageCreatedDateTime\tFileNumber\tNumberOfFiles\tUsageStartDate\tUsageEndDate\tSenderPartyId\tSenderName\tServiceDescription\tRecipientPartyId\tRecipientName\n\
        #SY02.03\tSummaryRecordId\tDistributionChannel\tDistributionChannelDPID\tCommercialModel\tUseType\tTerritory\tServiceDescription\tUsages\tUsers\tCurrency\tNetRevenue\n\
        #RE01.02\tBlockId\tReleaseReference\tDspReleaseId\tProprietaryReleaseId\tCatalogNumber\tICPN\tDisplayArtistName\tDisplayArtistPartyId\tTitle\tSubTitle\tReleaseType\n\
        #AS02.03\tBlockId\tResourceReference\tDspResourceId\tISRC\tTitle\tSubTitle\tDisplayArtistName\tDisplayArtistPartyId\tDuration\tResourceType\n\
        #SU02.02\tBlockId\tSummaryRecordId\tSalesTransactionId\tTransactedRelease\tTransactedResource\tIsRoyaltyBearing\tNumberOfStreams\n\
        #FOOT\tNumberOfLinesInFile\tNumberOfLinesInReport\tNumberOfSummaryRecords\tNumberOfBlocksInFile\tNumberOfBlocksInReport\n";
    let per_song = lines / songs as u64;
    anyhow::ensure!(
        per_song * songs as u64 == lines,
        "lines must be a multiple of songs"
    );
    // Lines per file: HEAD, 6 headings, 20 summaries, per block RE01 + AS02 + usages, FOOT.
    let songs_of = |f: i64| (f * songs / FILES + 1)..=((f + 1) * songs / FILES);
    let lines_of = |f: i64| {
        let blocks = songs_of(f).count() as u64;
        1 + 6 + 20 + blocks * (2 + per_song) + 1
    };
    let report_lines: u64 = (0..FILES).map(lines_of).sum();
    let mut out = Vec::new();
    for f in 0..FILES {
        let path = dir.join(format!("report_{}of{FILES}.tsv.gz", f + 1));
        let file = std::fs::File::create(&path)?;
        let gz = flate2::write::GzEncoder::new(file, flate2::Compression::fast());
        let mut w = std::io::BufWriter::with_capacity(1 << 20, gz);
        writeln!(
            w,
            "HEAD\tdsrf/1.3/1.4.1/1.2\tBasicAudioProfile\t1.3\tBENCH-DSR-1\t2026-10-05T10:00:00Z\t{}\t{FILES}\t2026-09-01\t2026-09-30\tPADPIDA2026BENCH\tBench Music\tAdFunded\tPADPIDA2026BACKBEAT\tbackbeat",
            f + 1
        )?;
        w.write_all(head.as_bytes())?;
        // Each territory's summary: its usages and revenue in this file.
        let mut usages = [0u64; 20];
        for song in songs_of(f) {
            for k in 0..per_song {
                usages[((song as u64 + k) % 20) as usize] += 1 + k % 5;
            }
        }
        for (t, territory) in TERRITORIES.iter().enumerate() {
            writeln!(
                w,
                "SY02.03\tS{t}\tBench Music\t\tAdvertisementSupportedModel\tStream\t{territory}\tAdFunded\t{}\t\tUSD\t{}.{:02}",
                usages[t],
                usages[t] / 250,
                usages[t] % 100
            )?;
        }
        for song in songs_of(f) {
            writeln!(
                w,
                "RE01.02\t{song}\tR{song}\tdsp-R{song}\t\t\t\tBench\t\tRelease {song}\t\tSingle"
            )?;
            writeln!(
                w,
                "AS02.03\t{song}\tA{song}\tdsp-A{song}\t{}\tSong {song}\t\tBench\t\tPT3M0S\tSoundRecording",
                isrc(song)
            )?;
            for k in 0..per_song {
                writeln!(
                    w,
                    "SU02.02\t{song}\tS{}\tT{song}-{k}\t\tA{song}\tTRUE\t{}",
                    (song as u64 + k) % 20,
                    1 + k % 5
                )?;
            }
        }
        let blocks = songs_of(f).count();
        writeln!(
            w,
            "FOOT\t{}\t{report_lines}\t20\t{blocks}\t{songs}",
            lines_of(f)
        )?;
        w.into_inner().map_err(|e| e.into_error())?.finish()?;
        let size = std::fs::metadata(&path)?.len();
        out.push((path, size));
    }
    Ok(out)
}

/// Uploads a usage report in one multipart body (the API streams it to storage).
async fn upload(
    http: &reqwest::Client,
    base: &str,
    token: &str,
    fields: &[(&str, &str)],
    (file_name, content_type, content): (&str, &str, Vec<u8>),
) -> anyhow::Result<Value> {
    let boundary = "bench-boundary-7f3a";
    let mut body = Vec::with_capacity(content.len() + 1024);
    for (name, value) in fields {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    body.extend_from_slice(
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\nContent-Type: {content_type}\r\n\r\n")
            .as_bytes(),
    );
    body.extend_from_slice(&content);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    Ok(http
        .post(format!("{base}/usage-reports"))
        .bearer_auth(token)
        .header(
            "Content-Type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(body)
        .send()
        .await?
        .json()
        .await?)
}

/// Milliseconds to render one statement's PDF (no database): a payee on three platforms in the
/// twenty territories, twelve months charted, two advances; the median of `times` renders.
fn pdf_render_ms(times: usize) -> (f64, usize) {
    use backbeat_db::royalty_statements::{AdvanceBalance, PlatformTerritory, Statement};
    use backbeat_domain::ids::{PayeeId, RunId, StatementId};
    use backbeat_domain::money::Decimal;
    use backbeat_services::royalties::statement_pdf::{StatementPdf, render};
    let amount = |n: i64| Decimal::new(n, 4);
    let stored = Statement {
        id: StatementId("statement-bench".to_owned()),
        run_id: RunId("run-bench".to_owned()),
        period: backbeat_domain::period::Period::parse("period", PERIOD).expect("period"),
        payee_id: PayeeId("payee-bench".to_owned()),
        currency: "USD".to_owned(),
        opening_balance: amount(0),
        gross: amount(1_234_567),
        fee: amount(185_185),
        earnings: amount(1_049_382),
        advances: amount(0),
        advances_recouped: amount(0),
        closing_balance: amount(0),
        payable: amount(1_049_382),
        email: None,
        csv_sha256: None,
        created_at: chrono::DateTime::UNIX_EPOCH,
        approved_at: None,
        approved_by: None,
    };
    let lines: Vec<PlatformTerritory> = ["Spotify", "Apple Music", "Deezer"]
        .iter()
        .flat_map(|p| {
            TERRITORIES
                .iter()
                .enumerate()
                .map(move |(n, t)| PlatformTerritory {
                    platform: p.to_string(),
                    territory: t.to_string(),
                    units: 1000 + n as i64,
                    gross: amount(60_000),
                    fee: amount(9_000),
                    earnings: amount(51_000),
                })
        })
        .collect();
    let months: Vec<(String, Decimal)> = (1..=12)
        .map(|m| (format!("2026-{m:02}"), amount(500_000 + m * 40_000)))
        .collect();
    // A release advance being recouped and a general one waiting behind it.
    let advances: Vec<AdvanceBalance> = [
        (Some("Bench release 1"), 2_000_000, 510_000),
        (None, 500_000, 0),
    ]
    .into_iter()
    .enumerate()
    .map(|(n, (album, opening, recouped))| AdvanceBalance {
        advance_id: backbeat_domain::ids::AdvanceId(format!("adv-bench{n}")),
        note: Some(format!("Advance {}", n + 1)),
        album_ids: album.iter().map(|_| "alb-bench1".to_owned()).collect(),
        album_names: album.iter().map(|a| (*a).to_owned()).collect(),
        opening: amount(opening),
        advanced: Decimal::ZERO,
        recouped: amount(recouped),
        closing: amount(opening - recouped),
    })
    .collect();
    let statement = StatementPdf {
        statement: &stored,
        payee: "fan00001@bench.example",
        lines: &lines,
        advances: &advances,
        months: &months,
    };
    let mut timings = Vec::with_capacity(times);
    let mut size = 0;
    for _ in 0..times {
        let started = Instant::now();
        size = render(&statement).len();
        timings.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    timings.sort_by(f64::total_cmp);
    (timings[times / 2], size)
}

async fn postgres(url: &str) -> anyhow::Result<tokio_postgres::Client> {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls).await?;
    tokio::spawn(connection);
    Ok(client)
}

/// The floor for the import: the same file `COPY`ed as CSV into an unindexed table.
async fn bare_copy(url: &str, file: &Path) -> anyhow::Result<f64> {
    let client = postgres(url).await?;
    client
        .batch_execute(
            "DROP TABLE IF EXISTS bench_copy;
             CREATE TABLE bench_copy (transaction_id text, isrc text, upc text, territory text,
                 use_type text, units bigint, net_revenue numeric, currency text)",
        )
        .await?;
    let started = Instant::now();
    let sink = client
        .copy_in("COPY bench_copy FROM STDIN (FORMAT csv, HEADER true)")
        .await?;
    let mut sink = Box::pin(sink);
    let mut input = tokio::fs::File::open(file).await?;
    let mut buffer = vec![0u8; 1 << 20];
    loop {
        let n = tokio::io::AsyncReadExt::read(&mut input, &mut buffer).await?;
        if n == 0 {
            break;
        }
        sink.send(bytes::Bytes::copy_from_slice(&buffer[..n]))
            .await?;
    }
    sink.as_mut().finish().await?;
    let seconds = started.elapsed().as_secs_f64();
    client.batch_execute("DROP TABLE bench_copy").await?;
    Ok(seconds)
}

/// The floor for the run: its one pass over the lines (the same query), alone.
async fn bare_group_by(url: &str) -> anyhow::Result<f64> {
    let mut conn = AsyncPgConnection::establish(url).await?;
    let period = backbeat_domain::period::Period::parse("period", PERIOD)?;
    let query = backbeat_db::royalty_runs::usage_query(&mut conn, period).await?;
    let client = postgres(url).await?;
    client
        .batch_execute("SET work_mem = '256MB'; SET jit = off")
        .await?;
    let started = Instant::now();
    client
        .query_one(&format!("SELECT count(*) FROM ({query}) x"), &[])
        .await?;
    Ok(started.elapsed().as_secs_f64())
}

fn seconds_between(report: &Value, from: &str, to: &str) -> f64 {
    let at = |field: &str| {
        report[field]
            .as_str()
            .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
    };
    match (at(from), at(to)) {
        (Some(a), Some(b)) => (b - a).num_milliseconds() as f64 / 1000.0,
        _ => f64::NAN,
    }
}

/// Closed-loop GETs from `concurrency` clients for `seconds`: sorted latencies and errors.
async fn drive(
    url: String,
    token: String,
    concurrency: usize,
    seconds: u64,
) -> (Vec<Duration>, usize) {
    let stop = Arc::new(AtomicBool::new(false));
    let client = crate::stack::http();
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let (client, url, token, stop) = (client.clone(), url.clone(), token.clone(), stop.clone());
        tasks.push(tokio::spawn(async move {
            let (mut latencies, mut errors) = (Vec::new(), 0usize);
            while !stop.load(Ordering::Relaxed) {
                let started = Instant::now();
                match client.get(&url).bearer_auth(&token).send().await {
                    Ok(r) if r.status().is_success() => {
                        let _ = r.bytes().await;
                        latencies.push(started.elapsed());
                    }
                    _ => errors += 1,
                }
            }
            (latencies, errors)
        }));
    }
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    stop.store(true, Ordering::Relaxed);
    let (mut all, mut errors) = (Vec::new(), 0);
    for task in tasks {
        if let Ok((latencies, e)) = task.await {
            all.extend(latencies);
            errors += e;
        }
    }
    all.sort();
    (all, errors)
}

/// Waits for the job of an accepted request, then reads what it made: `(id field, collection
/// path, data key)`, e.g. `("runId", "royalties/runs", "run")`.
async fn follow(
    http: &reqwest::Client,
    base: &str,
    token: &str,
    port: u16,
    accepted: &Value,
    (id_field, path, key): (&str, &str, &str),
) -> anyhow::Result<Value> {
    let id = accepted["data"][id_field]
        .as_str()
        .ok_or_else(|| anyhow::anyhow!("refused: {accepted}"))?;
    let job = accepted["data"]["jobId"].as_str().unwrap_or_default();
    wait_job(port, token, job, LIMIT).await?;
    let body: Value = http
        .get(format!("{base}/{path}/{id}"))
        .bearer_auth(token)
        .send()
        .await?
        .json()
        .await?;
    Ok(body["data"][key].clone())
}

pub async fn run(
    settings: &Settings,
    options: &Options,
    lines: u64,
    songs: i64,
) -> anyhow::Result<String> {
    let files = tempfile::tempdir()?;
    let url = settings
        .database
        .connection_url()
        .expose_secret()
        .to_owned();
    let mut conn = AsyncPgConnection::establish(&url).await?;
    prepare(&mut conn, songs).await?;
    let file = files.path().join("report.csv");
    let started = Instant::now();
    let bytes = write_report(&file, lines, songs)?;
    eprintln!(
        "wrote {lines} lines ({:.0} MiB) in {:.1} s",
        bytes as f64 / 1048576.0,
        started.elapsed().as_secs_f64()
    );

    let copy_seconds = bare_copy(&url, &file).await?;
    eprintln!("bare COPY: {copy_seconds:.1} s");

    let mut processes = Processes(vec![
        command("backbeat-api", options, files.path())
            .arg("serve")
            .spawn()?,
    ]);
    // The worker's log says where the run's time went, step by step.
    let worker_log = files.path().join("worker.log");
    let worker = command("backbeat-worker", options, files.path())
        .env(
            "APP_LOG__FILTER",
            "warn,backbeat_services::royalties::runs=info",
        )
        .env("APP_LOG__FORMAT", "json")
        .stderr(std::fs::File::create(&worker_log)?)
        .spawn()?;
    let worker_pid = worker.id();
    processes.0.push(worker);
    crate::wait_until_ready(options.port).await?;
    let token = login(options.port, "bench1").await?;
    let http = crate::stack::http();
    let base = format!("http://127.0.0.1:{}", options.port);
    let platforms: Value = http
        .get(format!("{base}/platforms"))
        .bearer_auth(&token)
        .send()
        .await?
        .json()
        .await?;
    let platform = platforms["data"]["platforms"][0]["id"]
        .as_str()
        .ok_or_else(|| anyhow::anyhow!("no platform: {platforms}"))?
        .to_owned();

    // The upload: one multipart body (the loadtest holds it; the API streams it to storage).
    let uploading = Instant::now();
    let accepted = upload(
        &http,
        &base,
        &token,
        &[
            ("platformId", &platform),
            ("period", PERIOD),
            ("format", "csv"),
        ],
        ("report.csv", "text/csv", std::fs::read(&file)?),
    )
    .await?;
    let upload_seconds = uploading.elapsed().as_secs_f64();
    let report = follow(
        &http,
        &base,
        &token,
        options.port,
        &accepted,
        ("reportId", "usage-reports", "report"),
    )
    .await?;
    let worker_rss = crate::stack::memory_mib(worker_pid, "VmHWM").unwrap_or(0.0);
    anyhow::ensure!(report["status"] == "imported", "import failed: {report}");
    let import_seconds = seconds_between(&report, "startedAt", "finishedAt");
    eprintln!("import: {import_seconds:.1} s");

    // The import leaves ten million fresh rows that autovacuum then visits for a while; the run
    // is timed once it has (runs come days after imports), and the wait is reported.
    let settling = Instant::now();
    let client = postgres(&url).await?;
    while settling.elapsed() < Duration::from_secs(300)
        && client
            .query_one(
                "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'autovacuum:%usage_lines%'",
                &[],
            )
            .await?
            .get::<_, i64>(0)
            > 0
    {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let settle_seconds = settling.elapsed().as_secs_f64();
    eprintln!("autovacuum settled in {settle_seconds:.1} s");

    // The run.
    http.put(format!("{base}/royalties/fx/{PERIOD}"))
        .bearer_auth(&token)
        .json(&json!({"rates": {"EUR": "1.08"}}))
        .send()
        .await?
        .error_for_status()?;
    let accepted: Value = http
        .post(format!("{base}/royalties/runs"))
        .bearer_auth(&token)
        .json(&json!({"period": PERIOD}))
        .send()
        .await?
        .json()
        .await?;
    let run = follow(
        &http,
        &base,
        &token,
        options.port,
        &accepted,
        ("runId", "royalties/runs", "run"),
    )
    .await?;
    anyhow::ensure!(run["status"] == "succeeded", "run failed: {run}");
    let run_seconds = seconds_between(&run, "startedAt", "finishedAt");
    let group_by_seconds = bare_group_by(&url).await?;
    let run_steps = std::fs::read_to_string(&worker_log)?
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .find(|line| line["message"] == "royalty run computed")
        .and_then(|line| line["steps"].as_str().map(str::to_owned))
        .unwrap_or_else(|| "(not logged)".to_owned());
    eprintln!(
        "run: {run_seconds:.1} s (GROUP BY alone {group_by_seconds:.1} s); steps: {run_steps}"
    );

    // Approval: every statement is emailed with its CSV and PDF, rendered by the worker.
    let (render_ms, pdf_bytes) = pdf_render_ms(1001);
    let approving = Instant::now();
    let approval: Value = http
        .post(format!(
            "{base}/royalties/runs/{}/approval",
            run["id"].as_str().unwrap_or_default()
        ))
        .bearer_auth(&token)
        .send()
        .await?
        .json()
        .await?;
    let to_email = approval["data"]["approval"]["emailed"]
        .as_i64()
        .unwrap_or(0);
    anyhow::ensure!(to_email > 0, "approval emailed nobody: {approval}");
    loop {
        let sent: i64 = client
            .query_one(
                "SELECT count(*) FROM royalty_statements s
                 JOIN royalty_runs r ON r.id = s.run_id AND r.status = 'succeeded'
                 WHERE s.csv_sha256 IS NOT NULL",
                &[],
            )
            .await?
            .get(0);
        if sent >= to_email {
            break;
        }
        anyhow::ensure!(
            approving.elapsed() < LIMIT,
            "{sent} of {to_email} statements emailed"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let email_seconds = approving.elapsed().as_secs_f64();
    let email_rss = crate::stack::memory_mib(worker_pid, "VmHWM").unwrap_or(0.0);
    eprintln!("{to_email} statements emailed with CSV and PDF in {email_seconds:.1} s");

    // The same number of lines as a three-file gzipped DSR, uploaded out of order, in September.
    let writing = Instant::now();
    let dsr = write_dsr(files.path(), lines, songs)?;
    let dsr_bytes: u64 = dsr.iter().map(|(_, size)| size).sum();
    eprintln!(
        "wrote the DSR ({:.0} MiB gzipped) in {:.1} s",
        dsr_bytes as f64 / 1048576.0,
        writing.elapsed().as_secs_f64()
    );
    let mut first_file = String::new();
    let mut dsr_started = Instant::now();
    for n in [1, 2, 0] {
        let (path, _) = &dsr[n];
        let name = path
            .file_name()
            .and_then(|f| f.to_str())
            .unwrap_or("report.tsv.gz");
        let accepted = upload(
            &http,
            &base,
            &token,
            &[
                ("platformId", &platform),
                ("period", "2026-09"),
                ("format", "dsr"),
            ],
            (name, "application/gzip", std::fs::read(path)?),
        )
        .await?;
        let id = accepted["data"]["reportId"]
            .as_str()
            .ok_or_else(|| anyhow::anyhow!("DSR file refused: {accepted}"))?;
        if n == 0 {
            first_file = id.to_owned();
        }
        // The set imports once its last file is in: time from that upload's answer.
        dsr_started = Instant::now();
    }
    let dsr_report = loop {
        let body: Value = http
            .get(format!("{base}/usage-reports/{first_file}"))
            .bearer_auth(&token)
            .send()
            .await?
            .json()
            .await?;
        let report = body["data"]["report"].clone();
        if report["status"] == "imported" || report["status"] == "failed" {
            break report;
        }
        anyhow::ensure!(
            dsr_started.elapsed() < LIMIT,
            "the DSR never imported: {report}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let dsr_seconds = dsr_started.elapsed().as_secs_f64();
    anyhow::ensure!(
        dsr_report["status"] == "imported",
        "DSR import failed: {dsr_report}"
    );
    eprintln!("DSR import: {dsr_seconds:.1} s");

    // Analytics, as bench1 (an admin, owning songs 1, 1001, ...).
    let range = "from=2026-01&to=2026-12";
    let endpoints = [
        format!("/songs/{}/analytics?{range}", Catalog::song_id(1)),
        format!(
            "/songs/{}/analytics?{range}&groupBy=territory",
            Catalog::song_id(1)
        ),
        format!(
            "/albums/{}/analytics?{range}&groupBy=platform",
            Catalog::album_id(1)
        ),
        format!("/analytics/overview?{range}"),
    ];
    let mut analytics = String::new();
    let concurrency = options.concurrency.min(8);
    for path in &endpoints {
        let (latencies, errors) = drive(
            format!("{base}{path}"),
            token.clone(),
            concurrency,
            options.seconds,
        )
        .await;
        analytics.push_str(&format!(
            "| `GET {path}` | {} | {errors} | {:.0} | {:.2} | {:.2} |\n",
            latencies.len(),
            latencies.len() as f64 / options.seconds as f64,
            percentile(&latencies, 0.5),
            percentile(&latencies, 0.99),
        ));
    }
    drop(processes);

    let mib = bytes as f64 / 1048576.0;
    let import_rate = lines as f64 / import_seconds;
    let copy_rate = lines as f64 / copy_seconds;
    let dsr_rate = lines as f64 / dsr_seconds;
    let dsr_mib = dsr_bytes as f64 / 1048576.0;
    Ok(format!(
        "## Usage import: {lines} CSV lines ({mib:.0} MiB), {songs} songs\n\n\
         | step | seconds | lines/s |\n|---|---|---|\n\
         | bare `COPY` of the file into an unindexed table (floor) | {copy_seconds:.1} | {copy_rate:.0} |\n\
         | import job (parse, validate, match, COPY, dedupe index, rollups) | {import_seconds:.1} | {import_rate:.0} |\n\n\
         import / bare COPY throughput: **{:.2}x**; upload (HTTP, streamed to storage): {upload_seconds:.1} s\n\n\
         worker peak RSS (VmHWM) after the import: **{worker_rss:.0} MiB** for a {mib:.0} MiB file\n\n\
         ## Royalty run: {lines} lines, {songs} songs x 4 payees (one a payee of its own), USD + EUR\n\n\
         | step | seconds |\n|---|---|\n\
         | the run's main `GROUP BY` alone (floor) | {group_by_seconds:.2} |\n\
         | royalty run job (stage, FX, fees, splits, statements, lines) | {run_seconds:.2} |\n\n\
         run / GROUP BY: **{:.2}x** (timed after autovacuum finished with the import's table: \
         {settle_seconds:.1} s); the run's steps as its worker logged them: `{run_steps}`; result: {}\n\n\
         ## The same usage as a DSR: three gzipped Basic Audio files ({dsr_mib:.0} MiB), out of order\n\n\
         | import | seconds | lines/s |\n|---|---|---|\n\
         | plain CSV (above) | {import_seconds:.1} | {import_rate:.0} |\n\
         | DSR, 3 gzipped files (from the last file's upload to the report imported) | {dsr_seconds:.1} | {dsr_rate:.0} |\n\n\
         DSR / CSV throughput: **{:.2}x**; report: {}\n\n\
         ## Statements approved: {to_email} emails with CSV and PDF\n\n\
         | step | figure |\n|---|---|\n\
         | one statement's PDF rendered (3 platforms x 20 territories, 12 months; median of 1001) | {render_ms:.3} ms, {pdf_bytes} bytes |\n\
         | approval to every statement emailed (CSV and PDF rendered from the database, SMTP outbox) | {email_seconds:.1} s ({:.1} ms per statement) |\n\
         | worker peak RSS (VmHWM) after the emails | {email_rss:.0} MiB |\n\n\
         ## Analytics over the imported period ({concurrency} clients, {} s each)\n\n\
         | endpoint | requests | errors | req/s | p50 ms | p99 ms |\n|---|---|---|---|---|---|\n{analytics}",
        import_rate / copy_rate,
        run_seconds / group_by_seconds.max(f64::MIN_POSITIVE),
        run["result"],
        dsr_rate / import_rate,
        dsr_report["counts"],
        email_seconds * 1000.0 / to_email as f64,
        options.seconds,
    ))
}
