//! IAM Identity Center from the dialog: sign-in jobs, accounts, roles.

use super::*;

pub(super) async fn sso_signin(
    axum::extract::State(state): axum::extract::State<State>,
    Json(b): Json<FormBody>,
) -> Response {
    let session = match signin::session_for(
        text(&b.form, "aws_profile"),
        text(&b.form, "sso_start_url"),
        text(&b.form, "sso_region"),
    )
    .await
    {
        Ok(s) => s,
        Err(f) => return failure(f, Some("aws_profile")),
    };
    let device = b
        .form
        .get("sso_use_device_code")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let id = crate::new_token()[..16].to_string();
    {
        let Ok(mut m) = state.signins.lock() else {
            return failure(Failure::local("internal error", vec![]), None);
        };
        // Finished sign-ins are forgotten; running ones are capped.
        m.retain(|_, j| !j.finished());
        if m.len() >= MAX_SIGNINS {
            return failure(
                Failure::local(
                    "too many sign-ins are running",
                    vec!["cancel one first".into()],
                ),
                None,
            );
        }
        m.insert(
            id.clone(),
            signin::start(session, device, state.open_browser),
        );
    }
    Json(json!({ "job": id })).into_response()
}

pub(super) async fn sso_status(
    axum::extract::State(state): axum::extract::State<State>,
    Path(job): Path<String>,
) -> Response {
    let j = state.signins.lock().ok().and_then(|m| m.get(&job).cloned());
    match j {
        Some(j) => Json(json!({ "status": j.status() })).into_response(),
        None => failure(Failure::local("no such sign-in", vec![]), None),
    }
}

#[derive(Deserialize)]
pub(super) struct JobBody {
    pub(super) job: String,
}

pub(super) async fn sso_cancel(
    axum::extract::State(state): axum::extract::State<State>,
    Json(b): Json<JobBody>,
) -> Response {
    if let Some(j) = state
        .signins
        .lock()
        .ok()
        .and_then(|m| m.get(&b.job).cloned())
    {
        j.cancel();
    }
    Json(json!({ "cancelled": b.job })).into_response()
}

#[derive(Deserialize)]
pub(super) struct SsoQuery {
    pub(super) aws_profile: Option<String>,
    pub(super) sso_start_url: Option<String>,
    pub(super) sso_region: Option<String>,
    pub(super) account_id: Option<String>,
}

/// The access token of a valid sign-in (never sent to the browser).
pub(super) async fn signed_in(
    q: &SsoQuery,
) -> Result<(rdsql_aws::sso::SsoSession, rdsql_secret::Secret), Response> {
    let nonempty = |v: &Option<String>| v.as_deref().filter(|s| !s.is_empty()).map(str::to_string);
    let session = signin::session_for(
        nonempty(&q.aws_profile).as_deref(),
        nonempty(&q.sso_start_url).as_deref(),
        nonempty(&q.sso_region).as_deref(),
    )
    .await
    .map_err(|f| failure(f, Some("aws_profile")))?;
    let tok = rdsql_aws::sso::login::valid_token(&session)
        .await
        .map_err(|e| {
            (
                StatusCode::UNAUTHORIZED,
                Json(json!({
                    "error": Failure::local(e.message, e.hints),
                    "signin_required": true,
                })),
            )
                .into_response()
        })?;
    Ok((session, rdsql_secret::Secret::new(tok.access_token)))
}

// POST: reading the portal may refresh the cached sign-in (a change).
pub(super) async fn sso_accounts(Json(q): Json<SsoQuery>) -> Response {
    let (session, tok) = match signed_in(&q).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    match rdsql_aws::sso::portal::accounts(&session, &tok).await {
        Ok(a) => Json(json!({
            "accounts": a.iter().map(|a| json!({"id": a.id, "name": a.name})).collect::<Vec<_>>()
        }))
        .into_response(),
        Err(e) => failure(Failure::local(e.message, e.hints), Some("sso_account_id")),
    }
}

pub(super) async fn sso_roles(Json(q): Json<SsoQuery>) -> Response {
    let Some(account) = q.account_id.clone().filter(|a| !a.is_empty()) else {
        return failure(
            Failure::local("choose an account first", vec![]),
            Some("sso_account_id"),
        );
    };
    let (session, tok) = match signed_in(&q).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    match rdsql_aws::sso::portal::roles(&session, &tok, &account).await {
        Ok(r) => Json(json!({ "roles": r })).into_response(),
        Err(e) => failure(Failure::local(e.message, e.hints), Some("sso_role_name")),
    }
}
