use crate::harness::*;
use rdsql_testkit::{PASSWORD, postgres, postgres_plain};

fn url(user: &str, host: &str, extra: &str) -> String {
    format!("{}{extra}", postgres().url(user, host))
}

fn ssl_in_use(args: &[&str]) -> String {
    let mut a = vec!["query"];
    a.extend_from_slice(args);
    a.extend_from_slice(&[
        "--format",
        "csv",
        "-c",
        "select ssl from pg_stat_ssl where pid = pg_backend_pid()",
    ]);
    let o = rdsql(&a);
    o.ok();
    o.stdout.lines().nth(1).unwrap_or_default().to_string()
}

#[test]
fn verify_full_succeeds_with_the_right_ca_and_name() {
    let ca = ca();
    for host in ["127.0.0.1", "localhost"] {
        let u = url("rdsql_scram", host, "?sslmode=verify-full");
        assert_eq!(ssl_in_use(&[&u, "--sslrootcert", &ca]), "t", "host {host}");
    }
}

#[test]
fn wrong_ca_fails_under_verify_ca_and_verify_full() {
    let other = other_ca();
    for mode in ["verify-ca", "verify-full"] {
        let u = url("rdsql_scram", "127.0.0.1", "");
        let o = rdsql(&[
            "query",
            &u,
            "--sslmode",
            mode,
            "--sslrootcert",
            &other,
            "-c",
            "select 1",
        ]);
        o.fails(2, "unknown CA");
        assert!(o.stderr.contains("--sslrootcert"), "{}", o.stderr);
    }
    // The built-in roots (RDS bundle + public CAs) do not know the test CA.
    let u = url("rdsql_scram", "127.0.0.1", "?sslmode=verify-full");
    rdsql(&["query", &u, "-c", "select 1"]).fails(2, "unknown CA");
}

#[test]
fn wrong_host_name_fails_only_under_verify_full() {
    let ca = ca();
    let u = url("rdsql_scram", "127.0.0.2", "");
    let o = rdsql(&[
        "query",
        &u,
        "--sslmode",
        "verify-full",
        "--sslrootcert",
        &ca,
        "-c",
        "select 1",
    ]);
    o.fails(2, "not valid for host name \"127.0.0.2\"");
    assert_eq!(
        o.stderr.lines().next().unwrap().matches("TLS").count(),
        1,
        "one-line cause: {}",
        o.stderr
    );
    assert_eq!(
        ssl_in_use(&[&u, "--sslmode", "verify-ca", "--sslrootcert", &ca]),
        "t"
    );
}

#[test]
fn require_encrypts_without_checking() {
    let u = url("rdsql_scram", "127.0.0.2", "?sslmode=require");
    assert_eq!(ssl_in_use(&[&u]), "t");
    // With a root file, require is verify-ca (libpq).
    rdsql(&["query", &u, "--sslrootcert", &other_ca(), "-c", "select 1"]).fails(2, "unknown CA");
}

#[test]
fn prefer_uses_tls_when_offered_and_disable_never() {
    let u = url("rdsql_scram", "127.0.0.1", "");
    assert_eq!(ssl_in_use(&[&u]), "t", "prefer is the default");
    assert_eq!(ssl_in_use(&[&u, "--sslmode", "disable"]), "f");
}

#[test]
fn server_without_tls() {
    let plain = postgres_plain();
    let u = plain.url("rdsql_scram", "127.0.0.1");
    for mode in ["require", "verify-ca", "verify-full"] {
        rdsql(&["query", &u, "--sslmode", mode, "-c", "select 1"])
            .fails(2, "server does not support TLS");
    }
    assert_eq!(ssl_in_use(&[&u, "--sslmode", "prefer"]), "f");
    assert_eq!(ssl_in_use(&[&u, "--sslmode", "disable"]), "f");
}

#[test]
fn scram_and_md5_passwords() {
    for user in ["rdsql_scram", "rdsql_md5"] {
        let o = rdsql(&[
            "query",
            &url(user, "127.0.0.1", ""),
            "--format",
            "csv",
            "-c",
            "select current_user",
        ]);
        assert_eq!(o.ok().stdout, format!("current_user\n{user}\n"));
    }
    // The hashes really are of both kinds.
    let kinds = postgres().psql("select rolname || ':' || left(rolpassword, 5) from pg_authid where rolname like 'rdsql_%' order by 1");
    assert!(
        kinds.contains("rdsql_md5:md5") && kinds.contains("rdsql_scram:SCRAM"),
        "{kinds}"
    );
}

