//! Assume-role profiles that demand MFA (`role_arn` + `mfa_serial`), which
//! `aws-config` does not support: STS `AssumeRole` with `SerialNumber` and
//! `TokenCode`, and the AWS CLI's own credential cache in
//! `~/.aws/cli/cache/`, so `aws` and rdsql share one prompt (docs/mfa.md).

use crate::errors::error_chain;
use aws_credential_types::Credentials;
use aws_credential_types::provider::{
    ProvideCredentials, SharedCredentialsProvider, error, future,
};
use rdsql_secret::Secret;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Cached role credentials are used while they have this long left — the
/// AWS CLI's own window, so the two tools agree on when to ask again (and
/// an IAM token signed with them lives its full 15 minutes).
const CACHE_WINDOW: Duration = Duration::from_secs(15 * 60);

/// Where the role's own credentials come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// `source_profile = NAME` (its keys, SSO, or its own role chain).
    Profile(String),
    /// `credential_source = Environment`.
    Environment,
    /// `credential_source = Ec2InstanceMetadata`.
    Ec2InstanceMetadata,
    /// `credential_source = EcsContainer`.
    EcsContainer,
}

/// An assume-role profile that needs an MFA code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MfaRole {
    pub profile: String,
    pub role_arn: String,
    pub mfa_serial: String,
    pub external_id: Option<String>,
    pub duration_seconds: Option<i32>,
    pub role_session_name: Option<String>,
    pub source: Source,
    /// The profile's `region` (STS is called there).
    pub region: Option<String>,
}

/// The MFA role of profile `name`, if it is one. Errors describe a
/// malformed profile (no source, a bad duration).
pub async fn mfa_role(name: &str) -> Result<Option<MfaRole>, String> {
    let profiles = crate::profiles::load_profiles().await?;
    let Some(p) = profiles.get_profile(name) else {
        return Ok(None);
    };
    let (Some(role_arn), Some(mfa_serial)) = (p.get("role_arn"), p.get("mfa_serial")) else {
        return Ok(None);
    };
    let source = match (p.get("source_profile"), p.get("credential_source")) {
        (Some(s), None) => Source::Profile(s.to_string()),
        (None, Some("Environment")) => Source::Environment,
        (None, Some("Ec2InstanceMetadata")) => Source::Ec2InstanceMetadata,
        (None, Some("EcsContainer")) => Source::EcsContainer,
        (None, Some(other)) => {
            return Err(format!(
                "profile {name}: credential_source {other:?} is not one of Environment, Ec2InstanceMetadata, EcsContainer"
            ));
        }
        (Some(_), Some(_)) => {
            return Err(format!(
                "profile {name} has both source_profile and credential_source; keep one"
            ));
        }
        (None, None) => {
            return Err(format!(
                "profile {name} has role_arn but neither source_profile nor credential_source"
            ));
        }
    };
    let duration_seconds = match p.get("duration_seconds") {
        None => None,
        Some(d) => Some(d.trim().parse::<i32>().map_err(|_| {
            format!("profile {name}: duration_seconds {d:?} is not a number of seconds")
        })?),
    };
    Ok(Some(MfaRole {
        profile: name.to_string(),
        role_arn: role_arn.to_string(),
        mfa_serial: mfa_serial.to_string(),
        external_id: p.get("external_id").map(str::to_string),
        duration_seconds,
        role_session_name: p.get("role_session_name").map(str::to_string),
        source,
        region: p.get("region").map(str::to_string),
    }))
}

