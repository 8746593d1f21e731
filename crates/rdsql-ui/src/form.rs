//! The dialog's JSON form → connect options: the same field names as the
//! flags, URL parameters and saved TOML (rdsql-db's field table), plus the
//! secrets, which arrive here once and are never sent back.

use rdsql_connect::Request;
use rdsql_connect::resolve::Secrets;
use rdsql_db::options::FIELDS;
use rdsql_db::{ConnectOptions, Secret};
use serde_json::{Map, Value};

/// A form as the browser posts it.
pub type Form = Map<String, Value>;

fn text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Keys a form may carry besides the connection fields.
const OTHER_KEYS: &[&str] = &[
    "saved",
    "password",
    "aws_secret_access_key",
    "aws_session_token",
    "sso_use_device_code",
    "name",
    "mfa_code",
];

/// The MFA Code field (a one-time code: used once, never saved).
pub fn mfa_code(form: &Form) -> Option<Secret> {
    form.get("mfa_code").and_then(text).map(Secret::new)
}

/// The connect library's request for a form: a saved connection
/// (`saved`) under the form's own fields, and the secrets typed in the
/// form (a secret typed now wins over a saved one; an empty box keeps it).
pub fn request(form: &Form) -> Result<Request, rdsql_connect::Error> {
    let mut fields = vec![];
    for (k, v) in form {
        if FIELDS.iter().any(|f| f.name == k) {
            if let Some(t) = text(v) {
                fields.push((k.clone(), t));
            }
        } else if !OTHER_KEYS.contains(&k.as_str()) {
            return Err(rdsql_connect::Error::Flag {
                flag: k.replace('_', "-"),
                reason: "not a connection field".into(),
            });
        }
    }
    let secret = |k: &str| form.get(k).and_then(text).map(Secret::new);
    Ok(Request {
        conn: form.get("saved").and_then(text),
        fields,
        secrets: Secrets {
            password: secret("password"),
            aws_secret_access_key: secret("aws_secret_access_key"),
            aws_session_token: secret("aws_session_token"),
        },
        ..Default::default()
    })
}

/// The options a form describes (to save it).
pub fn options(form: &Form) -> Result<ConnectOptions, rdsql_connect::Error> {
    request(form)?.options()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_and_secrets() {
        let form: Form = serde_json::from_str(
            r#"{"engine":"postgres","host":"h","port":"6432","user":"u","password":"pw","auth":"password","dbname":""}"#,
        )
        .unwrap();
        let o = options(&form).unwrap();
        assert_eq!(o.port, Some(6432));
        assert_eq!(o.dbname, None, "an empty box is no value");
        assert_eq!(o.password.unwrap().expose(), "pw");
        let bad: Form = serde_json::from_str(r#"{"colour":"blue"}"#).unwrap();
        assert!(options(&bad).is_err());
    }
}
