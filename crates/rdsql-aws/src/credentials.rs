//! Where AWS credentials come from: explicit keys, a named profile (through
//! `aws-config`'s profile provider: static keys, `credential_process`,
//! `role_arn` chains, signed-in SSO), or the default chain.

use crate::errors::error_chain;
use crate::profiles::load_profiles;
use aws_config::profile::ProfileFileCredentialsProvider;
use aws_credential_types::Credentials;
use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use rdsql_secret::Secret;
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

/// Temporary credentials are fetched again this long before they expire.
const EXPIRY_MARGIN: Duration = Duration::from_secs(300);

/// The user's choice of credential source.
#[derive(Debug, Clone)]
pub enum CredentialSource {
    /// `--auth iam-keys`: an access key ID, its secret, maybe a session token.
    Keys {
        access_key_id: String,
        secret_access_key: Secret,
        session_token: Option<Secret>,
    },
    /// `--auth iam-profile --aws-profile NAME` (or `AWS_PROFILE`).
    Profile(String),
    /// A profile whose role demands MFA (`mfa_serial`), with the code when
    /// one was asked for before connecting (docs/mfa.md).
    MfaProfile { name: String, code: Option<Secret> },
    /// No profile named: the SDK's default chain (environment variables first).
    DefaultChain,
    /// `--auth sso`: role credentials from IAM Identity Center.
    Sso {
        session: crate::sso::SsoSession,
        account_id: String,
        role_name: String,
        /// The SSO profile's `region` (a fallback for the database's region).
        profile_region: Option<String>,
    },
}

/// Role credentials from the portal, with the cached sign-in refreshed
/// as needed (docs/sso.md).
#[derive(Debug)]
struct SsoRoleProvider {
    session: crate::sso::SsoSession,
    account_id: String,
    role_name: String,
}

impl ProvideCredentials for SsoRoleProvider {
    fn provide_credentials<'a>(
        &'a self,
    ) -> aws_credential_types::provider::future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        aws_credential_types::provider::future::ProvideCredentials::new(async move {
            let tok = crate::sso::login::valid_token(&self.session)
                .await
                .map_err(aws_credential_types::provider::error::CredentialsError::not_loaded)?;
            crate::sso::portal::role_credentials(
                &self.session,
                &tok.access(),
                &self.account_id,
                &self.role_name,
            )
            .await
            .map_err(aws_credential_types::provider::error::CredentialsError::provider_error)
        })
    }
}

/// Credentials could not be obtained.
#[derive(Debug, thiserror::Error)]
#[error("could not get AWS credentials from {source_desc}: {message}")]
pub struct CredentialsError {
    /// e.g. "profile dev from ~/.aws/credentials".
    pub source_desc: String,
    pub message: String,
    /// Likely causes and next steps.
    pub hints: Vec<String>,
}

/// A ready credential provider plus a description of it for messages.
pub struct ResolvedCredentials {
    provider: SharedCredentialsProvider,
    description: String,
    held: Mutex<Option<Credentials>>,
}

impl std::fmt::Debug for ResolvedCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResolvedCredentials")
            .field("description", &self.description)
            .finish()
    }
}

fn config_paths() -> String {
    let cfg = std::env::var("AWS_CONFIG_FILE").unwrap_or_else(|_| "~/.aws/config".into());
    let cred = std::env::var("AWS_SHARED_CREDENTIALS_FILE")
        .unwrap_or_else(|_| "~/.aws/credentials".into());
    format!("{cred} or {cfg}")
}

