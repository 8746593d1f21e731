//! `rdsql conn add|list|show|edit|rm|test`: saved connections.

use crate::cli::{ConnArgs, ConnCommand, ConnSaveArgs};
use crate::connect;
use crate::report::Failure;
use rdsql_config::store::check_name;
use rdsql_config::{ConfigError, ConnectionsFile, SavedConnection, SecretKind, SecretStore};
use rdsql_connect::saved;
use rdsql_db::{ConnectOptions, ConnectionSpec, Secret};
use std::io::{IsTerminal, Read};
use std::path::PathBuf;
use std::time::Instant;

/// A config error as exit 1.
pub fn config_failure(e: ConfigError) -> Failure {
    Failure::from(saved::config_error(e))
}

fn dir() -> Result<PathBuf, Failure> {
    Ok(saved::dir()?)
}

/// The options for `args` over `base` (editing), and a password the URL
/// carried.
fn options_from(
    name: &str,
    args: &ConnArgs,
    base: &SavedConnection,
) -> Result<(ConnectOptions, Option<Secret>), Failure> {
    if let Some(c) = &args.conn
        && !c.contains(':')
    {
        return Err(Failure::local(
            format!("{c:?} is not a URL"),
            vec!["give a URL such as postgres://user@host:5432/db, mysql://user@host/db or sqlite:file.db, and/or connection flags".into()],
        ));
    }
    let base_opts = saved::to_options(name, base)?;
    let mut o = connect::request(args).options()?;
    let url_secret = o.password.take();
    let merged = o.or(base_opts);
    if merged.engine.is_none() {
        return Err(Failure::local(
            "a saved connection needs an engine: give a URL or --engine",
            vec![],
        ));
    }
    Ok((merged, url_secret))
}

fn read_secret(
    args: &ConnSaveArgs,
    url_secret: Option<Secret>,
    kind: SecretKind,
) -> Result<Option<Secret>, Failure> {
    if args.secret_stdin {
        let mut s = String::new();
        std::io::stdin()
            .read_to_string(&mut s)
            .map_err(|e| Failure::local(format!("cannot read stdin: {e}"), vec![]))?;
        return Ok(Some(Secret::new(
            s.trim_end_matches(['\n', '\r']).to_string(),
        )));
    }
    if url_secret.is_some() {
        return Ok(url_secret);
    }
    if std::io::stdin().is_terminal() {
        let what = match kind {
            SecretKind::Password => "Password (empty: none)",
            SecretKind::AwsSecretAccessKey => "AWS secret access key (empty: ask each time)",
        };
        let s = rpassword::prompt_password(format!("{what}: "))
            .map_err(|e| Failure::local(e.to_string(), vec![]))?;
        return Ok((!s.is_empty()).then(|| Secret::new(s)));
    }
    Ok(None)
}

fn save(args: ConnSaveArgs, adding: bool) -> Result<(), Failure> {
    check_name(&args.name).map_err(config_failure)?;
    let dir = dir()?;
    let existing = saved::load_file(&dir)?;
    let base = if adding {
        if existing.connections.contains_key(&args.name) {
            return Err(config_failure(ConfigError::Exists(args.name.clone())));
        }
        SavedConnection::default()
    } else {
        existing.get(&args.name).map_err(config_failure)?.clone()
    };
    let (mut opts, url_secret) = options_from(&args.name, &args.conn, &base)?;
    if let Some(kind) = saved::secret_kind(opts.auth) {
        let secret = read_secret(&args, url_secret, kind)?;
        match kind {
            SecretKind::Password => opts.password = secret,
            SecretKind::AwsSecretAccessKey => opts.aws_secret_access_key = secret,
        }
    }
    let store = match &args.secret_store {
        Some(n) => Some(SecretStore::from_name(n, &dir).ok_or_else(|| {
            Failure::local(
                format!("unknown secret store {n:?}"),
                vec!["use keyring, file or prompt".into()],
            )
        })?),
        None => None,
    };
    let chose = store.is_some() || base.secret.is_some();
    let mode = if adding {
        saved::SaveMode::Add
    } else {
        saved::SaveMode::Replace
    };
    // The one way every surface saves (the UI's Save too).
    let put = saved::save(&dir, &args.name, &opts, mode, store)?;
    if let (saved::SecretSaved::File(p), false) = (&put, chose) {
        eprintln!(
            "warning: no OS keyring reachable; the secret is stored in {} (mode 0600)",
            p.display()
        );
    }
    eprintln!(
        "{} {:?} in {}",
        if adding { "Saved" } else { "Updated" },
        args.name,
        ConnectionsFile::path(&dir).display()
    );
    Ok(())
}