/// A JSON string as Python's `json.dumps` writes it (`ensure_ascii`).
fn py_json_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 || (c as u32) > 0x7e => {
                let mut buf = [0u16; 2];
                for unit in c.encode_utf16(&mut buf) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

impl MfaRole {
    /// The AWS CLI's cache file name: SHA-1 of
    /// `json.dumps(assume_role_args, sort_keys=True)` without the session
    /// name (botocore's `AssumeRoleCredentialFetcher`).
    pub fn cache_key(&self) -> String {
        let mut args: Vec<(&str, String)> = vec![
            ("RoleArn", py_json_string(&self.role_arn)),
            ("SerialNumber", py_json_string(&self.mfa_serial)),
        ];
        if let Some(e) = &self.external_id {
            args.push(("ExternalId", py_json_string(e)));
        }
        if let Some(d) = self.duration_seconds {
            args.push(("DurationSeconds", d.to_string()));
        }
        args.sort_by(|a, b| a.0.cmp(b.0));
        let body: Vec<String> = args.iter().map(|(k, v)| format!("\"{k}\": {v}")).collect();
        let json = format!("{{{}}}", body.join(", "));
        let digest = aws_lc_rs::digest::digest(
            &aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY,
            json.as_bytes(),
        );
        digest.as_ref().iter().map(|b| format!("{b:02x}")).collect()
    }

    /// `~/.aws/cli/cache/<key>.json`.
    pub fn cache_path(&self) -> Option<PathBuf> {
        let home = std::env::var_os("HOME").filter(|h| !h.is_empty())?;
        Some(
            PathBuf::from(home)
                .join(".aws/cli/cache")
                .join(format!("{}.json", self.cache_key())),
        )
    }

    /// Credentials from the shared cache with at least 15 minutes left.
    pub fn cached(&self) -> Option<Credentials> {
        let text = std::fs::read_to_string(self.cache_path()?).ok()?;
        let v: serde_json::Value = serde_json::from_str(&text).ok()?;
        let c = v.get("Credentials")?;
        let expiry = parse_time(c.get("Expiration")?.as_str()?)?;
        if expiry.duration_since(SystemTime::now()).ok()? < CACHE_WINDOW {
            return None;
        }
        Some(Credentials::new(
            c.get("AccessKeyId")?.as_str()?,
            c.get("SecretAccessKey")?.as_str()?,
            c.get("SessionToken")
                .and_then(|t| t.as_str())
                .map(str::to_string),
            Some(expiry),
            "rdsql-mfa-cache",
        ))
    }

    /// The prompt for the code.
    pub fn prompt(&self) -> String {
        format!("MFA code for {}: ", self.mfa_serial)
    }

    fn source_provider(&self) -> SharedCredentialsProvider {
        match &self.source {
            Source::Profile(name) => SharedCredentialsProvider::new(
                aws_config::profile::ProfileFileCredentialsProvider::builder()
                    .configure(&crate::region::provider_config(self.region.clone()))
                    .profile_name(name)
                    .build(),
            ),
            Source::Environment => SharedCredentialsProvider::new(
                aws_config::environment::credentials::EnvironmentVariableCredentialsProvider::new(),
            ),
            Source::Ec2InstanceMetadata => SharedCredentialsProvider::new(
                aws_config::imds::credentials::ImdsCredentialsProvider::builder().build(),
            ),
            Source::EcsContainer => SharedCredentialsProvider::new(
                aws_config::ecs::EcsCredentialsProvider::builder().build(),
            ),
        }
    }

    /// STS `AssumeRole` with the MFA code; the result is written to the
    /// shared cache (atomically, 0600) and returned.
    pub async fn assume(&self, code: &Secret) -> Result<Credentials, String> {
        let region = crate::region::sts_region(self.region.clone());
        let conf = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new(region))
            .credentials_provider(self.source_provider())
            .load()
            .await;
        let client = aws_sdk_sts::Client::new(&conf);
        let session_name = self.role_session_name.clone().unwrap_or_else(|| {
            let secs = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(0);
            // The AWS CLI's default name.
            format!("botocore-session-{secs}")
        });
        let out = client
            .assume_role()
            .role_arn(&self.role_arn)
            .role_session_name(session_name)
            .serial_number(&self.mfa_serial)
            .token_code(code.expose().trim())
            .set_external_id(self.external_id.clone())
            .set_duration_seconds(self.duration_seconds)
            .send()
            .await
            .map_err(|e| {
                use aws_sdk_sts::error::ProvideErrorMetadata;
                match (e.code(), e.message()) {
                    (Some(c), Some(m)) => format!("{c}: {m}"),
                    _ => error_chain(&e),
                }
            })?;
        let c = out
            .credentials()
            .ok_or("STS returned no credentials for the role")?;
        let expiry_secs = c.expiration().secs();
        let expiry = UNIX_EPOCH + Duration::from_secs(expiry_secs.max(0) as u64);
        let creds = Credentials::new(
            c.access_key_id(),
            c.secret_access_key(),
            Some(c.session_token().to_string()),
            Some(expiry),
            "rdsql-mfa",
        );
        if let Some(path) = self.cache_path() {
            let user = out.assumed_role_user();
            let doc = serde_json::json!({
                "Credentials": {
                    "AccessKeyId": c.access_key_id(),
                    "SecretAccessKey": c.secret_access_key(),
                    "SessionToken": c.session_token(),
                    "Expiration": format_time(expiry_secs),
                },
                "AssumedRoleUser": {
                    "AssumedRoleId": user.map(|u| u.assumed_role_id()).unwrap_or_default(),
                    "Arn": user.map(|u| u.arn()).unwrap_or_default(),
                },
            });
            // A cache that cannot be written costs a prompt next time,
            // nothing more.
            if let Err(e) =
                rdsql_fs::write_atomic(&path, doc.to_string().as_bytes(), rdsql_fs::PRIVATE)
            {
                tracing::warn!("could not write {}: {e}", path.display());
            }
        }
        Ok(creds)
    }
}

