//! `connections.toml`: the non-secret fields of saved connections.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

/// One saved connection: the connection fields by name, no secret. Which
/// names exist and what their values mean is defined once, in rdsql-db's
/// field table; the connect library checks every entry against it when
/// the connection is used or saved (docs/connection-model.md).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SavedConnection {
    /// Where the secret is: "keyring", "file", "prompt", or absent (none).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    /// Field name → value (ports and seconds as TOML integers).
    #[serde(flatten)]
    pub fields: BTreeMap<String, FieldValue>,
}

/// A saved field's value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum FieldValue {
    Number(u64),
    Text(String),
    /// Anything else (true, a list, a table): kept so that loading can
    /// say where it is, then refused.
    Other(toml::Value),
}

impl std::fmt::Display for FieldValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FieldValue::Number(n) => write!(f, "{n}"),
            FieldValue::Text(t) => f.write_str(t),
            FieldValue::Other(v) => write!(f, "{v}"),
        }
    }
}

impl SavedConnection {
    /// A field's value as text.
    pub fn get(&self, name: &str) -> Option<String> {
        self.fields.get(name).map(|v| v.to_string())
    }
}

/// The whole file.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConnectionsFile {
    #[serde(default)]
    pub connections: BTreeMap<String, SavedConnection>,
}

/// A problem with the config files (never contains a secret).
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("no config directory: set HOME or RDSQL_CONFIG_DIR")]
    NoDir,
    #[error("{path}:{line}:{column}: {message}")]
    Malformed {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("no saved connection named {name:?}{}", if .known.is_empty() { String::new() } else { format!("; saved: {}", .known.join(", ")) })]
    Unknown { name: String, known: Vec<String> },
    #[error("a saved connection named {0:?} exists already (use rdsql conn edit)")]
    Exists(String),
    #[error("the name {0:?} is not allowed: use letters, digits, '-', '_' and '.'")]
    BadName(String),
    #[error("the secret store failed: {0}")]
    Secret(String),
    /// A file holding secrets is readable by others (as libpq refuses a
    /// loose `.pgpass`).
    #[error("{0}; fix it with: {fix}", fix = .0.fix)]
    NotPrivate(rdsql_fs::NotPrivate),
}

/// Parses TOML text, mapping errors to line and column.
pub fn parse<T: serde::de::DeserializeOwned>(path: &Path, text: &str) -> Result<T, ConfigError> {
    toml::from_str(text).map_err(|e| {
        let (line, column) = match e.span() {
            Some(span) => {
                let before = &text[..span.start.min(text.len())];
                let line = before.matches('\n').count() + 1;
                let column = before
                    .rsplit('\n')
                    .next()
                    .map(|l| l.chars().count())
                    .unwrap_or(0)
                    + 1;
                (line, column)
            }
            None => (0, 0),
        };
        ConfigError::Malformed {
            path: path.to_path_buf(),
            line,
            column,
            message: e.message().to_string(),
        }
    })
}

/// Writes `bytes` to `path` atomically with `mode` (rdsql-fs).
pub fn write_atomic(path: &Path, bytes: &[u8], mode: u32) -> Result<(), ConfigError> {
    rdsql_fs::write_atomic(path, bytes, mode).map_err(|source| ConfigError::Write {
        path: path.to_path_buf(),
        source,
    })
}

/// Holds an exclusive `flock` on `<dir>/.lock` while alive.
pub struct Lock(#[allow(dead_code)] std::fs::File); // held for its flock

impl Lock {
    /// Waits for the lock of the config directory.
    pub fn acquire(dir: &Path) -> Result<Lock, ConfigError> {
        std::fs::create_dir_all(dir).map_err(|source| ConfigError::Write {
            path: dir.to_path_buf(),
            source,
        })?;
        let path = dir.join(".lock");
        let f = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .mode(0o600)
            .open(&path)
            .map_err(|source| ConfigError::Write {
                path: path.clone(),
                source,
            })?;
        use std::os::fd::AsRawFd;
        // SAFETY: flock on a file descriptor we own.
        if unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_EX) } != 0 {
            return Err(ConfigError::Write {
                path,
                source: std::io::Error::last_os_error(),
            });
        }
        Ok(Lock(f))
    }
}

impl ConnectionsFile {
    /// The file's path in `dir`.
    pub fn path(dir: &Path) -> PathBuf {
        dir.join("connections.toml")
    }

