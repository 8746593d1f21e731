//! IAM authentication end to end: tokens signed by rdsql, checked by the
//! servers through PAM by an independent verifier (crate
//! rdsql-pam-verifier), as RDS does.

use crate::harness::*;
use rdsql_testkit::iam::*;
use rdsql_testkit::{mariadb, mariadb_plain, postgres, postgres_plain};

pub fn static_env() -> Vec<(&'static str, String)> {
    vec![
        ("AWS_ACCESS_KEY_ID", STATIC_KEY_ID.into()),
        ("AWS_SECRET_ACCESS_KEY", STATIC_SECRET.into()),
    ]
}

fn temp_env() -> Vec<(&'static str, String)> {
    vec![
        ("AWS_ACCESS_KEY_ID", TEMP_KEY_ID.into()),
        ("AWS_SECRET_ACCESS_KEY", TEMP_SECRET.into()),
        ("AWS_SESSION_TOKEN", temp_session_token()),
    ]
}

pub fn run(args: &[&str], env: &[(&'static str, String)]) -> Out {
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    rdsql_env(args, &env, None)
}

/// (label, URL for `user` with `params`, SQL returning the current user, expected value)
pub fn engines(user: &str, params: &str) -> Vec<(&'static str, String, &'static str, String)> {
    let ca = ca();
    vec![
        (
            "postgres",
            format!(
                "postgres://{user}@localhost:{}/rdsql?sslrootcert={ca}{params}",
                postgres().port
            ),
            "select current_user",
            user.to_string(),
        ),
        (
            "mariadb",
            format!(
                "mariadb://{user}@localhost:{}/rdsql?sslrootcert={ca}{params}",
                mariadb().port
            ),
            "select current_user()",
            format!("{user}@%"),
        ),
    ]
}

pub fn who(out: &Out) -> String {
    out.stdout.lines().nth(1).unwrap_or_default().to_string()
}

fn attempts(engine: &str) -> Vec<String> {
    if engine == "postgres" {
        postgres().pam.attempts()
    } else {
        mariadb().pam.attempts()
    }
}

#[test]
fn iam_keys_with_and_without_session_token() {
    if !iam_ready() {
        return;
    }
    for (engine, url, sql, expected) in
        engines(IAM_USER, &format!("&auth=iam-keys&aws_region={REGION}"))
    {
        let o = run(
            &["query", &url, "--format", "csv", "-c", sql],
            &static_env(),
        );
        assert_eq!(who(o.ok()), expected, "{engine} static keys");

        let o = run(&["query", &url, "--format", "csv", "-c", sql], &temp_env());
        assert_eq!(who(o.ok()), expected, "{engine} session token");
        // The token travelled whole to the verifier: far beyond pam_exec's 511 bytes.
        // (Other tests share the log, so look for any such line.)
        let long = attempts(engine).into_iter().any(|l| {
            l.starts_with(IAM_USER)
                && l.contains("accepted")
                && l.split("(token ")
                    .nth(1)
                    .and_then(|r| r.split(' ').next())
                    .and_then(|n| n.parse::<usize>().ok())
                    > Some(1000)
        });
        assert!(long, "{engine}: {:?}", attempts(engine));

        // The access key ID as a flag; the secret only ever from the environment.
        let o = run(
            &[
                "query",
                &url,
                "--aws-access-key-id",
                STATIC_KEY_ID,
                "--format",
                "csv",
                "-c",
                sql,
            ],
            &[("AWS_SECRET_ACCESS_KEY", STATIC_SECRET.into())],
        );
        assert_eq!(who(o.ok()), expected, "{engine} --aws-access-key-id");
    }
}

/// A temporary HOME with ~/.aws/{credentials,config}: static keys and a
/// credential_process profile.
pub fn aws_home() -> tempfile::TempDir {
    let home = tempfile::tempdir().unwrap();
    let aws = home.path().join(".aws");
    std::fs::create_dir_all(&aws).unwrap();
    std::fs::write(
        aws.join("credentials"),
        format!(
            "[dev]\naws_access_key_id = {STATIC_KEY_ID}\naws_secret_access_key = {STATIC_SECRET}\n"
        ),
    )
    .unwrap();
    let script = home.path().join("creds.sh");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\nprintf '%s' '{{\"Version\": 1, \"AccessKeyId\": \"{TEMP_KEY_ID}\", \"SecretAccessKey\": \"{TEMP_SECRET}\", \"SessionToken\": \"{}\", \"Expiration\": \"2099-01-01T00:00:00Z\"}}'\n",
            temp_session_token()
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::write(
        aws.join("config"),
        format!(
            "[profile dev]\nregion = {REGION}\n\n[profile proc]\nregion = {REGION}\ncredential_process = {}\n",
            script.display()
        ),
    )
    .unwrap();
    home
}

#[test]
fn iam_profile_static_keys_and_credential_process() {
    if !iam_ready() {
        return;
    }
    let home = aws_home();
    let h = home.path().display().to_string();
    for (engine, url, sql, expected) in engines(IAM_USER, "&auth=iam-profile") {
        // Region from the profile, keys from ~/.aws/credentials.
        let o = run(
            &[
                "query",
                &url,
                "--aws-profile",
                "dev",
                "--format",
                "csv",
                "-c",
                sql,
            ],
            &[("HOME", h.clone())],
        );
        assert_eq!(who(o.ok()), expected, "{engine} profile dev");
        // credential_process, chosen through AWS_PROFILE.
        let o = run(
            &["query", &url, "--format", "csv", "-c", sql],
            &[("HOME", h.clone()), ("AWS_PROFILE", "proc".into())],
        );
        assert_eq!(who(o.ok()), expected, "{engine} credential_process");
    }
    // AWS_CONFIG_FILE / AWS_SHARED_CREDENTIALS_FILE instead of HOME.
    let (_, url, sql, expected) = engines(IAM_USER, "&auth=iam-profile&aws_profile=dev").remove(0);
    let empty_home = tempfile::tempdir().unwrap();
    let o = run(
        &["query", &url, "--format", "csv", "-c", sql],
        &[
            ("HOME", empty_home.path().display().to_string()),
            ("AWS_CONFIG_FILE", format!("{h}/.aws/config")),
            (
                "AWS_SHARED_CREDENTIALS_FILE",
                format!("{h}/.aws/credentials"),
            ),
        ],
    );
    assert_eq!(who(o.ok()), expected);
}

#[test]
fn iam_profile_role_chain_through_sts() {
    if !iam_ready() {
        return;
    }
    let sts = rdsql_testkit::sts::fake_sts();
    let home = aws_home();
    let config = home.path().join(".aws/config");
    let mut text = std::fs::read_to_string(&config).unwrap();
    text.push_str(&format!(
        "\n[profile role]\nrole_arn = arn:aws:iam::123456789012:role/rds-connect\nsource_profile = dev\nregion = {REGION}\n"
    ));
    std::fs::write(&config, text).unwrap();
    for (engine, url, sql, expected) in engines(IAM_USER, "&auth=iam-profile&aws_profile=role") {
        let o = run(
            &["query", &url, "--format", "csv", "-c", sql],
            &[
                ("HOME", home.path().display().to_string()),
                ("AWS_ENDPOINT_URL_STS", sts.endpoint.clone()),
            ],
        );
        assert_eq!(who(o.ok()), expected, "{engine}");
    }
    let reqs = sts.requests.lock().unwrap();
    assert_eq!(reqs.len(), 2, "one AssumeRole per process");
    for (auth, body) in reqs.iter() {
        assert!(
            auth.contains(&format!("Credential={STATIC_KEY_ID}/")),
            "signed with the source profile: {auth}"
        );
        assert!(
            body.contains("RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Frds-connect"),
            "{body}"
        );
    }
}

/// `~/.aws/sso/cache/<sha1>.json` as AWS CLI v2 writes it after `aws sso login`.
pub fn sso_cache_entry(home: &std::path::Path, key: &str, start_url: &str) {
    let digest =
        aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY, key.as_bytes());
    let name: String = digest.as_ref().iter().map(|b| format!("{b:02x}")).collect();
    let dir = home.join(".aws/sso/cache");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join(format!("{name}.json")),
        format!(
            r#"{{"startUrl": "{start_url}", "region": "us-east-1", "accessToken": "{}", "expiresAt": "2099-01-01T00:00:00Z", "clientId": "cid", "clientSecret": "csecret", "registrationExpiresAt": "2099-01-01T00:00:00Z", "refreshToken": "rtoken"}}"#,
            rdsql_testkit::sso::ACCESS_TOKEN
        ),
    )
    .unwrap();
}

