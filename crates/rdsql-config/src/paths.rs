//! Where rdsql keeps its files.

use std::path::PathBuf;

/// `RDSQL_CONFIG_DIR`, else `$XDG_CONFIG_HOME/rdsql`, else `~/.config/rdsql`.
pub fn config_dir() -> Option<PathBuf> {
    if let Some(d) = std::env::var_os("RDSQL_CONFIG_DIR").filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(d));
    }
    if let Some(d) = std::env::var_os("XDG_CONFIG_HOME").filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(d).join("rdsql"));
    }
    std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config/rdsql"))
}

/// `RDSQL_DATA_DIR`, else `$XDG_DATA_HOME/rdsql`, else `~/.local/share/rdsql`
/// (shell history lives here).
pub fn data_dir() -> Option<PathBuf> {
    if let Some(d) = std::env::var_os("RDSQL_DATA_DIR").filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(d));
    }
    if let Some(d) = std::env::var_os("XDG_DATA_HOME").filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(d).join("rdsql"));
    }
    std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share/rdsql"))
}
