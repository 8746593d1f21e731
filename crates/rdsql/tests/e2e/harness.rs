use std::io::Write;
use std::process::{Command, Stdio};

pub struct Out {
    pub stdout: String,
    pub raw_stdout: Vec<u8>,
    pub stderr: String,
    pub code: i32,
}

impl Out {
    #[track_caller]
    pub fn ok(&self) -> &Self {
        assert_eq!(
            self.code, 0,
            "expected success; stderr:\n{}\nstdout:\n{}",
            self.stderr, self.stdout
        );
        self
    }
    #[track_caller]
    pub fn fails(&self, code: i32, needle: &str) -> &Self {
        assert_eq!(
            self.code, code,
            "expected exit {code}; stderr:\n{}\nstdout:\n{}",
            self.stderr, self.stdout
        );
        assert!(
            self.stderr.contains(needle),
            "stderr lacks {needle:?}:\n{}",
            self.stderr
        );
        self
    }
}

/// Runs the rdsql binary with a clean environment (no libpq/MySQL/AWS
/// variables from the machine), plus `env`, feeding `stdin`.
pub fn rdsql_env(args: &[&str], env: &[(&str, &str)], stdin: Option<&str>) -> Out {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_rdsql"));
    cmd.args(args);
    for (k, _) in std::env::vars() {
        if k.starts_with("PG")
            || k.starts_with("MYSQL")
            || k.starts_with("AWS_")
            || k.starts_with("RDSQL")
        {
            cmd.env_remove(k);
        }
    }
    cmd.env("USER", "nobody-in-particular");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("spawn rdsql");
    {
        let mut si = child.stdin.take().unwrap();
        if let Some(s) = stdin {
            si.write_all(s.as_bytes()).unwrap();
        }
    }
    let out = child.wait_with_output().unwrap();
    Out {
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        raw_stdout: out.stdout,
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        code: out.status.code().unwrap_or(-1),
    }
}

pub fn rdsql(args: &[&str]) -> Out {
    rdsql_env(args, &[], None)
}

pub fn ca() -> String {
    rdsql_testkit::certs().ca.display().to_string()
}

pub fn other_ca() -> String {
    rdsql_testkit::certs().other_ca.display().to_string()
}

/// Parses TSV in the escaping of `mariadb --batch` (`\0 \t \n \\`, NULL as
/// the word NULL) or of rdsql's tsv (`\N` for NULL): rows of optional bytes.
pub fn parse_tsv(data: &[u8], null_word: &[u8]) -> Vec<Vec<Option<Vec<u8>>>> {
    let mut rows = vec![];
    for line in data.split(|&c| c == b'\n') {
        if line.is_empty() {
            continue;
        }
        let mut row = vec![];
        for field in line.split(|&c| c == b'\t') {
            if field == null_word {
                row.push(None);
                continue;
            }
            let mut v = Vec::with_capacity(field.len());
            let mut i = 0;
            while i < field.len() {
                if field[i] == b'\\' && i + 1 < field.len() {
                    v.push(match field[i + 1] {
                        b'0' => 0,
                        b't' => b'\t',
                        b'n' => b'\n',
                        b'r' => b'\r',
                        other => other,
                    });
                    i += 2;
                } else {
                    v.push(field[i]);
                    i += 1;
                }
            }
            row.push(Some(v));
        }
        rows.push(row);
    }
    rows
}

/// A TCP listener that accepts and then says nothing: a server that hangs.
pub fn silent_listener() -> (std::net::TcpListener, u16) {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    (l, port)
}

/// Starts rdsql with `args`, sends `signal` after `after`, and returns its
/// output and how long it took to exit after the signal.
pub fn rdsql_signalled(
    args: &[&str],
    signal: i32,
    after: std::time::Duration,
) -> (Out, std::time::Duration) {
    rdsql_signalled_with(args, signal, after, false)
}

/// As [`rdsql_signalled`]; with `open_stdin`, stdin is a pipe that stays
/// open and empty (rdsql waits for SQL).
pub fn rdsql_signalled_with(
    args: &[&str],
    signal: i32,
    after: std::time::Duration,
    open_stdin: bool,
) -> (Out, std::time::Duration) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_rdsql"));
    cmd.args(args);
    for (k, _) in std::env::vars() {
        if k.starts_with("PG") || k.starts_with("MYSQL") || k.starts_with("AWS_") {
            cmd.env_remove(k);
        }
    }
    cmd.env("USER", "nobody-in-particular")
        .stdin(if open_stdin {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("spawn rdsql");
    let _stdin = child.stdin.take();
    std::thread::sleep(after);
    // SAFETY: kill(2) on our own child's pid.
    unsafe { libc::kill(child.id() as i32, signal) };
    let t = std::time::Instant::now();
    let out = child.wait_with_output().unwrap();
    let took = t.elapsed();
    (
        Out {
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            raw_stdout: out.stdout,
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            code: out.status.code().unwrap_or(-1),
        },
        took,
    )
}

/// Whether a test may run: `ready` is false when a tool or root it needs is
/// missing. Then the test is skipped with one line saying what and how to
/// get it — unless `RDSQL_REQUIRE_ALL` is set (`.ci/run` sets it), where a
/// skip is a failure.
pub fn skip_unless(ready: bool, why: &str) -> bool {
    if ready {
        return true;
    }
    assert!(
        std::env::var_os("RDSQL_REQUIRE_ALL").is_none(),
        "{why}, but RDSQL_REQUIRE_ALL is set"
    );
    // Straight to the process's stderr, past libtest's capture, so the line
    // shows in a plain `cargo test`.
    use std::io::Write;
    let test = std::thread::current()
        .name()
        .unwrap_or("a test")
        .to_string();
    let _ = writeln!(std::io::stderr(), "skipped {test}: {why}");
    false
}

/// IAM logins (checked by PAM, whose service file needs root).
pub fn iam_ready() -> bool {
    skip_unless(
        rdsql_testkit::iam::available(),
        rdsql_testkit::iam::NEEDS_ROOT,
    )
}

/// moto in server mode and boto3.
pub fn moto_ready() -> bool {
    skip_unless(
        rdsql_testkit::moto::available(),
        "the AWS discovery tests need moto_server and boto3 on PATH (python3 -m pip install 'moto[server]' boto3; .ci/run installs them in a venv)",
    )
}

/// The real AWS CLI (for the shared MFA cache).
pub fn aws_cli_ready() -> bool {
    skip_unless(
        std::process::Command::new("aws")
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success()),
        "the MFA cache test needs the AWS CLI on PATH (python3 -m pip install awscli; .ci/run installs it in a venv)",
    )
}
