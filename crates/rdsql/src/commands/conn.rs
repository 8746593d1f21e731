//! `rdsql conn add|list|show|edit|rm|test`: saved connections.

use crate::cli::{ConnArgs, ConnCommand, ConnSaveArgs};
use crate::connect;
use crate::report::Failure;
use rdsql_config::store::check_name;
use rdsql_config::{ConfigError, ConnectionsFile, SavedConnection, SecretKind, SecretStore, paths};
use rdsql_db::{AuthMethod, ConnectionSpec, Secret};
use std::io::{IsTerminal, Read};
use std::path::PathBuf;
use std::time::Instant;

/// A config error as exit 1.
pub fn config_failure(e: ConfigError) -> Failure {
    let causes = match &e {
        ConfigError::Malformed { .. } => vec![
            "fix the file at that line and column; rdsql never overwrites a file it cannot read"
                .into(),
        ],
        ConfigError::Unknown { .. } => vec![
            "rdsql conn list shows the saved connections; rdsql conn add NAME URL saves one".into(),
        ],
        _ => vec![],
    };
    Failure::local(e.to_string(), causes)
}

pub fn dir() -> Result<PathBuf, Failure> {
    paths::config_dir().ok_or_else(|| config_failure(ConfigError::NoDir))
}

/// The store a saved connection's secret is in.
pub fn store_of(saved: &SavedConnection, dir: &std::path::Path) -> Option<SecretStore> {
    saved
        .secret
        .as_deref()
        .and_then(|n| SecretStore::from_name(n, dir))
}

fn fields_from(
    args: &ConnArgs,
    base: SavedConnection,
) -> Result<(SavedConnection, Option<Secret>), Failure> {
    let mut s = base;
    let mut url_secret = None;
    if let Some(url) = &args.conn {
        let o = rdsql_db::url::parse_url(url).map_err(Failure::spec)?;
        s.engine = o.engine.map(|e| e.name().to_string()).or(s.engine);
        s.host = o.host.or(s.host);
        s.port = o.port.or(s.port);
        s.user = o.user.or(s.user);
        s.dbname = o.dbname.or(s.dbname);
        s.auth = o.auth.map(|a| a.name().to_string()).or(s.auth);
        s.sslmode = o.sslmode.map(|m| m.name().to_string()).or(s.sslmode);
        s.sslrootcert = o
            .sslrootcert
            .map(|p| p.display().to_string())
            .or(s.sslrootcert);
        s.connect_timeout = o.connect_timeout.or(s.connect_timeout);
        s.aws_region = o.aws_region.or(s.aws_region);
        s.aws_profile = o.aws_profile.or(s.aws_profile);
        s.aws_access_key_id = o.aws_access_key_id.or(s.aws_access_key_id);
        s.sso_start_url = o.sso_start_url.or(s.sso_start_url);
        s.sso_region = o.sso_region.or(s.sso_region);
        s.sso_account_id = o.sso_account_id.or(s.sso_account_id);
        s.sso_role_name = o.sso_role_name.or(s.sso_role_name);
        s.iam_host = o.iam_host.or(s.iam_host);
        s.iam_port = o.iam_port.or(s.iam_port);
        url_secret = o.password;
    }
    let a = args;
    macro_rules! take {
        ($($f:ident),*) => { $( if a.$f.is_some() { s.$f = a.$f.clone(); } )* };
    }
    take!(
        engine,
        host,
        port,
        user,
        dbname,
        auth,
        sslmode,
        connect_timeout,
        aws_region,
        aws_profile,
        aws_access_key_id,
        sso_start_url,
        sso_region,
        sso_account_id,
        sso_role_name,
        iam_host,
        iam_port
    );
    if let Some(p) = &a.sslrootcert {
        s.sslrootcert = Some(p.display().to_string());
    }
    // Validate now, not at first use: the same parser as connections.
    let mut check = rdsql_db::ConnectOptions::default();
    for (k, v) in [
        ("engine", &s.engine),
        ("auth", &s.auth),
        ("sslmode", &s.sslmode),
    ] {
        if let Some(v) = v {
            check
                .set(k, v)
                .map_err(|why| Failure::local(format!("bad {k}: {why}"), vec![]))?;
        }
    }
    if s.engine.is_none() {
        return Err(Failure::local(
            "a saved connection needs an engine: give a URL or --engine",
            vec![],
        ));
    }
    Ok((s, url_secret))
}