    /// Reads the file (empty if absent), checking every field's value with
    /// `check` (name, value → why it is wrong); a bad value is reported
    /// with its line and column like a syntax error.
    pub fn load(dir: &Path, check: &FieldCheck) -> Result<ConnectionsFile, ConfigError> {
        let path = Self::path(dir);
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(ConnectionsFile::default());
            }
            Err(source) => return Err(ConfigError::Read { path, source }),
        };
        let file: ConnectionsFile = parse(&path, &text)?;
        for (name, conn) in &file.connections {
            for (key, value) in &conn.fields {
                let checked = match value {
                    // The value is not shown: a secret may sit in a wrong key.
                    FieldValue::Other(_) => Err(
                        "the value is neither text nor a whole number (write text in quotes)"
                            .to_string(),
                    ),
                    v => check(key, &v.to_string()),
                };
                if let Err(reason) = checked {
                    let (line, column) = locate(&text, name, key);
                    return Err(ConfigError::Malformed {
                        path,
                        line,
                        column,
                        message: format!("connection {name:?}: {key}: {reason}"),
                    });
                }
            }
        }
        Ok(file)
    }

    /// Writes the file atomically (0600: it names hosts and users).
    pub fn save(&self, dir: &Path) -> Result<(), ConfigError> {
        let text = toml::to_string_pretty(self).map_err(|e| ConfigError::Write {
            path: Self::path(dir),
            source: std::io::Error::other(e),
        })?;
        let header =
            "# rdsql saved connections. Secrets are not stored here (see `rdsql conn show`).\n";
        write_atomic(
            &Self::path(dir),
            format!("{header}{text}").as_bytes(),
            0o600,
        )
    }

    /// Loads, applies `f`, saves — all under the directory lock. A
    /// malformed file fails before anything is written.
    pub fn update<T>(
        dir: &Path,
        check: &FieldCheck,
        f: impl FnOnce(&mut ConnectionsFile) -> Result<T, ConfigError>,
    ) -> Result<T, ConfigError> {
        let _lock = Lock::acquire(dir)?;
        let mut file = Self::load(dir, check)?;
        let out = f(&mut file)?;
        file.save(dir)?;
        Ok(out)
    }

    /// One connection by name.
    pub fn get(&self, name: &str) -> Result<&SavedConnection, ConfigError> {
        self.connections
            .get(name)
            .ok_or_else(|| ConfigError::Unknown {
                name: name.to_string(),
                known: self.connections.keys().cloned().collect(),
            })
    }
}

/// Checks one saved field: (name, value) → why it is wrong.
pub type FieldCheck = dyn Fn(&str, &str) -> Result<(), String>;

/// Line and column (1-based) of `key`'s value in `[connections.NAME]`, or
/// (0, 0) when it cannot be found.
fn locate(text: &str, conn: &str, key: &str) -> (usize, usize) {
    let mut inside = false;
    for (i, line) in text.lines().enumerate() {
        let t = line.trim();
        if t.starts_with('[') {
            let header = t.trim_start_matches('[').trim_end_matches(']').trim();
            let name = header.strip_prefix("connections.").unwrap_or("");
            inside = name.trim_matches('"').trim_matches('\'') == conn;
            continue;
        }
        if !inside {
            continue;
        }
        if let Some(rest) = t.strip_prefix(key)
            && rest.trim_start().starts_with('=')
            && let Some(eq) = line.find('=')
        {
            // Only ASCII white space is skipped, so this is a char boundary.
            let after = &line[eq + 1..];
            let value_at = eq + 1 + (after.len() - after.trim_start().len());
            return (i + 1, line[..value_at].chars().count() + 1);
        }
    }
    (0, 0)
}

/// Names are file- and URL-safe.
pub fn check_name(name: &str) -> Result<(), ConfigError> {
    let ok = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if ok {
        Ok(())
    } else {
        Err(ConfigError::BadName(name.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_malformed_position() {
        let dir = tempfile::tempdir().unwrap();
        ConnectionsFile::update(dir.path(), &|_, _| Ok(()), |f| {
            f.connections.insert(
                "prod".into(),
                SavedConnection {
                    secret: None,
                    fields: [
                        ("engine".to_string(), FieldValue::Text("postgres".into())),
                        ("port".to_string(), FieldValue::Number(5432)),
                    ]
                    .into(),
                },
            );
            Ok(())
        })
        .unwrap();
        let ok = |_: &str, _: &str| Ok(());
        let f = ConnectionsFile::load(dir.path(), &ok).unwrap();
        assert_eq!(f.get("prod").unwrap().get("port").as_deref(), Some("5432"));
        let text = std::fs::read_to_string(ConnectionsFile::path(dir.path())).unwrap();
        assert!(text.contains("port = 5432"), "numbers stay numbers: {text}");
        assert!(matches!(f.get("nope"), Err(ConfigError::Unknown { .. })));
        std::fs::write(
            ConnectionsFile::path(dir.path()),
            "[connections.a]\nport = [\n",
        )
        .unwrap();
        let e = ConnectionsFile::load(dir.path(), &ok).unwrap_err();
        match e {
            ConfigError::Malformed { line, .. } => assert!(line >= 2, "{line}"),
            other => panic!("{other}"),
        }
        std::fs::write(
            ConnectionsFile::path(dir.path()),
            "[connections.a]\nengine = \"pg\"\nport = \"x\"\n",
        )
        .unwrap();
        let e = ConnectionsFile::load(dir.path(), &|k, _| {
            if k == "port" {
                Err("not a port".into())
            } else {
                Ok(())
            }
        })
        .unwrap_err()
        .to_string();
        assert!(e.contains(":3:8:") && e.contains("not a port"), "{e}");
        // Trailing spaces and non-ASCII values do not confuse the position.
        std::fs::write(
            ConnectionsFile::path(dir.path()),
            "[connections.a]\nport = \"é\"  \n",
        )
        .unwrap();
        let e = ConnectionsFile::load(dir.path(), &|_, _| Err("bad".into()))
            .unwrap_err()
            .to_string();
        assert!(e.contains(":2:8:"), "{e}");
    }
}
