//! The IAM database auth token: a SigV4 pre-signed
//! `GET https://host:port/?Action=connect&DBUser=user` for service `rds-db`,
//! minus its scheme, byte-identical to botocore's `generate_db_auth_token`.

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{
    SignableBody, SignableRequest, SignatureLocation, SigningSettings, sign,
};
use aws_sigv4::sign::v4;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use rdsql_secret::Secret;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

/// Tokens are valid for 15 minutes from their `X-Amz-Date`.
pub const TOKEN_LIFETIME: Duration = Duration::from_secs(900);
/// A token is reused for at most 14 min 30 s (docs/tokens.md, "Reuse").
pub const TOKEN_REUSE: Duration = Duration::from_secs(870);

/// Only `A-Za-z0-9-._~` stay bare (RFC 3986 unreserved).
const UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

fn enc(s: &str) -> String {
    utf8_percent_encode(s, UNRESERVED).to_string()
}

/// What a token is signed for.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TokenRequest {
    /// The database endpoint as the user gave it (IPv6 with or without brackets).
    pub host: String,
    pub port: u16,
    /// The database user (`DBUser`).
    pub user: String,
    /// The database's region.
    pub region: String,
}

/// Signing failed (malformed input; never contains a secret).
#[derive(Debug, thiserror::Error)]
#[error("could not sign the IAM auth token: {0}")]
pub struct TokenError(String);

impl TokenRequest {
    /// The host as it appears in the token: IPv6 literals bracketed.
    fn url_host(&self) -> String {
        if self.host.contains(':') && !self.host.starts_with('[') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        }
    }
}

/// Signs a token with `creds` at time `now` (injectable for tests).
pub fn generate_auth_token(
    req: &TokenRequest,
    creds: &Credentials,
    now: SystemTime,
) -> Result<Secret, TokenError> {
    let url_host = req.url_host();
    // The signed host header is lower-cased; the port is left out only for 443.
    let host_header = if req.port == 443 {
        url_host.to_ascii_lowercase()
    } else {
        format!("{}:{}", url_host.to_ascii_lowercase(), req.port)
    };
    let user = enc(&req.user);
    // The URL's authority is not used: the host header below is.
    let url = format!("https://rds.invalid/?Action=connect&DBUser={user}");

    let mut settings = SigningSettings::default();
    settings.expires_in = Some(TOKEN_LIFETIME);
    settings.signature_location = SignatureLocation::QueryParams;
    let identity = creds.clone().into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(&req.region)
        .name("rds-db")
        .time(now)
        .settings(settings)
        .build()
        .map_err(|e| TokenError(e.to_string()))?
        .into();
    let headers = [("host", host_header.as_str())];
    let signable = SignableRequest::new("GET", url, headers.into_iter(), SignableBody::Bytes(&[]))
        .map_err(|e| TokenError(e.to_string()))?;
    let (instructions, _) = sign(signable, &params)
        .map_err(|e| TokenError(e.to_string()))?
        .into_parts();
    let p: HashMap<&str, &str> = instructions
        .params()
        .iter()
        .map(|(k, v)| (*k, v.as_ref()))
        .collect();
    let get = |k: &str| {
        p.get(k)
            .copied()
            .ok_or_else(|| TokenError(format!("signer returned no {k}")))
    };

    // botocore's order: Action, DBUser, the X-Amz-* in this order, the
    // session token (temporary credentials only), the signature last.
    let mut token = format!(
        "{url_host}:{port}/?Action=connect&DBUser={user}&X-Amz-Algorithm={alg}&X-Amz-Credential={cred}&X-Amz-Date={date}&X-Amz-Expires={exp}&X-Amz-SignedHeaders={sh}",
        port = req.port,
        alg = enc(get("X-Amz-Algorithm")?),
        cred = enc(get("X-Amz-Credential")?),
        date = enc(get("X-Amz-Date")?),
        exp = enc(get("X-Amz-Expires")?),
        sh = enc(get("X-Amz-SignedHeaders")?),
    );
    if let Some(t) = creds.session_token() {
        token.push_str("&X-Amz-Security-Token=");
        token.push_str(&enc(t));
    }
    token.push_str("&X-Amz-Signature=");
    token.push_str(get("X-Amz-Signature")?);
    Ok(Secret::new(token))
}

/// Reuses a token for at most [`TOKEN_REUSE`] per (region, host, port,
/// user, access key); anything older is signed afresh.
#[derive(Debug, Default)]
pub struct TokenCache {
    entries: Mutex<HashMap<(TokenRequest, String), (Secret, SystemTime)>>,
    /// A shorter reuse window than [`TOKEN_REUSE`] (the proxy's).
    reuse: Option<Duration>,
}

impl TokenCache {
    /// A cache that reuses a token for at most `reuse` (capped at
    /// [`TOKEN_REUSE`]).
    pub fn with_reuse(reuse: Duration) -> Self {
        TokenCache {
            entries: Mutex::default(),
            reuse: Some(reuse.min(TOKEN_REUSE)),
        }
    }

