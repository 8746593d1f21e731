//! `rdsql shell [CONN]` (and plain `rdsql CONN`): the interactive shell.

mod copy;
mod copy_run;
mod dest;
mod edit;
mod meta;
mod pset;
mod repl;
mod run;
mod vars;

use dest::*;
use meta::*;
pub use repl::run;
use repl::*;
use run::*;

use super::complete::{Names, ShellHelper};
use crate::cli::{ConnArgs, Format};
use crate::connect;
use crate::output::pager::PagerWriter;
use crate::output::{self, Status, TableOptions};
use crate::report::Failure;
use rdsql_connect::session::{CancelHandle, NotRun, Ready, Session};
use rdsql_db::catalog::{self, Rows};
use rdsql_db::txn::{Txn, leading_words};
use rdsql_db::{ConnectionSpec, Engine, QueryError, ResultSink};
use rustyline::error::ReadlineError;
use rustyline::history::{FileHistory, History};
use rustyline::{CompletionType, Config, Editor};
use std::io::Write;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

#[derive(Clone, Copy, PartialEq, Eq)]
enum Expanded {
    Off,
    On,
    Auto,
}

struct Shell {
    /// The connection with its spec, provider, transaction and session
    /// state; it reconnects by the rule every surface shares.
    session: Session,
    engine: Engine,
    format: Format,
    expanded: Expanded,
    timing: bool,
    out_file: Option<PathBuf>,
    label: String,
    /// `\set` variables, interpolated into statements and meta-commands.
    vars: vars::Vars,
    /// The last statement text run (after interpolation), for `\g`,
    /// `\watch`, `\e` and `\p` with an empty buffer.
    last_query: String,
    /// `\pset` settings (null, tuples only, unaligned, separators).
    table: TableOptions,
    /// Ctrl-C arrived while the last statement ran.
    interrupted: bool,
    /// Completion's catalog names; marked stale after DDL and `\c`.
    names: Arc<Mutex<Names>>,
    /// A statement `\e` ran, for the history.
    edited: Option<String>,
    /// SIGINT, listened to for the shell's whole life: a Ctrl-C that
    /// arrives between two statements (or between a `\watch` run and its
    /// wait) is kept for the next look, never lost.
    sigint: tokio::signal::unix::Signal,
}

impl Shell {
    fn prompt(&self, continuation: bool) -> String {
        if continuation {
            return format!("{}-> ", " ".repeat(self.label.chars().count()));
        }
        let t = match self.session.txn() {
            Txn::Idle => "",
            Txn::Open => "*",
            Txn::Failed => "!",
        };
        format!("{}={t}> ", self.label)
    }
}