fn secret_kind(s: &SavedConnection) -> Option<SecretKind> {
    match s.auth.as_deref().map(|a| a.parse::<AuthMethod>()) {
        None | Some(Ok(AuthMethod::Password)) => Some(SecretKind::Password),
        Some(Ok(AuthMethod::IamKeys)) => Some(SecretKind::AwsSecretAccessKey),
        _ => None,
    }
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
    let existing = ConnectionsFile::load(&dir).map_err(config_failure)?;
    let base = if adding {
        if existing.connections.contains_key(&args.name) {
            return Err(config_failure(ConfigError::Exists(args.name.clone())));
        }
        SavedConnection::default()
    } else {
        existing.get(&args.name).map_err(config_failure)?.clone()
    };
    let (mut saved, url_secret) = fields_from(&args.conn, base)?;
    let kind = secret_kind(&saved);
    let secret = match kind {
        Some(k) => read_secret(&args, url_secret, k)?,
        None => None,
    };
    let store = match &args.secret_store {
        Some(n) => Some(SecretStore::from_name(n, &dir).ok_or_else(|| {
            Failure::local(
                format!("unknown secret store {n:?}"),
                vec!["use keyring, file or prompt".into()],
            )
        })?),
        None => store_of(&saved, &dir),
    };
    if let (Some(kind), Some(secret)) = (kind, &secret) {
        let store = store.unwrap_or_else(|| {
            let s = SecretStore::default_for(&dir);
            if let SecretStore::File(p) = &s {
                eprintln!(
                    "warning: no OS keyring reachable; the secret is stored in {} (mode 0600)",
                    p.display()
                );
            }
            s
        });
        store
            .put(&dir, &args.name, kind, secret)
            .map_err(config_failure)?;
        saved.secret = Some(store.name().to_string());
    } else if let Some(SecretStore::Prompt) = store {
        saved.secret = Some("prompt".into());
    }
    let name = args.name.clone();
    ConnectionsFile::update(&dir, move |f| {
        if adding && f.connections.contains_key(&name) {
            return Err(ConfigError::Exists(name.clone()));
        }
        f.connections.insert(name, saved);
        Ok(())
    })
    .map_err(config_failure)?;
    eprintln!(
        "{} {:?} in {}",
        if adding { "Saved" } else { "Updated" },
        args.name,
        ConnectionsFile::path(&dir).display()
    );
    Ok(())
}

fn describe(name: &str, s: &SavedConnection) -> String {
    let target = if s.engine.as_deref() == Some("sqlite") {
        s.dbname.clone().unwrap_or_default()
    } else {
        let host = s.host.clone().unwrap_or_else(|| "localhost".into());
        let port = s.port.map(|p| format!(":{p}")).unwrap_or_default();
        let user = s
            .user
            .as_deref()
            .map(|u| format!("{u}@"))
            .unwrap_or_default();
        format!("{user}{host}{port}/{}", s.dbname.as_deref().unwrap_or(""))
    };
    format!(
        "{name:<16} {:<9} {:<11} {target}",
        s.engine.as_deref().unwrap_or("-"),
        s.auth.as_deref().unwrap_or("password"),
    )
}

pub async fn run(cmd: ConnCommand) -> Result<(), Failure> {
    match cmd {
        ConnCommand::Add(a) => save(a, true),
        ConnCommand::Edit(a) => save(a, false),
        ConnCommand::List { json } => {
            let f = ConnectionsFile::load(&dir()?).map_err(config_failure)?;
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
            let f = ConnectionsFile::load(&d).map_err(config_failure)?;
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
            let removed = ConnectionsFile::update(&d, |f| {
                f.get(&name)?;
                Ok(f.connections.remove(&name))
            })
            .map_err(config_failure)?;
            if let Some(store) = removed.as_ref().and_then(|s| store_of(s, &d)) {
                store.delete(&d, &name).map_err(config_failure)?;
            }
            eprintln!("Removed {name:?}.");
            Ok(())
        }
        ConnCommand::Test { name } => {
            let args = ConnArgs {
                conn: Some(name.clone()),
                ..Default::default()
            };
            let spec = connect::resolve(&args)?;
            let started = Instant::now();
            let mut conn = connect::open(&spec).await?;
            let connected = started.elapsed();
            let mut sink = crate::output::sink(
                crate::cli::Format::Csv,
                Box::new(std::io::sink()),
                crate::output::Status { quiet: true },
            );
            conn.run("select 1", sink.as_mut())
                .await
                .map_err(Failure::query)?;
            let total = started.elapsed();
            let info = conn.session_info();
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
            Ok(())
        }
    }
}
