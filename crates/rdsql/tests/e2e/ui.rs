//! `rdsql ui` over HTTP: every security rule of the local server, and every
//! authentication method through the dialog's API against the real
//! servers (IAM checked by the PAM verifier, SSO through the fake).

use crate::harness::*;
use rdsql_testkit::iam::*;
use rdsql_testkit::{PASSWORD, mariadb, postgres};
use serde_json::{Value, json};
use std::io::{BufRead, Read, Write};
use std::process::{Child, Command, Stdio};

/// A running `rdsql ui --no-browser`, stopped with SIGTERM when dropped.
pub struct Ui {
    child: Child,
    pub port: u16,
    pub token: String,
    /// `name=value` of the session cookie the token was exchanged for.
    pub cookie: String,
    pub url: String,
    pub cfg: tempfile::TempDir,
}

pub struct Resp {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
    /// The body as sent (chunk framing removed).
    pub bytes: Vec<u8>,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    /// The body as JSON; a streamed query result (NDJSON) is folded into
    /// `{"output": {"results": [{"columns", "types", "rows"}], "affected",
    /// "txn", "reconnected"}}`, or `{"error", "txn"}` when it failed.
    pub fn json(&self) -> Value {
        if self
            .header("content-type")
            .is_some_and(|t| t.starts_with("application/x-ndjson"))
        {
            return fold_ndjson(&self.body);
        }
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }
}

/// Folds the query stream's lines (see rdsql-ui's `StreamSink`).
pub fn fold_ndjson(body: &str) -> Value {
    let mut results: Vec<Value> = vec![];
    let mut affected: Vec<Value> = vec![];
    let mut out = json!({});
    for line in body.lines().filter(|l| !l.is_empty()) {
        let v: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
        if let Some(r) = v.get("result") {
            results.push(json!({ "columns": r["columns"], "rows": [] }));
        } else if let Some(t) = v.get("types") {
            results.last_mut().unwrap()["types"] = t.clone();
        } else if let Some(rows) = v.get("rows").and_then(Value::as_array) {
            let last = results.last_mut().unwrap();
            last["rows"]
                .as_array_mut()
                .unwrap()
                .extend(rows.iter().cloned());
        } else if let Some(n) = v.get("affected") {
            affected.push(n.clone());
        } else if v.get("error").is_some() {
            return v;
        } else if let Some(d) = v.get("done") {
            out = json!({ "output": {
                "results": results, "affected": affected, "txn": d["txn"],
                "reconnected": d["reconnected"], "elapsed_ms": d["elapsed_ms"],
            }});
        }
    }
    out
}

impl Resp {
    /// Whether a query failed (its stream carried an error).
    pub fn failed(&self) -> bool {
        self.status != 200 || self.json().get("error").is_some()
    }
}

impl Ui {
    pub fn start(env: &[(&str, String)]) -> Ui {
        Self::start_with(env, &["--no-browser"])
    }

