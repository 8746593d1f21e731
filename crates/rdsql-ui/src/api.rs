//! Routes: the page, its assets, and the JSON API the dialog calls. GET
//! never changes anything; every change is a same-origin JSON POST (see
//! [`crate::security`]). No response ever carries a saved secret.

use crate::form::{self, Form};
use crate::sessions::{self, OpenError};
use crate::{State, assets, signin};
use axum::Json;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use rdsql_connect::report::Failure;
use rdsql_connect::saved;
use rdsql_db::ConnectionSpec;
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::HashMap;

/// Limits that keep a page (or a loop in it) from exhausting the machine.
const MAX_SESSIONS: usize = 32;
const MAX_SIGNINS: usize = 16;

pub fn router(state: State) -> axum::Router {
    axum::Router::new()
        .route("/", get(|| async { assets::get("") }))
        .route(
            "/assets/{file}",
            get(|Path(file): Path<String>| async move { assets::get(&file) }),
        )
        .route(
            "/assets/vendor/{file}",
            get(|Path(file): Path<String>| async move { assets::get(&format!("vendor/{file}")) }),
        )
        .route(
            "/api/fields",
            get(|| async { Json(rdsql_connect::form::fields_json()) }),
        )
        .route("/api/profiles", get(profiles))
        .route("/api/connections", get(connections))
        .route("/api/connections/save", post(save))
        .route("/api/connections/delete", post(delete))
        .route("/api/test", post(test))
        .route("/api/rds/databases", post(rds_databases))
        .route("/api/connect", post(connect))
        .route("/api/query", post(query))
        .route("/api/disconnect", post(disconnect))
        .route("/api/cancel", post(cancel))
        .route("/api/catalog", post(catalog))
        .route("/api/split", post(split))
        .route("/api/history", post(history))
        .route("/api/export", post(export_start))
        .route("/api/export/{id}", get(export_download))
        .route("/api/export/{id}/status", get(export_status))
        .route("/api/workspace", get(workspace_get))
        .route("/api/workspace/save", post(workspace_save))
        .route("/api/sso/signin", post(sso_signin))
        .route("/api/sso/signin/{job}", get(sso_status))
        .route("/api/sso/cancel", post(sso_cancel))
        .route("/api/sso/accounts", post(sso_accounts))
        .route("/api/sso/roles", post(sso_roles))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::security::guard,
        ))
        .with_state(state)
}

/// An error as the dialog shows it: the CLI's headline and likely causes,
/// and the field it concerns.
fn failure(f: Failure, field: Option<&str>) -> Response {
    let status = match f.exit_code {
        rdsql_connect::report::EXIT_CONNECT => StatusCode::BAD_GATEWAY,
        rdsql_connect::report::EXIT_STATEMENT => StatusCode::UNPROCESSABLE_ENTITY,
        _ => StatusCode::BAD_REQUEST,
    };
    (status, Json(json!({ "error": f, "field": field }))).into_response()
}

/// The spec a form describes, by the one resolve path every surface
/// takes (so an SSH bastion in Advanced is used, as with `--ssh`).
fn spec_of(form: &Form) -> Result<ConnectionSpec, Response> {
    let field_of = |e: &rdsql_connect::Error| match e {
        rdsql_connect::Error::Flag { flag, .. } => Some(flag.replace('-', "_")),
        _ => None,
    };
    form::request(form)
        .and_then(|req| rdsql_connect::resolve(&req, &sessions::env))
        .map_err(|e| {
            let field = field_of(&e);
            failure(Failure::from(e), field.as_deref())
        })
}

