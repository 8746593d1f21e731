//! A private PostgreSQL 15 cluster on 127.0.0.1 (and 127.0.0.2, whose
//! address is not in the certificate: the host-name-mismatch case).

use crate::iam::{
    IAM_DENIED_USER, IAM_RETRY_USER, IAM_USER, PamService, TUNNEL_HOST, TUNNEL_PORT, pam_service,
};
use crate::process::{free_port, is_root, run, scratch_dir, spawn_server, user_ids, wait_for};
use crate::{PASSWORD, certs};
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, OnceLock};

/// Directory of the server binaries (override with `RDSQL_PG_BIN`).
pub fn pg_bin() -> PathBuf {
    std::env::var_os("RDSQL_PG_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/lib/postgresql/15/bin"))
}

/// A running cluster. Users: `rdsql_scram` (SCRAM-SHA-256) and `rdsql_md5`
/// (md5), both with [`PASSWORD`], owning database `rdsql`.
#[derive(Debug)]
pub struct PgServer {
    pub port: u16,
    pub tls: bool,
    pub dir: PathBuf,
    pub socket_dir: PathBuf,
    /// The PAM service checking IAM tokens (users `iam_*`).
    pub pam: PamService,
    child: Mutex<Child>,
}

/// The TLS-enabled cluster, started on first use.
pub fn postgres() -> &'static PgServer {
    static S: OnceLock<PgServer> = OnceLock::new();
    S.get_or_init(|| PgServer::start(true))
}

/// A TLS cluster whose certificate is for `*.example.test` only.
pub fn postgres_wildcard() -> &'static PgServer {
    static S: OnceLock<PgServer> = OnceLock::new();
    S.get_or_init(|| {
        let c = certs();
        PgServer::start_with(Some((&c.wildcard_cert, &c.wildcard_key)), "pg-wild")
    })
}

/// A cluster with TLS switched off.
pub fn postgres_plain() -> &'static PgServer {
    static S: OnceLock<PgServer> = OnceLock::new();
    S.get_or_init(|| PgServer::start(false))
}

impl PgServer {
    fn start(tls: bool) -> PgServer {
        Self::start_named(tls, if tls { "pg-tls" } else { "pg-plain" })
    }

    /// A cluster of its own (not shared with other tests), e.g. to restart.
    pub fn start_private(tag: &str) -> PgServer {
        Self::start_named(true, tag)
    }

    fn start_named(tls: bool, tag: &str) -> PgServer {
        let c = certs();
        Self::start_with(tls.then_some((&c.server_cert, &c.server_key)), tag)
    }

    /// `cert`: the server certificate and key, or None for no TLS.
    fn start_with(cert: Option<(&PathBuf, &PathBuf)>, tag: &str) -> PgServer {
        let tls = cert.is_some();
        let dir = scratch_dir(tag).expect("scratch dir");
        let data = dir.join("data");
        let socket_dir = dir.join("sock");
        std::fs::create_dir_all(&socket_dir).unwrap();
        let ids = if is_root() {
            Some(user_ids("postgres").expect("a 'postgres' system user"))
        } else {
            None
        };
        if let Some((cert, key)) = cert {
            std::fs::copy(cert, dir.join("server.pem")).unwrap();
            std::fs::copy(key, dir.join("server.key")).unwrap();
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(
                dir.join("server.key"),
                std::fs::Permissions::from_mode(0o600),
            )
            .unwrap();
        }
        if let Some((uid, gid)) = ids {
            run(Command::new("chown")
                .args(["-R", &format!("{uid}:{gid}")])
                .arg(&dir));
        }
        let as_pg = |cmd: &mut Command| {
            if let Some((uid, gid)) = ids {
                cmd.uid(uid).gid(gid);
            }
        };

        let mut initdb = Command::new(pg_bin().join("initdb"));
        initdb
            .args([
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                "--no-locale",
                "--no-sync",
                "-D",
            ])
            .arg(&data)
            .env("TZ", "UTC");
        as_pg(&mut initdb);
        run(&mut initdb);

        let port = free_port();
        let mut conf = format!(
            "port = {port}\nlisten_addresses = '127.0.0.1,127.0.0.2'\nunix_socket_directories = '{}'\n\
             fsync = off\nsynchronous_commit = off\nfull_page_writes = off\nmax_connections = 60\n\
             shared_buffers = 32MB\ntimezone = 'UTC'\n",
            socket_dir.display()
        );
        if tls {
            conf += &format!(
                "ssl = on\nssl_cert_file = '{}'\nssl_key_file = '{}'\n",
                dir.join("server.pem").display(),
                dir.join("server.key").display()
            );
        }
        append(&data.join("postgresql.conf"), &conf);
        let pam = pam_service(
            tag,
            vec![
                format!("localhost:{port}"),
                format!("127.0.0.1:{port}"),
                format!("{TUNNEL_HOST}:{TUNNEL_PORT}"),
                // Through the SSH tunnel of the tests (crate::sshd), the
                // endpoint's own name with the real port.
                format!("{TUNNEL_HOST}:{port}"),
            ],
        );
        // As on RDS: IAM users authenticate through PAM, over TLS only.
        let iam_users = format!("{IAM_USER},{IAM_RETRY_USER},{IAM_DENIED_USER}");
        let iam_line = format!(
            "{} all {iam_users} 127.0.0.0/8 pam pamservice={}\n",
            if tls { "hostssl" } else { "host" },
            pam.name
        );
        std::fs::write(
            data.join("pg_hba.conf"),
            format!(
                "local all all trust\n{iam_line}\
                 host all rdsql_md5 127.0.0.0/8 md5\n\
                 host all all 127.0.0.0/8 scram-sha-256\n"
            ),
        )
        .unwrap();

        let child = spawn_postgres(&dir, ids);
        let server = PgServer {
            port,
            tls,
            dir,
            socket_dir,
            pam,
            child: Mutex::new(child),
        };
        wait_for(30, "postgres", || server.try_psql("select 1").is_ok());
        server.psql(&format!(
            "SET password_encryption = 'scram-sha-256';\n\
             CREATE ROLE rdsql_scram LOGIN PASSWORD '{PASSWORD}';\n\
             SET password_encryption = 'md5';\n\
             CREATE ROLE rdsql_md5 LOGIN PASSWORD '{PASSWORD}';"
        ));
        server.psql("CREATE DATABASE rdsql OWNER rdsql_scram");
        server.psql("GRANT ALL ON DATABASE rdsql TO rdsql_md5");
        for u in [IAM_USER, IAM_RETRY_USER, IAM_DENIED_USER] {
            server.psql(&format!("CREATE ROLE {u} LOGIN"));
        }
        server.psql_db("rdsql", "GRANT ALL ON SCHEMA public TO PUBLIC;");
        server
    }

