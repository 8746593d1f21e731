//! The `rdsql ui` workspace over HTTP against the real servers: results
//! stream with back-pressure (a paused page holds the server, nothing
//! buffers a whole result), export is byte-identical to `rdsql query
//! --format`, the catalog names keys and indexes, history and tabs are
//! private and survive a restart.

use crate::harness::*;
use crate::ui::{Ui, pg_password_form};
use rdsql_testkit::{PASSWORD, mariadb, postgres};
use serde_json::{Value, json};
use std::io::{Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::time::{Duration, Instant};

fn my_form() -> Value {
    json!({
        "engine": "mariadb", "host": "localhost", "port": mariadb().port.to_string(),
        "user": "rdsql_native", "dbname": "rdsql", "auth": "password", "password": PASSWORD,
    })
}

fn pg_cli_url() -> String {
    format!(
        "{}?sslmode=verify-full&sslrootcert={}",
        postgres().url("rdsql_scram", "127.0.0.1"),
        ca()
    )
}

fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap()
}

#[test]
fn results_stream_and_a_paused_reader_holds_the_server_back() {
    let ui = Ui::start(&[]);
    let id = ui.session(&pg_password_form());

    // Column types come with the result.
    let out = ui
        .post(
            "/api/query",
            &json!({ "session": id, "sql": "select 1::int4 as a, 'x'::text as b, null::numeric as c" }),
        )
        .json();
    let rs = &out["output"]["results"][0];
    assert_eq!(rs["types"], json!(["int4", "text", "numeric"]), "{out}");
    assert_eq!(rs["rows"][0], json!(["1", "x", null]));

    // A million rows, read only as far as the first ones.
    let sql =
        "select g as ws_stream_marker, repeat('x', 100) as pad from generate_series(1, 1000000) g";
    let mut s = std::net::TcpStream::connect(("127.0.0.1", ui.port)).unwrap();
    let body = json!({ "session": id, "sql": sql }).to_string();
    let (k, v) = ("Cookie", ui.cookie.clone());
    write!(
        s,
        "POST /api/query HTTP/1.1\r\nHost: 127.0.0.1:{p}\r\nOrigin: http://127.0.0.1:{p}\r\n{k}: {v}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len(),
        p = ui.port
    )
    .unwrap();
    let started = Instant::now();
    let mut seen = Vec::new();
    let mut buf = [0u8; 8192];
    while !String::from_utf8_lossy(&seen).contains("{\"rows\":[[\"1\"") {
        let n = s.read(&mut buf).unwrap();
        assert!(
            n > 0,
            "the stream ended early: {}",
            String::from_utf8_lossy(&seen)
        );
        seen.extend_from_slice(&buf[..n]);
    }
    let first = started.elapsed();
    assert!(first < Duration::from_secs(5), "first rows after {first:?}");
    // The page stops reading: the statement waits on its client instead
    // of being buffered anywhere.
    std::thread::sleep(Duration::from_millis(1500));
    let state = postgres().psql(
        "select state || ':' || coalesce(wait_event, '') from pg_stat_activity where query like '%ws_stream_marker%' and pid <> pg_backend_pid()",
    );
    assert_eq!(state.trim(), "active:ClientWrite");
    let rss = rss_kib(ui.pid());
    assert!(
        rss < 100 * 1024,
        "rdsql ui holds {rss} KiB with a paused result"
    );

    // Letting go cancels it; the session serves the next statement.
    drop(s);
    let t = Instant::now();
    let next = ui
        .post(
            "/api/query",
            &json!({ "session": id, "sql": "select 'next' as n" }),
        )
        .json();
    assert_eq!(next["output"]["results"][0]["rows"][0][0], "next", "{next}");
    assert!(t.elapsed() < Duration::from_secs(10), "{:?}", t.elapsed());
    let left = postgres().psql(
        "select count(*) from pg_stat_activity where query like '%ws_stream_marker%' and state = 'active' and pid <> pg_backend_pid()",
    );
    assert_eq!(left.trim(), "0");
}

