//! `./dev bench reads`: the read endpoints against the limit of the machine, in one run.
//!
//! Load comes from `oha` (an established generator; `./dev bench` installs it), once closed-loop
//! for the maximum throughput and then open-loop at a fixed arrival rate of 50% and 90% of that
//! maximum, its latency measured from when each request was due (`--latency-correction`), so
//! queueing shows in the percentiles. Every endpoint is set beside the cheapest round trip
//! through the same stack: `GET /bench/select-1` for database reads, `GET /bench/redis-get`
//! for cached ones. The API's resident memory is read at idle and after a 60 s load.
//!
//! With a baseline binary (`BACKBEAT_BASELINE_API`, built by `./dev bench reads` from the
//! commit before the search changes) the 250-song search is also measured against it, both
//! binaries alternating on the same data.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use backbeat_config::Settings;
use rand::RngExt;
use serde_json::Value;

use crate::seed::{Catalog, WORDS};
use crate::{Options, stack};

const WARM_UP: &str = "3s";
/// The memory figure's load: as long as the issue asks, every read endpoint mixed.
const MEMORY_LOAD: Duration = Duration::from_secs(60);
/// The bench-only routes the references are measured on.
const REFERENCE_ROUTES: &[(&str, &str)] = &[("APP_SERVER__REFERENCE_ROUTES", "true")];
/// Redis unreachable: the search page cache out of the way.
const NO_REDIS: &[(&str, &str)] = &[("APP_REDIS__URL", "redis://127.0.0.1:1")];
/// Alternating pairs of the baseline comparison.
const PAIRS: usize = 3;

/// What an endpoint is measured against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reference {
    Database,
    Redis,
}

struct Endpoint {
    name: String,
    urls: Vec<String>,
    reference: Option<Reference>,
}

#[derive(Debug, Clone, Copy, Default)]
struct Figures {
    rps: f64,
    p50: f64,
    p99: f64,
    p999: f64,
    /// Answers other than 2xx, and requests that failed outright.
    errors: u64,
}

/// `oha` driving the API on `port` with `concurrency` connections.
struct Oha {
    binary: PathBuf,
    concurrency: usize,
    seconds: u64,
    dir: tempfile::TempDir,
}

impl Oha {
    fn new(options: &Options) -> anyhow::Result<Self> {
        let binary = std::env::var_os("BACKBEAT_OHA")
            .map_or_else(|| stack::binary("../tools/bin/oha"), PathBuf::from);
        anyhow::ensure!(
            binary.exists(),
            "oha not found at {} (./dev bench installs it)",
            binary.display()
        );
        Ok(Self {
            binary,
            concurrency: options.concurrency,
            seconds: options.seconds,
            dir: tempfile::tempdir()?,
        })
    }

    /// Closed-loop when `rate` is `None`, else open-loop at `rate` requests per second.
    fn run(&self, urls: &[String], rate: Option<f64>, seconds: &str) -> anyhow::Result<Figures> {
        let file = self.dir.path().join("urls.txt");
        std::fs::write(&file, urls.join("\n") + "\n")?;
        let mut command = Command::new(&self.binary);
        command
            .args(["--no-tui", "--output-format", "json", "-z", seconds])
            .args(["-c", &self.concurrency.to_string()])
            // Requests still in flight at the deadline are answered, not counted as errors.
            .arg("--wait-ongoing-requests-after-deadline")
            // The server's own work: compression is a deployment's choice (and oha asks for it).
            .args(["-H", "Accept-Encoding: identity"])
            .arg("--urls-from-file")
            .arg(&file);
        if let Some(rate) = rate {
            command
                .args(["-q", &format!("{rate:.0}")])
                .arg("--latency-correction");
        }
        let output = command.stderr(Stdio::inherit()).output()?;
        anyhow::ensure!(output.status.success(), "oha failed: {}", output.status);
        let report: Value = serde_json::from_slice(&output.stdout)?;
        let ms = |v: &Value| v.as_f64().unwrap_or(f64::NAN) * 1000.0;
        let total: u64 = report["statusCodeDistribution"]
            .as_object()
            .map(|codes| codes.values().filter_map(Value::as_u64).sum())
            .unwrap_or(0);
        let ok: u64 = report["statusCodeDistribution"]
            .as_object()
            .map(|codes| {
                codes
                    .iter()
                    .filter(|(code, _)| code.starts_with('2'))
                    .filter_map(|(_, n)| n.as_u64())
                    .sum()
            })
            .unwrap_or(0);
        let failed: u64 = report["errorDistribution"]
            .as_object()
            .map(|errors| errors.values().filter_map(Value::as_u64).sum())
            .unwrap_or(0);
        Ok(Figures {
            rps: report["summary"]["requestsPerSec"].as_f64().unwrap_or(0.0),
            p50: ms(&report["latencyPercentiles"]["p50"]),
            p99: ms(&report["latencyPercentiles"]["p99"]),
            p999: ms(&report["latencyPercentiles"]["p99.9"]),
            errors: total - ok + failed,
        })
    }

