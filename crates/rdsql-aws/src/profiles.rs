//! Profile discovery for `rdsql aws profiles`: every profile of the AWS
//! config and credentials files, classified, read afresh on each call.

use crate::errors::error_chain;
use aws_types::os_shim_internal::{Env, Fs};
use serde::Serialize;

/// One profile as listed.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ProfileInfo {
    pub name: String,
    /// static, sso (legacy), sso (sso-session), role, process, or other.
    pub kind: String,
    pub region: Option<String>,
    pub sso_session: Option<String>,
    pub sso_start_url: Option<String>,
    pub sso_region: Option<String>,
    pub sso_account_id: Option<String>,
    pub sso_role_name: Option<String>,
    /// The MFA device a role profile demands (`mfa_serial`).
    pub mfa_serial: Option<String>,
}

/// All profiles, sorted by name. A malformed file is an error naming the
/// file and line (from the SDK's parser).
pub async fn list() -> Result<Vec<ProfileInfo>, String> {
    let set = load_profiles().await?;
    let mut out: Vec<ProfileInfo> = set
        .profiles()
        .filter_map(|name| set.get_profile(name).map(|p| (name, p)))
        .map(|(name, p)| {
            let get = |k: &str| p.get(k).map(str::to_string);
            let session = get("sso_session").and_then(|s| set.sso_session(&s).map(|sec| (s, sec)));
            let (start, sso_region) = match &session {
                Some((_, sec)) => (
                    sec.get("sso_start_url").map(str::to_string),
                    sec.get("sso_region").map(str::to_string),
                ),
                None => (get("sso_start_url"), get("sso_region")),
            };
            let kind = if get("sso_session").is_some() {
                "sso (sso-session)"
            } else if get("sso_start_url").is_some() {
                "sso (legacy)"
            } else if get("role_arn").is_some() {
                "role"
            } else if get("credential_process").is_some() {
                "process"
            } else if get("aws_access_key_id").is_some() {
                "static"
            } else {
                "other"
            };
            ProfileInfo {
                name: name.to_string(),
                kind: kind.into(),
                region: get("region"),
                sso_session: get("sso_session"),
                sso_start_url: start,
                sso_region,
                sso_account_id: get("sso_account_id"),
                sso_role_name: get("sso_role_name"),
                mfa_serial: get("mfa_serial").filter(|_| get("role_arn").is_some()),
            }
        })
        .collect();
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

/// The `region` of the profile the default chain would use (`AWS_PROFILE`,
/// else `default`), if any.
pub async fn default_profile_region() -> Option<String> {
    let profile = std::env::var("AWS_PROFILE").unwrap_or_else(|_| "default".into());
    let profiles = load_profiles().await.ok()?;
    profiles
        .get_profile(&profile)
        .and_then(|p| p.get("region"))
        .map(str::to_string)
}

/// The profiles that exist (config and credentials files merged).
pub async fn load_profiles() -> Result<aws_config::profile::ProfileSet, String> {
    aws_config::profile::load(&Fs::real(), &Env::real(), &Default::default(), None)
        .await
        .map_err(|e| error_chain(&e))
}
