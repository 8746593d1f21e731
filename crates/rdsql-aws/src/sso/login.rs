//! Browser sign-in to IAM Identity Center, as AWS CLI v2 does it:
//! authorization code + PKCE with a loopback listener, or the device code
//! flow; plus token refresh. Results go to the shared cache.

use super::SsoSession;
use super::cache::{self, CachedToken, format_time};
use aws_sdk_ssooidc::operation::create_token::CreateTokenError;
use base64::Engine;
use std::time::{Duration, SystemTime};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Tokens with less than this left are refreshed.
pub const REFRESH_WINDOW: Duration = Duration::from_secs(15 * 60);

/// How to sign in.
#[derive(Debug, Clone)]
pub struct LoginOptions {
    pub use_device_code: bool,
    pub timeout: Duration,
    pub client_name: String,
}

impl Default for LoginOptions {
    fn default() -> Self {
        LoginOptions {
            use_device_code: false,
            timeout: Duration::from_secs(600),
            client_name: "rdsql".into(),
        }
    }
}

/// What the sign-in shows the user (the binary opens a browser, spins).
pub trait LoginUi: Send + Sync {
    /// The page to open; `user_code` for the device flow.
    fn open(&self, url: &str, user_code: Option<&str>);
    /// Waiting for the user in the browser.
    fn waiting(&self);
    /// Finished (either way).
    fn finished(&self);
}

/// Sign-in or refresh failed; never contains a token.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct LoginError {
    pub message: String,
    pub hints: Vec<String>,
}

fn err(message: impl Into<String>, hints: Vec<String>) -> LoginError {
    LoginError {
        message: message.into(),
        hints,
    }
}

/// The OIDC endpoint for `region`, honouring `AWS_ENDPOINT_URL_SSO_OIDC`
/// (and `AWS_ENDPOINT_URL`) as the SDK does, so the browser step goes to the
/// same place as the API calls.
pub fn oidc_endpoint(region: &str) -> String {
    std::env::var("AWS_ENDPOINT_URL_SSO_OIDC")
        .or_else(|_| std::env::var("AWS_ENDPOINT_URL"))
        .ok()
        .filter(|s| !s.is_empty())
        .map(|s| s.trim_end_matches('/').to_string())
        .unwrap_or_else(|| format!("https://oidc.{region}.amazonaws.com"))
}

async fn sdk_config(region: &str) -> aws_types::SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new(region.to_string()))
        .no_credentials()
        .load()
        .await
}

pub(crate) async fn oidc_client(region: &str) -> aws_sdk_ssooidc::Client {
    aws_sdk_ssooidc::Client::new(&sdk_config(region).await)
}

pub(crate) async fn portal_client(region: &str) -> aws_sdk_sso::Client {
    aws_sdk_sso::Client::new(&sdk_config(region).await)
}

fn b64url(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn random_b64(n: usize) -> String {
    let mut b = vec![0u8; n];
    aws_lc_rs::rand::fill(&mut b).expect("system randomness");
    b64url(&b)
}

/// A PKCE verifier (43–128 chars) and its S256 challenge.
pub fn pkce_pair() -> (String, String) {
    let verifier = random_b64(64);
    let challenge =
        b64url(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, verifier.as_bytes()).as_ref());
    (verifier, challenge)
}

fn enc(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}

fn timeout_hints(session: &SsoSession) -> Vec<String> {
    vec![
        format!(
            "the start URL ({}) or the SSO region ({}) is wrong",
            session.start_url, session.region
        ),
        "the sign-in was not completed in the browser in time".into(),
        format!("sign in again: {}", session.login_command()),
    ]
}

