//! The terminal side of SSO sign-in: opening the browser (or printing the
//! URL), a spinner while waiting, Ctrl-C, and resolving which sign-in the
//! user means.

use crate::cli::SsoSelect;
use crate::report::Failure;
use indicatif::{ProgressBar, ProgressStyle};
use rdsql_aws::sso::login::{LoginError, LoginOptions, LoginUi};
use rdsql_aws::sso::{self, SsoConfigError, SsoSession};
use std::io::IsTerminal;
use std::sync::Mutex;
use std::time::Duration;

/// Shows the sign-in on the terminal.
pub struct TerminalUi {
    pub open_browser: bool,
    spinner: Mutex<Option<ProgressBar>>,
}

impl TerminalUi {
    pub fn new(open_browser: bool) -> Self {
        TerminalUi {
            open_browser,
            spinner: Mutex::new(None),
        }
    }
}

impl LoginUi for TerminalUi {
    fn open(&self, url: &str, user_code: Option<&str>) {
        let opened = self.open_browser && rdsql_connect::browser::open(url);
        if opened {
            eprintln!("Opened the IAM Identity Center sign-in page in your browser.");
            eprintln!("If it did not open, go to:\n\n  {url}\n");
        } else {
            eprintln!("Open this URL in a browser to sign in:\n\n  {url}\n");
        }
        if let Some(code) = user_code {
            eprintln!("and check that the page shows the code: {code}\n");
        }
    }

    fn waiting(&self) {
        if std::io::stderr().is_terminal() {
            let pb = ProgressBar::new_spinner();
            pb.set_style(
                ProgressStyle::with_template("{spinner} {msg}")
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            );
            pb.set_message("Waiting for the sign-in in the browser… (Ctrl-C cancels)");
            pb.enable_steady_tick(Duration::from_millis(120));
            *self.spinner.lock().unwrap_or_else(|p| p.into_inner()) = Some(pb);
        } else {
            eprintln!("Waiting for the sign-in in the browser…");
        }
    }

    fn finished(&self) {
        if let Some(pb) = self
            .spinner
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()
        {
            pb.finish_and_clear();
        }
    }
}

/// A sign-in failure as exit 2 with its hints.
pub fn login_failure(e: LoginError) -> Failure {
    Failure {
        headline: e.message,
        causes: e.hints,
        details: vec![],
        exit_code: crate::report::EXIT_CONNECT,
    }
}

/// A config problem as exit 1 with its hints.
pub fn config_failure(e: SsoConfigError) -> Failure {
    Failure::local(e.message, e.hints)
}

/// Which sign-in the flags name.
pub async fn session_for(select: &SsoSelect) -> Result<SsoSession, Failure> {
    if let Some(p) = &select.profile {
        return Ok(sso::profile_by_name(p)
            .await
            .map_err(config_failure)?
            .session);
    }
    if let Some(s) = &select.sso_session {
        return sso::session_by_name(s).await.map_err(config_failure);
    }
    if let (Some(u), Some(r)) = (&select.sso_start_url, &select.sso_region) {
        return Ok(rdsql_connect::open::custom_session(u, r)?);
    }
    if let Ok(p) = std::env::var("AWS_PROFILE") {
        return Ok(sso::profile_by_name(&p)
            .await
            .map_err(config_failure)?
            .session);
    }
    Err(Failure::local(
        "which IAM Identity Center sign-in? none was named",
        vec![
            "give --profile NAME (an SSO profile), --sso-session NAME, or --sso-start-url URL --sso-region REGION".into(),
            "rdsql aws profiles lists the profiles found".into(),
        ],
    ))
}

/// Signs in, with Ctrl-C cancelling cleanly.
pub async fn sign_in(
    session: &SsoSession,
    opts: &LoginOptions,
    open_browser: bool,
) -> Result<(), Failure> {
    let ui = TerminalUi::new(open_browser);
    let r = tokio::select! {
        r = sso::login::login(session, opts, &ui) => r.map(|_| ()).map_err(login_failure),
        _ = tokio::signal::ctrl_c() => {
            ui.finished();
            Err(Failure::local("SSO sign-in cancelled", vec![]))
        }
    };
    r
}
