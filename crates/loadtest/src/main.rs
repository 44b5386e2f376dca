//! `backbeat-loadtest`: the load benchmark behind `./dev bench`.
//!
//! 1. (Re)creates the database `backbeat_bench`, migrates it and seeds a catalog in SQL
//!    (default: 1k users, 10k albums, 100k songs, 2 playlists per user with 20 songs each).
//! 2. Starts the release `backbeat-api` against it on a loopback port.
//! 3. Drives each scenario from this separate process at a fixed concurrency for a fixed time
//!    and prints requests/s and p50/p99 latency per endpoint, also written to
//!    `bench/results/latest.md`.
//!
//! `explain` prints the song search's query plan on the seeded database instead.

mod access;
mod chat;
mod distribution;
mod load;
mod pipeline;
mod reads;
mod royalties;
mod seed;
mod stack;
mod uploads;
mod videos;

use std::path::PathBuf;
use std::time::Duration;

use backbeat_config::Settings;
use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "backbeat-loadtest",
    about = "Seed a catalog and measure the API under load"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Cmd>,
    #[command(flatten)]
    options: Options,
}

#[derive(Debug, Clone, clap::Args)]
pub struct Options {
    /// Songs to seed (albums are a tenth of this, users a hundredth).
    #[arg(long, default_value_t = 100_000, global = true)]
    songs: i64,
    /// Concurrent connections driving the API.
    #[arg(long, default_value_t = 32, global = true)]
    concurrency: usize,
    /// Seconds each scenario runs (after a short warm-up).
    #[arg(long, default_value_t = 15, global = true)]
    seconds: u64,
    /// Loopback port for the API under test.
    #[arg(long, default_value_t = 5099, global = true)]
    port: u16,
    /// Reuse the seeded database if it exists with this many songs.
    #[arg(long, global = true)]
    reuse: bool,
}

#[derive(Debug, Subcommand)]
enum Cmd {
    /// Seed, start the API, run every scenario (the default).
    Run,
    /// Seed only.
    Seed,
    /// The job pipeline: the relay's publish rate, and export latency with two workers.
    Jobs {
        #[arg(long, default_value_t = 1000)]
        exports: usize,
        #[arg(long, default_value_t = 2)]
        workers: usize,
        #[arg(long, default_value_t = 20_000)]
        relay_rows: i64,
        /// Requests per second of the paced run (a burst run follows it).
        #[arg(long, default_value_t = 100.0)]
        rate: f64,
    },
    /// Bulk distribution with one and with two workers (pairs/s), and `GET /albums/{id}` latency at
    /// rest and while a bulk job runs.
    Distribution {
        #[arg(long, default_value_t = 1000)]
        releases: usize,
        #[arg(long, default_value_t = 8)]
        platforms: usize,
        /// Write packages without flushing them to disk.
        #[arg(long)]
        no_fsync: bool,
    },
    /// A CSV usage report imported (lines/s, worker peak RSS) beside a bare COPY of it, the
    /// period's royalty run beside its GROUP BY alone, and the analytics endpoints' latency.
    Royalties {
        #[arg(long, default_value_t = 10_000_000)]
        lines: u64,
        /// Songs the report covers (each split among three payees), among the seeded catalog.
        #[arg(long, default_value_t = 10_000)]
        report_songs: i64,
    },
    /// `GET /albums/{id}/likes` served from Redis, then with Redis unreachable (database only).
    Likes,
    /// Authentication's cost (a read with an access token, an API key, no credentials), and a
    /// legitimate user's login latency at rest and under a flood of wrong passwords.
    Access,
    /// The read endpoints beside a `SELECT 1` and a Redis `GET` through the same stack: maximum
    /// throughput, open-loop latency at 50% and 90% of it, the API's memory, the 250-song search
    /// against a baseline binary, and the export latency (use `--songs 1000000`).
    Reads,
    /// Chat over WebSocket: clients across two API processes on one Redis; memory per idle
    /// connection, messages delivered per second and delivery latency at each offered rate.
    Chat {
        #[arg(long, default_value_t = 1000)]
        clients: usize,
        /// Offered rates, messages per second in total.
        #[arg(long, value_delimiter = ',', default_value = "100,300,1000")]
        rates: Vec<u64>,
    },
    /// Video sync from the local Wistia server under its account limit (time, requests, 429s),
    /// and `GET /videos/playlist` req/s cached vs uncached.
    Videos {
        #[arg(long, default_value_t = 10_000)]
        medias: u32,
        /// The server's limit, requests per rolling minute.
        #[arg(long, default_value_t = 6_000)]
        limit: usize,
    },
    /// A master upload (200 MiB WAV) into the local folder and into an S3-compatible store:
    /// seconds and the API's peak RSS.
    Upload {
        #[arg(long, default_value_t = 200)]
        megabytes: usize,
    },
    /// Print EXPLAIN ANALYZE of the song search on the seeded database.
    Explain {
        #[arg(long, default_value = "love")]
        title: String,
    },
}

