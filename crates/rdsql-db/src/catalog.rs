//! The catalog queries, one set per engine, in one place: the shell's
//! `\l`, `\dn`, `\dt`, `\d` and `\conninfo`, its completion names,
//! and the UI's schema tree (docs/architecture.md).

use crate::kinds::{Engine, Protocol};
use crate::sink::ResultSink;

/// The rows of small catalog results, as text.
#[derive(Default)]
pub struct Rows {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Option<String>>>,
}

impl Rows {
    /// Plays the captured result into `sink`.
    pub fn replay(&self, sink: &mut dyn ResultSink) -> std::io::Result<()> {
        sink.begin_result(&self.columns)?;
        for r in &self.rows {
            let v: Vec<Option<&[u8]>> = r.iter().map(|c| c.as_deref().map(str::as_bytes)).collect();
            sink.row(&v)?;
        }
        sink.end_result(self.rows.len() as u64)
    }
}

impl ResultSink for Rows {
    fn begin_result(&mut self, columns: &[String]) -> std::io::Result<()> {
        self.columns = columns.to_vec();
        Ok(())
    }
    fn row(&mut self, values: &[Option<&[u8]>]) -> std::io::Result<()> {
        self.rows.push(
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

/// A string literal with quotes doubled (and backslashes for MySQL).
pub fn lit(s: &str, engine: Engine) -> String {
    let mut v = s.replace('\'', "''");
    if engine.is_mysql_family() {
        v = v.replace('\\', "\\\\");
    }
    format!("'{v}'")
}

/// psql-style pattern (`*`, `?`) to a LIKE pattern literal.
pub fn like(pattern: Option<&str>, engine: Engine) -> String {
    let p = pattern.unwrap_or("*").replace('*', "%").replace('?', "_");
    lit(&p, engine)
}

pub fn databases(e: Engine) -> String {
    match e.protocol() {
        Protocol::Postgres => "select datname as \"Name\", pg_get_userbyid(datdba) as \"Owner\", pg_encoding_to_char(encoding) as \"Encoding\" from pg_database where not datistemplate order by 1".into(),
        Protocol::Sqlite => "select name as \"Name\", file as \"File\" from pragma_database_list order by seq".into(),
        Protocol::Mysql => "select schema_name as \"Database\", default_character_set_name as \"Charset\" from information_schema.schemata order by 1".into(),
    }
}

pub fn schemas(e: Engine) -> String {
    match e.protocol() {
        Protocol::Postgres => "select nspname as \"Name\", pg_get_userbyid(nspowner) as \"Owner\" from pg_namespace where nspname !~ '^pg_' and nspname <> 'information_schema' order by 1".into(),
        Protocol::Mysql | Protocol::Sqlite => databases(e),
    }
}

pub fn tables(e: Engine, pattern: Option<&str>) -> String {
    let p = like(pattern, e);
    match e.protocol() {
        Protocol::Postgres => format!(
            "select table_schema as \"Schema\", table_name as \"Name\", case table_type when 'BASE TABLE' then 'table' when 'VIEW' then 'view' else lower(table_type) end as \"Type\" \
             from information_schema.tables where table_schema not in ('pg_catalog', 'information_schema') and table_name like {p} order by 1, 2"
        ),
        Protocol::Sqlite => format!(
            "select name as \"Name\", type as \"Type\" from sqlite_master where type in ('table', 'view') and name not like 'sqlite_%' and name like {p} order by 1"
        ),
        Protocol::Mysql => format!(
            "select table_name as \"Name\", case table_type when 'BASE TABLE' then 'table' when 'VIEW' then 'view' else lower(table_type) end as \"Type\", engine as \"Engine\" \
             from information_schema.tables where table_schema = database() and table_name like {p} order by 1"
        ),
    }
}

/// Columns, indexes, constraints of `name` (`schema.table` allowed on
/// PostgreSQL).
pub fn describe(e: Engine, name: &str) -> [(&'static str, String); 3] {
    match e.protocol() {
        Protocol::Postgres => {
            let (schema, table) = match name.split_once('.') {
                Some((s, t)) => (Some(s), t),
                None => (None, name),
            };
            let t = lit(table, e);
            let sch = schema
                .map(|s| format!(" and table_schema = {}", lit(s, e)))
                .unwrap_or_default();
            let nsp = schema
                .map(|s| format!(" and n.nspname = {}", lit(s, e)))
                .unwrap_or_default();
            [
                (
                    "Columns",
                    format!(
                        "select column_name as \"Column\", data_type as \"Type\", is_nullable as \"Nullable\", column_default as \"Default\" from information_schema.columns where table_name = {t}{sch} order by table_schema, ordinal_position"
                    ),
                ),
                (
                    "Indexes",
                    format!(
                        "select i.relname as \"Index\", pg_get_indexdef(x.indexrelid) as \"Definition\" from pg_index x join pg_class i on i.oid = x.indexrelid join pg_class c on c.oid = x.indrelid join pg_namespace n on n.oid = c.relnamespace where c.relname = {t}{nsp} order by 1"
                    ),
                ),
                (
                    "Constraints",
                    format!(
                        "select con.conname as \"Constraint\", pg_get_constraintdef(con.oid) as \"Definition\" from pg_constraint con join pg_class c on c.oid = con.conrelid join pg_namespace n on n.oid = c.relnamespace where c.relname = {t}{nsp} order by 1"
                    ),
                ),
            ]
        }
        Protocol::Sqlite => {
            let t = lit(name, e);
            [
                (
                    "Columns",
                    format!(
                        "select name as \"Column\", type as \"Type\", case when \"notnull\" then 'NO' else 'YES' end as \"Nullable\", dflt_value as \"Default\", pk as \"PK\" from pragma_table_info({t}) order by cid"
                    ),
                ),
                (
                    "Indexes",
                    format!(
                        "select name as \"Index\", case when \"unique\" then 'unique' else '' end as \"Unique\", origin as \"Origin\" from pragma_index_list({t}) order by 1"
                    ),
                ),
                (
                    "Constraints",
                    format!(
                        "select 'foreign key (' || \"from\" || ') references ' || \"table\" || '(' || coalesce(\"to\", '') || ')' as \"Constraint\" from pragma_foreign_key_list({t})"
                    ),
                ),
            ]
        }
        Protocol::Mysql => {
            let t = lit(name, e);
            [
                (
                    "Columns",
                    format!(
                        "select column_name as \"Column\", column_type as \"Type\", is_nullable as \"Nullable\", column_default as \"Default\", extra as \"Extra\" from information_schema.columns where table_schema = database() and table_name = {t} order by ordinal_position"
                    ),
                ),
                (
                    "Indexes",
                    format!(
                        "select index_name as \"Index\", group_concat(column_name order by seq_in_index) as \"Columns\", if(non_unique = 0, 'unique', '') as \"Unique\" from information_schema.statistics where table_schema = database() and table_name = {t} group by index_name, non_unique order by 1"
                    ),
                ),
                (
                    "Constraints",
                    format!(
                        "select constraint_name as \"Constraint\", constraint_type as \"Type\" from information_schema.table_constraints where table_schema = database() and table_name = {t} order by 1"
                    ),
                ),
            ]
        }
    }
}

/// TLS version and cipher of this session, as two columns.
pub fn tls_info(e: Engine) -> Option<String> {
    match e.protocol() {
        Protocol::Postgres => Some("select version, cipher from pg_stat_ssl where pid = pg_backend_pid() and ssl".into()),
        Protocol::Mysql => Some(
            "select max(case when variable_name = 'Ssl_version' then variable_value end), max(case when variable_name = 'Ssl_cipher' then variable_value end) from information_schema.session_status where variable_name in ('Ssl_version', 'Ssl_cipher')".into(),
        ),
        Protocol::Sqlite => None,
    }
}

/// The current database's name.
pub fn current_db(e: Engine) -> &'static str {
    match e.protocol() {
        Protocol::Postgres => "select current_database()",
        Protocol::Sqlite => "select file from pragma_database_list where name = 'main'",
        Protocol::Mysql => "select database()",
    }
}

/// The catalog query of an engine: one name per row.
pub fn names(engine: Engine) -> &'static str {
    match engine.protocol() {
        Protocol::Postgres => {
            "select nspname from pg_namespace where nspname !~ '^pg_' and nspname <> 'information_schema' \
            union select relname from pg_class c join pg_namespace n on n.oid = c.relnamespace where relkind in ('r','p','v','m','f') and nspname !~ '^pg_' and nspname <> 'information_schema' \
            union select attname from pg_attribute a join pg_class c on c.oid = a.attrelid join pg_namespace n on n.oid = c.relnamespace where a.attnum > 0 and not a.attisdropped and relkind in ('r','p','v','m','f') and nspname !~ '^pg_' and nspname <> 'information_schema' \
            union select proname from pg_proc p join pg_namespace n on n.oid = p.pronamespace where nspname !~ '^pg_' and nspname <> 'information_schema'"
        }
        Protocol::Sqlite => {
            "select name from sqlite_master where type in ('table', 'view') and name not like 'sqlite_%' \
            union select p.name from sqlite_master m join pragma_table_info(m.name) p where m.type in ('table', 'view')"
        }
        Protocol::Mysql => {
            "select schema_name from information_schema.schemata \
            union select table_name from information_schema.tables where table_schema = database() \
            union select column_name from information_schema.columns where table_schema = database() \
            union select routine_name from information_schema.routines where routine_schema = database()"
        }
    }
}

/// The queries, per engine: objects (schema, name, kind, est. rows),
/// columns (schema, table, name, type, nullable, default, in pk),
/// foreign keys (schema, table, columns, referenced), indexes (schema,
/// table, name, definition), functions (schema, name, arguments, kind).
pub struct Tree {
    pub current: &'static str,
    pub objects: &'static str,
    pub columns: &'static str,
    pub fks: &'static str,
    pub indexes: &'static str,
    pub functions: &'static str,
}

pub const PG_TREE: Tree = Tree {
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

pub const MYSQL_TREE: Tree = Tree {
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

pub const SQLITE_TREE: Tree = Tree {
    current: "select 'main'",
    objects: "select 'main', name, type, null from sqlite_master where type in ('table', 'view') and name not like 'sqlite_%' order by 2",
    columns: "select 'main', m.name, c.name, c.type, not c.\"notnull\", c.dflt_value, c.pk > 0 \
        from sqlite_master m join pragma_table_info(m.name) c where m.type in ('table', 'view') and m.name not like 'sqlite_%' order by 2, c.cid",
    fks: "select 'main', m.name, group_concat(f.\"from\", ', '), f.\"table\" || ' (' || group_concat(coalesce(f.\"to\", '?'), ', ') || ')' \
        from sqlite_master m join pragma_foreign_key_list(m.name) f where m.type = 'table' group by m.name, f.id order by 2",
    indexes: "select 'main', tbl_name, name, coalesce(sql, 'automatic index') from sqlite_master where type = 'index' order by 2, 3",
    functions: "select 'main', null, null, null where 0",
};

/// The schema tree's queries for `engine`.
pub fn tree(engine: Engine) -> &'static Tree {
    match engine.protocol() {
        Protocol::Postgres => &PG_TREE,
        Protocol::Mysql => &MYSQL_TREE,
        Protocol::Sqlite => &SQLITE_TREE,
    }
}
