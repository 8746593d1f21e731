//! The interactive shell driven through a pseudo-terminal against real
//! PostgreSQL, MariaDB and SQLite.

use crate::harness::*;
use rdsql_testkit::{PgServer, mariadb, postgres};
use rexpect::session::PtySession;
use std::os::unix::fs::PermissionsExt;
use std::time::{Duration, Instant};

struct Term {
    p: PtySession,
    data: tempfile::TempDir,
}

/// The first line of `out` that is a number (an id or pid in a table).
fn first_number(out: &str) -> String {
    out.lines()
        .filter_map(|l| l.trim().parse::<u64>().ok())
        .map(|n| n.to_string())
        .next()
        .expect("a number in the output")
}

impl Term {
    fn start(conn: &str) -> Term {
        Self::start_with(conn, &[])
    }

    fn start_with(conn: &str, env: &[(&str, String)]) -> Term {
        let data = tempfile::tempdir().unwrap();
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_rdsql"));
        cmd.arg(conn)
            .env("RDSQL_DATA_DIR", data.path())
            .env("RDSQL_CONFIG_DIR", data.path().join("config"))
            .env("PAGER", "")
            .env("COLUMNS", "120")
            .env("TERM", "dumb");
        for (k, v) in env {
            cmd.env(k, v);
        }
        for (k, _) in std::env::vars() {
            if k.starts_with("PG") || k.starts_with("MYSQL") || k.starts_with("AWS_") {
                cmd.env_remove(k);
            }
        }
        let mut p =
            rexpect::session::spawn_command(cmd, Some(15_000)).expect("spawn rdsql in a pty");
        p.exp_string("Type \\? for help").expect("banner");
        Term { p, data }
    }

    fn line(&mut self, l: &str) {
        self.p.send(&format!("{l}\r")).unwrap();
        self.p.flush().unwrap();
    }

    #[track_caller]
    fn expect(&mut self, s: &str) -> String {
        match self.p.exp_string(s) {
            Ok(before) => before,
            Err(e) => panic!("expected {s:?}: {e}"),
        }
    }

    fn quit(mut self) -> tempfile::TempDir {
        self.line("\\q");
        self.p.exp_eof().expect("exits on \\q");
        self.data
    }
}

#[test]
fn sqlite_multi_line_and_meta_commands() {
    let mut t = Term::start("sqlite::memory:");
    t.line("create table pets (id integer primary key,");
    t.expect("-> ");
    t.line("  name text not null -- a comment; not the end");
    t.line(");");
    t.expect("0 rows affected");
    t.line("insert into pets(name) values ('cat'), ('dog');");
    t.expect("2 rows affected");
    t.line("select name from pets");
    t.line("order by name desc;");
    t.expect(" dog");
    t.expect("(2 rows)");
    t.line("\\dt");
    t.expect(" pets | table");
    t.line("\\d pets");
    t.expect("Columns of pets:");
    t.expect(" name   | TEXT    | NO");
    t.line("\\d nothing_here");
    t.expect("Did not find any relation named \"nothing_here\"");
    t.line("\\x on");
    t.expect("Expanded display is on.");
    t.line("select * from pets where id = 1;");
    t.expect("-[ RECORD 1 ]");
    t.expect("name | cat");
    t.line("\\x off");
    t.line("\\format csv");
    t.line("select id, name from pets order by id;");
    t.expect("id,name\r\n1,cat\r\n2,dog");
    // \o, \i, \timing
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.csv");
    let script = dir.path().join("script.sql");
    std::fs::write(
        &script,
        "insert into pets(name) values ('eel');\nselect count(*) as n from pets;\n",
    )
    .unwrap();
    t.line(&format!("\\o {}", out.display()));
    t.line("select name from pets where id = 2;");
    t.line("\\o");
    t.line(&format!("\\i {}", script.display()));
    t.expect("n\r\n3");
    t.line("\\timing on");
    t.expect("Timing is on.");
    t.line("select 1 as one;");
    t.expect("Time: ");
    t.line("\\timing off");
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "name\ndog\n");
    t.line("\\bogus");
    t.expect("invalid command \\bogus; try \\? for the list of commands");
    t.line("\\?");
    t.expect("\\conninfo");
    t.quit();
}

