//! The connection fields as data for a form (the web UI's dialog), built
//! from the same table as the flags, URL parameters and saved TOML.

use rdsql_db::options::{FIELDS, FieldKind};
use serde_json::{Value, json};

/// Every field: name, flag, help, kind (text / number / choice with its
/// choices) and the environment variables that fill it.
pub fn fields_json() -> Value {
    Value::Array(
        FIELDS
            .iter()
            .map(|f| {
                let (kind, choices) = match f.kind {
                    FieldKind::Text => ("text", vec![]),
                    FieldKind::Number => ("number", vec![]),
                    FieldKind::Choice(c) => ("choice", c.to_vec()),
                    FieldKind::Switch => ("switch", vec![]),
                };
                json!({
                    "name": f.name,
                    "flag": format!("--{}", f.flag),
                    "short": f.short.map(|c| format!("-{c}")),
                    "help": f.help.trim(),
                    "kind": kind,
                    "choices": choices,
                    "env": f.env,
                })
            })
            .collect(),
    )
}
