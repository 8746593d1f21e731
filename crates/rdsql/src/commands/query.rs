//! `rdsql query`: run statements from -c, -f or stdin and print results.

use crate::cli::QueryArgs;
use crate::connect;
use crate::output::{self, Status};
use crate::report::Failure;
use rdsql_db::split::StatementReader;
use std::io::{BufRead, IsTerminal, Write};

pub async fn run(args: QueryArgs) -> Result<(), Failure> {
    let spec = connect::resolve(&args.conn)?;
    let sources = open_sources(&args)?;
    let mut conn = connect::open(&spec).await?;

    let stdout = std::io::stdout();
    let out: Box<dyn Write> = Box::new(std::io::BufWriter::with_capacity(64 * 1024, stdout.lock()));
    let mut sink = output::sink(args.format, out, Status { quiet: args.quiet });
    let engine = conn.engine();
    let result = async {
        for source in sources {
            match source {
                Source::Command(sql) => conn.run(&sql, sink.as_mut()).await?,
                Source::Stream(name, input) => {
                    // Statement by statement: a dump of any size runs in
                    // flat memory (docs/sql-input.md).
                    let mut reader = StatementReader::new(input, engine);
                    loop {
                        let stmt = reader.next_statement().map_err(|e| {
                            Stop::Input(Failure::local(
                                format!("cannot read SQL from {name}: {e}"),
                                vec!["the statements before this point have run".into()],
                            ))
                        })?;
                        let Some(stmt) = stmt else { break };
                        conn.run_statement(&stmt, sink.as_mut()).await?;
                    }
                }
            }
        }
        Ok::<(), Stop>(())
    }
    .await;
    drop(sink);
    match result {
        Ok(()) => {}
        Err(Stop::Query(rdsql_db::QueryError::Output(io)))
            if io.kind() == std::io::ErrorKind::BrokenPipe => {}
        Err(Stop::Query(e)) => return Err(Failure::query(e)),
        Err(Stop::Input(f)) => return Err(f),
    }
    if let rdsql_db::Connection::Mysql(m) = &mut conn {
        m.close().await;
    }
    Ok(())
}

/// Why the run stopped early.
enum Stop {
    Query(rdsql_db::QueryError),
    Input(Failure),
}

impl From<rdsql_db::QueryError> for Stop {
    fn from(e: rdsql_db::QueryError) -> Self {
        Stop::Query(e)
    }
}

/// Where statements come from, in order.
enum Source {
    Command(String),
    Stream(String, Box<dyn BufRead>),
}

/// All statement sources, opened before connecting so a missing file fails
/// fast without touching the network.
fn open_sources(args: &QueryArgs) -> Result<Vec<Source>, Failure> {
    let mut sources: Vec<Source> = args.commands.iter().cloned().map(Source::Command).collect();
    let stdin = || Source::Stream("stdin".into(), Box::new(std::io::stdin().lock()));
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