    fn measured(&self) -> String {
        format!("{}s", self.seconds)
    }
}

/// The API's resident set, in MiB.
fn rss_mib(api: &Child) -> anyhow::Result<f64> {
    stack::memory_mib(api.id(), "VmRSS")
}

fn ms(v: f64) -> String {
    format!("{v:.2}")
}

/// Rare terms: two title words side by side, a few dozen songs per million each.
fn rare_terms(count: usize) -> Vec<String> {
    let mut rng = rand::rng();
    (0..count)
        .map(|_| {
            let a = WORDS[rng.random_range(0..WORDS.len())];
            let b = WORDS[rng.random_range(0..WORDS.len())];
            format!("{a}%20{b}")
        })
        .collect()
}

fn endpoints(base: &str, catalog: &Catalog) -> Vec<Endpoint> {
    let mut rng = rand::rng();
    let albums: Vec<String> = (0..2000)
        .map(|_| Catalog::album_id(rng.random_range(1..=catalog.albums)))
        .collect();
    // The likes cache's hot set, as in `./dev bench likes`.
    let liked: Vec<String> = (1..=catalog.albums.min(1000))
        .map(Catalog::album_id)
        .collect();
    vec![
        Endpoint {
            name: "GET /bench/select-1 (reference)".into(),
            urls: vec![format!("{base}/bench/select-1")],
            reference: None,
        },
        Endpoint {
            name: "GET /bench/redis-get (reference)".into(),
            urls: vec![format!("{base}/bench/redis-get")],
            reference: None,
        },
        Endpoint {
            name: "GET /albums/{id}".into(),
            urls: albums
                .iter()
                .map(|a| format!("{base}/albums/{a}"))
                .collect(),
            reference: Some(Reference::Database),
        },
        Endpoint {
            name: "GET /albums/{id}/likes (cached)".into(),
            urls: liked
                .iter()
                .map(|a| format!("{base}/albums/{a}/likes"))
                .collect(),
            reference: Some(Reference::Redis),
        },
        Endpoint {
            name: "GET /songs?title={two words} (rare)".into(),
            urls: rare_terms(200)
                .iter()
                .map(|t| format!("{base}/songs?title={t}"))
                .collect(),
            reference: Some(Reference::Database),
        },
        Endpoint {
            name: "GET /songs?title={word} (frequent: a full page)".into(),
            urls: WORDS
                .iter()
                .map(|w| format!("{base}/songs?title={w}"))
                .collect(),
            reference: Some(Reference::Database),
        },
    ]
}

