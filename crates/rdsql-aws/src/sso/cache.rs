//! The SSO token cache shared with AWS CLI v2 and the SDKs:
//! `~/.aws/sso/cache/<sha1 hex of the key>.json`, where the key is the
//! sso-session name, or the start URL for legacy profiles and custom
//! entries. Written atomically (temp file + rename), mode 0600.

use aws_smithy_types::date_time::{DateTime, Format};
use rdsql_secret::Secret;
use serde::{Deserialize, Serialize};

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// One cached sign-in, with the field names the AWS CLI uses.
#[derive(Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CachedToken {
    pub start_url: String,
    pub region: String,
    pub access_token: String,
    pub expires_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub registration_expires_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
}

impl std::fmt::Debug for CachedToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CachedToken")
            .field("start_url", &self.start_url)
            .field("region", &self.region)
            .field("expires_at", &self.expires_at)
            .field("registration_expires_at", &self.registration_expires_at)
            .finish_non_exhaustive()
    }
}

impl CachedToken {
    /// When the access token expires.
    pub fn expires(&self) -> Option<SystemTime> {
        parse_time(&self.expires_at)
    }

    /// When the client registration expires.
    pub fn registration_expires(&self) -> Option<SystemTime> {
        self.registration_expires_at.as_deref().and_then(parse_time)
    }

    /// The access token as a secret.
    pub fn access(&self) -> Secret {
        Secret::new(self.access_token.clone())
    }
}

/// A cache problem (never includes a token).
#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    #[error("cannot read the SSO cache file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the SSO cache file {path} is not valid: {reason}")]
    Malformed { path: PathBuf, reason: String },
    #[error("cannot write the SSO cache file {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Parses the timestamp forms writers use: RFC 3339 (`…Z`, offsets,
/// fractions) and the `…UTC` suffix.
pub fn parse_time(s: &str) -> Option<SystemTime> {
    let s = s.trim();
    let norm = match s.strip_suffix("UTC") {
        Some(rest) => format!("{}Z", rest.trim_end()),
        None => s.to_string(),
    };
    // A numeric offset (+01:00): parse as UTC, then shift.
    let b = norm.as_bytes();
    let (base, offset) =
        if b.len() > 6 && matches!(b[b.len() - 6], b'+' | b'-') && b[b.len() - 3] == b':' {
            let sign: i64 = if b[b.len() - 6] == b'+' { 1 } else { -1 };
            let h: i64 = norm[norm.len() - 5..norm.len() - 3].parse().ok()?;
            let m: i64 = norm[norm.len() - 2..].parse().ok()?;
            (
                format!("{}Z", &norm[..norm.len() - 6]),
                sign * (h * 3600 + m * 60),
            )
        } else {
            (norm, 0)
        };
    let t = DateTime::from_str(&base, Format::DateTime).ok()?;
    let secs = u64::try_from(t.secs() - offset).ok()?;
    Some(SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(secs))
}

/// Formats as `2026-11-28T12:00:00Z`.
pub fn format_time(t: SystemTime) -> String {
    let secs = t
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    DateTime::from_secs(secs)
        .fmt(Format::DateTime)
        .unwrap_or_default()
}

/// The cache directory: `~/.aws/sso/cache`.
pub fn cache_dir() -> Option<PathBuf> {
    std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".aws/sso/cache"))
}

/// The cache file for `key` (session name or start URL).
pub fn cache_path(dir: &Path, key: &str) -> PathBuf {
    let d = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY, key.as_bytes());
    let hex: String = d.as_ref().iter().map(|b| format!("{b:02x}")).collect();
    dir.join(format!("{hex}.json"))
}

/// Reads the cached token for `key`; `Ok(None)` if there is none.
pub fn load(dir: &Path, key: &str) -> Result<Option<CachedToken>, CacheError> {
    let path = cache_path(dir, key);
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => return Err(CacheError::Read { path, source }),
    };
    let tok: CachedToken = serde_json::from_str(&text).map_err(|e| CacheError::Malformed {
        path: path.clone(),
        reason: e.to_string(),
    })?;
    if tok.expires().is_none() {
        return Err(CacheError::Malformed {
            path,
            reason: format!("expiresAt {:?} is not a timestamp", tok.expires_at),
        });
    }
    Ok(Some(tok))
}