#[test]
fn postgres_meta_commands_history_and_conninfo() {
    let pg = postgres();
    pg.psql_db("rdsql", "create table if not exists shell_items (id int primary key, label text unique); grant all on shell_items to public");
    let url = format!(
        "{}?sslmode=verify-full&sslrootcert={}",
        pg.url("rdsql_scram", "localhost"),
        ca()
    );
    let mut t = Term::start(&url);
    t.line("\\l");
    t.expect(" rdsql ");
    t.line("\\dn");
    t.expect(" public");
    t.line("\\dt shell_*");
    t.expect("shell_items | table");
    t.line("\\d shell_items");
    t.expect(" label  | text");
    t.expect("Indexes:");
    t.expect("shell_items_label_key");
    t.expect("Constraints:");
    t.expect("PRIMARY KEY (id)");
    t.line("\\conninfo");
    t.expect("Connected to postgres database \"rdsql\" as user \"rdsql_scram\" on localhost:");
    t.expect("TLS:     TLSv1.3");
    t.expect("server:  15");
    t.line("begin;");
    t.expect("=*> ");
    t.line("rollback;");
    t.line("select 'my password is hunter2' as never_in_history;");
    t.expect("never_in_history");
    t.line("select 'remember me';");
    t.expect("remember me");
    t.line("\\c postgres");
    t.expect("You are now connected to database \"postgres\"");
    t.line("select current_database();");
    t.expect(" postgres");
    let data = t.quit();
    let hist = std::fs::read_dir(data.path().join("history"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let text = std::fs::read_to_string(&hist).unwrap();
    assert!(text.contains("select 'remember me';"), "{text}");
    assert!(
        !text.to_lowercase().contains("password"),
        "password lines are not kept: {text}"
    );
    assert_eq!(
        std::fs::metadata(&hist).unwrap().permissions().mode() & 0o777,
        0o600
    );
}

#[test]
fn mariadb_meta_commands() {
    let m = mariadb();
    m.sql("create table if not exists rdsql.shell_t (id int primary key, v varchar(10), key v_idx (v))");
    let url = format!(
        "{}?sslmode=verify-full&sslrootcert={}",
        m.url("rdsql_native", "127.0.0.1"),
        ca()
    );
    let mut t = Term::start(&url);
    t.line("\\l");
    t.expect(" rdsql ");
    t.line("\\dt shell%");
    t.expect("shell_t | table");
    t.line("\\d shell_t");
    t.expect(" v      | varchar(10)");
    t.expect("v_idx");
    t.expect("PRIMARY KEY");
    t.line("\\conninfo");
    t.expect("Connected to mariadb database \"rdsql\"");
    t.expect("TLSv1.3");
    t.line("select 1 +");
    t.line("1 as two;");
    t.expect(" 2");
    t.quit();
}

fn cancel_within_two_seconds(url: &str, sleep_sql: &str, expected: &str) {
    let mut t = Term::start(url);
    t.line(sleep_sql);
    std::thread::sleep(Duration::from_millis(500));
    let started = Instant::now();
    t.p.send_control('c').unwrap();
    t.expect(expected);
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "cancelled in {:?}",
        started.elapsed()
    );
    // The session is still usable.
    t.line("select 40 + 2 as answer;");
    t.expect(" 42");
    // Idle Ctrl-C only clears the line.
    t.p.send("select 'never run'").unwrap();
    t.p.send_control('c').unwrap();
    t.line("select 'still here' as s;");
    t.expect("still here");
    t.quit();
}

#[test]
fn ctrl_c_cancels_pg_sleep() {
    let url = postgres().url("rdsql_scram", "127.0.0.1");
    cancel_within_two_seconds(
        &url,
        "select pg_sleep(30);",
        "canceling statement due to user request",
    );
}

#[test]
fn ctrl_c_cancels_mariadb_sleep() {
    let url = mariadb().url("rdsql_native", "127.0.0.1");
    // KILL QUERY makes SLEEP() return 1 early (MariaDB) or fail with 1317.
    let mut t = Term::start(&url);
    t.line("select sleep(30) as slept;");
    std::thread::sleep(Duration::from_millis(500));
    let started = Instant::now();
    t.p.send_control('c').unwrap();
    t.expect("Cancel request sent.");
    // MariaDB either interrupts the statement (1317) or ends SLEEP early.
    t.p.exp_regex(r"1317 \(70100\): Query execution was interrupted|\(1 row\)")
        .expect("interrupted");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "cancelled in {:?}",
        started.elapsed()
    );
    t.line("select 40 + 2 as answer;");
    t.expect(" 42");
    t.quit();
}