/// The whole read benchmark, then the export latency (`./dev bench jobs`' paced run) so every
/// figure of the issue comes from one run; the report in Markdown.
pub async fn run(settings: &Settings, options: &Options) -> anyhow::Result<String> {
    let oha = Oha::new(options)?;
    let mut report = String::new();
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    report.push_str(&format!(
        "# backbeat read benchmark (`./dev bench reads --songs {}`)\n\n\
         - machine: {cores} cores shared by the API, PostgreSQL, Redis and the load generator\n\
         - load: oha, {} connections; maximum closed-loop, then open-loop at 50% and 90% of it \
         (latency from each request's due time), {} s each after a {WARM_UP} warm-up\n\n",
        options.songs, options.concurrency, options.seconds
    ));

    if let Some(baseline) = std::env::var_os("BACKBEAT_BASELINE_API") {
        report.push_str(&small_search(settings, options, &oha, Path::new(&baseline)).await?);
    }

    let catalog = crate::seed::seed(settings, options).await?;
    let base = format!("http://127.0.0.1:{}", options.port);
    let mut api = stack::start_api(
        &stack::binary("backbeat-api"),
        &settings.database.name,
        options,
        REFERENCE_ROUTES,
    )?;
    let mut references = [0.0_f64; 2];
    let result = measure_reads(&oha, options.port, &base, &catalog, &api, &mut references).await;
    stack::stop(&mut api);
    report.push_str(&result?);

    // The searches again with their page cache out of the way (Redis unreachable): every request
    // runs the query, as a long tail of distinct terms would.
    let mut api = stack::start_api(
        &stack::binary("backbeat-api"),
        &settings.database.name,
        options,
        NO_REDIS,
    )?;
    let searches: Vec<Endpoint> = endpoints(&base, &catalog)
        .into_iter()
        .filter(|e| e.name.starts_with("GET /songs"))
        .map(|e| Endpoint {
            name: format!("{}, uncached", e.name),
            ..e
        })
        .collect();
    let result = async {
        crate::wait_until_ready(options.port).await?;
        measure(&oha, &searches, &mut references)
    }
    .await;
    stack::stop(&mut api);
    report.push_str(&format!(
        "## The searches without their page cache (Redis unreachable), same run\n\n\
         | endpoint | max req/s | of its reference | errors | at 50%: p50 / p99 / p99.9 ms | at 90%: p50 / p99 / p99.9 ms |\n\
         |---|---|---|---|---|---|\n{}\n",
        result?
    ));

    let exports = crate::pipeline::exports(options, &catalog, 1000, 2, Some(100.0)).await?;
    report.push_str(&exports);
    Ok(report)
}

/// Each endpoint's maximum and its open-loop latency at 50% and 90% of it, as table rows; the
/// references (`SELECT 1`, Redis `GET`) are the first endpoints measured, or given.
fn measure(oha: &Oha, endpoints: &[Endpoint], references: &mut [f64; 2]) -> anyhow::Result<String> {
    let mut rows = String::new();
    let seconds = oha.measured();
    for endpoint in endpoints {
        eprintln!("{}", endpoint.name);
        oha.run(&endpoint.urls, None, WARM_UP)?;
        let max = oha.run(&endpoint.urls, None, &seconds)?;
        let half = oha.run(&endpoint.urls, Some(max.rps * 0.5), &seconds)?;
        let high = oha.run(&endpoint.urls, Some(max.rps * 0.9), &seconds)?;
        let fraction = match endpoint.reference {
            Some(Reference::Database) => {
                format!("{:.0}% of SELECT 1", 100.0 * max.rps / references[0])
            }
            Some(Reference::Redis) => {
                format!("{:.0}% of Redis GET", 100.0 * max.rps / references[1])
            }
            None => {
                let slot = usize::from(endpoint.name.contains("redis"));
                references[slot] = max.rps;
                "100%".to_owned()
            }
        };
        rows.push_str(&format!(
            "| {} | {:.0} | {fraction} | {} | {} / {} / {} | {} / {} / {} |\n",
            endpoint.name,
            max.rps,
            max.errors + half.errors + high.errors,
            ms(half.p50),
            ms(half.p99),
            ms(half.p999),
            ms(high.p50),
            ms(high.p99),
            ms(high.p999),
        ));
    }
    Ok(rows)
}

async fn measure_reads(
    oha: &Oha,
    port: u16,
    base: &str,
    catalog: &Catalog,
    api: &Child,
    references: &mut [f64; 2],
) -> anyhow::Result<String> {
    crate::wait_until_ready(port).await?;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let idle = rss_mib(api)?;
    let endpoints = endpoints(base, catalog);
    let rows = measure(oha, &endpoints, references)?;
    // Every endpoint but the references, mixed, for the memory figure.
    let mixed: Vec<String> = endpoints[2..]
        .iter()
        .flat_map(|e| e.urls.iter().take(200).cloned())
        .collect();
    let load = oha.run(&mixed, None, &format!("{}s", MEMORY_LOAD.as_secs()))?;
    let loaded = rss_mib(api)?;
    tokio::time::sleep(Duration::from_secs(5)).await;
    let settled = rss_mib(api)?;
    Ok(format!(
        "## Reads at {} songs, {} albums\n\n\
         | endpoint | max req/s | of its reference | errors | at 50%: p50 / p99 / p99.9 ms | at 90%: p50 / p99 / p99.9 ms |\n\
         |---|---|---|---|---|---|\n{rows}\n\
         Rare terms are 200 random pairs of title words (a few dozen songs each per million); \
         frequent ones are single title words (each in about 3% of titles: every answer is a full \
         page of 1,000 songs).\n\n\
         ## API memory (resident set)\n\n\
         | idle after start | after {} s of mixed reads ({:.0} req/s) | 5 s later |\n|---|---|---|\n\
         | {idle:.1} MiB | {loaded:.1} MiB | {settled:.1} MiB |\n\n",
        catalog.songs,
        catalog.albums,
        MEMORY_LOAD.as_secs(),
        load.rps,
    ))
}

