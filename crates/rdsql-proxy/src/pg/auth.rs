//! Logging in upstream with the connection's method: cleartext (IAM
//! tokens, over TLS), MD5 or SCRAM-SHA-256.

use super::startup::{error_field, read_message};
use super::{ErrorResponse, io_failure};
use crate::dial::Io;
use crate::{Shared, Target};
use bytes::BytesMut;
use postgres_protocol::authentication::sasl::{ChannelBinding, ScramSha256};
use postgres_protocol::message::frontend;
use tokio::io::AsyncWriteExt;

/// Answers the server's authentication request with the connection's
/// method, until AuthenticationOk; a rejection is reported with hints.
pub(super) async fn authenticate(
    up: &mut Box<dyn Io>,
    target: &Target,
    shared: &Shared,
) -> Result<(), ErrorResponse> {
    let mut scram: Option<ScramSha256> = None;
    loop {
        let (t, body) = read_message(up)
            .await
            .map_err(|e| io_failure("upstream closed during authentication", e))?;
        match t {
            b'R' if body.len() >= 4 => {
                let code = i32::from_be_bytes(body[0..4].try_into().unwrap_or_default());
                let mut out = BytesMut::new();
                match code {
                    0 => return Ok(()),
                    3 | 5 | 10 => {
                        let password = secret(target, shared).await?;
                        match code {
                            3 => frontend::password_message(password.expose().as_bytes(), &mut out),
                            5 => {
                                let salt: [u8; 4] = body[4..8].try_into().unwrap_or_default();
                                let hash = postgres_protocol::authentication::md5_hash(
                                    target.spec.user.as_bytes(),
                                    password.expose().as_bytes(),
                                    salt,
                                );
                                frontend::password_message(hash.as_bytes(), &mut out)
                            }
                            _ => {
                                let mechanisms = String::from_utf8_lossy(&body[4..]).into_owned();
                                if !mechanisms.split('\0').any(|m| m == "SCRAM-SHA-256") {
                                    return Err(ErrorResponse {
                                        code: "28000",
                                        message: format!("rdsql proxy: the server offers no SCRAM-SHA-256 ({mechanisms:?})"),
                                        hints: vec![],
                                    });
                                }
                                let s = ScramSha256::new(password.expose().as_bytes(), ChannelBinding::unsupported());
                                let r = frontend::sasl_initial_response("SCRAM-SHA-256", s.message(), &mut out);
                                scram = Some(s);
                                r
                            }
                        }
                        .map_err(|e| io_failure("authentication", e))?;
                    }
                    11 | 12 => {
                        let Some(s) = scram.as_mut() else {
                            return Err(io_failure(
                                "authentication",
                                std::io::Error::other("SASL out of order"),
                            ));
                        };
                        if code == 11 {
                            s.update(&body[4..]).map_err(|e| io_failure("SCRAM", e))?;
                            frontend::sasl_response(s.message(), &mut out)
                                .map_err(|e| io_failure("SCRAM", e))?;
                        } else {
                            s.finish(&body[4..]).map_err(|e| io_failure("SCRAM", e))?;
                            continue;
                        }
                    }
                    other => {
                        return Err(ErrorResponse {
                            code: "28000",
                            message: format!(
                                "rdsql proxy: the server asks for an authentication method rdsql does not speak ({other})"
                            ),
                            hints: vec![],
                        });
                    }
                }
                up.write_all(&out)
                    .await
                    .map_err(|e| io_failure("upstream", e))?;
            }
            b'E' => {
                let code = error_field(&body, b'C').unwrap_or_default();
                let message = error_field(&body, b'M').unwrap_or_default();
                let hints = crate::client::refused_login_hints(target, code.starts_with("28"));
                return Err(ErrorResponse {
                    code: if code.starts_with("28") {
                        "28000"
                    } else {
                        "08006"
                    },
                    message: format!(
                        "rdsql proxy: upstream {}: {message}",
                        target.spec.host_port()
                    ),
                    hints,
                });
            }
            _ => {
                return Err(io_failure(
                    "authentication",
                    std::io::Error::other(format!("unexpected message {:?}", t as char)),
                ));
            }
        }
    }
}

pub(super) async fn secret(
    target: &Target,
    shared: &Shared,
) -> Result<rdsql_db::Secret, ErrorResponse> {
    crate::fetch_secret(target, shared)
        .await
        .map_err(|message| ErrorResponse {
            code: "28000",
            message,
            hints: vec![
                "check the AWS credentials of the connection (rdsql aws profiles; rdsql sso login)"
                    .into(),
            ],
        })
}
