//! A local fake of AWS STS `AssumeRole` (the public awsquery wire format),
//! reached through `AWS_ENDPOINT_URL_STS`. It returns the temporary test
//! keys of [`crate::iam`] and records each request it saw.

use crate::iam::{TEMP_KEY_ID, TEMP_SECRET, temp_session_token};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

/// A running fake; `requests` holds (Authorization header, form body).
pub struct FakeSts {
    pub endpoint: String,
    pub requests: Arc<Mutex<Vec<(String, String)>>>,
}

/// Starts a fake STS on a loopback port (serves until the process ends).
pub fn fake_sts() -> FakeSts {
    start(None)
}

/// A fake STS whose `AssumeRole` demands MFA: `SerialNumber` must be
/// `serial` and `TokenCode` must be `code`, else `AccessDenied` as AWS
/// answers. It also answers `GetCallerIdentity` (for the AWS CLI).
/// Credentials last `DurationSeconds` (default 3600).
pub fn fake_sts_mfa(serial: &str, code: &str) -> FakeSts {
    start(Some((serial.to_string(), code.to_string())))
}

fn form(body: &str) -> std::collections::HashMap<String, String> {
    body.split('&')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| {
            (
                k.to_string(),
                percent_encoding::percent_decode_str(&v.replace('+', " "))
                    .decode_utf8_lossy()
                    .into_owned(),
            )
        })
        .collect()
}

fn iso(t: std::time::SystemTime) -> String {
    let secs = t.duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

fn start(mfa: Option<(String, String)>) -> FakeSts {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind fake STS");
    let endpoint = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
    let requests = Arc::new(Mutex::new(Vec::new()));
    let seen = requests.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut auth = String::new();
            let mut len = 0usize;
            let mut line = String::new();
            while reader.read_line(&mut line).map(|n| n > 0).unwrap_or(false) {
                let l = line.trim_end().to_string();
                line.clear();
                if l.is_empty() {
                    break;
                }
                if let Some((k, v)) = l.split_once(':') {
                    match k.to_ascii_lowercase().as_str() {
                        "authorization" => auth = v.trim().to_string(),
                        "content-length" => len = v.trim().parse().unwrap_or(0),
                        _ => {}
                    }
                }
            }
            let mut body = vec![0; len];
            let _ = reader.read_exact(&mut body);
            let body = String::from_utf8_lossy(&body).into_owned();
            let f = form(&body);
            let signed = auth.starts_with("AWS4-HMAC-SHA256");
            seen.lock().unwrap().push((auth, body.clone()));
            let action = f.get("Action").map(String::as_str).unwrap_or("");
            let mfa_ok = match &mfa {
                None => true,
                Some((serial, code)) => {
                    f.get("SerialNumber") == Some(serial) && f.get("TokenCode") == Some(code)
                }
            };
            let duration: u64 = f
                .get("DurationSeconds")
                .and_then(|d| d.parse().ok())
                .unwrap_or(3600);
            let expiration = if mfa.is_some() {
                iso(std::time::SystemTime::now() + std::time::Duration::from_secs(duration))
            } else {
                "2099-01-01T00:00:00Z".to_string()
            };
            let (status, xml) = match action {
                "AssumeRole" if signed && mfa_ok => (
                    "200 OK",
                    format!(
                        "<AssumeRoleResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><AssumeRoleResult>\
                         <Credentials><AccessKeyId>{TEMP_KEY_ID}</AccessKeyId><SecretAccessKey>{TEMP_SECRET}</SecretAccessKey>\
                         <SessionToken>{}</SessionToken><Expiration>{expiration}</Expiration></Credentials>\
                         <AssumedRoleUser><AssumedRoleId>AROATEST:rdsql</AssumedRoleId>\
                         <Arn>arn:aws:sts::123456789012:assumed-role/rds-connect/rdsql</Arn></AssumedRoleUser>\
                         </AssumeRoleResult><ResponseMetadata><RequestId>00000000-0000-0000-0000-000000000000</RequestId></ResponseMetadata></AssumeRoleResponse>",
                        temp_session_token()
                    ),
                ),
                "AssumeRole" if signed => (
                    "403 Forbidden",
                    "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error><Type>Sender</Type><Code>AccessDenied</Code>\
                     <Message>MultiFactorAuthentication failed with invalid MFA one time pass code.</Message></Error>\
                     <RequestId>00000000-0000-0000-0000-000000000001</RequestId></ErrorResponse>"
                        .to_string(),
                ),
                "GetCallerIdentity" if signed && mfa.is_some() => (
                    "200 OK",
                    "<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><GetCallerIdentityResult>\
                     <Arn>arn:aws:sts::123456789012:assumed-role/rds-connect/rdsql</Arn><UserId>AROATEST:rdsql</UserId>\
                     <Account>123456789012</Account></GetCallerIdentityResult>\
                     <ResponseMetadata><RequestId>00000000-0000-0000-0000-000000000002</RequestId></ResponseMetadata></GetCallerIdentityResponse>"
                        .to_string(),
                ),
                _ => (
                    "400 Bad Request",
                    "<ErrorResponse><Error><Type>Sender</Type><Code>InvalidAction</Code><Message>only AssumeRole</Message></Error></ErrorResponse>".to_string(),
                ),
            };
            let mut s = stream;
            let _ = write!(
                s,
                "HTTP/1.1 {status}\r\nContent-Type: text/xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{xml}",
                xml.len()
            );
        }
    });
    FakeSts { endpoint, requests }
}
