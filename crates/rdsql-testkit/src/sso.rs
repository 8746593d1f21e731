//! A local fake of the IAM Identity Center portal API (the public REST
//! wire format), reached through `AWS_ENDPOINT_URL_SSO`: `GET
//! /federation/credentials` with the `x-amz-sso_bearer_token` header returns
//! the temporary test keys when the bearer token is [`ACCESS_TOKEN`].

use crate::iam::{TEMP_KEY_ID, TEMP_SECRET, temp_session_token};
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

/// The SSO access token the fake accepts.
pub const ACCESS_TOKEN: &str = "aoaAAAAAGfakeSsoAccessToken+for/rdsql=tests";

/// A running fake; `requests` holds (path and query, bearer token).
pub struct FakePortal {
    pub endpoint: String,
    pub requests: Arc<Mutex<Vec<(String, String)>>>,
}

/// Starts the fake portal on a loopback port.
pub fn fake_portal() -> FakePortal {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind fake portal");
    let endpoint = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
    let requests = Arc::new(Mutex::new(Vec::new()));
    let seen = requests.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut first = String::new();
            let _ = reader.read_line(&mut first);
            let target = first
                .split_whitespace()
                .nth(1)
                .unwrap_or_default()
                .to_string();
            let mut bearer = String::new();
            let mut line = String::new();
            while reader.read_line(&mut line).map(|n| n > 0).unwrap_or(false) {
                let l = line.trim_end().to_string();
                line.clear();
                if l.is_empty() {
                    break;
                }
                if let Some((k, v)) = l.split_once(':')
                    && k.eq_ignore_ascii_case("x-amz-sso_bearer_token")
                {
                    bearer = v.trim().to_string();
                }
            }
            seen.lock().unwrap().push((target.clone(), bearer.clone()));
            let (status, body) = if !target.starts_with("/federation/credentials") {
                ("404 Not Found", r#"{"message":"not found"}"#.to_string())
            } else if bearer != ACCESS_TOKEN {
                (
                    "401 Unauthorized",
                    r#"{"message":"Session token not found or invalid"}"#.to_string(),
                )
            } else {
                (
                    "200 OK",
                    format!(
                        r#"{{"roleCredentials":{{"accessKeyId":"{TEMP_KEY_ID}","secretAccessKey":"{TEMP_SECRET}","sessionToken":"{}","expiration":4102444800000}}}}"#,
                        temp_session_token()
                    ),
                )
            };
            let unauthorized = if status.starts_with("401") {
                "x-amzn-errortype: UnauthorizedException\r\n"
            } else {
                ""
            };
            let mut s = stream;
            let _ = write!(
                s,
                "HTTP/1.1 {status}\r\nContent-Type: application/json\r\n{unauthorized}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    FakePortal { endpoint, requests }
}
