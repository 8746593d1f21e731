//! The catalog the workspace shows in its schema tree and offers in
//! completion: schemas (MySQL: databases) → tables, views, materialized
//! views → columns (type, nullability, default, primary and foreign
//! keys), indexes, estimated row counts; and functions. Read on a
//! connection of its own so a long-running result never delays it
//! (docs/ui.md, "Schema browser").

use rdsql_connect::report::Failure;
use rdsql_db::catalog::Rows;
use rdsql_db::{ConnectionSpec, PasswordProvider};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::sync::Arc;

fn bool_of(v: &Option<String>) -> bool {
    matches!(v.as_deref(), Some("t" | "1" | "true"))
}

/// Reads the catalog on a fresh connection like the session's.
pub async fn read(
    spec: ConnectionSpec,
    provider: Arc<dyn PasswordProvider>,
) -> Result<Value, Failure> {
    read_on(&spec, provider.as_ref()).await
}

async fn read_on(spec: &ConnectionSpec, provider: &dyn PasswordProvider) -> Result<Value, Failure> {
    let mut conn = rdsql_db::Connection::connect(spec, provider)
        .await
        .map_err(|e| Failure::connect(e, Some(provider.describe())))?;
    let q = rdsql_db::catalog::tree(conn.engine());
    let mut run = async |sql: &str| -> Result<Vec<Vec<Option<String>>>, Failure> {
        let mut rows = Rows::default();
        conn.run_statement(sql, &mut rows)
            .await
            .map_err(Failure::query)?;
        Ok(rows.rows)
    };
    let current = run(q.current).await?;
    let objects = run(q.objects).await?;
    let columns = run(q.columns).await?;
    let fks = run(q.fks).await?;
    let indexes = run(q.indexes).await?;
    let functions = run(q.functions).await?;
    conn.close().await;

    let s = |r: &Vec<Option<String>>, i: usize| r.get(i).cloned().flatten().unwrap_or_default();
    // schema → table → object
    let mut schemas: BTreeMap<String, BTreeMap<String, Value>> = BTreeMap::new();
    for r in &objects {
        schemas.entry(s(r, 0)).or_default().insert(
            s(r, 1),
            json!({
                "name": s(r, 1), "kind": s(r, 2),
                "rows": r.get(3).cloned().flatten().and_then(|v| v.parse::<f64>().ok()),
                "columns": [], "foreign_keys": [], "indexes": [],
            }),
        );
    }
    let mut push = |r: &Vec<Option<String>>, key: &str, v: Value| {
        if let Some(t) = schemas.get_mut(&s(r, 0)).and_then(|m| m.get_mut(&s(r, 1)))
            && let Some(a) = t[key].as_array_mut()
        {
            a.push(v);
        }
    };
    for r in &columns {
        push(
            r,
            "columns",
            json!({
                "name": s(r, 2), "type": s(r, 3), "nullable": bool_of(&r[4]),
                "default": r[5], "pk": bool_of(&r[6]),
            }),
        );
    }
    for r in &fks {
        push(
            r,
            "foreign_keys",
            json!({ "columns": s(r, 2), "references": s(r, 3) }),
        );
    }
    for r in &indexes {
        push(
            r,
            "indexes",
            json!({ "name": s(r, 2), "definition": s(r, 3) }),
        );
    }
    let mut funcs: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for r in &functions {
        funcs.entry(s(r, 0)).or_default().push(json!({
            "name": s(r, 1), "arguments": s(r, 2), "kind": s(r, 3),
        }));
    }
    let mut names: Vec<String> = schemas.keys().chain(funcs.keys()).cloned().collect();
    names.sort();
    names.dedup();
    let out: Vec<Value> = names
        .into_iter()
        .map(|n| {
            json!({
                "name": n,
                "objects": schemas.remove(&n).map(|m| m.into_values().collect::<Vec<_>>()).unwrap_or_default(),
                "functions": funcs.remove(&n).unwrap_or_default(),
            })
        })
        .collect();
    Ok(json!({
        "engine": spec.engine().name(),
        "current": current.first().map(|r| s(r, 0)),
        "schemas": out,
    }))
}