/// Browse RDS Databases: the instances, cluster endpoints and proxies the
/// dialog's AWS credentials can see in its region (docs/ui.md).
async fn rds_databases(Json(b): Json<FormBody>) -> Response {
    let mut form = b.form.clone();
    // Discovery needs the credentials, not a host: any will do.
    if form
        .get("host")
        .and_then(|h| h.as_str())
        .is_none_or(|h| h.trim().is_empty())
    {
        form.insert("host".into(), json!("rds-discovery.invalid"));
    }
    let spec = match spec_of(&form) {
        Ok(s) => s,
        Err(r) => return r,
    };
    let ConnectionSpec::Server(server) = spec else {
        return failure(
            Failure::local("choose a server engine", vec![]),
            Some("engine"),
        );
    };
    if !server.auth.needs_aws_credentials() {
        return failure(
            Failure::local(
                "choose an AWS authentication method first (IAM keys, AWS profile or SSO)",
                vec![],
            ),
            Some("auth"),
        );
    }
    let ui = sessions::FormInteraction::new(form::mfa_code(&b.form));
    let source = match rdsql_connect::open::credential_source(&server, &ui, &sessions::env).await {
        Ok(s) => s,
        Err(e @ rdsql_connect::Error::SignIn { .. }) => {
            return open_error(OpenError::SignIn(Failure::from(e)));
        }
        Err(e) => {
            let field = match e {
                rdsql_connect::Error::MfaCodeNeeded { .. } => "mfa_code",
                _ => "auth",
            };
            return failure(Failure::from(e), Some(field));
        }
    };
    let (creds, profile_region) = match rdsql_aws::ResolvedCredentials::new(&source).await {
        Ok(c) => c,
        Err(e) => {
            return failure(
                Failure {
                    headline: e.to_string(),
                    causes: e.hints,
                    details: vec![],
                    exit_code: rdsql_connect::report::EXIT_CONNECT,
                },
                Some("auth"),
            );
        }
    };
    let region = server
        .auth
        .region()
        .map(str::to_string)
        .or(profile_region)
        .or_else(|| sessions::env("AWS_REGION"))
        .or_else(|| sessions::env("AWS_DEFAULT_REGION"))
        .filter(|r| !r.is_empty());
    let Some(region) = region else {
        return failure(
            Failure::local(
                "which region? Type the AWS Region to list its databases",
                vec![],
            ),
            Some("aws_region"),
        );
    };
    let creds = std::sync::Arc::new(creds);
    match rdsql_aws::discovery::list(&creds, &region).await {
        Ok(list) => Json(json!({
            "region": region,
            "databases": list.iter().map(|d| json!({
                "kind": d.kind,
                "identifier": d.identifier,
                "engine": d.engine,
                "rdsql_engine": d.rdsql_engine(),
                "engine_version": d.engine_version,
                "endpoint": d.endpoint,
                "port": d.port,
                "iam_auth": d.iam_auth,
                "publicly_accessible": d.publicly_accessible,
                "status": d.status,
                "enable_iam": rdsql_connect::check::enable_command(d),
            })).collect::<Vec<_>>(),
        }))
        .into_response(),
        Err(e) => failure(
            Failure {
                headline: e.to_string(),
                causes: vec![
                    "the credentials need rds:DescribeDBInstances, rds:DescribeDBClusters and rds:DescribeDBProxies".into(),
                    format!("credentials used: {}", creds.description()),
                ],
                details: vec![],
                exit_code: rdsql_connect::report::EXIT_CONNECT,
            },
            Some("aws_region"),
        ),
    }
}

async fn profiles() -> Response {
    match rdsql_aws::profiles::list().await {
        Ok(p) => Json(json!({ "profiles": p })).into_response(),
        Err(e) => failure(
            Failure::local(e, vec!["fix ~/.aws/config, then press refresh".into()]),
            Some("aws_profile"),
        ),
    }
}

/// The saved connections: fields and where the secret is — never the
/// secret.
async fn connections() -> Response {
    let list = saved::dir().and_then(|d| saved::load_file(&d).map(|f| (d, f)));
    match list {
        Ok((_, file)) => {
            let out: Vec<Value> = file
                .connections
                .iter()
                .map(|(name, c)| {
                    let fields: HashMap<&String, String> =
                        c.fields.iter().map(|(k, v)| (k, v.to_string())).collect();
                    json!({
                        "name": name,
                        "fields": fields,
                        "secret": match c.secret.as_deref() {
                            Some("keyring") => "saved in keyring",
                            Some("file") => "saved in secrets.toml (0600)",
                            Some("prompt") => "asked each time",
                            _ => "",
                        },
                    })
                })
                .collect();
            Json(json!({ "connections": out })).into_response()
        }
        Err(e) => failure(Failure::from(e), None),
    }
}

