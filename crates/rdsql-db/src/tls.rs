//! TLS trust roots, per-mode rustls configurations and the classification
//! of handshake failures.

use crate::error::TlsFailure;
use crate::kinds::SslMode;
use crate::spec::TrustRoots;
use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, verify_tls12_signature, verify_tls13_signature};
use rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme,
};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, ServerName, UnixTime};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The Amazon RDS global CA bundle, compiled in (see `certs/`).
pub const RDS_CA_BUNDLE: &[u8] = include_bytes!("../certs/rds-global-bundle.pem");

/// TLS could not be set up (before any network traffic).
#[derive(Debug, thiserror::Error)]
pub enum TlsSetupError {
    #[error("cannot read the CA file {path}: {source}")]
    ReadRootCert {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the CA file {path} holds no PEM certificate")]
    EmptyRootCert { path: PathBuf },
    #[error("bad certificate in {what}: {reason}")]
    BadCert { what: String, reason: String },
    #[error(
        "no CA certificates in the system store ({reason}); set SSL_CERT_FILE or install ca-certificates"
    )]
    NoSystemRoots { reason: String },
}

/// The crypto provider used everywhere (one stack: aws-lc-rs).
pub fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}

/// Installs the process-wide default provider; harmless if already set.
pub fn install_default_provider() {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
}

/// The CA certificates `roots` names: the bundled Amazon RDS CAs, the
/// user's PEM file, or the operating system's store. The public web roots
/// are not among them: [`root_store`] adds them for `verify-full` only
/// (docs/tls.md, "Trust").
pub fn root_certs(roots: &TrustRoots) -> Result<Vec<CertificateDer<'static>>, TlsSetupError> {
    let (pem, what) = match roots {
        TrustRoots::Bundled => (
            RDS_CA_BUNDLE.to_vec(),
            "the bundled RDS CA bundle".to_string(),
        ),
        TrustRoots::File(path) => (read_pem_file(path)?, path.display().to_string()),
        TrustRoots::System => {
            let found = rustls_native_certs::load_native_certs();
            if found.certs.is_empty() {
                let why = found
                    .errors
                    .first()
                    .map(|e| e.to_string())
                    .unwrap_or_else(|| "the store is empty".into());
                return Err(TlsSetupError::NoSystemRoots { reason: why });
            }
            // Keep what webpki can use (both drivers then see the same
            // set; the OS store may hold certificates it cannot parse).
            return Ok(found
                .certs
                .into_iter()
                .filter(|c| RootCertStore::empty().add(c.clone()).is_ok())
                .collect());
        }
    };
    CertificateDer::pem_slice_iter(&pem)
        .map(|c| {
            c.map_err(|e| TlsSetupError::BadCert {
                what: what.clone(),
                reason: e.to_string(),
            })
        })
        .collect()
}

fn read_pem_file(path: &Path) -> Result<Vec<u8>, TlsSetupError> {
    let bytes = std::fs::read(path).map_err(|source| TlsSetupError::ReadRootCert {
        path: path.to_path_buf(),
        source,
    })?;
    if CertificateDer::pem_slice_iter(&bytes).next().is_none() {
        return Err(TlsSetupError::EmptyRootCert {
            path: path.to_path_buf(),
        });
    }
    Ok(bytes)
}

/// True when the public web roots (`webpki-roots`) are trusted too: only
/// with the default roots and only for `verify-full`, where the host-name
/// check makes a public certificate meaningful. With `verify-ca` any public
/// certificate for any domain would pass.
pub fn trusts_public_roots(mode: SslMode, roots: &TrustRoots) -> bool {
    mode == SslMode::VerifyFull && *roots == TrustRoots::Bundled
}

/// The root store for `mode` and `roots` (see [`root_certs`],
/// [`trusts_public_roots`]).
pub fn root_store(mode: SslMode, roots: &TrustRoots) -> Result<RootCertStore, TlsSetupError> {
    let mut store = RootCertStore::empty();
    if trusts_public_roots(mode, roots) {
        store.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    }
    let what = match roots {
        TrustRoots::Bundled => "the bundled RDS CA bundle".to_string(),
        TrustRoots::File(p) => p.display().to_string(),
        TrustRoots::System => "the system CA store".to_string(),
    };
    let mut added = 0;
    for cert in root_certs(roots)? {
        match store.add(cert) {
            Ok(()) => added += 1,
            // The OS store may hold a certificate webpki cannot parse; skip
            // it as OpenSSL would, but a user's own file must be clean.
            Err(_) if *roots == TrustRoots::System => {}
            Err(e) => {
                return Err(TlsSetupError::BadCert {
                    what,
                    reason: e.to_string(),
                });
            }
        }
    }
    if added == 0 {
        return Err(TlsSetupError::BadCert {
            what,
            reason: "no usable CA certificate".into(),
        });
    }
    Ok(store)
}

/// A rustls client configuration implementing `mode`, or `None` for
/// `disable`.
pub fn client_config(
    mode: SslMode,
    roots: &TrustRoots,
) -> Result<Option<ClientConfig>, TlsSetupError> {
    let provider = provider();
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .expect("aws-lc-rs supports the default protocol versions");
    let config = match mode {
        SslMode::Disable => return Ok(None),
        SslMode::Prefer | SslMode::Require => builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AcceptAnyCert { provider }))
            .with_no_client_auth(),
        SslMode::VerifyCa => {
            let inner = webpki_verifier(mode, roots, &provider)?;
            builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(ChainOnly { inner }))
                .with_no_client_auth()
        }
        SslMode::VerifyFull => builder
            .with_webpki_verifier(webpki_verifier(mode, roots, &provider)?)
            .with_no_client_auth(),
    };
    Ok(Some(config))
}

