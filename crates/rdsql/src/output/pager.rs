//! Output that goes through a pager once it outgrows the screen.

use std::io::{self, Write};
use std::process::{Child, Command, Stdio};

/// Buffers up to `limit` lines; past that, starts `$PAGER` (default
/// `less -S`) and streams everything into it. Without a pager (PAGER set
/// empty, or it fails to start) output goes straight to stdout.
pub struct PagerWriter {
    buf: Vec<u8>,
    lines: usize,
    limit: usize,
    child: Option<Child>,
    direct: bool,
}

impl PagerWriter {
    pub fn new(limit: usize) -> Self {
        PagerWriter {
            buf: Vec::new(),
            lines: 0,
            limit,
            child: None,
            direct: false,
        }
    }

    fn start_pager(&mut self) -> io::Result<()> {
        let cmd = std::env::var("PAGER").unwrap_or_else(|_| "less -S".into());
        let parts: Vec<&str> = cmd.split_whitespace().collect();
        let child = match parts.split_first() {
            Some((prog, args)) => {
                let mut c = Command::new(prog);
                c.args(args).stdin(Stdio::piped());
                if *prog == "less" {
                    // Quit if it fits after all; keep colours and raw bytes.
                    c.env(
                        "LESS",
                        std::env::var("LESS").unwrap_or_else(|_| "-FRX".into()),
                    );
                }
                c.spawn().ok()
            }
            None => None,
        };
        match child {
            Some(mut c) => {
                if let Some(stdin) = c.stdin.as_mut() {
                    stdin.write_all(&self.buf)?;
                }
                self.child = Some(c);
            }
            None => {
                self.direct = true;
                io::stdout().write_all(&self.buf)?;
            }
        }
        self.buf.clear();
        Ok(())
    }
}

impl Write for PagerWriter {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        if let Some(c) = self.child.as_mut() {
            return c
                .stdin
                .as_mut()
                .map(|s| s.write(data))
                .unwrap_or(Ok(data.len()));
        }
        if self.direct {
            return io::stdout().write(data);
        }
        self.buf.extend_from_slice(data);
        self.lines += data.iter().filter(|&&b| b == b'\n').count();
        if self.lines > self.limit {
            self.start_pager()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        match self.child.as_mut() {
            Some(c) => c.stdin.as_mut().map(|s| s.flush()).unwrap_or(Ok(())),
            None => {
                if self.direct {
                    return io::stdout().flush();
                }
                Ok(())
            }
        }
    }
}

impl Drop for PagerWriter {
    fn drop(&mut self) {
        match self.child.take() {
            Some(mut c) => {
                drop(c.stdin.take());
                let _ = c.wait();
            }
            None => {
                let mut out = io::stdout();
                let _ = out.write_all(&self.buf);
                let _ = out.flush();
            }
        }
    }
}
