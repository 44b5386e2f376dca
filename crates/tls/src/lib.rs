//! TLS to the services backbeat depends on. One rustls, on the aws-lc-rs provider every other
//! TLS user in the process shares; trust is the system's store plus an optional PEM file of CAs
//! per service (a managed provider's CA).
//!
//! PostgreSQL's levels follow libpq's `sslmode`: `require` encrypts without checking the
//! certificate (unless a CA file is given, then it is checked like `verify-ca`), `verify-ca`
//! checks the chain, `verify-full` the chain and the host name.

use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::verify_server_cert_signed_by_trust_anchor;
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, Error, RootCertStore, SignatureScheme};
use rustls_pki_types::pem::PemObject;

/// How much of the server's certificate is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verify {
    /// Encrypt only (libpq's `require` without a CA file).
    Nothing,
    /// The chain up to a trusted CA, whatever the name (libpq's `verify-ca`).
    Chain,
    /// The chain and the host name: what HTTPS does (`verify-full`, `rediss://`, `amqps://`).
    Full,
}

pub fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}

/// The system's trust store plus the CAs in `ca_file`.
pub fn roots(ca_file: Option<&str>) -> anyhow::Result<RootCertStore> {
    let mut roots = RootCertStore::empty();
    let native = rustls_native_certs::load_native_certs();
    for error in &native.errors {
        tracing::debug!(%error, "a system certificate could not be read");
    }
    roots.add_parsable_certificates(native.certs);
    if let Some(path) = ca_file.filter(|p| !p.is_empty()) {
        let certs = CertificateDer::pem_file_iter(path)
            .map_err(|e| anyhow::anyhow!("cannot read the CA file {path}: {e}"))?
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| anyhow::anyhow!("the CA file {path} is not PEM: {e}"))?;
        anyhow::ensure!(!certs.is_empty(), "the CA file {path} holds no certificate");
        for cert in certs {
            roots
                .add(cert)
                .map_err(|e| anyhow::anyhow!("the CA file {path}: {e}"))?;
        }
    }
    Ok(roots)
}

/// A client configuration that checks what `verify` says against `roots`.
pub fn client_config(roots: RootCertStore, verify: Verify) -> anyhow::Result<ClientConfig> {
    let provider = provider();
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()?;
    let config = match verify {
        Verify::Full => builder.with_root_certificates(roots).with_no_client_auth(),
        Verify::Chain | Verify::Nothing => {
            let verifier = Lenient {
                roots: (verify == Verify::Chain).then(|| Arc::new(roots)),
                algorithms: provider.signature_verification_algorithms,
            };
            builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(verifier))
                .with_no_client_auth()
        }
    };
    Ok(config)
}

/// libpq's weaker levels: the chain without the name, or nothing but the handshake itself.
#[derive(Debug)]
struct Lenient {
    roots: Option<Arc<RootCertStore>>,
    algorithms: WebPkiSupportedAlgorithms,
}

impl ServerCertVerifier for Lenient {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, Error> {
        if let Some(roots) = &self.roots {
            let cert = rustls::server::ParsedCertificate::try_from(end_entity)?;
            verify_server_cert_signed_by_trust_anchor(
                &cert,
                roots,
                intermediates,
                now,
                self.algorithms.all,
            )?;
        }
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ca_file_must_exist_and_hold_certificates() {
        let missing = roots(Some("/nonexistent/ca.pem")).expect_err("refused");
        assert!(
            missing.to_string().contains("/nonexistent/ca.pem"),
            "{missing}"
        );
        let dir = std::env::temp_dir().join(format!("backbeat-tls-{}", std::process::id()));
        std::fs::write(&dir, "not a certificate\n").expect("write");
        let empty = roots(dir.to_str()).expect_err("refused");
        assert!(empty.to_string().contains("no certificate"), "{empty}");
        let _ = std::fs::remove_file(&dir);
        roots(None).expect("the system's store alone");
    }
}
