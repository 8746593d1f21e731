//! The PAM module: raw FFI to libpam, no GPL code.
//!
//! Service file line:
//! `auth required /abs/librdsql_pam_verifier.so verifier=/abs/rdsql-iam-verifier config=/abs/cfg.json`

use std::ffi::{CStr, c_char, c_int};
use std::io::Write;
use std::process::{Command, Stdio};

#[repr(C)]
pub struct PamHandle {
    _private: [u8; 0],
}

const PAM_SUCCESS: c_int = 0;
const PAM_SERVICE_ERR: c_int = 3;
const PAM_AUTH_ERR: c_int = 7;
const PAM_AUTHTOK: c_int = 6;

#[link(name = "pam")]
unsafe extern "C" {
    fn pam_get_user(pamh: *mut PamHandle, user: *mut *const c_char, prompt: *const c_char)
    -> c_int;
    fn pam_get_authtok(
        pamh: *mut PamHandle,
        item: c_int,
        authtok: *mut *const c_char,
        prompt: *const c_char,
    ) -> c_int;
}

fn args(argc: c_int, argv: *const *const c_char) -> Vec<String> {
    (0..argc as usize)
        .map(|i| {
            unsafe { CStr::from_ptr(*argv.add(i)) }
                .to_string_lossy()
                .into_owned()
        })
        .collect()
}

/// Authenticates by running the verifier with the user and the token.
///
/// # Safety
/// Called by libpam with a valid handle and argument vector.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pam_sm_authenticate(
    pamh: *mut PamHandle,
    _flags: c_int,
    argc: c_int,
    argv: *const *const c_char,
) -> c_int {
    let result = std::panic::catch_unwind(|| {
        let args = args(argc, argv);
        let get = |k: &str| {
            args.iter()
                .find_map(|a| a.strip_prefix(&format!("{k}=")).map(str::to_string))
        };
        let (Some(verifier), Some(config)) = (get("verifier"), get("config")) else {
            return PAM_SERVICE_ERR;
        };
        let mut user: *const c_char = std::ptr::null();
        if unsafe { pam_get_user(pamh, &mut user, std::ptr::null()) } != PAM_SUCCESS
            || user.is_null()
        {
            return PAM_AUTH_ERR;
        }
        let user = unsafe { CStr::from_ptr(user) }
            .to_string_lossy()
            .into_owned();
        let mut tok: *const c_char = std::ptr::null();
        if unsafe { pam_get_authtok(pamh, PAM_AUTHTOK, &mut tok, std::ptr::null()) } != PAM_SUCCESS
            || tok.is_null()
        {
            return PAM_AUTH_ERR;
        }
        let token = unsafe { CStr::from_ptr(tok) }.to_bytes().to_vec();
        let child = Command::new(verifier)
            .args(["--user", &user, "--config", &config])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn();
        let Ok(mut child) = child else {
            return PAM_SERVICE_ERR;
        };
        if let Some(mut stdin) = child.stdin.take() {
            let _ = stdin.write_all(&token);
        }
        match child.wait() {
            Ok(s) if s.success() => PAM_SUCCESS,
            _ => PAM_AUTH_ERR,
        }
    });
    result.unwrap_or(PAM_SERVICE_ERR)
}

/// # Safety
/// Called by libpam.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pam_sm_setcred(
    _: *mut PamHandle,
    _: c_int,
    _: c_int,
    _: *const *const c_char,
) -> c_int {
    PAM_SUCCESS
}

/// # Safety
/// Called by libpam.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pam_sm_acct_mgmt(
    _: *mut PamHandle,
    _: c_int,
    _: c_int,
    _: *const *const c_char,
) -> c_int {
    PAM_SUCCESS
}