fn describe(name: &str, s: &SavedConnection) -> String {
    let target = if s.get("engine").as_deref() == Some("sqlite") {
        s.get("dbname").unwrap_or_default()
    } else {
        let host = s.get("host").unwrap_or_else(|| "localhost".into());
        let port = s.get("port").map(|p| format!(":{p}")).unwrap_or_default();
        let user = s.get("user").map(|u| format!("{u}@")).unwrap_or_default();
        format!("{user}{host}{port}/{}", s.get("dbname").unwrap_or_default())
    };
    format!(
        "{name:<16} {:<9} {:<11} {target}",
        s.get("engine").unwrap_or_else(|| "-".into()),
        s.get("auth").unwrap_or_else(|| "password".into()),
    )
}

pub async fn run(cmd: ConnCommand) -> Result<(), Failure> {
    match cmd {
        ConnCommand::Add(a) => save(a, true),
        ConnCommand::Edit(a) => save(a, false),
        ConnCommand::List { json } => {
            let f = saved::load_file(&dir()?)?;
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&f.connections).unwrap_or_default()
                );
            } else {
                for (name, s) in &f.connections {
                    println!("{}", describe(name, s));
                }
            }
            Ok(())
        }
        ConnCommand::Show { name, json } => {
            let d = dir()?;
            let f = saved::load_file(&d)?;
            let s = f.get(&name).map_err(config_failure)?;
            if json {
                println!("{}", serde_json::to_string_pretty(s).unwrap_or_default());
            } else {
                let text = toml::to_string_pretty(s).unwrap_or_default();
                println!("# {name} (from {})", ConnectionsFile::path(&d).display());
                print!("{text}");
                let where_ = match s.secret.as_deref() {
                    Some("keyring") => "in the OS keyring (service rdsql)".to_string(),
                    Some("file") => format!("in {} (mode 0600)", d.join("secrets.toml").display()),
                    Some("prompt") => "not stored: asked for at each connection".into(),
                    _ => "none saved".into(),
                };
                println!("# secret: {where_}");
            }
            Ok(())
        }
        ConnCommand::Rm { name } => {
            let d = dir()?;
            // The secret goes first (saved::delete): a locked keyring keeps
            // the connection and says so, instead of orphaning the secret.
            saved::delete(&d, &name).map_err(Failure::from)?;
            eprintln!("Removed {name:?}.");
            Ok(())
        }
        ConnCommand::Test { name } => {
            let args = ConnArgs {
                conn: Some(name.clone()),
                fields: vec![],
            };
            let spec = connect::resolve(&args)?;
            let started = Instant::now();
            let mut conn = connect::open_session(spec.clone()).await?;
            let connected = started.elapsed();
            let mut sink = crate::output::sink(
                crate::cli::Format::Csv,
                Box::new(std::io::sink()),
                crate::output::Status { quiet: true },
            );
            conn.run_statement("select 1", sink.as_mut())
                .await
                .map_err(Failure::query)?;
            let total = started.elapsed();
            let info = conn.info();
            println!("ok: {name}");
            match &spec {
                ConnectionSpec::Server(s) => {
                    println!("  target:   {} {} as {}", s.engine, s.host_port(), s.user);
                    println!("  auth:     {}", s.auth);
                    println!(
                        "  tls:      {} ({})",
                        info.tls.as_deref().unwrap_or("none"),
                        s.sslmode
                    );
                }
                ConnectionSpec::Sqlite { path } => println!("  target:   sqlite {path}"),
            }
            if let Some(v) = info.server_version {
                println!("  server:   {v}");
            }
            println!("  connect:  {:.1} ms", connected.as_secs_f64() * 1000.0);
            println!(
                "  select 1: {:.1} ms",
                (total - connected).as_secs_f64() * 1000.0
            );
            conn.close().await;
            Ok(())
        }
    }
}