    /// A cached token still young enough at `now`, if any.
    pub fn get(
        &self,
        req: &TokenRequest,
        access_key_id: &str,
        now: SystemTime,
    ) -> Option<(Secret, SystemTime)> {
        let entries = self.entries.lock().ok()?;
        let (tok, at) = entries.get(&(req.clone(), access_key_id.to_string()))?;
        match now.duration_since(*at) {
            Ok(age) if age < self.reuse.unwrap_or(TOKEN_REUSE) => Some((tok.clone(), *at)),
            _ => None,
        }
    }

    /// Remembers a token signed at `at`.
    pub fn put(&self, req: &TokenRequest, access_key_id: &str, token: Secret, at: SystemTime) {
        if let Ok(mut e) = self.entries.lock() {
            e.insert((req.clone(), access_key_id.to_string()), (token, at));
        }
    }

    /// Forgets every token (after the server rejected one).
    pub fn clear(&self) {
        if let Ok(mut e) = self.entries.lock() {
            e.clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> SystemTime {
        // "YYYY-MM-DDTHH:MM:SSZ" → SystemTime, without a date crate.
        let n = |a: usize, b: usize| s[a..b].parse::<i64>().unwrap();
        let (y, m, d) = (n(0, 4), n(5, 7), n(8, 10));
        let (hh, mm, ss) = (n(11, 13), n(14, 16), n(17, 19));
        // Days from civil (Howard Hinnant's algorithm).
        let y2 = if m <= 2 { y - 1 } else { y };
        let era = y2.div_euclid(400);
        let yoe = y2 - era * 400;
        let mp = (m + 9) % 12;
        let doy = (153 * mp + 2) / 5 + d - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        let days = era * 146097 + doe - 719468;
        SystemTime::UNIX_EPOCH
            + Duration::from_secs((days * 86400 + hh * 3600 + mm * 60 + ss) as u64)
    }

    #[test]
    fn public_vector_from_the_spec() {
        let creds = Credentials::new("akid", "skid", None, None, "test");
        let req = TokenRequest {
            host: "prod-instance.us-east-1.rds.amazonaws.com".into(),
            port: 3306,
            user: "someusername".into(),
            region: "us-east-1".into(),
        };
        let t = generate_auth_token(&req, &creds, at("2016-11-07T17:39:33Z")).unwrap();
        assert_eq!(
            t.expose(),
            "prod-instance.us-east-1.rds.amazonaws.com:3306/?Action=connect&DBUser=someusername&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=akid%2F20161107%2Fus-east-1%2Frds-db%2Faws4_request&X-Amz-Date=20161107T173933Z&X-Amz-Expires=900&X-Amz-SignedHeaders=host&X-Amz-Signature=d1138cdbc0ca63eec012ec0fc6c2267e03642168f5884a7795320d4c18374c61"
        );
    }

    /// Vectors produced by botocore itself (tests/gen_token_vectors.py).
    #[test]
    fn byte_identical_to_botocore() {
        let data: serde_json::Value =
            serde_json::from_str(include_str!("../tests/data/token_vectors.json")).unwrap();
        let vectors = data["vectors"].as_array().unwrap();
        assert!(vectors.len() >= 11);
        for v in vectors {
            let s = |k: &str| v[k].as_str().unwrap().to_string();
            let creds = Credentials::new(
                s("access_key_id"),
                s("secret_access_key"),
                v["session_token"].as_str().map(str::to_string),
                None,
                "test",
            );
            let req = TokenRequest {
                host: s("host"),
                port: v["port"].as_u64().unwrap() as u16,
                user: s("user"),
                region: s("region"),
            };
            let t = generate_auth_token(&req, &creds, at(&s("time"))).unwrap();
            assert_eq!(t.expose(), s("token"), "vector {:?}", s("label"));
        }
    }

    #[test]
    fn ipv6_without_brackets_is_bracketed() {
        let creds = Credentials::new("AKIAIOSFODNN7EXAMPLE", "secret", None, None, "test");
        let mk = |host: &str| TokenRequest {
            host: host.into(),
            port: 5432,
            user: "postgres".into(),
            region: "us-east-1".into(),
        };
        let when = at("2026-06-01T08:30:15Z");
        assert_eq!(
            generate_auth_token(&mk("::1"), &creds, when)
                .unwrap()
                .expose(),
            generate_auth_token(&mk("[::1]"), &creds, when)
                .unwrap()
                .expose()
        );
    }

    #[test]
    fn cache_reuses_for_870_seconds_only() {
        let cache = TokenCache::default();
        let req = TokenRequest {
            host: "h".into(),
            port: 1,
            user: "u".into(),
            region: "r".into(),
        };
        let t0 = at("2026-01-01T00:00:00Z");
        cache.put(&req, "AK", Secret::new("tok"), t0);
        assert!(
            cache
                .get(&req, "AK", t0 + Duration::from_secs(869))
                .is_some()
        );
        assert!(
            cache
                .get(&req, "AK", t0 + Duration::from_secs(870))
                .is_none()
        );
        assert!(
            cache.get(&req, "OTHER", t0).is_none(),
            "keyed by access key"
        );
        let other_user = TokenRequest {
            user: "v".into(),
            ..req.clone()
        };
        assert!(cache.get(&other_user, "AK", t0).is_none());
        cache.clear();
        assert!(cache.get(&req, "AK", t0).is_none());
    }
}
