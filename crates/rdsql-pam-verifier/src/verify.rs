//! An independent check of an RDS IAM auth token, as the server side does
//! it: parameter order and encoding, scope, host, user, age, and the SigV4
//! signature recomputed from known credentials.

use aws_lc_rs::{digest, hmac};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};
use serde::{Deserialize, Serialize};

const UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Test credentials the "IAM" side knows.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct KnownKey {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: Option<String>,
}

/// What the verifier accepts.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Config {
    pub keys: Vec<KnownKey>,
    /// `host:port` values (lower-case) a token may be signed for.
    pub endpoints: Vec<String>,
    pub region: String,
    /// Database users the "IAM policy" allows (`rds-db:connect`).
    pub allowed_users: Vec<String>,
    /// Users whose first attempt is rejected (the retry-once test).
    #[serde(default)]
    pub reject_first: Vec<String>,
    /// Where attempts are logged and per-user state is kept.
    pub state_dir: String,
}

/// Checks `token` for PAM user `user` at unix time `now`.
pub fn verify(cfg: &Config, user: &str, token: &str, now: i64) -> Result<(), String> {
    let (hostport, query) = token.split_once("/?").ok_or("no '/?' in the token")?;
    if !cfg
        .endpoints
        .iter()
        .any(|e| e == &hostport.to_ascii_lowercase())
    {
        return Err(format!(
            "signed for {hostport}, expected one of {:?}",
            cfg.endpoints
        ));
    }
    let pairs: Vec<(&str, &str)> = query
        .split('&')
        .map(|p| {
            p.split_once('=')
                .ok_or(format!("malformed parameter {p:?}"))
        })
        .collect::<Result<_, _>>()?;
    let names: Vec<&str> = pairs.iter().map(|p| p.0).collect();
    let mut expected = vec![
        "Action",
        "DBUser",
        "X-Amz-Algorithm",
        "X-Amz-Credential",
        "X-Amz-Date",
        "X-Amz-Expires",
        "X-Amz-SignedHeaders",
    ];
    let has_token = names.contains(&"X-Amz-Security-Token");
    if has_token {
        expected.push("X-Amz-Security-Token");
    }
    expected.push("X-Amz-Signature");
    if names != expected {
        return Err(format!("parameter order {names:?}, expected {expected:?}"));
    }
    let mut dec = std::collections::HashMap::new();
    for (k, v) in &pairs {
        let d = percent_decode_str(v)
            .decode_utf8()
            .map_err(|_| format!("{k} is not UTF-8"))?
            .into_owned();
        if utf8_percent_encode(&d, UNRESERVED).to_string() != *v {
            return Err(format!("{k} is not strictly percent-encoded"));
        }
        dec.insert(*k, d);
    }
    let g = |k: &str| dec[k].as_str();
    if g("Action") != "connect" {
        return Err("Action is not connect".into());
    }
    if g("DBUser") != user {
        return Err(format!(
            "DBUser {:?} is not the PAM user {user:?}",
            g("DBUser")
        ));
    }
    if g("X-Amz-Algorithm") != "AWS4-HMAC-SHA256"
        || g("X-Amz-SignedHeaders") != "host"
        || g("X-Amz-Expires") != "900"
    {
        return Err("algorithm, signed headers or expiry not as RDS expects".into());
    }
    let amz_date = g("X-Amz-Date");
    let cred: Vec<&str> = g("X-Amz-Credential").split('/').collect();
    if cred.len() != 5 || cred[2] != cfg.region || cred[3] != "rds-db" || cred[4] != "aws4_request"
    {
        return Err(format!(
            "credential scope {:?} is wrong (region {})",
            g("X-Amz-Credential"),
            cfg.region
        ));
    }
    if amz_date.len() != 16 || cred[1] != &amz_date[..8] {
        return Err("scope date does not match X-Amz-Date".into());
    }
    let signed_at = parse_amz_date(amz_date).ok_or("bad X-Amz-Date")?;
    let age = now - signed_at;
    if !(-300..=900).contains(&age) {
        return Err(format!("token is {age} s old: expired or from the future"));
    }
    let key = cfg
        .keys
        .iter()
        .find(|k| k.access_key_id == cred[0])
        .ok_or("unknown access key")?;
    match (&key.session_token, has_token) {
        (Some(t), true) if t == g("X-Amz-Security-Token") => {}
        (None, false) => {}
        _ => return Err("session token missing or wrong".into()),
    }
    if !cfg.allowed_users.iter().any(|u| u == user) {
        return Err(format!("no rds-db:connect for dbuser {user}"));
    }

    let mut canonical: Vec<(&str, &str)> = pairs
        .iter()
        .copied()
        .filter(|(k, _)| *k != "X-Amz-Signature")
        .collect();
    canonical.sort();
    let cq: Vec<String> = canonical.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let lower = hostport.to_ascii_lowercase();
    let host_header = lower.strip_suffix(":443").unwrap_or(&lower);
    let creq = format!(
        "GET\n/\n{}\nhost:{host_header}\n\nhost\n{}",
        cq.join("&"),
        hex(digest::digest(&digest::SHA256, b"").as_ref())
    );
    let scope = format!("{}/{}/rds-db/aws4_request", &amz_date[..8], cfg.region);
    let sts = format!(
        "AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{}",
        hex(digest::digest(&digest::SHA256, creq.as_bytes()).as_ref())
    );
    let mut k = format!("AWS4{}", key.secret_access_key).into_bytes();
    for part in [
        &amz_date[..8],
        cfg.region.as_str(),
        "rds-db",
        "aws4_request",
    ] {
        k = hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, &k), part.as_bytes())
            .as_ref()
            .to_vec();
    }
    let sig = hex(hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, &k), sts.as_bytes()).as_ref());
    if sig != g("X-Amz-Signature") {
        return Err("signature does not match".into());
    }
    Ok(())
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// `YYYYMMDDTHHMMSSZ` → unix seconds.
pub fn parse_amz_date(s: &str) -> Option<i64> {
    if s.len() != 16 || &s[8..9] != "T" || !s.ends_with('Z') {
        return None;
    }
    let n = |a: usize, b: usize| s.get(a..b)?.parse::<i64>().ok();
    let (y, m, d, hh, mm, ss) = (
        n(0, 4)?,
        n(4, 6)?,
        n(6, 8)?,
        n(9, 11)?,
        n(11, 13)?,
        n(13, 15)?,
    );
    let y2 = if m <= 2 { y - 1 } else { y };
    let era = y2.div_euclid(400);
    let yoe = y2 - era * 400;
    let doy = (153 * ((m + 9) % 12) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Some((era * 146097 + doe - 719468) * 86400 + hh * 3600 + mm * 60 + ss)
}