#[test]
fn iam_profile_with_signed_in_sso_profiles_of_both_formats() {
    if !iam_ready() {
        return;
    }
    let portal = rdsql_testkit::sso::FakeSso::start();
    let home = aws_home();
    let start = "https://rdsql-test.awsapps.com/start";
    let config = home.path().join(".aws/config");
    let mut text = std::fs::read_to_string(&config).unwrap();
    text.push_str(&format!(
        "\n[profile legacy]\nsso_start_url = {start}\nsso_region = us-east-1\nsso_account_id = 123456789012\nsso_role_name = RDSAccess\nregion = {REGION}\n\
         \n[sso-session corp]\nsso_start_url = {start}\nsso_region = us-east-1\nsso_registration_scopes = sso:account:access\n\
         \n[profile modern]\nsso_session = corp\nsso_account_id = 123456789012\nsso_role_name = RDSAccess\nregion = {REGION}\n"
    ));
    std::fs::write(&config, text).unwrap();
    // Cache keys: the start URL for legacy profiles, the session name otherwise.
    sso_cache_entry(home.path(), start, start);
    sso_cache_entry(home.path(), "corp", start);
    for profile in ["legacy", "modern"] {
        let (_, url, sql, expected) = engines(
            IAM_USER,
            &format!("&auth=iam-profile&aws_profile={profile}"),
        )
        .remove(0);
        let o = run(
            &["query", &url, "--format", "csv", "-c", sql],
            &[
                ("HOME", home.path().display().to_string()),
                ("AWS_ENDPOINT_URL_SSO", portal.endpoint.clone()),
            ],
        );
        assert_eq!(who(o.ok()), expected, "{profile}");
    }
    let roles: Vec<String> = portal
        .log()
        .into_iter()
        .filter(|l| l.starts_with("role "))
        .collect();
    assert_eq!(roles, vec!["role 123456789012 RDSAccess"; 2]);
}

