//! `\e`: the query buffer in the user's editor ($VISUAL, $EDITOR, else
//! vi), through a private temporary file (docs/shell.md, "\e").

use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

/// Edits `text` and returns what the editor saved. The file is 0600 (the
/// buffer may hold data the user would not share) and removed afterwards.
pub fn edit_text(text: &str) -> Result<String, String> {
    let path = temp_path();
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&path)
        .map_err(|e| format!("cannot create {}: {e}", path.display()))?;
    let mut body = text.to_string();
    if !body.is_empty() && !body.ends_with('\n') {
        body.push('\n');
    }
    let result = f
        .write_all(body.as_bytes())
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
        .and_then(|_| edit_file(&path));
    let _ = std::fs::remove_file(&path);
    result
}

/// Opens `path` in the editor and returns its content afterwards.
pub fn edit_file(path: &Path) -> Result<String, String> {
    let editor = ["VISUAL", "EDITOR"]
        .iter()
        .filter_map(|k| std::env::var(k).ok())
        .find(|v| !v.trim().is_empty())
        .unwrap_or_else(|| "vi".to_string());
    // Through sh, so EDITOR may carry arguments ("code --wait"); the file
    // name goes as $1, never into the command text.
    let status = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("{editor} \"$1\""))
        .arg("rdsql-editor")
        .arg(path)
        .status()
        .map_err(|e| format!("cannot start the editor {editor:?}: {e}"))?;
    if !status.success() {
        return Err(format!(
            "the editor {editor:?} exited with {status}; the query buffer is unchanged"
        ));
    }
    std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
}

fn temp_path() -> PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    std::env::temp_dir().join(format!("rdsql-edit-{}-{nanos}.sql", std::process::id()))
}
