//! The dialog: AWS profiles, saved connections (listed without secrets,
//! saved, deleted), Test and Connect — each through the one resolve path.

use super::*;

/// The spec a form describes, by the one resolve path every surface
/// takes (so an SSH bastion in Advanced is used, as with `--ssh`).
pub(super) fn spec_of(form: &Form) -> Result<ConnectionSpec, Response> {
    let field_of = |e: &rdsql_connect::Error| match e {
        rdsql_connect::Error::Flag { flag, .. } => Some(flag.replace('-', "_")),
        _ => None,
    };
    form::request(form)
        .and_then(|req| rdsql_connect::resolve(&req, &sessions::env))
        .map_err(|e| {
            let field = field_of(&e);
            failure(Failure::from(e), field.as_deref())
        })
}

pub(super) async fn profiles() -> Response {
    match rdsql_aws::profiles::list().await {
        Ok(p) => Json(json!({ "profiles": p })).into_response(),
        Err(e) => failure(
            Failure::local(e, vec!["fix ~/.aws/config, then press refresh".into()]),
            Some("aws_profile"),
        ),
    }
}

/// The saved connections: fields and where the secret is — never the
/// secret.
pub(super) async fn connections() -> Response {
    let list = saved::dir().and_then(|d| saved::load_file(&d).map(|f| (d, f)));
    match list {
        Ok((_, file)) => {
            let out: Vec<Value> = file
                .connections
                .iter()
                .map(|(name, c)| {
                    let fields: HashMap<&String, String> =
                        c.fields.iter().map(|(k, v)| (k, v.to_string())).collect();
                    json!({
                        "name": name,
                        "fields": fields,
                        "secret": match c.secret.as_deref() {
                            Some("keyring") => "saved in keyring",
                            Some("file") => "saved in secrets.toml (0600)",
                            Some("prompt") => "asked each time",
                            _ => "",
                        },
                    })
                })
                .collect();
            Json(json!({ "connections": out })).into_response()
        }
        Err(e) => failure(Failure::from(e), None),
    }
}

#[derive(Deserialize)]
pub(super) struct SaveBody {
    pub(super) name: String,
    pub(super) form: Form,
    #[serde(default)]
    pub(super) replace: bool,
}

pub(super) async fn save(Json(b): Json<SaveBody>) -> Response {
    let opts = match form::options(&b.form) {
        Ok(o) => o,
        Err(e) => return failure(Failure::from(e), None),
    };
    let mode = if b.replace {
        saved::SaveMode::Replace
    } else {
        saved::SaveMode::Add
    };
    let result = saved::dir().and_then(|d| saved::save(&d, &b.name, &opts, mode, None));
    match result {
        Ok(where_) => Json(json!({
            "saved": b.name,
            "secret": match where_ {
                saved::SecretSaved::None => String::new(),
                saved::SecretSaved::Keyring => "saved in keyring".into(),
                saved::SecretSaved::File(p) => format!("saved in {} (0600)", p.display()),
                saved::SecretSaved::Prompt => "asked each time".into(),
            }
        }))
        .into_response(),
        Err(e) => failure(Failure::from(e), Some("name")),
    }
}

#[derive(Deserialize)]
pub(super) struct NameBody {
    pub(super) name: String,
}

pub(super) async fn delete(Json(b): Json<NameBody>) -> Response {
    match saved::dir().and_then(|d| saved::delete(&d, &b.name)) {
        Ok(()) => Json(json!({ "deleted": b.name })).into_response(),
        Err(e) => failure(Failure::from(e), None),
    }
}

pub(super) async fn test(Json(b): Json<FormBody>) -> Response {
    let spec = match spec_of(&b.form) {
        Ok(s) => s,
        Err(r) => return r,
    };
    // IAM and SSO: the prerequisites report of `rdsql aws check`.
    if let ConnectionSpec::Server(server) = &spec
        && server.auth.password_is_token()
    {
        let ui = sessions::FormInteraction::new(form::mfa_code(&b.form));
        return match rdsql_connect::check::run(server, &ui, &sessions::env).await {
            Ok(report) => Json(json!({
                "ok": report.all_passed(),
                "report": report,
                "text": report.render(),
            }))
            .into_response(),
            Err(e @ rdsql_connect::Error::SignIn { .. }) => {
                open_error(OpenError::SignIn(Failure::from(e)))
            }
            Err(e) => failure(Failure::from(e), None),
        };
    }
    match sessions::open(spec, true, None, None).await {
        Ok((opened, _)) => Json(json!({ "ok": true, "session": opened })).into_response(),
        Err(e) => open_error(e),
    }
}

pub(super) async fn connect(
    axum::extract::State(state): axum::extract::State<State>,
    Json(b): Json<FormBody>,
) -> Response {
    let spec = match spec_of(&b.form) {
        Ok(s) => s,
        Err(r) => return r,
    };
    // History is kept per saved connection, else per user@host/db.
    let key = text(&b.form, "saved")
        .or_else(|| text(&b.form, "name"))
        .map(str::to_string)
        .unwrap_or_else(|| sessions::label(&spec));
    let history = state
        .data_dir
        .as_deref()
        .map(|d| crate::history::History::new(d, &key));
    match sessions::open(spec, false, history, form::mfa_code(&b.form)).await {
        Ok((opened, Some(handle))) => {
            let id = crate::new_token()[..16].to_string();
            let full = match state.sessions.lock() {
                Ok(mut m) if m.len() < MAX_SESSIONS => {
                    m.insert(id.clone(), handle);
                    None
                }
                _ => Some(handle),
            };
            if let Some(h) = full {
                tokio::task::spawn_blocking(move || h.close());
                return failure(
                    Failure::local(
                        format!("{MAX_SESSIONS} sessions are open already"),
                        vec!["disconnect one first".into()],
                    ),
                    None,
                );
            }
            Json(json!({ "id": id, "session": opened, "key": key })).into_response()
        }
        Ok((_, None)) => failure(Failure::local("no session", vec![]), None),
        Err(e) => open_error(e),
    }
}