#[test]
fn iam_profile_without_a_name_uses_the_default_chain() {
    if !iam_ready() {
        return;
    }
    let home = tempfile::tempdir().unwrap();
    let mut env = static_env();
    env.push(("HOME", home.path().display().to_string()));
    env.push(("AWS_REGION", REGION.into()));
    for (engine, url, sql, expected) in engines(IAM_USER, "&auth=iam-profile") {
        let o = run(&["query", &url, "--format", "csv", "-c", sql], &env);
        assert_eq!(who(o.ok()), expected, "{engine}");
    }
}

#[test]
fn unknown_profile_lists_the_profiles_that_exist() {
    let home = aws_home();
    let (_, url, sql, _) = engines(IAM_USER, "&auth=iam-profile&aws_profile=prod").remove(0);
    let o = run(
        &["query", &url, "-c", sql],
        &[("HOME", home.path().display().to_string())],
    );
    o.fails(2, "profile \"prod\" not found");
    assert!(
        o.stderr.contains("profiles that exist: dev, proc"),
        "{}",
        o.stderr
    );
}

#[test]
fn rejected_tokens_exit_2_with_the_access_denied_hints() {
    if !iam_ready() {
        return;
    }
    let cases = [
        (
            "wrong region",
            IAM_USER,
            "&auth=iam-keys&aws_region=us-east-1",
            static_env(),
        ),
        (
            "user without rds-db:connect",
            IAM_DENIED_USER,
            "&auth=iam-keys&aws_region=eu-west-1",
            static_env(),
        ),
        (
            "wrong secret",
            IAM_USER,
            "&auth=iam-keys&aws_region=eu-west-1",
            vec![
                ("AWS_ACCESS_KEY_ID", STATIC_KEY_ID.into()),
                ("AWS_SECRET_ACCESS_KEY", "not-the-secret".into()),
            ],
        ),
    ];
    for (label, user, params, env) in cases {
        for (engine, url, sql, _) in engines(user, params) {
            let o = run(&["query", &url, "--verbose", "-c", sql], &env);
            let server_says = if engine == "postgres" {
                format!("PAM authentication failed for user \"{user}\"")
            } else {
                format!("Access denied for user '{user}'")
            };
            o.fails(2, &server_says);
            for hint in [
                "rds-db:connect",
                "dbuser:DBI_RESOURCE_ID",
                "wrong region or host",
                "expired",
            ] {
                assert!(
                    o.stderr.contains(hint),
                    "{label}/{engine}: no {hint:?} in\n{}",
                    o.stderr
                );
            }
            let db_hint = if engine == "postgres" {
                "rds_iam"
            } else {
                "AWSAuthenticationPlugin"
            };
            assert!(o.stderr.contains(db_hint), "{}", o.stderr);
            assert!(o.stderr.contains("auth iam-keys"), "{}", o.stderr);
            assert!(
                o.stderr.contains(&format!("access key {STATIC_KEY_ID}")),
                "{}",
                o.stderr
            );
            for secret in [
                STATIC_SECRET,
                "not-the-secret",
                "X-Amz-Signature",
                "X-Amz-Credential",
            ] {
                assert!(
                    !o.stderr.contains(secret) && !o.stdout.contains(secret),
                    "{label}: leaked {secret:?}"
                );
            }
        }
    }
}

