//! TLS settings: rustls with the ring provider, system roots, extra CA bundles, certificate
//! pinning by SHA-256 fingerprint, and an explicit opt-out of verification.

use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

/// How the server's certificate is checked.
#[derive(Clone, Default)]
pub(crate) struct TlsSettings {
    /// Extra trusted roots (DER), from PEM bundles.
    pub extra_roots: Vec<CertificateDer<'static>>,
    /// Skip the system roots.
    pub no_system_roots: bool,
    /// Accept exactly the leaf certificate with this SHA-256 fingerprint.
    pub pin: Option<[u8; 32]>,
    /// Accept any certificate.
    pub accept_invalid: bool,
}

impl std::fmt::Debug for TlsSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsSettings")
            .field("extra_roots", &self.extra_roots.len())
            .field("no_system_roots", &self.no_system_roots)
            .field("pin", &self.pin.map(hex))
            .field("accept_invalid", &self.accept_invalid)
            .finish()
    }
}

/// Parses PEM certificates.
pub(crate) fn parse_pem_bundle(pem: &[u8]) -> Result<Vec<CertificateDer<'static>>> {
    let certs: Vec<_> = CertificateDer::pem_slice_iter(pem)
        .collect::<std::result::Result<_, _>>()
        .map_err(|e| Error::config(format!("CA bundle is not valid PEM: {e}")))?;
    if certs.is_empty() {
        return Err(Error::config("CA bundle holds no certificate"));
    }
    Ok(certs)
}

/// Parses a SHA-256 fingerprint written in hex, with or without `:` or spaces.
pub fn parse_fingerprint(text: &str) -> Result<[u8; 32]> {
    let digits: String = text
        .chars()
        .filter(|c| !matches!(c, ':' | ' ' | '-'))
        .collect();
    let bad = || Error::config("certificate fingerprint must be 64 hex digits (SHA-256)");
    if digits.len() != 64 || !digits.is_ascii() {
        return Err(bad());
    }
    let mut out = [0u8; 32];
    for (i, b) in out.iter_mut().enumerate() {
        *b = u8::from_str_radix(&digits[2 * i..2 * i + 2], 16).map_err(|_| bad())?;
    }
    Ok(out)
}

/// The SHA-256 fingerprint of a DER certificate.
pub fn fingerprint_sha256(der: &[u8]) -> [u8; 32] {
    Sha256::digest(der).into()
}

pub(crate) fn hex(bytes: [u8; 32]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// Builds the rustls configuration for `settings`.
pub(crate) fn client_config(settings: &TlsSettings) -> Result<rustls::ClientConfig> {
    let provider = provider();
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::Tls {
            message: e.to_string(),
        })?;
    if settings.accept_invalid || settings.pin.is_some() {
        let verifier = FixedVerifier {
            pin: if settings.accept_invalid {
                None
            } else {
                settings.pin
            },
            provider,
        };
        return Ok(builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(verifier))
            .with_no_client_auth());
    }
    let mut roots = rustls::RootCertStore::empty();
    if !settings.no_system_roots {
        let found = rustls_native_certs::load_native_certs();
        for e in &found.errors {
            tracing::debug!("system root certificates: {e}");
        }
        let (_added, ignored) = roots.add_parsable_certificates(found.certs);
        if ignored > 0 {
            tracing::debug!("{ignored} system root certificates could not be parsed");
        }
    }
    for cert in &settings.extra_roots {
        roots.add(cert.clone()).map_err(|e| Error::Tls {
            message: format!("CA bundle certificate rejected: {e}"),
        })?;
    }
    if roots.is_empty() {
        tracing::warn!("no trusted root certificates: every TLS connection will fail verification");
    }
    Ok(builder.with_root_certificates(roots).with_no_client_auth())
}

/// Accepts the leaf with a given fingerprint (or any leaf when `pin` is `None`), still
/// verifying that the server holds the certificate's key (handshake signatures).
#[derive(Debug)]
struct FixedVerifier {
    pin: Option<[u8; 32]>,
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for FixedVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> std::result::Result<ServerCertVerified, rustls::Error> {
        match self.pin {
            None => Ok(ServerCertVerified::assertion()),
            Some(pin) => {
                let seen = fingerprint_sha256(end_entity.as_ref());
                // Compare without early exit.
                let diff = seen
                    .iter()
                    .zip(pin.iter())
                    .fold(0u8, |acc, (a, b)| acc | (a ^ b));
                if diff == 0 {
                    Ok(ServerCertVerified::assertion())
                } else {
                    Err(rustls::Error::General(format!(
                        "server certificate fingerprint {} does not match the pinned {}",
                        hex(seen),
                        hex(pin)
                    )))
                }
            }
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
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
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
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

/// Finds a TLS failure in an error's source chain (looking inside `io::Error`s, whose
/// `source()` skips the error they wrap).
pub(crate) fn find_tls_error(err: &(dyn std::error::Error + 'static)) -> Option<String> {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(err);
    let mut depth = 0;
    while let Some(e) = cur {
        depth += 1;
        if depth > 32 {
            break;
        }
        if let Some(t) = e.downcast_ref::<rustls::Error>() {
            return Some(t.to_string());
        }
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            if let Some(inner) = io.get_ref() {
                cur = Some(inner as &(dyn std::error::Error + 'static));
                continue;
            }
        }
        cur = e.source();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints() {
        let f = parse_fingerprint(&"AB:".repeat(31).to_string().replace(' ', "")).is_err();
        assert!(f);
        let hexs = "00112233445566778899aabbccddeeff00112233445566778899AABBCCDDEEFF";
        let p = parse_fingerprint(hexs).unwrap();
        assert_eq!(p[1], 0x11);
        assert_eq!(hex(p), hexs.to_lowercase());
        let colons: Vec<String> = p.iter().map(|b| format!("{b:02X}")).collect();
        assert_eq!(parse_fingerprint(&colons.join(":")).unwrap(), p);
        assert!(parse_fingerprint("zz").is_err());
        assert!(parse_fingerprint(&"é".repeat(32)).is_err());
    }

    #[test]
    fn bad_bundles() {
        assert!(parse_pem_bundle(b"").is_err());
        assert!(
            parse_pem_bundle(b"-----BEGIN CERTIFICATE-----\n!!\n-----END CERTIFICATE-----\n")
                .is_err()
        );
    }
}