#[test]
fn reconnects_after_a_server_restart_without_replaying() {
    let pg = PgServer::start_private("pg-restart");
    let url = pg.url("rdsql_scram", "127.0.0.1");
    let mut t = Term::start(&url);
    t.line("create table if not exists visits (n int);");
    t.expect("0 rows affected");
    pg.restart();
    // The next statement reconnects once, says so, and runs.
    t.line("insert into visits values (1);");
    t.expect("reconnected to rdsql_scram@127.0.0.1/rdsql");
    t.expect("1 row affected");
    // A statement running when the connection dies is reported, not replayed.
    t.line("select pg_sleep(3);");
    std::thread::sleep(Duration::from_millis(500));
    pg.restart();
    t.expect("connection to the server was lost");
    t.expect("it was not replayed");
    t.line("select count(*) as visits from visits;");
    t.expect("reconnected");
    t.expect(" 1");
    t.quit();
}

#[test]
fn mariadb_reconnects_after_the_server_drops_the_session() {
    let m = mariadb();
    let url = m.url("rdsql_native", "127.0.0.1");
    let mut t = Term::start(&url);
    t.line("select connection_id() as id;");
    let before = t.expect("(1 row)");
    let id = first_number(&before);
    m.sql(&format!("KILL CONNECTION {id}"));
    t.line("select 'after' as s;");
    t.expect("reconnected");
    t.expect(" after");
    t.quit();
}

#[test]
fn long_results_go_through_the_pager() {
    let mut t = Term::start_with(
        "sqlite::memory:",
        &[("PAGER", "sed s/^/paged:/".into()), ("LINES", "20".into())],
    );
    t.line("with recursive n(i) as (select 1 union all select i + 1 from n where i < 100) select i from n;");
    t.expect("paged: 100");
    t.line("select 'short' as s;");
    t.expect(" short");
    t.quit();
}

#[test]
fn iam_reconnect_signs_a_fresh_token() {
    if !iam_ready() {
        return;
    }
    use rdsql_testkit::iam::*;
    let pg = PgServer::start_private("pg-restart-iam");
    let url = format!(
        "postgres://{IAM_USER}@localhost:{}/rdsql?auth=iam-keys&aws_region={REGION}&sslrootcert={}",
        pg.port,
        ca()
    );
    let env = [
        ("AWS_ACCESS_KEY_ID", STATIC_KEY_ID.to_string()),
        ("AWS_SECRET_ACCESS_KEY", STATIC_SECRET.to_string()),
    ];
    let mut t = Term::start_with(&url, &env);
    t.line("select current_user;");
    t.expect(IAM_USER);
    t.line("\\conninfo");
    t.expect("IAM token age:");
    pg.restart();
    t.line("select 'again' as s;");
    t.expect("reconnected");
    t.expect(" again");
    t.quit();
    let accepted = pg
        .pam
        .attempts()
        .iter()
        .filter(|l| l.starts_with(IAM_USER) && l.contains("accepted"))
        .count();
    assert_eq!(
        accepted,
        2,
        "one token per physical connection: {:?}",
        pg.pam.attempts()
    );
}

