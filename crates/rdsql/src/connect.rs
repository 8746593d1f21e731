//! Turns connection flags, a URL and the environment into an open
//! connection, prompting for a password when that is the only way.

use crate::cli::ConnArgs;
use crate::report::Failure;
use rdsql_aws::{CredentialSource, TokenCache};
use rdsql_db::iam::IamTokenProvider;
use rdsql_db::{
    AuthMethod, ConnectFailure, ConnectOptions, Connection, ConnectionSpec, PasswordProvider,
    Secret, ServerSpec, StaticPassword,
};
use std::io::IsTerminal;
use std::sync::Arc;
use std::time::SystemTime;

/// Resolves flags + URL + environment into a spec (no network).
pub fn resolve(args: &ConnArgs) -> Result<ConnectionSpec, Failure> {
    let flags = flag_options(args)?;
    let url = match &args.conn {
        Some(c) if c.contains(':') => rdsql_db::url::parse_url(c).map_err(Failure::spec)?,
        Some(name) => {
            return Err(Failure::local(
                format!("{name:?} is not a URL, and saved connections are not available yet"),
                vec![
                    "give a URL such as postgres://user@host:5432/db, mysql://user@host/db or sqlite:file.db".into(),
                ],
            ));
        }
        None => ConnectOptions::default(),
    };
    ConnectionSpec::resolve(flags.or(url), &|k| std::env::var(k).ok()).map_err(Failure::spec)
}

fn flag_options(a: &ConnArgs) -> Result<ConnectOptions, Failure> {
    let bad =
        |flag: &str, why: String| Failure::local(format!("bad value for --{flag}: {why}"), vec![]);
    Ok(ConnectOptions {
        engine: a
            .engine
            .as_deref()
            .map(str::parse)
            .transpose()
            .map_err(|e| bad("engine", e))?,
        host: a.host.clone(),
        port: a.port,
        user: a.user.clone(),
        dbname: a.dbname.clone(),
        password: None,
        auth: a
            .auth
            .as_deref()
            .map(str::parse)
            .transpose()
            .map_err(|e| bad("auth", e))?,
        sslmode: a
            .sslmode
            .as_deref()
            .map(str::parse)
            .transpose()
            .map_err(|e| bad("sslmode", e))?,
        sslrootcert: a.sslrootcert.clone(),
        connect_timeout: a.connect_timeout,
        aws_region: a.aws_region.clone(),
        aws_profile: a.aws_profile.clone(),
        aws_access_key_id: a.aws_access_key_id.clone(),
        sso_start_url: a.sso_start_url.clone(),
        sso_region: a.sso_region.clone(),
        sso_account_id: a.sso_account_id.clone(),
        sso_role_name: a.sso_role_name.clone(),
        iam_host: a.iam_host.clone(),
        iam_port: a.iam_port,
    })
}

/// Opens the connection the spec describes.
pub async fn open(spec: &ConnectionSpec) -> Result<Connection, Failure> {
    let ConnectionSpec::Server(server) = spec else {
        return Connection::connect(spec, &StaticPassword::new(Secret::default(), "none"))
            .await
            .map_err(|e| Failure::connect(e, None));
    };
    if server.auth.uses_token() {
        let provider = iam_provider(server).await?;
        return Connection::connect(spec, &provider)
            .await
            .map_err(|e| Failure::connect(e, Some(provider.describe())));
    }
    let (provider, given) = match &server.password {
        Some(p) => (StaticPassword::new(p.clone(), password_source()), true),
        None => (StaticPassword::new(Secret::default(), "no password"), false),
    };
    match Connection::connect(spec, &provider).await {
        // As psql does: only when the server wants a password that nothing
        // gave, ask on the terminal and try once more.
        Err(e) if !given && wants_password(&e.failure) && has_tty() => {
            let prompt = format!("Password for {}@{}: ", server.user, server.host_port());
            let typed = rpassword::prompt_password(prompt).map_err(|err| {
                Failure::local(format!("could not read the password: {err}"), vec![])
            })?;
            let provider = StaticPassword::new(Secret::new(typed), "typed password");
            Connection::connect(spec, &provider)
                .await
                .map_err(|e| Failure::connect(e, Some(provider.describe())))
        }
        Err(e) => Err(Failure::connect(e, Some(provider.describe()))),
        Ok(c) => Ok(c),
    }
}

