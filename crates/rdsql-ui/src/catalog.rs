//! The catalog the workspace shows in its schema tree and offers in
//! completion: schemas (MySQL: databases) → tables, views, materialized
//! views → columns (type, nullability, default, primary and foreign
//! keys), indexes, estimated row counts; and functions. Read on a
//! connection of its own so a long-running result never delays it
//! (docs/ui.md, "Schema browser").

use rdsql_connect::report::Failure;
use rdsql_db::{ConnectionSpec, Engine, PasswordProvider, ResultSink};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Rows of one query, as text.
#[derive(Default)]
struct Rows(Vec<Vec<Option<String>>>);

impl ResultSink for Rows {
    fn begin_result(&mut self, _: &[String]) -> std::io::Result<()> {
        Ok(())
    }
    fn row(&mut self, values: &[Option<&[u8]>]) -> std::io::Result<()> {
        self.0.push(
            values
                .iter()
                .map(|v| v.map(|b| String::from_utf8_lossy(b).into_owned()))
                .collect(),
        );
        Ok(())
    }
    fn end_result(&mut self, _: u64) -> std::io::Result<()> {
        Ok(())
    }
    fn command_complete(&mut self, _: u64) -> std::io::Result<()> {
        Ok(())
    }
}

/// The queries, per engine: objects (schema, name, kind, est. rows),
/// columns (schema, table, name, type, nullable, default, in pk),
/// foreign keys (schema, table, columns, referenced), indexes (schema,
/// table, name, definition), functions (schema, name, arguments, kind).
struct Queries {
    current: &'static str,
    objects: &'static str,
    columns: &'static str,
    fks: &'static str,
    indexes: &'static str,
    functions: &'static str,
}

const PG: Queries = Queries {
    current: "select current_schema()",
    objects: "select n.nspname, c.relname, case c.relkind when 'r' then 'table' when 'p' then 'table' when 'v' then 'view' when 'm' then 'materialized view' when 'f' then 'foreign table' end, case when c.reltuples < 0 then null else c.reltuples::bigint end \
        from pg_class c join pg_namespace n on n.oid = c.relnamespace \
        where c.relkind in ('r','p','v','m','f') and not c.relispartition and n.nspname !~ '^pg_' and n.nspname <> 'information_schema' order by 1, 2",
    columns: "select n.nspname, c.relname, a.attname, format_type(a.atttypid, a.atttypmod), not a.attnotnull, pg_get_expr(d.adbin, d.adrelid), \
        coalesce(a.attnum = any(p.conkey), false) \
        from pg_attribute a join pg_class c on c.oid = a.attrelid join pg_namespace n on n.oid = c.relnamespace \
        left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum \
        left join pg_constraint p on p.conrelid = c.oid and p.contype = 'p' \
        where a.attnum > 0 and not a.attisdropped and c.relkind in ('r','p','v','m','f') and not c.relispartition \
        and n.nspname !~ '^pg_' and n.nspname <> 'information_schema' order by 1, 2, a.attnum",
    fks: "select n.nspname, c.relname, (select string_agg(a.attname, ', ' order by k.i) from unnest(f.conkey) with ordinality k(n, i) join pg_attribute a on a.attrelid = f.conrelid and a.attnum = k.n), \
        f.confrelid::regclass::text || ' (' || (select string_agg(a.attname, ', ' order by k.i) from unnest(f.confkey) with ordinality k(n, i) join pg_attribute a on a.attrelid = f.confrelid and a.attnum = k.n) || ')' \
        from pg_constraint f join pg_class c on c.oid = f.conrelid join pg_namespace n on n.oid = c.relnamespace \
        where f.contype = 'f' and n.nspname !~ '^pg_' and n.nspname <> 'information_schema' order by 1, 2, f.conname",
    indexes: "select schemaname, tablename, indexname, indexdef from pg_indexes where schemaname !~ '^pg_' and schemaname <> 'information_schema' order by 1, 2, 3",
    functions: "select n.nspname, p.proname, pg_get_function_identity_arguments(p.oid), case p.prokind when 'p' then 'procedure' when 'a' then 'aggregate' when 'w' then 'window' else 'function' end \
        from pg_proc p join pg_namespace n on n.oid = p.pronamespace \
        where n.nspname !~ '^pg_' and n.nspname <> 'information_schema' order by 1, 2",
};

