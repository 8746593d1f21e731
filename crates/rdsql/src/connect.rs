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
        Some(name) => saved_options(name)?,
        None => ConnectOptions::default(),
    };
    ConnectionSpec::resolve(flags.or(url), &|k| std::env::var(k).ok()).map_err(Failure::spec)
}

/// A saved connection's fields and secret as options.
fn saved_options(name: &str) -> Result<ConnectOptions, Failure> {
    use crate::commands::conn::{config_failure, dir, store_of};
    use rdsql_config::{ConnectionsFile, SecretKind};
    let d = dir()?;
    let file = ConnectionsFile::load(&d).map_err(config_failure)?;
    let s = file.get(name).map_err(|e| {
        let mut f = config_failure(e);
        f.causes.push("a connection is a saved name or a URL such as postgres://user@host:5432/db, mysql://user@host/db or sqlite:file.db".into());
        f
    })?;
    let mut o = ConnectOptions::default();
    let mut set = |k: &str, v: &Option<String>| -> Result<(), Failure> {
        if let Some(v) = v {
            o.set(k, v).map_err(|why| {
                Failure::local(format!("saved connection {name:?}: bad {k}: {why}"), vec![])
            })?;
        }
        Ok(())
    };
    for (k, v) in [
        ("engine", &s.engine),
        ("host", &s.host),
        ("user", &s.user),
        ("dbname", &s.dbname),
        ("auth", &s.auth),
        ("sslmode", &s.sslmode),
        ("sslrootcert", &s.sslrootcert),
        ("aws_region", &s.aws_region),
        ("aws_profile", &s.aws_profile),
        ("aws_access_key_id", &s.aws_access_key_id),
        ("sso_start_url", &s.sso_start_url),
        ("sso_region", &s.sso_region),
        ("sso_account_id", &s.sso_account_id),
        ("sso_role_name", &s.sso_role_name),
        ("iam_host", &s.iam_host),
    ] {
        set(k, v)?;
    }
    o.port = s.port;
    o.iam_port = s.iam_port;
    o.connect_timeout = s.connect_timeout;
    if let Some(store) = store_of(s, &d) {
        o.password = store
            .get(name, SecretKind::Password)
            .map_err(config_failure)?;
        o.aws_secret_access_key = store
            .get(name, SecretKind::AwsSecretAccessKey)
            .map_err(config_failure)?;
    }
    Ok(o)
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
        aws_secret_access_key: None,
    })
}

/// Opens the connection the spec describes.
pub async fn open(spec: &ConnectionSpec) -> Result<Connection, Failure> {
    open_session(spec).await.map(|(c, _)| c)
}

/// Opens the connection and returns the password provider that worked, so
/// a shell can reconnect (with a fresh token) and cancel with it.
pub async fn open_session(
    spec: &ConnectionSpec,
) -> Result<(Connection, Arc<dyn PasswordProvider>), Failure> {
    let ConnectionSpec::Server(server) = spec else {
        let p: Arc<dyn PasswordProvider> = Arc::new(StaticPassword::new(Secret::default(), "none"));
        let c = Connection::connect(spec, p.as_ref())
            .await
            .map_err(|e| Failure::connect(e, None))?;
        return Ok((c, p));
    };
    if server.auth.uses_token() {
        let provider: Arc<dyn PasswordProvider> = Arc::new(iam_provider(server).await?);
        let c = Connection::connect(spec, provider.as_ref())
            .await
            .map_err(|e| Failure::connect(e, Some(provider.describe())))?;
        return Ok((c, provider));
    }
    let given = server.password.is_some();
    let provider: Arc<dyn PasswordProvider> = match &server.password {
        Some(p) => Arc::new(StaticPassword::new(p.clone(), password_source())),
        None => Arc::new(StaticPassword::new(Secret::default(), "no password")),
    };
    match Connection::connect(spec, provider.as_ref()).await {
        // As psql does: only when the server wants a password that nothing
        // gave, ask on the terminal and try once more.
        Err(e) if !given && wants_password(&e.failure) && has_tty() => {
            let prompt = format!("Password for {}@{}: ", server.user, server.host_port());
            let typed = rpassword::prompt_password(prompt).map_err(|err| {
                Failure::local(format!("could not read the password: {err}"), vec![])
            })?;
            let provider: Arc<dyn PasswordProvider> =
                Arc::new(StaticPassword::new(Secret::new(typed), "typed password"));
            let c = Connection::connect(spec, provider.as_ref())
                .await
                .map_err(|e| Failure::connect(e, Some(provider.describe())))?;
            Ok((c, provider))
        }
        Err(e) => Err(Failure::connect(e, Some(provider.describe()))),
        Ok(c) => Ok((c, provider)),
    }
}

