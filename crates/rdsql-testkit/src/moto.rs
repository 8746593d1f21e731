//! `moto` in server mode (PyPI `moto[server]`): a widely used mock of the
//! AWS APIs, started on a loopback port; rdsql reaches it through
//! `AWS_ENDPOINT_URL_*`. Resources are made with boto3 (the venv's
//! `python3`), as a user's own scripts would.

use std::process::Command;
use std::time::{Duration, Instant};

/// A running moto server (killed with the test process).
pub struct Moto {
    pub endpoint: String,
    _child: std::process::Child,
}

/// Whether `moto_server` and boto3 are installed (`.ci/run` installs them).
pub fn available() -> bool {
    Command::new("python3")
        .args(["-c", "import moto, boto3"])
        .output()
        .is_ok_and(|o| o.status.success())
        && Command::new("moto_server")
            .arg("--help")
            .output()
            .is_ok_and(|o| o.status.success())
}

impl Moto {
    /// Starts a fresh server (each test its own: moto keeps state).
    pub fn start() -> Moto {
        let port = crate::process::free_port();
        let mut cmd = Command::new("moto_server");
        cmd.args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null());
        let child = crate::process::spawn_server(cmd)
            .expect("moto_server (pip install 'moto[server]'; .ci/run installs it)");
        let endpoint = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "moto_server did not start");
            std::thread::sleep(Duration::from_millis(100));
        }
        Moto {
            endpoint,
            _child: child,
        }
    }

    /// The environment pointing an AWS SDK (rdsql, boto3, the AWS CLI) at
    /// the server, with moto's dummy keys.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("AWS_ENDPOINT_URL", self.endpoint.clone()),
            ("AWS_ACCESS_KEY_ID", "testing".into()),
            ("AWS_SECRET_ACCESS_KEY", "testing".into()),
            ("AWS_DEFAULT_REGION", "eu-west-1".into()),
        ]
    }

    /// Runs a boto3 script (`rds`, `ec2` and `endpoint` are defined).
    pub fn boto3(&self, script: &str) -> String {
        let prelude = format!(
            "import boto3, json\nendpoint = {:?}\n\
             def client(name, region='eu-west-1'):\n    return boto3.client(name, region_name=region, endpoint_url=endpoint, aws_access_key_id='testing', aws_secret_access_key='testing')\n\
             rds = client('rds')\nec2 = client('ec2')\n",
            self.endpoint
        );
        let out = Command::new("python3")
            .arg("-c")
            .arg(format!("{prelude}{script}"))
            .output()
            .expect("python3 with boto3");
        assert!(
            out.status.success(),
            "boto3 script failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
}
