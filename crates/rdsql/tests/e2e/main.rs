//! End-to-end tests of the `rdsql` binary against real PostgreSQL and
//! MariaDB servers started by `rdsql-testkit` (one of each per run).

mod aws;
mod browser;
mod browser_aws;
mod browser_workspace;
mod conn;
mod harness;
mod iam;
mod integrate;
mod keyring;
mod malformed;
mod mariadb;
mod mfa;
mod postgres;
mod proxy;
mod secrets;
mod shell;
mod sqlite;
mod ssh;
mod sso;
mod tls;
mod ui;
mod workspace;
