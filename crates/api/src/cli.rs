//! The `backbeat-api` command line: serve (default), migrate, and operator tasks.

use backbeat_config::Settings;
use backbeat_domain::Role;
use clap::{Parser, Subcommand};

use crate::Application;

#[derive(Debug, Parser)]
#[command(name = "backbeat-api", version, about = "The backbeat HTTP API")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve HTTP until SIGINT/SIGTERM (the default).
    Serve,
    /// Apply pending database migrations (under an advisory lock; safe to run concurrently).
    Migrate,
    /// Exit 0 when the API on this machine answers `GET /health/live` (a container's health
    /// check: no shell, no curl in the image).
    Healthcheck {
        /// Also require `/health/ready` (database, Redis and RabbitMQ reachable).
        #[arg(long)]
        ready: bool,
    },
    /// Operator tasks that no HTTP route may perform.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Give a user a role (admin by default). The only way to create the first admin.
    Promote {
        username: String,
        #[arg(long, default_value = "admin")]
        role: Role,
    },
}

pub async fn run(cli: Cli, settings: Settings) -> anyhow::Result<()> {
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => {
            Application::build(settings)
                .await?
                .run_until_stopped()
                .await?
        }
        Command::Healthcheck { ready } => {
            let path = if ready {
                "/health/ready"
            } else {
                "/health/live"
            };
            backbeat_telemetry::probe::http_ok(
                &settings.server.host,
                settings.server.port,
                &format!("{}{path}", settings.server.base_path),
            )?;
        }
        Command::Migrate => {
            if backbeat_db::migrations::create_database_if_missing(&settings.database).await? {
                tracing::info!(database = %settings.database.name, "database created");
            }
            let applied =
                backbeat_db::migrations::run(&settings.database, &settings.database.name).await?;
            tracing::info!(count = applied.len(), versions = ?applied, "migrations applied");
        }
        Command::Admin {
            command: AdminCommand::Promote { username, role },
        } => {
            let ctx = backbeat_services::Context::build(settings, "backbeat-admin").await?;
            match backbeat_services::admin::users::set_role_as_operator(&ctx, &username, role).await
            {
                Ok(account) => println!("{username} is now {}", account.role),
                Err(backbeat_services::Error::NotFound(_)) => {
                    anyhow::bail!("no user named `{username}`")
                }
                Err(error) => anyhow::bail!("cannot change {username}'s role: {error}"),
            }
        }
    }
    Ok(())
}
