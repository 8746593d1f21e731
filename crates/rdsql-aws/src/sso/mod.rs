//! AWS SSO / IAM Identity Center: which sign-in a profile uses, the shared
//! token cache, browser sign-in (PKCE and device code), and the portal
//! calls that turn a sign-in into role credentials.

pub mod cache;
pub mod login;
pub mod portal;

use crate::profiles::load_profiles;

/// Which Identity Center sign-in, and where its token is cached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SsoSession {
    /// Cache key: the sso-session name, or the start URL (legacy/custom).
    pub cache_key: String,
    pub start_url: String,
    /// The Identity Center region (not necessarily the database's).
    pub region: String,
    pub scopes: Vec<String>,
    /// Legacy profiles (SSO keys in the profile) always use the device flow.
    pub legacy: bool,
    /// How the user named it, for messages and the "sign in again" hint.
    pub selector: Selector,
}

/// How the user picked the sign-in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selector {
    Profile(String),
    Session(String),
    Custom,
}

/// An SSO profile: its sign-in plus the account and role it uses.
#[derive(Debug, Clone)]
pub struct SsoProfile {
    pub session: SsoSession,
    pub account_id: Option<String>,
    pub role_name: Option<String>,
    pub region: Option<String>,
}

/// The sign-in could not be determined from the config.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct SsoConfigError {
    pub message: String,
    pub hints: Vec<String>,
}

impl SsoSession {
    /// A custom entry (start URL + region), cached under the start URL.
    pub fn custom(start_url: &str, region: &str) -> Self {
        SsoSession {
            cache_key: start_url.to_string(),
            start_url: start_url.to_string(),
            region: region.to_string(),
            scopes: vec!["sso:account:access".into()],
            legacy: false,
            selector: Selector::Custom,
        }
    }

    /// The command that signs in to this session again.
    pub fn login_command(&self) -> String {
        match &self.selector {
            Selector::Profile(p) => format!("rdsql sso login --profile {p}"),
            Selector::Session(s) => format!("rdsql sso login --sso-session {s}"),
            Selector::Custom => format!(
                "rdsql sso login --sso-start-url {} --sso-region {}",
                self.start_url, self.region
            ),
        }
    }
}

/// Reads the `[sso-session NAME]` section.
pub async fn session_by_name(name: &str) -> Result<SsoSession, SsoConfigError> {
    let profiles = load_profiles().await.map_err(|m| SsoConfigError {
        message: m,
        hints: vec![],
    })?;
    let Some(s) = profiles.sso_session(name) else {
        let mut names: Vec<&str> = profiles.sso_sessions().collect();
        names.sort();
        return Err(SsoConfigError {
            message: format!("no [sso-session {name}] in the AWS config"),
            hints: vec![format!(
                "sso-sessions that exist: {}",
                if names.is_empty() {
                    "none".into()
                } else {
                    names.join(", ")
                }
            )],
        });
    };
    let start_url = s
        .get("sso_start_url")
        .ok_or_else(|| missing(&format!("sso-session {name}"), "sso_start_url"))?;
    let region = s
        .get("sso_region")
        .ok_or_else(|| missing(&format!("sso-session {name}"), "sso_region"))?;
    let scopes = s
        .get("sso_registration_scopes")
        .map(|v| {
            v.split(',')
                .map(|x| x.trim().to_string())
                .filter(|x| !x.is_empty())
                .collect()
        })
        .unwrap_or_else(|| vec!["sso:account:access".to_string()]);
    Ok(SsoSession {
        cache_key: name.to_string(),
        start_url: start_url.to_string(),
        region: region.to_string(),
        scopes,
        legacy: false,
        selector: Selector::Session(name.to_string()),
    })
}

fn missing(section: &str, key: &str) -> SsoConfigError {
    SsoConfigError {
        message: format!("[{section}] has no {key}"),
        hints: vec![format!("add {key} = … to that section of the AWS config")],
    }
}

/// Reads an SSO profile of either format.
pub async fn profile_by_name(name: &str) -> Result<SsoProfile, SsoConfigError> {
    let profiles = load_profiles().await.map_err(|m| SsoConfigError {
        message: m,
        hints: vec![],
    })?;
    let Some(p) = profiles.get_profile(name) else {
        let mut names: Vec<&str> = profiles.profiles().collect();
        names.sort();
        return Err(SsoConfigError {
            message: format!("profile {name:?} not found in the AWS config"),
            hints: vec![format!(
                "profiles that exist: {}",
                if names.is_empty() {
                    "none".into()
                } else {
                    names.join(", ")
                }
            )],
        });
    };
    let account_id = p.get("sso_account_id").map(str::to_string);
    let role_name = p.get("sso_role_name").map(str::to_string);
    let region = p.get("region").map(str::to_string);
    let mut session = if let Some(s) = p.get("sso_session") {
        session_by_name(s).await?
    } else if let Some(url) = p.get("sso_start_url") {
        let region = p
            .get("sso_region")
            .ok_or_else(|| missing(&format!("profile {name}"), "sso_region"))?;
        SsoSession {
            cache_key: url.to_string(),
            start_url: url.to_string(),
            region: region.to_string(),
            scopes: vec![],
            legacy: true,
            selector: Selector::Profile(name.to_string()),
        }
    } else {
        return Err(SsoConfigError {
            message: format!(
                "profile {name:?} is not an SSO profile (no sso_session or sso_start_url)"
            ),
            hints: vec![
                "use --auth iam-profile for profiles with keys, roles or credential_process".into(),
            ],
        });
    };
    session.selector = Selector::Profile(name.to_string());
    Ok(SsoProfile {
        session,
        account_id,
        role_name,
        region,
    })
}