#[test]
fn wrong_password_is_rejected_without_leaking_it() {
    for user in ["rdsql_scram", "rdsql_md5"] {
        let u = format!(
            "postgres://{user}:WrongPw-987@127.0.0.1:{}/rdsql",
            postgres().port
        );
        let o = rdsql(&["query", &u, "--verbose", "-c", "select 1"]);
        o.fails(2, "password authentication failed");
        assert!(o.stderr.contains("28P01"), "{}", o.stderr);
        assert!(
            o.stderr.contains(&format!("127.0.0.1:{}", postgres().port)),
            "{}",
            o.stderr
        );
        assert!(o.stderr.contains("auth password"), "{}", o.stderr);
        assert!(
            !o.stderr.contains("WrongPw-987") && !o.stdout.contains("WrongPw-987"),
            "{}",
            o.stderr
        );
    }
}

#[test]
fn password_from_environment_variables() {
    let port = postgres().port.to_string();
    let bare = format!("postgres://rdsql_scram@127.0.0.1:{port}/rdsql");
    for var in ["PGPASSWORD", "RDSQL_PASSWORD"] {
        let o = rdsql_env(
            &["query", &bare, "--format", "csv", "-c", "select 1 as x"],
            &[(var, PASSWORD)],
            None,
        );
        assert_eq!(o.ok().stdout, "x\n1\n");
    }
    // libpq variables alone describe the connection.
    let env = [
        ("PGHOST", "127.0.0.1"),
        ("PGPORT", port.as_str()),
        ("PGUSER", "rdsql_md5"),
        ("PGDATABASE", "rdsql"),
        ("PGPASSWORD", PASSWORD),
        ("PGSSLMODE", "require"),
    ];
    let o = rdsql_env(
        &[
            "query",
            "--format",
            "csv",
            "-c",
            "select current_user, current_database()",
        ],
        &env,
        None,
    );
    assert_eq!(
        o.ok().stdout,
        "current_user,current_database\nrdsql_md5,rdsql\n"
    );
    // No password anywhere and no terminal: nothing is sent, and the
    // request for one is reported.
    let o = rdsql(&["query", &bare, "-c", "select 1"]);
    o.fails(2, "the server asks for a password and none was given");
}

const TYPES_SQL: &str = r#"select
  1::smallint as i2, '-2147483648'::int as i4, 9223372036854775807::bigint as i8,
  123456789.0123456789::numeric as num, 'NaN'::numeric as nan, 1.5::real as f4, 0.1::float8 as f8,
  '-Infinity'::float8 as ninf,
  'plain' as t1, 'with "quotes", commas' as t2, E'line1\nline2\r\n' as t3, 'ünïcødé ✓ 日本' as t4,
  '' as empty, null::text as nul, '\.' as copy_marker, ' padded ' as padded,
  '\x00ff10'::bytea as bin, date '2024-02-29' as d, time '13:14:15.123456' as tm,
  timestamp '2024-01-02 03:04:05.6' as ts, timestamptz '2024-06-30 23:59:59.999+02' as tstz,
  interval '1 year 2 mons 3 days 04:05:06' as iv,
  '{"a": [1, 2.50, null], "b": "x\"y"}'::json as js, '{"b": 1, "a": [true]}'::jsonb as jsb,
  array[1,2,null] as arr, array['a b', 'c,d', null, '"q"'] as tarr, '{{1,2},{3,4}}'::int[] as arr2,
  'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid as id, true as yes, false as no, null::bool as unknown,
  '192.168.0.1/24'::inet as ip, 12.34::money as cash, point(1.5, 2) as pt, 'x'::char(3) as ch,
  B'1010' as bits, 'fat & rat'::tsquery as tsq, int4range(1, 10) as rng, 'mood'::name as nm
union all select
  null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null,
  null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null,
  null, null, null, null, null"#;

#[test]
fn type_coverage_matches_psql_csv_byte_for_byte() {
    let pg = postgres();
    let expected = pg.peer_psql("rdsql_scram", &["--csv"], TYPES_SQL);
    let o = rdsql(&[
        "query",
        &url("rdsql_scram", "127.0.0.1", ""),
        "--format",
        "csv",
        "-c",
        TYPES_SQL,
    ]);
    o.ok();
    assert_eq!(
        String::from_utf8_lossy(&o.raw_stdout),
        String::from_utf8_lossy(&expected),
        "rdsql --format csv differs from psql --csv"
    );
    assert!(o.stdout.contains("\"line1\nline2\r\n\""));
    assert!(o.stdout.contains("\\x00ff10"));
}