#[derive(Deserialize)]
struct SaveBody {
    name: String,
    form: Form,
    #[serde(default)]
    replace: bool,
}

async fn save(Json(b): Json<SaveBody>) -> Response {
    let opts = match form::options(&b.form) {
        Ok(o) => o,
        Err(e) => return failure(Failure::from(e), None),
    };
    let result = saved::dir().and_then(|d| saved::save(&d, &b.name, &opts, b.replace));
    match result {
        Ok(where_) => Json(json!({
            "saved": b.name,
            "secret": match where_ {
                saved::SecretSaved::None => String::new(),
                saved::SecretSaved::Keyring => "saved in keyring".into(),
                saved::SecretSaved::File(p) => format!("saved in {} (0600)", p.display()),
            }
        }))
        .into_response(),
        Err(e) => failure(Failure::from(e), Some("name")),
    }
}

#[derive(Deserialize)]
struct NameBody {
    name: String,
}

async fn delete(Json(b): Json<NameBody>) -> Response {
    match saved::dir().and_then(|d| saved::delete(&d, &b.name)) {
        Ok(()) => Json(json!({ "deleted": b.name })).into_response(),
        Err(e) => failure(Failure::from(e), None),
    }
}

#[derive(Deserialize)]
struct FormBody {
    form: Form,
}

fn open_error(e: OpenError) -> Response {
    match e {
        OpenError::SignIn(f) => (
            StatusCode::UNAUTHORIZED,
            Json(json!({ "error": f, "field": "sso_start_url", "signin_required": true })),
        )
            .into_response(),
        OpenError::Other(f, field) => failure(f, field),
    }
}

async fn test(Json(b): Json<FormBody>) -> Response {
    let spec = match spec_of(&b.form) {
        Ok(s) => s,
        Err(r) => return r,
    };
    // IAM and SSO: the prerequisites report of `rdsql aws check`.
    if let ConnectionSpec::Server(server) = &spec
        && server.auth.password_is_token()
    {
        let ui = sessions::FormInteraction::new(form::mfa_code(&b.form));
        return match rdsql_connect::check::run(server, &ui, &sessions::env).await {
            Ok(report) => Json(json!({
                "ok": report.all_passed(),
                "report": report,
                "text": report.render(),
            }))
            .into_response(),
            Err(e @ rdsql_connect::Error::SignIn { .. }) => {
                open_error(OpenError::SignIn(Failure::from(e)))
            }
            Err(e) => failure(Failure::from(e), None),
        };
    }
    match sessions::open(spec, true, None, None).await {
        Ok((opened, _)) => Json(json!({ "ok": true, "session": opened })).into_response(),
        Err(e) => open_error(e),
    }
}

async fn connect(
    axum::extract::State(state): axum::extract::State<State>,
    Json(b): Json<FormBody>,
) -> Response {
    let spec = match spec_of(&b.form) {
        Ok(s) => s,
        Err(r) => return r,
    };
    // History is kept per saved connection, else per user@host/db.
    let key = text(&b.form, "saved")
        .or_else(|| text(&b.form, "name"))
        .map(str::to_string)
        .unwrap_or_else(|| sessions::label(&spec));
    let history = state
        .data_dir
        .as_deref()
        .map(|d| crate::history::History::new(d, &key));
    match sessions::open(spec, false, history, form::mfa_code(&b.form)).await {
        Ok((opened, Some(handle))) => {
            let id = crate::new_token()[..16].to_string();
            let full = match state.sessions.lock() {
                Ok(mut m) if m.len() < MAX_SESSIONS => {
                    m.insert(id.clone(), handle);
                    None
                }
                _ => Some(handle),
            };
            if let Some(h) = full {
                tokio::task::spawn_blocking(move || h.close());
                return failure(
                    Failure::local(
                        format!("{MAX_SESSIONS} sessions are open already"),
                        vec!["disconnect one first".into()],
                    ),
                    None,
                );
            }
            Json(json!({ "id": id, "session": opened, "key": key })).into_response()
        }
        Ok((_, None)) => failure(Failure::local("no session", vec![]), None),
        Err(e) => open_error(e),
    }
}

