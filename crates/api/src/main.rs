use clap::Parser;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = backbeat_api::cli::Cli::parse();
    let settings = match backbeat_config::Settings::load() {
        Ok(settings) => settings,
        Err(error) => {
            eprintln!("backbeat-api: {error}");
            return std::process::ExitCode::from(78); // EX_CONFIG
        }
    };
    backbeat_telemetry::init(&settings.log, "backbeat-api");
    let result = backbeat_api::cli::run(cli, settings).await;
    // The last requests' spans go out before the process does.
    backbeat_telemetry::flush();
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!(error = format!("{error:#}"), "backbeat-api failed");
            std::process::ExitCode::FAILURE
        }
    }
}
