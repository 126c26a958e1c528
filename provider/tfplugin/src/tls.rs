//! AutoMTLS as go-plugin does it: the client (Terraform) hands us its certificate in
//! PLUGIN_CLIENT_CERT; we generate our own, put it in the handshake line, and accept only
//! connections that present exactly the client's certificate.

use std::sync::Arc;

use base64::Engine as _;
use rustls::client::danger::HandshakeSignatureValid;
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, WebPkiSupportedAlgorithms};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{DigitallySignedStruct, DistinguishedName, ServerConfig, SignatureScheme};

#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("PLUGIN_CLIENT_CERT holds no PEM certificate")]
    NoCertificate,
    #[error("PLUGIN_CLIENT_CERT is not valid base64 PEM: {0}")]
    BadPem(String),
    #[error("could not generate the server certificate: {0}")]
    Generate(#[from] rcgen::Error),
    #[error("TLS configuration failed: {0}")]
    Rustls(#[from] rustls::Error),
}

/// Decodes the first CERTIFICATE block of a PEM text.
pub fn pem_to_der(pem: &str) -> Result<Vec<u8>, TlsError> {
    let begin = "-----BEGIN CERTIFICATE-----";
    let end = "-----END CERTIFICATE-----";
    let start = pem.find(begin).ok_or(TlsError::NoCertificate)? + begin.len();
    let stop = pem[start..].find(end).ok_or(TlsError::NoCertificate)? + start;
    let b64: String = pem[start..stop]
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    base64::engine::general_purpose::STANDARD
        .decode(b64)
        .map_err(|e| TlsError::BadPem(e.to_string()))
}

/// The server side of AutoMTLS, ready to accept connections.
pub struct ServerTls {
    pub config: Arc<ServerConfig>,
    /// Our certificate, DER: the handshake line carries it base64-encoded without padding.
    pub cert_der: Vec<u8>,
}

impl ServerTls {
    pub fn handshake_cert_field(&self) -> String {
        base64::engine::general_purpose::STANDARD_NO_PAD.encode(&self.cert_der)
    }
}

/// A self-signed certificate for `localhost`, shaped like go-plugin's: Terraform verifies
/// the server against exactly this certificate as its only root, so it must be a CA too.
pub fn generate_server_cert() -> Result<(Vec<u8>, Vec<u8>), TlsError> {
    use rcgen::{
        BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair,
        KeyUsagePurpose,
    };
    let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)?;
    let mut params = CertificateParams::new(vec!["localhost".to_string()])?;
    params
        .distinguished_name
        .push(DnType::OrganizationName, "Mosia");
    params
        .distinguished_name
        .push(DnType::CommonName, "localhost");
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyEncipherment,
        KeyUsagePurpose::KeyCertSign,
    ];
    params.extended_key_usages = vec![
        ExtendedKeyUsagePurpose::ServerAuth,
        ExtendedKeyUsagePurpose::ClientAuth,
    ];
    let cert = params.self_signed(&key)?;
    Ok((cert.der().to_vec(), key.serialize_der()))
}

/// Server TLS config that requires the given client certificate (DER).
pub fn server_tls(client_cert_der: Vec<u8>) -> Result<ServerTls, TlsError> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let verifier = Arc::new(ExactClientCert {
        expected: client_cert_der,
        algorithms: provider.signature_verification_algorithms,
    });
    let (cert_der, key_der) = generate_server_cert()?;
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_client_cert_verifier(verifier)
        .with_single_cert(
            vec![CertificateDer::from(cert_der.clone())],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key_der)),
        )?;
    // gRPC clients (grpc-go in Terraform) insist on ALPN h2.
    config.alpn_protocols = vec![b"h2".to_vec()];
    Ok(ServerTls {
        config: Arc::new(config),
        cert_der,
    })
}

/// Accepts one certificate only, byte for byte, and checks the handshake signature with
/// aws-lc-rs, which (unlike ring) verifies Terraform's ECDSA P-521/SHA-512 certificates.
#[derive(Debug)]
struct ExactClientCert {
    expected: Vec<u8>,
    algorithms: WebPkiSupportedAlgorithms,
}

impl ClientCertVerifier for ExactClientCert {
    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &[]
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        if end_entity.as_ref() == self.expected.as_slice() {
            Ok(ClientCertVerified::assertion())
        } else {
            Err(rustls::Error::InvalidCertificate(
                rustls::CertificateError::ApplicationVerificationFailure,
            ))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pem_round_trip() {
        let (der, _) = generate_server_cert().unwrap();
        let b64 = base64::engine::general_purpose::STANDARD.encode(&der);
        let pem = format!("-----BEGIN CERTIFICATE-----\n{b64}\n-----END CERTIFICATE-----\n");
        assert_eq!(pem_to_der(&pem).unwrap(), der);
        assert!(matches!(
            pem_to_der("garbage"),
            Err(TlsError::NoCertificate)
        ));
    }

    #[test]
    fn aws_lc_verifier_supports_p521_sha512() {
        let p = rustls::crypto::aws_lc_rs::default_provider();
        assert!(p
            .signature_verification_algorithms
            .supported_schemes()
            .contains(&SignatureScheme::ECDSA_NISTP521_SHA512));
    }
}
