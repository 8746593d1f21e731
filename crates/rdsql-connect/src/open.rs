//! Opening a resolved connection: the password provider its [`Auth`]
//! calls for, credentials fetched before (and outside) the connect
//! timeout, and — where a person is there — prompts and SSO sign-in
//! through an [`Interaction`] the surface supplies.

use crate::Error;
use crate::iam::IamTokenProvider;
use rdsql_aws::sso::{self, SsoSession};
use rdsql_aws::{CredentialSource, TokenCache};
use rdsql_db::password::BoxFuture;
use rdsql_db::{
    Auth, ConnectFailure, Connection, ConnectionSpec, PasswordProvider, Secret, ServerSpec,
    SsoSignIn, StaticPassword,
};
use std::sync::Arc;
use std::time::SystemTime;

pub use crate::iam::CREDENTIAL_TIMEOUT;

/// What a surface can do when a person is needed.
pub trait Interaction: Send + Sync {
    /// True when a person can answer a prompt now.
    fn can_prompt(&self) -> bool;
    /// Asks for a secret without echo.
    fn secret(&self, prompt: &str) -> Result<Secret, Error>;
    /// An MFA code (`prompt` names the device): a terminal asks; the UI
    /// has its dialog's MFA Code field. `None` when nobody can give one.
    fn mfa_code(&self, prompt: &str) -> Option<Result<Secret, Error>> {
        self.can_prompt().then(|| self.secret(prompt))
    }
    /// Signs in to IAM Identity Center (a browser), having said `why`.
    fn sso_sign_in<'a>(
        &'a self,
        session: &'a SsoSession,
        why: &'a str,
    ) -> BoxFuture<'a, Result<(), Error>>;
}

/// No person: prompts and sign-in fail with what to run instead.
pub struct NoInteraction;

impl Interaction for NoInteraction {
    fn can_prompt(&self) -> bool {
        false
    }
    fn secret(&self, prompt: &str) -> Result<Secret, Error> {
        Err(Error::setup(
            format!(
                "cannot ask for {}: no terminal",
                prompt.trim_end_matches([':', ' '])
            ),
            vec![],
        ))
    }
    fn sso_sign_in<'a>(
        &'a self,
        session: &'a SsoSession,
        why: &'a str,
    ) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(async move {
            Err(Error::SignIn {
                message: why.to_string(),
                hints: vec![format!(
                    "sign in first: rdsql sso login {}",
                    select_flags(session)
                )],
            })
        })
    }
}

/// Opens `spec`, returning the session and the password provider that
/// worked (a shell reconnects and cancels with it).
pub async fn open(
    spec: &ConnectionSpec,
    ui: &dyn Interaction,
    env: &(dyn Fn(&str) -> Option<String> + Sync),
) -> Result<(Connection, Arc<dyn PasswordProvider>), Error> {
    open_with_cache(spec, ui, env, Arc::new(TokenCache::default())).await
}

/// As [`open`], with the IAM token cache to use (the proxy shares one with
/// a shorter reuse window).
pub async fn open_with_cache(
    spec: &ConnectionSpec,
    ui: &dyn Interaction,
    env: &(dyn Fn(&str) -> Option<String> + Sync),
    cache: Arc<TokenCache>,
) -> Result<(Connection, Arc<dyn PasswordProvider>), Error> {
    let ConnectionSpec::Server(server) = spec else {
        let p: Arc<dyn PasswordProvider> = Arc::new(StaticPassword::new(Secret::default(), "none"));
        let c = Connection::connect(spec, p.as_ref())
            .await
            .map_err(|error| Error::Connect { error, tried: None })?;
        return Ok((c, p));
    };
    if let Auth::Password { password } = &server.auth {
        return open_with_password(spec, server, password.clone(), ui, env).await;
    }
    // Credentials are fetched by the provider's `prepare`, under their own
    // limit, before the connect timeout starts (docs/tokens.md).
    let provider = iam_provider_with(server, ui, env, cache).await?;
    connect_with(spec, Arc::new(provider)).await
}

/// Connects with `provider`; a failure names where the password came from.
async fn connect_with(
    spec: &ConnectionSpec,
    provider: Arc<dyn PasswordProvider>,
) -> Result<(Connection, Arc<dyn PasswordProvider>), Error> {
    match Connection::connect(spec, provider.as_ref()).await {
        Ok(c) => Ok((c, provider)),
        Err(error) => Err(Error::Connect {
            error,
            tried: Some(provider.describe()),
        }),
    }
}

