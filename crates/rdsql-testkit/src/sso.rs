//! A local fake of the public IAM Identity Center APIs, test-only: the
//! SSO OIDC service (`/client/register`, `/device_authorization`,
//! `/token`, `/authorize`) and the portal (`/federation/credentials`,
//! `/assignment/accounts`, `/assignment/roles`, `/logout`), following their
//! REST-JSON wire format (paths, field names, `x-amzn-ErrorType` codes,
//! OAuth error strings). rdsql reaches it through `AWS_ENDPOINT_URL_SSO_OIDC`
//! and `AWS_ENDPOINT_URL_SSO`. It also plays the user in the browser:
//! [`FakeSso::browser_script`] gives a `$BROWSER` whose URLs the fake
//! follows (approving a device code, or the authorize redirect to the
//! loopback callback).

use crate::iam::{TEMP_KEY_ID, TEMP_SECRET, temp_session_token};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// An access token a test may put in a cache file by hand; always valid.
pub const ACCESS_TOKEN: &str = "aoaAAAAAGfakeSsoAccessToken+for/rdsql=tests";

/// Behaviour knobs, set per test.
#[derive(Debug, Clone)]
pub struct Knobs {
    /// Device flow: polls answered `authorization_pending` after approval.
    pub pending_polls: u32,
    /// Device flow: answer `slow_down` once.
    pub slow_down_once: bool,
    /// Device flow: the code expires instead of being approved.
    pub device_expires: bool,
    /// Device flow: `interval` returned (seconds).
    pub interval: i64,
    /// Lifetime of issued access tokens (seconds).
    pub access_ttl: i64,
    /// The user's browser does not approve (sign-in never completes).
    pub never_approve: bool,
    /// The authorize redirect carries a wrong `state`.
    pub wrong_state: bool,
}

impl Default for Knobs {
    fn default() -> Self {
        Knobs {
            pending_polls: 0,
            slow_down_once: false,
            device_expires: false,
            interval: 1,
            access_ttl: 3600,
            never_approve: false,
            wrong_state: false,
        }
    }
}

#[derive(Default)]
struct State {
    knobs: Knobs,
    clients: HashMap<String, (String, Vec<String>)>, // id → (secret, redirect uris)
    devices: HashMap<String, (String, bool, u32)>,   // device code → (user code, approved, polls)
    codes: HashMap<String, (String, String)>,        // auth code → (challenge, redirect_uri)
    access: Vec<String>,
    refresh: HashMap<String, String>, // refresh token → client id
    log: Vec<String>,
    seq: u64,
}

