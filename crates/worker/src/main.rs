use backbeat_domain::ids::JobId;
use backbeat_services::Context;
use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(name = "backbeat-worker", version, about = "The backbeat job worker")]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Consume jobs until SIGINT/SIGTERM (the default).
    Run,
    /// Exit 0 when the worker on this machine answers its endpoint's `/health/live` (or, with
    /// `--ready`, `/health/ready`: consuming and reaching PostgreSQL): the container health check.
    Healthcheck {
        #[arg(long)]
        ready: bool,
    },
    /// Print the public half of backbeat's SFTP key (`distribution.sftp_key_path`), to give to
    /// each platform that takes deliveries over SFTP, and its fingerprint.
    SftpKey,
    /// Inspect and replay dead jobs.
    Dead {
        #[command(subcommand)]
        command: DeadCommand,
    },
}

#[derive(Debug, Subcommand)]
enum DeadCommand {
    /// List dead jobs, most recent first.
    List {
        #[arg(long, default_value_t = 50)]
        limit: i64,
    },
    /// Queue a dead job again with fresh attempts (or every dead job with --all).
    Replay {
        job_id: Option<String>,
        #[arg(long, conflicts_with = "job_id")]
        all: bool,
    },
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let settings = match backbeat_config::Settings::load() {
        Ok(settings) => settings,
        Err(error) => {
            eprintln!("backbeat-worker: {error}");
            return std::process::ExitCode::from(78); // EX_CONFIG
        }
    };
    backbeat_telemetry::init(&settings.log, "backbeat-worker");
    let command = cli.command.unwrap_or(Command::Run);
    if matches!(command, Command::Run) {
        // Before the runtime's threads exist, so that every one of them inherits it.
        backbeat_worker::lower_priority(settings.jobs.nice);
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("backbeat-worker: cannot start the runtime: {error}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        match command {
            Command::Run => backbeat_worker::run(settings).await,
            Command::Healthcheck { ready } => backbeat_telemetry::probe::http_ok(
                &settings.worker.http_host,
                settings.worker.http_port,
                if ready {
                    "/health/ready"
                } else {
                    "/health/live"
                },
            ),
            Command::Dead { command } => dead(settings, command).await,
            Command::SftpKey => sftp_key(&settings),
        }
    });
    // The last spans (the drained jobs') go out before the process does.
    backbeat_telemetry::flush();
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!(error = format!("{error:#}"), "backbeat-worker failed");
            eprintln!("backbeat-worker: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn sftp_key(settings: &backbeat_config::Settings) -> anyhow::Result<()> {
    let key = backbeat_services::distribution::release::sftp_public_key(settings)
        .map_err(anyhow::Error::msg)?;
    let (line, fingerprint) = key.ok_or_else(|| {
        anyhow::anyhow!(
            "no SFTP key is configured (distribution.sftp_key_path); make one with \
             ssh-keygen -t ed25519 -N '' -f var/sftp_key"
        )
    })?;
    println!("{line}");
    eprintln!("fingerprint: {fingerprint}");
    Ok(())
}

async fn dead(settings: backbeat_config::Settings, command: DeadCommand) -> anyhow::Result<()> {
    let topology = backbeat_services::jobs::topology(&settings);
    let ctx = Context::build(settings, "backbeat-worker-admin").await?;
    let broker = ctx.broker.clone();
    match command {
        DeadCommand::List { limit } => backbeat_worker::dead::list(&ctx, limit).await?,
        DeadCommand::Replay { job_id, all } => {
            anyhow::ensure!(job_id.is_some() || all, "name a job id, or pass --all");
            let count = backbeat_worker::dead::replay(
                &ctx,
                &broker,
                &topology,
                job_id.map(JobId::from).as_ref(),
            )
            .await?;
            println!("replayed {count} job(s)");
        }
    }
    broker.close().await;
    Ok(())
}