async fn open_with_password(
    spec: &ConnectionSpec,
    server: &ServerSpec,
    password: Option<Secret>,
    ui: &dyn Interaction,
    env: &(dyn Fn(&str) -> Option<String> + Sync),
) -> Result<(Connection, Arc<dyn PasswordProvider>), Error> {
    let given = password.is_some();
    let provider: Arc<dyn PasswordProvider> = match password {
        Some(p) => Arc::new(StaticPassword::new(p, password_source(env))),
        // No password is sent at all (docs/connection-model.md, "Passwords").
        None => Arc::new(StaticPassword::new(Secret::default(), "no password")),
    };
    match Connection::connect(spec, provider.as_ref()).await {
        // As psql: only when the server wants a password that nothing gave,
        // ask and try once more.
        Err(e) if !given && wants_password(&e.failure) && ui.can_prompt() => {
            let typed = ui.secret(&format!(
                "Password for {}@{}: ",
                server.user,
                server.host_port()
            ))?;
            connect_with(spec, Arc::new(StaticPassword::new(typed, "typed password"))).await
        }
        Err(error) => Err(Error::Connect {
            error,
            tried: Some(provider.describe()),
        }),
        Ok(c) => Ok((c, provider)),
    }
}

fn wants_password(f: &ConnectFailure) -> bool {
    matches!(
        f,
        ConnectFailure::AuthRejected { .. } | ConnectFailure::PasswordRequired
    )
}

fn password_source(env: &(dyn Fn(&str) -> Option<String> + Sync)) -> String {
    for v in ["RDSQL_PASSWORD", "PGPASSWORD", "MYSQL_PWD"] {
        if env(v).is_some() {
            return format!("password from {v}, the URL or a saved connection");
        }
    }
    "password from the URL or a saved connection".into()
}

/// A token that could not be made, with what it was for.
pub fn token_error(server: &ServerSpec, error: rdsql_db::ProviderError) -> Error {
    Error::Token {
        method: server.auth.method(),
        user: server.user.clone(),
        host: server
            .iam_host
            .clone()
            .unwrap_or_else(|| server.host.clone()),
        port: server.iam_port.unwrap_or(server.port),
        error,
    }
}

/// The token provider for an IAM or SSO connection (prompts and sign-in
/// happen here, before any connect timeout starts).
pub async fn iam_provider(
    server: &ServerSpec,
    ui: &dyn Interaction,
    env: &(dyn Fn(&str) -> Option<String> + Sync),
) -> Result<IamTokenProvider, Error> {
    iam_provider_with(server, ui, env, Arc::new(TokenCache::default())).await
}

/// As [`iam_provider`], with the token cache to use.
pub async fn iam_provider_with(
    server: &ServerSpec,
    ui: &dyn Interaction,
    env: &(dyn Fn(&str) -> Option<String> + Sync),
    cache: Arc<TokenCache>,
) -> Result<IamTokenProvider, Error> {
    let source = credential_source(server, ui, env).await?;
    IamTokenProvider::new(server, source, cache, Arc::new(SystemTime::now), env)
        .await
        .map_err(|e| token_error(server, e))
}

