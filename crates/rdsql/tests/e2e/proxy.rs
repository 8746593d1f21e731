//! `rdsql proxy` with real clients (psql, pgbench, rdsql) against the real
//! PostgreSQL server: password (SCRAM) and IAM (tokens checked through PAM
//! by the independent verifier) connections, cancel through the proxy,
//! --max-connections, SIGTERM drain, a client killed mid-query, errors with
//! hints, health and metrics.

use crate::harness::*;
use crate::iam::static_env;
use rdsql_testkit::iam::*;
use rdsql_testkit::postgres::pg_bin;
use rdsql_testkit::{PASSWORD, mariadb, postgres};
use std::io::{BufRead, Read};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Proxy {
    child: Child,
    /// The TCP port of each CONN, in order.
    pub ports: Vec<u16>,
    pub health: Option<u16>,
    stderr: std::sync::Arc<std::sync::Mutex<String>>,
}

impl Proxy {
    pub fn start(conns: &[String], args: &[&str], env: &[(&'static str, String)]) -> Proxy {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_rdsql"));
        cmd.arg("proxy")
            .args(conns)
            .args(["--port", "0"])
            .args(args);
        for (k, _) in std::env::vars() {
            if k.starts_with("PG") || k.starts_with("AWS_") || k.starts_with("RDSQL") {
                cmd.env_remove(k);
            }
        }
        let cfg = std::env::temp_dir();
        cmd.env("RDSQL_CONFIG_DIR", cfg.join("rdsql-proxy-test-none"))
            .env("USER", "nobody-in-particular");
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("spawn rdsql proxy");
        let stderr = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
        {
            let mut e = child.stderr.take().unwrap();
            let sink = stderr.clone();
            std::thread::spawn(move || {
                let mut buf = [0u8; 4096];
                while let Ok(n) = e.read(&mut buf) {
                    if n == 0 {
                        break;
                    }
                    sink.lock()
                        .unwrap()
                        .push_str(&String::from_utf8_lossy(&buf[..n]));
                }
            });
        }
        let mut out = std::io::BufReader::new(child.stdout.take().unwrap());
        let mut ports = vec![];
        let mut health = None;
        let want_health = args.contains(&"--health-port");
        while ports.len() < conns.len() || (want_health && health.is_none()) {
            let mut line = String::new();
            if out.read_line(&mut line).unwrap() == 0 {
                let _ = child.wait();
                panic!("rdsql proxy ended: {}", stderr.lock().unwrap());
            }
            if let Some(h) = line
                .trim()
                .strip_prefix("rdsql proxy: health checks on http://")
            {
                health = Some(h.rsplit(':').next().unwrap().parse().unwrap());
            } else if let Some(addr) = line.trim().rsplit(" on ").next()
                && let Some(p) = addr.strip_prefix("127.0.0.1:")
            {
                ports.push(p.parse().unwrap());
            }
        }
        std::thread::spawn(move || {
            let mut rest = String::new();
            let _ = out.read_to_string(&mut rest);
        });
        Proxy {
            child,
            ports,
            health,
            stderr,
        }
    }

    pub fn log(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    pub fn signal(&self, sig: i32) {
        // SAFETY: kill(2) on our own child.
        unsafe { libc::kill(self.child.id() as i32, sig) };
    }

    pub fn wait(&mut self) -> i32 {
        self.child.wait().unwrap().code().unwrap_or(-1)
    }

    pub fn metrics(&self) -> String {
        http_get(self.health.unwrap(), "/metrics").1
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn http_get(port: u16, path: &str) -> (u16, String) {
    use std::io::Write;
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut all = String::new();
    s.read_to_string(&mut all).unwrap();
    let status = all
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    (
        status,
        all.split_once("\r\n\r\n")
            .map(|x| x.1.to_string())
            .unwrap_or_default(),
    )
}

fn metric(text: &str, name: &str) -> u64 {
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("{name} ")))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no {name} in {text}"))
}

/// psql through the proxy (plaintext on loopback, no password).
pub fn psql(port: u16, db: &str, sql: &str) -> std::process::Output {
    Command::new(pg_bin().join("psql"))
        .args([
            "-X",
            "-A",
            "-t",
            "-h",
            "127.0.0.1",
            "-p",
            &port.to_string(),
            "-U",
            "whoever",
            "-d",
            db,
            "-c",
            sql,
        ])
        .env_remove("PGPASSWORD")
        .env("PGCONNECT_TIMEOUT", "20")
        .output()
        .unwrap()
}

fn password_conn() -> String {
    format!(
        "{}?sslmode=verify-full&sslrootcert={}",
        postgres().url("rdsql_scram", "127.0.0.1"),
        ca()
    )
}

fn iam_conn() -> String {
    format!(
        "postgres://{IAM_USER}@localhost:{}/rdsql?sslrootcert={}&auth=iam-keys&aws_region={REGION}",
        postgres().port,
        ca()
    )
}

#[test]
fn psql_and_rdsql_reach_password_and_iam_connections_through_the_proxy() {
    if !iam_ready() {
        return;
    }
    let p = Proxy::start(
        &[password_conn(), iam_conn()],
        &["--health-port", "0"],
        &static_env(),
    );
    let (pw, iam) = (p.ports[0], p.ports[1]);
    let o = psql(
        pw,
        "rdsql",
        "select current_user, ssl from pg_stat_ssl where pid = pg_backend_pid()",
    );
    assert_eq!(
        String::from_utf8_lossy(&o.stdout).trim(),
        "rdsql_scram|t",
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let before = postgres().pam.attempts().len();
    for _ in 0..3 {
        let o = psql(iam, "rdsql", "select current_user");
        assert_eq!(
            String::from_utf8_lossy(&o.stdout).trim(),
            IAM_USER,
            "{}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
    // Each upstream connection logged in with a token the verifier accepted;
    // within the reuse window the proxy signed no new one after its check.
    let accepted = postgres().pam.attempts()[before..]
        .iter()
        .filter(|l| l.starts_with(IAM_USER) && l.contains("accepted"))
        .count();
    assert!(accepted >= 3, "{:?}", postgres().pam.attempts());
    let m = p.metrics();
    assert_eq!(metric(&m, "rdsql_proxy_token_signings_total"), 0, "{m}");
    assert_eq!(metric(&m, "rdsql_proxy_connections_total"), 4, "{m}");
    assert!(metric(&m, "rdsql_proxy_bytes_to_clients_total") > 0);
    // rdsql itself as a client: no password, TLS off on loopback.
    let o = rdsql(&[
        "query",
        &format!("postgres://someone@127.0.0.1:{iam}/rdsql?sslmode=disable"),
        "--format",
        "csv",
        "-c",
        "select current_user",
    ]);
    assert_eq!(o.ok().stdout, format!("current_user\n{IAM_USER}\n"));
    // Health endpoints.
    let h = p.health.unwrap();
    assert_eq!(http_get(h, "/startup").0, 200);
    assert_eq!(http_get(h, "/liveness").0, 200);
    assert_eq!(http_get(h, "/readiness").0, 200);
    // Logs: one line per connection opened and closed, never a secret.
    let log = p.log();
    assert!(
        log.contains("opened") && log.contains("closed after"),
        "{log}"
    );
    for secret in [PASSWORD, STATIC_SECRET, "X-Amz-Signature"] {
        assert!(!log.contains(secret), "the log holds a secret: {log}");
    }
}

#[test]
fn pgbench_runs_through_the_proxy() {
    let p = Proxy::start(&[password_conn()], &[], &[]);
    let port = p.ports[0].to_string();
    let pgbench = |args: &[&str]| {
        Command::new(pg_bin().join("pgbench"))
            .args(["-h", "127.0.0.1", "-p", &port, "-U", "whoever"])
            .args(args)
            .arg("rdsql")
            .output()
            .unwrap()
    };
    let init = pgbench(&["-i", "-s", "1", "-q"]);
    assert!(
        init.status.success(),
        "{}",
        String::from_utf8_lossy(&init.stderr)
    );
    let run = pgbench(&["-c", "4", "-j", "2", "-t", "50", "-S"]);
    let out = String::from_utf8_lossy(&run.stdout);
    assert!(
        run.status.success(),
        "{out}{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert!(
        out.contains("number of transactions actually processed: 200/200"),
        "{out}"
    );
    // A new connection per transaction: startup, TLS and login each time.
    let run = pgbench(&["-c", "2", "-t", "20", "-S", "-C"]);
    let out = String::from_utf8_lossy(&run.stdout);
    assert!(
        out.contains("number of transactions actually processed: 40/40"),
        "{out}"
    );
}

#[test]
fn psql_ctrl_c_cancels_through_the_proxy() {
    let p = Proxy::start(&[password_conn()], &[], &[]);
    let mut cmd = Command::new(pg_bin().join("psql"));
    cmd.args([
        "-X",
        "-P",
        "pager=off",
        "-h",
        "127.0.0.1",
        "-p",
        &p.ports[0].to_string(),
        "-U",
        "whoever",
        "rdsql",
    ])
    .env("TERM", "dumb");
    let mut s = rexpect::session::spawn_command(cmd, Some(15_000)).expect("psql in a pty");
    s.exp_string("rdsql=>").expect("the psql prompt");
    s.send_line("select pg_sleep(30);").unwrap();
    std::thread::sleep(Duration::from_millis(1000));
    let t = Instant::now();
    s.send_control('c').unwrap();
    s.exp_string("canceling statement due to user request")
        .expect("the cancel");
    assert!(t.elapsed() < Duration::from_secs(2), "{:?}", t.elapsed());
    s.send_line("select 'after' || 'cancel';").unwrap();
    s.exp_string("aftercancel").expect("the session goes on");
}

#[test]
fn max_connections_refuses_with_a_protocol_error_and_sigterm_drains() {
    let mut p = Proxy::start(
        &[password_conn()],
        &["--max-connections", "2", "--max-sigterm-delay", "20"],
        &[],
    );
    let port = p.ports[0];
    let spawn = |sql: &str| {
        Command::new(pg_bin().join("psql"))
            .args([
                "-X",
                "-A",
                "-t",
                "-h",
                "127.0.0.1",
                "-p",
                &port.to_string(),
                "-U",
                "w",
                "-d",
                "rdsql",
                "-c",
                sql,
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let a = spawn("select pg_sleep(3), 'a_done'");
    let b = spawn("select pg_sleep(3), 'b_done'");
    std::thread::sleep(Duration::from_millis(1000));
    let o = psql(port, "rdsql", "select 1");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        !o.status.success() && err.contains("too many connections"),
        "{err}"
    );
    // SIGTERM: no new clients, the two running finish, then exit 0.
    p.signal(libc::SIGTERM);
    std::thread::sleep(Duration::from_millis(300));
    let refused = psql(port, "rdsql", "select 1");
    assert!(!refused.status.success());
    for (c, want) in [(a, "a_done"), (b, "b_done")] {
        let o = c.wait_with_output().unwrap();
        assert!(
            String::from_utf8_lossy(&o.stdout).contains(want),
            "{}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
    assert_eq!(p.wait(), 0, "{}", p.log());
}

/// psql running `sql` as user w in the background, its output dropped.
fn background_psql(port: u16, sql: &str) -> std::process::Child {
    Command::new(pg_bin().join("psql"))
        .args([
            "-X",
            "-h",
            "127.0.0.1",
            "-p",
            &port.to_string(),
            "-U",
            "w",
            "-d",
            "rdsql",
            "-c",
            sql,
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

/// A second signal during the drain stops the proxy at once.
#[test]
fn a_second_signal_during_the_drain_exits_at_once() {
    let mut p = Proxy::start(&[password_conn()], &["--max-sigterm-delay", "60"], &[]);
    let port = p.ports[0];
    let mut c = background_psql(port, "select pg_sleep(30)");
    std::thread::sleep(Duration::from_millis(1000));
    p.signal(libc::SIGTERM);
    std::thread::sleep(Duration::from_millis(500));
    let started = std::time::Instant::now();
    p.signal(libc::SIGINT);
    assert_eq!(p.wait(), 0, "{}", p.log());
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    for _ in 0..40 {
        if p.log().contains("SIGINT again") {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(p.log().contains("SIGINT again"), "{}", p.log());
    let _ = c.kill();
    let _ = c.wait();
}

#[test]
fn upstream_errors_reach_the_client_and_a_killed_client_closes_its_upstream() {
    let p = Proxy::start(&[password_conn()], &["--health-port", "0"], &[]);
    let port = p.ports[0];
    let o = psql(port, "no_such_db_proxy", "select 1");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("database \"no_such_db_proxy\" does not exist"),
        "{err}"
    );
    // A client killed mid-query: the proxy lets go of its upstream.
    let mut c = background_psql(port, "select pg_sleep(20)");
    std::thread::sleep(Duration::from_millis(800));
    assert_eq!(metric(&p.metrics(), "rdsql_proxy_open_connections"), 1);
    c.kill().unwrap();
    c.wait().unwrap();
    let t = Instant::now();
    while metric(&p.metrics(), "rdsql_proxy_open_connections") != 0 {
        assert!(
            t.elapsed() < Duration::from_secs(5),
            "the session stayed open"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn a_misconfigured_connection_fails_at_start_with_hints() {
    // Wrong password: the check at start fails before any port is opened.
    let bad = format!(
        "postgres://rdsql_scram:Wr0ngPa55@127.0.0.1:{}/rdsql?sslmode=verify-full&sslrootcert={}",
        postgres().port,
        ca()
    );
    let o = rdsql(&["proxy", &bad, "--port", "0"]);
    o.fails(2, "password authentication failed");
    assert!(!o.stderr.contains("Wr0ngPa55"), "{}", o.stderr);
    // An unreachable server: refused at start, with the CLI's hints.
    let (_l, port) = silent_listener();
    drop(_l);
    let o = rdsql(&[
        "proxy",
        &format!("mariadb://u:p@127.0.0.1:{port}/db"),
        "--port",
        "0",
    ]);
    o.fails(2, "refused");
}

fn my_password_conn() -> String {
    format!(
        "{}?sslrootcert={}&sslmode=verify-full",
        mariadb().url("rdsql_native", "localhost"),
        ca()
    )
}

fn my_iam_conn() -> String {
    format!(
        "mariadb://{IAM_USER}@localhost:{}/rdsql?sslrootcert={}&auth=iam-keys&aws_region={REGION}",
        mariadb().port,
        ca()
    )
}

fn mariadb_client(port: u16, sql: &str) -> std::process::Output {
    Command::new("mariadb")
        .args([
            "--no-defaults",
            "--skip-ssl",
            "-h",
            "127.0.0.1",
            "-P",
            &port.to_string(),
            "-u",
            "whoever",
            "-N",
            "-B",
            "-e",
            sql,
            "rdsql",
        ])
        .output()
        .unwrap()
}

#[test]
fn the_mariadb_client_reaches_password_and_iam_connections_through_the_proxy() {
    if !iam_ready() {
        return;
    }
    let p = Proxy::start(&[my_password_conn(), my_iam_conn()], &[], &static_env());
    for (port, want) in [
        (p.ports[0], "rdsql_native@%"),
        (p.ports[1], &format!("{IAM_USER}@%") as &str),
    ] {
        // Upstream is TLS (the client leg is plain loopback).
        let o = mariadb_client(
            port,
            "select current_user(), (select variable_value from information_schema.session_status where variable_name = 'Ssl_cipher') <> ''",
        );
        assert_eq!(
            String::from_utf8_lossy(&o.stdout).trim(),
            format!("{want}\t1"),
            "{}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
    // rdsql itself through the proxy, with a multi-statement batch.
    let o = rdsql(&[
        "query",
        &format!("mariadb://x@127.0.0.1:{}/rdsql?sslmode=disable", p.ports[1]),
        "--format",
        "csv",
        "-c",
        "select 1 as a; select 'two' as b",
    ]);
    assert_eq!(o.ok().stdout, "a\n1\nb\ntwo\n");
    assert!(!p.log().contains(STATIC_SECRET));
}

#[test]
fn kill_query_from_a_second_mariadb_client_and_change_user_is_refused() {
    let p = Proxy::start(&[my_password_conn()], &[], &[]);
    let port = p.ports[0];
    let sleeper = Command::new("mariadb")
        .args([
            "--no-defaults",
            "--skip-ssl",
            "-h",
            "127.0.0.1",
            "-P",
            &port.to_string(),
            "-u",
            "w",
            "-N",
            "-B",
            "-e",
            "select 'proxy_sleep_marker', sleep(30)",
            "rdsql",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(1000));
    let id = String::from_utf8_lossy(
        &mariadb_client(port, "select id from information_schema.processlist where info like 'select %proxy_sleep_marker%' and info not like '%processlist%'").stdout,
    )
    .trim()
    .to_string();
    assert!(!id.is_empty());
    let t = Instant::now();
    let k = mariadb_client(port, &format!("kill query {id}"));
    assert!(k.status.success(), "{}", String::from_utf8_lossy(&k.stderr));
    let o = sleeper.wait_with_output().unwrap();
    assert!(t.elapsed() < Duration::from_secs(2), "{:?}", t.elapsed());
    // An interrupted SLEEP returns 1, or the statement reports the
    // interruption (server versions differ).
    let (out, err) = (
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr),
    );
    assert!(
        out.contains("proxy_sleep_marker\t1") || err.contains("interrupted"),
        "{out}{err}"
    );

    // COM_CHANGE_USER, by hand: greeting, login, then the command.
    use std::io::Write;
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let read = |s: &mut std::net::TcpStream| {
        let mut h = [0u8; 4];
        s.read_exact(&mut h).unwrap();
        let n = h[0] as usize | (h[1] as usize) << 8 | (h[2] as usize) << 16;
        let mut p = vec![0; n];
        s.read_exact(&mut p).unwrap();
        p
    };
    let greeting = read(&mut s);
    assert_eq!(greeting[0], 10);
    let mut r = Vec::new();
    r.extend_from_slice(&(512u32 | 32768 | (1 << 19)).to_le_bytes());
    r.extend_from_slice(&(1u32 << 24).to_le_bytes());
    r.push(45);
    r.extend_from_slice(&[0; 23]);
    r.extend_from_slice(b"anyone\0");
    r.push(0);
    r.extend_from_slice(b"mysql_native_password\0");
    let mut pk = vec![r.len() as u8, 0, 0, 1];
    pk.extend_from_slice(&r);
    s.write_all(&pk).unwrap();
    assert_eq!(read(&mut s)[0], 0, "OK after login");
    s.write_all(&[5, 0, 0, 0, 0x11, b'r', b'o', b'o', b't'])
        .unwrap();
    let e = read(&mut s);
    assert_eq!(e[0], 0xff);
    assert!(String::from_utf8_lossy(&e).contains("COM_CHANGE_USER is not supported"));
}

#[test]
fn two_hundred_clients_at_once_and_an_upstream_restart() {
    // A server of its own: this test raises its connection limit and
    // restarts it.
    let pg = rdsql_testkit::PgServer::start_private("pg-proxy");
    pg.psql("alter system set max_connections = 260");
    pg.restart();
    let conn = format!(
        "{}?sslmode=verify-full&sslrootcert={}",
        pg.url("rdsql_scram", "127.0.0.1"),
        ca()
    );
    let p = Proxy::start(&[conn], &["--health-port", "0"], &[]);
    let port = p.ports[0].to_string();
    let pgbench = |args: &[&str]| {
        Command::new(pg_bin().join("pgbench"))
            .args(["-h", "127.0.0.1", "-p", &port, "-U", "whoever"])
            .args(args)
            .arg("rdsql")
            .output()
            .unwrap()
    };
    let init = pgbench(&["-i", "-s", "1", "-q"]);
    assert!(
        init.status.success(),
        "{}",
        String::from_utf8_lossy(&init.stderr)
    );
    // 200 clients connected at once, each running 5 transactions.
    let run = pgbench(&["-c", "200", "-j", "4", "-t", "5", "-S"]);
    let out = String::from_utf8_lossy(&run.stdout);
    assert!(
        out.contains("number of transactions actually processed: 1000/1000"),
        "{out}{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert_eq!(metric(&p.metrics(), "rdsql_proxy_open_connections"), 0);

    // The upstream restarts under a running statement: that client gets
    // an error, and new clients work afterwards.
    let running = Command::new(pg_bin().join("psql"))
        .args([
            "-X",
            "-h",
            "127.0.0.1",
            "-p",
            &port,
            "-U",
            "w",
            "-d",
            "rdsql",
            "-c",
            "select pg_sleep(10)",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(800));
    pg.restart();
    let o = running.wait_with_output().unwrap();
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("terminat") || err.contains("closed"), "{err}");
    let o = psql(p.ports[0], "rdsql", "select 'after_restart'");
    assert_eq!(
        String::from_utf8_lossy(&o.stdout).trim(),
        "after_restart",
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

#[test]
fn sso_and_iam_profile_connections_through_the_proxy() {
    if !iam_ready() {
        return;
    }
    // SSO (signed in already: the AWS CLI's cache) for PostgreSQL…
    let w = crate::sso::World::new();
    w.write_cli_cache("corp", 3600, 86400, false);
    let (_, pg_sso, _, _) = crate::iam::engines(IAM_USER, "&auth=sso&aws_profile=modern").remove(0);
    // …and an AWS profile (credentials file) for MariaDB.
    let (_, my_profile, _, _) = crate::iam::engines(
        IAM_USER,
        &format!("&auth=iam-profile&aws_profile=keys&aws_region={REGION}"),
    )
    .remove(1);
    let p = Proxy::start(&[pg_sso, my_profile], &[], &w.env());
    let o = psql(p.ports[0], "rdsql", "select current_user");
    assert_eq!(
        String::from_utf8_lossy(&o.stdout).trim(),
        IAM_USER,
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let o = mariadb_client(p.ports[1], "select current_user()");
    assert_eq!(
        String::from_utf8_lossy(&o.stdout).trim(),
        format!("{IAM_USER}@%"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let log = p.log();
    assert!(
        !log.contains(STATIC_SECRET) && !log.contains("X-Amz"),
        "{log}"
    );
}

#[test]
fn a_connection_names_its_own_proxy_port() {
    let (l, fixed) = silent_listener();
    drop(l);
    let conn = format!("{}&proxy_port={fixed}", password_conn());
    let p = Proxy::start(&[conn], &[], &[]);
    assert_eq!(p.ports, vec![fixed]);
    let o = psql(fixed, "rdsql", "select 'fixed_port'");
    assert_eq!(String::from_utf8_lossy(&o.stdout).trim(), "fixed_port");
}

#[test]
fn unix_sockets_and_json_logs() {
    let dir = tempfile::tempdir().unwrap();
    let sock = dir.path().join("s");
    let p = Proxy::start(
        &[password_conn(), my_password_conn()],
        &["--unix-socket", sock.to_str().unwrap(), "--json-logs"],
        &[],
    );
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&sock).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o700);
    // psql finds DIR/.s.PGSQL.PORT by itself.
    let o = Command::new(pg_bin().join("psql"))
        .args([
            "-X",
            "-A",
            "-t",
            "-h",
            sock.to_str().unwrap(),
            "-p",
            &p.ports[0].to_string(),
            "-U",
            "w",
            "-d",
            "rdsql",
            "-c",
            "select 'via_socket'",
        ])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&o.stdout).trim(),
        "via_socket",
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let o = Command::new("mariadb")
        .args(["--no-defaults", "-S"])
        .arg(sock.join(format!("mysql.{}.sock", p.ports[1])))
        .args([
            "-u",
            "w",
            "-N",
            "-B",
            "-e",
            "select 'my_via_socket'",
            "rdsql",
        ])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&o.stdout).trim(),
        "my_via_socket",
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    std::thread::sleep(Duration::from_millis(300));
    let log = p.log();
    let lines: Vec<serde_json::Value> = log
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    assert!(
        lines
            .iter()
            .any(|v| v["event"] == "open" && v["client"] == "unix socket"),
        "{log}"
    );
    assert!(
        lines
            .iter()
            .any(|v| v["event"] == "close" && v["bytes_down"].as_u64() > Some(0)),
        "{log}"
    );
    assert!(!log.contains(PASSWORD), "{log}");
}

#[test]
fn without_a_user_in_the_connection_the_client_s_user_is_used() {
    // The connection names no user: the check at start uses the OS user,
    // clients then log in as the user they name (here over MD5).
    let conn = format!(
        "postgres://127.0.0.1:{}/rdsql?sslmode=verify-full&sslrootcert={}",
        postgres().port,
        ca()
    );
    let env = [
        ("USER", "rdsql_scram".to_string()),
        ("PGPASSWORD", PASSWORD.to_string()),
    ];
    let p = Proxy::start(&[conn], &[], &env);
    let port = p.ports[0].to_string();
    for (user, want) in [("rdsql_md5", "rdsql_md5"), ("rdsql_scram", "rdsql_scram")] {
        let o = Command::new(pg_bin().join("psql"))
            .args([
                "-X",
                "-A",
                "-t",
                "-h",
                "127.0.0.1",
                "-p",
                &port,
                "-U",
                user,
                "-d",
                "rdsql",
                "-c",
                "select current_user",
            ])
            .env_remove("PGPASSWORD")
            .output()
            .unwrap();
        assert_eq!(
            String::from_utf8_lossy(&o.stdout).trim(),
            want,
            "{}{}",
            String::from_utf8_lossy(&o.stderr),
            p.log()
        );
    }
    // A connection that names its user keeps it, whatever the client says.
    let p = Proxy::start(&[password_conn()], &[], &[]);
    let o = psql(p.ports[0], "rdsql", "select current_user");
    assert_eq!(String::from_utf8_lossy(&o.stdout).trim(), "rdsql_scram");
}