#[test]
fn missing_region_is_a_clear_error() {
    let (_, url, sql, _) = engines(IAM_USER, "&auth=iam-keys").remove(0);
    let o = run(&["query", &url, "-c", sql], &static_env());
    o.fails(2, "no AWS region");
    assert!(o.stderr.contains("--aws-region"), "{}", o.stderr);
}

#[test]
fn iam_refuses_a_server_without_tls_before_sending_a_token() {
    let plain_pg = postgres_plain();
    let plain_my = mariadb_plain();
    for (engine, url) in [
        (
            "postgres",
            format!("postgres://{IAM_USER}@localhost:{}/rdsql", plain_pg.port),
        ),
        (
            "mariadb",
            format!("mariadb://{IAM_USER}@localhost:{}/rdsql", plain_my.port),
        ),
    ] {
        for mode in ["require", "verify-full"] {
            let u = format!("{url}?auth=iam-keys&aws_region={REGION}&sslmode={mode}");
            run(&["query", &u, "-c", "select 1"], &static_env()).fails(2, "does not support TLS");
        }
        let u = format!("{url}?auth=iam-keys&aws_region={REGION}&sslmode=disable");
        run(&["query", &u, "-c", "select 1"], &static_env()).fails(1, "never travels without TLS");
        let u = format!("{url}?auth=iam-keys&aws_region={REGION}&sslmode=prefer");
        run(&["query", &u, "-c", "select 1"], &static_env()).fails(1, "never travels without TLS");
        let _ = engine;
    }
    // The servers' PAM verifiers never saw a password message.
    assert!(
        plain_pg.pam.attempts().is_empty(),
        "{:?}",
        plain_pg.pam.attempts()
    );
    assert!(
        plain_my.pam.attempts().is_empty(),
        "{:?}",
        plain_my.pam.attempts()
    );
}

#[test]
fn a_rejected_fresh_token_is_not_retried() {
    if !iam_ready() {
        return;
    }
    // The verifier rejects IAM_RETRY_USER's first token. A token signed for
    // this connection (not a reused one) is not retried: signing again
    // would not change the policy, user or region that made it fail.
    for (engine, url, sql, _) in engines(
        IAM_RETRY_USER,
        &format!("&auth=iam-keys&aws_region={REGION}"),
    ) {
        let o = run(
            &["query", &url, "--verbose", "--format", "csv", "-c", sql],
            &static_env(),
        );
        o.fails(2, "authentication failed");
        assert!(!o.stderr.contains("retrying"), "{}", o.stderr);
        let mine: Vec<String> = attempts(engine)
            .into_iter()
            .filter(|l| l.starts_with(IAM_RETRY_USER))
            .collect();
        assert_eq!(mine.len(), 1, "{engine}: {mine:?}");
        assert!(mine[0].contains("rejected"), "{mine:?}");
    }
}