#[test]
fn a_lost_transaction_is_reported_and_the_next_statement_not_run() {
    let pg = postgres();
    let url = pg.url("rdsql_scram", "127.0.0.1");
    let mut t = Term::start(&url);
    t.line("create table if not exists lost_txn (n int);");
    t.expect("rows affected");
    // A leading comment does not hide the BEGIN.
    t.line("/* bulk fix */ begin;");
    t.expect("=*>");
    t.line("insert into lost_txn values (7);");
    t.expect("1 row affected");
    t.line("select pg_backend_pid() as pid;");
    let out = t.expect("(1 row)");
    let pid = first_number(&out);
    pg.psql(&format!("select pg_terminate_backend({pid})"));
    // Typed as if still inside the transaction: not run on the new session.
    t.line("insert into lost_txn values (8);");
    t.expect("reconnected to rdsql_scram@127.0.0.1/rdsql");
    t.expect("the open transaction was rolled back by the server");
    t.expect("The statement was not run");
    t.line("select count(*) as n from lost_txn;");
    t.expect(" 0");
    t.expect("(1 row)");
    t.quit();
}

#[test]
fn lost_session_state_is_named_and_the_database_kept() {
    let m = mariadb();
    m.sql("CREATE DATABASE IF NOT EXISTS rdsql_other; GRANT ALL ON rdsql_other.* TO 'rdsql_native'@'%';");
    let url = m.url("rdsql_native", "127.0.0.1");
    let mut t = Term::start(&url);
    t.line("use rdsql_other;");
    t.line("set @answer = 42;");
    t.line("select connection_id() as id;");
    let out = t.expect("(1 row)");
    let id = first_number(&out);
    m.sql(&format!("KILL CONNECTION {id}"));
    t.line("select @answer as a;");
    t.expect("reconnected to rdsql_native@127.0.0.1/rdsql_other");
    t.expect("session state is gone: USE rdsql_other, SET @answer");
    t.expect("The statement was not run");
    // The new session is in the database the old one was last in.
    t.line("select database() as db;");
    t.expect(" rdsql_other");
    t.quit();
}

#[test]
fn include_streams_a_file_and_stops_at_a_lost_connection() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("s.sql");
    std::fs::write(
        &f,
        "select 'first' || 'step' as s;\nselect pg_terminate_backend(pg_backend_pid());\nselect 'third' || 'step' as s;\n",
    )
    .unwrap();
    let mut t = Term::start(&postgres().url("rdsql_scram", "127.0.0.1"));
    t.line(&format!("\\i {}", f.display()));
    t.expect("firststep");
    t.expect("connection to the server was lost");
    let out = t.expect("the rest of the file was not run");
    assert!(!out.contains("thirdstep"), "{out}");
    t.line("select 'after' || 'wards' as s;");
    t.expect("afterwards");
    t.quit();
}

#[test]
fn tab_completes_names_from_the_catalog_and_refreshes_after_ddl() {
    postgres().psql_db(
        "rdsql",
        "drop table if exists sh_compl_t, sh_compl_new; create table sh_compl_t (order_ref int); \
         grant all on sh_compl_t to rdsql_scram",
    );
    let url = format!(
        "{}?sslmode=verify-full&sslrootcert={}",
        postgres().url("rdsql_scram", "127.0.0.1"),
        ca()
    );
    // A terminal that edits lines (dumb terminals get no completion).
    let mut t = Term::start_with(&url, &[("TERM", "xterm".to_string())]);
    // Column and table names complete; so do keywords.
    t.p.send("sel\t order_r\t fro\t sh_compl_\t;\r").unwrap();
    t.p.flush().unwrap();
    // (Had a completion failed, the statement would name no real column
    // or table and fail.)
    t.expect("order_ref");
    t.expect("(0 rows)");
    // A table made in the session is offered after the DDL.
    t.p.send("create table sh_compl_new (fresh_col int);\r")
        .unwrap();
    t.p.flush().unwrap();
    t.expect("0 rows affected");
    t.p.send("select fresh_c\t from sh_compl_ne\t;\r").unwrap();
    t.p.flush().unwrap();
    t.expect("fresh_col");
    t.expect("(0 rows)");
    t.line("\\q");
}