impl ResolvedCredentials {
    /// Builds the provider for `source`. For a profile, checks first that it
    /// exists (listing those that do otherwise); returns the profile's
    /// `region` too.
    pub async fn new(
        source: &CredentialSource,
    ) -> Result<(Self, Option<String>), CredentialsError> {
        match source {
            CredentialSource::Keys {
                access_key_id,
                secret_access_key,
                session_token,
            } => {
                let creds = Credentials::new(
                    access_key_id.clone(),
                    secret_access_key.expose().to_string(),
                    session_token.as_ref().map(|t| t.expose().to_string()),
                    None,
                    "rdsql-keys",
                );
                let description = if session_token.is_some() {
                    format!("access key {access_key_id} with a session token")
                } else {
                    format!("access key {access_key_id}")
                };
                Ok((
                    Self::wrap(SharedCredentialsProvider::new(creds), description),
                    None,
                ))
            }
            CredentialSource::Profile(name) => {
                let profiles = load_profiles().await.map_err(|message| CredentialsError {
                    source_desc: format!("profile {name}"),
                    message,
                    hints: vec![format!("fix the file named above ({})", config_paths())],
                })?;
                let Some(profile) = profiles.get_profile(name) else {
                    let mut names: Vec<&str> = profiles.profiles().collect();
                    names.sort();
                    let list = if names.is_empty() {
                        "none".to_string()
                    } else {
                        names.join(", ")
                    };
                    return Err(CredentialsError {
                        source_desc: format!("profile {name}"),
                        message: format!("profile {name:?} not found in {}", config_paths()),
                        hints: vec![
                            format!("profiles that exist: {list}"),
                            "run `aws configure --profile NAME` or check AWS_CONFIG_FILE / AWS_SHARED_CREDENTIALS_FILE".into(),
                        ],
                    });
                };
                let region = profile.get("region").map(str::to_string);
                let kind = if profile.get("sso_session").is_some()
                    || profile.get("sso_start_url").is_some()
                {
                    "SSO profile"
                } else if profile.get("credential_process").is_some() {
                    "credential_process profile"
                } else if profile.get("role_arn").is_some() {
                    "role profile"
                } else {
                    "profile"
                };
                let provider = ProfileFileCredentialsProvider::builder()
                    .configure(&crate::region::provider_config(region.clone()))
                    .profile_name(name)
                    .build();
                Ok((
                    Self::wrap(
                        SharedCredentialsProvider::new(provider),
                        format!("{kind} {name} from {}", config_paths()),
                    ),
                    region,
                ))
            }
            CredentialSource::MfaProfile { name, code } => {
                let role = crate::mfa::mfa_role(name)
                    .await
                    .map_err(|message| CredentialsError {
                        source_desc: format!("profile {name}"),
                        message,
                        hints: vec![format!("fix the profile in {}", config_paths())],
                    })?
                    .ok_or_else(|| CredentialsError {
                        source_desc: format!("profile {name}"),
                        message: format!("profile {name:?} has no role_arn with mfa_serial"),
                        hints: vec![],
                    })?;
                let description = format!("role profile {name} (with MFA)");
                let region = role.region.clone();
                let provider = crate::mfa::MfaRoleProvider {
                    role,
                    code: match code {
                        Some(c) => crate::mfa::CodeSource::Given(Mutex::new(Some(c.clone()))),
                        None => crate::mfa::CodeSource::Terminal,
                    },
                };
                Ok((
                    Self::wrap(SharedCredentialsProvider::new(provider), description),
                    region,
                ))
            }
            CredentialSource::Sso {
                session,
                account_id,
                role_name,
                profile_region,
            } => {
                let description = format!(
                    "SSO role {role_name} in account {account_id} via {} (SSO region {})",
                    session.start_url, session.region
                );
                let provider = SsoRoleProvider {
                    session: session.clone(),
                    account_id: account_id.clone(),
                    role_name: role_name.clone(),
                };
                Ok((
                    Self::wrap(SharedCredentialsProvider::new(provider), description),
                    profile_region.clone(),
                ))
            }
            CredentialSource::DefaultChain => {
                let env_keys = ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"]
                    .iter()
                    .all(|v| std::env::var(v).is_ok_and(|s| !s.is_empty()));
                if env_keys {
                    // The chain's first link, without building the rest
                    // (profile files, IMDS, container clients): what makes
                    // `rdsql token` start in milliseconds.
                    let provider = aws_config::environment::credentials::EnvironmentVariableCredentialsProvider::new();
                    let description = "environment variables (AWS_ACCESS_KEY_ID)".to_string();
                    return Ok((
                        Self::wrap(SharedCredentialsProvider::new(provider), description),
                        None,
                    ));
                }
                let chain =
                    aws_config::default_provider::credentials::DefaultCredentialsChain::builder()
                        .build()
                        .await;
                let profile = std::env::var("AWS_PROFILE").unwrap_or_else(|_| "default".into());
                let description = format!(
                    "the default chain (environment, then profile {profile}, then container/instance roles)"
                );
                Ok((
                    Self::wrap(SharedCredentialsProvider::new(chain), description),
                    None,
                ))
            }
        }
    }

