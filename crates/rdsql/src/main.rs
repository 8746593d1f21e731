//! The `rdsql` binary: parse flags, run one subcommand, render errors.

mod cli;
mod commands;
mod connect;
mod output;
mod report;
mod signin;

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = cli::Cli::parse_from(shell_by_default(std::env::args_os().collect()));
    init_tracing(cli.verbose);
    rdsql_db::tls::install_default_provider();
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(report::EXIT_LOCAL as u8);
        }
    };
    let result = rt.block_on(async {
        match cli.command {
            cli::Command::Query(args) => commands::query::run(args).await,
            cli::Command::Shell(args) => commands::shell::run(args).await,
            cli::Command::Token(args) => commands::token::run(args).await,
            cli::Command::Sso(cmd) => commands::sso::run(cmd).await,
            cli::Command::Aws(cmd) => commands::aws::run(cmd).await,
            cli::Command::Conn(cmd) => commands::conn::run(cmd).await,
            cli::Command::Ui(args) => commands::ui::run(args).await,
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => {
            eprint!("{}", f.render());
            ExitCode::from(f.exit_code as u8)
        }
    }
}

/// `rdsql CONN …` means `rdsql shell CONN …`.
fn shell_by_default(mut args: Vec<std::ffi::OsString>) -> Vec<std::ffi::OsString> {
    const COMMANDS: &[&str] = &[
        "query", "shell", "token", "sso", "aws", "conn", "ui", "help",
    ];
    if let Some(first) = args.get(1).and_then(|a| a.to_str())
        && !first.starts_with('-')
        && !COMMANDS.contains(&first)
    {
        args.insert(1, "shell".into());
    }
    args
}

/// Traces go to stderr; only rdsql's own crates log (dependencies could
/// print connection options), and no crate of ours logs a secret.
fn init_tracing(verbose: bool) {
    let filter = if verbose {
        "rdsql=debug,rdsql_db=debug,rdsql_aws=debug"
    } else {
        "rdsql=warn,rdsql_db=warn,rdsql_aws=warn"
    };
    let filter = tracing_subscriber::EnvFilter::new(filter);
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .without_time()
        .try_init();
}
