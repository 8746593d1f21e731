//! The saved workspace (tabs and their SQL).

use super::*;

pub(super) fn no_data_dir() -> Response {
    failure(
        Failure::local(
            "no data directory to keep the workspace in",
            vec!["set HOME or RDSQL_DATA_DIR".into()],
        ),
        None,
    )
}

pub(super) async fn workspace_get(
    axum::extract::State(state): axum::extract::State<State>,
) -> Response {
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

pub(super) async fn workspace_save(
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
