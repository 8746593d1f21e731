//! Export: registered by POST, downloaded once by GET, status polled.

use super::*;

#[derive(Deserialize)]
pub(super) struct ExportBody {
    pub(super) session: String,
    pub(super) sql: String,
    pub(super) format: String,
}

/// Registers an export; the page then downloads `url` (a GET, so the
/// browser streams it to disk) and polls its status.
pub(super) async fn export_start(
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

pub(super) async fn export_download(
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

pub(super) async fn export_status(
    axum::extract::State(state): axum::extract::State<State>,
    Path(id): Path<String>,
) -> Response {
    match state.exports.lock().ok().and_then(|m| m.get(&id).cloned()) {
        Some(j) => Json(json!({ "export": j.progress() })).into_response(),
        None => failure(Failure::local("no such export", vec![]), None),
    }
}
