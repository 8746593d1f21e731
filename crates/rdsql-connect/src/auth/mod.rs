//! One module per authentication method, each producing what the
//! `PasswordProvider` seam needs: a static password, or the AWS credential
//! source the IAM token provider signs with. Adding a method: a module
//! here, an arm in [`credential_source`] (or [`crate::open`] for a
//! password-like one), and the capabilities of `AuthMethod`
//! (docs/architecture.md).

pub(crate) mod keys;
pub(crate) mod password;
pub mod profile;
pub mod sso;

use crate::iam::IamTokenProvider;
use crate::{Error, Interaction};
use rdsql_aws::{CredentialSource, TokenCache};
use rdsql_db::{Auth, ServerSpec};
use std::sync::Arc;
use std::time::SystemTime;

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

/// The AWS credentials an IAM or SSO connection signs with, by method
/// (matched exhaustively: a new method must say what it needs).
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
            session_token,
            ..
        } => keys::source(access_key_id, secret_access_key, session_token, ui, &env),
        Auth::IamProfile { profile, .. } => match profile.clone().or_else(|| env("AWS_PROFILE")) {
            Some(p) => profile::source(p, ui).await,
            None => Ok(CredentialSource::DefaultChain),
        },
        Auth::Sso {
            sign_in,
            account_id,
            role_name,
            ..
        } => sso::source(sign_in, account_id, role_name, ui, &env).await,
        Auth::Password { .. } => Err(Error::setup(
            "password authentication has no AWS credentials",
            vec![],
        )),
    }
}