/// A CSV file as PostgreSQL's COPY writes it: NULL unquoted and empty, an
/// empty string `""`, quotes where needed.
fn copy_csv(rows: usize) -> String {
    let mut s = String::from("id,name,note\n");
    for i in 1..=rows {
        let name = match i % 5 {
            0 => "O'Brien".to_string(),
            1 => format!("\"comma, {i}\""),
            2 => format!("\"line\nbreak {i}\""),
            3 => "\"say \"\"hi\"\"\"".to_string(),
            _ => format!("plain{i}"),
        };
        let note = match i % 3 {
            0 => "",
            1 => "\"\"",
            _ => "tab\there \\ back",
        };
        s.push_str(&format!("{i},{name},{note}\n"));
    }
    s
}

#[test]
fn postgres_copy_set_g_and_watch() {
    let pg = postgres();
    pg.psql_db(
        "rdsql",
        "drop table if exists sh_copy, sh_copy2; \
         create table sh_copy (id int primary key, name text, note text); \
         create table sh_copy2 (like sh_copy); \
         grant all on sh_copy, sh_copy2 to rdsql_scram",
    );
    let url = format!(
        "{}?sslmode=verify-full&sslrootcert={}",
        pg.url("rdsql_scram", "127.0.0.1"),
        ca()
    );
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.csv");
    let data = copy_csv(5000);
    std::fs::write(&input, &data).unwrap();
    let mut t = Term::start(&url);

    // CSV in, CSV out: byte for byte what went in.
    t.line(&format!(
        "\\copy sh_copy from '{}' with (format csv, header)",
        input.display()
    ));
    t.expect("COPY 5000");
    let out = dir.path().join("out.csv");
    t.line(&format!(
        "\\copy (select * from sh_copy order by id) to '{}' with (format csv, header)",
        out.display()
    ));
    t.expect("COPY 5000");
    assert_eq!(std::fs::read_to_string(&out).unwrap(), data);

    // Text format out and back in, into another table.
    let tsv = dir.path().join("rows.tsv");
    t.line(&format!("\\copy sh_copy to {}", tsv.display()));
    t.expect("COPY 5000");
    t.line(&format!(
        "\\copy sh_copy2 (id, name, note) from {}",
        tsv.display()
    ));
    t.expect("COPY 5000");
    t.line("select count(*) as differing from (select * from sh_copy except all select * from sh_copy2) d;");
    t.expect(" differing \r\n-----------\r\n         0");

    // A bad row rolls the whole COPY back; a missing file is named.
    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, "9001,a,b\nnot-a-number,c,d\n").unwrap();
    t.line(&format!("\\copy sh_copy from '{}' csv", bad.display()));
    t.expect("invalid input syntax for type integer");
    t.line("\\copy sh_copy from '/nonexistent/file.csv'");
    t.expect("cannot read /nonexistent/file.csv");
    t.line("select count(*) as n from sh_copy;");
    t.expect("5000");
    // A failed \copy to leaves no file behind.
    let never = dir.path().join("never.csv");
    t.line(&format!("\\copy (select 1/0) to '{}'", never.display()));
    t.expect("division by zero");
    assert!(!never.exists());

    // Variables: as they are, as a literal, as an identifier.
    t.line("\\set tbl sh_copy");
    t.line("\\set who 'O''Brien'");
    t.line("\\set lim 3");
    t.line("select count(*) as obriens from :\"tbl\" where name = :'who' and id > :lim;");
    t.expect(" obriens \r\n---------\r\n    1000");
    t.line("select ':who' as quoted, 2::int as cast_kept;");
    t.expect(" :who   |         2");
    t.line("\\echo table :tbl");
    t.expect("table sh_copy");

    // \g FILE: this result only, into the file.
    let g = dir.path().join("g.txt");
    t.line(&format!(
        "select id from :tbl order by id limit 2 \\g {}",
        g.display()
    ));
    t.line("select 'after g' as marker;");
    t.expect("after g");
    assert_eq!(
        std::fs::read_to_string(&g).unwrap(),
        " id \n----\n  1\n  2\n(2 rows)\n\n"
    );

    // \watch repeats until Ctrl-C.
    t.line("select count(*) as watched from sh_copy \\watch 0.3");
    t.expect("(every 0.3s)");
    t.expect("watched");
    t.expect("(every 0.3s)");
    t.expect("(every 0.3s)");
    t.p.send_control('c').unwrap();
    t.line("select 'still here' as s;");
    t.expect("still here");
    t.quit();
}

