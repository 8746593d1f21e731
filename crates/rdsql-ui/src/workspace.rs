//! The workspace's editor tabs, kept in one private (0600) JSON file so
//! they survive a reload and a restart of `rdsql ui` (docs/ui.md,
//! "Workspace"). Only what the page sends is stored: tab names, their
//! connection key and SQL text — never a form, so never a secret.

use serde_json::Value;
use std::path::{Path, PathBuf};

/// Bytes the stored workspace may take (the page's tabs, all together).
pub const MAX_BYTES: usize = 8 * 1024 * 1024;

pub fn path(dir: &Path) -> PathBuf {
    dir.join("workspace.json")
}

/// The stored workspace, `{}` when there is none yet.
pub fn load(dir: &Path) -> std::io::Result<Value> {
    match std::fs::read(path(dir)) {
        Ok(b) => serde_json::from_slice(&b).map_err(|e| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("{} is not valid JSON: {e}", path(dir).display()),
            )
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Value::Object(Default::default())),
        Err(e) => Err(e),
    }
}

/// Replaces the stored workspace, atomically.
pub fn store(dir: &Path, v: &Value) -> std::io::Result<()> {
    let bytes = serde_json::to_vec_pretty(v).map_err(std::io::Error::other)?;
    if bytes.len() > MAX_BYTES {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!("the workspace is larger than {} MiB", MAX_BYTES >> 20),
        ));
    }
    rdsql_fs::write_atomic(&path(dir), &bytes, rdsql_fs::PRIVATE)
}