/// The token provider for an IAM connection (iam-keys, iam-profile).
pub async fn iam_provider(server: &ServerSpec) -> Result<IamTokenProvider, Failure> {
    let source = credential_source(server)?;
    let env = |k: &str| std::env::var(k).ok();
    IamTokenProvider::new(
        server,
        source,
        Arc::new(TokenCache::default()),
        Arc::new(SystemTime::now),
        &env,
    )
    .await
    .map_err(|e| Failure::token(e, server))
}

fn credential_source(server: &ServerSpec) -> Result<CredentialSource, Failure> {
    let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    match server.auth {
        AuthMethod::IamKeys => {
            let access_key_id = server.aws.access_key_id.clone().or_else(|| env("AWS_ACCESS_KEY_ID")).ok_or_else(|| {
                Failure::local(
                    "--auth iam-keys needs an access key ID",
                    vec!["give --aws-access-key-id AKIA… (or set AWS_ACCESS_KEY_ID)".into()],
                )
            })?;
            let (secret, session_token) = match env("AWS_SECRET_ACCESS_KEY") {
                Some(s) => (Secret::new(s), env("AWS_SESSION_TOKEN").map(Secret::new)),
                None if has_tty() => {
                    let s = prompt(&format!("AWS secret access key for {access_key_id}: "))?;
                    let t = prompt("AWS session token (empty if none): ")?;
                    let t = env("AWS_SESSION_TOKEN").map(Secret::new).or((!t.is_empty()).then_some(t));
                    (s, t)
                }
                None => {
                    return Err(Failure::local(
                        format!("no secret access key for {access_key_id}"),
                        vec![
                            "set AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN for temporary keys), or run on a terminal to be asked".into(),
                            "the secret is never accepted as a command-line argument".into(),
                        ],
                    ));
                }
            };
            Ok(CredentialSource::Keys { access_key_id, secret_access_key: secret, session_token })
        }
        AuthMethod::IamProfile => Ok(match server.aws.profile.clone().or_else(|| env("AWS_PROFILE")) {
            Some(p) => CredentialSource::Profile(p),
            None => CredentialSource::DefaultChain,
        }),
        AuthMethod::Sso => Err(Failure::local(
            "--auth sso is not available in this build yet",
            vec!["sign in with `aws sso login --profile NAME` and use --auth iam-profile --aws-profile NAME meanwhile".into()],
        )),
        AuthMethod::Password => unreachable!("password auth has no AWS credentials"),
    }
}

fn prompt(text: &str) -> Result<Secret, Failure> {
    rpassword::prompt_password(text)
        .map(Secret::new)
        .map_err(|e| Failure::local(format!("could not read from the terminal: {e}"), vec![]))
}

fn wants_password(f: &ConnectFailure) -> bool {
    match f {
        ConnectFailure::AuthRejected { .. } => true,
        ConnectFailure::Other(m) => m.contains("password missing"),
        _ => false,
    }
}

fn has_tty() -> bool {
    // The prompt is read from /dev/tty, so piped SQL on stdin still works;
    // with stderr redirected (scripts, tests) nobody would see the prompt.
    std::io::stderr().is_terminal() && std::fs::File::open("/dev/tty").is_ok()
}

fn password_source() -> String {
    for v in ["RDSQL_PASSWORD", "PGPASSWORD", "MYSQL_PWD"] {
        if std::env::var_os(v).is_some() {
            return format!("password from {v} or the URL");
        }
    }
    "password from the URL".into()
}