#[derive(Deserialize)]
struct QueryBody {
    session: String,
    sql: String,
}

fn no_session() -> Response {
    failure(
        Failure::local(
            "no such session (it was closed)",
            vec!["connect again".into()],
        ),
        None,
    )
}

/// Runs statements; the results stream back as NDJSON lines (see
/// [`sessions::StreamSink`]) at the pace the page reads them, so a paused
/// grid holds the server back instead of filling memory.
async fn query(
    axum::extract::State(state): axum::extract::State<State>,
    Json(b): Json<QueryBody>,
) -> Response {
    let client = state
        .sessions
        .lock()
        .ok()
        .and_then(|m| m.get(&b.session).map(|h| h.client()));
    let Some(client) = client else {
        return no_session();
    };
    let rx = match client.query(b.sql) {
        Ok(rx) => rx,
        Err(f) => return failure(f, None),
    };
    ndjson(chunks(rx))
}

/// Chunks from a session or export thread, as a body stream; dropping the
/// stream (the browser went away) drops the receiver, which the producer
/// sees at its next send.
fn chunks(
    rx: std::sync::mpsc::Receiver<Vec<u8>>,
) -> impl futures_util::Stream<Item = Result<Vec<u8>, std::convert::Infallible>> {
    futures_util::stream::unfold(Some(rx), |rx| async move {
        let rx = rx?;
        let (rx, next) = tokio::task::spawn_blocking(move || {
            let next = rx.recv().ok();
            (rx, next)
        })
        .await
        .ok()?;
        next.map(|c| (Ok(c), Some(rx)))
    })
}

fn ndjson(
    body: impl futures_util::Stream<Item = Result<Vec<u8>, std::convert::Infallible>> + Send + 'static,
) -> Response {
    (
        [
            (axum::http::header::CONTENT_TYPE, "application/x-ndjson"),
            (axum::http::header::CACHE_CONTROL, "no-store"),
        ],
        axum::body::Body::from_stream(body),
    )
        .into_response()
}

fn session_of(
    state: &State,
    id: &str,
) -> Option<(
    ConnectionSpec,
    std::sync::Arc<dyn rdsql_db::PasswordProvider>,
    Option<crate::history::History>,
)> {
    state.sessions.lock().ok().and_then(|m| {
        m.get(id).map(|h| {
            let (spec, provider) = h.connection();
            (spec, provider, h.history.clone())
        })
    })
}

async fn catalog(
    axum::extract::State(state): axum::extract::State<State>,
    Json(b): Json<SessionBody>,
) -> Response {
    let Some((spec, provider, _)) = session_of(&state, &b.session) else {
        return no_session();
    };
    match crate::catalog::read(spec, provider).await {
        Ok(v) => Json(v).into_response(),
        Err(f) => failure(f, None),
    }
}

#[derive(Deserialize)]
struct SplitBody {
    session: String,
    sql: String,
}

/// Statement boundaries by the CLI's own splitter, as UTF-16 offsets
/// (what the editor counts in), so "run the statement under the cursor"
/// runs exactly what `rdsql query -f` would.
async fn split(
    axum::extract::State(state): axum::extract::State<State>,
    Json(b): Json<SplitBody>,
) -> Response {
    let Some((spec, _, _)) = session_of(&state, &b.session) else {
        return no_session();
    };
    Json(json!({ "statements": statement_ranges(&b.sql, spec.engine()) })).into_response()
}