#[test]
fn several_statements_and_result_sets_in_order() {
    let pg = postgres();
    pg.psql_db("rdsql", "drop table if exists multi; create table multi(id int, v text); grant all on multi to public");
    let u = url("rdsql_scram", "127.0.0.1", "");
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
    // psql prints the same for the same statements.
    let peer = pg.peer_psql(
        "rdsql_scram",
        &["--csv"],
        "select id, v from multi order by id",
    );
    assert_eq!(peer, b"id,v\n1,x\n2,y\n");
}

#[test]
fn every_output_format() {
    let u = url("rdsql_scram", "127.0.0.1", "");
    let sql = "select 1 as n, 'a\tb' as s, null::text as z union all select 2, 'é\"', ''";
    let run = |f: &str| {
        rdsql(&["query", &u, "--format", f, "-c", sql])
            .ok()
            .stdout
            .clone()
    };
    assert_eq!(run("csv"), "n,s,z\n1,a\tb,\n2,\"é\"\"\",\n");
    assert_eq!(run("tsv"), "n\ts\tz\n1\ta\\tb\t\\N\n2\té\"\t\n");
    assert_eq!(
        run("json"),
        "[\n{\"n\":1,\"s\":\"a\\tb\",\"z\":null},\n{\"n\":2,\"s\":\"é\\\"\",\"z\":\"\"}\n]\n"
    );
    assert_eq!(
        run("ndjson"),
        "{\"n\":1,\"s\":\"a\\tb\",\"z\":null}\n{\"n\":2,\"s\":\"é\\\"\",\"z\":\"\"}\n"
    );
    assert_eq!(
        run("table"),
        " n |     s     | z \n---+-----------+---\n 1 | a       b | \n 2 | é\"        | \n(2 rows)\n\n"
    );
    let empty = rdsql(&[
        "query",
        &u,
        "--format",
        "json",
        "-c",
        "select 1 as a where false",
    ]);
    assert_eq!(empty.ok().stdout, "[]\n");
    for line in run("ndjson").lines() {
        serde_json::from_str::<serde_json::Value>(line).expect("valid JSON line");
    }
    serde_json::from_str::<serde_json::Value>(&run("json")).expect("valid JSON");
}

#[test]
fn statement_errors_exit_3_with_sqlstate() {
    let u = url("rdsql_scram", "127.0.0.1", "");
    let o = rdsql(&[
        "query",
        &u,
        "--format",
        "csv",
        "-c",
        "select 1 as ok",
        "-c",
        "select * from no_such_table",
        "-c",
        "select 2",
    ]);
    o.fails(3, "ERROR 42P01: relation \"no_such_table\" does not exist");
    assert_eq!(
        o.stdout, "ok\n1\n",
        "output before the error is kept, nothing after"
    );
    let o = rdsql(&["query", &u, "-c", "select 1/0"]);
    o.fails(3, "22012");
}

#[test]
fn statements_from_file_and_stdin() {
    let u = url("rdsql_scram", "127.0.0.1", "");
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("q.sql");
    std::fs::write(
        &f,
        "-- a comment; with a semicolon\nselect 'a;b' as x;\nselect $$c;d$$ as y;\n",
    )
    .unwrap();
    let o = rdsql(&["query", &u, "--format", "csv", "-f", f.to_str().unwrap()]);
    assert_eq!(o.ok().stdout, "x\na;b\ny\nc;d\n");
    let o = rdsql_env(
        &["query", &u, "--format", "csv"],
        &[],
        Some("select 42 as answer;"),
    );
    assert_eq!(o.ok().stdout, "answer\n42\n");
    rdsql(&["query", &u, "-f", "/no/such/file.sql"]).fails(1, "/no/such/file.sql");
}

#[test]
fn database_that_does_not_exist() {
    let u = format!(
        "postgres://rdsql_scram:{PASSWORD}@127.0.0.1:{}/nope",
        postgres().port
    );
    rdsql(&["query", &u, "-c", "select 1"]).fails(2, "3D000");
}

#[test]
fn many_rows_stream_through() {
    let u = url("rdsql_scram", "127.0.0.1", "");
    let o = rdsql(&[
        "query",
        &u,
        "--format",
        "csv",
        "-c",
        "select g, md5(g::text) from generate_series(1, 200000) g",
    ]);
    o.ok();
    assert_eq!(o.stdout.lines().count(), 200_001);
    assert!(o.stdout.lines().last().unwrap().starts_with("200000,"));
}