/// The token provider for an IAM connection (iam-keys, iam-profile).
pub async fn iam_provider(server: &ServerSpec) -> Result<IamTokenProvider, Failure> {
    let source = credential_source(server).await?;
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

async fn credential_source(server: &ServerSpec) -> Result<CredentialSource, Failure> {
    let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    match server.auth {
        AuthMethod::IamKeys => {
            let access_key_id = server
                .aws
                .access_key_id
                .clone()
                .or_else(|| env("AWS_ACCESS_KEY_ID"))
                .ok_or_else(|| {
                    Failure::local(
                        "--auth iam-keys needs an access key ID",
                        vec!["give --aws-access-key-id AKIA… (or set AWS_ACCESS_KEY_ID)".into()],
                    )
                })?;
            let saved = server.aws.secret_access_key.clone();
            let (secret, session_token) = match saved
                .or_else(|| env("AWS_SECRET_ACCESS_KEY").map(Secret::new))
            {
                Some(s) => (s, env("AWS_SESSION_TOKEN").map(Secret::new)),
                None if has_tty() => {
                    let s = prompt(&format!("AWS secret access key for {access_key_id}: "))?;
                    let t = prompt("AWS session token (empty if none): ")?;
                    let t = env("AWS_SESSION_TOKEN")
                        .map(Secret::new)
                        .or((!t.is_empty()).then_some(t));
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
            Ok(CredentialSource::Keys {
                access_key_id,
                secret_access_key: secret,
                session_token,
            })
        }
        AuthMethod::IamProfile => Ok(
            match server.aws.profile.clone().or_else(|| env("AWS_PROFILE")) {
                Some(p) => CredentialSource::Profile(p),
                None => CredentialSource::DefaultChain,
            },
        ),
        AuthMethod::Sso => sso_source(server).await,
        AuthMethod::Password => unreachable!("password auth has no AWS credentials"),
    }
}

/// `--auth sso`: an SSO profile, or a custom start URL + SSO region; the
/// account and role from flags or the profile. Signs in first when no
/// valid token is cached and a terminal is there to do it.
async fn sso_source(server: &ServerSpec) -> Result<CredentialSource, Failure> {
    use rdsql_aws::sso::{self, SsoSession};
    let a = &server.aws;
    let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    let (session, account, role, profile_region) = match (&a.sso_start_url, &a.sso_region) {
        (Some(url), Some(region)) => (
            SsoSession::custom(url, region),
            a.sso_account_id.clone(),
            a.sso_role_name.clone(),
            None,
        ),
        (Some(_), None) | (None, Some(_)) => {
            return Err(Failure::local(
                "custom SSO needs both --sso-start-url and --sso-region",
                vec!["or name an SSO profile with --aws-profile".into()],
            ));
        }
        (None, None) => {
            let Some(name) = a.profile.clone().or_else(|| env("AWS_PROFILE")) else {
                return Err(Failure::local(
                    "--auth sso needs an SSO profile (--aws-profile) or --sso-start-url and --sso-region",
                    vec!["rdsql aws profiles lists the SSO profiles found".into()],
                ));
            };
            let p = sso::profile_by_name(&name)
                .await
                .map_err(crate::signin::config_failure)?;
            (
                p.session,
                a.sso_account_id.clone().or(p.account_id),
                a.sso_role_name.clone().or(p.role_name),
                p.region,
            )
        }
    };
    let (Some(account_id), Some(role_name)) = (account, role) else {
        return Err(Failure::local(
            "--auth sso needs an AWS account ID and a role name",
            vec![
                "give --sso-account-id ID --sso-role-name NAME (or set sso_account_id / sso_role_name in the profile)".into(),
                format!("to choose: rdsql sso accounts {0}, then rdsql sso roles --account-id ID {0}", select_flags(&session)),
            ],
        ));
    };
    if let Err(e) = sso::login::valid_token(&session).await {
        if !has_tty() {
            return Err(crate::signin::login_failure(e));
        }
        eprintln!("{}; signing in…", e.message);
        crate::signin::sign_in(&session, &Default::default(), true).await?;
    }
    Ok(CredentialSource::Sso {
        session,
        account_id,
        role_name,
        profile_region,
    })
}

fn select_flags(s: &rdsql_aws::sso::SsoSession) -> String {
    match &s.selector {
        rdsql_aws::sso::Selector::Profile(p) => format!("--profile {p}"),
        rdsql_aws::sso::Selector::Session(n) => format!("--sso-session {n}"),
        rdsql_aws::sso::Selector::Custom => {
            format!("--sso-start-url {} --sso-region {}", s.start_url, s.region)
        }
    }
}

fn prompt(text: &str) -> Result<Secret, Failure> {
    rpassword::prompt_password(text)
        .map(Secret::new)
        .map_err(|e| Failure::local(format!("could not read from the terminal: {e}"), vec![]))
}

fn wants_password(f: &ConnectFailure) -> bool {
    matches!(
        f,
        ConnectFailure::AuthRejected { .. } | ConnectFailure::PasswordRequired
    )
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