/// `2026-11-29T05:00:00Z`, which botocore reads back.
fn format_time(secs: i64) -> String {
    aws_smithy_types::DateTime::from_secs(secs)
        .fmt(aws_smithy_types::date_time::Format::DateTime)
        .unwrap_or_default()
}

/// The cache's `Expiration`: botocore writes `…T05:00:00UTC`; others write
/// `Z` or `+00:00`, perhaps with fractions.
fn parse_time(s: &str) -> Option<SystemTime> {
    let s = s.trim();
    let base = s
        .strip_suffix("UTC")
        .or_else(|| s.strip_suffix('Z'))
        .or_else(|| s.strip_suffix("+00:00"))?;
    let base = base.split('.').next()?;
    let dt = aws_smithy_types::DateTime::from_str(
        &format!("{base}Z"),
        aws_smithy_types::date_time::Format::DateTime,
    )
    .ok()?;
    Some(UNIX_EPOCH + Duration::from_secs(dt.secs().max(0) as u64))
}

/// How the provider gets a code when the cache has none.
pub enum CodeSource {
    /// A code given up front (the UI's MFA Code field, a prompt answered
    /// before connecting); used once.
    Given(Mutex<Option<Secret>>),
    /// Nothing given: ask on the terminal, if there is one.
    Terminal,
}

/// The credential provider for an MFA role: the shared cache, else STS
/// with a code.
pub struct MfaRoleProvider {
    pub role: MfaRole,
    pub code: CodeSource,
}

impl std::fmt::Debug for MfaRoleProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MfaRoleProvider")
            .field("profile", &self.role.profile)
            .finish()
    }
}

/// The error when a code is needed and nobody can type it.
pub fn no_terminal(role: &MfaRole) -> String {
    format!(
        "profile {} needs an MFA code (mfa_serial {}), there is no terminal to ask on, and no cached credentials for the role",
        role.profile, role.mfa_serial
    )
}

impl MfaRoleProvider {
    async fn fetch(&self) -> Result<Credentials, String> {
        if let Some(c) = self.role.cached() {
            return Ok(c);
        }
        let given = match &self.code {
            CodeSource::Given(m) => m.lock().ok().and_then(|mut g| g.take()),
            CodeSource::Terminal => None,
        };
        let code = match given {
            Some(c) => c,
            None => {
                let prompt = self.role.prompt();
                tokio::task::spawn_blocking(move || rpassword::prompt_password(prompt))
                    .await
                    .map_err(|e| e.to_string())?
                    .map(Secret::new)
                    .map_err(|_| no_terminal(&self.role))?
            }
        };
        self.role.assume(&code).await.map_err(|e| {
            format!(
                "AssumeRole with the MFA code failed: {e} (check the code — it changes every 30 s — and that the device is {})",
                self.role.mfa_serial
            )
        })
    }
}

impl ProvideCredentials for MfaRoleProvider {
    fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        future::ProvideCredentials::new(async move {
            self.fetch()
                .await
                .map_err(error::CredentialsError::provider_error)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn role() -> MfaRole {
        MfaRole {
            profile: "p".into(),
            role_arn: "arn:aws:iam::123456789012:role/RDSAccess".into(),
            mfa_serial: "arn:aws:iam::123456789012:mfa/ceo".into(),
            external_id: None,
            duration_seconds: None,
            role_session_name: None,
            source: Source::Environment,
            region: None,
        }
    }

    #[test]
    fn cache_key_is_the_aws_cli_s() {
        // Computed by botocore for these arguments.
        assert_eq!(
            role().cache_key(),
            "ac72334c7b003f47e4ca050cccb8f043ef5925d2"
        );
    }

    #[test]
    fn python_json_strings() {
        assert_eq!(
            py_json_string("a\"b\\é😀"),
            "\"a\\\"b\\\\\\u00e9\\ud83d\\ude00\""
        );
    }

    #[test]
    fn reads_botocore_and_iso_times() {
        let a = parse_time("2030-01-02T03:04:05UTC").unwrap();
        let b = parse_time("2030-01-02T03:04:05Z").unwrap();
        let c = parse_time("2030-01-02T03:04:05.123+00:00").unwrap();
        assert_eq!(a, b);
        assert_eq!(b, c);
        assert_eq!(format_time(1_893_553_445), "2030-01-02T03:04:05Z");
    }
}