#[test]
fn no_password_means_none_is_sent() {
    // A user no other test uses, so the server log's lines are ours.
    postgres().psql("do $$ begin create role rdsql_nopw login password 'x-Pw-123'; exception when duplicate_object then null; end $$");
    let u = format!(
        "postgres://rdsql_nopw@127.0.0.1:{}/rdsql?sslmode=require",
        postgres().port
    );
    let o = rdsql(&["query", &u, "-c", "select 1"]);
    o.fails(2, "the server asks for a password and none was given");
    assert!(o.stderr.contains("RDSQL_PASSWORD"), "{}", o.stderr);
    // The driver stopped before answering the server's challenge: no
    // failed login is recorded.
    std::thread::sleep(std::time::Duration::from_millis(300));
    let log = postgres().log();
    assert!(
        !log.contains("password authentication failed for user \"rdsql_nopw\""),
        "{log}"
    );
    // With the password, the same user connects (the test is not vacuous).
    rdsql_env(
        &["query", &u, "-c", "select 1"],
        &[("PGPASSWORD", "x-Pw-123")],
        None,
    )
    .ok();
}

#[test]
fn begin_atomic_function_and_bad_utf8_from_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("f.sql");
    std::fs::write(
        &f,
        "create or replace function atomic_twice(a int) returns int language sql\n\
         begin atomic\n  select case when a > 0 then a * 2 else 0 end;\nend;\n\
         select atomic_twice(21) as v;\n",
    )
    .unwrap();
    let u = url("rdsql_scram", "127.0.0.1", "");
    let o = rdsql(&[
        "query",
        &u,
        "--format",
        "csv",
        "-q",
        "-f",
        f.to_str().unwrap(),
    ]);
    assert_eq!(o.ok().stdout, "v\n42\n");
    // Invalid UTF-8 on line 2: line 1 has run, then a clear local error.
    std::fs::write(&f, b"select 'first' as x;\nselect '\xff';\n").unwrap();
    let o = rdsql(&["query", &u, "--format", "csv", "-f", f.to_str().unwrap()]);
    o.fails(1, "line 2: the input is not valid UTF-8");
    assert_eq!(o.stdout, "x\nfirst\n");
}

#[test]
fn sigint_and_sigterm_cancel_the_running_statement() {
    let u = url("rdsql_scram", "127.0.0.1", "?sslmode=require");
    for (sig, name) in [(libc::SIGINT, "SIGINT"), (libc::SIGTERM, "SIGTERM")] {
        let tag = format!("sig_{}", name.to_lowercase());
        let sql = format!("select pg_sleep(30) as {tag}");
        let (o, took) = rdsql_signalled(
            &["query", &u, "-c", &sql],
            sig,
            std::time::Duration::from_millis(1500),
        );
        assert_eq!(o.code, 3, "{name}: {}", o.stderr);
        assert!(
            o.stderr.contains(&format!("interrupted by {name}"))
                && o.stderr.contains("a cancel request was sent"),
            "{}",
            o.stderr
        );
        assert!(took < std::time::Duration::from_secs(4), "{name}: {took:?}");
        // The server is no longer running it.
        let running = postgres().psql(&format!(
            "select count(*) from pg_stat_activity where query like '%{tag}%' and pid <> pg_backend_pid()"
        ));
        assert_eq!(running.trim(), "0", "{name}");
    }
}

#[test]
fn a_signal_while_waiting_for_sql_on_stdin_exits_at_once() {
    let u = url("rdsql_scram", "127.0.0.1", "?sslmode=require");
    let (o, took) = rdsql_signalled_with(
        &["query", &u],
        libc::SIGTERM,
        std::time::Duration::from_millis(1000),
        true,
    );
    assert_eq!(o.code, 1, "{}", o.stderr);
    assert!(
        o.stderr
            .contains("interrupted by SIGTERM while reading SQL"),
        "{}",
        o.stderr
    );
    assert!(took < std::time::Duration::from_secs(2), "{took:?}");
}

#[test]
fn a_lost_connection_stops_a_script() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("s.sql");
    std::fs::write(
        &f,
        "select 'one' as step;\nselect pg_terminate_backend(pg_backend_pid());\nselect 'three' as step;\n",
    )
    .unwrap();
    let u = url("rdsql_scram", "127.0.0.1", "");
    let o = rdsql(&["query", &u, "--format", "csv", "-f", f.to_str().unwrap()]);
    o.fails(2, "the connection to the server was lost");
    assert!(
        o.stdout.contains("one") && !o.stdout.contains("three"),
        "{}",
        o.stdout
    );
}