/// Signs in interactively and stores the token in the shared cache.
pub async fn login(
    session: &SsoSession,
    opts: &LoginOptions,
    ui: &dyn LoginUi,
) -> Result<CachedToken, LoginError> {
    let client = oidc_client(&session.region).await;
    let fut = async {
        if opts.use_device_code || session.legacy {
            device_flow(&client, session, opts, ui).await
        } else {
            pkce_flow(&client, session, opts, ui).await
        }
    };
    let result = match tokio::time::timeout(opts.timeout, fut).await {
        Ok(r) => r,
        Err(_) => Err(err(
            format!("SSO sign-in timed out after {} s", opts.timeout.as_secs()),
            timeout_hints(session),
        )),
    };
    ui.finished();
    let tok = result?;
    let dir = cache::cache_dir()
        .ok_or_else(|| err("HOME is not set: cannot find ~/.aws/sso/cache", vec![]))?;
    cache::store(&dir, &session.cache_key, &tok).map_err(|e| err(e.to_string(), vec![]))?;
    Ok(tok)
}

struct Registration {
    client_id: String,
    client_secret: String,
    expires_at: String,
}

async fn register(
    client: &aws_sdk_ssooidc::Client,
    session: &SsoSession,
    opts: &LoginOptions,
    pkce: bool,
) -> Result<Registration, LoginError> {
    let mut req = client
        .register_client()
        .client_name(&opts.client_name)
        .client_type("public");
    if pkce {
        req = req
            .grant_types("authorization_code")
            .grant_types("refresh_token")
            .redirect_uris("http://127.0.0.1/oauth/callback")
            .issuer_url(&session.start_url);
    }
    for s in &session.scopes {
        req = req.scopes(s);
    }
    let out = req.send().await.map_err(|e| {
        err(
            format!(
                "could not register with IAM Identity Center in {}: {}",
                session.region,
                crate::errors::error_chain(&e)
            ),
            vec![format!(
                "check the SSO region ({}) and your network",
                session.region
            )],
        )
    })?;
    Ok(Registration {
        client_id: out.client_id().unwrap_or_default().to_string(),
        client_secret: out.client_secret().unwrap_or_default().to_string(),
        expires_at: format_time(
            SystemTime::UNIX_EPOCH
                + Duration::from_secs(out.client_secret_expires_at().max(0) as u64),
        ),
    })
}

fn token_from(
    session: &SsoSession,
    reg: &Registration,
    access: Option<&str>,
    expires_in: i32,
    refresh: Option<&str>,
) -> Result<CachedToken, LoginError> {
    let access =
        access.ok_or_else(|| err("IAM Identity Center returned no access token", vec![]))?;
    Ok(CachedToken {
        start_url: session.start_url.clone(),
        region: session.region.clone(),
        access_token: access.to_string(),
        expires_at: format_time(SystemTime::now() + Duration::from_secs(expires_in.max(0) as u64)),
        client_id: Some(reg.client_id.clone()),
        client_secret: Some(reg.client_secret.clone()),
        registration_expires_at: Some(reg.expires_at.clone()),
        refresh_token: refresh.map(str::to_string),
    })
}