    pub fn start_with(env: &[(&str, String)], args: &[&str]) -> Ui {
        let cfg = tempfile::tempdir().unwrap();
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_rdsql"));
        cmd.arg("ui").args(args);
        for (k, _) in std::env::vars() {
            if k.starts_with("PG") || k.starts_with("MYSQL") || k.starts_with("AWS_") {
                cmd.env_remove(k);
            }
        }
        cmd.env("RDSQL_CONFIG_DIR", cfg.path())
            .env("RDSQL_SECRET_STORE", "file")
            .env("HOME", cfg.path())
            .env("XDG_RUNTIME_DIR", cfg.path())
            .env("USER", "nobody-in-particular");
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("spawn rdsql ui");
        let mut first = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut first)
            .unwrap();
        let url = first
            .trim()
            .strip_prefix("rdsql ui: ")
            .unwrap_or_else(|| panic!("first line: {first:?}"))
            .to_string();
        let port: u16 = url
            .trim_start_matches("http://127.0.0.1:")
            .split('/')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        let token = url.rsplit("token=").next().unwrap().to_string();
        let mut ui = Ui {
            child,
            port,
            token,
            url,
            cfg,
            cookie: String::new(),
        };
        let r = ui.raw("GET", &format!("/?token={}", ui.token), &[], "");
        ui.cookie = r
            .header("set-cookie")
            .expect("the token is exchanged for a cookie")
            .split(';')
            .next()
            .unwrap()
            .to_string();
        ui
    }

    /// A raw HTTP/1.1 request: (method, path, extra headers, body).
    pub fn raw(&self, method: &str, path: &str, headers: &[(&str, String)], body: &str) -> Resp {
        let mut s = std::net::TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        s.set_read_timeout(Some(std::time::Duration::from_secs(60)))
            .unwrap();
        let mut req = format!("{method} {path} HTTP/1.1\r\nConnection: close\r\n");
        if !headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("host")) {
            req += &format!("Host: 127.0.0.1:{}\r\n", self.port);
        }
        for (k, v) in headers {
            req += &format!("{k}: {v}\r\n");
        }
        req += &format!("Content-Length: {}\r\n\r\n{body}", body.len());
        s.write_all(req.as_bytes()).unwrap();
        let mut all = Vec::new();
        s.read_to_end(&mut all).unwrap();
        let split = all
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .unwrap_or(all.len());
        let head = String::from_utf8_lossy(&all[..split]).into_owned();
        let raw_body = all.get(split + 4..).unwrap_or_default();
        let mut lines = head.lines();
        let status = lines
            .next()
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|c| c.parse().ok())
            .unwrap_or(0);
        let headers = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
            .collect();
        let bytes = if head
            .to_ascii_lowercase()
            .contains("transfer-encoding: chunked")
        {
            dechunk(raw_body)
        } else {
            raw_body.to_vec()
        };
        let body = String::from_utf8_lossy(&bytes).into_owned();
        Resp {
            status,
            headers,
            body,
            bytes,
        }
    }

    fn cookie(&self) -> (&'static str, String) {
        ("Cookie", self.cookie.clone())
    }

    pub fn get(&self, path: &str) -> Resp {
        self.raw("GET", path, &[self.cookie()], "")
    }

    /// A same-origin JSON POST, as the page makes it.
    pub fn post(&self, path: &str, body: &Value) -> Resp {
        self.raw(
            "POST",
            path,
            &[
                self.cookie(),
                ("Origin", format!("http://127.0.0.1:{}", self.port)),
                ("Content-Type", "application/json".into()),
            ],
            &body.to_string(),
        )
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Connects the dialog's form; the session's id.
    pub fn session(&self, form: &Value) -> String {
        let r = self.post("/api/connect", &json!({ "form": form }));
        assert_eq!(r.status, 200, "{}", r.body);
        r.json()["id"].as_str().unwrap().to_string()
    }

    /// Connects the dialog's form and runs `sql`; the first column of the
    /// first row.
    pub fn connect_and_query(&self, form: &Value, sql: &str) -> Result<String, Value> {
        let r = self.post("/api/connect", &json!({ "form": form }));
        if r.status != 200 {
            return Err(r.json());
        }
        let id = r.json()["id"].as_str().unwrap().to_string();
        let q = self.post("/api/query", &json!({ "session": id, "sql": sql }));
        if q.failed() {
            return Err(q.json());
        }
        let v = q.json();
        Ok(v["output"]["results"][0]["rows"][0][0]
            .as_str()
            .unwrap_or_default()
            .to_string())
    }

    /// Stops it with SIGTERM; its stderr.
    pub fn stop(mut self) -> (i32, String) {
        // SAFETY: kill(2) on our own child.
        unsafe { libc::kill(self.child.id() as i32, libc::SIGTERM) };
        let status = self.child.wait().unwrap();
        let mut err = String::new();
        if let Some(mut e) = self.child.stderr.take() {
            let _ = e.read_to_string(&mut err);
        }
        (status.code().unwrap_or(-1), err)
    }
}