#[test]
fn only_a_reused_token_is_retried() {
    if !iam_ready() {
        return;
    }
    use rdsql_connect::iam::IamTokenProvider;
    use rdsql_db::PasswordProvider;
    use std::sync::Arc;
    use std::time::{Duration, SystemTime};
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let (_, url, _, _) =
        engines(IAM_USER, &format!("&auth=iam-keys&aws_region={REGION}")).remove(0);
    let opts = rdsql_db::url::parse_url(&url).unwrap();
    let rdsql_db::ConnectionSpec::Server(spec) =
        rdsql_db::ConnectionSpec::resolve(opts, &|k| (k == "USER").then(|| "u".into())).unwrap()
    else {
        panic!()
    };
    let t0 = SystemTime::now();
    let offset = Arc::new(std::sync::Mutex::new(Duration::ZERO));
    let clock_offset = offset.clone();
    let provider = rt
        .block_on(IamTokenProvider::new(
            &spec,
            rdsql_aws::CredentialSource::Keys {
                access_key_id: rdsql_testkit::iam::STATIC_KEY_ID.into(),
                secret_access_key: rdsql_db::Secret::new(rdsql_testkit::iam::STATIC_SECRET),
                session_token: None,
            },
            Arc::new(rdsql_aws::TokenCache::default()),
            Arc::new(move || t0 + *clock_offset.lock().unwrap()),
            &|_| None,
        ))
        .unwrap();
    let first = rt.block_on(provider.password()).unwrap();
    assert!(!provider.invalidate(), "a fresh token is not retried");
    *offset.lock().unwrap() = Duration::from_secs(60);
    let reused = rt.block_on(provider.password()).unwrap();
    assert_eq!(reused.expose(), first.expose(), "reused within the window");
    assert!(provider.invalidate(), "a reused token is retried once");
    let fresh = rt.block_on(provider.password()).unwrap();
    assert_ne!(fresh.expose(), first.expose(), "signed again, not reused");
    assert!(!provider.invalidate());
}

#[test]
fn iam_host_signs_for_the_real_endpoint_through_a_tunnel() {
    if !iam_ready() {
        return;
    }
    let port = TUNNEL_PORT.to_string();
    for (engine, url, sql, expected) in engines(IAM_USER, "&auth=iam-keys") {
        // No --aws-region: it comes from the RDS host name given to --iam-host.
        let o = run(
            &[
                "query",
                &url,
                "--iam-host",
                TUNNEL_HOST,
                "--iam-port",
                &port,
                "--format",
                "csv",
                "-c",
                sql,
            ],
            &static_env(),
        );
        assert_eq!(who(o.ok()), expected, "{engine}");
        let tunnel = format!("for {TUNNEL_HOST}:{TUNNEL_PORT})");
        assert!(
            attempts(engine)
                .iter()
                .any(|l| l.starts_with(IAM_USER) && l.ends_with(&tunnel)),
            "{engine}"
        );
    }
}

#[test]
fn expired_token_from_an_injected_clock_is_rejected() {
    if !iam_ready() {
        return;
    }
    use rdsql_connect::iam::IamTokenProvider;
    use std::sync::Arc;
    use std::time::{Duration, SystemTime};
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    for (engine, url, _, _) in engines(IAM_USER, &format!("&auth=iam-keys&aws_region={REGION}")) {
        let opts = rdsql_db::url::parse_url(&url).unwrap();
        let spec = rdsql_db::ConnectionSpec::resolve(opts, &|_| None).unwrap();
        let rdsql_db::ConnectionSpec::Server(server) = &spec else {
            unreachable!()
        };
        let source = rdsql_aws::CredentialSource::Keys {
            access_key_id: STATIC_KEY_ID.into(),
            secret_access_key: rdsql_db::Secret::new(STATIC_SECRET),
            session_token: None,
        };
        let clock = |offset: u64| -> rdsql_connect::iam::Clock {
            Arc::new(move || SystemTime::now() - Duration::from_secs(offset))
        };
        rdsql_db::tls::install_default_provider();
        rt.block_on(async {
            // Signed 16 minutes ago: past the 15-minute lifetime.
            let stale = IamTokenProvider::new(
                server,
                source.clone(),
                Default::default(),
                clock(16 * 60),
                &|_| None,
            )
            .await
            .unwrap();
            let err = rdsql_db::Connection::connect(&spec, &stale)
                .await
                .err()
                .expect("expired token refused");
            assert!(
                matches!(err.failure, rdsql_db::ConnectFailure::AuthRejected { .. }),
                "{engine}: {err}"
            );
            // Signed 10 minutes ago: still valid.
            let fresh = IamTokenProvider::new(
                server,
                source.clone(),
                Default::default(),
                clock(10 * 60),
                &|_| None,
            )
            .await
            .unwrap();
            rdsql_db::Connection::connect(&spec, &fresh)
                .await
                .unwrap_or_else(|e| panic!("{engine}: {e}"));
        });
        let expired = attempts(engine)
            .into_iter()
            .any(|l| l.starts_with(IAM_USER) && l.contains("rejected") && l.contains("old"));
        assert!(expired, "{engine}: the verifier saw the expired token");
    }
}

