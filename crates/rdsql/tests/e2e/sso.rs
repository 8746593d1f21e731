//! AWS SSO / IAM Identity Center end to end, against the test-only fake of
//! the OIDC and portal APIs (rdsql_testkit::sso), which also plays the user
//! in the browser.

use crate::harness::*;
use crate::iam::{engines, run, who};
use rdsql_aws::sso::cache;
use rdsql_testkit::iam::*;
use rdsql_testkit::sso::FakeSso;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

pub const START: &str = "https://rdsql-test.awsapps.com/start";

/// A HOME with both SSO profile formats and a `$BROWSER` the fake drives.
pub struct World {
    home: tempfile::TempDir,
    fake: FakeSso,
    _browser_dir: tempfile::TempDir,
    browser: PathBuf,
}

impl World {
    pub fn new() -> World {
        let fake = FakeSso::start();
        let home = tempfile::tempdir().unwrap();
        let aws = home.path().join(".aws");
        std::fs::create_dir_all(&aws).unwrap();
        std::fs::write(
            aws.join("config"),
            format!(
                "[profile legacy]\nsso_start_url = {START}\nsso_region = us-east-1\nsso_account_id = 111111111111\nsso_role_name = RDSAdmin\nregion = {REGION}\n\n\
                 [sso-session corp]\nsso_start_url = {START}\nsso_region = us-east-1\nsso_registration_scopes = sso:account:access\n\n\
                 [profile modern]\nsso_session = corp\nsso_account_id = 111111111111\nsso_role_name = RDSAdmin\nregion = {REGION}\n\n\
                 [profile keys]\naws_access_key_id = {STATIC_KEY_ID}\naws_secret_access_key = {STATIC_SECRET}\n"
            ),
        )
        .unwrap();
        let (browser_dir, browser) = fake.browser_script();
        World {
            home,
            fake,
            _browser_dir: browser_dir,
            browser,
        }
    }

    pub fn env(&self) -> Vec<(&'static str, String)> {
        let mut e = self.fake.env();
        e.push(("HOME", self.home.path().display().to_string()));
        e.push(("BROWSER", self.browser.display().to_string()));
        e
    }

    fn rdsql(&self, args: &[&str]) -> Out {
        run(args, &self.env())
    }

    fn cache_dir(&self) -> PathBuf {
        self.home.path().join(".aws/sso/cache")
    }

    fn cached(&self, key: &str) -> Option<cache::CachedToken> {
        cache::load(&self.cache_dir(), key).unwrap()
    }

    /// A cache entry as AWS CLI v2 writes it, with chosen expiries.
    pub fn write_cli_cache(
        &self,
        key: &str,
        expires_in: i64,
        registration_in: i64,
        utc_suffix: bool,
    ) -> String {
        let (cid, cs, at, rt) = self.fake.issue();
        let t = |secs: i64| {
            let s = cache::format_time(
                std::time::SystemTime::now() + std::time::Duration::from_secs(secs.max(0) as u64)
                    - std::time::Duration::from_secs((-secs).max(0) as u64),
            );
            if utc_suffix { s.replace('Z', "UTC") } else { s }
        };
        let dir = self.cache_dir();
        std::fs::create_dir_all(&dir).unwrap();
        let body = format!(
            "{{\n  \"startUrl\": \"{START}\",\n  \"region\": \"us-east-1\",\n  \"accessToken\": \"{at}\",\n  \"expiresAt\": \"{}\",\n  \"clientId\": \"{cid}\",\n  \"clientSecret\": \"{cs}\",\n  \"registrationExpiresAt\": \"{}\",\n  \"refreshToken\": \"{rt}\"\n}}",
            t(expires_in),
            t(registration_in)
        );
        std::fs::write(cache::cache_path(&dir, key), body).unwrap();
        at
    }
}