impl Drop for Ui {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn dechunk(body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut rest = body;
    while let Some(eol) = rest.windows(2).position(|w| w == b"\r\n") {
        let size = String::from_utf8_lossy(&rest[..eol]).into_owned();
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        let tail = &rest[eol + 2..];
        if n == 0 || tail.len() < n {
            break;
        }
        out.extend_from_slice(&tail[..n]);
        rest = tail[n..].strip_prefix(b"\r\n").unwrap_or(&tail[n..]);
    }
    out
}

/// The dialog's form for the PostgreSQL test user with its password.
pub fn pg_password_form() -> Value {
    let mut form = pg_form("rdsql_scram");
    form["auth"] = json!("password");
    form["password"] = json!(PASSWORD);
    form
}

pub fn pg_form(user: &str) -> Value {
    json!({
        "engine": "postgres", "host": "127.0.0.1", "port": postgres().port.to_string(),
        "user": user, "dbname": "rdsql", "sslrootcert": ca(), "sslmode": "verify-full",
    })
}

#[test]
fn security_rules_of_the_local_server() {
    let ui = Ui::start(&[]);
    let origin = format!("http://127.0.0.1:{}", ui.port);
    // Without the cookie or token, every route answers 401.
    for path in ["/", "/assets/app.js", "/api/profiles", "/api/connections"] {
        let r = ui.raw("GET", path, &[], "");
        assert_eq!(r.status, 401, "{path}");
    }
    let r = ui.raw("GET", "/?token=wrong", &[], "");
    assert_eq!(r.status, 401);
    // The token is exchanged for an HttpOnly, SameSite=Strict cookie and
    // taken out of the address bar.
    let r = ui.raw("GET", &format!("/?token={}", ui.token), &[], "");
    assert_eq!(r.status, 303);
    assert_eq!(r.header("location"), Some("/"));
    let cookie = r.header("set-cookie").unwrap();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    // The cookie carries a key of its own, named for this port; the token
    // itself does not open anything as a cookie.
    assert!(
        cookie.starts_with(&format!("rdsql_ui_{}=", ui.port)),
        "{cookie}"
    );
    assert!(!cookie.contains(&ui.token), "{cookie}");
    let r = ui.raw(
        "GET",
        "/api/profiles",
        &[("Cookie", format!("rdsql_ui_{}={}", ui.port, ui.token))],
        "",
    );
    assert_eq!(r.status, 401);
    let page = ui.get("/");
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Connect to a database"));
    // The dialog's controls come from the one field definition.
    let fields = ui.get("/api/fields");
    assert_eq!(fields.status, 200);
    assert!(
        fields.body.contains("Authentication Method"),
        "{}",
        fields.body
    );
    // Every response: a strict CSP, not framed, no CORS.
    for r in [
        &page,
        &ui.get("/assets/app.js"),
        &ui.raw("GET", "/", &[], ""),
    ] {
        let csp = r.header("content-security-policy").unwrap();
        assert!(
            csp.contains("default-src 'self'") && csp.contains("frame-ancestors 'none'"),
            "{csp}"
        );
        assert!(r.header("access-control-allow-origin").is_none());
    }
    assert!(!page.body.contains("<script>"), "no inline script");
    // Host allow-list against DNS rebinding.
    for (host, ok) in [
        (format!("127.0.0.1:{}", ui.port), true),
        (format!("localhost:{}", ui.port), true),
        (format!("[::1]:{}", ui.port), true),
        (format!("evil.example:{}", ui.port), false),
        ("127.0.0.1".to_string(), false),
    ] {
        let r = ui.raw(
            "GET",
            "/api/profiles",
            &[("Host", host.clone()), ui.cookie()],
            "",
        );
        assert_eq!(r.status == 200, ok, "{host}: {}", r.status);
    }
    // State changes: same-origin JSON POSTs only.
    let body = json!({"form": {"engine": "sqlite", "dbname": ":memory:"}}).to_string();
    let json_ct = ("Content-Type", "application/json".to_string());
    let cases: Vec<(Vec<(&str, String)>, u16)> = vec![
        (
            vec![ui.cookie(), json_ct.clone(), ("Origin", origin.clone())],
            200,
        ),
        (
            vec![
                ui.cookie(),
                json_ct.clone(),
                ("Sec-Fetch-Site", "same-origin".into()),
            ],
            200,
        ),
        (
            vec![
                ui.cookie(),
                json_ct.clone(),
                ("Origin", "http://evil.example".into()),
            ],
            403,
        ),
        (
            vec![
                ui.cookie(),
                json_ct.clone(),
                ("Sec-Fetch-Site", "cross-site".into()),
            ],
            403,
        ),
        (vec![ui.cookie(), json_ct.clone()], 403),
        (
            vec![
                ui.cookie(),
                ("Content-Type", "text/plain".into()),
                ("Origin", origin.clone()),
            ],
            415,
        ),
        (vec![json_ct.clone(), ("Origin", origin.clone())], 401),
    ];
    for (headers, want) in cases {
        let r = ui.raw("POST", "/api/test", &headers, &body);
        assert_eq!(r.status, want, "{headers:?}: {}", r.body);
    }
    // GET never changes state (reading the portal may refresh a sign-in).
    assert_eq!(ui.get("/api/test").status, 405);
    assert_eq!(ui.get("/api/connections/save").status, 405);
    assert_eq!(ui.get("/api/sso/accounts").status, 405);
    // A crafted SSO region would put another host into the endpoint names.
    let r = ui.post(
        "/api/sso/accounts",
        &json!({ "sso_start_url": "https://x.awsapps.com/start", "sso_region": "evil.example/" }),
    );
    assert_eq!(r.status, 400, "{}", r.body);
    assert!(r.body.contains("not an AWS region name"), "{}", r.body);
    let r = ui.post(
        "/api/sso/signin",
        &json!({ "form": { "sso_start_url": "http://plain.example/start", "sso_region": "us-east-1" } }),
    );
    assert!(r.body.contains("is not an https:// address"), "{}", r.body);
    let (code, err) = ui.stop();
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("database sessions closed"), "{err}");
}

