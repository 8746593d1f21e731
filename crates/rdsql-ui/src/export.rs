//! Export: a whole result, written by the CLI's own writers
//! (`rdsql-output`) so the file is byte-identical to `rdsql query --format
//! F -c SQL`, and streamed to the download in constant memory. The
//! statement runs again on a connection of its own, opened like the
//! session's (docs/ui.md, "Export").

use rdsql_connect::report::Failure;
use rdsql_db::{ConnectionSpec, PasswordProvider};
use rdsql_output::{Format, Status};
use serde::Serialize;
use std::io::Write;
use std::sync::mpsc::SyncSender;
use std::sync::{Arc, Mutex};

/// Exports not yet downloaded are forgotten after this long.
pub const UNCLAIMED: std::time::Duration = std::time::Duration::from_secs(60);

const CHUNK: usize = 64 * 1024;

/// Where an export stands, for the page to show.
#[derive(Debug, Clone, Serialize, Default)]
#[serde(rename_all = "snake_case")]
pub struct Progress {
    /// waiting (not downloaded yet), running, done, failed
    pub state: &'static str,
    pub bytes: u64,
    pub rows: u64,
    pub error: Option<Failure>,
}

/// One export, created by a POST and claimed once by the download's GET.
pub struct Job {
    pub spec: ConnectionSpec,
    pub provider: Arc<dyn PasswordProvider>,
    pub sql: String,
    pub format: Format,
    pub created: std::time::Instant,
    pub claimed: std::sync::atomic::AtomicBool,
    pub progress: Mutex<Progress>,
}

impl Job {
    pub fn progress(&self) -> Progress {
        self.progress.lock().map(|p| p.clone()).unwrap_or_default()
    }
    fn update(&self, f: impl FnOnce(&mut Progress)) {
        if let Ok(mut p) = self.progress.lock() {
            f(&mut p);
        }
    }
}

/// Buffers writes into chunks for the download; a closed download is a
/// broken pipe, which stops the statement.
struct ChunkWriter<'a> {
    tx: SyncSender<Vec<u8>>,
    buf: Vec<u8>,
    job: &'a Job,
}

impl Write for ChunkWriter<'_> {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(b);
        if self.buf.len() >= CHUNK {
            self.flush()?;
        }
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let n = self.buf.len() as u64;
        let chunk = std::mem::replace(&mut self.buf, Vec::with_capacity(CHUNK + 1024));
        self.tx.send(chunk).map_err(|_| {
            std::io::Error::new(std::io::ErrorKind::BrokenPipe, "the download was closed")
        })?;
        self.job.update(|p| p.bytes += n);
        Ok(())
    }
}

/// Counts rows on their way to the writer.
struct Counting<'a> {
    inner: Box<dyn rdsql_db::ResultSink + 'a>,
    job: &'a Job,
    rows: u64,
}

impl rdsql_db::ResultSink for Counting<'_> {
    fn begin_result(&mut self, columns: &[String]) -> std::io::Result<()> {
        self.inner.begin_result(columns)
    }
    fn column_types(&mut self, types: &[String]) -> std::io::Result<()> {
        self.inner.column_types(types)
    }
    fn row(&mut self, values: &[Option<&[u8]>]) -> std::io::Result<()> {
        self.rows += 1;
        if self.rows.is_multiple_of(10_000) {
            let n = self.rows;
            self.job.update(|p| p.rows = n);
        }
        self.inner.row(values)
    }
    fn end_result(&mut self, rows: u64) -> std::io::Result<()> {
        self.inner.end_result(rows)
    }
    fn command_complete(&mut self, rows: u64) -> std::io::Result<()> {
        self.inner.command_complete(rows)
    }
}

/// Runs the export on a thread of its own, sending chunks to `tx`
/// (bounded: the database is read at the pace of the download).
pub fn start(job: Arc<Job>, tx: SyncSender<Vec<u8>>) {
    job.update(|p| p.state = "running");
    std::thread::spawn(move || {
        let rt = match tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        {
            Ok(rt) => rt,
            Err(e) => {
                job.update(|p| {
                    p.state = "failed";
                    p.error = Some(Failure::local(
                        format!("cannot start the export: {e}"),
                        vec![],
                    ));
                });
                return;
            }
        };
        let result = rt.block_on(run(&job, tx));
        job.update(|p| match result {
            Ok(rows) => {
                p.state = "done";
                p.rows = rows;
            }
            Err(f) => {
                p.state = "failed";
                p.error = Some(f);
            }
        });
    });
}

async fn run(job: &Job, tx: SyncSender<Vec<u8>>) -> Result<u64, Failure> {
    let mut conn = rdsql_db::Connection::connect(&job.spec, job.provider.as_ref())
        .await
        .map_err(|e| Failure::connect(e, Some(job.provider.describe())))?;
    let engine = conn.engine();
    // As `rdsql query`: JSON keeps value types.
    conn.set_describe(job.format.needs_types());
    let out = ChunkWriter {
        tx,
        buf: Vec::with_capacity(CHUNK + 1024),
        job,
    };
    // As `rdsql query -c`: row counts of other statements go to stderr
    // there, so nowhere here.
    let mut sink = Counting {
        inner: rdsql_output::sink(job.format, Box::new(out), Status { quiet: true }),
        job,
        rows: 0,
    };
    let result = async {
        for stmt in rdsql_connect::session::statements(&job.sql, engine) {
            conn.run_statement(stmt, &mut sink).await?;
        }
        Ok(())
    }
    .await
    .map_err(Failure::query);
    // The status says "failed" before the download ends: the page asks
    // for it as soon as the body stops.
    if let Err(f) = &result {
        job.update(|p| {
            p.state = "failed";
            p.error = Some(f.clone());
        });
    }
    let rows = sink.rows;
    drop(sink);
    conn.close().await;
    result?;
    Ok(rows)
}

impl Drop for ChunkWriter<'_> {
    fn drop(&mut self) {
        let _ = self.flush();
    }
}