#[test]
fn edit_runs_the_edited_statement_or_keeps_it_in_the_buffer() {
    let dir = tempfile::tempdir().unwrap();
    let editor = dir.path().join("editor.sh");
    // The "user" changes 41 into 42 and records the file's mode.
    std::fs::write(
        &editor,
        format!(
            "#!/bin/sh\nstat -c %a \"$1\" > {}\nsed -i 's/41/42/' \"$1\"\n",
            dir.path().join("mode").display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&editor, std::fs::Permissions::from_mode(0o755)).unwrap();
    let mut t = Term::start_with(
        "sqlite::memory:",
        &[("EDITOR", editor.display().to_string())],
    );
    // The last statement, edited, runs at once (it ends with ';').
    t.line("select 41 as answer;");
    t.expect(" 41");
    t.line("\\e");
    t.expect("select 42 as answer;");
    t.expect("     42");
    assert_eq!(
        std::fs::read_to_string(dir.path().join("mode"))
            .unwrap()
            .trim(),
        "600"
    );
    // An unfinished buffer comes back unfinished: the next line ends it.
    t.line("select 41 + 1000");
    t.line("\\e");
    t.expect("select 42 + 1000");
    t.line("as total;");
    t.expect("1042");
    // \p shows it; \r clears it.
    t.line("select 'pending'");
    t.line("\\p");
    t.expect("select 'pending'");
    t.line("\\r");
    t.expect("Query buffer reset");
    t.line("select 'fresh' as f;");
    t.expect("fresh");
    t.quit();
}

#[test]
fn mariadb_copy_loads_only_the_named_file() {
    let m = mariadb();
    m.sql(
        "drop table if exists rdsql.sh_copy, rdsql.sh_copy2; \
         create table rdsql.sh_copy (id int primary key, name varchar(50), note text); \
         create table rdsql.sh_copy2 like rdsql.sh_copy",
    );
    let url = format!(
        "{}?sslmode=verify-full&sslrootcert={}",
        m.url("rdsql_native", "127.0.0.1"),
        ca()
    );
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.tsv");
    // COPY text format: tab-separated, \N for NULL, backslash escapes.
    let mut data = String::new();
    for i in 1..=2000 {
        let note = match i % 3 {
            0 => "\\N".to_string(),
            1 => "tab\\there\\nnewline \\\\ back".to_string(),
            _ => String::new(),
        };
        data.push_str(&format!("{i}\tname {i}\t{note}\n"));
    }
    std::fs::write(&input, &data).unwrap();
    let mut t = Term::start(&url);
    t.line(&format!("\\copy sh_copy from '{}'", input.display()));
    t.expect("COPY 2000");
    let out = dir.path().join("out.tsv");
    t.line(&format!(
        "\\copy (select * from sh_copy order by id) to '{}'",
        out.display()
    ));
    t.expect("COPY 2000");
    assert_eq!(std::fs::read_to_string(&out).unwrap(), data);
    t.line("select count(*) as nulls from sh_copy where note is null;");
    t.expect("666");
    // CSV with a header, into a column list.
    let csv = dir.path().join("in.csv");
    std::fs::write(&csv, "id,name\n1,\"a, \"\"quoted\"\" name\"\n2,b\n").unwrap();
    t.line(&format!(
        "\\copy sh_copy2 (id, name) from '{}' with (format csv, header)",
        csv.display()
    ));
    t.expect("COPY 2");
    t.line("select name from sh_copy2 where id = 1;");
    t.expect("a, \"quoted\" name");
    // A LOAD DATA LOCAL the user typed as SQL gets no file: only \copy
    // answers the server's file request, and only with the named file.
    t.line("load data local infile '/etc/hostname' into table sh_copy2;");
    t.expect("the server asked for a local file (LOAD DATA LOCAL INFILE) and was refused");
    t.line("select count(*) as n from sh_copy2;");
    t.expect(" 2");
    t.quit();
}
