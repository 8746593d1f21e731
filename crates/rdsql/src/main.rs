//! The `rdsql` binary: parse flags, run one subcommand, render errors.

mod cli;
mod commands;
mod connect;
mod output;
mod report;
mod signin;

use clap::{CommandFactory, Parser};
use std::process::ExitCode;

fn main() -> ExitCode {
    // A Tab in a shell that sourced `rdsql completions SHELL` calls back
    // here; answer and exit before anything else is printed.
    clap_complete::CompleteEnv::with_factory(commands::integrate::command)
        .var(commands::integrate::COMPLETE_VAR)
        .complete();
    let args = shell_by_default(std::env::args_os().collect());
    let cli = match cli::Cli::try_parse_from(&args) {
        Ok(cli) => cli,
        Err(e) => exit_on_usage_error(e, &args),
    };
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
            cli::Command::Proxy(args) => commands::proxy::run(args).await,
            cli::Command::Completions { shell } => commands::integrate::completions(shell),
            cli::Command::Man => commands::integrate::man(),
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

/// clap's usage errors quote the arguments they did not expect, and an
/// argument may be a URL with a password: such URLs are shown redacted.
fn exit_on_usage_error(e: clap::Error, args: &[std::ffi::OsString]) -> ! {
    let mut text = e.render().to_string();
    for a in args.iter().filter_map(|a| a.to_str()) {
        if a.contains("://") {
            text = text.replace(a, &rdsql_db::url::redact_url(a));
        }
    }
    if e.use_stderr() {
        eprint!("{text}");
    } else {
        print!("{text}");
    }
    std::process::exit(e.exit_code());
}

/// `rdsql CONN …` means `rdsql shell CONN …`.
fn shell_by_default(mut args: Vec<std::ffi::OsString>) -> Vec<std::ffi::OsString> {
    // The subcommands, from the same definition clap parses with.
    let commands: Vec<String> = cli::Cli::command()
        .get_subcommands()
        .map(|c| c.get_name().to_string())
        .chain(["help".to_string()])
        .collect();
    if let Some(first) = args.get(1).and_then(|a| a.to_str())
        && !first.starts_with('-')
        && !commands.iter().any(|c| c == first)
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
