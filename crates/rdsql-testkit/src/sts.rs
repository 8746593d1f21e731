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
            let ok = body.contains("Action=AssumeRole") && auth.starts_with("AWS4-HMAC-SHA256");
            seen.lock().unwrap().push((auth, body));
            let (status, xml) = if ok {
                (
                    "200 OK",
                    format!(
                        "<AssumeRoleResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><AssumeRoleResult>\
                         <Credentials><AccessKeyId>{TEMP_KEY_ID}</AccessKeyId><SecretAccessKey>{TEMP_SECRET}</SecretAccessKey>\
                         <SessionToken>{}</SessionToken><Expiration>2099-01-01T00:00:00Z</Expiration></Credentials>\
                         <AssumedRoleUser><AssumedRoleId>AROATEST:rdsql</AssumedRoleId>\
                         <Arn>arn:aws:sts::123456789012:assumed-role/rds-connect/rdsql</Arn></AssumedRoleUser>\
                         </AssumeRoleResult><ResponseMetadata><RequestId>00000000-0000-0000-0000-000000000000</RequestId></ResponseMetadata></AssumeRoleResponse>",
                        temp_session_token()
                    ),
                )
            } else {
                (
                    "400 Bad Request",
                    "<ErrorResponse><Error><Type>Sender</Type><Code>InvalidAction</Code><Message>only AssumeRole</Message></Error></ErrorResponse>".to_string(),
                )
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