/// `GET /songs?title=song` on a 250-song catalog (every title matches), the baseline binary and
/// this one alternating on the same data.
async fn small_search(
    settings: &Settings,
    options: &Options,
    oha: &Oha,
    baseline: &Path,
) -> anyhow::Result<String> {
    let mut small = settings.clone();
    small.database.name = format!("{}_small", settings.database.name);
    // Never reused: `retitle` is not idempotent.
    let small_options = Options {
        songs: 250,
        reuse: false,
        ..options.clone()
    };
    crate::seed::seed(&small, &small_options).await?;
    retitle(&small).await?;
    let url = vec![format!(
        "http://127.0.0.1:{}/songs?title=song",
        options.port
    )];
    let current = stack::binary("backbeat-api");
    let mut rows = String::new();
    let mut ratios = Vec::new();
    let mut uncached = Vec::new();
    let runs: [(&Path, &[(&str, &str)]); 3] = [
        (baseline, &[]),
        (current.as_path(), &[]),
        (current.as_path(), NO_REDIS),
    ];
    for pair in 1..=PAIRS {
        let mut rates = [0.0; 3];
        for (i, (binary, env)) in runs.iter().enumerate() {
            let mut api = stack::start_api(binary, &small.database.name, options, env)?;
            let result = async {
                crate::wait_until_ready(options.port).await?;
                oha.run(&url, None, WARM_UP)?;
                oha.run(&url, None, &oha.measured())
            }
            .await;
            stack::stop(&mut api);
            let figures = result?;
            anyhow::ensure!(figures.errors == 0, "{} errors", figures.errors);
            rates[i] = figures.rps;
        }
        ratios.push(rates[1] / rates[0]);
        uncached.push(rates[2] / rates[0]);
        rows.push_str(&format!(
            "| {pair} | {:.0} | {:.0} | {:.2}x | {:.0} | {:.2}x |\n",
            rates[0],
            rates[1],
            rates[1] / rates[0],
            rates[2],
            rates[2] / rates[0]
        ));
    }
    ratios.sort_by(f64::total_cmp);
    uncached.sort_by(f64::total_cmp);
    Ok(format!(
        "## `GET /songs?title=song` on 250 songs (all match), before and after\n\n\
         The binary from before the search changes (`{}`) and this one, with its page cache and \
         without (Redis unreachable), alternating on the same database, closed-loop, {} \
         connections.\n\n\
         | round | before req/s | after req/s | after / before | after, uncached req/s | uncached / before |\n\
         |---|---|---|---|---|---|\n{rows}\n\
         Median: **{:.2}x** with the page cache, **{:.2}x** without\n\n",
        baseline.display(),
        options.concurrency,
        ratios[ratios.len() / 2],
        uncached[uncached.len() / 2]
    ))
}

/// Every title of the small catalog holds the word `song`, as in the openMusic comparison.
async fn retitle(settings: &Settings) -> anyhow::Result<()> {
    use backbeat_config::secrecy::ExposeSecret;
    use diesel_async::{AsyncConnection, AsyncPgConnection, SimpleAsyncConnection};
    let mut conn =
        AsyncPgConnection::establish(settings.database.connection_url().expose_secret()).await?;
    conn.batch_execute("UPDATE songs SET title = title || ' Song'")
        .await?;
    // Apart: VACUUM cannot run in the implicit transaction of a multi-statement query.
    conn.batch_execute("VACUUM ANALYZE songs").await?;
    Ok(())
}
