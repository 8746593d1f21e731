//! The connection fields as data for a form: the web UI's dialog is built
//! from [`dialog_json`] (`/api/fields`), which joins the `fields!` table
//! (names, kinds, choices, help — the same table as the flags, URL
//! parameters and saved TOML) with the display table [`DIALOG`] below
//! (labels, sections, rows, which engines and methods show a control).
//! Adding a field or a method: one entry here, and the tests below keep
//! the two tables in step (docs/architecture.md).

use rdsql_db::options::{FIELDS, Field, FieldKind};
use serde_json::{Value, json};

/// Where a control sits in the dialog.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    /// Above everything (name, type).
    Top,
    /// The main body, shown by engine and method.
    Main,
    /// Under "Advanced".
    Advanced,
    /// Under Advanced → "SSH Tunnel".
    Ssh,
}

/// How a control is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Input {
    /// From the field's kind (text, number, choice, switch).
    Field,
    /// A secret: a password box, never filled from a saved connection.
    Secret,
    /// A choice among dialog-only options (the SSO profile picker).
    Picker,
    /// A dialog-only checkbox.
    Switch,
}

/// One control of the dialog.
#[derive(Debug, Clone, Copy)]
pub struct Control {
    /// The element id and, unless `key` says otherwise, the form key.
    pub id: &'static str,
    /// The form key sent to the server (`sqlite_path` is sent as `dbname`).
    pub key: &'static str,
    pub label: &'static str,
    pub input: Input,
    pub section: Section,
    /// Controls with the same row name sit side by side.
    pub row: &'static str,
    /// "grow", "narrow" or "".
    pub width: &'static str,
    /// A text box's placeholder; for a choice, its blank first option
    /// (an optional field).
    pub placeholder: &'static str,
    /// Engines that show it: "server" (all but SQLite), "sqlite", or "all".
    pub engines: &'static str,
    /// Authentication methods that show it (empty: every method).
    pub methods: &'static [&'static str],
    /// A decoration the page adds: "profiles" (a datalist of AWS profiles
    /// and a refresh button), "sso-profiles", "datalist:ID", "note:ID".
    pub extra: &'static str,
}

const AWS_METHODS: &[&str] = &["iam-keys", "iam-profile", "sso"];

const fn c(id: &'static str, label: &'static str) -> Control {
    Control {
        id,
        key: id,
        label,
        input: Input::Field,
        section: Section::Main,
        row: "",
        width: "",
        placeholder: "",
        engines: "server",
        methods: &[],
        extra: "",
    }
}

