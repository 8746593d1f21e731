//! The malformed-input table of the README ("Bad input"), driven: each row
//! runs rdsql on one bad input and checks that it does not panic, exits
//! with the documented code, names the bad part in its first line, and
//! shows no secret. The README's table is checked against these rows, so
//! the two cannot drift. `RDSQL_PRINT_TABLE=1` prints the rows as Markdown.

use crate::harness::*;
use std::path::Path;

/// A secret planted in inputs; it must never come out.
const SECRET: &str = "S3cr3tZq";

struct Case {
    id: &'static str,
    kind: &'static str,
    /// The bad input, as the README shows it.
    input: &'static str,
    /// Arguments; `{dir}` is the case's scratch directory, `{pg}` a
    /// PostgreSQL URL of the test server.
    args: &'static [&'static str],
    env: &'static [(&'static str, &'static str)],
    /// Writes the files the case needs into its directory.
    setup: fn(&Path),
    stdin: Option<&'static str>,
    exit: i32,
    /// Text the first line of stderr must hold (names the bad part).
    headline: &'static str,
}

fn none(_: &Path) {}

fn write(dir: &Path, rel: &str, text: &[u8]) {
    let p = dir.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

fn connections(dir: &Path, text: &str) {
    write(dir, "cfg/connections.toml", text.as_bytes());
}

fn aws_config(dir: &Path, text: &str) {
    write(dir, "home/.aws/config", text.as_bytes());
}

fn sso_cache(dir: &Path, body: &str) {
    aws_config(
        dir,
        "[profile corp]\nsso_session = corp\nsso_account_id = 111111111111\nsso_role_name = R\nregion = eu-west-1\n\n[sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\nsso_region = us-east-1\n",
    );
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY, b"corp");
    let name: String = digest.as_ref().iter().map(|b| format!("{b:02x}")).collect();
    write(
        dir,
        &format!("home/.aws/sso/cache/{name}.json"),
        body.as_bytes(),
    );
}

