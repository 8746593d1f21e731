//! A test CA, a server certificate for `localhost`/`127.0.0.1` signed by
//! it, a wildcard certificate for `*.example.test`, and an unrelated CA (for "unknown CA" failures).

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair, SanType};
use std::path::PathBuf;
use std::sync::OnceLock;

/// Paths of the generated PEM files.
#[derive(Debug)]
pub struct Certs {
    pub dir: PathBuf,
    /// The CA that signed the server certificate.
    pub ca: PathBuf,
    /// A CA that signed nothing the servers use.
    pub other_ca: PathBuf,
    pub server_cert: PathBuf,
    pub server_key: PathBuf,
    /// A certificate for `*.example.test` only (no IP address, no
    /// `localhost`), signed by `ca`.
    pub wildcard_cert: PathBuf,
    pub wildcard_key: PathBuf,
}

/// The certificates, generated once per process.
pub fn certs() -> &'static Certs {
    static CERTS: OnceLock<Certs> = OnceLock::new();
    CERTS.get_or_init(|| generate().expect("generate test certificates"))
}

fn ca(name: &str) -> Result<(rcgen::Certificate, KeyPair, CertificateParams), rcgen::Error> {
    let mut p = CertificateParams::new(Vec::<String>::new())?;
    p.distinguished_name.push(DnType::CommonName, name);
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let key = KeyPair::generate()?;
    Ok((p.self_signed(&key)?, key, p))
}

fn generate() -> Result<Certs, Box<dyn std::error::Error>> {
    let dir = crate::process::scratch_dir("certs")?;
    let (ca_cert, ca_key, ca_params) = ca("rdsql test CA")?;
    let (other, _, _) = ca("rdsql unrelated CA")?;
    // The tunnel test's RDS endpoint is named too, as the real endpoint's
    // certificate would name it (the client connects to 127.0.0.1 and
    // checks the certificate against --iam-host).
    let mut p = CertificateParams::new(vec![
        "localhost".to_string(),
        crate::iam::TUNNEL_HOST.to_string(),
    ])?;
    p.subject_alt_names
        .push(SanType::IpAddress("127.0.0.1".parse()?));
    p.distinguished_name.push(DnType::CommonName, "localhost");
    let key = KeyPair::generate()?;
    let issuer = rcgen::Issuer::new(ca_params, ca_key);
    let server = p.signed_by(&key, &issuer)?;
    let mut w = CertificateParams::new(vec!["*.example.test".to_string()])?;
    w.distinguished_name
        .push(DnType::CommonName, "*.example.test");
    let wkey = KeyPair::generate()?;
    let wildcard = w.signed_by(&wkey, &issuer)?;
    let c = Certs {
        wildcard_cert: dir.join("wildcard.pem"),
        wildcard_key: dir.join("wildcard.key"),
        ca: dir.join("ca.pem"),
        other_ca: dir.join("other-ca.pem"),
        server_cert: dir.join("server.pem"),
        server_key: dir.join("server.key"),
        dir,
    };
    std::fs::write(&c.ca, ca_cert.pem())?;
    std::fs::write(&c.other_ca, other.pem())?;
    std::fs::write(&c.server_cert, server.pem())?;
    std::fs::write(&c.server_key, key.serialize_pem())?;
    std::fs::write(&c.wildcard_cert, wildcard.pem())?;
    std::fs::write(&c.wildcard_key, wkey.serialize_pem())?;
    Ok(c)
}
