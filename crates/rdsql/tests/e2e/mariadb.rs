use crate::harness::*;
use rdsql_testkit::{PASSWORD, mariadb, mariadb_plain};

fn url(host: &str) -> String {
    mariadb().url("rdsql_native", host)
}

/// The TLS version the session negotiated ("" when unencrypted).
fn ssl_version(args: &[&str]) -> String {
    let mut a = vec!["query"];
    a.extend_from_slice(args);
    a.extend_from_slice(&[
        "--format",
        "csv",
        "-c",
        "show session status like 'Ssl_version'",
    ]);
    let o = rdsql(&a);
    o.ok();
    o.stdout
        .lines()
        .nth(1)
        .unwrap_or_default()
        .trim_start_matches("Ssl_version,")
        .to_string()
}

#[test]
fn verify_full_succeeds_with_the_right_ca_and_name() {
    let ca = ca();
    for host in ["127.0.0.1", "localhost"] {
        let v = ssl_version(&[&url(host), "--sslmode", "verify-full", "--sslrootcert", &ca]);
        assert!(v.starts_with("TLSv1"), "host {host}: {v:?}");
    }
}

#[test]
fn wrong_ca_fails_under_verify_ca_and_verify_full() {
    for mode in ["verify-ca", "verify-full"] {
        let o = rdsql(&[
            "query",
            &url("127.0.0.1"),
            "--sslmode",
            mode,
            "--sslrootcert",
            &other_ca(),
            "-c",
            "select 1",
        ]);
        o.fails(2, "unknown CA");
    }
    rdsql(&[
        "query",
        &url("127.0.0.1"),
        "--sslmode",
        "verify-full",
        "-c",
        "select 1",
    ])
    .fails(2, "unknown CA");
}

#[test]
fn wrong_host_name_fails_only_under_verify_full() {
    let ca = ca();
    let u = url("127.0.0.2");
    rdsql(&[
        "query",
        &u,
        "--sslmode",
        "verify-full",
        "--sslrootcert",
        &ca,
        "-c",
        "select 1",
    ])
    .fails(2, "not valid for host name \"127.0.0.2\"");
    let v = ssl_version(&[&u, "--sslmode", "verify-ca", "--sslrootcert", &ca]);
    assert!(v.starts_with("TLSv1"), "{v:?}");
    // verify-ca still checks the chain when the name differs.
    rdsql(&[
        "query",
        &u,
        "--sslmode",
        "verify-ca",
        "--sslrootcert",
        &other_ca(),
        "-c",
        "select 1",
    ])
    .fails(2, "unknown CA");
}

#[test]
fn require_prefer_disable() {
    let v = ssl_version(&[&url("127.0.0.2"), "--sslmode", "require"]);
    assert!(v.starts_with("TLSv1"), "{v:?}");
    // With a root file, require is verify-ca (libpq).
    rdsql(&[
        "query",
        &url("127.0.0.2"),
        "--sslmode",
        "require",
        "--sslrootcert",
        &other_ca(),
        "-c",
        "select 1",
    ])
    .fails(2, "unknown CA");
    let v = ssl_version(&[&url("127.0.0.1")]);
    assert!(v.starts_with("TLSv1"), "prefer (default) uses TLS: {v:?}");
    assert_eq!(
        ssl_version(&[&url("127.0.0.1"), "--sslmode", "disable"]),
        ""
    );
}

#[test]
fn server_without_tls() {
    let u = mariadb_plain().url("rdsql_native", "127.0.0.1");
    for mode in ["require", "verify-ca", "verify-full"] {
        rdsql(&["query", &u, "--sslmode", mode, "-c", "select 1"])
            .fails(2, "server does not support TLS");
    }
    assert_eq!(ssl_version(&[&u, "--sslmode", "prefer"]), "");
    assert_eq!(ssl_version(&[&u, "--sslmode", "disable"]), "");
}

#[test]
fn native_password_and_wrong_password() {
    let o = rdsql(&[
        "query",
        &url("127.0.0.1"),
        "--format",
        "csv",
        "-c",
        "select current_user() as u",
    ]);
    assert_eq!(o.ok().stdout, "u\nrdsql_native@%\n");
    let bad = format!(
        "mysql://rdsql_native:Nope-4321@127.0.0.1:{}/rdsql",
        mariadb().port
    );
    let o = rdsql(&["query", &bad, "--verbose", "-c", "select 1"]);
    o.fails(2, "Access denied for user 'rdsql_native'");
    assert!(o.stderr.contains("1045"), "{}", o.stderr);
    assert!(o.stderr.contains("mysql at 127.0.0.1"), "{}", o.stderr);
    assert!(!o.stderr.contains("Nope-4321"), "{}", o.stderr);
}

