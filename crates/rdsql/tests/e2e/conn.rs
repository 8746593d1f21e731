//! Saved connections: CRUD with the file-backed secret store, malformed
//! files, concurrent writers, and use by name.

use crate::harness::*;
use rdsql_testkit::iam::*;
use rdsql_testkit::{PASSWORD, postgres};
use std::os::unix::fs::PermissionsExt;

struct Cfg {
    dir: tempfile::TempDir,
}

impl Cfg {
    fn new() -> Cfg {
        Cfg {
            dir: tempfile::tempdir().unwrap(),
        }
    }
    fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("RDSQL_CONFIG_DIR", self.dir.path().display().to_string()),
            ("RDSQL_SECRET_STORE", "file".into()),
        ]
    }
    fn run(&self, args: &[&str], stdin: Option<&str>) -> Out {
        let env = self.env();
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        rdsql_env(args, &env, stdin)
    }
    fn file(&self, name: &str) -> String {
        std::fs::read_to_string(self.dir.path().join(name)).unwrap_or_default()
    }
    fn mode(&self, name: &str) -> u32 {
        std::fs::metadata(self.dir.path().join(name))
            .unwrap()
            .permissions()
            .mode()
            & 0o777
    }
}

#[test]
fn crud_with_file_secrets_and_use_by_name() {
    let c = Cfg::new();
    let pg = postgres();
    let url = format!(
        "postgres://rdsql_scram@127.0.0.1:{}/rdsql?sslmode=verify-full&sslrootcert={}",
        pg.port,
        ca()
    );
    c.run(
        &["conn", "add", "pg", &url, "--secret-stdin"],
        Some(&format!("{PASSWORD}\n")),
    )
    .ok();
    // The TOML never holds the secret; the secrets file is 0600.
    let toml = c.file("connections.toml");
    assert!(
        toml.contains("[connections.pg]") && toml.contains("sslmode = \"verify-full\""),
        "{toml}"
    );
    assert!(!toml.contains(PASSWORD), "{toml}");
    assert!(c.file("secrets.toml").contains(PASSWORD));
    assert_eq!(c.mode("secrets.toml"), 0o600);
    assert_eq!(c.mode("connections.toml"), 0o600);

    let o = c.run(&["conn", "list"], None);
    assert!(
        o.ok().stdout.contains("pg") && o.stdout.contains("rdsql_scram@127.0.0.1"),
        "{}",
        o.stdout
    );
    let o = c.run(&["conn", "show", "pg"], None);
    assert!(
        o.ok().stdout.contains("secrets.toml (mode 0600)") && !o.stdout.contains(PASSWORD),
        "{}",
        o.stdout
    );

    // Used by name, with its saved password.
    let o = c.run(
        &[
            "query",
            "pg",
            "--format",
            "csv",
            "-c",
            "select current_user",
        ],
        None,
    );
    assert_eq!(o.ok().stdout, "current_user\nrdsql_scram\n");
    let o = c.run(&["conn", "test", "pg"], None);
    assert!(
        o.ok().stdout.contains("ok: pg")
            && o.stdout.contains("auth:     password")
            && o.stdout.contains("verify-full"),
        "{}",
        o.stdout
    );

    // Edit one field; the rest stays.
    c.run(&["conn", "edit", "pg", "--user", "rdsql_md5"], None)
        .ok();
    let o = c.run(
        &[
            "query",
            "pg",
            "--format",
            "csv",
            "-c",
            "select current_user",
        ],
        None,
    );
    assert_eq!(o.ok().stdout, "current_user\nrdsql_md5\n");

    c.run(&["conn", "add", "pg", "sqlite::memory:"], None)
        .fails(1, "exists already");
    c.run(&["conn", "add", "bad name", "sqlite::memory:"], None)
        .fails(1, "not allowed");
    c.run(&["conn", "rm", "pg"], None).ok();
    assert!(
        !c.file("secrets.toml").contains(PASSWORD),
        "the secret went with it"
    );
    c.run(&["query", "pg", "-c", "select 1"], None)
        .fails(1, "no saved connection named \"pg\"");
}

#[test]
fn iam_keys_secret_is_saved_too() {
    if !iam_ready() {
        return;
    }
    let c = Cfg::new();
    let url = format!(
        "postgres://{IAM_USER}@localhost:{}/rdsql?auth=iam-keys&aws_region={REGION}&aws_access_key_id={STATIC_KEY_ID}&sslrootcert={}",
        postgres().port,
        ca()
    );
    c.run(
        &["conn", "add", "iam", &url, "--secret-stdin"],
        Some(STATIC_SECRET),
    )
    .ok();
    assert!(!c.file("connections.toml").contains(STATIC_SECRET));
    assert!(c.file("secrets.toml").contains("aws_secret_access_key"));
    let o = c.run(
        &[
            "query",
            "iam",
            "--format",
            "csv",
            "-c",
            "select current_user",
        ],
        None,
    );
    assert_eq!(o.ok().stdout, format!("current_user\n{IAM_USER}\n"));
}

#[test]
fn malformed_toml_is_reported_and_never_overwritten() {
    let c = Cfg::new();
    let broken = "[connections.a]\nengine = \"postgres\"\nport = \"not a number\"\n";
    std::fs::write(c.dir.path().join("connections.toml"), broken).unwrap();
    let o = c.run(&["conn", "add", "b", "sqlite::memory:"], None);
    o.fails(1, "connections.toml:3:8");
    c.run(&["conn", "list"], None).fails(1, ":3:8");
    assert_eq!(c.file("connections.toml"), broken, "left as it was");
}

#[test]
fn concurrent_adds_from_two_processes_lose_nothing() {
    let c = Cfg::new();
    let env = c.env();
    let handles: Vec<_> = (0..8)
        .map(|i| {
            let env = env.clone();
            std::thread::spawn(move || {
                let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
                rdsql_env(
                    &[
                        "conn",
                        "add",
                        &format!("c{i}"),
                        &format!("postgres://u{i}:pw{i}@h{i}/d"),
                    ],
                    &env,
                    None,
                )
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap().ok();
    }
    let list = c.run(&["conn", "list"], None);
    for i in 0..8 {
        assert!(
            list.stdout.contains(&format!("c{i} ")),
            "c{i} lost:\n{}",
            list.stdout
        );
        assert!(
            c.file("secrets.toml").contains(&format!("pw{i}")),
            "secret of c{i} lost"
        );
    }
}

#[test]
fn a_secrets_file_readable_by_others_is_refused() {
    use std::os::unix::fs::PermissionsExt;
    let c = Cfg::new();
    let url = format!(
        "postgres://rdsql_scram@127.0.0.1:{}/rdsql?sslrootcert={}",
        postgres().port,
        ca()
    );
    c.run(
        &["conn", "add", "pg", &url, "--secret-stdin"],
        Some(&format!("{PASSWORD}\n")),
    )
    .ok();
    let secrets = c.dir.path().join("secrets.toml");
    std::fs::set_permissions(&secrets, std::fs::Permissions::from_mode(0o644)).unwrap();
    let o = c.run(&["query", "pg", "-c", "select 1"], None);
    o.fails(1, "readable by group or others");
    assert!(o.stderr.contains("chmod 600"), "{}", o.stderr);
    assert!(!o.stderr.contains(PASSWORD), "{}", o.stderr);
    // Fixed as the hint says, it works again.
    std::fs::set_permissions(&secrets, std::fs::Permissions::from_mode(0o600)).unwrap();
    c.run(&["query", "pg", "-c", "select 1"], None).ok();
}