#[test]
fn the_browser_is_opened_through_a_private_redirect_file() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("args");
    let script = dir.path().join("browser");
    std::fs::write(
        &script,
        format!("#!/bin/sh\necho \"$@\" > '{}'\n", log.display()),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    let ui = Ui::start_with(&[("BROWSER", script.display().to_string())], &[]);
    let mut args = String::new();
    for _ in 0..100 {
        args = std::fs::read_to_string(&log).unwrap_or_default();
        if !args.is_empty() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert!(args.starts_with("file://"), "{args}");
    assert!(
        !args.contains(&ui.token),
        "the token is not in the browser's arguments"
    );
    let file = args.trim().trim_start_matches("file://");
    let mode = std::fs::metadata(file).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    assert!(std::fs::read_to_string(file).unwrap().contains(&ui.url));
    // Nor in rdsql's own arguments.
    let cmdline = std::fs::read(format!("/proc/{}/cmdline", ui.child.id())).unwrap();
    assert!(!String::from_utf8_lossy(&cmdline).contains(&ui.token));
    let _ = ui.stop();
    assert!(!std::path::Path::new(file).exists(), "removed at exit");
}

#[test]
fn password_connections_on_both_engines_and_the_access_denied_hints() {
    let ui = Ui::start(&[]);
    let mut form = pg_password_form();
    assert_eq!(
        ui.connect_and_query(&form, "select current_user").unwrap(),
        "rdsql_scram"
    );
    let my = json!({
        "engine": "mariadb", "host": "127.0.0.1", "port": mariadb().port.to_string(),
        "user": "rdsql_native", "dbname": "rdsql", "auth": "password", "password": PASSWORD,
    });
    assert_eq!(
        ui.connect_and_query(&my, "select current_user()").unwrap(),
        "rdsql_native@%"
    );
    // A wrong password: the CLI's headline and hints, beside the field,
    // and the password never echoed.
    form["password"] = json!("Wr0ng-S3cret");
    let e = ui.connect_and_query(&form, "select 1").unwrap_err();
    let text = e.to_string();
    assert!(text.contains("authentication failed"), "{text}");
    assert!(text.contains("the password is wrong"), "{text}");
    assert_eq!(e["field"], "password");
    assert!(!text.contains("Wr0ng-S3cret"));
    // A statement error shows with its code.
    form["password"] = json!(PASSWORD);
    let e = ui
        .connect_and_query(&form, "select * from no_such_table")
        .unwrap_err();
    assert!(e.to_string().contains("42P01"), "{e}");
}

#[test]
fn iam_keys_and_iam_profile_connections() {
    if !iam_ready() {
        return;
    }
    let ui = Ui::start(&[]);
    let mut form = pg_form(IAM_USER);
    form["auth"] = json!("iam-keys");
    form["aws_access_key_id"] = json!(STATIC_KEY_ID);
    form["aws_secret_access_key"] = json!(STATIC_SECRET);
    form["aws_region"] = json!(REGION);
    assert_eq!(
        ui.connect_and_query(&form, "select current_user").unwrap(),
        IAM_USER
    );
    // Temporary keys with a session token typed in the dialog.
    form["aws_access_key_id"] = json!(TEMP_KEY_ID);
    form["aws_secret_access_key"] = json!(TEMP_SECRET);
    form["aws_session_token"] = json!(temp_session_token());
    assert_eq!(
        ui.connect_and_query(&form, "select current_user").unwrap(),
        IAM_USER
    );
    drop(ui);

    // iam-profile: the profile comes from the AWS files under HOME.
    let home = crate::iam::aws_home();
    let ui = Ui::start(&[("HOME", home.path().display().to_string())]);
    let profiles = ui.get("/api/profiles").json();
    assert!(profiles.to_string().contains("\"dev\""), "{profiles}");
    let my = json!({
        "engine": "mariadb", "host": "localhost", "port": mariadb().port.to_string(),
        "user": IAM_USER, "dbname": "rdsql", "sslrootcert": ca(),
        "auth": "iam-profile", "aws_profile": "dev", "aws_region": REGION,
    });
    assert_eq!(
        ui.connect_and_query(&my, "select current_user()").unwrap(),
        format!("{IAM_USER}@%")
    );
}

#[test]
fn sso_signs_in_through_the_dialog_and_connects_by_itself() {
    if !iam_ready() {
        return;
    }
    let w = crate::sso::World::new();
    let ui = Ui::start(&w.env());
    let mut form = pg_form(IAM_USER);
    form["host"] = json!("localhost");
    form["auth"] = json!("sso");
    form["aws_profile"] = json!("modern");
    // No sign-in yet: the dialog is told to offer one.
    let r = ui.post("/api/connect", &json!({ "form": form }));
    assert_eq!(r.status, 401, "{}", r.body);
    assert_eq!(r.json()["signin_required"], true);
    // The same sign-in as `rdsql sso login`; the fake plays the user.
    let job = ui.post("/api/sso/signin", &json!({ "form": form })).json()["job"]
        .as_str()
        .unwrap()
        .to_string();
    let mut state = String::new();
    for _ in 0..600 {
        let s = ui.get(&format!("/api/sso/signin/{job}")).json();
        state = s["status"]["state"].as_str().unwrap_or("").to_string();
        if state == "done" || state == "failed" {
            assert!(
                s["status"]["url"].as_str().unwrap().contains("/authorize?"),
                "{s}"
            );
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert_eq!(state, "done");
    // Account and role pickers fill from the portal now.
    let accounts = ui
        .post("/api/sso/accounts", &json!({ "aws_profile": "modern" }))
        .json();
    assert!(accounts.to_string().contains("111111111111"), "{accounts}");
    // The dialog retries the connection by itself.
    assert_eq!(
        ui.connect_and_query(&form, "select current_user").unwrap(),
        IAM_USER
    );
    // No SSO or IAM token reaches the browser.
    for body in [
        accounts.to_string(),
        ui.get(&format!("/api/sso/signin/{job}")).body,
    ] {
        assert!(
            !body.contains(rdsql_testkit::sso::ACCESS_TOKEN) && !body.contains("access-"),
            "{body}"
        );
    }
}

#[test]
fn saved_connections_are_shared_with_the_cli_and_never_show_secrets() {
    let ui = Ui::start(&[]);
    let form = pg_password_form();
    let r = ui.post(
        "/api/connections/save",
        &json!({ "name": "from-ui", "form": form }),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(!r.body.contains(PASSWORD));
    // The CLI opens what the UI saved.
    let env = [
        ("RDSQL_CONFIG_DIR", ui.cfg.path().display().to_string()),
        ("RDSQL_SECRET_STORE", "file".to_string()),
    ];
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let o = rdsql_env(
        &[
            "query",
            "from-ui",
            "--format",
            "csv",
            "-c",
            "select current_user",
        ],
        &env,
        None,
    );
    assert_eq!(o.ok().stdout, "current_user\nrdsql_scram\n");
    // And the UI opens what the CLI saved.
    let url = format!(
        "mariadb://rdsql_native:{PASSWORD}@127.0.0.1:{}/rdsql",
        mariadb().port
    );
    rdsql_env(&["conn", "add", "from-cli", &url], &env, None).ok();
    let list = ui.get("/api/connections");
    assert!(
        list.body.contains("from-ui") && list.body.contains("from-cli"),
        "{}",
        list.body
    );
    assert!(!list.body.contains(PASSWORD), "{}", list.body);
    assert!(list.body.contains("saved in secrets.toml"), "{}", list.body);
    let saved = json!({ "saved": "from-cli", "engine": "mariadb" });
    assert_eq!(
        ui.connect_and_query(&saved, "select current_user()")
            .unwrap(),
        "rdsql_native@%"
    );
    // Delete removes it for both.
    assert_eq!(
        ui.post("/api/connections/delete", &json!({ "name": "from-cli" }))
            .status,
        200
    );
    rdsql_env(&["query", "from-cli", "-c", "select 1"], &env, None).fails(1, "no saved connection");
}

#[test]
fn a_dropped_session_reconnects_and_stopping_closes_sessions() {
    let ui = Ui::start(&[]);
    let form = pg_password_form();
    let id = ui.session(&form);
    let q = |sql: &str| {
        ui.post("/api/query", &json!({ "session": id, "sql": sql }))
            .json()
    };
    let pid = q("select pg_backend_pid()")["output"]["results"][0]["rows"][0][0]
        .as_str()
        .unwrap()
        .to_string();
    // The server drops the session (idle timeout, failover…).
    postgres().psql(&format!("select pg_terminate_backend({pid})"));
    std::thread::sleep(std::time::Duration::from_millis(200));
    let out = q("select 'ui_marker_after_reconnect' as m");
    assert_eq!(out["output"]["reconnected"], true, "{out}");
    assert_eq!(
        out["output"]["results"][0]["rows"][0][0],
        "ui_marker_after_reconnect"
    );
    // Stopping the server closes the session on the database side.
    let (code, _) = ui.stop();
    assert_eq!(code, 0);
    std::thread::sleep(std::time::Duration::from_millis(300));
    let left = postgres().psql(
        "select count(*) from pg_stat_activity where query like '%ui_marker_after_reconnect%' and pid <> pg_backend_pid()",
    );
    assert_eq!(left.trim(), "0");
}

/// The shell's rule, in the UI too: after the server dropped a session
/// that had a transaction open, the next statement is not run on the new
/// session (docs/sessions.md).
#[test]
fn a_dropped_session_with_an_open_transaction_does_not_run_the_next_statement() {
    let ui = Ui::start(&[]);
    let id = ui.session(&pg_password_form());
    let q = |sql: &str| {
        ui.post("/api/query", &json!({ "session": id, "sql": sql }))
            .json()
    };
    let table = format!("ui_lost_txn_{}", std::process::id());
    assert!(
        q(&format!("create table {table} (n int)"))
            .get("error")
            .is_none()
    );
    let out = q(&format!("begin; insert into {table} values (1)"));
    assert_eq!(out["output"]["txn"], "open", "{out}");
    let pid = q("select pg_backend_pid()")["output"]["results"][0]["rows"][0][0]
        .as_str()
        .unwrap()
        .to_string();
    postgres().psql(&format!("select pg_terminate_backend({pid})"));
    std::thread::sleep(std::time::Duration::from_millis(200));
    let out = q(&format!("insert into {table} values (2)"));
    let e = &out["error"];
    assert!(
        e["headline"]
            .as_str()
            .unwrap_or_default()
            .contains("The connection was lost; reconnected to"),
        "{out}"
    );
    let causes = e["causes"].to_string();
    assert!(
        causes.contains("the open transaction was rolled back by the server")
            && causes.contains("The statement was not run"),
        "{out}"
    );
    assert_eq!(out["txn"], "idle", "{out}");
    // Neither the rolled-back row nor the statement not run is there, and
    // the new session works.
    let n = q(&format!("select count(*) from {table}"));
    assert_eq!(n["output"]["results"][0]["rows"][0][0], "0", "{n}");
    q(&format!("drop table {table}"));
}

#[test]
fn cancel_stops_a_running_statement_and_the_session_stays_usable() {
    let ui = Ui::start(&[]);
    let pg = pg_password_form();
    let my = json!({
        "engine": "mariadb", "host": "localhost", "port": mariadb().port.to_string(),
        "user": "rdsql_native", "dbname": "rdsql", "auth": "password", "password": PASSWORD,
    });
    for (form, sleep) in [(pg, "select pg_sleep(30)"), (my, "select sleep(30)")] {
        let id = ui.session(&form);
        // Nothing runs yet: nothing to cancel.
        assert_eq!(
            ui.post("/api/cancel", &json!({ "session": id })).json()["sent"],
            false
        );
        let started = std::time::Instant::now();
        std::thread::scope(|s| {
            let running =
                s.spawn(|| ui.post("/api/query", &json!({ "session": id, "sql": sleep })));
            std::thread::sleep(std::time::Duration::from_millis(1000));
            assert_eq!(
                ui.post("/api/cancel", &json!({ "session": id })).json()["sent"],
                true
            );
            let r = running.join().unwrap();
            assert!(
                started.elapsed() < std::time::Duration::from_secs(3),
                "{sleep}: {:?} {}",
                started.elapsed(),
                r.body
            );
        });
        let again = ui.post(
            "/api/query",
            &json!({ "session": id, "sql": "select 'still here'" }),
        );
        assert_eq!(
            again.json()["output"]["results"][0]["rows"][0][0],
            "still here",
            "{sleep}"
        );
    }
}

#[test]
fn transaction_state_follows_the_session() {
    let ui = Ui::start(&[]);
    let form = pg_password_form();
    let id = ui.session(&form);
    let q = |sql: &str| ui.post("/api/query", &json!({ "session": id, "sql": sql }));
    assert_eq!(q("select 1").json()["output"]["txn"], "idle");
    assert_eq!(q("begin").json()["output"]["txn"], "open");
    let failed = q("select * from no_such_table_txn");
    assert!(failed.failed(), "{}", failed.body);
    assert_eq!(failed.json()["txn"], "failed");
    assert_eq!(q("rollback").json()["output"]["txn"], "idle");
    assert_eq!(
        q("begin; create temp table t_txn (x int)").json()["output"]["txn"],
        "open"
    );
    assert_eq!(q("commit").json()["output"]["txn"], "idle");
}
