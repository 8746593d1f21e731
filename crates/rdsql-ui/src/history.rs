//! Statements run in the UI, kept per connection in a private (0600)
//! JSON-lines file, searchable from the workspace (docs/ui.md, "History").
//! Statements that may carry a secret are never written.

use serde::{Deserialize, Serialize};
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

/// Entries kept per connection; older ones go when the file is compacted.
const KEEP: usize = 5000;
/// Compact once the file is this large.
const COMPACT_AT: u64 = 4 * 1024 * 1024;

#[derive(Debug, Serialize, Deserialize, Clone)]
pub struct Entry {
    /// Seconds since the epoch.
    pub at: u64,
    pub sql: String,
    pub ok: bool,
    pub ms: f64,
}

/// The history of one connection.
#[derive(Clone, Debug)]
pub struct History {
    path: PathBuf,
}

/// A file name for `key` (a saved connection's name, or user@host/db):
/// letters, digits, `.`, `-` kept; everything else as `_xx` hex.
fn file_name(key: &str) -> String {
    let mut s = String::new();
    for b in key.bytes() {
        if b.is_ascii_alphanumeric() || b == b'-' || b == b'.' {
            s.push(b as char);
        } else {
            s.push_str(&format!("_{b:02x}"));
        }
    }
    format!("{s}.jsonl")
}

impl History {
    /// The history of connection `key` under `dir` (the UI's data dir).
    pub fn new(dir: &Path, key: &str) -> History {
        History {
            path: dir.join("history").join(file_name(key)),
        }
    }

    /// Appends one statement (one `write` of one line, so a crash never
    /// leaves half an entry; a torn line is skipped when read).
    pub fn record(&self, sql: &str, ok: bool, elapsed: std::time::Duration) {
        let sql = sql.trim();
        if sql.is_empty() || rdsql_db::sensitive::may_hold_secret(sql) {
            return;
        }
        let entry = Entry {
            at: std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(0),
            sql: sql.to_string(),
            ok,
            ms: (elapsed.as_secs_f64() * 1000.0 * 10.0).round() / 10.0,
        };
        if let Err(e) = self.append(&entry) {
            tracing::warn!("cannot write the UI history {}: {e}", self.path.display());
        }
    }

    fn append(&self, entry: &Entry) -> std::io::Result<()> {
        if let Some(d) = self.path.parent() {
            std::fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(d)?;
        }
        let mut line = serde_json::to_vec(entry).map_err(std::io::Error::other)?;
        line.push(b'\n');
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .mode(rdsql_fs::PRIVATE)
            .open(&self.path)?;
        f.write_all(&line)?;
        if f.metadata()?.len() > COMPACT_AT {
            let mut all = self.read()?;
            let drop = all.len().saturating_sub(KEEP);
            all.drain(..drop);
            let mut out = Vec::new();
            for e in &all {
                out.extend(serde_json::to_vec(e).map_err(std::io::Error::other)?);
                out.push(b'\n');
            }
            rdsql_fs::write_atomic(&self.path, &out, rdsql_fs::PRIVATE)?;
        }
        Ok(())
    }

    fn read(&self) -> std::io::Result<Vec<Entry>> {
        match std::fs::read(&self.path) {
            Ok(b) => Ok(b
                .split(|&c| c == b'\n')
                .filter_map(|l| serde_json::from_slice(l).ok())
                .collect()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(vec![]),
            Err(e) => Err(e),
        }
    }

    /// Newest first, those containing `query` (any case), at most `limit`.
    pub fn search(&self, query: &str, limit: usize) -> std::io::Result<Vec<Entry>> {
        let q = query.to_lowercase();
        Ok(self
            .read()?
            .into_iter()
            .rev()
            .filter(|e| q.is_empty() || e.sql.to_lowercase().contains(&q))
            .take(limit)
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn kept_private_searchable_and_without_secrets() {
        let dir = tempfile::tempdir().unwrap();
        let h = History::new(dir.path(), "prod db/1");
        h.record("select 1", true, std::time::Duration::from_millis(3));
        h.record("alter role app password 'Zq7Xk'", true, Default::default());
        h.record("SELECT name FROM users", false, Default::default());
        let all = h.search("", 10).unwrap();
        assert_eq!(all.len(), 2);
        assert_eq!(all[0].sql, "SELECT name FROM users");
        assert_eq!(h.search("USERS", 10).unwrap().len(), 1);
        let file = dir.path().join("history/prod_20db_2f1.jsonl");
        let mode = std::fs::metadata(&file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        assert!(!std::fs::read_to_string(&file).unwrap().contains("Zq7Xk"));
    }
}