fn statement_ranges(sql: &str, engine: rdsql_db::Engine) -> Vec<[usize; 2]> {
    let base = sql.as_ptr() as usize;
    let utf16 = |byte: usize| sql[..byte].encode_utf16().count();
    rdsql_db::split::split_statements(sql, engine)
        .into_iter()
        .map(|stmt| {
            let from = stmt.as_ptr() as usize - base;
            [utf16(from), utf16(from + stmt.len())]
        })
        .collect()
}

#[derive(Deserialize)]
struct HistoryBody {
    session: String,
    #[serde(default)]
    q: String,
}

async fn history(
    axum::extract::State(state): axum::extract::State<State>,
    Json(b): Json<HistoryBody>,
) -> Response {
    let Some((_, _, history)) = session_of(&state, &b.session) else {
        return no_session();
    };
    let Some(h) = history else {
        return Json(
            json!({ "entries": [], "note": "no data directory: set HOME or RDSQL_DATA_DIR" }),
        )
        .into_response();
    };
    match tokio::task::spawn_blocking(move || h.search(&b.q, 500)).await {
        Ok(Ok(entries)) => Json(json!({ "entries": entries })).into_response(),
        Ok(Err(e)) => failure(
            Failure::local(format!("cannot read the history: {e}"), vec![]),
            None,
        ),
        Err(_) => failure(Failure::local("internal error", vec![]), None),
    }
}

#[derive(Deserialize)]
struct ExportBody {
    session: String,
    sql: String,
    format: String,
}

/// Registers an export; the page then downloads `url` (a GET, so the
/// browser streams it to disk) and polls its status.
async fn export_start(
    axum::extract::State(state): axum::extract::State<State>,
    Json(b): Json<ExportBody>,
) -> Response {
    let Some(format) =
        rdsql_output::Format::parse(&b.format).filter(|f| *f != rdsql_output::Format::Table)
    else {
        return failure(
            Failure::local(
                format!("cannot export as {:?}", b.format),
                vec!["choose csv, tsv, json or ndjson".into()],
            ),
            None,
        );
    };
    if b.sql.trim().is_empty() {
        return failure(
            Failure::local("nothing to export: the statement is empty", vec![]),
            Some("sql"),
        );
    }
    let Some((spec, provider, _)) = session_of(&state, &b.session) else {
        return no_session();
    };
    let id = crate::new_token();
    let job = std::sync::Arc::new(crate::export::Job {
        spec,
        provider,
        sql: b.sql,
        format,
        created: std::time::Instant::now(),
        claimed: Default::default(),
        progress: std::sync::Mutex::new(crate::export::Progress {
            state: "waiting",
            ..Default::default()
        }),
    });
    if let Ok(mut m) = state.exports.lock() {
        // Finished and unclaimed ones go.
        // Running ones and recent ones (the page still asks for their
        // status) stay; the rest go.
        m.retain(|_, j| {
            j.progress().state == "running"
                || j.created.elapsed() < std::time::Duration::from_secs(600)
        });
        if m.len() >= 64 {
            return failure(
                Failure::local(
                    "too many exports are open",
                    vec!["wait for one to finish".into()],
                ),
                None,
            );
        }
        m.insert(id.clone(), job);
    }
    Json(json!({
        "id": id,
        "url": format!("/api/export/{id}"),
        "file": format!("rdsql-export.{}", format.name()),
    }))
    .into_response()
}

async fn export_download(
    axum::extract::State(state): axum::extract::State<State>,
    Path(id): Path<String>,
) -> Response {
    let job = state.exports.lock().ok().and_then(|m| m.get(&id).cloned());
    let Some(job) = job.filter(|j| j.created.elapsed() < crate::export::UNCLAIMED) else {
        return (
            StatusCode::NOT_FOUND,
            "no such export (it expired or was downloaded)\n",
        )
            .into_response();
    };
    // One download per export: a second GET would run the statement again.
    if job.claimed.swap(true, std::sync::atomic::Ordering::SeqCst) {
        return (StatusCode::GONE, "this export was downloaded already\n").into_response();
    }
    let (tx, rx) = std::sync::mpsc::sync_channel(4);
    let format = job.format;
    crate::export::start(job, tx);
    (
        [
            (
                axum::http::header::CONTENT_TYPE,
                format.media_type().to_string(),
            ),
            (
                axum::http::header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"rdsql-export.{}\"", format.name()),
            ),
            (axum::http::header::CACHE_CONTROL, "no-store".to_string()),
        ],
        axum::body::Body::from_stream(chunks(rx)),
    )
        .into_response()
}

