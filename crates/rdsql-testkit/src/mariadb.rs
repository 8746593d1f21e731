//! A private MariaDB server on 127.0.0.1 (and 127.0.0.2).

use crate::iam::{
    IAM_DENIED_USER, IAM_RETRY_USER, IAM_USER, PamService, TUNNEL_HOST, TUNNEL_PORT, pam_service,
};
use crate::process::{free_port, is_root, run, scratch_dir, spawn_server, wait_for};
use crate::{PASSWORD, certs};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, OnceLock};

/// A running server. User `rdsql_native` (mysql_native_password) with
/// [`PASSWORD`], all privileges on database `rdsql`.
#[derive(Debug)]
pub struct MariaServer {
    pub port: u16,
    pub tls: bool,
    pub dir: PathBuf,
    pub socket: PathBuf,
    /// The PAM service checking IAM tokens (users `iam_*`).
    pub pam: PamService,
    child: Mutex<Child>,
}

/// The TLS-enabled server, started on first use.
pub fn mariadb() -> &'static MariaServer {
    static S: OnceLock<MariaServer> = OnceLock::new();
    S.get_or_init(|| MariaServer::start(true))
}

/// A TLS server whose certificate is for `*.example.test` only.
pub fn mariadb_wildcard() -> &'static MariaServer {
    static S: OnceLock<MariaServer> = OnceLock::new();
    S.get_or_init(|| {
        let c = certs();
        MariaServer::start_with(Some((&c.wildcard_cert, &c.wildcard_key)), "maria-wild")
    })
}

/// A server with TLS switched off.
pub fn mariadb_plain() -> &'static MariaServer {
    static S: OnceLock<MariaServer> = OnceLock::new();
    S.get_or_init(|| MariaServer::start(false))
}

impl MariaServer {
    fn start(tls: bool) -> MariaServer {
        let c = certs();
        Self::start_with(
            tls.then_some((&c.server_cert, &c.server_key)),
            if tls { "maria-tls" } else { "maria-plain" },
        )
    }

    /// `cert`: the server certificate and key, or None for no TLS.
    fn start_with(cert: Option<(&PathBuf, &PathBuf)>, tag: &str) -> MariaServer {
        let tls = cert.is_some();
        let dir = scratch_dir(tag).expect("scratch dir");
        let data = dir.join("data");
        let socket = dir.join("mysqld.sock");
        let mut install = Command::new("mariadb-install-db");
        install
            .arg("--no-defaults")
            .arg(format!("--datadir={}", data.display()))
            .args([
                "--auth-root-authentication-method=normal",
                "--skip-test-db",
                "--skip-name-resolve",
            ]);
        if is_root() {
            install.arg("--user=root");
        }
        run(&mut install);

        let port = free_port();
        let pam = pam_service(
            &tag.replace("maria", "my"),
            vec![
                format!("localhost:{port}"),
                format!("127.0.0.1:{port}"),
                format!("{TUNNEL_HOST}:{TUNNEL_PORT}"),
                // Through the SSH tunnel of the tests (crate::sshd), the
                // endpoint's own name with the real port.
                format!("{TUNNEL_HOST}:{port}"),
            ],
        );
        // /usr/sbin is on root's PATH, not on other users'.
        let mariadbd = ["/usr/sbin/mariadbd", "/usr/bin/mariadbd"]
            .into_iter()
            .find(|p| std::path::Path::new(p).exists())
            .unwrap_or("mariadbd");
        let mut cmd = Command::new(mariadbd);
        cmd.arg("--no-defaults")
            .arg(format!("--datadir={}", data.display()))
            .arg(format!("--socket={}", socket.display()))
            .arg(format!("--pid-file={}", dir.join("mariadbd.pid").display()))
            .arg(format!("--log-error={}", dir.join("server.log").display()))
            .arg(format!("--port={port}"))
            .args([
                "--bind-address=127.0.0.1,127.0.0.2",
                "--skip-name-resolve",
                "--skip-log-bin",
                "--innodb-buffer-pool-size=32M",
                "--innodb-flush-log-at-trx-commit=0",
                "--max-connections=60",
                // IAM tokens arrive as cleartext passwords and go to PAM.
                "--plugin-load-add=auth_pam",
                "--pam-use-cleartext-plugin=ON",
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        if let Some((cert, key)) = cert {
            cmd.arg(format!("--ssl-cert={}", cert.display()))
                .arg(format!("--ssl-key={}", key.display()))
                .arg(format!("--ssl-ca={}", certs().ca.display()));
        } else {
            cmd.arg("--skip-ssl");
        }
        if is_root() {
            cmd.arg("--user=root");
        }
        let child = spawn_server(cmd).expect("start mariadbd");
        let server = MariaServer {
            port,
            tls,
            dir,
            socket,
            pam,
            child: Mutex::new(child),
        };
        wait_for(60, "mariadbd", || server.try_sql("select 1").is_ok());
        server.sql(&format!(
            "DELETE FROM mysql.global_priv WHERE user='';\n\
             FLUSH PRIVILEGES;\n\
             CREATE USER 'rdsql_native'@'%' IDENTIFIED VIA mysql_native_password USING PASSWORD('{PASSWORD}');\n\
             CREATE DATABASE rdsql;\n\
             GRANT ALL ON rdsql.* TO 'rdsql_native'@'%';"
        ));
        let require = if tls { " REQUIRE SSL" } else { "" };
        for u in [IAM_USER, IAM_RETRY_USER, IAM_DENIED_USER] {
            server.sql(&format!(
                "CREATE USER '{u}'@'%' IDENTIFIED VIA pam USING '{}'{require}; GRANT ALL ON rdsql.* TO '{u}'@'%';",
                server.pam.name
            ));
        }
        server
    }

    fn root_cmd(&self, sql: &str) -> Command {
        let mut c = Command::new("mariadb");
        c.arg("--no-defaults")
            .arg(format!("--socket={}", self.socket.display()))
            .args(["-u", "root", "--batch", "--skip-column-names", "-e", sql]);
        c
    }

    fn try_sql(&self, sql: &str) -> Result<String, String> {
        let out = self.root_cmd(sql).output().map_err(|e| e.to_string())?;
        if out.status.success() {
            Ok(String::from_utf8_lossy(&out.stdout).into_owned())
        } else {
            Err(String::from_utf8_lossy(&out.stderr).into_owned())
        }
    }

    /// Runs SQL as root over the socket; panics on failure.
    pub fn sql(&self, sql: &str) -> String {
        run(&mut self.root_cmd(sql))
    }

    /// A URL for `user` with the test password on `host`.
    pub fn url(&self, user: &str, host: &str) -> String {
        format!("mariadb://{user}:{PASSWORD}@{host}:{}/rdsql", self.port)
    }

    /// The `mariadb` client as a peer: runs `sql` over TCP as `user` with
    /// `args` (e.g. `--batch`), returning stdout bytes.
    pub fn peer_client(&self, user: &str, args: &[&str], sql: &str) -> Vec<u8> {
        let out = Command::new("mariadb")
            .arg("--no-defaults")
            .args([
                "-h",
                "127.0.0.1",
                "-P",
                &self.port.to_string(),
                "-u",
                user,
                "rdsql",
            ])
            .args(args)
            .args(["-e", sql])
            .env("MYSQL_PWD", PASSWORD)
            .output()
            .expect("run mariadb client");
        assert!(
            out.status.success(),
            "mariadb client failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    }

    /// The server's error log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("server.log")).unwrap_or_default()
    }

    /// The server process id.
    pub fn pid(&self) -> u32 {
        self.child.lock().unwrap().id()
    }
}