#[test]
fn export_is_byte_identical_to_rdsql_query_on_both_engines() {
    let ui = Ui::start(&[]);
    let pg_sql = "select g as n, case when g % 3 = 0 then null else 'v,\"' || g || E'\\n\\t\\\\' end as s, 'é' as u, ''::text as e \
                  from generate_series(1, 3000) g; select 'second' as r";
    let my_sql = "select seq as n, if(seq % 3 = 0, null, concat('v,\"', seq, '\\n\\t\\\\')) as s, 'é' as u, '' as e \
                  from seq_1_to_3000; select 'second' as r";
    let cases = [
        (pg_password_form(), pg_cli_url(), pg_sql),
        (
            my_form(),
            mariadb().url("rdsql_native", "localhost"),
            my_sql,
        ),
    ];
    for (form, cli_url, sql) in cases {
        let id = ui.session(&form);
        for format in ["csv", "tsv", "json", "ndjson"] {
            let r = ui.post(
                "/api/export",
                &json!({ "session": id, "sql": sql, "format": format }),
            );
            assert_eq!(r.status, 200, "{}", r.body);
            let url = r.json()["url"].as_str().unwrap().to_string();
            let got = ui.get(&url);
            assert_eq!(got.status, 200, "{}", got.body);
            assert!(
                got.header("content-disposition")
                    .unwrap()
                    .starts_with("attachment"),
            );
            let cli = rdsql(&["query", &cli_url, "--format", format, "-c", sql]);
            cli.ok();
            assert!(cli.raw_stdout.len() > 100_000 || format == "csv" || format == "tsv");
            assert!(
                got.bytes == cli.raw_stdout,
                "{format}: export differs from rdsql query ({} vs {} bytes): {:?} vs {:?}",
                got.bytes.len(),
                cli.raw_stdout.len(),
                String::from_utf8_lossy(&got.bytes[..200.min(got.bytes.len())]),
                String::from_utf8_lossy(&cli.raw_stdout[..200.min(cli.raw_stdout.len())])
            );
            // One download per export; the page is told it ran again.
            assert_eq!(ui.get(&url).status, 410);
            let st = ui.get(&format!("{url}/status")).json();
            assert_eq!(st["export"]["state"], "done", "{st}");
            assert_eq!(st["export"]["rows"], 3001, "{st}");
        }
        // A failing statement: the status says why.
        let r = ui.post(
            "/api/export",
            &json!({ "session": id, "sql": "select * from no_such_export_table", "format": "csv" }),
        );
        let url = r.json()["url"].as_str().unwrap().to_string();
        ui.get(&url);
        let st = ui.get(&format!("{url}/status")).json();
        assert_eq!(st["export"]["state"], "failed", "{st}");
        assert!(
            st["export"]["error"]["headline"]
                .as_str()
                .unwrap()
                .contains("no_such_export_table"),
            "{st}"
        );
        // Table is no export format.
        let bad = ui.post(
            "/api/export",
            &json!({ "session": id, "sql": "select 1", "format": "table" }),
        );
        assert_eq!(bad.status, 400);
    }
}

#[test]
fn the_catalog_names_columns_keys_indexes_and_views() {
    postgres().psql_db(
        "rdsql",
        "drop view if exists ws_cat_v; drop table if exists ws_cat_items, ws_cat_orders; \
         create table ws_cat_orders (order_id int primary key, customer_note text not null default 'none'); \
         create table ws_cat_items (item_id serial primary key, order_id int references ws_cat_orders (order_id)); \
         create index ws_cat_items_order on ws_cat_items (order_id); \
         create view ws_cat_v as select 1 as one; \
         grant select on ws_cat_orders, ws_cat_items, ws_cat_v to public",
    );
    mariadb().sql(
        "drop view if exists rdsql.ws_cat_v; drop table if exists rdsql.ws_cat_items, rdsql.ws_cat_orders; \
         create table rdsql.ws_cat_orders (order_id int primary key, customer_note varchar(40) not null default 'none'); \
         create table rdsql.ws_cat_items (item_id int auto_increment primary key, order_id int, \
           foreign key (order_id) references rdsql.ws_cat_orders (order_id), index ws_cat_items_order (order_id)); \
         create view rdsql.ws_cat_v as select 1 as one; \
         grant select on rdsql.* to rdsql_native",
    );
    let ui = Ui::start(&[]);
    for (form, schema) in [(pg_password_form(), "public"), (my_form(), "rdsql")] {
        let id = ui.session(&form);
        let cat = ui.post("/api/catalog", &json!({ "session": id })).json();
        let s = cat["schemas"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["name"] == schema)
            .unwrap_or_else(|| panic!("no schema {schema}: {cat}"));
        let obj = |name: &str| {
            s["objects"]
                .as_array()
                .unwrap()
                .iter()
                .find(|o| o["name"] == name)
                .unwrap_or_else(|| panic!("no {name}: {s}"))
                .clone()
        };
        let orders = obj("ws_cat_orders");
        assert_eq!(orders["kind"], "table");
        let cols = orders["columns"].as_array().unwrap();
        assert_eq!(cols[0]["name"], "order_id");
        assert_eq!(cols[0]["pk"], true);
        assert_eq!(cols[1]["name"], "customer_note");
        assert_eq!(cols[1]["nullable"], false);
        assert!(
            cols[1]["default"].as_str().unwrap().contains("none"),
            "{orders}"
        );
        let items = obj("ws_cat_items");
        let fk = &items["foreign_keys"][0];
        assert_eq!(fk["columns"], "order_id", "{items}");
        assert!(
            fk["references"]
                .as_str()
                .unwrap()
                .contains("ws_cat_orders (order_id)"),
            "{items}"
        );
        assert!(
            items["indexes"]
                .as_array()
                .unwrap()
                .iter()
                .any(|i| i["name"] == "ws_cat_items_order"),
            "{items}"
        );
        assert_eq!(obj("ws_cat_v")["kind"], "view");
    }
}