/// A running fake.
#[derive(Clone)]
pub struct FakeSso {
    pub endpoint: String,
    state: Arc<Mutex<State>>,
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

struct Req {
    method: String,
    path: String,
    query: HashMap<String, String>,
    headers: HashMap<String, String>,
    body: Value,
}

fn read_req(stream: &TcpStream) -> Option<Req> {
    let mut r = BufReader::new(stream.try_clone().ok()?);
    let mut first = String::new();
    r.read_line(&mut first).ok()?;
    let mut parts = first.split_whitespace();
    let method = parts.next()?.to_string();
    let target = parts.next()?.to_string();
    let mut headers = HashMap::new();
    loop {
        let mut l = String::new();
        if r.read_line(&mut l).ok()? == 0 {
            break;
        }
        let l = l.trim_end();
        if l.is_empty() {
            break;
        }
        if let Some((k, v)) = l.split_once(':') {
            headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
        }
    }
    let len: usize = headers
        .get("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; len];
    r.read_exact(&mut body).ok()?;
    let (path, q) = target.split_once('?').unwrap_or((&target, ""));
    let query = q
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
    Some(Req {
        method,
        path: path.to_string(),
        query,
        headers,
        body: serde_json::from_slice(&body).unwrap_or(Value::Null),
    })
}

fn respond(mut s: &TcpStream, status: u16, error_type: Option<&str>, extra: &str, body: &str) {
    let reason = match status {
        200 => "OK",
        302 => "Found",
        400 => "Bad Request",
        401 => "Unauthorized",
        _ => "Error",
    };
    let et = error_type
        .map(|t| format!("x-amzn-ErrorType: {t}\r\n"))
        .unwrap_or_default();
    let _ = write!(
        s,
        "HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\n{et}{extra}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
}

fn oauth_error(s: &TcpStream, status: u16, error_type: &str, error: &str) {
    respond(
        s,
        status,
        Some(error_type),
        "",
        &json!({"error": error, "error_description": error}).to_string(),
    );
}

impl FakeSso {
    /// Starts the fake on a loopback port.
    pub fn start() -> FakeSso {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind fake SSO");
        let endpoint = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
        let fake = FakeSso {
            endpoint,
            state: Arc::new(Mutex::new(State::default())),
        };
        let f = fake.clone();
        std::thread::spawn(move || {
            for s in listener.incoming().flatten() {
                let f = f.clone();
                std::thread::spawn(move || f.handle(&s));
            }
        });
        fake
    }

    /// Changes the behaviour knobs.
    pub fn set(&self, f: impl FnOnce(&mut Knobs)) {
        f(&mut self.state.lock().unwrap().knobs);
    }

    /// Requests seen, as "METHOD /path detail".
    pub fn log(&self) -> Vec<String> {
        self.state.lock().unwrap().log.clone()
    }

    /// The environment that points rdsql (and the AWS SDK) at the fake.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("AWS_ENDPOINT_URL_SSO_OIDC", self.endpoint.clone()),
            ("AWS_ENDPOINT_URL_SSO", self.endpoint.clone()),
        ]
    }

    /// Registers a client and issues tokens directly, as a finished sign-in
    /// would have: for writing cache files in tests. Returns
    /// (client id, client secret, access token, refresh token).
    pub fn issue(&self) -> (String, String, String, String) {
        let mut st = self.state.lock().unwrap();
        st.seq += 1;
        let n = st.seq;
        let (cid, cs, at, rt) = (
            format!("client-{n}"),
            format!("secret-{n}"),
            format!("access-{n}"),
            format!("refresh-{n}"),
        );
        st.clients.insert(cid.clone(), (cs.clone(), vec![]));
        st.access.push(at.clone());
        st.refresh.insert(rt.clone(), cid.clone());
        (cid, cs, at, rt)
    }

    fn handle(&self, s: &TcpStream) {
        let Some(req) = read_req(s) else { return };
        let mut st = self.state.lock().unwrap();
        let grant = req
            .body
            .get("grantType")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        st.log.push(
            format!("{} {} {grant}", req.method, req.path)
                .trim_end()
                .to_string(),
        );
        let b = |k: &str| {
            req.body
                .get(k)
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string()
        };
        match (req.method.as_str(), req.path.as_str()) {
            ("POST", "/client/register") => {
                st.seq += 1;
                let n = st.seq;
                let (id, secret) = (format!("client-{n}"), format!("secret-{n}"));
                let uris: Vec<String> = req
                    .body
                    .get("redirectUris")
                    .and_then(Value::as_array)
                    .map(|a| {
                        a.iter()
                            .filter_map(|v| v.as_str().map(str::to_string))
                            .collect()
                    })
                    .unwrap_or_default();
                if b("clientName").is_empty() || b("clientType") != "public" {
                    return oauth_error(
                        s,
                        400,
                        "InvalidClientMetadataException",
                        "invalid_client_metadata",
                    );
                }
                st.clients.insert(id.clone(), (secret.clone(), uris));
                respond(s, 200, None, "", &json!({"clientId": id, "clientSecret": secret, "clientIdIssuedAt": now(), "clientSecretExpiresAt": now() + 90 * 86400}).to_string());
            }
            ("POST", "/device_authorization") => {
                if st.clients.get(&b("clientId")).map(|c| &c.0) != Some(&b("clientSecret")) {
                    return oauth_error(s, 401, "InvalidClientException", "invalid_client");
                }
                st.seq += 1;
                let n = st.seq;
                let (dc, uc) = (format!("device-{n}"), format!("ABCD-{n:04}"));
                st.devices.insert(dc.clone(), (uc.clone(), false, 0));
                let interval = st.knobs.interval;
                let expires = if st.knobs.device_expires { 2 } else { 600 };
                respond(s, 200, None, "", &json!({
                    "deviceCode": dc, "userCode": uc,
                    "verificationUri": format!("{}/device", self.endpoint),
                    "verificationUriComplete": format!("{}/device?user_code={uc}", self.endpoint),
                    "expiresIn": expires, "interval": interval
                }).to_string());
            }
            ("GET", "/device") => {
                // The user approves the code in the browser.
                let uc = req.query.get("user_code").cloned().unwrap_or_default();
                if !st.knobs.never_approve && !st.knobs.device_expires {
                    for d in st.devices.values_mut() {
                        if d.0 == uc {
                            d.1 = true;
                        }
                    }
                }
                respond(s, 200, None, "", "{}");
            }
            ("GET", "/authorize") => {
                let q = &req.query;
                let client = q.get("client_id").and_then(|c| st.clients.get(c)).cloned();
                let redirect = q.get("redirect_uri").cloned().unwrap_or_default();
                let ok = client.is_some()
                    && q.get("response_type").map(String::as_str) == Some("code")
                    && q.get("code_challenge_method").map(String::as_str) == Some("S256")
                    && redirect.starts_with("http://127.0.0.1:")
                    && redirect.ends_with("/oauth/callback")
                    && q.get("state").is_some_and(|v| !v.is_empty())
                    && q.get("code_challenge").is_some_and(|c| c.len() == 43);
                if !ok || st.knobs.never_approve {
                    return respond(s, 400, None, "", "{}");
                }
                st.seq += 1;
                let code = format!("code-{}", st.seq);
                st.codes.insert(
                    code.clone(),
                    (q["code_challenge"].clone(), redirect.clone()),
                );
                let state = if st.knobs.wrong_state {
                    "forged".to_string()
                } else {
                    q["state"].clone()
                };
                let loc = format!(
                    "{redirect}?code={code}&state={}",
                    percent_encoding::utf8_percent_encode(
                        &state,
                        percent_encoding::NON_ALPHANUMERIC
                    )
                );
                respond(s, 302, None, &format!("Location: {loc}\r\n"), "");
            }
            ("POST", "/token") => self.token(s, &mut st, &req, &grant),
            ("GET", "/federation/credentials") => {
                if !authorized(&st, &req) {
                    return respond(
                        s,
                        401,
                        Some("UnauthorizedException"),
                        "",
                        r#"{"message":"Session token not found or invalid"}"#,
                    );
                }
                let exp = (now() + 3600) * 1000;
                respond(
                    s,
                    200,
                    None,
                    "",
                    &json!({"roleCredentials": {
                        "accessKeyId": TEMP_KEY_ID, "secretAccessKey": TEMP_SECRET,
                        "sessionToken": temp_session_token(), "expiration": exp
                    }})
                    .to_string(),
                );
                let line = format!(
                    "role {} {}",
                    req.query.get("account_id").cloned().unwrap_or_default(),
                    req.query.get("role_name").cloned().unwrap_or_default()
                );
                st.log.push(line);
            }
            ("GET", "/assignment/accounts") => {
                if !authorized(&st, &req) {
                    return respond(
                        s,
                        401,
                        Some("UnauthorizedException"),
                        "",
                        r#"{"message":"Session token not found or invalid"}"#,
                    );
                }
                // Three accounts, two per page.
                let all = [
                    ("111111111111", "dev", "dev@example.com"),
                    ("222222222222", "staging", "stg@example.com"),
                    ("333333333333", "prod", "prod@example.com"),
                ];
                let start: usize = req
                    .query
                    .get("next_token")
                    .and_then(|t| t.parse().ok())
                    .unwrap_or(0);
                let page: Vec<Value> = all
                    .iter()
                    .skip(start)
                    .take(2)
                    .map(|(i, n, e)| json!({"accountId": i, "accountName": n, "emailAddress": e}))
                    .collect();
                let next = (start + 2 < all.len()).then(|| (start + 2).to_string());
                respond(
                    s,
                    200,
                    None,
                    "",
                    &json!({"accountList": page, "nextToken": next}).to_string(),
                );
            }
            ("GET", "/assignment/roles") => {
                if !authorized(&st, &req) {
                    return respond(
                        s,
                        401,
                        Some("UnauthorizedException"),
                        "",
                        r#"{"message":"Session token not found or invalid"}"#,
                    );
                }
                let acct = req.query.get("account_id").cloned().unwrap_or_default();
                let all = ["RDSReadOnly", "RDSAdmin"];
                let start: usize = req
                    .query
                    .get("next_token")
                    .and_then(|t| t.parse().ok())
                    .unwrap_or(0);
                let page: Vec<Value> = all
                    .iter()
                    .skip(start)
                    .take(1)
                    .map(|r| json!({"roleName": r, "accountId": acct}))
                    .collect();
                let next = (start + 1 < all.len()).then(|| (start + 1).to_string());
                respond(
                    s,
                    200,
                    None,
                    "",
                    &json!({"roleList": page, "nextToken": next}).to_string(),
                );
            }
            ("POST", "/logout") => {
                let tok = req
                    .headers
                    .get("x-amz-sso_bearer_token")
                    .cloned()
                    .unwrap_or_default();
                st.access.retain(|t| t != &tok);
                respond(s, 200, None, "", "");
            }
            _ => respond(
                s,
                400,
                Some("InvalidRequestException"),
                "",
                r#"{"message":"unknown operation"}"#,
            ),
        }
    }

    fn token(&self, s: &TcpStream, st: &mut State, req: &Req, grant: &str) {
        let b = |k: &str| {
            req.body
                .get(k)
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string()
        };
        if st.clients.get(&b("clientId")).map(|c| &c.0) != Some(&b("clientSecret")) {
            return oauth_error(s, 401, "InvalidClientException", "invalid_client");
        }
        match grant {
            "urn:ietf:params:oauth:grant-type:device_code" => {
                let k = st.knobs.clone();
                let Some(d) = st.devices.get_mut(&b("deviceCode")) else {
                    return oauth_error(s, 400, "InvalidGrantException", "invalid_grant");
                };
                d.2 += 1;
                if k.device_expires {
                    return oauth_error(s, 400, "ExpiredTokenException", "expired_token");
                }
                if k.slow_down_once && d.2 == 1 {
                    return oauth_error(s, 400, "SlowDownException", "slow_down");
                }
                if !d.1 || d.2 <= k.pending_polls + u32::from(k.slow_down_once) {
                    return oauth_error(
                        s,
                        400,
                        "AuthorizationPendingException",
                        "authorization_pending",
                    );
                }
                st.devices.remove(&b("deviceCode"));
                self.grant_tokens(s, st, &b("clientId"));
            }
            "authorization_code" => {
                let Some((challenge, redirect)) = st.codes.remove(&b("code")) else {
                    return oauth_error(s, 400, "InvalidGrantException", "invalid_grant");
                };
                let verifier = b("codeVerifier");
                let digest =
                    aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, verifier.as_bytes());
                use base64::Engine;
                let computed =
                    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest.as_ref());
                if computed != challenge
                    || b("redirectUri") != redirect
                    || !(43..=128).contains(&verifier.len())
                {
                    return oauth_error(s, 400, "InvalidGrantException", "invalid_grant");
                }
                self.grant_tokens(s, st, &b("clientId"));
            }
            "refresh_token" => {
                if st.refresh.get(&b("refreshToken")) != Some(&b("clientId")) {
                    return oauth_error(s, 400, "InvalidGrantException", "invalid_grant");
                }
                self.grant_tokens(s, st, &b("clientId"));
            }
            _ => oauth_error(
                s,
                400,
                "UnsupportedGrantTypeException",
                "unsupported_grant_type",
            ),
        }
    }

    fn grant_tokens(&self, s: &TcpStream, st: &mut State, client: &str) {
        st.seq += 1;
        let n = st.seq;
        let (at, rt) = (format!("access-{n}"), format!("refresh-{n}"));
        st.access.push(at.clone());
        st.refresh.insert(rt.clone(), client.to_string());
        let ttl = st.knobs.access_ttl;
        respond(s, 200, None, "", &json!({"accessToken": at, "tokenType": "Bearer", "expiresIn": ttl, "refreshToken": rt}).to_string());
    }

    /// A `$BROWSER` program for rdsql: it hands each URL to the fake, which
    /// plays the user (follows the authorize redirect to the loopback
    /// callback, or approves the device code).
    pub fn browser_script(&self) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let urls = dir.path().join("urls");
        std::fs::write(&urls, "").unwrap();
        let script = dir.path().join("browser");
        std::fs::write(
            &script,
            format!("#!/bin/sh\necho \"$1\" >> '{}'\n", urls.display()),
        )
        .unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
        let watch = urls.clone();
        std::thread::spawn(move || {
            let mut done = 0;
            // Two minutes: a loaded CI machine may take long to get there.
            for _ in 0..2400 {
                let text = std::fs::read_to_string(&watch).unwrap_or_default();
                let lines: Vec<&str> = text.lines().collect();
                for url in &lines[done.min(lines.len())..] {
                    // A slow start of the callback listener is retried.
                    for attempt in 0..5 {
                        if play_user(url).is_ok() {
                            break;
                        }
                        std::thread::sleep(Duration::from_millis(200 * (attempt + 1)));
                    }
                }
                done = lines.len();
                std::thread::sleep(Duration::from_millis(50));
            }
        });
        (dir, script)
    }
}

