//! The IAM password provider: a fresh (or at most 870 s old) auth token
//! for each physical connection, signed with credentials that are
//! re-fetched before they expire.

use rdsql_aws::region::RegionSource;
use rdsql_aws::{
    CredentialSource, ResolvedCredentials, TokenCache, TokenRequest, generate_auth_token,
    resolve_region,
};
use rdsql_db::password::{BoxFuture, PasswordProvider};
use rdsql_db::{ProviderError, Secret, ServerSpec};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

/// How long credential resolution may take unless `RDSQL_CREDENTIAL_TIMEOUT`
/// says otherwise.
pub const CREDENTIAL_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// A clock, injectable for tests.
pub type Clock = Arc<dyn Fn() -> SystemTime + Send + Sync>;

/// Signs IAM auth tokens for one server spec.
pub struct IamTokenProvider {
    request: TokenRequest,
    region_source: RegionSource,
    credentials: Arc<ResolvedCredentials>,
    cache: Arc<TokenCache>,
    clock: Clock,
    issued_at: Mutex<Option<SystemTime>>,
    /// Whether the last token handed out came from the reuse cache.
    last_from_cache: AtomicBool,
    /// The limit on fetching credentials (docs/tokens.md, "Timeouts").
    credential_timeout: std::time::Duration,
    method: &'static str,
}

impl IamTokenProvider {
    /// Resolves region and credentials for `spec` (method `iam-keys`,
    /// `iam-profile` or `sso`). `env` looks up environment variables.
    pub async fn new(
        spec: &ServerSpec,
        source: CredentialSource,
        cache: Arc<TokenCache>,
        clock: Clock,
        env: &(dyn Fn(&str) -> Option<String> + Sync),
    ) -> Result<Self, ProviderError> {
        let sign_host = spec.iam_host.clone().unwrap_or_else(|| spec.host.clone());
        let sign_port = spec.iam_port.unwrap_or(spec.port);
        let (credentials, profile_region) =
            ResolvedCredentials::new(&source)
                .await
                .map_err(|e| ProviderError {
                    message: e.to_string(),
                    hints: e.hints.clone(),
                })?;
        let profile_name = match &source {
            CredentialSource::Profile(p) => Some(p.clone()),
            CredentialSource::MfaProfile { name, .. } => Some(name.clone()),
            CredentialSource::Sso { session, .. } => match &session.selector {
                rdsql_aws::sso::Selector::Profile(p) => Some(p.clone()),
                _ => None,
            },
            _ => None,
        };
        let mut resolved = resolve_region(
            spec.auth.region(),
            &sign_host,
            profile_name.as_deref().map(|p| (p, profile_region.clone())),
            env,
        );
        // With no profile named, the default chain's profile may carry the
        // region; read the files only when nothing else gave one.
        if resolved.is_err()
            && matches!(source, CredentialSource::DefaultChain)
            && let Some(r) = rdsql_aws::profiles::default_profile_region().await
        {
            let name = env("AWS_PROFILE").unwrap_or_else(|| "default".into());
            resolved = Ok((r, RegionSource::Profile(name)));
        }
        let (region, region_source) = resolved.map_err(|e| ProviderError {
            message: e.to_string(),
            hints: vec![
                "give --aws-region REGION (the database's region, e.g. eu-west-1)".into(),
                "or set region in the AWS profile, or AWS_REGION".into(),
                "the region is read from RDS host names (name.id.REGION.rds.amazonaws.com) automatically; behind a tunnel use --iam-host with the real endpoint".into(),
            ],
        })?;
        Ok(IamTokenProvider {
            request: TokenRequest {
                host: sign_host,
                port: sign_port,
                user: spec.user.clone(),
                region,
            },
            region_source,
            credentials: Arc::new(credentials),
            cache,
            clock,
            issued_at: Mutex::new(None),
            last_from_cache: AtomicBool::new(false),
            credential_timeout: env("RDSQL_CREDENTIAL_TIMEOUT")
                .and_then(|v| v.parse().ok())
                .map(std::time::Duration::from_secs)
                .unwrap_or(CREDENTIAL_TIMEOUT),
            method: spec.auth.method().name(),
        })
    }

    /// What the token is signed for.
    pub fn request(&self) -> &TokenRequest {
        &self.request
    }

