//! Opening a resolved connection: the password provider its [`Auth`]
//! calls for, credentials fetched before (and outside) the connect
//! timeout, and — where a person is there — prompts and SSO sign-in
//! through an [`Interaction`] the surface supplies.

use crate::Error;
use rdsql_aws::TokenCache;
use rdsql_aws::sso::SsoSession;
use rdsql_db::password::BoxFuture;
use rdsql_db::{Auth, Connection, ConnectionSpec, PasswordProvider, Secret, StaticPassword};
use std::sync::Arc;

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
        return crate::auth::password::open_with_password(spec, server, password.clone(), ui, env)
            .await;
    }
    // Credentials are fetched by the provider's `prepare`, under their own
    // limit, before the connect timeout starts (docs/tokens.md).
    let provider = iam_provider_with(server, ui, env, cache).await?;
    connect_with(spec, Arc::new(provider)).await
}

/// Connects with `provider`; a failure names where the password came from.
pub(crate) async fn connect_with(
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

pub use crate::auth::profile::source as profile_source;
pub use crate::auth::sso::{custom_session, select_flags};
pub use crate::auth::{credential_source, iam_provider, iam_provider_with, token_error};
