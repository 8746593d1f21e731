//! Test-only stand-in for RDS's server-side IAM token check.
//!
//! RDS verifies IAM tokens through PAM. This crate is a tiny PAM module
//! (`pam_sm_authenticate`) that hands the user name and the full token (often
//! over 511 bytes, too long for `pam_exec`) to the `rdsql-iam-verifier`
//! program, which recomputes the SigV4 signature from known test credentials
//! ([`verify`]).

pub mod pam;
pub mod verify;
