//! Spawning servers that die with the test process, scratch directories,
//! free ports.

use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command};
use std::sync::mpsc;
use std::sync::{Mutex, OnceLock};

type Job = (Command, mpsc::Sender<std::io::Result<Child>>);

/// Spawns `cmd` from a thread that lives as long as the process, with
/// `PR_SET_PDEATHSIG` so the server is killed when the tests end (the
/// signal fires when the *spawning thread* exits).
pub fn spawn_server(mut cmd: Command) -> std::io::Result<Child> {
    static SPAWNER: OnceLock<Mutex<mpsc::Sender<Job>>> = OnceLock::new();
    let tx = SPAWNER.get_or_init(|| {
        let (tx, rx) = mpsc::channel::<Job>();
        std::thread::spawn(move || {
            for (mut cmd, reply) in rx {
                let _ = reply.send(cmd.spawn());
            }
            // Keep the thread (and so the children) alive until exit.
            loop {
                std::thread::park();
            }
        });
        Mutex::new(tx)
    });
    unsafe {
        cmd.pre_exec(|| {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let (reply_tx, reply_rx) = mpsc::channel();
    tx.lock()
        .unwrap()
        .send((cmd, reply_tx))
        .expect("spawner thread alive");
    reply_rx.recv().expect("spawner replied")
}

/// A fresh directory under the temp dir, named with this process's id;
/// directories of earlier, dead test processes are removed first.
pub fn scratch_dir(what: &str) -> std::io::Result<PathBuf> {
    let base = std::env::temp_dir();
    static CLEANED: OnceLock<()> = OnceLock::new();
    CLEANED.get_or_init(|| {
        if let Ok(entries) = std::fs::read_dir(&base) {
            for e in entries.flatten() {
                let name = e.file_name().to_string_lossy().into_owned();
                if let Some(pid) = name
                    .strip_prefix("rdsql-testkit-")
                    .and_then(|r| r.split('-').next())
                    && let Ok(pid) = pid.parse::<i32>()
                    && unsafe { libc::kill(pid, 0) } != 0
                {
                    let _ = std::fs::remove_dir_all(e.path());
                }
            }
        }
    });
    let dir = base.join(format!("rdsql-testkit-{}-{what}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

/// A TCP port free on 127.0.0.1 right now.
pub fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    l.local_addr().unwrap().port()
}

/// Runs a command to completion, panicking with its output on failure.
pub fn run(cmd: &mut Command) -> String {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    if !out.status.success() {
        panic!(
            "{cmd:?} failed ({}):\n{}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Is this process root?
pub fn is_root() -> bool {
    unsafe { libc::geteuid() == 0 }
}

/// uid and gid of a system user (via `id`).
pub fn user_ids(name: &str) -> Option<(u32, u32)> {
    let uid = Command::new("id").args(["-u", name]).output().ok()?;
    let gid = Command::new("id").args(["-g", name]).output().ok()?;
    if !uid.status.success() {
        return None;
    }
    Some((
        String::from_utf8_lossy(&uid.stdout).trim().parse().ok()?,
        String::from_utf8_lossy(&gid.stdout).trim().parse().ok()?,
    ))
}

/// Waits until `check` passes, up to `secs` seconds.
pub fn wait_for(secs: u64, what: &str, mut check: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
    while std::time::Instant::now() < deadline {
        if check() {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    panic!("{what} did not become ready within {secs} s");
}
