//! `rdsql token`: print an IAM auth token, like
//! `aws rds generate-db-auth-token`, and nothing else.

use crate::cli::TokenArgs;
use crate::connect;
use crate::report::Failure;
use rdsql_db::{ConnectionSpec, Engine};
use std::io::Write;

pub async fn run(args: TokenArgs) -> Result<(), Failure> {
    let has_url = args.conn.is_some();
    let mut fields = vec![];
    for (name, value) in [
        ("host", args.hostname),
        ("port", args.port.map(|p| p.to_string())),
        ("user", args.username),
        ("auth", args.auth),
        ("aws_region", args.region),
        ("aws_profile", args.profile),
        ("aws_access_key_id", args.aws_access_key_id),
        ("sso_start_url", args.sso_start_url),
        ("sso_region", args.sso_region),
        ("sso_account_id", args.sso_account_id),
        ("sso_role_name", args.sso_role_name),
    ] {
        if let Some(v) = value {
            fields.push((name.to_string(), v));
        }
    }
    // The engine only matters for defaults; a bare --hostname signs for
    // whatever listens there. Without --auth: the profile or default chain.
    let req = rdsql_connect::Request {
        conn: args.conn,
        fields,
        defaults: vec![
            ("engine".into(), "postgres".into()),
            ("auth".into(), "iam-profile".into()),
        ],
        ..Default::default()
    };
    let opts = req.options()?;
    if !has_url && (opts.host.is_none() || opts.port.is_none() || opts.user.is_none()) {
        return Err(Failure::local(
            "rdsql token needs --hostname, --port and --username (or a URL)",
            vec!["example: rdsql token --hostname db.abc.eu-west-1.rds.amazonaws.com --port 5432 --username app".into()],
        ));
    }
    let spec = rdsql_connect::resolve(&req, &connect::env)?;
    let ConnectionSpec::Server(server) = spec else {
        return Err(Failure::local("SQLite has no IAM tokens", vec![]));
    };
    if !server.auth.password_is_token() || server.engine == Engine::Sqlite {
        return Err(Failure::local(
            "rdsql token signs IAM tokens: use --auth iam-keys, iam-profile or sso",
            vec![],
        ));
    }
    let provider = connect::iam_provider(&server).await?;
    let token = provider
        .token()
        .await
        .map_err(|e| Failure::from(rdsql_connect::open::token_error(&server, e)))?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "{}", token.expose())
        .and_then(|_| out.flush())
        .map_err(|e| Failure::local(format!("could not write the token: {e}"), vec![]))
}