/// Runs `jq FILTER` over `input`; its stdout.
pub fn jq(filter: &str, input: &str) -> String {
    use std::io::Write;
    let mut c = std::process::Command::new("jq")
        .args(["-c", filter])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("jq (Debian: apt-get install jq)");
    c.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    let o = c.wait_with_output().unwrap();
    assert!(o.status.success(), "jq {filter} failed on {input}");
    String::from_utf8(o.stdout).unwrap().trim().to_string()
}

#[test]
fn json_keeps_types_that_jq_can_use() {
    let u = url("rdsql_scram", "127.0.0.1", "");
    let sql = "select 1::int2 as i2, 2147483647::int4 as i4, 9223372036854775807::int8 as i8, \
               1.5::float4 as f4, 'NaN'::float8 as nan, '-Infinity'::float8 as ninf, \
               123456789012345678901234567890.000000001::numeric as big, true as b, \
               '{\"k\": [1, {\"x\": null}]}'::jsonb as jb, '[1,2]'::json as j, \
               array[1, null, 3] as arr, array['a b', 'c\"d', null] as tarr, array[[1,2],[3,4]] as nested, \
               '\\x00ff'::bytea as bin, date '2026-11-29' as d, 'x' as dup, 'y' as dup, \
               '12.50'::money as m, null::int4 as nul";
    let o = rdsql(&["query", &u, "--format", "json", "-c", sql]);
    let out = o.ok().stdout.clone();
    let v: serde_json::Value = serde_json::from_str(&out).expect("valid JSON");
    let r = &v[0];
    assert_eq!(r["i2"], 1);
    assert_eq!(r["i4"], 2147483647);
    assert_eq!(r["i8"], 9223372036854775807i64);
    assert_eq!(r["f4"], 1.5);
    assert_eq!(r["nan"], "NaN");
    assert_eq!(r["ninf"], "-Infinity");
    assert!(
        out.contains("\"big\":123456789012345678901234567890.000000001"),
        "digit for digit: {out}"
    );
    assert_eq!(r["b"], true);
    assert_eq!(r["jb"], serde_json::json!({"k": [1, {"x": null}]}));
    assert_eq!(r["j"], serde_json::json!([1, 2]));
    assert_eq!(r["arr"], serde_json::json!([1, null, 3]));
    assert_eq!(r["tarr"], serde_json::json!(["a b", "c\"d", null]));
    assert_eq!(r["nested"], serde_json::json!([[1, 2], [3, 4]]));
    assert_eq!(r["bin"], "\\x00ff");
    assert_eq!(r["d"], "2026-11-29");
    assert_eq!(r["dup"], "x");
    assert_eq!(r["dup_2"], "y");
    assert_eq!(r["m"], "$12.50");
    assert_eq!(r["nul"], serde_json::Value::Null);
    // jq computes with the numbers and reads every line of NDJSON.
    assert_eq!(jq(".[0].i4 + 1", &out), "2147483648");
    assert_eq!(jq(".[] | select(.i2 > 0) | .b", &out), "true");
    let nd = rdsql(&["query", &u, "--format", "ndjson", "-c", sql])
        .ok()
        .stdout
        .clone();
    assert_eq!(jq(".arr | length", &nd), "3");
}

/// One value of every built-in type a user meets, NULLs, multi-line and
/// tab-holding text, wide characters and control characters.
pub const EVERY_TYPE: &str = "select 1::int2 as i2, 2::int4 as i4, 3::int8 as i8, 1234.5678::numeric as num, \
    1.5::float4 as f4, 2.25::float8 as f8, 'NaN'::float8 as nan, 12.5::money as m, true as b, \
    'text'::text as t, 'vc'::varchar(5) as vc, 'c'::char(3) as ch, 'ab'::bytea as by, \
    date '2026-11-29' as d, time '12:34:56' as tm, timetz '12:34:56+02' as tz, \
    timestamp '2026-11-29 12:34:56.789' as ts, timestamptz '2026-11-29 12:34:56+00' as tstz, \
    interval '1 day 02:03:04' as iv, 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid as u, \
    '{\"a\": [1, 2]}'::json as j, '{\"b\": null}'::jsonb as jb, '192.168.0.1/24'::inet as ip, \
    '10.0.0.0/8'::cidr as net, '08:00:2b:01:02:03'::macaddr as mac, point(1, 2) as pt, \
    box(point(0, 0), point(1, 1)) as bx, circle(point(0, 0), 2) as ci, B'101'::bit(3) as bit, \
    B'1'::varbit as vb, 'a fat cat'::tsvector as tsv, 'fat & cat'::tsquery as tsq, \
    int4range(1, 5) as rng, array[1, null, 3] as arr, array['x y', 'z'] as tarr, 'pg_class'::regclass as rc, \
    'nm'::name as nm, '0/16B3748'::pg_lsn as lsn, 42::oid as o, null::text as nul, null::int4 as nuli, \
    E'two\\nlines' as ml, E'a\\tb' as tab, '日本語' as wide, E'x\\ry' as cr";

