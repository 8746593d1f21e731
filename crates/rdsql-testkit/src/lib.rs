//! Test-only support for rdsql: private PostgreSQL and MariaDB servers on
//! loopback ports, each with TLS certificates generated here.
//!
//! Servers are started once per test binary (lazily, on first use) and are
//! killed when the test process exits (`PR_SET_PDEATHSIG`), so nothing is
//! left running.

pub mod certs;
pub mod iam;
pub mod leaks;
pub mod mariadb;
pub mod moto;
pub mod postgres;
mod process;
pub mod sshd;
pub mod sso;
pub mod sts;

pub use certs::{Certs, certs};
pub use mariadb::{MariaServer, mariadb, mariadb_plain, mariadb_wildcard};
pub use postgres::{PgServer, postgres, postgres_plain, postgres_wildcard};
pub use process::free_port;

/// The password every test user gets.
pub const PASSWORD: &str = "s3cret-Pa55";