async fn pkce_flow(
    client: &aws_sdk_ssooidc::Client,
    session: &SsoSession,
    opts: &LoginOptions,
    ui: &dyn LoginUi,
) -> Result<CachedToken, LoginError> {
    let reg = register(client, session, opts, true).await?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| {
            err(
                format!("cannot listen on 127.0.0.1 for the browser callback: {e}"),
                vec!["use --use-device-code".into()],
            )
        })?;
    let port = listener
        .local_addr()
        .map_err(|e| err(e.to_string(), vec![]))?
        .port();
    let redirect = format!("http://127.0.0.1:{port}/oauth/callback");
    let state = random_b64(32);
    let (verifier, challenge) = pkce_pair();
    let scopes = session.scopes.join(" ");
    let url = format!(
        "{}/authorize?response_type=code&client_id={}&redirect_uri={}&state={}&code_challenge_method=S256&scopes={}&code_challenge={}",
        oidc_endpoint(&session.region),
        enc(&reg.client_id),
        enc(&redirect),
        enc(&state),
        enc(&scopes),
        enc(&challenge)
    );
    ui.open(&url, None);
    ui.waiting();
    let code = loop {
        let (mut sock, _) = listener
            .accept()
            .await
            .map_err(|e| err(e.to_string(), vec![]))?;
        let mut buf = vec![0u8; 8192];
        let n = sock.read(&mut buf).await.unwrap_or(0);
        let req = String::from_utf8_lossy(&buf[..n]);
        let target = req
            .split_whitespace()
            .nth(1)
            .unwrap_or_default()
            .to_string();
        let Some(query) = target.strip_prefix("/oauth/callback?") else {
            let _ = sock
                .write_all(
                    b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                )
                .await;
            continue;
        };
        let params: std::collections::HashMap<String, String> = query
            .split('&')
            .filter_map(|p| p.split_once('='))
            .map(|(k, v)| {
                (
                    k.to_string(),
                    percent_encoding::percent_decode_str(v)
                        .decode_utf8_lossy()
                        .into_owned(),
                )
            })
            .collect();
        let (status, page, outcome) = if params.get("state") != Some(&state) {
            (
                "400 Bad Request",
                "rdsql: this sign-in response does not belong to the sign-in in progress (state mismatch). Nothing was signed in.",
                Err(err(
                    "SSO sign-in refused: the browser callback's state does not match (a stale tab or a forged request)",
                    vec![format!(
                        "run {} again and use the newly opened tab",
                        session.login_command()
                    )],
                )),
            )
        } else if let Some(e) = params.get("error") {
            (
                "400 Bad Request",
                "rdsql: sign-in was not completed. You can close this tab.",
                Err(err(
                    format!(
                        "SSO sign-in was refused: {e} {}",
                        params
                            .get("error_description")
                            .map(String::as_str)
                            .unwrap_or("")
                    ),
                    timeout_hints(session),
                )),
            )
        } else if let Some(c) = params.get("code") {
            (
                "200 OK",
                "rdsql: you are signed in. You can close this tab and return to the terminal.",
                Ok(c.clone()),
            )
        } else {
            (
                "400 Bad Request",
                "rdsql: the callback had no code.",
                Err(err(
                    "SSO sign-in callback had no authorization code",
                    vec![],
                )),
            )
        };
        let html = format!(
            "<!doctype html><html><head><meta charset=\"utf-8\"><title>rdsql</title></head><body><p>{page}</p></body></html>"
        );
        let _ = sock
            .write_all(format!("HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{html}", html.len()).as_bytes())
            .await;
        break outcome?;
    };
    let out = client
        .create_token()
        .grant_type("authorization_code")
        .client_id(&reg.client_id)
        .client_secret(&reg.client_secret)
        .redirect_uri(&redirect)
        .code_verifier(&verifier)
        .code(&code)
        .send()
        .await
        .map_err(|e| {
            err(
                format!(
                    "SSO sign-in failed at the token step: {}",
                    crate::errors::error_chain(&e)
                ),
                timeout_hints(session),
            )
        })?;
    token_from(
        session,
        &reg,
        out.access_token(),
        out.expires_in(),
        out.refresh_token(),
    )
}