const MYSQL: Queries = Queries {
    current: "select database()",
    objects: "select table_schema, table_name, case table_type when 'BASE TABLE' then 'table' when 'VIEW' then 'view' when 'SYSTEM VIEW' then 'view' else lower(table_type) end, table_rows \
        from information_schema.tables where table_schema not in ('mysql', 'information_schema', 'performance_schema', 'sys') order by 1, 2",
    columns: "select table_schema, table_name, column_name, column_type, is_nullable = 'YES', column_default, column_key = 'PRI' \
        from information_schema.columns where table_schema not in ('mysql', 'information_schema', 'performance_schema', 'sys') order by 1, 2, ordinal_position",
    fks: "select table_schema, table_name, group_concat(column_name order by ordinal_position separator ', '), \
        concat(referenced_table_schema, '.', referenced_table_name, ' (', group_concat(referenced_column_name order by ordinal_position separator ', '), ')') \
        from information_schema.key_column_usage where referenced_table_name is not null \
        and table_schema not in ('mysql', 'information_schema', 'performance_schema', 'sys') \
        group by table_schema, table_name, constraint_name, referenced_table_schema, referenced_table_name order by 1, 2",
    indexes: "select table_schema, table_name, index_name, concat(case when non_unique = 0 then 'UNIQUE ' else '' end, index_type, ' (', group_concat(column_name order by seq_in_index separator ', '), ')') \
        from information_schema.statistics where table_schema not in ('mysql', 'information_schema', 'performance_schema', 'sys') \
        group by table_schema, table_name, index_name, non_unique, index_type order by 1, 2, 3",
    functions: "select routine_schema, routine_name, '', lower(routine_type) from information_schema.routines \
        where routine_schema not in ('mysql', 'information_schema', 'performance_schema', 'sys') order by 1, 2",
};

const SQLITE: Queries = Queries {
    current: "select 'main'",
    objects: "select 'main', name, type, null from sqlite_master where type in ('table', 'view') and name not like 'sqlite_%' order by 2",
    columns: "select 'main', m.name, c.name, c.type, not c.\"notnull\", c.dflt_value, c.pk > 0 \
        from sqlite_master m join pragma_table_info(m.name) c where m.type in ('table', 'view') and m.name not like 'sqlite_%' order by 2, c.cid",
    fks: "select 'main', m.name, group_concat(f.\"from\", ', '), f.\"table\" || ' (' || group_concat(coalesce(f.\"to\", '?'), ', ') || ')' \
        from sqlite_master m join pragma_foreign_key_list(m.name) f where m.type = 'table' group by m.name, f.id order by 2",
    indexes: "select 'main', tbl_name, name, coalesce(sql, 'automatic index') from sqlite_master where type = 'index' order by 2, 3",
    functions: "select 'main', null, null, null where 0",
};

fn bool_of(v: &Option<String>) -> bool {
    matches!(v.as_deref(), Some("t" | "1" | "true"))
}

/// Reads the catalog on a fresh connection like the session's.
pub async fn read(
    spec: ConnectionSpec,
    provider: Arc<dyn PasswordProvider>,
) -> Result<Value, Failure> {
    // Engines are not all Send: a thread with a runtime of its own, as a
    // session has.
    let (tx, rx) = tokio::sync::oneshot::channel();
    std::thread::spawn(move || {
        let r = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| Failure::local(format!("cannot read the catalog: {e}"), vec![]))
            .and_then(|rt| rt.block_on(read_on(&spec, provider.as_ref())));
        let _ = tx.send(r);
    });
    rx.await
        .unwrap_or_else(|_| Err(Failure::local("the catalog reader ended", vec![])))
}

async fn read_on(spec: &ConnectionSpec, provider: &dyn PasswordProvider) -> Result<Value, Failure> {
    let mut conn = rdsql_db::Connection::connect(spec, provider)
        .await
        .map_err(|e| Failure::connect(e, Some(provider.describe())))?;
    let q = match conn.engine() {
        Engine::Postgres => &PG,
        Engine::Sqlite => &SQLITE,
        _ => &MYSQL,
    };
    let mut run = async |sql: &str| -> Result<Vec<Vec<Option<String>>>, Failure> {
        let mut rows = Rows::default();
        conn.run_statement(sql, &mut rows)
            .await
            .map_err(Failure::query)?;
        Ok(rows.0)
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