#[test]
fn password_from_environment() {
    let bare = format!("mariadb://rdsql_native@127.0.0.1:{}/rdsql", mariadb().port);
    for var in ["MYSQL_PWD", "RDSQL_PASSWORD"] {
        let o = rdsql_env(
            &["query", &bare, "--format", "csv", "-c", "select 7 as x"],
            &[(var, PASSWORD)],
            None,
        );
        assert_eq!(o.ok().stdout, "x\n7\n");
    }
    // PGPASSWORD is for PostgreSQL only.
    rdsql_env(
        &["query", &bare, "-c", "select 1"],
        &[("PGPASSWORD", PASSWORD)],
        None,
    )
    .fails(2, "1045");
}

const TYPES_SQL: &str = r#"select
  cast(1 as signed) as i, 18446744073709551615 as big, -32768 as neg, 123456789.0123456789 as num,
  cast(1.5 as float) as f4, cast(0.1 as double) as f8, 1e300 as sci,
  'plain' as t1, 'with "quotes", commas' as t2, 'line1\nline2\r\n' as t3, 'tab\there' as t4,
  'back\\slash' as t5, 'ünïcødé ✓ 日本' as t6, '' as empty, null as nul, 'NULL' as null_word,
  x'00ff10' as bin, cast('abc' as binary(5)) as fixbin, date '2024-02-29' as d, time '13:14:15.123456' as tm,
  timestamp '2024-01-02 03:04:05.6' as ts, cast('2024-01-02 03:04:05' as datetime(3)) as dt3,
  json_object('a', json_array(1, 2.50, null), 'b', 'x"y') as js, true as yes, false as no,
  uuid() is not null as has_uuid, cast('a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11' as char(36)) as id,
  b'1010' + 0 as bits, year('2024-05-05') as y, cast(12.3400 as decimal(10,4)) as dec4"#;

#[test]
fn type_coverage_matches_the_mariadb_client() {
    let m = mariadb();
    let expected = parse_tsv(
        &m.peer_client("rdsql_native", &["--batch"], TYPES_SQL),
        b"NULL",
    );
    let o = rdsql(&[
        "query",
        &url("127.0.0.1"),
        "--format",
        "tsv",
        "-c",
        TYPES_SQL,
    ]);
    o.ok();
    let ours = parse_tsv(&o.raw_stdout, b"\\N");
    assert_eq!(ours.len(), 2);
    assert_eq!(ours[0], expected[0], "header");
    for (i, (a, b)) in ours[1].iter().zip(&expected[1]).enumerate() {
        let name = String::from_utf8_lossy(ours[0][i].as_ref().unwrap());
        // The client cannot tell NULL from the string 'NULL'; rdsql can.
        if name == "nul" {
            assert_eq!(a, &None);
            continue;
        }
        if name == "null_word" {
            assert_eq!(a.as_deref(), Some(&b"NULL"[..]));
            continue;
        }
        assert_eq!(a, b, "column {name}");
    }
    assert_eq!(ours[1].len(), expected[1].len());
    // Table-valued table: a real table with typed columns.
    m.sql("create table if not exists rdsql.typed (i int, d decimal(12,3), f double, t text, b blob, dt datetime(6), e enum('x','y'), s set('a','b'), j json, bt bit(4)); delete from rdsql.typed; insert into rdsql.typed values (-5, 12.5, 2.25, 'é', x'000102', '2020-01-01 00:00:00.000001', 'y', 'a,b', '[1]', b'0101'), (null, null, null, null, null, null, null, null, null, null)");
    let q = "select * from typed order by i desc";
    let expected = parse_tsv(&m.peer_client("rdsql_native", &["--batch"], q), b"NULL");
    let o = rdsql(&["query", &url("127.0.0.1"), "--format", "tsv", "-c", q]);
    assert_eq!(parse_tsv(&o.ok().raw_stdout, b"\\N"), expected);
}

#[test]
fn formats_errors_and_result_sets() {
    let u = url("127.0.0.1");
    let m = mariadb();
    m.sql("create table if not exists rdsql.multi (id int, v text); delete from rdsql.multi");
    let o = rdsql(&[
        "query",
        &u,
        "--format",
        "csv",
        "-c",
        "select 1 as a; insert into multi values (1, 'x'), (2, null)",
        "-c",
        "update multi set v = 'y' where id = 2; select id, v from multi order by id",
    ]);
    o.ok();
    assert_eq!(o.stdout, "a\n1\nid,v\n1,x\n2,y\n");
    assert_eq!(o.stderr, "2 rows affected\n1 row affected\n");
    let o = rdsql(&[
        "query",
        &u,
        "--format",
        "ndjson",
        "-c",
        "select 1 as n, null as z, 'q\"' as s",
    ]);
    assert_eq!(o.ok().stdout, "{\"n\":1,\"z\":null,\"s\":\"q\\\"\"}\n");
    let o = rdsql(&["query", &u, "--format", "json", "-c", "select 1 as n"]);
    assert_eq!(o.ok().stdout, "[\n{\"n\":1}\n]\n");
    let o = rdsql(&["query", &u, "-c", "select 1 as n, null as z"]);
    assert_eq!(o.ok().stdout, " n | z \n---+---\n 1 | \n(1 row)\n\n");
    let o = rdsql(&[
        "query",
        &u,
        "--format",
        "csv",
        "-c",
        "select 1 as ok",
        "-c",
        "select * from nope",
    ]);
    o.fails(3, "ERROR 1146 (42S02): Table 'rdsql.nope' doesn't exist");
    assert_eq!(o.stdout, "ok\n1\n");
}

