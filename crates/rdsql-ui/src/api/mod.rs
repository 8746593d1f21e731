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

mod aws;
mod connections;
mod export;
mod run;
mod sso;
mod workspace;

use aws::*;
use connections::*;
use export::*;
use run::*;
use sso::*;
use std::collections::HashMap;
use workspace::*;

/// Limits that keep a page (or a loop in it) from exhausting the machine.
pub(super) const MAX_SESSIONS: usize = 32;

pub(super) const MAX_SIGNINS: usize = 16;

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
            get(|| async { Json(rdsql_connect::form::dialog_json()) }),
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
pub(super) fn failure(f: Failure, field: Option<&str>) -> Response {
    let status = match f.exit_code {
        rdsql_connect::report::EXIT_CONNECT => StatusCode::BAD_GATEWAY,
        rdsql_connect::report::EXIT_STATEMENT => StatusCode::UNPROCESSABLE_ENTITY,
        _ => StatusCode::BAD_REQUEST,
    };
    (status, Json(json!({ "error": f, "field": field }))).into_response()
}

#[derive(Deserialize)]
pub(super) struct FormBody {
    pub(super) form: Form,
}

pub(super) fn open_error(e: OpenError) -> Response {
    match e {
        OpenError::SignIn(f) => (
            StatusCode::UNAUTHORIZED,
            Json(json!({ "error": f, "field": "sso_start_url", "signin_required": true })),
        )
            .into_response(),
        OpenError::Other(f, field) => failure(f, field),
    }
}

pub(super) fn no_session() -> Response {
    failure(
        Failure::local(
            "no such session (it was closed)",
            vec!["connect again".into()],
        ),
        None,
    )
}

#[derive(Deserialize)]
pub(super) struct SessionBody {
    pub(super) session: String,
}

pub(super) fn text<'a>(form: &'a Form, key: &str) -> Option<&'a str> {
    form.get(key)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
}