/// The dialog, top to bottom.
pub const DIALOG: &[Control] = &[
    Control {
        section: Section::Top,
        row: "top",
        placeholder: "prod-orders (to save)",
        engines: "all",
        ..c("name", "Connection Name")
    },
    Control {
        section: Section::Top,
        row: "top",
        engines: "all",
        ..c("engine", "Connection Type")
    },
    c("auth", "Authentication Method"),
    Control {
        key: "dbname",
        placeholder: "/path/to/app.db or :memory:",
        engines: "sqlite",
        ..c("sqlite_path", "Database File")
    },
    Control {
        row: "address",
        width: "grow",
        placeholder: "mydb.abc123.eu-west-1.rds.amazonaws.com",
        ..c("host", "Host")
    },
    Control {
        row: "address",
        width: "narrow",
        ..c("port", "Port")
    },
    Control {
        row: "login",
        ..c("user", "Username")
    },
    Control {
        row: "login",
        ..c("dbname", "Default Database")
    },
    Control {
        input: Input::Secret,
        methods: &["password"],
        ..c("password", "Password")
    },
    Control {
        row: "keys",
        placeholder: "AKIA…",
        methods: &["iam-keys"],
        ..c("aws_access_key_id", "Access Key ID")
    },
    Control {
        row: "keys",
        input: Input::Secret,
        methods: &["iam-keys"],
        ..c("aws_secret_access_key", "Secret Access Key")
    },
    Control {
        input: Input::Secret,
        placeholder: "optional, for temporary (ASIA…) keys",
        methods: &["iam-keys"],
        ..c("aws_session_token", "Session Token")
    },
    Control {
        placeholder: "default",
        methods: &["iam-profile"],
        extra: "profiles",
        ..c("aws_profile", "AWS Profile")
    },
    Control {
        methods: &["iam-profile"],
        extra: "mfa",
        ..c("mfa_code", "MFA Code")
    },
    Control {
        input: Input::Picker,
        methods: &["sso"],
        extra: "sso-profiles",
        ..c("sso_profile", "SSO Profile")
    },
    Control {
        row: "sso-portal",
        width: "grow",
        placeholder: "https://my-org.awsapps.com/start",
        methods: &["sso"],
        ..c("sso_start_url", "SSO Start URL")
    },
    Control {
        row: "sso-portal",
        width: "narrow",
        placeholder: "us-east-1",
        methods: &["sso"],
        ..c("sso_region", "SSO Region")
    },
    Control {
        row: "sso-role",
        methods: &["sso"],
        extra: "datalist:sso-accounts",
        ..c("sso_account_id", "AWS Account ID")
    },
    Control {
        row: "sso-role",
        methods: &["sso"],
        extra: "datalist:sso-roles",
        ..c("sso_role_name", "IAM Role Name")
    },
    Control {
        input: Input::Switch,
        methods: &["sso"],
        ..c("sso_use_device_code", "Sign in with a device code instead")
    },
    Control {
        placeholder: "from the host name or the profile",
        methods: AWS_METHODS,
        ..c("aws_region", "AWS Region")
    },
    Control {
        section: Section::Advanced,
        row: "tls",
        placeholder: "default",
        extra: "note:sslmode-note",
        ..c("sslmode", "SSL Mode")
    },
    Control {
        section: Section::Advanced,
        row: "tls",
        placeholder: "built-in Amazon RDS bundle",
        ..c("sslrootcert", "CA Certificate File")
    },
    Control {
        section: Section::Advanced,
        row: "tls",
        width: "narrow",
        placeholder: "10",
        ..c("connect_timeout", "Connect Timeout")
    },
    Control {
        section: Section::Advanced,
        row: "signing",
        width: "grow",
        placeholder: "the real endpoint behind a tunnel",
        ..c("iam_host", "IAM Signing Host")
    },
    Control {
        section: Section::Advanced,
        row: "signing",
        width: "narrow",
        ..c("iam_port", "IAM Signing Port")
    },
    Control {
        section: Section::Ssh,
        row: "ssh",
        width: "grow",
        placeholder: "ec2-user@bastion.example.com:22",
        ..c("ssh", "SSH Bastion")
    },
    Control {
        section: Section::Ssh,
        row: "ssh",
        width: "grow",
        placeholder: "ssh-agent, else ~/.ssh/id_ed25519",
        ..c("ssh_key", "SSH Private Key")
    },
    Control {
        section: Section::Ssh,
        ..c(
            "ssh_accept_new",
            "Trust the bastion's host key the first time (never a changed one)",
        )
    },
];

/// Connection fields the dialog leaves out, and why.
pub const NOT_IN_DIALOG: &[(&str, &str)] = &[("proxy_port", "a setting of rdsql proxy")];

/// How each choice reads in the dialog (the value is the flag's word).
pub const CHOICE_LABELS: &[(&str, &str)] = &[
    ("postgres", "PostgreSQL"),
    ("mysql", "MySQL"),
    ("mariadb", "MariaDB"),
    ("sqlite", "SQLite"),
    ("password", "Username / Password"),
    (
        "iam-keys",
        "IAM Authentication Using Access Key and Secret Key",
    ),
    ("iam-profile", "IAM Authentication Using Credentials File"),
    ("sso", "AWS SSO / Identity Center"),
];