#[test]
fn unknown_database() {
    let u = format!(
        "mysql://rdsql_native:{PASSWORD}@127.0.0.1:{}/nope",
        mariadb().port
    );
    rdsql(&["query", &u, "-c", "select 1"]).fails(2, "1044");
}

#[test]
fn mysqldump_style_script_with_delimiter_runs_from_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("dump.sql");
    std::fs::write(
        &f,
        "DROP TABLE IF EXISTS dlm_t;\n\
         CREATE TABLE dlm_t (a int, b int);\n\
         /*!50003 SET @saved_sql_mode = @@sql_mode */;\n\
         DELIMITER ;;\n\
         CREATE TRIGGER dlm_trg BEFORE INSERT ON dlm_t FOR EACH ROW BEGIN\n  SET NEW.b = NEW.a * 2;\n  SET NEW.a = NEW.a + 1;\nEND ;;\n\
         DELIMITER ;\n\
         DROP PROCEDURE IF EXISTS dlm_p;\n\
         DELIMITER //\n\
         CREATE PROCEDURE dlm_p() BEGIN INSERT INTO dlm_t (a) VALUES (1); INSERT INTO dlm_t (a) VALUES (2); END//\n\
         DELIMITER ;\n\
         CALL dlm_p();\n\
         SELECT a, b, 3--1 AS arith FROM dlm_t ORDER BY a; -- a comment\n\
         SELECT @saved_sql_mode IS NOT NULL AS saved;\n",
    )
    .unwrap();
    let o = rdsql(&[
        "query",
        &url("127.0.0.1"),
        "--format",
        "csv",
        "-q",
        "-f",
        f.to_str().unwrap(),
    ]);
    // The /*!50003 … */ line ran too (mysqldump's executable comments).
    assert_eq!(o.ok().stdout, "a,b,arith\n2,2,4\n3,4,4\nsaved\n1\n");
}

#[test]
fn sigterm_kills_the_running_query_on_the_same_server() {
    // Through "localhost": the side connection for KILL QUERY goes to the
    // address the session reached, not a new lookup.
    let u = mariadb().url("rdsql_native", "localhost");
    let (o, took) = rdsql_signalled(
        &["query", &u, "-c", "select sleep(30) as sig_term_probe"],
        libc::SIGTERM,
        std::time::Duration::from_millis(1500),
    );
    assert_eq!(o.code, 3, "{}", o.stderr);
    assert!(
        o.stderr.contains("interrupted by SIGTERM")
            && o.stderr.contains("a cancel request was sent"),
        "{}",
        o.stderr
    );
    assert!(took < std::time::Duration::from_secs(4), "{took:?}");
    let running = mariadb().sql(
        "select count(*) from information_schema.processlist where info like '%sig_term_probe%' and id <> connection_id()",
    );
    assert_eq!(running.trim(), "0");
}

#[test]
fn json_keeps_types_that_jq_can_use() {
    let u = url("127.0.0.1");
    let sql = "select cast(1 as signed) as i, cast(18446744073709551615 as unsigned) as u, \
               cast(1.50 as decimal(10,2)) as dc, 1.5e0 as dbl, 'text' as t, null as z, \
               date '2026-11-29' as d, x'00ff' as bin, 'x' as dup, 'y' as dup";
    let o = rdsql(&["query", &u, "--format", "json", "-c", sql]);
    let out = o.ok().stdout.clone();
    let v: serde_json::Value = serde_json::from_str(&out).expect("valid JSON");
    let r = &v[0];
    assert_eq!(r["i"], 1);
    assert!(out.contains("\"u\":18446744073709551615"), "{out}");
    assert!(out.contains("\"dc\":1.50"), "{out}");
    assert_eq!(r["dbl"], 1.5);
    assert_eq!(r["t"], "text");
    assert_eq!(r["z"], serde_json::Value::Null);
    assert_eq!(r["d"], "2026-11-29");
    assert_eq!(r["bin"], "\\x00ff");
    assert_eq!(r["dup_2"], "y");
    assert_eq!(crate::postgres::jq(".[0].i + 1", &out), "2");
}