fn cases() -> Vec<Case> {
    vec![
        // --- URLs ---
        Case {
            id: "U1",
            kind: "URL",
            input: "`postgres://u:S3cr3tZq@h:99999/db` (port out of range)",
            args: &[
                "query",
                "postgres://u:S3cr3tZq@h:99999/db",
                "-c",
                "select 1",
            ],
            env: &[],
            setup: none,
            stdin: None,
            exit: 1,
            headline: "\"99999\": the port must be a number from 1 to 65535",
        },
        Case {
            id: "U2",
            kind: "URL",
            input: "`postgres://u:pa/S3cr3tZq@h:abc/db` (`/` in the password, bad port)",
            args: &[
                "query",
                "postgres://u:pa/S3cr3tZq@h:abc/db",
                "-c",
                "select 1",
            ],
            env: &[],
            setup: none,
            stdin: None,
            exit: 1,
            headline: "\"abc\": the port must be",
        },
        Case {
            id: "U3",
            kind: "URL",
            input: "`mongodb://u:S3cr3tZq@h/db` (unknown scheme)",
            args: &["query", "mongodb://u:S3cr3tZq@h/db", "-c", "select 1"],
            env: &[],
            setup: none,
            stdin: None,
            exit: 1,
            headline: "\"mongodb\": unknown scheme",
        },
        Case {
            id: "U4",
            kind: "URL",
            input: "`postgres:/u:S3cr3tZq@h/db` (one slash)",
            args: &["query", "postgres:/u:S3cr3tZq@h/db", "-c", "select 1"],
            env: &[],
            setup: none,
            stdin: None,
            exit: 1,
            headline: "expected // after the scheme",
        },
        Case {
            id: "U5",
            kind: "URL",
            input: "`postgres://[::1/db` (unterminated IPv6)",
            args: &["query", "postgres://[::1/db", "-c", "select 1"],
            env: &[],
            setup: none,
            stdin: None,
            exit: 1,
            headline: "unterminated IPv6 address",
        },
        Case {
            id: "U6",
            kind: "URL",
            input: "`postgres://h/db?sslmode=maybe`",
            args: &["query", "postgres://h/db?sslmode=maybe", "-c", "select 1"],
            env: &[],
            setup: none,
            stdin: None,
            exit: 1,
            headline: "\"sslmode=maybe\": unknown sslmode",
        },
        Case {
            id: "U7",
            kind: "URL",
            input: "`postgres://h/db?colour=blue` (unknown parameter)",
            args: &["query", "postgres://h/db?colour=blue", "-c", "select 1"],
            env: &[],
            setup: none,
            stdin: None,
            exit: 1,
            headline: "unknown parameter \"colour\"",
        },
        Case {
            id: "U8",
            kind: "URL",
            input: "`…?password=S3cr3tZq` (password as a parameter)",
            args: &[
                "query",
                "postgres://u@h/db?password=S3cr3tZq",
                "-c",
                "select 1",
            ],
            env: &[],
            setup: none,
            stdin: None,
            exit: 1,
            headline: "\"password=***\": put the password in the user-info part",
        },
        Case {
            id: "U9",
            kind: "URL",
            input: "`postgres://u:%ff%fe@h/db` (password not UTF-8)",
            args: &["query", "postgres://u:%ff%fe@h/db", "-c", "select 1"],
            env: &[],
            setup: none,
            stdin: None,
            exit: 1,
            headline: "the password is not valid UTF-8",
        },
        Case {
            id: "U10",
            kind: "URL",
            input: "`sqlite:` (no file)",
            args: &["query", "sqlite:", "-c", "select 1"],
            env: &[],
            setup: none,
            stdin: None,
            exit: 1,
            headline: "a SQLite URL needs a file path",
        },
        Case {
            id: "U11",
            kind: "URL",
            input: "`postgres://h/my@db` (unencoded `@` in the database name)",
            args: &["query", "postgres://h/my@db", "-c", "select 1"],
            env: &[],
            setup: none,
            stdin: None,
            exit: 1,
            headline: "an unencoded '@' after the host",
        },
        Case {
            id: "U12",
            kind: "URL",
            input: "`postgres://u:S3cr3tZq@h/db?auth=iam-keys` (password with IAM)",
            args: &[
                "query",
                "postgres://u:S3cr3tZq@h/db?auth=iam-keys",
                "-c",
                "select 1",
            ],
            env: &[],
            setup: none,
            stdin: None,
            exit: 1,
            headline: "a password does not apply to --auth iam-keys",
        },
        Case {
            id: "U13",
            kind: "URL",
            input: "`prod-db` (neither a URL nor a saved name)",
            args: &["query", "prod-db", "-c", "select 1"],
            env: &[],
            setup: none,
            stdin: None,
            exit: 1,
            headline: "no saved connection named \"prod-db\"",
        },
        Case {
            id: "U14",
            kind: "URL",
            input: "`postgres://h/db?port=0`",
            args: &["query", "postgres://h/db?port=0", "-c", "select 1"],
            env: &[],
            setup: none,
            stdin: None,
            exit: 1,
            headline: "\"port=0\": the port must be",
        },
        // --- flags ---
        Case {
            id: "F1",
            kind: "flag",
            input: "`--port 70000`",
            args: &[
                "query",
                "sqlite::memory:",
                "--port",
                "70000",
                "-c",
                "select 1",
            ],
            env: &[],
            setup: none,
            stdin: None,
            exit: 1,
            headline: "bad value for --port: the port must be",
        },
        Case {
            id: "F2",
            kind: "flag",
            input: "`--sslmode sometimes`",
            args: &[
                "query",
                "postgres://h/db",
                "--sslmode",
                "sometimes",
                "-c",
                "select 1",
            ],
            env: &[],
            setup: none,
            stdin: None,
            exit: 1,
            headline: "bad value for --sslmode: unknown sslmode \"sometimes\"",
        },
        Case {
            id: "F3",
            kind: "flag",
            input: "`--auth kerberos`",
            args: &[
                "query",
                "postgres://h/db",
                "--auth",
                "kerberos",
                "-c",
                "select 1",
            ],
            env: &[],
            setup: none,
            stdin: None,
            exit: 1,
            headline: "bad value for --auth: unknown auth method \"kerberos\"",
        },
        Case {
            id: "F4",
            kind: "flag",
            input: "`--engine oracle`",
            args: &["query", "--engine", "oracle", "-c", "select 1"],
            env: &[],
            setup: none,
            stdin: None,
            exit: 1,
            headline: "bad value for --engine: unknown engine \"oracle\"",
        },
        Case {
            id: "F5",
            kind: "flag",
            input: "`--connect-timeout soon`",
            args: &[
                "query",
                "postgres://h/db",
                "--connect-timeout",
                "soon",
                "-c",
                "select 1",
            ],
            env: &[],
            setup: none,
            stdin: None,
            exit: 1,
            headline: "bad value for --connect-timeout: must be a whole number of seconds",
        },
        Case {
            id: "F6",
            kind: "flag",
            input: "`--sslrootcert system --sslmode require`",
            args: &[
                "query",
                "postgres://h/db",
                "--sslrootcert",
                "system",
                "--sslmode",
                "require",
                "-c",
                "select 1",
            ],
            env: &[],
            setup: none,
            stdin: None,
            exit: 1,
            headline: "sslrootcert=system needs sslmode verify-full",
        },
        Case {
            id: "F7",
            kind: "flag",
            input: "`--auth iam-keys --sslmode disable`",
            args: &[
                "query",
                "postgres://h/db",
                "--auth",
                "iam-keys",
                "--sslmode",
                "disable",
                "-c",
                "select 1",
            ],
            env: &[],
            setup: none,
            stdin: None,
            exit: 1,
            headline: "sslmode=disable is refused",
        },
        Case {
            id: "F8",
            kind: "flag",
            input: "`--aws-profile dev` with password auth",
            args: &[
                "query",
                "postgres://h/db",
                "--aws-profile",
                "dev",
                "-c",
                "select 1",
            ],
            env: &[],
            setup: none,
            stdin: None,
            exit: 1,
            headline: "--aws-profile applies to --auth iam-profile or sso",
        },
        Case {
            id: "F9",
            kind: "flag",
            input: "`--sslmode verify-full --sslrootcert /nonexistent/ca.pem`",
            args: &[
                "query",
                "{pg}",
                "--sslmode",
                "verify-full",
                "--sslrootcert",
                "/nonexistent/ca.pem",
                "-c",
                "select 1",
            ],
            env: &[],
            setup: none,
            stdin: None,
            exit: 2,
            headline: "cannot read the CA file /nonexistent/ca.pem",
        },
        Case {
            id: "F10",
            kind: "flag",
            input: "`--sslmode verify-ca --sslrootcert notpem.txt` (no certificate in it)",
            args: &[
                "query",
                "{pg}",
                "--sslmode",
                "verify-ca",
                "--sslrootcert",
                "{dir}/notpem.txt",
                "-c",
                "select 1",
            ],
            env: &[],
            setup: |d| write(d, "notpem.txt", b"hello"),
            stdin: None,
            exit: 2,
            headline: "holds no PEM certificate",
        },
        Case {
            id: "F11",
            kind: "flag",
            input: "`-f missing.sql`",
            args: &["query", "sqlite::memory:", "-f", "{dir}/missing.sql"],
            env: &[],
            setup: none,
            stdin: None,
            exit: 1,
            headline: "cannot read {dir}/missing.sql",
        },
        Case {
            id: "F12",
            kind: "flag",
            input: "`--auth sso --sso-region us-east-1` (no start URL)",
            args: &[
                "query",
                "postgres://h/db",
                "--auth",
                "sso",
                "--sso-region",
                "us-east-1",
                "-c",
                "select 1",
            ],
            env: &[],
            setup: none,
            stdin: None,
            exit: 1,
            headline: "custom SSO needs both --sso-start-url and --sso-region",
        },
        // --- environment ---
        Case {
            id: "E1",
            kind: "environment",
            input: "`PGPORT=lots`",
            args: &["query", "-c", "select 1"],
            env: &[("PGPORT", "lots")],
            setup: none,
            stdin: None,
            exit: 1,
            headline: "\"lots\" in environment variable PGPORT",
        },
        Case {
            id: "E2",
            kind: "environment",
            input: "`PGSSLMODE=maybe`",
            args: &["query", "postgres://h/db", "-c", "select 1"],
            env: &[("PGSSLMODE", "maybe")],
            setup: none,
            stdin: None,
            exit: 1,
            headline: "\"maybe\" in environment variable PGSSLMODE",
        },
        Case {
            id: "E3",
            kind: "environment",
            input: "`PGCONNECT_TIMEOUT=x`",
            args: &["query", "postgres://h/db", "-c", "select 1"],
            env: &[("PGCONNECT_TIMEOUT", "x")],
            setup: none,
            stdin: None,
            exit: 1,
            headline: "environment variable PGCONNECT_TIMEOUT",
        },
        Case {
            id: "E4",
            kind: "environment",
            input: "`PGHOST=/var/run/postgresql` (a socket directory)",
            args: &["query", "-c", "select 1"],
            env: &[("PGHOST", "/var/run/postgresql")],
            setup: none,
            stdin: None,
            exit: 1,
            headline: "\"/var/run/postgresql\" is a Unix socket directory",
        },
        Case {
            id: "E5",
            kind: "environment",
            input: "`PGSSLROOTCERT=system` + `PGSSLMODE=verify-ca`",
            args: &["query", "postgres://h/db", "-c", "select 1"],
            env: &[("PGSSLROOTCERT", "system"), ("PGSSLMODE", "verify-ca")],
            setup: none,
            stdin: None,
            exit: 1,
            headline: "sslrootcert=system needs sslmode verify-full",
        },
        Case {
            id: "E6",
            kind: "environment",
            input: "`AWS_PROFILE=nope` with `--auth iam-profile`",
            args: &[
                "query",
                "postgres://u@h.x.eu-west-1.rds.amazonaws.com/db?auth=iam-profile",
                "-c",
                "select 1",
            ],
            env: &[("AWS_PROFILE", "nope"), ("HOME", "{dir}/home")],
            setup: |d| aws_config(d, "[profile dev]\nregion = eu-west-1\n"),
            stdin: None,
            exit: 2,
            headline: "nope",
        },
        Case {
            id: "E7",
            kind: "environment",
            input: "`RDSQL_CREDENTIAL_TIMEOUT=0` + unreachable STS",
            args: &[
                "query",
                "postgres://u@h.x.eu-west-1.rds.amazonaws.com/db?auth=iam-profile&aws_profile=r",
                "-c",
                "select 1",
            ],
            env: &[
                ("HOME", "{dir}/home"),
                ("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:9"),
                ("RDSQL_CREDENTIAL_TIMEOUT", "0"),
            ],
            setup: |d| {
                aws_config(
                    d,
                    "[profile r]\nrole_arn = arn:aws:iam::1:role/x\nsource_profile = k\n\n[profile k]\nregion = eu-west-1\n",
                );
                write(
                    d,
                    "home/.aws/credentials",
                    format!(
                        "[k]\naws_access_key_id = AKIAEXAMPLE\naws_secret_access_key = {SECRET}\n"
                    )
                    .as_bytes(),
                );
            },
            stdin: None,
            exit: 2,
            headline: "did not arrive within 0 s",
        },
        // --- saved connections ---
        Case {
            id: "S1",
            kind: "connections.toml",
            input: "a syntax error (`port = [`)",
            args: &["conn", "list"],
            env: &[],
            setup: |d| connections(d, "[connections.a]\nport = [\n"),
            stdin: None,
            exit: 1,
            headline: "connections.toml:",
        },
        Case {
            id: "S2",
            kind: "connections.toml",
            input: "`port = \"x\"`",
            args: &["conn", "list"],
            env: &[],
            setup: |d| connections(d, "[connections.a]\nengine = \"postgres\"\nport = \"x\"\n"),
            stdin: None,
            exit: 1,
            headline: "connections.toml:3:8: connection \"a\": port",
        },
        Case {
            id: "S3",
            kind: "connections.toml",
            input: "an unknown key `colour = \"blue\"`",
            args: &["query", "a", "-c", "select 1"],
            env: &[],
            setup: |d| {
                connections(
                    d,
                    "[connections.a]\nengine = \"sqlite\"\ncolour = \"blue\"\n",
                )
            },
            stdin: None,
            exit: 1,
            headline: "connections.toml:3:10: connection \"a\": colour: unknown parameter",
        },
        Case {
            id: "S4",
            kind: "connections.toml",
            input: "`sslmode = \"maybe\"`",
            args: &["conn", "show", "a"],
            env: &[],
            setup: |d| connections(d, "[connections.a]\nsslmode = \"maybe\"\n"),
            stdin: None,
            exit: 1,
            headline: "connection \"a\": sslmode: unknown sslmode",
        },
        Case {
            id: "S5",
            kind: "connections.toml",
            input: "an unknown top-level table `[servers]`",
            args: &["conn", "list"],
            env: &[],
            setup: |d| connections(d, "[servers]\nx = 1\n"),
            stdin: None,
            exit: 1,
            headline: "connections.toml:1:2: unknown field `servers`",
        },
        Case {
            id: "S6",
            kind: "connections.toml",
            input: "`port = true`",
            args: &["conn", "list"],
            env: &[],
            setup: |d| connections(d, "[connections.a]\nport = true\n"),
            stdin: None,
            exit: 1,
            headline: "connections.toml:2:8: connection \"a\": port: the value is neither text nor a whole number",
        },
        Case {
            id: "S7",
            kind: "secrets.toml",
            input: "mode 0644 (readable by others)",
            args: &["query", "a", "-c", "select 1"],
            env: &[],
            setup: |d| {
                connections(
                    d,
                    "[connections.a]\nsecret = \"file\"\nengine = \"sqlite\"\ndbname = \":memory:\"\n",
                );
                write(
                    d,
                    "cfg/secrets.toml",
                    format!("[a]\npassword = \"{SECRET}\"\n").as_bytes(),
                );
                use std::os::unix::fs::PermissionsExt;
                std::fs::set_permissions(
                    d.join("cfg/secrets.toml"),
                    std::fs::Permissions::from_mode(0o644),
                )
                .unwrap();
            },
            stdin: None,
            exit: 1,
            headline: "secrets.toml is readable by group or others (mode 0644)",
        },
        Case {
            id: "S8",
            kind: "secrets.toml",
            input: "a syntax error",
            args: &["query", "a", "-c", "select 1"],
            env: &[],
            setup: |d| {
                connections(
                    d,
                    "[connections.a]\nsecret = \"file\"\nengine = \"sqlite\"\ndbname = \":memory:\"\n",
                );
                write(
                    d,
                    "cfg/secrets.toml",
                    format!("[a]\npassword = \"{SECRET}\n").as_bytes(),
                );
                use std::os::unix::fs::PermissionsExt;
                std::fs::set_permissions(
                    d.join("cfg/secrets.toml"),
                    std::fs::Permissions::from_mode(0o600),
                )
                .unwrap();
            },
            stdin: None,
            exit: 1,
            headline: "secrets.toml:2:",
        },
        Case {
            id: "S9",
            kind: "conn add",
            input: "`conn add 'bad name!' sqlite::memory:`",
            args: &["conn", "add", "bad name!", "sqlite::memory:"],
            env: &[],
            setup: none,
            stdin: None,
            exit: 1,
            headline: "the name \"bad name!\" is not allowed",
        },
        // --- AWS configuration ---
        Case {
            id: "A1",
            kind: "AWS config",
            input: "`[profile broken` (unclosed section)",
            args: &["aws", "profiles"],
            env: &[("HOME", "{dir}/home")],
            setup: |d| aws_config(d, "[profile broken\nregion = x\n"),
            stdin: None,
            exit: 1,
            headline: "line 1",
        },
        Case {
            id: "A2",
            kind: "AWS config",
            input: "`--aws-profile ghost` (no such profile)",
            args: &[
                "token",
                "--hostname",
                "db.x.eu-west-1.rds.amazonaws.com",
                "--port",
                "5432",
                "--username",
                "u",
                "--profile",
                "ghost",
            ],
            env: &[("HOME", "{dir}/home")],
            setup: |d| aws_config(d, "[profile dev]\nregion = eu-west-1\n"),
            stdin: None,
            exit: 2,
            headline: "ghost",
        },
        Case {
            id: "A3",
            kind: "AWS credentials",
            input: "a profile with a key ID and no secret",
            args: &[
                "token",
                "--hostname",
                "db.x.eu-west-1.rds.amazonaws.com",
                "--port",
                "5432",
                "--username",
                "u",
                "--profile",
                "half",
            ],
            env: &[("HOME", "{dir}/home")],
            setup: |d| {
                aws_config(d, "[profile half]\nregion = eu-west-1\n");
                write(
                    d,
                    "home/.aws/credentials",
                    b"[half]\naws_access_key_id = AKIAEXAMPLE\n",
                );
            },
            stdin: None,
            exit: 2,
            headline: "half",
        },
        Case {
            id: "A4",
            kind: "AWS config",
            input: "`role_arn` without a source",
            args: &[
                "token",
                "--hostname",
                "db.x.eu-west-1.rds.amazonaws.com",
                "--port",
                "5432",
                "--username",
                "u",
                "--profile",
                "orphan",
            ],
            env: &[("HOME", "{dir}/home")],
            setup: |d| {
                aws_config(
                    d,
                    "[profile orphan]\nrole_arn = arn:aws:iam::1:role/x\nregion = eu-west-1\n",
                )
            },
            stdin: None,
            exit: 2,
            headline: "orphan",
        },
        Case {
            id: "A5",
            kind: "AWS config",
            input: "an SSO profile without `sso_region`",
            args: &["sso", "login", "--profile", "nosso", "--no-browser"],
            env: &[("HOME", "{dir}/home")],
            setup: |d| {
                aws_config(
                    d,
                    "[profile nosso]\nsso_start_url = https://x.awsapps.com/start\n",
                )
            },
            stdin: None,
            exit: 1,
            headline: "nosso",
        },
        // --- SSO cache ---
        Case {
            id: "C1",
            kind: "SSO cache",
            input: "cache file that is not JSON",
            args: &["sso", "accounts", "--profile", "corp"],
            env: &[("HOME", "{dir}/home")],
            setup: |d| sso_cache(d, "{ not json"),
            stdin: None,
            exit: 2,
            headline: ".json",
        },
        Case {
            id: "C2",
            kind: "SSO cache",
            input: "`expiresAt` not a timestamp",
            args: &["sso", "accounts", "--profile", "corp"],
            env: &[("HOME", "{dir}/home")],
            setup: |d| {
                sso_cache(
                    d,
                    &format!(
                        r#"{{"startUrl": "https://corp.awsapps.com/start", "region": "us-east-1", "accessToken": "{SECRET}", "expiresAt": "tomorrow"}}"#
                    ),
                )
            },
            stdin: None,
            exit: 2,
            headline: ".json",
        },
        Case {
            id: "C3",
            kind: "SSO cache",
            input: "no `accessToken`",
            args: &["sso", "accounts", "--profile", "corp"],
            env: &[("HOME", "{dir}/home")],
            setup: |d| {
                sso_cache(
                    d,
                    r#"{"startUrl": "https://corp.awsapps.com/start", "region": "us-east-1", "expiresAt": "2099-01-01T00:00:00Z"}"#,
                )
            },
            stdin: None,
            exit: 2,
            headline: ".json",
        },
        // --- SQL input ---
        Case {
            id: "Q1",
            kind: "SQL input",
            input: "invalid UTF-8 on line 2 of `-f` (line 1 runs)",
            args: &["query", "sqlite::memory:", "-f", "{dir}/bad.sql"],
            env: &[],
            setup: |d| write(d, "bad.sql", b"select 1;\nselect '\xff';\n"),
            stdin: None,
            exit: 1,
            headline: "line 2: the input is not valid UTF-8",
        },
        Case {
            id: "Q2",
            kind: "SQL input",
            input: "a NUL byte on stdin",
            args: &["query", "sqlite::memory:"],
            env: &[],
            setup: none,
            stdin: Some("select 1;\nselect '\0';\n"),
            exit: 1,
            headline: "line 2: the input holds a NUL byte",
        },
        Case {
            id: "Q3",
            kind: "SQL input",
            input: "a 10 MB single line that is no SQL",
            args: &["query", "sqlite::memory:", "-f", "{dir}/big.sql"],
            env: &[],
            setup: |d| {
                let mut v = b"select * from ".to_vec();
                v.extend(std::iter::repeat_n(b'x', 10 << 20));
                v.push(b'\n');
                write(d, "big.sql", &v);
            },
            stdin: None,
            exit: 3,
            headline: "more characters)",
        },
        Case {
            id: "Q4",
            kind: "SQL input",
            input: "an unterminated quote `select 'abc`",
            args: &["query", "sqlite::memory:", "-c", "select 'abc"],
            env: &[],
            setup: none,
            stdin: None,
            exit: 3,
            headline: "unrecognized token",
        },
        Case {
            id: "Q5",
            kind: "SQL input",
            input: "an unterminated dollar quote `select $$abc` (PostgreSQL)",
            args: &["query", "{pg}", "-c", "select $$abc"],
            env: &[],
            setup: none,
            stdin: None,
            exit: 3,
            headline: "unterminated dollar-quoted string",
        },
        Case {
            id: "Q6",
            kind: "SQL input",
            input: "an unterminated block comment (PostgreSQL)",
            args: &["query", "{pg}", "-c", "select 1 /* never closed"],
            env: &[],
            setup: none,
            stdin: None,
            exit: 3,
            headline: "unterminated /* comment",
        },
        Case {
            id: "Q7",
            kind: "SQL input",
            input: "`DELIMITER` with no terminator word (MySQL)",
            args: &["query", "{my}", "-f", "{dir}/d.sql"],
            env: &[],
            setup: |d| write(d, "d.sql", b"DELIMITER\nselect 1;\n"),
            stdin: None,
            exit: 3,
            headline: "DELIMITER",
        },
    ]
}