fn mode(p: &Path) -> u32 {
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

#[test]
fn pkce_sign_in_fills_the_shared_cache_read_by_a_second_process() {
    let w = World::new();
    let o = w.rdsql(&["sso", "login", "--profile", "modern"]);
    o.ok();
    assert!(
        o.stderr.contains("/authorize?response_type=code"),
        "{}",
        o.stderr
    );
    // Cached under sha1("corp"), the sso-session name, mode 0600.
    let path = cache::cache_path(&w.cache_dir(), "corp");
    assert_eq!(mode(&path), 0o600);
    let tok = w.cached("corp").unwrap();
    assert_eq!(
        (tok.start_url.as_str(), tok.region.as_str()),
        (START, "us-east-1")
    );
    assert!(
        tok.refresh_token.is_some()
            && tok.client_id.is_some()
            && tok.registration_expires_at.is_some()
    );
    let log = w.fake.log();
    assert!(
        log.iter().any(|l| l.starts_with("GET /authorize")),
        "{log:?}"
    );
    assert!(
        log.iter().any(|l| l == "POST /token authorization_code"),
        "{log:?}"
    );
    // A second process uses the cache without signing in again.
    let o = w.rdsql(&["sso", "accounts", "--profile", "modern", "--json"]);
    let accounts: serde_json::Value = serde_json::from_str(&o.ok().stdout).unwrap();
    assert_eq!(accounts.as_array().unwrap().len(), 3, "all pages");
    assert_eq!(
        w.fake
            .log()
            .iter()
            .filter(|l| l.starts_with("POST /client/register"))
            .count(),
        1
    );
}

#[test]
fn device_code_flow_with_pending_and_slow_down() {
    let w = World::new();
    w.fake.set(|k| {
        k.pending_polls = 2;
        k.slow_down_once = true;
    });
    let started = std::time::Instant::now();
    // Legacy profiles always use the device flow.
    let o = w.rdsql(&["sso", "login", "--profile", "legacy"]);
    o.ok();
    assert!(
        o.stderr.contains("ABCD-"),
        "the user code is shown: {}",
        o.stderr
    );
    let polls: Vec<String> = w
        .fake
        .log()
        .into_iter()
        .filter(|l| l.contains("device_code"))
        .collect();
    assert_eq!(polls.len(), 4, "slow_down, 2 × pending, success: {polls:?}");
    assert!(
        started.elapsed() >= std::time::Duration::from_secs(6),
        "slow_down added 5 s to the 1 s interval"
    );
    assert!(
        w.cached(START).is_some(),
        "legacy: cached under the start URL"
    );
}

#[test]
fn expired_device_code_and_sign_in_timeout() {
    let w = World::new();
    w.fake.set(|k| k.device_expires = true);
    let o = w.rdsql(&[
        "sso",
        "login",
        "--sso-start-url",
        START,
        "--sso-region",
        "us-east-1",
        "--use-device-code",
    ]);
    o.fails(2, "timed out");
    assert!(
        o.stderr.contains(&format!(
            "rdsql sso login --sso-start-url {START} --sso-region us-east-1"
        )),
        "{}",
        o.stderr
    );

    let w = World::new();
    w.fake.set(|k| k.never_approve = true);
    let o = w.rdsql(&["sso", "login", "--profile", "modern", "--timeout", "2"]);
    o.fails(2, "SSO sign-in timed out after 2 s");
    assert!(
        o.stderr.contains("start URL") && o.stderr.contains("rdsql sso login --profile modern"),
        "{}",
        o.stderr
    );
    assert!(w.cached("corp").is_none());
}

#[test]
fn a_callback_with_the_wrong_state_is_refused() {
    let w = World::new();
    w.fake.set(|k| k.wrong_state = true);
    let o = w.rdsql(&["sso", "login", "--profile", "modern"]);
    o.fails(2, "state does not match");
    assert!(w.cached("corp").is_none());
    assert!(
        !w.fake
            .log()
            .iter()
            .any(|l| l.contains("authorization_code")),
        "no token exchange"
    );
}

#[test]
fn no_browser_prints_the_url() {
    let w = World::new();
    w.fake.set(|k| k.device_expires = true);
    let mut env = w.env();
    env.retain(|(k, _)| *k != "BROWSER");
    env.push(("BROWSER", "/bin/false-browser-that-does-not-exist".into()));
    let o = run(
        &["sso", "login", "--profile", "legacy", "--no-browser"],
        &env,
    );
    assert!(
        o.stderr.contains("Open this URL in a browser")
            && o.stderr.contains("/device?user_code=ABCD-"),
        "{}",
        o.stderr
    );
}

#[test]
fn refresh_token_renews_a_token_near_expiry() {
    let w = World::new();
    let old = w.write_cli_cache("corp", 300, 86400, false);
    let o = w.rdsql(&[
        "sso",
        "roles",
        "--profile",
        "modern",
        "--account-id",
        "111111111111",
    ]);
    assert_eq!(o.ok().stdout, "RDSReadOnly\nRDSAdmin\n", "both pages");
    assert!(
        w.fake
            .log()
            .iter()
            .any(|l| l == "POST /token refresh_token"),
        "{:?}",
        w.fake.log()
    );
    let tok = w.cached("corp").unwrap();
    assert_ne!(tok.access_token, old, "the cache holds the refreshed token");
    assert_eq!(mode(&cache::cache_path(&w.cache_dir(), "corp")), 0o600);
}

#[test]
fn expired_registration_means_signing_in_again() {
    let w = World::new();
    w.write_cli_cache("corp", -60, -30, false);
    let o = w.rdsql(&["sso", "accounts", "--profile", "modern"]);
    o.fails(2, "has expired");
    assert!(
        o.stderr.contains("rdsql sso login --profile modern"),
        "{}",
        o.stderr
    );
    assert!(
        !w.fake.log().iter().any(|l| l.contains("refresh_token")),
        "no refresh with an expired registration"
    );
}

#[test]
fn cache_written_in_the_aws_cli_format_is_used() {
    let w = World::new();
    // Older writers use the "UTC" suffix; both forms are read.
    w.write_cli_cache(START, 3600, 86400, true);
    let o = w.rdsql(&["sso", "accounts", "--profile", "legacy"]);
    assert!(
        o.ok().stdout.contains("222222222222") && o.stdout.contains("staging"),
        "{}",
        o.stdout
    );
    assert!(
        !w.fake.log().iter().any(|l| l.starts_with("POST /token")),
        "no sign-in, no refresh"
    );
}

#[test]
fn logout_calls_the_portal_and_removes_the_cache() {
    let w = World::new();
    w.write_cli_cache("corp", 3600, 86400, false);
    w.rdsql(&["sso", "logout", "--sso-session", "corp"]).ok();
    assert!(w.fake.log().iter().any(|l| l == "POST /logout"));
    assert!(w.cached("corp").is_none());
}

#[test]
fn auth_sso_connects_to_both_engines_through_pam() {
    if !iam_ready() {
        return;
    }
    let w = World::new();
    w.write_cli_cache("corp", 3600, 86400, false);
    for (engine, url, sql, expected) in engines(IAM_USER, "&auth=sso&aws_profile=modern") {
        let o = w.rdsql(&["query", &url, "--format", "csv", "-c", sql]);
        assert_eq!(who(o.ok()), expected, "{engine}");
    }
    // Custom entry: start URL, SSO region, account, role, database region.
    w.write_cli_cache(START, 3600, 86400, false);
    for (engine, url, sql, expected) in engines(IAM_USER, "&auth=sso") {
        let o = w.rdsql(&[
            "query",
            &url,
            "--sso-start-url",
            START,
            "--sso-region",
            "us-east-1",
            "--sso-account-id",
            "333333333333",
            "--sso-role-name",
            "RDSReadOnly",
            "--aws-region",
            REGION,
            "--format",
            "csv",
            "-c",
            sql,
        ]);
        assert_eq!(who(o.ok()), expected, "{engine} custom");
    }
    let roles: Vec<String> = w
        .fake
        .log()
        .into_iter()
        .filter(|l| l.starts_with("role "))
        .collect();
    assert!(
        roles.contains(&"role 111111111111 RDSAdmin".to_string())
            && roles.contains(&"role 333333333333 RDSReadOnly".to_string()),
        "{roles:?}"
    );
}

#[test]
fn auth_sso_without_a_sign_in_and_no_terminal_says_what_to_run() {
    let w = World::new();
    let (_, url, sql, _) = engines(IAM_USER, "&auth=sso&aws_profile=modern").remove(0);
    let o = w.rdsql(&["query", &url, "-c", sql]);
    o.fails(2, "not signed in");
    assert!(
        o.stderr.contains("rdsql sso login --profile modern"),
        "{}",
        o.stderr
    );
    let o = w.rdsql(&["query", &url, "--aws-profile", "keys", "-c", sql]);
    o.fails(1, "not an SSO profile");
}

#[test]
fn aws_profiles_lists_and_classifies_and_sees_edits() {
    let w = World::new();
    let o = w.rdsql(&["aws", "profiles", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&o.ok().stdout).unwrap();
    let kinds: Vec<(String, String)> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["name"].as_str().unwrap().to_string(),
                p["kind"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        kinds,
        vec![
            ("keys".into(), "static".into()),
            ("legacy".into(), "sso (legacy)".into()),
            ("modern".into(), "sso (sso-session)".into())
        ]
    );
    let modern = &v.as_array().unwrap()[2];
    assert_eq!(modern["sso_start_url"], START);
    assert_eq!(modern["sso_region"], "us-east-1");
    assert_eq!(modern["sso_account_id"], "111111111111");
    assert_eq!(modern["sso_role_name"], "RDSAdmin");
    assert_eq!(modern["region"], REGION);
    // An edit is seen on the next call.
    let config = w.home.path().join(".aws/config");
    let mut text = std::fs::read_to_string(&config).unwrap();
    text.push_str("\n[profile chained]\nrole_arn = arn:aws:iam::1:role/r\nsource_profile = keys\n\n[profile proc]\ncredential_process = /bin/true\n");
    std::fs::write(&config, &text).unwrap();
    let o = w.rdsql(&["aws", "profiles"]);
    assert!(
        o.ok().stdout.contains("chained")
            && o.stdout.contains("role")
            && o.stdout.contains("process"),
        "{}",
        o.stdout
    );
    // A malformed file is reported with its name and line.
    std::fs::write(&config, "[profile broken\nregion = x\n").unwrap();
    let o = w.rdsql(&["aws", "profiles"]);
    o.fails(1, "line 1");
    assert!(
        o.stderr.contains(&config.display().to_string()),
        "{}",
        o.stderr
    );
}

#[test]
fn token_command_with_auth_sso() {
    let w = World::new();
    w.write_cli_cache("corp", 3600, 86400, false);
    let o = w.rdsql(&[
        "token",
        "--auth",
        "sso",
        "--profile",
        "modern",
        "--hostname",
        "db.x.eu-west-1.rds.amazonaws.com",
        "--port",
        "5432",
        "--username",
        "app",
    ]);
    let t = o.ok().stdout.trim_end().to_string();
    assert!(
        t.contains(&format!("X-Amz-Credential={TEMP_KEY_ID}%2F"))
            && t.contains("X-Amz-Security-Token="),
        "{t}"
    );
}

#[test]
fn concurrent_refreshes_never_corrupt_the_cache() {
    let w = World::new();
    w.write_cli_cache("corp", 300, 86400, false);
    let env = w.env();
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let env = env.clone();
            std::thread::spawn(move || run(&["sso", "accounts", "--profile", "modern"], &env))
        })
        .collect();
    for h in handles {
        h.join().unwrap().ok();
    }
    let tok = w.cached("corp").expect("a whole, valid cache file");
    assert!(
        tok.expires().unwrap()
            > std::time::SystemTime::now() + std::time::Duration::from_secs(1800)
    );
    let leftovers: Vec<_> = std::fs::read_dir(w.cache_dir())
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty());
}