    /// Runs SQL as the superuser over the Unix socket; panics on failure.
    pub fn psql(&self, sql: &str) -> String {
        self.psql_db("postgres", sql)
    }

    /// As [`PgServer::psql`], in database `db`.
    pub fn psql_db(&self, db: &str, sql: &str) -> String {
        run(&mut self.superuser_cmd(db, sql))
    }

    fn try_psql(&self, sql: &str) -> Result<String, String> {
        let out = self
            .superuser_cmd("postgres", sql)
            .output()
            .map_err(|e| e.to_string())?;
        if out.status.success() {
            Ok(String::from_utf8_lossy(&out.stdout).into_owned())
        } else {
            Err(String::from_utf8_lossy(&out.stderr).into_owned())
        }
    }

    fn superuser_cmd(&self, db: &str, sql: &str) -> Command {
        let mut c = Command::new(pg_bin().join("psql"));
        c.arg("-h")
            .arg(&self.socket_dir)
            .args([
                "-p",
                &self.port.to_string(),
                "-U",
                "postgres",
                "-d",
                db,
                "-X",
                "-q",
                "-A",
                "-t",
            ])
            .args(["-v", "ON_ERROR_STOP=1", "-c", sql]);
        c
    }

    /// A URL for `user` with the test password, on `host` (127.0.0.1 or
    /// localhost match the certificate; 127.0.0.2 does not).
    pub fn url(&self, user: &str, host: &str) -> String {
        format!("postgres://{user}:{PASSWORD}@{host}:{}/rdsql", self.port)
    }

    /// `psql` as a peer client: runs `sql` over TCP as `user` with `args`
    /// (e.g. `--csv`), returning stdout bytes.
    pub fn peer_psql(&self, user: &str, args: &[&str], sql: &str) -> Vec<u8> {
        let out = Command::new(pg_bin().join("psql"))
            .args([
                "-h",
                "127.0.0.1",
                "-p",
                &self.port.to_string(),
                "-U",
                user,
                "-d",
                "rdsql",
                "-X",
            ])
            .args(args)
            .args(["-c", sql])
            .env("PGPASSWORD", PASSWORD)
            .env("PGSSLMODE", "disable")
            .output()
            .expect("run psql");
        assert!(
            out.status.success(),
            "psql failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    }

    /// The server's log so far (for diagnosing failures).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("server.log")).unwrap_or_default()
    }

    /// Restarts the server (fast shutdown, start again on the same port):
    /// every open session is dropped.
    pub fn restart(&self) {
        let mut child = self.child.lock().unwrap();
        unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
        let _ = child.wait();
        let ids = if is_root() {
            user_ids("postgres")
        } else {
            None
        };
        *child = spawn_postgres(&self.dir, ids);
        drop(child);
        wait_for(30, "postgres after restart", || {
            self.try_psql("select 1").is_ok()
        });
    }

    /// The server process id.
    pub fn pid(&self) -> u32 {
        self.child.lock().unwrap().id()
    }
}

fn spawn_postgres(dir: &std::path::Path, ids: Option<(u32, u32)>) -> Child {
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join("server.log"))
        .unwrap();
    let mut cmd = Command::new(pg_bin().join("postgres"));
    cmd.arg("-D")
        .arg(dir.join("data"))
        .stdin(Stdio::null())
        .stdout(log.try_clone().unwrap())
        .stderr(log);
    if let Some((uid, gid)) = ids {
        cmd.uid(uid).gid(gid);
    }
    spawn_server(cmd).expect("start postgres")
}

fn append(path: &std::path::Path, text: &str) {
    use std::io::Write;
    let mut f = std::fs::OpenOptions::new().append(true).open(path).unwrap();
    f.write_all(text.as_bytes()).unwrap();
}
