//! The binary's side of connecting: flags into a [`Request`] for the
//! connect library, and a terminal [`Interaction`] (no-echo prompts, SSO
//! sign-in in a browser with a spinner).

use crate::cli::ConnArgs;
use crate::report::{EXIT_LOCAL, Failure};
use rdsql_aws::sso::SsoSession;
use rdsql_connect::iam::IamTokenProvider;
use rdsql_connect::{Error, Interaction, Request, Session};
use rdsql_db::password::BoxFuture;
use rdsql_db::{ConnectionSpec, Secret, ServerSpec};
use std::io::IsTerminal;

/// A person at a terminal.
pub struct Terminal;

impl Interaction for Terminal {
    fn can_prompt(&self) -> bool {
        has_tty()
    }

    fn secret(&self, prompt: &str) -> Result<Secret, Error> {
        rpassword::prompt_password(prompt)
            .map(Secret::new)
            .map_err(|e| Error::setup(format!("could not read from the terminal: {e}"), vec![]))
    }

    fn sso_sign_in<'a>(
        &'a self,
        session: &'a SsoSession,
        why: &'a str,
    ) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(async move {
            eprintln!("{why}; signing in…");
            crate::signin::sign_in(session, &Default::default(), true)
                .await
                .map_err(|f| {
                    if f.exit_code == EXIT_LOCAL {
                        Error::Cancelled(f.headline)
                    } else {
                        Error::SignIn {
                            message: f.headline,
                            hints: f.causes,
                        }
                    }
                })
        })
    }
}

/// The process environment, as the library reads it.
pub fn env(k: &str) -> Option<String> {
    std::env::var(k).ok()
}

/// The connect library's request for these flags.
pub fn request(args: &ConnArgs) -> Request {
    Request {
        conn: args.conn.clone(),
        fields: args.fields.clone(),
        ..Default::default()
    }
}

/// Resolves flags + URL/saved connection + environment (no network).
pub fn resolve(args: &ConnArgs) -> Result<ConnectionSpec, Failure> {
    Ok(rdsql_connect::resolve(&request(args), &env)?)
}

/// Opens a session on the connection the spec describes, asking at the
/// terminal where a person is needed.
pub async fn open_session(spec: ConnectionSpec) -> Result<Session, Failure> {
    Ok(Session::open(spec, &Terminal, &env).await?)
}

/// The token provider for an IAM or SSO connection (`rdsql token`).
pub async fn iam_provider(server: &ServerSpec) -> Result<IamTokenProvider, Failure> {
    Ok(rdsql_connect::open::iam_provider(server, &Terminal, &env).await?)
}

fn has_tty() -> bool {
    // The prompt is read from /dev/tty, so piped SQL on stdin still works;
    // with stderr redirected (scripts, tests) nobody would see the prompt.
    std::io::stderr().is_terminal() && std::fs::File::open("/dev/tty").is_ok()
}