/// Writes the token for `key` atomically with mode 0600: readers see the
/// old file or the new one, never half of either, even when two processes
/// refresh at once.
pub fn store(dir: &Path, key: &str, tok: &CachedToken) -> Result<PathBuf, CacheError> {
    let path = cache_path(dir, key);
    let werr = |source| CacheError::Write {
        path: path.clone(),
        source,
    };
    std::fs::create_dir_all(dir).map_err(werr)?;
    let _ = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700));
    let body = serde_json::to_vec_pretty(tok).map_err(|e| werr(std::io::Error::other(e)))?;
    rdsql_fs::write_atomic(&path, &body, rdsql_fs::PRIVATE).map_err(werr)?;
    Ok(path)
}

/// Removes the cached token for `key` (sign-out).
pub fn remove(dir: &Path, key: &str) -> Result<bool, CacheError> {
    let path = cache_path(dir, key);
    match std::fs::remove_file(&path) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(source) => Err(CacheError::Write { path, source }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn tok() -> CachedToken {
        CachedToken {
            start_url: "https://x.awsapps.com/start".into(),
            region: "us-east-1".into(),
            access_token: "at".into(),
            expires_at: "2026-11-28T12:00:00Z".into(),
            client_id: Some("cid".into()),
            client_secret: Some("cs".into()),
            registration_expires_at: Some("2027-02-26T12:00:00Z".into()),
            refresh_token: None,
        }
    }

    #[test]
    fn timestamps_in_both_forms() {
        let a = parse_time("2026-11-28T12:00:00Z").unwrap();
        assert_eq!(parse_time("2026-11-28T12:00:00UTC"), Some(a));
        assert_eq!(parse_time("2026-11-28T12:00:00.000Z"), Some(a));
        assert_eq!(parse_time("2026-11-28T13:00:00+01:00"), Some(a));
        assert_eq!(format_time(a), "2026-11-28T12:00:00Z");
        assert_eq!(parse_time("tomorrow"), None);
    }

    #[test]
    fn key_is_sha1_hex_like_the_cli() {
        // sha1("my-sso") — the same name the AWS CLI uses for sso_session my-sso.
        let p = cache_path(Path::new("/c"), "my-sso");
        assert_eq!(p.file_name().unwrap().to_str().unwrap().len(), 45);
        let d = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY, b"abc");
        let hex: String = d.as_ref().iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(hex, "a9993e364706816aba3e25717850c26c9cd0d89d");
    }

    #[test]
    fn store_load_remove_with_0600() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().join("sso/cache");
        let path = store(&d, "sess", &tok()).unwrap();
        assert_eq!(
            std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
        let back = load(&d, "sess").unwrap().unwrap();
        assert_eq!(back.access_token, "at");
        assert!(back.expires().unwrap() > SystemTime::UNIX_EPOCH + Duration::from_secs(1));
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            text.contains("\"startUrl\"") && text.contains("\"registrationExpiresAt\""),
            "{text}"
        );
        assert!(!text.contains("refreshToken"), "absent fields are left out");
        assert!(remove(&d, "sess").unwrap());
        assert!(load(&d, "sess").unwrap().is_none());
        // No temp files left behind.
        assert_eq!(std::fs::read_dir(&d).unwrap().count(), 0);
    }

    #[test]
    fn malformed_files_are_named() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(cache_path(dir.path(), "k"), "{not json").unwrap();
        let e = load(dir.path(), "k").unwrap_err().to_string();
        assert!(e.contains(".json") && e.contains("not valid"), "{e}");
    }

    #[test]
    fn debug_hides_tokens() {
        let mut t = tok();
        t.refresh_token = Some("rt-secret".into());
        let d = format!("{t:?}");
        assert!(
            !d.contains("at\"") && !d.contains("rt-secret") && !d.contains("cs"),
            "{d}"
        );
    }
}