fn fill(s: &str, dir: &Path) -> String {
    let pg = rdsql_testkit::postgres().url("rdsql_scram", "127.0.0.1");
    let my = rdsql_testkit::mariadb().url("rdsql_native", "127.0.0.1");
    s.replace("{dir}", &dir.display().to_string())
        .replace("{pg}", &pg)
        .replace("{my}", &my)
}

#[test]
fn every_row_of_the_malformed_input_table() {
    let all = cases();
    assert!(all.len() >= 40, "{}", all.len());
    if std::env::var_os("RDSQL_PRINT_TABLE").is_some() {
        println!("| # | kind | bad input | exit | first line says |\n|---|---|---|---|---|");
        for c in &all {
            println!(
                "| {} | {} | {} | {} | `{}` |",
                c.id,
                c.kind,
                c.input,
                c.exit,
                c.headline.replace('|', "\\|")
            );
        }
    }
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../README.md")).unwrap();
    let mut failures = vec![];
    for c in &all {
        let dir = tempfile::tempdir().unwrap();
        (c.setup)(dir.path());
        let args: Vec<String> = c.args.iter().map(|a| fill(a, dir.path())).collect();
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let cfg = dir.path().join("cfg").display().to_string();
        let mut env: Vec<(&str, String)> = vec![
            ("RDSQL_CONFIG_DIR", cfg),
            ("RDSQL_SECRET_STORE", "file".into()),
            ("HOME", dir.path().join("home").display().to_string()),
        ];
        for (k, v) in c.env {
            env.retain(|(e, _)| e != k);
            env.push((k, fill(v, dir.path())));
        }
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let o = rdsql_env(&args, &env, c.stdin);
        let first = o.stderr.lines().next().unwrap_or_default();
        let want = fill(c.headline, dir.path());
        let mut bad = vec![];
        if o.stderr.contains("panicked") {
            bad.push("panicked".to_string());
        }
        if o.code != c.exit {
            bad.push(format!("exit {} (want {})", o.code, c.exit));
        }
        if !first.contains(&want) {
            bad.push(format!("first line lacks {want:?}"));
        }
        if o.stdout.contains(SECRET) || o.stderr.contains(SECRET) || o.stderr.contains("cr3tZ") {
            bad.push("shows the secret".into());
        }
        if first.chars().count() > 600 {
            bad.push(format!(
                "first line is {} characters long",
                first.chars().count()
            ));
        }
        let row = readme
            .lines()
            .find(|l| l.starts_with(&format!("| {} |", c.id)));
        match row {
            Some(r) if r.contains(&format!("| {} |", c.exit)) => {}
            _ => bad.push("README row missing or with another exit code".into()),
        }
        if !bad.is_empty() {
            failures.push(format!(
                "{} {}: {}\n    stderr: {}",
                c.id,
                c.input,
                bad.join("; "),
                o.stderr.lines().take(3).collect::<Vec<_>>().join(" / ")
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} rows fail:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
