//! Assume-role profiles with `mfa_serial`: the prompt, STS AssumeRole with
//! the code (a test-only STS that demands it), and the AWS CLI's cache
//! shared both ways with the real `aws` command.

use crate::harness::*;
use crate::iam::{aws_home, engines, run, who};
use rdsql_testkit::iam::*;
use std::os::unix::fs::PermissionsExt;

const SERIAL: &str = "arn:aws:iam::123456789012:mfa/tester";
const CODE: &str = "314159";
/// The AWS CLI's cache file for the profile below: SHA-1 of
/// `{"DurationSeconds": 1800, "RoleArn": "…", "SerialNumber": "…"}`.
fn cache_file(home: &std::path::Path) -> std::path::PathBuf {
    let key = r#"{"DurationSeconds": 1800, "RoleArn": "arn:aws:iam::123456789012:role/rds-connect", "SerialNumber": "arn:aws:iam::123456789012:mfa/tester"}"#;
    let d = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY, key.as_bytes());
    let name: String = d.as_ref().iter().map(|b| format!("{b:02x}")).collect();
    home.join(".aws/cli/cache").join(format!("{name}.json"))
}

fn mfa_home() -> tempfile::TempDir {
    let home = aws_home();
    let config = home.path().join(".aws/config");
    let mut text = std::fs::read_to_string(&config).unwrap();
    text.push_str(&format!(
        "\n[profile mfa]\nrole_arn = arn:aws:iam::123456789012:role/rds-connect\nsource_profile = dev\nmfa_serial = {SERIAL}\nduration_seconds = 1800\nregion = {REGION}\n"
    ));
    std::fs::write(&config, text).unwrap();
    home
}

fn assume_roles(sts: &rdsql_testkit::sts::FakeSts) -> Vec<String> {
    sts.requests
        .lock()
        .unwrap()
        .iter()
        .filter(|(_, b)| b.contains("Action=AssumeRole"))
        .map(|(_, b)| b.clone())
        .collect()
}

