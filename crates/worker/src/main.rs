use clap::Parser;

#[derive(Debug, Parser)]
#[command(name = "backbeat-worker", version, about = "The backbeat job worker")]
struct Cli {}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let _cli = Cli::parse();
    let settings = match backbeat_config::Settings::load() {
        Ok(settings) => settings,
        Err(error) => {
            eprintln!("backbeat-worker: {error}");
            return std::process::ExitCode::from(78); // EX_CONFIG
        }
    };
    backbeat_telemetry::init(&settings.log);
    match backbeat_worker::run(settings).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!(error = format!("{error:#}"), "backbeat-worker failed");
            std::process::ExitCode::FAILURE
        }
    }
}
