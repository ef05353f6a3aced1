//! The certificate for STARTTLS and smtps: `tls_cert`/`tls_key` when set, else a
//! self-signed one made once beside the store (`STORE/tls/`), like a fresh MTA install.

use std::fs;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{anyhow, Context};
use tokio_rustls::rustls::{self, pki_types::CertificateDer, pki_types::PrivateKeyDer};

/// Where relayd keeps the certificate it made for itself.
pub fn self_signed_paths(store_dir: &Path) -> (PathBuf, PathBuf) {
    let dir = store_dir.join("tls");
    (dir.join("cert.pem"), dir.join("key.pem"))
}

/// Makes the self-signed pair for `hostname` if relayd has none yet; the daemon calls
/// this before it loads settings without `tls_cert` (never `--check-config`).
pub fn ensure_self_signed(store_dir: &Path, hostname: &str) -> anyhow::Result<()> {
    let (c, k) = self_signed_paths(store_dir);
    if c.exists() && k.exists() {
        return Ok(());
    }
    make_self_signed(&c, &k, hostname)
}

/// The server configuration for these PEM files, or for the self-signed pair when none
/// are configured. Only reads.
pub fn server_config(
    cert: Option<&Path>,
    key: Option<&Path>,
    store_dir: &Path,
) -> anyhow::Result<Arc<rustls::ServerConfig>> {
    let (cert, key) = match (cert, key) {
        (Some(c), Some(k)) => (c.to_path_buf(), k.to_path_buf()),
        _ => self_signed_paths(store_dir),
    };
    let certs: Vec<CertificateDer<'static>> = rustls_pemfile::certs(
        &mut &fs::read(&cert).with_context(|| format!("tls_cert {}", cert.display()))?[..],
    )
    .collect::<Result<_, _>>()
    .with_context(|| format!("tls_cert {}: not PEM certificates", cert.display()))?;
    if certs.is_empty() {
        return Err(anyhow!("tls_cert {}: no certificate in it", cert.display()));
    }
    let key: PrivateKeyDer<'static> = rustls_pemfile::private_key(
        &mut &fs::read(&key).with_context(|| format!("tls_key {}", key.display()))?[..],
    )
    .with_context(|| format!("tls_key {}: not a PEM key", key.display()))?
    .ok_or_else(|| anyhow!("tls_key {}: no private key in it", key.display()))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .context("TLS protocol versions")?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .context("the certificate and key do not go together")?;
    Ok(Arc::new(config))
}

fn make_self_signed(cert: &Path, key: &Path, hostname: &str) -> anyhow::Result<()> {
    let names = vec![hostname.to_string(), "localhost".to_string()];
    let made =
        rcgen::generate_simple_self_signed(names).context("making a self-signed certificate")?;
    if let Some(dir) = cert.parent() {
        fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let write = |path: &Path, text: &str, mode: u32| -> anyhow::Result<()> {
        let mut f = fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(mode)
            .open(path)
            .with_context(|| format!("writing {}", path.display()))?;
        f.write_all(text.as_bytes())?;
        f.sync_all()?;
        Ok(())
    };
    write(key, &made.signing_key.serialize_pem(), 0o600)?;
    write(cert, &made.cert.pem(), 0o644)?;
    tracing::info!(cert = %cert.display(), "made a self-signed certificate (set tls_cert and tls_key to use your own)");
    Ok(())
}