/// rdsql in a pseudo-terminal (so it may prompt), with `env`.
fn pty(args: &[&str], env: &[(&str, String)]) -> rexpect::session::PtySession {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_rdsql"));
    cmd.args(args);
    for (k, _) in std::env::vars() {
        if k.starts_with("AWS_") || k.starts_with("PG") || k.starts_with("RDSQL") {
            cmd.env_remove(k);
        }
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    rexpect::session::spawn_command(cmd, Some(20_000)).expect("spawn rdsql in a pty")
}

#[test]
fn mfa_profile_prompts_once_and_shares_the_aws_cli_cache() {
    if !iam_ready() || !aws_cli_ready() {
        return;
    }
    let sts = rdsql_testkit::sts::fake_sts_mfa(SERIAL, CODE);
    let home = mfa_home();
    let env = vec![
        ("HOME", home.path().display().to_string()),
        ("AWS_ENDPOINT_URL_STS", sts.endpoint.clone()),
    ];
    let (_, url, sql, expected) = engines(IAM_USER, "&auth=iam-profile&aws_profile=mfa")
        .into_iter()
        .next()
        .unwrap();

    // No terminal and nothing cached: a clear error, no STS call.
    let o = run(&["query", &url, "--format", "csv", "-c", sql], &env);
    assert_eq!(o.code, 2, "{}", o.stderr);
    assert!(
        o.stderr.contains("profile mfa needs an MFA code") && o.stderr.contains(SERIAL),
        "{}",
        o.stderr
    );
    assert!(assume_roles(&sts).is_empty());

    // A wrong code: STS's refusal, named.
    let mut p = pty(&["query", &url, "--format", "csv", "-c", sql], &env);
    p.exp_string(&format!("MFA code for {SERIAL}:")).unwrap();
    p.send_line("000000").unwrap();
    p.exp_string("MultiFactorAuthentication failed").unwrap();
    p.exp_eof().unwrap();
    assert!(!cache_file(home.path()).exists());

    // The right code: connected; the role credentials land in the AWS
    // CLI's cache, 0600.
    let mut p = pty(&["query", &url, "--format", "csv", "-c", sql], &env);
    p.exp_string(&format!("MFA code for {SERIAL}:")).unwrap();
    p.send_line(CODE).unwrap();
    p.exp_string(&expected).unwrap();
    p.exp_eof().unwrap();
    let calls = assume_roles(&sts);
    assert_eq!(calls.len(), 2);
    let last = calls.last().unwrap();
    for part in [
        "SerialNumber=arn%3Aaws%3Aiam%3A%3A123456789012%3Amfa%2Ftester",
        &format!("TokenCode={CODE}"),
        "DurationSeconds=1800",
        "RoleSessionName=botocore-session-",
    ] {
        assert!(last.contains(part), "{part} in {last}");
    }
    let cache = cache_file(home.path());
    assert_eq!(
        std::fs::metadata(&cache).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&cache).unwrap()).unwrap();
    assert_eq!(doc["Credentials"]["AccessKeyId"], TEMP_KEY_ID);

    // A second run, with no terminal: the cache, no prompt, no STS call.
    let o = run(&["query", &url, "--format", "csv", "-c", sql], &env);
    assert_eq!(who(o.ok()), expected);
    assert_eq!(assume_roles(&sts).len(), 2);

    // The AWS CLI reads rdsql's entry without asking for a code.
    let aws = std::process::Command::new("aws")
        .args([
            "sts",
            "get-caller-identity",
            "--profile",
            "mfa",
            "--output",
            "text",
        ])
        .env("HOME", home.path())
        .env("AWS_ENDPOINT_URL_STS", &sts.endpoint)
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_ACCESS_KEY_ID")
        .stdin(std::process::Stdio::null())
        .output()
        .expect("the AWS CLI (pip install awscli; .ci/run installs it)");
    assert!(
        aws.status.success(),
        "{}",
        String::from_utf8_lossy(&aws.stderr)
    );
    assert!(String::from_utf8_lossy(&aws.stdout).contains("assumed-role/rds-connect"));
    assert_eq!(assume_roles(&sts).len(), 2, "the CLI used rdsql's cache");

    // And the other way: the CLI asks (its own prompt), rdsql then uses
    // the CLI's entry.
    std::fs::remove_file(&cache).unwrap();
    let mut cmd = std::process::Command::new("aws");
    cmd.args([
        "sts",
        "get-caller-identity",
        "--profile",
        "mfa",
        "--output",
        "text",
    ])
    .env("HOME", home.path())
    .env("AWS_ENDPOINT_URL_STS", &sts.endpoint)
    .env_remove("AWS_PROFILE");
    let mut p = rexpect::session::spawn_command(cmd, Some(30_000)).unwrap();
    p.exp_string(&format!("Enter MFA code for {SERIAL}:"))
        .unwrap();
    p.send_line(CODE).unwrap();
    p.exp_string("assumed-role/rds-connect").unwrap();
    p.exp_eof().unwrap();
    assert!(cache.exists(), "the AWS CLI wrote its cache entry");
    assert_eq!(assume_roles(&sts).len(), 3);
    let o = run(&["query", &url, "--format", "csv", "-c", sql], &env);
    assert_eq!(who(o.ok()), expected);
    assert_eq!(assume_roles(&sts).len(), 3, "rdsql used the CLI's cache");

    // An expired entry is not used.
    let mut doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&cache).unwrap()).unwrap();
    doc["Credentials"]["Expiration"] = "2020-01-01T00:00:00UTC".into();
    std::fs::write(&cache, doc.to_string()).unwrap();
    let o = run(&["query", &url, "--format", "csv", "-c", sql], &env);
    assert_eq!(o.code, 2, "{}", o.stderr);
    assert!(o.stderr.contains("needs an MFA code"), "{}", o.stderr);
}
