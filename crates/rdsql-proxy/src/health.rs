//! `--health-port`: `/startup`, `/liveness`, `/readiness` (credentials
//! resolve and every upstream answers a TCP connect) and Prometheus
//! `/metrics`. Loopback only unless the proxy's address says otherwise.

use crate::Shared;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use std::sync::Arc;
use std::sync::atomic::Ordering;

pub async fn serve_health(
    listener: tokio::net::TcpListener,
    shared: Arc<Shared>,
    mut stop: tokio::sync::watch::Receiver<bool>,
) -> std::io::Result<()> {
    let app = axum::Router::new()
        .route("/startup", get(startup))
        .route("/liveness", get(|| async { "ok\n" }))
        .route("/readiness", get(readiness))
        .route("/metrics", get(metrics))
        .with_state(shared);
    axum::serve(listener, app)
        .with_graceful_shutdown(async move {
            let _ = stop.changed().await;
        })
        .await
}

async fn startup(State(s): State<Arc<Shared>>) -> impl IntoResponse {
    if s.started.load(Ordering::SeqCst) {
        (StatusCode::OK, "ok\n".to_string())
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "starting\n".to_string())
    }
}

async fn readiness(State(s): State<Arc<Shared>>) -> impl IntoResponse {
    if !s.started.load(Ordering::SeqCst) {
        return (StatusCode::SERVICE_UNAVAILABLE, "starting\n".to_string());
    }
    for t in &s.targets {
        if let Err(e) = t.provider.prepare().await {
            return (
                StatusCode::SERVICE_UNAVAILABLE,
                format!("{}: credentials: {e}\n", t.name),
            );
        }
        if let Err(e) = s.dial.dial(&t.spec, None).await {
            return (
                StatusCode::SERVICE_UNAVAILABLE,
                format!("{}: {e}\n", t.name),
            );
        }
    }
    (StatusCode::OK, "ok\n".to_string())
}

async fn metrics(State(s): State<Arc<Shared>>) -> impl IntoResponse {
    let m = &s.metrics;
    let line = |name: &str, kind: &str, help: &str, v: u64| {
        format!("# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {v}\n")
    };
    let body = [
        line(
            "rdsql_proxy_open_connections",
            "gauge",
            "Client connections open now.",
            m.open.load(Ordering::SeqCst) as u64,
        ),
        line(
            "rdsql_proxy_connections_total",
            "counter",
            "Client connections accepted.",
            m.total.load(Ordering::Relaxed),
        ),
        line(
            "rdsql_proxy_connections_refused_total",
            "counter",
            "Client connections refused by --max-connections.",
            m.refused.load(Ordering::Relaxed),
        ),
        line(
            "rdsql_proxy_token_signings_total",
            "counter",
            "IAM auth tokens signed.",
            m.token_signings.load(Ordering::Relaxed),
        ),
        line(
            "rdsql_proxy_upstream_errors_total",
            "counter",
            "Client sessions that failed to reach or log in to the upstream.",
            m.upstream_errors.load(Ordering::Relaxed),
        ),
        line(
            "rdsql_proxy_bytes_from_clients_total",
            "counter",
            "Bytes relayed from clients to upstreams.",
            m.bytes_from_clients.load(Ordering::Relaxed),
        ),
        line(
            "rdsql_proxy_bytes_to_clients_total",
            "counter",
            "Bytes relayed from upstreams to clients.",
            m.bytes_to_clients.load(Ordering::Relaxed),
        ),
    ]
    .concat();
    ([("content-type", "text/plain; version=0.0.4")], body)
}