    /// The credentials, for AWS API calls beside the token
    /// (`rdsql aws check`).
    pub fn credentials(&self) -> Arc<ResolvedCredentials> {
        self.credentials.clone()
    }

    /// Where the signing region came from.
    pub fn region_source(&self) -> &RegionSource {
        &self.region_source
    }

    /// Where the credentials come from, for messages (never a secret).
    pub fn credentials_description(&self) -> &str {
        self.credentials.description()
    }

    /// When the token in use was signed.
    pub fn issued_at(&self) -> Option<SystemTime> {
        self.issued_at.lock().ok().and_then(|g| *g)
    }

    /// Fetches the credentials now (STS, `credential_process`, SSO role
    /// credentials…), so that this slow part runs before — and outside —
    /// the connect timeout (docs/tokens.md, "Timeouts").
    pub async fn resolve_credentials(&self) -> Result<(), ProviderError> {
        self.credentials
            .credentials()
            .await
            .map(|_| ())
            .map_err(|e| ProviderError {
                message: e.to_string(),
                hints: e.hints.clone(),
            })
    }

    /// A token now (cached or fresh), for `rdsql token`.
    pub async fn token(&self) -> Result<Secret, ProviderError> {
        let creds = self
            .credentials
            .credentials()
            .await
            .map_err(|e| ProviderError {
                message: e.to_string(),
                hints: e.hints.clone(),
            })?;
        let now = (self.clock)();
        if let Some((tok, at)) = self.cache.get(&self.request, creds.access_key_id(), now) {
            *self.issued_at.lock().unwrap_or_else(|p| p.into_inner()) = Some(at);
            self.last_from_cache.store(true, Ordering::SeqCst);
            return Ok(tok);
        }
        self.last_from_cache.store(false, Ordering::SeqCst);
        let tok = generate_auth_token(&self.request, &creds, now).map_err(|e| ProviderError {
            message: e.to_string(),
            hints: vec!["check the host, port, user and region for unusual characters".into()],
        })?;
        self.cache
            .put(&self.request, creds.access_key_id(), tok.clone(), now);
        *self.issued_at.lock().unwrap_or_else(|p| p.into_inner()) = Some(now);
        Ok(tok)
    }
}

impl PasswordProvider for IamTokenProvider {
    fn password(&self) -> BoxFuture<'_, Result<Secret, ProviderError>> {
        Box::pin(self.token())
    }

    /// A retry makes sense only when the rejected token was a reused one
    /// (it may have been signed with credentials revoked since): then the
    /// cache is emptied and the credential provider asked again. A freshly
    /// signed token that was rejected would be rejected again — the cause is
    /// the policy, the user or the region (docs/tokens.md, "Retry").
    fn prepare(&self) -> BoxFuture<'_, Result<(), ProviderError>> {
        Box::pin(async move {
            let limit = self.credential_timeout;
            match tokio::time::timeout(limit, self.resolve_credentials()).await {
                Ok(r) => r,
                Err(_) => Err(ProviderError {
                    message: format!(
                        "the AWS credentials ({}) did not arrive within {} s",
                        self.credentials.description(),
                        limit.as_secs()
                    ),
                    hints: vec![
                        "the credential source (STS, credential_process, the SSO portal) does not answer: check the network, proxy settings and AWS_ENDPOINT_URL_* variables".into(),
                        "a credential_process may be waiting for input it cannot get".into(),
                        "raise the limit with RDSQL_CREDENTIAL_TIMEOUT=SECONDS".into(),
                    ],
                }),
            }
        })
    }

    fn invalidate(&self) -> bool {
        if !self.last_from_cache.swap(false, Ordering::SeqCst) {
            return false;
        }
        self.cache.clear();
        self.credentials.forget();
        true
    }

    fn token_issued_at(&self) -> Option<SystemTime> {
        self.issued_at()
    }

    fn describe(&self) -> String {
        let r = &self.request;
        let host = if r.host.contains(':') {
            format!("[{}]", r.host)
        } else {
            r.host.clone()
        };
        format!(
            "{} token for user {:?} at {host}:{} in region {} (region from {}), credentials from {}",
            self.method,
            r.user,
            r.port,
            r.region,
            self.region_source,
            self.credentials.description()
        )
    }
}
