//! Where secrets of saved connections live: the OS keyring, a 0600 file,
//! or nowhere (prompt each time).

use crate::store::{ConfigError, Lock, parse, write_atomic};
use rdsql_secret::Secret;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Which secret of a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretKind {
    /// The database password (`--auth password`).
    Password,
    /// The secret access key (`--auth iam-keys`).
    AwsSecretAccessKey,
}

impl SecretKind {
    fn key(self) -> &'static str {
        match self {
            SecretKind::Password => "password",
            SecretKind::AwsSecretAccessKey => "aws_secret_access_key",
        }
    }
}

/// A secret store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretStore {
    /// The OS keyring (service "rdsql", account "<name>/<kind>").
    Keyring,
    /// `secrets.toml` (mode 0600) in the config directory.
    File(PathBuf),
    /// Not stored: asked for on each connection.
    Prompt,
}

const SERVICE: &str = "rdsql";

impl SecretStore {
    /// The name saved in `connections.toml`.
    pub fn name(&self) -> &'static str {
        match self {
            SecretStore::Keyring => "keyring",
            SecretStore::File(_) => "file",
            SecretStore::Prompt => "prompt",
        }
    }

    /// The store called `name` for config directory `dir`.
    pub fn from_name(name: &str, dir: &Path) -> Option<SecretStore> {
        match name {
            "keyring" => Some(SecretStore::Keyring),
            "file" => Some(SecretStore::File(dir.join("secrets.toml"))),
            "prompt" => Some(SecretStore::Prompt),
            _ => None,
        }
    }

    /// Is an OS keyring reachable here? (No D-Bus session or Secret Service
    /// on headless servers and CI.)
    pub fn keyring_available() -> bool {
        if keyring::Entry::store_status().is_err() {
            return false;
        }
        match keyring::Entry::new(SERVICE, "__probe__").and_then(|e| e.get_password()) {
            Ok(_) | Err(keyring::Error::NoEntry) => true,
            Err(_) => false,
        }
    }

    /// The default store: `RDSQL_SECRET_STORE` if set, else the keyring if
    /// reachable, else the file (the caller warns in one line).
    pub fn default_for(dir: &Path) -> SecretStore {
        if let Some(s) = std::env::var("RDSQL_SECRET_STORE")
            .ok()
            .and_then(|n| Self::from_name(&n, dir))
        {
            return s;
        }
        if Self::keyring_available() {
            SecretStore::Keyring
        } else {
            SecretStore::File(dir.join("secrets.toml"))
        }
    }

    fn account(name: &str, kind: SecretKind) -> String {
        format!("{name}/{}", kind.key())
    }

    /// Stores a secret.
    pub fn put(
        &self,
        dir: &Path,
        name: &str,
        kind: SecretKind,
        secret: &Secret,
    ) -> Result<(), ConfigError> {
        match self {
            SecretStore::Keyring => keyring::Entry::new(SERVICE, &Self::account(name, kind))
                .and_then(|e| e.set_password(secret.expose()))
                .map_err(|e| ConfigError::Secret(e.to_string())),
            SecretStore::File(path) => {
                let _lock = Lock::acquire(dir)?;
                let mut all = load_file(path)?;
                all.entry(name.to_string())
                    .or_default()
                    .insert(kind.key().to_string(), secret.expose().to_string());
                save_file(path, &all)
            }
            SecretStore::Prompt => Ok(()),
        }
    }

    /// Reads a secret; `None` if absent (or a prompt store).
    pub fn get(&self, name: &str, kind: SecretKind) -> Result<Option<Secret>, ConfigError> {
        match self {
            SecretStore::Keyring => match keyring::Entry::new(SERVICE, &Self::account(name, kind))
                .and_then(|e| e.get_password())
            {
                Ok(p) => Ok(Some(Secret::new(p))),
                Err(keyring::Error::NoEntry) => Ok(None),
                Err(e) => Err(ConfigError::Secret(e.to_string())),
            },
            SecretStore::File(path) => Ok(load_file(path)?
                .get(name)
                .and_then(|m| m.get(kind.key()))
                .map(|s| Secret::new(s.clone()))),
            SecretStore::Prompt => Ok(None),
        }
    }

    /// Deletes every secret of `name`.
    pub fn delete(&self, dir: &Path, name: &str) -> Result<(), ConfigError> {
        match self {
            SecretStore::Keyring => {
                // An absent secret is fine; any other failure (a locked
                // keyring) is reported, so no secret is silently left.
                for kind in [SecretKind::Password, SecretKind::AwsSecretAccessKey] {
                    let entry = keyring::Entry::new(SERVICE, &Self::account(name, kind))
                        .map_err(|e| ConfigError::Secret(e.to_string()))?;
                    match entry.delete_credential() {
                        Ok(()) | Err(keyring::Error::NoEntry) => {}
                        Err(e) => return Err(ConfigError::Secret(e.to_string())),
                    }
                }
                Ok(())
            }
            SecretStore::File(path) => {
                let _lock = Lock::acquire(dir)?;
                let mut all = load_file(path)?;
                if all.remove(name).is_some() {
                    save_file(path, &all)?;
                }
                Ok(())
            }
            SecretStore::Prompt => Ok(()),
        }
    }
}

type SecretsFile = BTreeMap<String, BTreeMap<String, String>>;

fn load_file(path: &Path) -> Result<SecretsFile, ConfigError> {
    rdsql_fs::check_private(path).map_err(ConfigError::NotPrivate)?;
    match std::fs::read_to_string(path) {
        // The parser's message may quote a value, i.e. a secret: keep only
        // the position.
        Ok(text) => parse(path, &text).map_err(|e| match e {
            ConfigError::Malformed {
                path, line, column, ..
            } => ConfigError::Malformed {
                path,
                line,
                column,
                message: "not a valid secrets file (each entry is [NAME] then key = \"text\"; details are hidden: they could show a secret)".into(),
            },
            other => other,
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(BTreeMap::new()),
        Err(source) => Err(ConfigError::Read {
            path: path.to_path_buf(),
            source,
        }),
    }
}

fn save_file(path: &Path, all: &SecretsFile) -> Result<(), ConfigError> {
    let text = toml::to_string(all).map_err(|e| ConfigError::Write {
        path: path.to_path_buf(),
        source: std::io::Error::other(e),
    })?;
    write_atomic(
        path,
        format!("# rdsql secrets (no OS keyring was reachable). Keep this file private.\n{text}")
            .as_bytes(),
        0o600,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn file_store_round_trip_0600() {
        let dir = tempfile::tempdir().unwrap();
        let s = SecretStore::File(dir.path().join("secrets.toml"));
        s.put(
            dir.path(),
            "prod",
            SecretKind::Password,
            &Secret::new("pw\"x"),
        )
        .unwrap();
        s.put(
            dir.path(),
            "prod",
            SecretKind::AwsSecretAccessKey,
            &Secret::new("sk"),
        )
        .unwrap();
        assert_eq!(
            s.get("prod", SecretKind::Password)
                .unwrap()
                .unwrap()
                .expose(),
            "pw\"x"
        );
        let mode = std::fs::metadata(dir.path().join("secrets.toml"))
            .unwrap()
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(mode, 0o600);
        s.delete(dir.path(), "prod").unwrap();
        assert!(s.get("prod", SecretKind::Password).unwrap().is_none());
    }
}