#[test]
fn table_output_is_byte_identical_to_psql_for_every_builtin_type() {
    let u = url("rdsql_scram", "127.0.0.1", "");
    for sql in [
        EVERY_TYPE,
        "select g as n, repeat('x', g) as s, case when g % 2 = 0 then null else g * 1.5 end as half from generate_series(1, 12) g",
        "select 1 as a where false",
        "select 'a' as \"multi\nline header\", 1 as n",
    ] {
        let ours = rdsql(&["query", &u, "-c", sql]);
        let theirs = postgres().peer_psql("rdsql_scram", &[], sql);
        assert_eq!(
            String::from_utf8_lossy(&ours.ok().raw_stdout),
            String::from_utf8_lossy(&theirs),
            "for {sql}"
        );
    }
}

#[test]
fn psql_flags_give_psql_s_bytes() {
    let u = url("rdsql_scram", "127.0.0.1", "");
    let sql = "select 1 as n, 'ab' as s, null::text as z union all select 22, E'x\\ny', 'q'";
    for (ours, theirs) in [
        (vec!["-A"], vec!["-A"]),
        (vec!["-t"], vec!["-t"]),
        (vec!["-A", "-t"], vec!["-A", "-t"]),
        (vec!["-x"], vec!["-x"]),
        (vec!["-t", "-x"], vec!["-t", "-x"]),
        (
            vec!["-A", "-F", ",", "-R", ";"],
            vec!["-A", "-F", ",", "-R", ";"],
        ),
        (vec!["--format", "html"], vec!["-H"]),
        (vec!["--null", "NUL"], vec!["-P", "null=NUL"]),
        (
            vec!["-X", "-v", "ON_ERROR_STOP=1"],
            vec!["-v", "ON_ERROR_STOP=1"],
        ),
    ] {
        for q in [sql, "select 1 where false"] {
            let mut args = vec!["query", u.as_str(), "-c", q];
            args.extend(&ours);
            let mine = rdsql(&args);
            let peer = postgres().peer_psql("rdsql_scram", &theirs, q);
            assert_eq!(
                String::from_utf8_lossy(&mine.ok().raw_stdout),
                String::from_utf8_lossy(&peer),
                "{ours:?} for {q}"
            );
        }
    }
    // --csv and --json are --format shorthands.
    assert_eq!(
        rdsql(&["query", &u, "--csv", "-c", "select 1 as a"])
            .ok()
            .stdout,
        "a\n1\n"
    );
    assert_eq!(
        rdsql(&["query", &u, "--json", "-c", "select 1 as a"])
            .ok()
            .stdout,
        "[\n{\"a\":1}\n]\n"
    );
    // Markdown: pipes escaped, numbers right-aligned.
    assert_eq!(
        rdsql(&[
            "query",
            &u,
            "--format",
            "markdown",
            "-c",
            "select 1 as n, 'a|b' as s"
        ])
        .ok()
        .stdout,
        "| n | s |\n|---:|---|\n| 1 | a\\|b |\n\n(1 row)\n\n"
    );
    // psql variables other than ON_ERROR_STOP are refused, clearly.
    rdsql(&["query", &u, "-v", "FOO=1", "-c", "select 1"]).fails(1, "no psql variables");
    // -o FILE: complete output, nothing left beside it.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("out.txt");
    let o = rdsql(&[
        "query",
        &u,
        "-o",
        file.to_str().unwrap(),
        "-c",
        "select 1 as a",
    ]);
    assert_eq!(o.ok().stdout, "");
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        " a \n---\n 1\n(1 row)\n\n"
    );
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        1,
        "no temporary file left"
    );
}