fn field(name: &str) -> Option<&'static Field> {
    FIELDS.iter().find(|f| f.name == name)
}

fn choice_label(v: &str) -> &str {
    CHOICE_LABELS
        .iter()
        .find(|(k, _)| *k == v)
        .map(|(_, l)| *l)
        .unwrap_or(v)
}

/// The kind a control is drawn as: text, number, password, choice,
/// switch or picker.
fn kind_of(ctl: &Control) -> (&'static str, Vec<Value>) {
    match (ctl.input, field(ctl.key).map(|f| f.kind)) {
        (Input::Secret, _) => ("password", vec![]),
        (Input::Switch, _) => ("switch", vec![]),
        (Input::Picker, _) => ("picker", vec![]),
        (Input::Field, Some(FieldKind::Number)) => ("number", vec![]),
        (Input::Field, Some(FieldKind::Switch)) => ("switch", vec![]),
        (Input::Field, Some(FieldKind::Choice(cs))) => (
            "choice",
            cs.iter()
                .map(|v| json!({ "value": v, "label": choice_label(v) }))
                .collect(),
        ),
        (Input::Field, Some(FieldKind::Text) | None) => ("text", vec![]),
    }
}

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

/// `/api/fields`: the fields, and the dialog's controls in order.
pub fn dialog_json() -> Value {
    let controls: Vec<Value> = DIALOG
        .iter()
        .map(|ctl| {
            let (kind, choices) = kind_of(ctl);
            json!({
                "id": ctl.id,
                "key": ctl.key,
                "label": ctl.label,
                "kind": kind,
                "choices": choices,
                "section": match ctl.section {
                    Section::Top => "top",
                    Section::Main => "main",
                    Section::Advanced => "advanced",
                    Section::Ssh => "ssh",
                },
                "row": ctl.row,
                "width": ctl.width,
                "placeholder": ctl.placeholder,
                "engines": ctl.engines,
                "methods": ctl.methods,
                "extra": ctl.extra,
                "help": field(ctl.key).map(|f| f.help.trim()).unwrap_or(""),
                "saved": field(ctl.key).is_some() && ctl.input != Input::Secret,
            })
        })
        .collect();
    json!({
        "fields": fields_json(),
        "dialog": controls,
        "aws_methods": AWS_METHODS,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every connection field is in the dialog or named as left out, and
    /// every dialog control is a field or a known form key.
    #[test]
    fn the_dialog_and_the_field_table_agree() {
        for f in FIELDS {
            let shown = DIALOG.iter().any(|c| c.key == f.name);
            let left = NOT_IN_DIALOG.iter().any(|(n, _)| *n == f.name);
            assert!(
                shown != left,
                "{}: in the dialog or left out, not both",
                f.name
            );
        }
        let form_only = [
            "name",
            "password",
            "aws_secret_access_key",
            "aws_session_token",
            "mfa_code",
            "sso_profile",
            "sso_use_device_code",
        ];
        for c in DIALOG {
            assert!(
                field(c.key).is_some() || form_only.contains(&c.key),
                "{}: not a connection field",
                c.id
            );
            assert!(!c.label.is_empty());
        }
        let ids: std::collections::HashSet<_> = DIALOG.iter().map(|c| c.id).collect();
        assert_eq!(ids.len(), DIALOG.len(), "ids are unique");
    }

    /// Every method a control names exists, and every choice has a label
    /// where the dialog shows it.
    #[test]
    fn methods_and_choices_have_labels() {
        let methods = match field("auth").unwrap().kind {
            FieldKind::Choice(c) => c,
            _ => unreachable!(),
        };
        for c in DIALOG {
            for m in c.methods {
                assert!(methods.contains(m), "{}: unknown method {m}", c.id);
            }
        }
        for m in methods {
            assert_ne!(choice_label(m), *m, "{m} has no label");
        }
        let v = dialog_json();
        assert_eq!(v["dialog"][1]["choices"][0]["label"], "PostgreSQL");
    }
}
