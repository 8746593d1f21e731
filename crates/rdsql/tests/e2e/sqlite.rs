use crate::harness::*;

#[test]
fn memory_database_and_formats() {
    let o = rdsql(&[
        "query",
        "sqlite::memory:",
        "--format",
        "csv",
        "-c",
        "select 1 as a, 2.0 as b, 'x,y' as c, null as d, x'6869' as e",
    ]);
    assert_eq!(o.ok().stdout, "a,b,c,d,e\n1,2.0,\"x,y\",,hi\n");
}

#[test]
fn file_database_persists() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("t.db");
    let url = format!("sqlite:{}", db.display());
    let o = rdsql(&[
        "query",
        &url,
        "-c",
        "create table t(id integer primary key, name text); insert into t(name) values ('a'), ('b')",
    ]);
    o.ok();
    assert_eq!(o.stdout, "0 rows affected\n2 rows affected\n");
    let o = rdsql(&[
        "query",
        &url,
        "--format",
        "json",
        "-c",
        "select * from t order by id",
    ]);
    assert_eq!(
        o.ok().stdout,
        "[\n{\"id\":1,\"name\":\"a\"},\n{\"id\":2,\"name\":\"b\"}\n]\n"
    );
    rdsql(&["query", &url, "-c", "select * from missing"]).fails(3, "no such table: missing");
}

#[test]
fn bad_urls_exit_1_and_quote_the_bad_part() {
    let o = rdsql(&[
        "query",
        "postgres://me:hunter2@db:70000/x",
        "-c",
        "select 1",
    ]);
    o.fails(1, "\"70000\"");
    assert!(!o.stderr.contains("hunter2"), "{}", o.stderr);
    rdsql(&["query", "oracle://x", "-c", "select 1"]).fails(1, "\"oracle\"");
    rdsql(&[
        "query",
        "postgres://h/db?sslmode=sometimes",
        "-c",
        "select 1",
    ])
    .fails(1, "sslmode=sometimes");
    rdsql(&["query", "postgres://[::1/db", "-c", "select 1"]).fails(1, "IPv6");
    rdsql(&["query", "-c", "select 1"]).fails(1, "no database to connect to");
    rdsql(&[
        "query",
        "postgres://h/db",
        "--sslmode",
        "nah",
        "-c",
        "select 1",
    ])
    .fails(1, "--sslmode");
    rdsql(&[
        "query",
        "postgres://h/db?auth=iam-keys&sslmode=disable",
        "-c",
        "select 1",
    ])
    .fails(1, "never travels without TLS");
}

#[test]
fn refused_and_timed_out_connections_exit_2_with_hints() {
    let (listener, port) = silent_listener();
    drop(listener);
    let u = format!("postgres://u:pw@127.0.0.1:{port}/db");
    let o = rdsql(&["query", &u, "-c", "select 1"]);
    o.fails(2, "connection refused");
    assert!(o.stderr.contains("security group"), "{}", o.stderr);
    assert!(
        o.stderr.contains(&format!("127.0.0.1:{port}")),
        "{}",
        o.stderr
    );

    let (_listener, port) = silent_listener();
    for scheme in ["postgres", "mysql"] {
        let u = format!("{scheme}://u:pw@127.0.0.1:{port}/db");
        let started = std::time::Instant::now();
        let o = rdsql(&["query", &u, "--connect-timeout", "1", "-c", "select 1"]);
        o.fails(2, "timed out after 1 s");
        assert!(
            started.elapsed() < std::time::Duration::from_secs(8),
            "the timeout held"
        );
        assert!(o.stderr.contains("publicly accessible"), "{}", o.stderr);
    }
}

#[test]
fn sigint_stops_a_runaway_sqlite_query() {
    // No server to cancel on: SIGINT keeps its default and ends rdsql.
    let (o, took) = rdsql_signalled(
        &[
            "query",
            "sqlite::memory:",
            "-c",
            "with recursive r(n) as (select 1 union all select n + 1 from r) select count(*) from r",
        ],
        libc::SIGINT,
        std::time::Duration::from_millis(800),
    );
    assert_ne!(o.code, 0);
    assert!(took < std::time::Duration::from_secs(2), "{took:?}");
}

#[test]
fn json_keeps_types_that_jq_can_use() {
    let o = rdsql(&[
        "query",
        "sqlite::memory:",
        "--format",
        "ndjson",
        "-c",
        "select 1 as i, 2.5 as r, 'a' as t, x'00ff' as b, null as z, 1 + 1 as e",
    ]);
    let out = o.ok().stdout.clone();
    assert_eq!(
        out,
        "{\"i\":1,\"r\":2.5,\"t\":\"a\",\"b\":\"\\\\x00ff\",\"z\":null,\"e\":2}\n"
    );
    assert_eq!(crate::postgres::jq(".r * 2", &out), "5");
}