async fn device_flow(
    client: &aws_sdk_ssooidc::Client,
    session: &SsoSession,
    opts: &LoginOptions,
    ui: &dyn LoginUi,
) -> Result<CachedToken, LoginError> {
    let reg = register(client, session, opts, false).await?;
    let auth = client
        .start_device_authorization()
        .client_id(&reg.client_id)
        .client_secret(&reg.client_secret)
        .start_url(&session.start_url)
        .send()
        .await
        .map_err(|e| {
            err(
                format!(
                    "could not start the SSO sign-in: {}",
                    crate::errors::error_chain(&e)
                ),
                timeout_hints(session),
            )
        })?;
    let device_code = auth.device_code().unwrap_or_default().to_string();
    let url = auth
        .verification_uri_complete()
        .or(auth.verification_uri())
        .unwrap_or_default()
        .to_string();
    ui.open(&url, auth.user_code());
    ui.waiting();
    let mut interval = Duration::from_secs(if auth.interval() > 0 {
        auth.interval() as u64
    } else {
        5
    });
    let deadline =
        tokio::time::Instant::now() + Duration::from_secs(auth.expires_in().max(1) as u64);
    loop {
        tokio::time::sleep(interval).await;
        let r = client
            .create_token()
            .grant_type("urn:ietf:params:oauth:grant-type:device_code")
            .client_id(&reg.client_id)
            .client_secret(&reg.client_secret)
            .device_code(&device_code)
            .send()
            .await;
        match r {
            Ok(out) => {
                return token_from(
                    session,
                    &reg,
                    out.access_token(),
                    out.expires_in(),
                    out.refresh_token(),
                );
            }
            Err(e) => match e.as_service_error() {
                Some(CreateTokenError::AuthorizationPendingException(_)) => {}
                Some(CreateTokenError::SlowDownException(_)) => interval += Duration::from_secs(5),
                Some(CreateTokenError::ExpiredTokenException(_)) => {
                    return Err(err(
                        "SSO sign-in timed out: the device code expired before it was approved",
                        timeout_hints(session),
                    ));
                }
                _ => {
                    return Err(err(
                        format!("SSO sign-in failed: {}", crate::errors::error_chain(&e)),
                        timeout_hints(session),
                    ));
                }
            },
        }
        if tokio::time::Instant::now() >= deadline {
            return Err(err(
                "SSO sign-in timed out: the device code expired before it was approved",
                timeout_hints(session),
            ));
        }
    }
}

/// A usable token for `session`: the cached one if more than 15 minutes
/// are left, else refreshed with the refresh token (and stored), else an
/// error naming the command that signs in again.
pub async fn valid_token(session: &SsoSession) -> Result<CachedToken, LoginError> {
    let dir = cache::cache_dir()
        .ok_or_else(|| err("HOME is not set: cannot find ~/.aws/sso/cache", vec![]))?;
    let sign_in = || vec![format!("sign in: {}", session.login_command())];
    let tok = cache::load(&dir, &session.cache_key)
        .map_err(|e| err(e.to_string(), sign_in()))?
        .ok_or_else(|| {
            err(
                format!(
                    "not signed in to {} (no cached SSO token)",
                    session.start_url
                ),
                sign_in(),
            )
        })?;
    let now = SystemTime::now();
    let expires = tok.expires().unwrap_or(SystemTime::UNIX_EPOCH);
    if expires > now + REFRESH_WINDOW {
        return Ok(tok);
    }
    let registration_ok = tok.registration_expires().is_some_and(|t| t > now);
    if let (Some(rt), Some(cid), Some(cs), true) = (
        &tok.refresh_token,
        &tok.client_id,
        &tok.client_secret,
        registration_ok,
    ) {
        let client = oidc_client(&session.region).await;
        let r = client
            .create_token()
            .grant_type("refresh_token")
            .client_id(cid)
            .client_secret(cs)
            .refresh_token(rt)
            .send()
            .await;
        match r {
            Ok(out) if out.access_token().is_some() => {
                let fresh = CachedToken {
                    access_token: out.access_token().unwrap_or_default().to_string(),
                    expires_at: format_time(
                        SystemTime::now() + Duration::from_secs(out.expires_in().max(0) as u64),
                    ),
                    refresh_token: out
                        .refresh_token()
                        .map(str::to_string)
                        .or(tok.refresh_token.clone()),
                    ..tok.clone()
                };
                cache::store(&dir, &session.cache_key, &fresh)
                    .map_err(|e| err(e.to_string(), vec![]))?;
                return Ok(fresh);
            }
            Ok(_) => {}
            Err(e) => tracing::debug!(
                "SSO token refresh failed: {}",
                crate::errors::error_chain(&e)
            ),
        }
    }
    if expires > now {
        // Under 15 minutes left and no way to refresh: still usable now.
        return Ok(tok);
    }
    Err(err(
        format!("the SSO sign-in to {} has expired", session.start_url),
        vec![
            format!("sign in again: {}", session.login_command()),
            "Identity Center sessions last a limited time (set by the administrator)".into(),
        ],
    ))
}
