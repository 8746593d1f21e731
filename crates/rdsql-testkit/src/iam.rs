//! Server-side IAM token checks for the test servers, the way RDS does it:
//! a PAM service whose module (crate `rdsql-pam-verifier`) runs a verifier
//! that knows the test credentials below.

use crate::process::{is_root, scratch_dir};
use rdsql_pam_verifier::verify::{Config, KnownKey};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// The region test tokens must be signed for.
pub const REGION: &str = "eu-west-1";
/// Long-term test keys (no session token).
pub const STATIC_KEY_ID: &str = "AKIARDSQLTESTSTATIC1";
pub const STATIC_SECRET: &str = "static/Secret+Key=1abcdefghijklmnopqrst";
/// Temporary test keys with a session token full of `/+=` (makes tokens
/// well over pam_exec's 511-byte limit).
pub const TEMP_KEY_ID: &str = "ASIARDSQLTESTTEMP001";
pub const TEMP_SECRET: &str = "temp/Secret+Key=2abcdefghijklmnopqrstu";
/// The session token of [`TEMP_KEY_ID`].
pub fn temp_session_token() -> String {
    format!(
        "IQoJb3JpZ2luX2VjE//////////+test=={}",
        "Zm9v/YmFy+YmF6=".repeat(50)
    )
}
/// A real-looking endpoint tokens may be signed for through a "tunnel" —
/// the endpoint `moto` gives a DB instance named `tunnel` in eu-west-1, so
/// discovery and `rdsql aws check` find it (crate::moto).
pub const TUNNEL_HOST: &str = "tunnel.aaaaaaaaaa.eu-west-1.rds.amazonaws.com";
pub const TUNNEL_PORT: u16 = 5432;

/// Database users: accepted with a valid token; first attempt rejected;
/// no `rds-db:connect` in the "policy".
pub const IAM_USER: &str = "iam_user";
pub const IAM_RETRY_USER: &str = "iam_retry";
pub const IAM_DENIED_USER: &str = "iam_denied";

/// A PAM service set up for one server.
#[derive(Debug)]
pub struct PamService {
    pub name: String,
    pub state_dir: PathBuf,
}

impl PamService {
    /// Lines of the verifier's attempt log so far.
    pub fn attempts(&self) -> Vec<String> {
        std::fs::read_to_string(self.state_dir.join("attempts.log"))
            .unwrap_or_default()
            .lines()
            .map(str::to_string)
            .collect()
    }
}

/// The module and verifier, copied where every server user can read them.
fn artifacts() -> &'static (PathBuf, PathBuf) {
    static A: OnceLock<(PathBuf, PathBuf)> = OnceLock::new();
    A.get_or_init(|| {
        let exe = std::env::current_exe().expect("current exe");
        // target/debug/deps/<test> → target/debug
        let debug = exe
            .parent()
            .and_then(Path::parent)
            .expect("target dir")
            .to_path_buf();
        let find = |name: &str| {
            [debug.join(name), debug.join("deps").join(name)]
                .into_iter()
                .find(|p| p.exists())
        };
        let (mut so, mut bin) = (find("librdsql_pam_verifier.so"), find("rdsql-iam-verifier"));
        if so.is_none() || bin.is_none() {
            let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
            crate::process::run(std::process::Command::new(cargo).args([
                "build",
                "-p",
                "rdsql-pam-verifier",
            ]));
            so = find("librdsql_pam_verifier.so");
            bin = find("rdsql-iam-verifier");
        }
        let dir = scratch_dir("pam").expect("scratch dir");
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        let so_dst = dir.join("librdsql_pam_verifier.so");
        let bin_dst = dir.join("rdsql-iam-verifier");
        std::fs::copy(so.expect("PAM module built"), &so_dst).unwrap();
        std::fs::copy(bin.expect("verifier built"), &bin_dst).unwrap();
        for p in [&so_dst, &bin_dst] {
            std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        (so_dst, bin_dst)
    })
}

/// Whether IAM logins can be tested here: the PAM service that checks
/// tokens is a file in `/etc/pam.d`, which only root may write.
pub fn available() -> bool {
    is_root()
}

/// The line a test prints when it skips for want of [`available`].
pub const NEEDS_ROOT: &str = "IAM logins are checked through PAM, whose service file goes to /etc/pam.d: run the tests as root (as .ci/run does) to include them";

/// Writes `/etc/pam.d/<name>` and the verifier config accepting tokens for
/// `endpoints` (`host:port`, lower-case). Needs root.
pub fn pam_service(tag: &str, endpoints: Vec<String>) -> PamService {
    let name = format!("rdsql-test-{}-{tag}", std::process::id());
    if !available() {
        // Not root: no PAM service. The servers still start; their IAM
        // users cannot log in, and the IAM tests skip (see `available`).
        let state_dir = scratch_dir(&format!("pam-{tag}")).expect("scratch dir");
        return PamService { name, state_dir };
    }
    let (so, verifier) = artifacts();
    let state_dir = scratch_dir(&format!("pam-{tag}")).expect("scratch dir");
    std::fs::set_permissions(&state_dir, std::fs::Permissions::from_mode(0o777)).unwrap();
    let cfg = Config {
        keys: vec![
            KnownKey {
                access_key_id: STATIC_KEY_ID.into(),
                secret_access_key: STATIC_SECRET.into(),
                session_token: None,
            },
            KnownKey {
                access_key_id: TEMP_KEY_ID.into(),
                secret_access_key: TEMP_SECRET.into(),
                session_token: Some(temp_session_token()),
            },
        ],
        endpoints,
        region: REGION.into(),
        allowed_users: vec![IAM_USER.into(), IAM_RETRY_USER.into()],
        reject_first: vec![IAM_RETRY_USER.into()],
        state_dir: state_dir.display().to_string(),
    };
    let cfg_path = state_dir.join("verifier.json");
    std::fs::write(&cfg_path, serde_json::to_vec_pretty(&cfg).unwrap()).unwrap();
    std::fs::set_permissions(&cfg_path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let line = format!(
        "{} verifier={} config={}",
        so.display(),
        verifier.display(),
        cfg_path.display()
    );
    clean_stale_services();
    std::fs::write(
        format!("/etc/pam.d/{name}"),
        format!("auth required {line}\naccount required {}\n", so.display()),
    )
    .expect("write /etc/pam.d service");
    PamService { name, state_dir }
}

/// Removes PAM services left by test processes that are gone.
fn clean_stale_services() {
    let Ok(entries) = std::fs::read_dir("/etc/pam.d") else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if let Some(pid) = name
            .strip_prefix("rdsql-test-")
            .and_then(|r| r.split('-').next())
            && let Ok(pid) = pid.parse::<i32>()
            && unsafe { libc::kill(pid, 0) } != 0
        {
            let _ = std::fs::remove_file(e.path());
        }
    }
}
