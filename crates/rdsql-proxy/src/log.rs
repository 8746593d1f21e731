//! One line per client connection opened and closed, as text or JSON
//! (`--json-logs`). Lines carry addresses, users, databases, durations and
//! byte counts — never a token, password or key.

use serde_json::{Value, json};

#[derive(Clone, Copy)]
pub struct Logger {
    pub json: bool,
}

impl Logger {
    /// Writes `event` with its `fields` (already free of secrets).
    pub fn event(&self, event: &str, text: &str, fields: Value) {
        if self.json {
            let mut v = json!({
                "time": std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_secs_f64())
                    .unwrap_or(0.0),
                "event": event,
                "message": text,
            });
            if let (Some(o), Value::Object(f)) = (v.as_object_mut(), fields) {
                o.extend(f);
            }
            eprintln!("{v}");
        } else {
            eprintln!("rdsql proxy: {text}");
        }
    }
}