pub async fn credential_source(
    server: &ServerSpec,
    ui: &dyn Interaction,
    env: &(dyn Fn(&str) -> Option<String> + Sync),
) -> Result<CredentialSource, Error> {
    let env = |k: &str| env(k).filter(|v| !v.is_empty());
    match &server.auth {
        Auth::IamKeys {
            access_key_id,
            secret_access_key,
            session_token: given_token,
            ..
        } => {
            let access_key_id = access_key_id
                .clone()
                .or_else(|| env("AWS_ACCESS_KEY_ID"))
                .ok_or_else(|| {
                    Error::setup(
                        "--auth iam-keys needs an access key ID",
                        vec!["give --aws-access-key-id AKIA… (or set AWS_ACCESS_KEY_ID)".into()],
                    )
                })?;
            let (secret, session_token) = match secret_access_key
                .clone()
                .or_else(|| env("AWS_SECRET_ACCESS_KEY").map(Secret::new))
            {
                Some(s) => (
                    s,
                    given_token
                        .clone()
                        .or_else(|| env("AWS_SESSION_TOKEN").map(Secret::new)),
                ),
                None if ui.can_prompt() => {
                    let s = ui.secret(&format!("AWS secret access key for {access_key_id}: "))?;
                    let t = ui.secret("AWS session token (empty if none): ")?;
                    let t = env("AWS_SESSION_TOKEN")
                        .map(Secret::new)
                        .or((!t.expose().is_empty()).then_some(t));
                    (s, t)
                }
                None => {
                    return Err(Error::setup(
                        format!("no secret access key for {access_key_id}"),
                        vec![
                            "set AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN for temporary keys), save it with rdsql conn add, or run on a terminal to be asked".into(),
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
        Auth::IamProfile { profile, .. } => match profile.clone().or_else(|| env("AWS_PROFILE")) {
            Some(p) => profile_source(p, ui).await,
            None => Ok(CredentialSource::DefaultChain),
        },
        Auth::Sso {
            sign_in,
            account_id,
            role_name,
            ..
        } => sso_source(sign_in, account_id, role_name, ui, &env).await,
        Auth::Password { .. } => Err(Error::setup(
            "password authentication has no AWS credentials",
            vec![],
        )),
    }
}

/// A named profile; one whose role demands MFA gets its code asked for
/// now — before any connect timeout — unless the shared cache holds valid
/// role credentials (docs/mfa.md).
pub async fn profile_source(name: String, ui: &dyn Interaction) -> Result<CredentialSource, Error> {
    let role = rdsql_aws::mfa::mfa_role(&name).await.map_err(|e| {
        Error::setup(
            e,
            vec![
                "fix the profile in the AWS config file (AWS_CONFIG_FILE, else ~/.aws/config)"
                    .into(),
            ],
        )
    })?;
    let Some(role) = role else {
        return Ok(CredentialSource::Profile(name));
    };
    if role.cached().is_some() {
        return Ok(CredentialSource::MfaProfile { name, code: None });
    }
    let Some(code) = ui.mfa_code(&role.prompt()) else {
        return Err(Error::MfaCodeNeeded {
            message: rdsql_aws::mfa::no_terminal(&role),
            hints: vec![
                "run rdsql on a terminal to be asked for the code, or type it in the UI's MFA Code field".into(),
                format!(
                    "or fill the shared cache first: aws sts get-caller-identity --profile {name} (rdsql uses the AWS CLI's cache)"
                ),
            ],
        });
    };
    let code = code?;
    Ok(CredentialSource::MfaProfile {
        name,
        code: Some(code),
    })
}

/// `--auth sso`: an SSO profile, or a custom start URL + SSO region; the
/// account and role from the fields or the profile. Signs in first when no
/// valid token is cached and a person is there to do it.
async fn sso_source(
    sign_in: &SsoSignIn,
    account_id: &Option<String>,
    role_name: &Option<String>,
    ui: &dyn Interaction,
    env: &(dyn Fn(&str) -> Option<String> + Sync),
) -> Result<CredentialSource, Error> {
    let sso_config = |e: sso::SsoConfigError| Error::Setup {
        message: e.message,
        hints: e.hints,
    };
    let (session, account, role, profile_region) = match sign_in {
        SsoSignIn::Custom { start_url, region } => (
            custom_session(start_url, region)?,
            account_id.clone(),
            role_name.clone(),
            None,
        ),
        SsoSignIn::Profile(profile) => {
            let Some(name) = profile.clone().or_else(|| env("AWS_PROFILE")) else {
                return Err(Error::setup(
                    "--auth sso needs an SSO profile (--aws-profile) or --sso-start-url and --sso-region",
                    vec!["rdsql aws profiles lists the SSO profiles found".into()],
                ));
            };
            let p = sso::profile_by_name(&name).await.map_err(sso_config)?;
            (
                p.session,
                account_id.clone().or(p.account_id),
                role_name.clone().or(p.role_name),
                p.region,
            )
        }
    };
    let (Some(account_id), Some(role_name)) = (account, role) else {
        return Err(Error::setup(
            "--auth sso needs an AWS account ID and a role name",
            vec![
                "give --sso-account-id ID --sso-role-name NAME (or set sso_account_id / sso_role_name in the profile)".into(),
                format!("to choose: rdsql sso accounts {0}, then rdsql sso roles --account-id ID {0}", select_flags(&session)),
            ],
        ));
    };
    if let Err(e) = sso::login::valid_token(&session).await {
        if !ui.can_prompt() {
            return Err(Error::SignIn {
                message: e.message,
                hints: e.hints,
            });
        }
        ui.sso_sign_in(&session, &e.message).await?;
    }
    Ok(CredentialSource::Sso {
        session,
        account_id,
        role_name,
        profile_region,
    })
}

/// A custom sign-in, checked: the start URL must be https and the region a
/// region name (it becomes part of the endpoints' host names, so a crafted
/// one could send the SSO tokens elsewhere).
pub fn custom_session(start_url: &str, region: &str) -> Result<SsoSession, Error> {
    if !rdsql_aws::region::is_region_name(region) {
        return Err(Error::setup(
            format!("{region:?} is not an AWS region name"),
            vec!["the SSO region is where IAM Identity Center runs, e.g. us-east-1".into()],
        ));
    }
    if !start_url.starts_with("https://") {
        return Err(Error::setup(
            format!("the SSO start URL {start_url:?} is not an https:// address"),
            vec!["it looks like https://my-org.awsapps.com/start".into()],
        ));
    }
    Ok(SsoSession::custom(start_url, region))
}

/// The `rdsql sso …` flags that name `s`.
pub fn select_flags(s: &SsoSession) -> String {
    match &s.selector {
        sso::Selector::Profile(p) => format!("--profile {p}"),
        sso::Selector::Session(n) => format!("--sso-session {n}"),
        sso::Selector::Custom => {
            format!("--sso-start-url {} --sso-region {}", s.start_url, s.region)
        }
    }
}