#[test]
fn history_is_private_searchable_survives_a_restart_and_skips_passwords() {
    let data = tempfile::tempdir().unwrap();
    let env = [("RDSQL_DATA_DIR", data.path().display().to_string())];
    let ui = Ui::start(&env);
    let id = ui.session(&pg_password_form());
    for sql in [
        "select 'ws_hist_marker' as m",
        "select 'my password is Zq7Xk' as p",
        "select * from ws_no_such_hist_table",
    ] {
        ui.post("/api/query", &json!({ "session": id, "sql": sql }));
    }
    let (code, _) = ui.stop();
    assert_eq!(code, 0);

    let ui = Ui::start(&env);
    let id = ui.session(&pg_password_form());
    let all = ui
        .post("/api/history", &json!({ "session": id, "q": "" }))
        .json();
    let entries = all["entries"].as_array().unwrap();
    let sqls: Vec<&str> = entries.iter().map(|e| e["sql"].as_str().unwrap()).collect();
    assert_eq!(
        sqls,
        [
            "select * from ws_no_such_hist_table",
            "select 'ws_hist_marker' as m"
        ],
        "newest first, no password"
    );
    assert_eq!(entries[0]["ok"], false);
    let found = ui
        .post(
            "/api/history",
            &json!({ "session": id, "q": "HIST_MARKER" }),
        )
        .json();
    assert_eq!(found["entries"].as_array().unwrap().len(), 1, "{found}");
    let dir = data.path().join("ui/history");
    for f in std::fs::read_dir(&dir).unwrap() {
        let f = f.unwrap().path();
        let mode = std::fs::metadata(&f).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{}", f.display());
        assert!(!std::fs::read_to_string(&f).unwrap().contains("Zq7Xk"));
    }
}

#[test]
fn tabs_are_kept_privately_across_restarts_and_a_broken_file_is_reported() {
    let data = tempfile::tempdir().unwrap();
    let env = [("RDSQL_DATA_DIR", data.path().display().to_string())];
    let ws = json!({
        "version": 1,
        "connections": { "prod": { "tabs": [
            { "title": "Orders", "sql": "select * from orders" },
            { "title": "Query 2", "sql": "select 2" },
        ], "active": 1 } },
        "settings": { "cap": 50000, "theme": "dark" },
    });
    let ui = Ui::start(&env);
    assert_eq!(ui.post("/api/workspace/save", &ws).status, 200);
    ui.stop();
    let ui = Ui::start(&env);
    assert_eq!(ui.get("/api/workspace").json()["workspace"], ws);
    let file = data.path().join("ui/workspace.json");
    let mode = std::fs::metadata(&file).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    std::fs::write(&file, "{").unwrap();
    let r = ui.get("/api/workspace");
    assert_eq!(r.status, 400);
    assert!(r.body.contains("not valid JSON"), "{}", r.body);
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        "{",
        "left as it was"
    );
}

#[test]
fn statements_under_the_cursor_come_from_the_cli_splitter() {
    let ui = Ui::start(&[]);
    let id = ui.session(&pg_password_form());
    let sql = "select ';' as a;\n-- é\nselect 2;\ncreate function f() returns int begin atomic; select 1; end;";
    let r = ui
        .post("/api/split", &json!({ "session": id, "sql": sql }))
        .json();
    let units: Vec<u16> = sql.encode_utf16().collect();
    let got: Vec<String> = r["statements"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            let (a, b) = (
                g[0].as_u64().unwrap() as usize,
                g[1].as_u64().unwrap() as usize,
            );
            String::from_utf16(&units[a..b]).unwrap()
        })
        .collect();
    assert_eq!(got.len(), 3, "{got:?}");
    assert_eq!(got[0], "select ';' as a");
    assert!(got[1].ends_with("select 2"), "{got:?}");
    assert!(got[2].contains("begin atomic; select 1; end"), "{got:?}");
}