fn authorized(st: &State, req: &Req) -> bool {
    let tok = req
        .headers
        .get("x-amz-sso_bearer_token")
        .cloned()
        .unwrap_or_default();
    tok == ACCESS_TOKEN || st.access.contains(&tok)
}

/// GETs `url` as a browser would, following one redirect; returns the
/// final response's status line and body.
pub fn play_user(url: &str) -> std::io::Result<String> {
    let (status, headers, body) = http_get(url)?;
    if status.contains(" 302 ")
        && let Some(loc) = headers
            .iter()
            .find(|(k, _)| k == "location")
            .map(|(_, v)| v.clone())
    {
        let (s2, _, b2) = http_get(&loc)?;
        return Ok(format!("{s2}\n{b2}"));
    }
    Ok(format!("{status}\n{body}"))
}

/// Status line, lower-cased headers, body.
type Response = (String, Vec<(String, String)>, String);

fn http_get(url: &str) -> std::io::Result<Response> {
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| std::io::Error::other("only http"))?;
    let (hostport, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let mut s = TcpStream::connect(hostport)?;
    s.set_read_timeout(Some(Duration::from_secs(10)))?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {hostport}\r\nConnection: close\r\n\r\n"
    )?;
    let mut all = String::new();
    s.read_to_string(&mut all)?;
    let (head, body) = all.split_once("\r\n\r\n").unwrap_or((&all, ""));
    let mut lines = head.lines();
    let status = lines.next().unwrap_or_default().to_string();
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    Ok((status, headers, body.to_string()))
}
