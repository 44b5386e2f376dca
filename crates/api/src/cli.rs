//! The `backbeat-api` command line: serve (default), migrate, and operator tasks.

use backbeat_config::Settings;
use backbeat_config::secrecy::ExposeSecret;
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
        Command::Migrate => {
            if backbeat_db::migrations::create_database_if_missing(&settings.database).await? {
                tracing::info!(database = %settings.database.name, "database created");
            }
            let applied = backbeat_db::migrations::run(
                settings
                    .database
                    .connection_url()
                    .expose_secret()
                    .to_owned(),
            )
            .await?;
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
