//! TLS trust as strict as libpq, against servers whose certificate is for
//! `*.example.test` only (docs/tls.md). The client connects to 127.0.0.1,
//! which the certificate does not name; `--iam-host` gives the name to
//! check (the tunnel case).

use crate::harness::*;
use rdsql_testkit::{mariadb_wildcard, postgres_wildcard};

/// (engine label, URL to 127.0.0.1, SQL printing whether TLS is in use)
fn servers() -> Vec<(&'static str, String, &'static str)> {
    vec![
        (
            "postgres",
            postgres_wildcard().url("rdsql_scram", "127.0.0.1"),
            "select case when ssl then 'tls' else 'plain' end from pg_stat_ssl where pid = pg_backend_pid()",
        ),
        (
            "mariadb",
            mariadb_wildcard().url("rdsql_native", "127.0.0.1"),
            "select if(variable_value = '', 'plain', 'tls') from information_schema.session_status where variable_name = 'Ssl_version'",
        ),
    ]
}

fn tls_state(url: &str, sql: &str, args: &[&str]) -> Out {
    let mut a = vec!["query", url, "--format", "csv", "-q", "-c", sql];
    a.extend_from_slice(args);
    rdsql(&a)
}

#[track_caller]
fn connects(engine: &str, url: &str, sql: &str, args: &[&str], want: &str) {
    let o = tls_state(url, sql, args);
    assert_eq!(o.code, 0, "{engine} {args:?}: {}", o.stderr);
    assert_eq!(
        o.stdout.lines().nth(1),
        Some(want),
        "{engine} {args:?}: {}",
        o.stdout
    );
}

#[test]
fn every_mode_with_a_wildcard_certificate() {
    let ca = ca();
    for (engine, url, sql) in servers() {
        connects(engine, &url, sql, &["--sslmode", "disable"], "plain");
        connects(engine, &url, sql, &["--sslmode", "prefer"], "tls");
        connects(engine, &url, sql, &["--sslmode", "require"], "tls");
        // verify-ca: the chain is checked, the name (127.0.0.1) is not; no
        // second connection is made.
        connects(
            engine,
            &url,
            sql,
            &["--sslmode", "verify-ca", "--sslrootcert", &ca],
            "tls",
        );
        // verify-full: 127.0.0.1 is not *.example.test.
        let o = tls_state(
            &url,
            sql,
            &["--sslmode", "verify-full", "--sslrootcert", &ca],
        );
        o.fails(2, "not valid for host name \"127.0.0.1\"");
        assert!(
            o.stderr.contains("*.example.test"),
            "{engine}: {}",
            o.stderr
        );
        assert!(
            !o.stderr.contains("verify-ca"),
            "{engine}: a name mismatch never suggests verify-ca: {}",
            o.stderr
        );
        assert!(
            o.stderr.contains("-h NAME.example.test") && o.stderr.contains("--iam-host"),
            "{engine}: {}",
            o.stderr
        );
        // The tunnel case: the certificate is checked against --iam-host.
        connects(
            engine,
            &url,
            sql,
            &[
                "--sslmode",
                "verify-full",
                "--sslrootcert",
                &ca,
                "--iam-host",
                "db.example.test",
            ],
            "tls",
        );
        // A wildcard covers one label only.
        tls_state(
            &url,
            sql,
            &[
                "--sslmode",
                "verify-full",
                "--sslrootcert",
                &ca,
                "--iam-host",
                "a.b.example.test",
            ],
        )
        .fails(2, "not valid for host name \"a.b.example.test\"");
    }
}

#[test]
fn untrusted_chains_fail_in_verify_modes_and_with_require_plus_a_root_file() {
    let other = other_ca();
    for (engine, url, sql) in servers() {
        for mode in ["verify-ca", "verify-full"] {
            let o = tls_state(&url, sql, &["--sslmode", mode, "--sslrootcert", &other]);
            assert_eq!(o.code, 2, "{engine} {mode}: {}", o.stderr);
            assert!(
                o.stderr.contains("unknown CA"),
                "{engine} {mode}: {}",
                o.stderr
            );
        }
        // libpq: require with a root file behaves as verify-ca.
        let o = tls_state(
            &url,
            sql,
            &["--sslmode", "require", "--sslrootcert", &other],
        );
        assert_eq!(o.code, 2, "{engine}: {}", o.stderr);
        assert!(o.stderr.contains("unknown CA"), "{engine}: {}", o.stderr);
        assert!(
            o.stderr.contains("sslmode verify-ca"),
            "{engine}: {}",
            o.stderr
        );
        // verify-ca with the built-in roots: the test CA is not an RDS CA,
        // and the public web roots do not count for verify-ca.
        let o = tls_state(&url, sql, &["--sslmode", "verify-ca"]);
        assert_eq!(o.code, 2, "{engine}: {}", o.stderr);
        assert!(o.stderr.contains("unknown CA"), "{engine}: {}", o.stderr);
    }
}

/// Connects with `--sslrootcert system`, the OS store being `store`
/// (SSL_CERT_FILE, as OpenSSL reads it).
fn with_system_store(url: &str, sql: &str, store: &str) -> Out {
    rdsql_env(
        &[
            "query",
            url,
            "--format",
            "csv",
            "-q",
            "-c",
            sql,
            "--sslrootcert",
            "system",
            "--iam-host",
            "db.example.test",
        ],
        &[("SSL_CERT_FILE", store)],
        None,
    )
}

#[test]
fn system_store_as_libpq_16() {
    for (engine, url, sql) in servers() {
        // A system store without the test CA does not vouch for the server.
        let o = with_system_store(&url, sql, &other_ca());
        assert_eq!(o.code, 2, "{engine}: {}", o.stderr);
        assert!(o.stderr.contains("unknown CA"), "{engine}: {}", o.stderr);
        assert!(
            o.stderr.contains("sslmode verify-full"),
            "{engine}: {}",
            o.stderr
        );
        // With the test CA in it, the same connection succeeds.
        let o = with_system_store(&url, sql, &ca());
        assert_eq!(o.code, 0, "{engine}: {}", o.stderr);
        assert_eq!(o.stdout.lines().nth(1), Some("tls"), "{engine}");
        tls_state(
            &url,
            sql,
            &["--sslrootcert", "system", "--sslmode", "require"],
        )
        .fails(1, "sslrootcert=system needs sslmode verify-full");
    }
}
