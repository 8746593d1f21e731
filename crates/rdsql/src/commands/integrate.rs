//! `rdsql completions SHELL` and `rdsql man`: both generated from the one
//! clap definition, so they never drift from the flags (docs/install.md).
//!
//! Completion is dynamic: the script the shell sources calls `rdsql` back
//! (with `RDSQL_COMPLETE=SHELL`) for every Tab, so saved connection names
//! and AWS profile names are completed as they are now.

use crate::cli::{Cli, CompletionShell};
use crate::report::Failure;
use clap::CommandFactory;
use clap_complete::engine::{ArgValueCandidates, CompletionCandidate};
use std::io::Write;

/// The environment variable the completion scripts call back with.
pub const COMPLETE_VAR: &str = "RDSQL_COMPLETE";

/// Saved connection names, for Tab (errors complete nothing).
fn saved_names() -> Vec<CompletionCandidate> {
    let Ok(dir) = rdsql_connect::saved::dir() else {
        return vec![];
    };
    let Ok(file) = rdsql_connect::saved::load_file(&dir) else {
        return vec![];
    };
    file.connections
        .iter()
        .map(|(name, c)| {
            let engine = c
                .fields
                .iter()
                .find(|(k, _)| k.as_str() == "engine")
                .map(|(_, v)| v.to_string())
                .unwrap_or_default();
            CompletionCandidate::new(name).help(Some(format!("saved {engine} connection").into()))
        })
        .collect()
}

/// AWS profile names, with their kind.
fn profile_names() -> Vec<CompletionCandidate> {
    let rt = match tokio::runtime::Builder::new_current_thread().build() {
        Ok(rt) => rt,
        Err(_) => return vec![],
    };
    rt.block_on(rdsql_aws::profiles::list())
        .unwrap_or_default()
        .into_iter()
        .map(|p| CompletionCandidate::new(p.name).help(Some(p.kind.into())))
        .collect()
}

/// The clap command with the dynamic value completers attached: saved
/// names where a CONN or an existing connection's name goes, profile names
/// after --aws-profile / --profile.
pub fn command() -> clap::Command {
    fn walk(mut cmd: clap::Command, path: &str) -> clap::Command {
        let ids: Vec<String> = cmd
            .get_arguments()
            .map(|a| a.get_id().to_string())
            .collect();
        for id in ids {
            let saved = matches!(id.as_str(), "conn" | "conns")
                || (id == "name"
                    && matches!(path, "conn show" | "conn rm" | "conn test" | "conn edit"));
            let profile = matches!(id.as_str(), "aws_profile" | "profile");
            if saved {
                cmd = cmd.mut_arg(&id, |a| a.add(ArgValueCandidates::new(saved_names)));
            } else if profile {
                cmd = cmd.mut_arg(&id, |a| a.add(ArgValueCandidates::new(profile_names)));
            }
        }
        let subs: Vec<String> = cmd
            .get_subcommands()
            .map(|s| s.get_name().to_string())
            .collect();
        for s in subs {
            let p = format!("{path} {s}").trim().to_string();
            cmd = cmd.mut_subcommand(&s, |c| walk(c, &p));
        }
        cmd
    }
    walk(Cli::command(), "")
}

/// `rdsql completions SHELL`: the script to source (or install).
pub fn completions(shell: CompletionShell) -> Result<(), Failure> {
    let shells = clap_complete::env::Shells::builtins();
    let name = shell.name();
    let completer = shells
        .completer(name)
        .ok_or_else(|| Failure::local(format!("no completion support for {name}"), vec![]))?;
    let mut out = std::io::stdout().lock();
    completer
        .write_registration(COMPLETE_VAR, "rdsql", "rdsql", "rdsql", &mut out)
        .and_then(|_| out.flush())
        .map_err(|e| Failure::local(format!("could not write the script: {e}"), vec![]))
}

fn roff_escape(s: &str) -> String {
    let s = s.replace('\\', "\\e").replace('-', "\\-");
    if s.starts_with('.') || s.starts_with('\'') {
        format!("\\&{s}")
    } else {
        s
    }
}

/// `rdsql man`: rdsql(1) — the top-level page from clap_mangen, then a
/// section per subcommand with its options.
pub fn man() -> Result<(), Failure> {
    let cmd = Cli::command();
    let mut buf = Vec::new();
    let fail = |e: std::io::Error| Failure::local(format!("could not write the page: {e}"), vec![]);
    clap_mangen::Man::new(cmd.clone())
        .render(&mut buf)
        .map_err(fail)?;
    fn section(cmd: &clap::Command, path: &str, buf: &mut Vec<u8>) {
        for sub in cmd.get_subcommands() {
            let full = format!("{path} {}", sub.get_name());
            buf.extend(format!(".SS \"{}\"\n", roff_escape(&full)).as_bytes());
            if let Some(about) = sub.get_long_about().or(sub.get_about()) {
                buf.extend(format!("{}\n", roff_escape(&about.to_string())).as_bytes());
            }
            for a in sub.get_arguments() {
                if a.is_hide_set() || a.get_id() == "help" {
                    continue;
                }
                let mut names = vec![];
                if let Some(s) = a.get_short() {
                    names.push(format!("\\fB\\-{s}\\fR"));
                }
                if let Some(l) = a.get_long() {
                    names.push(format!("\\fB\\-\\-{}\\fR", roff_escape(l)));
                }
                let value = a
                    .get_value_names()
                    .map(|v| {
                        v.iter()
                            .map(|n| n.to_string())
                            .collect::<Vec<_>>()
                            .join(" ")
                    })
                    .filter(|_| a.get_action().takes_values());
                let head = if names.is_empty() {
                    format!(
                        "\\fI{}\\fR",
                        roff_escape(
                            &value
                                .clone()
                                .unwrap_or_else(|| a.get_id().to_string().to_uppercase())
                        )
                    )
                } else {
                    let mut h = names.join(", ");
                    if let Some(v) = &value {
                        h.push_str(&format!(" \\fI{}\\fR", roff_escape(v)));
                    }
                    h
                };
                let help = a
                    .get_long_help()
                    .or(a.get_help())
                    .map(|h| h.to_string())
                    .unwrap_or_default();
                buf.extend(format!(".TP\n{head}\n{}\n", roff_escape(&help)).as_bytes());
            }
            section(sub, &full, buf);
        }
    }
    buf.extend(b".SH \"COMMANDS IN DETAIL\"\n");
    section(&cmd, "rdsql", &mut buf);
    buf.extend(
        b".SH \"SEE ALSO\"\nThe README and docs/ of the rdsql repository; \\fBpsql\\fR(1), \\fBmariadb\\fR(1), \\fBssh\\fR(1).\n",
    );
    // roff is ASCII: other characters as groff's \[uXXXX] escapes, so any
    // man(1) renders them without a preprocessor.
    let text = String::from_utf8_lossy(&buf);
    let mut ascii = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_ascii() {
            ascii.push(c);
        } else {
            ascii.push_str(&format!("\\[u{:04X}]", c as u32));
        }
    }
    let mut out = std::io::stdout().lock();
    out.write_all(ascii.as_bytes())
        .and_then(|_| out.flush())
        .map_err(fail)
}
