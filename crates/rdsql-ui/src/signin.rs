//! SSO sign-in started from the dialog: the same flows and shared cache as
//! `rdsql sso login`, run on a thread of their own while the browser polls;
//! when it finishes the dialog connects by itself (docs/ui.md, "SSO").

use rdsql_aws::sso::login::{LoginOptions, LoginUi};
use rdsql_aws::sso::{self, SsoSession};
use rdsql_connect::report::Failure;
use serde::Serialize;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

/// What the dialog shows while a sign-in runs.
#[derive(Debug, Clone, Serialize, Default)]
pub struct Status {
    /// "starting", "waiting", "done", "failed" or "cancelled".
    pub state: String,
    /// The page to sign in on (shown as a link too).
    pub url: Option<String>,
    /// The code to confirm (device code flow).
    pub user_code: Option<String>,
    pub error: Option<Failure>,
}

/// One sign-in in progress.
pub struct Job {
    status: Mutex<Status>,
    cancel: AtomicBool,
    open_browser: bool,
}

impl Job {
    pub fn status(&self) -> Status {
        self.status.lock().map(|s| s.clone()).unwrap_or_default()
    }

    fn set(&self, f: impl FnOnce(&mut Status)) {
        if let Ok(mut s) = self.status.lock() {
            f(&mut s);
        }
    }

    /// Done, failed or cancelled.
    pub fn finished(&self) -> bool {
        matches!(
            self.status().state.as_str(),
            "done" | "failed" | "cancelled"
        )
    }

    pub fn cancel(&self) {
        self.cancel.store(true, Ordering::SeqCst);
    }
}

impl LoginUi for Job {
    fn open(&self, url: &str, user_code: Option<&str>) {
        self.set(|s| {
            s.state = "waiting".into();
            s.url = Some(url.to_string());
            s.user_code = user_code.map(str::to_string);
        });
        if self.open_browser {
            rdsql_connect::browser::open(url);
        }
    }
    fn waiting(&self) {}
    fn finished(&self) {}
}

/// Which sign-in a form names: an SSO profile or a custom start URL and
/// region.
pub async fn session_for(
    profile: Option<&str>,
    start_url: Option<&str>,
    region: Option<&str>,
) -> Result<SsoSession, Failure> {
    match (start_url, region, profile) {
        (Some(u), Some(r), _) => rdsql_connect::open::custom_session(u, r).map_err(Failure::from),
        (_, _, Some(p)) => sso::profile_by_name(p)
            .await
            .map(|p| p.session)
            .map_err(|e| Failure::local(e.message, e.hints)),
        _ => Err(Failure::local(
            "choose an SSO profile, or enter the SSO Start URL and SSO Region",
            vec!["the profiles come from ~/.aws/config; the refresh button reads it again".into()],
        )),
    }
}

/// Starts signing in to `session` in the background; the job reports
/// progress.
pub fn start(session: SsoSession, device_code: bool, open_browser: bool) -> std::sync::Arc<Job> {
    let job = std::sync::Arc::new(Job {
        status: Mutex::new(Status {
            state: "starting".into(),
            ..Default::default()
        }),
        cancel: AtomicBool::new(false),
        open_browser,
    });
    let j = job.clone();
    // A task on the server's runtime: the sign-in is async throughout.
    tokio::spawn(async move {
        let opts = LoginOptions {
            use_device_code: device_code,
            ..Default::default()
        };
        let cancelled = async {
            while !j.cancel.load(Ordering::SeqCst) {
                tokio::time::sleep(std::time::Duration::from_millis(200)).await;
            }
        };
        tokio::select! {
            r = sso::login::login(&session, &opts, j.as_ref()) => match r {
                Ok(_) => j.set(|s| s.state = "done".into()),
                Err(e) => j.set(|s| {
                    s.state = "failed".into();
                    s.error = Some(Failure {
                        headline: e.message,
                        causes: e.hints,
                        details: vec![],
                        exit_code: rdsql_connect::report::EXIT_CONNECT,
                    });
                }),
            },
            _ = cancelled => j.set(|s| s.state = "cancelled".into()),
        }
    });
    job
}
