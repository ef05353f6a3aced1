//! Outbound TLS: the connectors for each `relayhost_tls` policy. `verify` checks the
//! next hop's certificate and name against `relayhost_ca` (or the system's roots);
//! `encrypt` and `may` encrypt without checking (opportunistic TLS, as MX delivery
//! does everywhere); `none` never starts TLS.

use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use tokio_rustls::rustls::{self, RootCertStore};
use tokio_rustls::TlsConnector;

/// A connector that checks certificates against `ca` (PEM), or the system's roots.
pub fn verifying(ca: Option<&Path>) -> anyhow::Result<TlsConnector> {
    let mut roots = RootCertStore::empty();
    match ca {
        Some(path) => {
            let pem =
                std::fs::read(path).with_context(|| format!("relayhost_ca {}", path.display()))?;
            for cert in rustls_pemfile::certs(&mut &pem[..]) {
                let cert =
                    cert.with_context(|| format!("relayhost_ca {}: not PEM", path.display()))?;
                roots.add(cert).with_context(|| {
                    format!("relayhost_ca {}: a certificate is unusable", path.display())
                })?;
            }
            if roots.is_empty() {
                anyhow::bail!("relayhost_ca {}: no certificate in it", path.display());
            }
        }
        None => {
            let found = rustls_native_certs::load_native_certs();
            for cert in found.certs {
                let _ = roots.add(cert);
            }
            if roots.is_empty() {
                anyhow::bail!("no system root certificates found (set relayhost_ca)");
            }
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .context("TLS protocol versions")?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(TlsConnector::from(Arc::new(config)))
}

/// A connector that encrypts without checking the certificate.
pub fn unverified() -> anyhow::Result<TlsConnector> {
    mail_send::smtp::tls::build_tls_connector(true).map_err(|e| anyhow::anyhow!(e))
}
