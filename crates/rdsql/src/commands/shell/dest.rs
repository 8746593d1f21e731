//! Where a result goes: the terminal (through the pager), `\o FILE`,
//! `\g FILE` written whole only on success, or `\g |COMMAND`.

use super::*;

pub(super) fn terminal_size() -> (usize, usize) {
    // SAFETY: TIOCGWINSZ fills a winsize struct we own.
    unsafe {
        let mut ws: libc::winsize = std::mem::zeroed();
        if libc::ioctl(libc::STDOUT_FILENO, libc::TIOCGWINSZ, &mut ws) == 0 && ws.ws_col > 0 {
            return (ws.ws_col as usize, ws.ws_row as usize);
        }
    }
    let env = |k: &str, d: usize| {
        std::env::var(k)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(d)
    };
    (env("COLUMNS", 100), env("LINES", 40))
}

/// Where one run's results go.
pub(super) enum Output {
    /// The `\o` file, else the terminal through the pager.
    Default,
    /// The terminal without a pager (`\watch`, as psql).
    Screen,
    /// `\g` / `\gx`: a file or a command (else as `Default`), expanded
    /// or not for this run only.
    Once {
        dest: Option<Dest>,
        expanded: Option<bool>,
    },
}

impl Output {
    pub(super) fn open(self, sh: &Shell) -> Result<Opened, String> {
        match self {
            Output::Default => Ok((sh.writer()?, None, None)),
            Output::Screen => match &sh.out_file {
                Some(_) => Ok((sh.writer()?, None, None)),
                None => Ok((Box::new(std::io::stdout()), None, None)),
            },
            Output::Once {
                dest: None,
                expanded,
            } => Ok((sh.writer()?, expanded, None)),
            Output::Once {
                dest: Some(Dest::File(path)),
                expanded,
            } => pending_file(&path).map(|(w, p)| (w, expanded, Some(p))),
            Output::Once {
                dest: Some(Dest::Pipe(cmd)),
                expanded,
            } => {
                let mut child = std::process::Command::new("sh")
                    .arg("-c")
                    .arg(&cmd)
                    .stdin(std::process::Stdio::piped())
                    .spawn()
                    .map_err(|e| format!("cannot run {cmd:?}: {e}"))?;
                let stdin = child.stdin.take().expect("piped stdin");
                Ok((
                    Box::new(std::io::BufWriter::new(stdin)),
                    expanded,
                    Some(Pending::Pipe(child)),
                ))
            }
        }
    }
}

pub(super) enum Dest {
    File(PathBuf),
    Pipe(String),
}

/// What must happen after the output is written.
pub(super) enum Pending {
    /// Renamed over the target only when every statement succeeded, so a
    /// failed run never leaves a half-written file.
    File(rdsql_fs::PendingFile, PathBuf),
    Pipe(std::process::Child),
}

impl Pending {
    pub(super) fn finish(self, ok: bool) -> Result<(), String> {
        match self {
            Pending::File(f, path) if ok => f
                .commit()
                .map_err(|e| format!("cannot write {}: {e}", path.display())),
            Pending::File(_, path) => Err(format!(
                "{} was not written: the statement did not complete",
                path.display()
            )),
            Pending::Pipe(mut child) => match child.wait() {
                Ok(st) if st.success() => Ok(()),
                Ok(st) => Err(format!("the output command exited with {st}")),
                Err(e) => Err(format!("the output command: {e}")),
            },
        }
    }
}

pub(super) type Opened = (Box<dyn Write + Send>, Option<bool>, Option<Pending>);

/// A file written whole: its writer, and the [`Pending`] that puts it in
/// place (`\g FILE`, `\copy … to FILE`).
pub(super) fn pending_file(
    path: &std::path::Path,
) -> Result<(Box<dyn Write + Send>, Pending), String> {
    let p = rdsql_fs::PendingFile::create(path)
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    let f = p
        .file()
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok((
        Box::new(std::io::BufWriter::with_capacity(256 * 1024, f)),
        Pending::File(p, path.to_path_buf()),
    ))
}

/// Where `\copy … to` writes: a file written whole (renamed into place
/// only when the copy completed) or stdout.
pub(super) fn copy_target(
    place: &copy::Place,
) -> Result<(Box<dyn Write + Send>, Option<Pending>), String> {
    match place {
        copy::Place::Stdout => Ok((Box::new(std::io::stdout()), None)),
        copy::Place::File(path) => pending_file(path).map(|(w, p)| (w, Some(p))),
    }
}

impl Shell {
    pub(super) fn sink<'a>(
        &self,
        out: Box<dyn Write + Send + 'a>,
        expanded: Option<bool>,
    ) -> Box<dyn ResultSink + 'a> {
        let (cols, _) = terminal_size();
        let table = TableOptions {
            expanded: expanded.unwrap_or(self.expanded == Expanded::On),
            expanded_auto: expanded.is_none() && self.expanded == Expanded::Auto,
            max_width: Some(cols),
            ..self.table.clone()
        };
        output::sink_with(self.format, out, Status { quiet: false }, table)
    }

    pub(super) fn writer(&self) -> Result<Box<dyn Write + Send>, String> {
        match &self.out_file {
            Some(p) => std::fs::OpenOptions::new()
                .append(true)
                .create(true)
                .open(p)
                .map(|f| Box::new(std::io::BufWriter::new(f)) as Box<dyn Write + Send>)
                .map_err(|e| format!("cannot write {}: {e}", p.display())),
            None => {
                let (_, rows) = terminal_size();
                Ok(Box::new(PagerWriter::new(rows.saturating_sub(2).max(5))))
            }
        }
    }
}
