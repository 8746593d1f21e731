//! `rdsql query`: run statements from -c, -f or stdin and print results.

use crate::cli::QueryArgs;
use crate::connect;
use crate::output::{self, Status};
use crate::report::Failure;
use std::io::{IsTerminal, Read, Write};

pub async fn run(args: QueryArgs) -> Result<(), Failure> {
    let spec = connect::resolve(&args.conn)?;
    let scripts = read_scripts(&args)?;
    let mut conn = connect::open(&spec).await?;

    let stdout = std::io::stdout();
    let out: Box<dyn Write> = Box::new(std::io::BufWriter::with_capacity(64 * 1024, stdout.lock()));
    let mut sink = output::sink(args.format, out, Status { quiet: args.quiet });
    for sql in &scripts {
        if let Err(e) = conn.run(sql, sink.as_mut()).await {
            drop(sink);
            return match e {
                rdsql_db::QueryError::Output(io) if io.kind() == std::io::ErrorKind::BrokenPipe => {
                    Ok(())
                }
                e => Err(Failure::query(e)),
            };
        }
    }
    if let rdsql_db::Connection::Mysql(m) = &mut conn {
        m.close().await;
    }
    Ok(())
}

/// All statement sources, read before connecting so a missing file fails
/// fast without touching the network.
fn read_scripts(args: &QueryArgs) -> Result<Vec<String>, Failure> {
    let mut scripts: Vec<String> = args.commands.clone();
    for f in &args.files {
        if f.as_os_str() == "-" {
            scripts.push(read_stdin()?);
            continue;
        }
        let text = std::fs::read_to_string(f)
            .map_err(|e| Failure::local(format!("cannot read {}: {e}", f.display()), vec![]))?;
        scripts.push(text);
    }
    if scripts.is_empty() {
        if std::io::stdin().is_terminal() {
            return Err(Failure::local(
                "no statements to run",
                vec!["give -c 'SQL', -f FILE, or pipe SQL on stdin; for an interactive session use rdsql shell".into()],
            ));
        }
        scripts.push(read_stdin()?);
    }
    Ok(scripts)
}

fn read_stdin() -> Result<String, Failure> {
    let mut s = String::new();
    std::io::stdin()
        .read_to_string(&mut s)
        .map_err(|e| Failure::local(format!("cannot read SQL from stdin: {e}"), vec![]))?;
    Ok(s)
}
