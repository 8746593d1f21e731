//! A real OpenSSH server (Debian `openssh-server`) on a loopback port, with
//! generated host and user keys, for the tunnel tests. It runs in a mount
//! namespace of its own where `/etc/hosts` also names
//! [`crate::iam::TUNNEL_HOST`] as 127.0.0.1: so the bastion reaches the
//! test databases by the RDS endpoint's name, as a real bastion in the VPC
//! would, and the host's own `/etc/hosts` is untouched.

use crate::process::{free_port, scratch_dir, spawn_server};
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

pub struct Sshd {
    pub port: u16,
    pub dir: PathBuf,
    /// The user to log in as (the one running the tests).
    pub user: String,
    /// An unencrypted ed25519 key the server accepts.
    pub user_key: PathBuf,
    /// The host key's public line (`ssh-ed25519 AAAA…`).
    pub host_key_pub: String,
    /// `SHA256:…` of the host key, as `ssh-keygen -l` prints it.
    pub host_fingerprint: String,
    _child: std::process::Child,
}

/// Whether this machine can run the tunnel tests: sshd installed, root
/// (sshd's privilege separation and the mount namespace need it).
pub fn available() -> bool {
    std::path::Path::new("/usr/sbin/sshd").exists() && unsafe { libc::geteuid() } == 0
}

fn keygen(path: &std::path::Path, comment: &str) {
    let out = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-C", comment, "-f"])
        .arg(path)
        .output()
        .expect("ssh-keygen");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

impl Sshd {
    /// Starts a fresh server (its own keys) and waits for it.
    pub fn start() -> Sshd {
        // One directory per server: tests in one process may run several.
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = scratch_dir(&format!("sshd{n}")).expect("scratch dir");
        let host_key = dir.join("host_ed25519");
        let user_key = dir.join("user_ed25519");
        keygen(&host_key, "rdsql-test-host");
        keygen(&user_key, "rdsql-test-user");
        std::fs::copy(dir.join("user_ed25519.pub"), dir.join("authorized_keys")).unwrap();
        let mut hosts = format!("127.0.0.1 {}\n", crate::iam::TUNNEL_HOST);
        hosts.push_str(&std::fs::read_to_string("/etc/hosts").unwrap_or_default());
        std::fs::write(dir.join("hosts"), hosts).unwrap();
        let port = free_port();
        let config = dir.join("sshd_config");
        std::fs::write(
            &config,
            format!(
                "Port {port}\nListenAddress 127.0.0.1\nHostKey {}\nPidFile {}\nAuthorizedKeysFile {}\n\
                 PasswordAuthentication no\nKbdInteractiveAuthentication no\nPubkeyAuthentication yes\n\
                 PermitRootLogin prohibit-password\nStrictModes no\nUsePAM no\nAllowTcpForwarding yes\n\
                 LogLevel DEBUG1\n",
                host_key.display(),
                dir.join("sshd.pid").display(),
                dir.join("authorized_keys").display(),
            ),
        )
        .unwrap();
        // sshd's privilege-separation directory.
        let _ = std::fs::create_dir_all("/run/sshd");
        let log = std::fs::File::create(dir.join("sshd.log")).unwrap();
        let mut cmd = Command::new("unshare");
        cmd.arg("--mount")
            .arg("sh")
            .arg("-c")
            .arg(format!(
                "mount --bind {} /etc/hosts && exec /usr/sbin/sshd -D -e -f {}",
                dir.join("hosts").display(),
                config.display()
            ))
            .stdout(std::process::Stdio::null())
            .stderr(log);
        let child = spawn_server(cmd).expect("start sshd");
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "sshd did not start: {}",
                std::fs::read_to_string(dir.join("sshd.log")).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        let host_key_pub = std::fs::read_to_string(dir.join("host_ed25519.pub"))
            .unwrap()
            .trim()
            .to_string();
        let fp = Command::new("ssh-keygen")
            .arg("-lf")
            .arg(dir.join("host_ed25519.pub"))
            .output()
            .expect("ssh-keygen -l");
        let host_fingerprint = String::from_utf8_lossy(&fp.stdout)
            .split_whitespace()
            .nth(1)
            .unwrap_or_default()
            .to_string();
        let user = std::env::var("USER")
            .ok()
            .filter(|u| !u.is_empty())
            .unwrap_or_else(|| "root".into());
        Sshd {
            port,
            dir,
            user,
            user_key,
            host_key_pub,
            host_fingerprint,
            _child: child,
        }
    }

    /// `user@127.0.0.1:port`.
    pub fn target(&self) -> String {
        format!("{}@127.0.0.1:{}", self.user, self.port)
    }

    /// The server's log so far (for failure messages).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("sshd.log")).unwrap_or_default()
    }
}