pub const DATABASE: &str = "backbeat_bench";

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let mut settings = Settings::load()?;
    settings.database.name = DATABASE.to_owned();
    settings.database.url = None;
    let options = cli.options;
    match cli.command.unwrap_or(Cmd::Run) {
        Cmd::Seed => {
            seed::seed(&settings, &options).await?;
        }
        Cmd::Explain { title } => {
            seed::seed(
                &settings,
                &Options {
                    reuse: true,
                    ..options
                },
            )
            .await?;
            println!("{}", seed::explain_search(&settings, &title).await?);
        }
        Cmd::Run => {
            let catalog = seed::seed(&settings, &options).await?;
            let mut api =
                stack::start_api(&stack::binary("backbeat-api"), DATABASE, &options, &[])?;
            let result = async {
                wait_until_ready(options.port).await?;
                load::run(&options, &catalog).await
            }
            .await;
            stack::stop(&mut api);
            write_report("latest.md", &result?)?;
        }
        Cmd::Reads => {
            let report = reads::run(&settings, &options).await?;
            write_report("reads.md", &report)?;
        }
        Cmd::Chat { clients, rates } => {
            let reuse = Options {
                reuse: true,
                ..options.clone()
            };
            seed::seed(&settings, &reuse).await?;
            let report = chat::run(&options, clients, &rates).await?;
            write_report(
                "chat.md",
                &format!(
                    "# backbeat chat benchmark

{report}"
                ),
            )?;
        }
        Cmd::Videos { medias, limit } => {
            let reuse = Options {
                reuse: true,
                ..options.clone()
            };
            seed::seed(&settings, &reuse).await?;
            let report = videos::run(&settings, &options, medias, limit).await?;
            write_report(
                "videos.md",
                &format!(
                    "# backbeat video benchmark

{report}"
                ),
            )?;
        }
        Cmd::Upload { megabytes } => {
            let reuse = Options {
                reuse: true,
                ..options.clone()
            };
            seed::seed(&settings, &reuse).await?;
            let report = uploads::run(&options, megabytes).await?;
            write_report(
                "upload.md",
                &format!("# backbeat upload benchmark\n\n{report}"),
            )?;
        }
        Cmd::Likes => {
            let reuse = Options {
                reuse: true,
                ..options.clone()
            };
            let catalog = seed::seed(&settings, &reuse).await?;
            let mut rows = String::new();
            let mut rates = Vec::new();
            let runs: [(&str, &[(&str, &str)]); 2] = [
                ("cached (Redis)", &[]),
                (
                    "uncached (Redis unreachable: every read counts in PostgreSQL)",
                    &[("APP_REDIS__URL", "redis://127.0.0.1:1")],
                ),
            ];
            for (label, env) in runs {
                let mut api =
                    stack::start_api(&stack::binary("backbeat-api"), DATABASE, &options, env)?;
                let result = async {
                    wait_until_ready(options.port).await?;
                    load::likes(&options, &catalog, label).await
                }
                .await;
                stack::stop(&mut api);
                let (row, rate) = result?;
                rows.push_str(&row);
                rates.push(rate);
            }
            let report = format!(
                "## Album likes, cached vs uncached (one run, same machine)\n\n\
                 - {} concurrent connections, {} s each, random albums among the first 1000\n\n\
                 | endpoint | requests | errors | req/s | p50 ms | p99 ms |\n|---|---|---|---|---|---|\n{rows}\n\
                 cached / uncached throughput: **{:.2}x**\n",
                options.concurrency,
                options.seconds,
                rates[0] / rates[1].max(f64::MIN_POSITIVE)
            );
            write_report("likes.md", &report)?;
        }
        Cmd::Access => {
            let reuse = Options {
                reuse: true,
                ..options.clone()
            };
            let catalog = seed::seed(&settings, &reuse).await?;
            let mut api = stack::start_api(
                &stack::binary("backbeat-api"),
                DATABASE,
                &options,
                access::ENV,
            )?;
            let result = async {
                wait_until_ready(options.port).await?;
                access::run(&options, &catalog).await
            }
            .await;
            stack::stop(&mut api);
            write_report(
                "access.md",
                &format!("# backbeat access benchmark\n\n{}", result?),
            )?;
        }
        Cmd::Distribution {
            releases,
            platforms,
            no_fsync,
        } => {
            let reuse = Options {
                reuse: true,
                ..options.clone()
            };
            let catalog = seed::seed(&settings, &reuse).await?;
            let report = distribution::run(
                &settings, &options, &catalog, releases, platforms, !no_fsync,
            )
            .await?;
            write_report(
                "distribution.md",
                &format!("# backbeat distribution benchmark\n\n{report}"),
            )?;
        }
        Cmd::Royalties {
            lines,
            report_songs,
        } => {
            let reuse = Options {
                reuse: true,
                ..options.clone()
            };
            seed::seed(&settings, &reuse).await?;
            let report = royalties::run(&settings, &options, lines, report_songs).await?;
            write_report(
                "royalties.md",
                &format!("# backbeat usage and royalties benchmark\n\n{report}"),
            )?;
        }
        Cmd::Jobs {
            exports,
            workers,
            relay_rows,
            rate,
        } => {
            let reuse = Options {
                reuse: true,
                ..options.clone()
            };
            let catalog = seed::seed(&settings, &reuse).await?;
            let relay = pipeline::relay_rate(&settings, relay_rows).await?;
            let paced = pipeline::exports(&options, &catalog, exports, workers, Some(rate)).await?;
            let burst = pipeline::exports(&options, &catalog, exports, workers, None).await?;
            write_report(
                "jobs.md",
                &format!("# backbeat job pipeline benchmark\n\n{relay}\n{paced}\n{burst}"),
            )?;
        }
    }
    Ok(())
}

fn write_report(name: &str, report: &str) -> anyhow::Result<()> {
    print!("{report}");
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../bench/results");
    std::fs::create_dir_all(&dir)?;
    std::fs::write(dir.join(name), report)?;
    eprintln!("written to bench/results/{name}");
    Ok(())
}

pub async fn wait_until_ready(port: u16) -> anyhow::Result<()> {
    let client = crate::stack::http();
    for _ in 0..100 {
        if let Ok(response) = client
            .get(format!("http://127.0.0.1:{port}/health/live"))
            .send()
            .await
            && response.status().is_success()
        {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    anyhow::bail!("the API did not start on port {port}")
}
