//! Files written the one way every part of rdsql writes them
//! (docs/connection-model.md, "Files"): a temporary file created
//! exclusively (`O_EXCL`, mode set at creation) in the target's own
//! directory, written, `fsync`ed, renamed over the target, and the
//! directory `fsync`ed — so a reader sees the old file or the new one,
//! never half of one, and a secret is never readable by others, not even
//! for an instant.

use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// Mode for files holding secrets or naming hosts and users.
pub const PRIVATE: u32 = 0o600;

/// Writes `bytes` to `path` atomically, the new file having `mode`.
/// Creates the directory (0700) when missing.
pub fn write_atomic(path: &Path, bytes: &[u8], mode: u32) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    if !dir.exists() {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&dir)?;
    }
    let tmp = temp_name(&dir, path);
    let result = (|| {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(mode)
            .open(&tmp)?;
        // The umask may have narrowed the mode; make it exact.
        f.set_permissions(std::fs::Permissions::from_mode(mode))?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)?;
        // The rename itself must survive a crash.
        if let Ok(d) = std::fs::File::open(&dir) {
            let _ = d.sync_all();
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// A name beside `path` no other writer picks: pid + a counter + the
/// clock; `O_EXCL` makes a collision an error rather than a shared file.
fn temp_name(dir: &Path, path: &Path) -> PathBuf {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("file");
    static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let nonce = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    dir.join(format!(
        ".{name}.{}.{nonce}.{nanos}.tmp",
        std::process::id()
    ))
}

/// A file written as a stream (query output, `\copy … to`): the data goes
/// to a temporary file beside `path`, which [`PendingFile::commit`] renames
/// over it; dropped without a commit, the temporary file is removed and
/// `path` is untouched — never half-written.
pub struct PendingFile {
    path: PathBuf,
    temp: PathBuf,
    file: Option<std::fs::File>,
}

impl PendingFile {
    /// Starts the file (mode 0666 less the umask, as any new output file).
    /// The directory must exist.
    pub fn create(path: &Path) -> std::io::Result<PendingFile> {
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let temp = temp_name(&dir, path);
        let file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&temp)?;
        Ok(PendingFile {
            path: path.to_path_buf(),
            temp,
            file: Some(file),
        })
    }

    /// A handle to write the data through.
    pub fn file(&self) -> std::io::Result<std::fs::File> {
        match &self.file {
            Some(f) => f.try_clone(),
            None => Err(std::io::Error::other("file already committed")),
        }
    }

    /// Makes the data the file at `path`.
    pub fn commit(mut self) -> std::io::Result<()> {
        if let Some(f) = self.file.take() {
            f.sync_all()?;
        }
        std::fs::rename(&self.temp, &self.path)
    }
}

impl Drop for PendingFile {
    fn drop(&mut self) {
        // After a commit the temporary name is gone and this is a no-op.
        let _ = std::fs::remove_file(&self.temp);
    }
}

/// A file that must be private is readable or writable by others.
#[derive(Debug, thiserror::Error)]
#[error(
    "{path} is readable by group or others (mode {mode:04o}); it holds secrets, so rdsql refuses to use it"
)]
pub struct NotPrivate {
    pub path: PathBuf,
    pub mode: u32,
    /// The command that fixes it.
    pub fix: String,
}

/// Refuses `path` if group or others may read or write it (as libpq treats
/// `.pgpass`). A missing file is fine.
pub fn check_private(path: &Path) -> Result<(), NotPrivate> {
    let Ok(meta) = std::fs::metadata(path) else {
        return Ok(());
    };
    let mode = meta.permissions().mode() & 0o7777;
    if mode & 0o077 != 0 {
        return Err(NotPrivate {
            path: path.to_path_buf(),
            mode,
            fix: format!("chmod 600 {}", path.display()),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_whole_files_with_the_mode() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("sub/x.toml");
        write_atomic(&p, b"one", PRIVATE).unwrap();
        write_atomic(&p, b"two", PRIVATE).unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"two");
        let mode = std::fs::metadata(&p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let dmode = std::fs::metadata(p.parent().unwrap())
            .unwrap()
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(dmode, 0o700);
        // No temporary file is left behind.
        let names: Vec<_> = std::fs::read_dir(p.parent().unwrap()).unwrap().collect();
        assert_eq!(names.len(), 1);
    }

    #[test]
    fn loose_secret_files_are_refused() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("secrets.toml");
        assert!(check_private(&p).is_ok(), "missing is fine");
        write_atomic(&p, b"x", PRIVATE).unwrap();
        assert!(check_private(&p).is_ok());
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o640)).unwrap();
        let e = check_private(&p).unwrap_err();
        assert!(
            e.to_string().contains("0640") && e.fix.starts_with("chmod 600"),
            "{e}"
        );
    }
}
