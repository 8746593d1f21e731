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

/// Blanks the text of tabs that may hold a secret (a password typed into
/// `ALTER ROLE …`, say): the page keeps it while open, the file never
/// does; the tab comes back empty with `withheld` set, and the page says why.
fn withhold_secrets(v: &mut Value) {
    let Some(conns) = v.get_mut("connections").and_then(Value::as_object_mut) else {
        return;
    };
    for c in conns.values_mut() {
        let Some(tabs) = c.get_mut("tabs").and_then(Value::as_array_mut) else {
            continue;
        };
        for t in tabs {
            let secret = t
                .get("sql")
                .and_then(Value::as_str)
                .is_some_and(rdsql_db::sensitive::may_hold_secret);
            if secret && let Some(o) = t.as_object_mut() {
                o.insert("sql".into(), Value::String(String::new()));
                o.insert("withheld".into(), Value::Bool(true));
            }
        }
    }
}

/// Replaces the stored workspace, atomically.
pub fn store(dir: &Path, v: &Value) -> std::io::Result<()> {
    let mut v = v.clone();
    withhold_secrets(&mut v);
    let bytes = serde_json::to_vec_pretty(&v).map_err(std::io::Error::other)?;
    if bytes.len() > MAX_BYTES {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!("the workspace is larger than {} MiB", MAX_BYTES >> 20),
        ));
    }
    rdsql_fs::write_atomic(&path(dir), &bytes, rdsql_fs::PRIVATE)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn tabs_that_may_hold_a_secret_are_not_written() {
        let dir = tempfile::tempdir().unwrap();
        let v = serde_json::json!({ "version": 1, "connections": { "k": { "tabs": [
            { "title": "a", "sql": "select 1" },
            { "title": "b", "sql": "alter role app password 'Zq7Xk'" },
        ]}}});
        store(dir.path(), &v).unwrap();
        let text = std::fs::read_to_string(path(dir.path())).unwrap();
        assert!(!text.contains("Zq7Xk"));
        let back = load(dir.path()).unwrap();
        assert_eq!(back["connections"]["k"]["tabs"][0]["sql"], "select 1");
        assert_eq!(back["connections"]["k"]["tabs"][1]["withheld"], true);
        let mode = std::fs::metadata(path(dir.path()))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}
