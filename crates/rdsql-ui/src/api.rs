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
            "/api/fields",
            get(|| async { Json(rdsql_connect::form::fields_json()) }),
        )
        .route("/api/profiles", get(profiles))
        .route("/api/connections", get(connections))
        .route("/api/connections/save", post(save))
        .route("/api/connections/delete", post(delete))
        .route("/api/test", post(test))
        .route("/api/connect", post(connect))
        .route("/api/query", post(query))
        .route("/api/disconnect", post(disconnect))
        .route("/api/cancel", post(cancel))
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

fn spec_of(form: &Form) -> Result<ConnectionSpec, Response> {
    let opts = form::options(form).map_err(|e| {
        let field = match &e {
            rdsql_connect::Error::Flag { flag, .. } => Some(flag.replace('-', "_")),
            _ => None,
        };
        failure(Failure::from(e), field.as_deref())
    })?;
    let env = |k: &str| std::env::var(k).ok();
    ConnectionSpec::resolve(opts, &env).map_err(|e| failure(Failure::spec(e), None))
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
    match sessions::open(spec, true).await {
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
    match sessions::open(spec, false).await {
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
            Json(json!({ "id": id, "session": opened })).into_response()
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
        return failure(
            Failure::local(
                "no such session (it was closed)",
                vec!["connect again".into()],
            ),
            None,
        );
    };
    match client.query(b.sql).await {
        Ok(out) => Json(json!({ "output": out })).into_response(),
        // The page shows the transaction state after a failure too.
        Err((f, txn)) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            Json(json!({ "error": f, "field": "sql", "txn": txn })),
        )
            .into_response(),
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
