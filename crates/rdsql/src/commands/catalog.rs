//! Catalog queries behind the shell's meta-commands, one set per engine.

use rdsql_db::Engine;

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
    match e {
        Engine::Postgres => "select datname as \"Name\", pg_get_userbyid(datdba) as \"Owner\", pg_encoding_to_char(encoding) as \"Encoding\" from pg_database where not datistemplate order by 1".into(),
        Engine::Sqlite => "select name as \"Name\", file as \"File\" from pragma_database_list order by seq".into(),
        _ => "select schema_name as \"Database\", default_character_set_name as \"Charset\" from information_schema.schemata order by 1".into(),
    }
}

pub fn schemas(e: Engine) -> String {
    match e {
        Engine::Postgres => "select nspname as \"Name\", pg_get_userbyid(nspowner) as \"Owner\" from pg_namespace where nspname !~ '^pg_' and nspname <> 'information_schema' order by 1".into(),
        _ => databases(e),
    }
}

pub fn tables(e: Engine, pattern: Option<&str>) -> String {
    let p = like(pattern, e);
    match e {
        Engine::Postgres => format!(
            "select table_schema as \"Schema\", table_name as \"Name\", case table_type when 'BASE TABLE' then 'table' when 'VIEW' then 'view' else lower(table_type) end as \"Type\" \
             from information_schema.tables where table_schema not in ('pg_catalog', 'information_schema') and table_name like {p} order by 1, 2"
        ),
        Engine::Sqlite => format!(
            "select name as \"Name\", type as \"Type\" from sqlite_master where type in ('table', 'view') and name not like 'sqlite_%' and name like {p} order by 1"
        ),
        _ => format!(
            "select table_name as \"Name\", case table_type when 'BASE TABLE' then 'table' when 'VIEW' then 'view' else lower(table_type) end as \"Type\", engine as \"Engine\" \
             from information_schema.tables where table_schema = database() and table_name like {p} order by 1"
        ),
    }
}

/// Columns, indexes, constraints of `name` (`schema.table` allowed on
/// PostgreSQL).
pub fn describe(e: Engine, name: &str) -> [(&'static str, String); 3] {
    match e {
        Engine::Postgres => {
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
        Engine::Sqlite => {
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
        _ => {
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
    match e {
        Engine::Postgres => Some("select version, cipher from pg_stat_ssl where pid = pg_backend_pid() and ssl".into()),
        Engine::Mysql | Engine::Mariadb => Some(
            "select max(case when variable_name = 'Ssl_version' then variable_value end), max(case when variable_name = 'Ssl_cipher' then variable_value end) from information_schema.session_status where variable_name in ('Ssl_version', 'Ssl_cipher')".into(),
        ),
        Engine::Sqlite => None,
    }
}

/// The current database's name.
pub fn current_db(e: Engine) -> &'static str {
    match e {
        Engine::Postgres => "select current_database()",
        Engine::Sqlite => "select file from pragma_database_list where name = 'main'",
        _ => "select database()",
    }
}