    fn wrap(provider: SharedCredentialsProvider, description: String) -> Self {
        ResolvedCredentials {
            provider,
            description,
            held: Mutex::new(None),
        }
    }

    /// Where the credentials come from, for messages (never a secret).
    pub fn description(&self) -> &str {
        &self.description
    }

    /// Drops the held credentials, so the next call asks the provider
    /// again (after the server rejected a token signed with them).
    pub fn forget(&self) {
        if let Ok(mut held) = self.held.lock() {
            *held = None;
        }
    }

    /// Current credentials. Temporary ones are held until 5 minutes before
    /// they expire, then fetched again from the provider.
    pub async fn credentials(&self) -> Result<Credentials, CredentialsError> {
        let now = SystemTime::now();
        if let Ok(held) = self.held.lock()
            && let Some(c) = held.as_ref()
        {
            let fresh = match c.expiry() {
                None => true,
                Some(exp) => exp
                    .duration_since(now)
                    .map(|left| left > EXPIRY_MARGIN)
                    .unwrap_or(false),
            };
            if fresh {
                return Ok(c.clone());
            }
        }
        let creds = self.provider.provide_credentials().await.map_err(|e| CredentialsError {
            source_desc: self.description.clone(),
            message: error_chain(&e),
            hints: vec![
                "the credentials are missing, expired or malformed in the source named above".into(),
                "for an SSO profile: rdsql sso login --profile NAME (or aws sso login)".into(),
                "for role profiles: check role_arn, source_profile and the source's own credentials".into(),
            ],
        })?;
        if let Some(exp) = creds.expiry()
            && exp <= SystemTime::now()
        {
            return Err(CredentialsError {
                source_desc: self.description.clone(),
                message: "the credentials have expired".into(),
                hints: vec![
                    "refresh them at their source (new keys, aws sso login, a new session token)"
                        .into(),
                ],
            });
        }
        if let Ok(mut held) = self.held.lock() {
            *held = Some(creds.clone());
        }
        Ok(creds)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_credential_types::provider::future;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// Hands out credentials expiring `ttl` from now, counting calls.
    #[derive(Debug)]
    struct Counting {
        calls: Arc<AtomicUsize>,
        ttl: Duration,
    }

    impl ProvideCredentials for Counting {
        fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
        where
            Self: 'a,
        {
            let n = self.calls.fetch_add(1, Ordering::SeqCst);
            future::ProvideCredentials::ready(Ok(Credentials::new(
                format!("AKID{n}"),
                "secret",
                Some("token".into()),
                Some(SystemTime::now() + self.ttl),
                "test",
            )))
        }
    }

    fn resolved(ttl: Duration) -> (ResolvedCredentials, Arc<AtomicUsize>) {
        let calls = Arc::new(AtomicUsize::new(0));
        let p = Counting {
            calls: calls.clone(),
            ttl,
        };
        (
            ResolvedCredentials::wrap(SharedCredentialsProvider::new(p), "test".into()),
            calls,
        )
    }

    #[tokio::test]
    async fn long_lived_temporary_credentials_are_held() {
        let (r, calls) = resolved(Duration::from_secs(3600));
        let a = r.credentials().await.unwrap();
        let b = r.credentials().await.unwrap();
        assert_eq!(a.access_key_id(), b.access_key_id());
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn credentials_near_expiry_are_fetched_again() {
        let (r, calls) = resolved(Duration::from_secs(120));
        let a = r.credentials().await.unwrap();
        let b = r.credentials().await.unwrap();
        assert_ne!(a.access_key_id(), b.access_key_id());
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn expired_credentials_are_an_error_naming_the_source() {
        let (r, _) = resolved(Duration::ZERO);
        let e = r.credentials().await.unwrap_err();
        assert!(
            e.to_string().contains("expired") && e.to_string().contains("test"),
            "{e}"
        );
    }
}
