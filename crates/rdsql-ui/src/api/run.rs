//! A connected session: statements streamed back as NDJSON, the
//! statement splitter for the editor, the catalog, history, cancel and
//! disconnect.

use super::*;

#[derive(Deserialize)]
pub(super) struct QueryBody {
    pub(super) session: String,
    pub(super) sql: String,
}

/// Runs statements; the results stream back as NDJSON lines (see
/// [`sessions::StreamSink`]) at the pace the page reads them, so a paused
/// grid holds the server back instead of filling memory.
pub(super) async fn query(
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
pub(super) fn chunks(
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

pub(super) fn ndjson(
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

pub(super) fn session_of(
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

pub(super) async fn catalog(
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
pub(super) struct SplitBody {
    pub(super) session: String,
    pub(super) sql: String,
}

/// Statement boundaries by the CLI's own splitter, as UTF-16 offsets
/// (what the editor counts in), so "run the statement under the cursor"
/// runs exactly what `rdsql query -f` would.
pub(super) async fn split(
    axum::extract::State(state): axum::extract::State<State>,
    Json(b): Json<SplitBody>,
) -> Response {
    let Some((spec, _, _)) = session_of(&state, &b.session) else {
        return no_session();
    };
    Json(json!({ "statements": statement_ranges(&b.sql, spec.engine()) })).into_response()
}

pub(super) fn statement_ranges(sql: &str, engine: rdsql_db::Engine) -> Vec<[usize; 2]> {
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
pub(super) struct HistoryBody {
    pub(super) session: String,
    #[serde(default)]
    pub(super) q: String,
}

pub(super) async fn history(
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

pub(super) async fn cancel(
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

pub(super) async fn disconnect(
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