#[test]
fn ctrl_c_cancels_a_sign_in_cleanly() {
    let w = World::new();
    w.fake.set(|k| k.never_approve = true);
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_rdsql"));
    cmd.args(["sso", "login", "--profile", "modern"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    for (k, v) in w.env() {
        cmd.env(k, v);
    }
    let child = cmd.spawn().unwrap();
    // Wait until it is waiting for the browser.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while !w.fake.log().iter().any(|l| l.starts_with("GET /authorize"))
        && std::time::Instant::now() < deadline
    {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    std::thread::sleep(std::time::Duration::from_millis(200));
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("SSO sign-in cancelled"), "{stderr}");
    assert!(w.cached("corp").is_none());
}

#[test]
fn auth_sso_signs_in_first_when_on_a_terminal() {
    if !iam_ready() {
        return;
    }
    let w = World::new();
    let (_, url, _, _) = crate::iam::engines(IAM_USER, "&auth=sso&aws_profile=modern").remove(0);
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_rdsql"));
    cmd.args([
        "query",
        &url,
        "--format",
        "csv",
        "-c",
        "select current_user",
    ]);
    for (k, v) in w.env() {
        cmd.env(k, v);
    }
    // Generous: a loaded CI machine signs in slowly.
    let mut p = rexpect::session::spawn_command(cmd, Some(60_000)).unwrap();
    p.exp_string("not signed in").unwrap();
    p.exp_string("/authorize?").unwrap();
    p.exp_string(&format!("current_user\r\n{IAM_USER}"))
        .unwrap();
    p.exp_eof().unwrap();
    assert!(w.cached("corp").is_some(), "the sign-in was cached");
}
