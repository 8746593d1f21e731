//! `rdsql query`: run statements from -c, -f or stdin and print results.

use crate::cli::QueryArgs;
use crate::connect;
use crate::output::{self, Status};
use crate::report::Failure;
use rdsql_db::split::StatementReader;
use std::io::{BufRead, IsTerminal, Write};
use std::time::Duration;

pub async fn run(args: QueryArgs) -> Result<(), Failure> {
    for v in &args.variables {
        let (name, value) = v.split_once('=').unwrap_or((v.as_str(), ""));
        let on = ["1", "on", "true", "yes"].contains(&value.to_ascii_lowercase().as_str());
        if !(name.eq_ignore_ascii_case("ON_ERROR_STOP") && on) {
            return Err(Failure::local(
                format!("-v {v}: rdsql query has no psql variables"),
                vec!["-v ON_ERROR_STOP=1 is accepted (rdsql always stops at the first error); drop the others".into()],
            ));
        }
    }
    let format = args.format();
    let table = output::TableOptions {
        null: args.null.clone().unwrap_or_default(),
        tuples_only: args.tuples_only,
        unaligned: args.no_align,
        expanded: args.expanded,
        field_sep: args.field_separator.clone().unwrap_or_else(|| "|".into()),
        record_sep: args.record_separator.clone().unwrap_or_else(|| "\n".into()),
        ..Default::default()
    };
    let spec = connect::resolve(&args.conn)?;
    let sources = open_sources(&args)?;
    let mut session = connect::open_session(spec).await?;
    // JSON keeps value types, tables align numbers: have the engine report them.
    session.set_describe(format.needs_types());
    let engine = session.engine();
    // SQLite has no server to cancel on: signals keep their default
    // (immediate exit) there.
    let mut signals = match engine {
        rdsql_db::Engine::Sqlite => None,
        _ => Some(Signals::new()?),
    };

    let stdout = std::io::stdout();
    // -o FILE: written next to FILE and renamed over it at the end, so FILE
    // is never half-written.
    let target = match &args.output {
        Some(path) => Some(OutputFile::create(path)?),
        None => None,
    };
    let out: Box<dyn Write + Send> = match &target {
        Some(t) => Box::new(std::io::BufWriter::with_capacity(64 * 1024, t.file()?)),
        None => Box::new(std::io::BufWriter::with_capacity(64 * 1024, stdout)),
    };
    let mut sink = output::sink_with(format, out, Status { quiet: args.quiet }, table);
    let result = async {
        for source in sources {
            match source {
                Source::Command(sql) => {
                    // Split here so each statement can be cancelled alone.
                    for stmt in session.statements(&sql) {
                        run_one(&mut session, stmt, sink.as_mut(), signals.as_mut()).await?;
                    }
                }
                Source::Stream(name, input) => {
                    // Statement by statement from a reader thread through a
                    // small channel: a dump of any size runs in flat memory,
                    // and a signal is seen while input is awaited
                    // (docs/sql-input.md).
                    let (tx, mut rx) = tokio::sync::mpsc::channel(16);
                    std::thread::spawn(move || {
                        let mut reader = StatementReader::new(input, engine);
                        loop {
                            let item = reader.next_statement();
                            let last = !matches!(item, Ok(Some(_)));
                            if tx.blocking_send(item).is_err() || last {
                                break;
                            }
                        }
                    });
                    loop {
                        let item = match signals.as_mut() {
                            Some(sig) => tokio::select! {
                                item = rx.recv() => item,
                                name = sig.recv() => return Err(Stop::Signal(Failure::local(
                                    format!("interrupted by {name} while reading SQL; no statement was running"),
                                    vec![],
                                ))),
                            },
                            None => rx.recv().await,
                        };
                        let stmt = match item {
                            Some(Ok(Some(stmt))) => stmt,
                            Some(Ok(None)) | None => break,
                            Some(Err(e)) => {
                                return Err(Stop::Input(Failure::local(
                                    format!("cannot read SQL from {name}: {e}"),
                                    vec!["the statements before this point have run".into()],
                                )));
                            }
                        };
                        run_one(&mut session, &stmt, sink.as_mut(), signals.as_mut()).await?;
                    }
                }
            }
        }
        Ok::<(), Stop>(())
    }
    .await;
    drop(sink);
    if let Some(t) = target {
        t.finish()?;
    }
    match result {
        Ok(()) => {}
        Err(Stop::Query(rdsql_db::QueryError::Output(io)))
            if io.kind() == std::io::ErrorKind::BrokenPipe => {}
        Err(Stop::Query(e)) => return Err(Failure::query(e)),
        Err(Stop::Input(f)) => return Err(f),
        Err(Stop::Signal(f)) => return Err(f),
    }
    session.close().await;
    Ok(())
}

/// SIGINT and SIGTERM, caught so that a running statement is cancelled on
/// the server before rdsql exits (docs/sessions.md, "Cancel").
struct Signals {
    int: tokio::signal::unix::Signal,
    term: tokio::signal::unix::Signal,
}

impl Signals {
    fn new() -> Result<Signals, Failure> {
        use tokio::signal::unix::{SignalKind, signal};
        let f = |e: std::io::Error| Failure::local(format!("cannot handle signals: {e}"), vec![]);
        Ok(Signals {
            int: signal(SignalKind::interrupt()).map_err(f)?,
            term: signal(SignalKind::terminate()).map_err(f)?,
        })
    }