async fn export_status(
    axum::extract::State(state): axum::extract::State<State>,
    Path(id): Path<String>,
) -> Response {
    match state.exports.lock().ok().and_then(|m| m.get(&id).cloned()) {
        Some(j) => Json(json!({ "export": j.progress() })).into_response(),
        None => failure(Failure::local("no such export", vec![]), None),
    }
}

fn no_data_dir() -> Response {
    failure(
        Failure::local(
            "no data directory to keep the workspace in",
            vec!["set HOME or RDSQL_DATA_DIR".into()],
        ),
        None,
    )
}

async fn workspace_get(axum::extract::State(state): axum::extract::State<State>) -> Response {
    let Some(dir) = state.data_dir.clone() else {
        return no_data_dir();
    };
    match tokio::task::spawn_blocking(move || crate::workspace::load(&dir)).await {
        Ok(Ok(v)) => Json(json!({ "workspace": v })).into_response(),
        Ok(Err(e)) => failure(
            Failure::local(
                format!("cannot read the workspace: {e}"),
                vec!["move the file away to start with an empty workspace".into()],
            ),
            None,
        ),
        Err(_) => failure(Failure::local("internal error", vec![]), None),
    }
}

async fn workspace_save(
    axum::extract::State(state): axum::extract::State<State>,
    Json(v): Json<Value>,
) -> Response {
    let Some(dir) = state.data_dir.clone() else {
        return no_data_dir();
    };
    match tokio::task::spawn_blocking(move || crate::workspace::store(&dir, &v)).await {
        Ok(Ok(())) => Json(json!({ "saved": true })).into_response(),
        Ok(Err(e)) => failure(
            Failure::local(format!("cannot save the workspace: {e}"), vec![]),
            None,
        ),
        Err(_) => failure(Failure::local("internal error", vec![]), None),
    }
}

#[derive(Deserialize)]
struct SessionBody {
    session: String,
}

async fn cancel(
    axum::extract::State(state): axum::extract::State<State>,
    Json(b): Json<SessionBody>,
) -> Response {
    let sent = state
        .sessions
        .lock()
        .ok()
        .and_then(|m| m.get(&b.session).map(|h| h.cancel()))
        .unwrap_or(false);
    Json(json!({ "sent": sent })).into_response()
}

async fn disconnect(
    axum::extract::State(state): axum::extract::State<State>,
    Json(b): Json<SessionBody>,
) -> Response {
    let handle = state
        .sessions
        .lock()
        .ok()
        .and_then(|mut m| m.remove(&b.session));
    if let Some(h) = handle {
        tokio::task::spawn_blocking(move || h.close());
    }
    Json(json!({ "closed": b.session })).into_response()
}

fn text<'a>(form: &'a Form, key: &str) -> Option<&'a str> {
    form.get(key)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

async fn sso_signin(
    axum::extract::State(state): axum::extract::State<State>,
    Json(b): Json<FormBody>,
) -> Response {
    let session = match signin::session_for(
        text(&b.form, "aws_profile"),
        text(&b.form, "sso_start_url"),
        text(&b.form, "sso_region"),
    )
    .await
    {
        Ok(s) => s,
        Err(f) => return failure(f, Some("aws_profile")),
    };
    let device = b
        .form
        .get("sso_use_device_code")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let id = crate::new_token()[..16].to_string();
    {
        let Ok(mut m) = state.signins.lock() else {
            return failure(Failure::local("internal error", vec![]), None);
        };
        // Finished sign-ins are forgotten; running ones are capped.
        m.retain(|_, j| !j.finished());
        if m.len() >= MAX_SIGNINS {
            return failure(
                Failure::local(
                    "too many sign-ins are running",
                    vec!["cancel one first".into()],
                ),
                None,
            );
        }
        m.insert(
            id.clone(),
            signin::start(session, device, state.open_browser),
        );
    }
    Json(json!({ "job": id })).into_response()
}