fn webpki_verifier(
    mode: SslMode,
    roots: &TrustRoots,
    provider: &Arc<CryptoProvider>,
) -> Result<Arc<WebPkiServerVerifier>, TlsSetupError> {
    WebPkiServerVerifier::builder_with_provider(
        Arc::new(root_store(mode, roots)?),
        provider.clone(),
    )
    .build()
    .map_err(|e| TlsSetupError::BadCert {
        what: "trust roots".into(),
        reason: e.to_string(),
    })
}

/// `require`/`prefer`: encrypt, check nothing about the certificate, but
/// still verify the handshake signatures so the session is sound.
#[derive(Debug)]
struct AcceptAnyCert {
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for AcceptAnyCert {
    fn verify_server_cert(
        &self,
        _: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: &ServerName<'_>,
        _: &[u8],
        _: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }
    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }
    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// `verify-ca`: the full webpki check, except that a host-name mismatch is
/// accepted.
#[derive(Debug)]
struct ChainOnly {
    inner: Arc<WebPkiServerVerifier>,
}

impl ServerCertVerifier for ChainOnly {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match self
            .inner
            .verify_server_cert(end_entity, intermediates, server_name, ocsp, now)
        {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }
    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }
    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

/// tokio-postgres' TLS connector, checking the certificate against a fixed
/// name: the host, or the real endpoint given with `--iam-host` when the
/// connection goes through a tunnel (docs/tls.md, "Tunnels").
#[derive(Clone)]
pub struct NamedTls {
    inner: tokio_postgres_rustls::MakeRustlsConnect,
    name: String,
}

impl NamedTls {
    /// A connector for `config` that verifies against `name`.
    pub fn new(config: ClientConfig, name: &str) -> Self {
        NamedTls {
            inner: tokio_postgres_rustls::MakeRustlsConnect::new(config),
            name: name.to_string(),
        }
    }
}

impl<S> tokio_postgres::tls::MakeTlsConnect<S> for NamedTls
where
    tokio_postgres_rustls::MakeRustlsConnect: tokio_postgres::tls::MakeTlsConnect<S>,
{
    type Stream = <tokio_postgres_rustls::MakeRustlsConnect as tokio_postgres::tls::MakeTlsConnect<S>>::Stream;
    type TlsConnect = <tokio_postgres_rustls::MakeRustlsConnect as tokio_postgres::tls::MakeTlsConnect<S>>::TlsConnect;
    type Error =
        <tokio_postgres_rustls::MakeRustlsConnect as tokio_postgres::tls::MakeTlsConnect<S>>::Error;

    fn make_tls_connect(&mut self, _host: &str) -> Result<Self::TlsConnect, Self::Error> {
        self.inner.make_tls_connect(&self.name)
    }
}

/// Finds a rustls error in `err`'s source chain and says which check failed.
pub fn classify(err: &(dyn std::error::Error + 'static), host: &str) -> Option<TlsFailure> {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = cur {
        if let Some(r) = e.downcast_ref::<rustls::Error>() {
            return Some(from_rustls(r, host));
        }
        if let Some(io) = e.downcast_ref::<std::io::Error>()
            && let Some(inner) = io.get_ref()
            && let Some(r) = inner.downcast_ref::<rustls::Error>()
        {
            return Some(from_rustls(r, host));
        }
        cur = e.source();
    }
    None
}

fn from_rustls(e: &rustls::Error, host: &str) -> TlsFailure {
    match e {
        rustls::Error::InvalidCertificate(c) => match c {
            CertificateError::UnknownIssuer => TlsFailure::UnknownCa,
            CertificateError::NotValidForName => TlsFailure::NameMismatch {
                host: host.to_string(),
                presented: vec![],
            },
            CertificateError::NotValidForNameContext { presented, .. } => {
                TlsFailure::NameMismatch {
                    host: host.to_string(),
                    presented: presented.iter().map(|p| presented_name(p)).collect(),
                }
            }
            CertificateError::Expired
            | CertificateError::ExpiredContext { .. }
            | CertificateError::NotValidYet
            | CertificateError::NotValidYetContext { .. } => TlsFailure::Expired,
            other => TlsFailure::Other(format!("invalid server certificate: {other}")),
        },
        other => TlsFailure::Other(other.to_string()),
    }
}

/// webpki reports SANs as `DnsName("x")` / `IpAddress(1.2.3.4)`; keep the name.
pub fn presented_name(p: &str) -> String {
    let inner = p
        .strip_prefix("DnsName(")
        .or_else(|| p.strip_prefix("IpAddress("))
        .and_then(|s| s.strip_suffix(')'))
        .unwrap_or(p);
    inner.trim_matches('"').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_roots_serve_verify_full_only() {
        let rds = CertificateDer::pem_slice_iter(RDS_CA_BUNDLE).count();
        assert!(rds >= 100, "{rds}");
        let full = root_store(SslMode::VerifyFull, &TrustRoots::Bundled).unwrap();
        assert!(full.len() > rds + 100);
        let ca = root_store(SslMode::VerifyCa, &TrustRoots::Bundled).unwrap();
        assert_eq!(ca.len(), rds);
    }

    #[test]
    fn presented_names() {
        assert_eq!(presented_name("DnsName(\"localhost\")"), "localhost");
        assert_eq!(presented_name("IpAddress(127.0.0.1)"), "127.0.0.1");
    }

    #[test]
    fn missing_root_file_is_named() {
        let e = root_store(
            SslMode::VerifyCa,
            &TrustRoots::File("/nonexistent/ca.pem".into()),
        )
        .unwrap_err();
        assert!(e.to_string().contains("/nonexistent/ca.pem"));
    }
}