#[test]
fn token_command_prints_only_a_valid_token() {
    let o = run(
        &[
            "token",
            "--hostname",
            "db.abc.eu-west-1.rds.amazonaws.com",
            "--port",
            "5432",
            "--username",
            "app user",
        ],
        &temp_env(),
    );
    o.ok();
    assert!(o.stderr.is_empty(), "{}", o.stderr);
    assert_eq!(o.stdout.matches('\n').count(), 1);
    let token = o.stdout.trim_end();
    assert!(token.starts_with("db.abc.eu-west-1.rds.amazonaws.com:5432/?Action=connect&DBUser=app%20user&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=ASIARDSQLTESTTEMP001%2F"), "{token}");
    let cfg = rdsql_pam_verifier::verify::Config {
        keys: vec![rdsql_pam_verifier::verify::KnownKey {
            access_key_id: TEMP_KEY_ID.into(),
            secret_access_key: TEMP_SECRET.into(),
            session_token: Some(temp_session_token()),
        }],
        endpoints: vec!["db.abc.eu-west-1.rds.amazonaws.com:5432".into()],
        region: REGION.into(),
        allowed_users: vec!["app user".into()],
        reject_first: vec![],
        state_dir: "/nonexistent".into(),
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    assert_eq!(
        rdsql_pam_verifier::verify::verify(&cfg, "app user", token, now),
        Ok(())
    );

    // --profile and --region as in the aws CLI.
    let home = aws_home();
    let o = run(
        &[
            "token",
            "--hostname",
            "127.0.0.1",
            "--port",
            "3306",
            "--username",
            "u",
            "--profile",
            "dev",
            "--region",
            "us-west-2",
        ],
        &[("HOME", home.path().display().to_string())],
    );
    assert!(
        o.ok()
            .stdout
            .contains(&format!("X-Amz-Credential={STATIC_KEY_ID}%2F"))
            && o.stdout.contains("%2Fus-west-2%2Frds-db"),
        "{}",
        o.stdout
    );
    run(&["token", "--hostname", "h"], &temp_env()).fails(1, "--port");
}

#[test]
fn credentials_have_their_own_timeout_apart_from_the_connect_timeout() {
    // STS accepts the connection and never answers.
    let (_silent, port) = silent_listener();
    let home = aws_home();
    let config = home.path().join(".aws/config");
    let mut text = std::fs::read_to_string(&config).unwrap();
    text.push_str(&format!(
        "\n[profile stuck]\nrole_arn = arn:aws:iam::123456789012:role/rds-connect\nsource_profile = dev\nregion = {REGION}\n"
    ));
    std::fs::write(&config, text).unwrap();
    let (_, url, _, _) = engines(IAM_USER, "&auth=iam-profile&aws_profile=stuck").remove(0);
    let started = std::time::Instant::now();
    let o = run(
        // A 1 s connect timeout does not cut the credential fetch short…
        &["query", &url, "--connect-timeout", "1", "-c", "select 1"],
        &[
            ("HOME", home.path().display().to_string()),
            ("AWS_ENDPOINT_URL_STS", format!("http://127.0.0.1:{port}")),
            ("RDSQL_CREDENTIAL_TIMEOUT", "3".into()),
        ],
    );
    // …which has its own limit, error and hints.
    o.fails(2, "did not arrive within 3 s");
    assert!(
        o.stderr.contains("RDSQL_CREDENTIAL_TIMEOUT"),
        "{}",
        o.stderr
    );
    assert!(!o.stderr.contains("timed out after 1 s"), "{}", o.stderr);
    assert!(started.elapsed() >= std::time::Duration::from_secs(3));
}
