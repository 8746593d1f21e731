//! Saved connections: `connections.toml` in the config directory holds
//! every field but secrets; passwords and secret access keys go to the OS
//! keyring (Secret Service on Linux), or — where none is reachable — to a
//! 0600 `secrets.toml` beside it, or are prompted for.
//!
//! Writes are atomic (temp file + rename) under an exclusive lock, so two
//! processes adding at once lose nothing; a malformed file is reported with
//! line and column and never overwritten.

pub mod paths;
pub mod secrets;
pub mod store;

pub use secrets::{SecretKind, SecretStore};
pub use store::{ConfigError, ConnectionsFile, FieldCheck, FieldValue, SavedConnection};