async fn sso_status(
    axum::extract::State(state): axum::extract::State<State>,
    Path(job): Path<String>,
) -> Response {
    let j = state.signins.lock().ok().and_then(|m| m.get(&job).cloned());
    match j {
        Some(j) => Json(json!({ "status": j.status() })).into_response(),
        None => failure(Failure::local("no such sign-in", vec![]), None),
    }
}

#[derive(Deserialize)]
struct JobBody {
    job: String,
}

async fn sso_cancel(
    axum::extract::State(state): axum::extract::State<State>,
    Json(b): Json<JobBody>,
) -> Response {
    if let Some(j) = state
        .signins
        .lock()
        .ok()
        .and_then(|m| m.get(&b.job).cloned())
    {
        j.cancel();
    }
    Json(json!({ "cancelled": b.job })).into_response()
}

#[derive(Deserialize)]
struct SsoQuery {
    aws_profile: Option<String>,
    sso_start_url: Option<String>,
    sso_region: Option<String>,
    account_id: Option<String>,
}

/// The access token of a valid sign-in (never sent to the browser).
async fn signed_in(
    q: &SsoQuery,
) -> Result<(rdsql_aws::sso::SsoSession, rdsql_secret::Secret), Response> {
    let nonempty = |v: &Option<String>| v.as_deref().filter(|s| !s.is_empty()).map(str::to_string);
    let session = signin::session_for(
        nonempty(&q.aws_profile).as_deref(),
        nonempty(&q.sso_start_url).as_deref(),
        nonempty(&q.sso_region).as_deref(),
    )
    .await
    .map_err(|f| failure(f, Some("aws_profile")))?;
    let tok = rdsql_aws::sso::login::valid_token(&session)
        .await
        .map_err(|e| {
            (
                StatusCode::UNAUTHORIZED,
                Json(json!({
                    "error": Failure::local(e.message, e.hints),
                    "signin_required": true,
                })),
            )
                .into_response()
        })?;
    Ok((session, rdsql_secret::Secret::new(tok.access_token)))
}

// POST: reading the portal may refresh the cached sign-in (a change).
async fn sso_accounts(Json(q): Json<SsoQuery>) -> Response {
    let (session, tok) = match signed_in(&q).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    match rdsql_aws::sso::portal::accounts(&session, &tok).await {
        Ok(a) => Json(json!({
            "accounts": a.iter().map(|a| json!({"id": a.id, "name": a.name})).collect::<Vec<_>>()
        }))
        .into_response(),
        Err(e) => failure(Failure::local(e.message, e.hints), Some("sso_account_id")),
    }
}

async fn sso_roles(Json(q): Json<SsoQuery>) -> Response {
    let Some(account) = q.account_id.clone().filter(|a| !a.is_empty()) else {
        return failure(
            Failure::local("choose an account first", vec![]),
            Some("sso_account_id"),
        );
    };
    let (session, tok) = match signed_in(&q).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    match rdsql_aws::sso::portal::roles(&session, &tok, &account).await {
        Ok(r) => Json(json!({ "roles": r })).into_response(),
        Err(e) => failure(Failure::local(e.message, e.hints), Some("sso_role_name")),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn statement_ranges_count_utf16_units() {
        let sql = "select 'é😀';\nselect 2;";
        let r = super::statement_ranges(sql, rdsql_db::Engine::Postgres);
        let units: Vec<u16> = sql.encode_utf16().collect();
        let texts: Vec<String> = r
            .iter()
            .map(|[a, b]| String::from_utf16(&units[*a..*b]).unwrap())
            .collect();
        assert_eq!(texts.len(), 2, "{texts:?}");
        assert!(texts[0].starts_with("select 'é😀'"), "{texts:?}");
        assert!(texts[1].starts_with("select 2"), "{texts:?}");
    }
}