    async fn recv(&mut self) -> &'static str {
        tokio::select! {
            _ = self.int.recv() => "SIGINT",
            _ = self.term.recv() => "SIGTERM",
        }
    }
}

/// Runs one statement; on SIGINT/SIGTERM sends the server a cancel request
/// (PostgreSQL cancel, MySQL `KILL QUERY` to the same server), waits
/// briefly for the statement to end, and stops with exit 3.
async fn run_one(
    session: &mut rdsql_connect::Session,
    stmt: &str,
    sink: &mut dyn rdsql_db::ResultSink,
    signals: Option<&mut Signals>,
) -> Result<(), Stop> {
    let Some(signals) = signals else {
        return session.run_statement(stmt, sink).await.map_err(Stop::Query);
    };
    let canceller = session.cancel_handle();
    let fut = session.run_statement(stmt, sink);
    tokio::pin!(fut);
    let sig = tokio::select! {
        r = &mut fut => return r.map_err(Stop::Query),
        sig = signals.recv() => sig,
    };
    // The cancel itself may need a new connection (MySQL): bounded, and a
    // second signal stops waiting.
    let sent = tokio::select! {
        r = async {
            match &canceller {
                Some(c) => tokio::time::timeout(Duration::from_secs(10), c.cancel())
                    .await
                    .unwrap_or_else(|_| Err("no answer within 10 s".into())),
                None => Err("this connection cannot cancel statements".into()),
            }
        } => r,
        _ = signals.recv() => Err("a second signal: not waiting for it".into()),
    };
    let ended = match sent {
        Ok(()) => tokio::select! {
            r = tokio::time::timeout(Duration::from_secs(5), &mut fut) => r.is_ok(),
            _ = signals.recv() => false,
        },
        Err(_) => false,
    };
    let mut causes = vec![];
    match sent {
        Ok(()) => causes.push("a cancel request was sent to the server".to_string()),
        Err(e) => causes.push(format!("the cancel request failed: {e}")),
    }
    if !ended {
        causes.push(
            "the statement had not ended when rdsql exited; the server may still finish it".into(),
        );
    }
    Err(Stop::Signal(Failure {
        headline: format!("interrupted by {sig}: the running statement was cancelled"),
        causes,
        details: vec![],
        exit_code: crate::report::EXIT_STATEMENT,
    }))
}

/// Why the run stopped early.
enum Stop {
    Query(rdsql_db::QueryError),
    Input(Failure),
    Signal(Failure),
}

impl From<rdsql_db::QueryError> for Stop {
    fn from(e: rdsql_db::QueryError) -> Self {
        Stop::Query(e)
    }
}

/// Where statements come from, in order.
enum Source {
    Command(String),
    Stream(String, Box<dyn BufRead + Send>),
}

/// All statement sources, opened before connecting so a missing file fails
/// fast without touching the network.
fn open_sources(args: &QueryArgs) -> Result<Vec<Source>, Failure> {
    let mut sources: Vec<Source> = args.commands.iter().cloned().map(Source::Command).collect();
    let stdin = || {
        Source::Stream(
            "stdin".into(),
            Box::new(std::io::BufReader::with_capacity(
                256 * 1024,
                std::io::stdin(),
            )),
        )
    };
    for f in &args.files {
        if f.as_os_str() == "-" {
            sources.push(stdin());
            continue;
        }
        let file = std::fs::File::open(f)
            .map_err(|e| Failure::local(format!("cannot read {}: {e}", f.display()), vec![]))?;
        sources.push(Source::Stream(
            f.display().to_string(),
            Box::new(std::io::BufReader::with_capacity(256 * 1024, file)),
        ));
    }
    if sources.is_empty() {
        if std::io::stdin().is_terminal() {
            return Err(Failure::local(
                "no statements to run",
                vec!["give -c 'SQL', -f FILE, or pipe SQL on stdin; for an interactive session use rdsql shell".into()],
            ));
        }
        sources.push(stdin());
    }
    Ok(sources)
}

/// `-o FILE`: a temporary file beside FILE, renamed over it once the
/// output is complete (the file then holds exactly what stdout would have);
/// removed if rdsql stops before that.
struct OutputFile(rdsql_fs::PendingFile, std::path::PathBuf);

impl OutputFile {
    fn create(path: &std::path::Path) -> Result<OutputFile, Failure> {
        rdsql_fs::PendingFile::create(path)
            .map(|f| OutputFile(f, path.to_path_buf()))
            .map_err(|e| {
                Failure::local(
                    format!("cannot write {}: {e}", path.display()),
                    vec!["check that the directory exists and is writable".into()],
                )
            })
    }

    fn file(&self) -> Result<std::fs::File, Failure> {
        self.0
            .file()
            .map_err(|e| Failure::local(format!("cannot write {}: {e}", self.1.display()), vec![]))
    }

    fn finish(self) -> Result<(), Failure> {
        let path = self.1;
        self.0
            .commit()
            .map_err(|e| Failure::local(format!("cannot write {}: {e}", path.display()), vec![]))
    }
}
