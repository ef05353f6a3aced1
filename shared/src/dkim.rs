//! DKIM signing of mail relayd relays to MX hosts directly (`dkim_domain`,
//! `dkim_selector`, `dkim_key`), with the `mail-auth` crate: rsa-sha256 or
//! ed25519-sha256 by the key's kind, relaxed/relaxed canonicalization. Only mail whose
//! `From:` is at the signing domain (or below it) is signed, so a signature always
//! aligns with the author for DMARC. `relayctl dkim keygen` makes a key pair and the DNS
//! record to publish.

use std::path::Path;

use mail_auth::common::crypto::{Ed25519Key, RsaKey, Sha256};
use mail_auth::common::headers::HeaderWriter;
use mail_auth::dkim::DkimSigner;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::PrivateKeyDer;

use crate::headers;

/// The header fields signed when present (and, absent, protected from being added).
const SIGNED: [&str; 11] = [
    "From",
    "Reply-To",
    "Sender",
    "To",
    "Cc",
    "Subject",
    "Date",
    "Message-ID",
    "MIME-Version",
    "Content-Type",
    "Content-Transfer-Encoding",
];

#[derive(Debug, thiserror::Error)]
pub enum DkimError {
    #[error("dkim_key {path}: {why}")]
    Key { path: String, why: String },
    #[error("cannot sign: {0}")]
    Sign(String),
    #[error("cannot make a key: {0}")]
    Generate(String),
}

/// A loaded signing key and where its public half is published.
pub struct Dkim {
    pub domain: String,
    pub selector: String,
    pub algorithm: &'static str,
    /// The key as read (checked at load). A signer is made for each message, since the
    /// header fields it lists must be the ones the message has: `mail-auth` 0.7 signs a
    /// listed but absent field in a way verifiers do not reproduce.
    der: PrivateKeyDer<'static>,
    ed25519: bool,
}

impl std::fmt::Debug for Dkim {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Dkim(d={} s={} {})",
            self.domain, self.selector, self.algorithm
        )
    }
}

impl Dkim {
    /// Reads the PEM private key at `path`: RSA (PKCS #1 or #8) or Ed25519 (PKCS #8).
    pub fn load(domain: &str, selector: &str, path: &Path) -> Result<Dkim, DkimError> {
        let err = |why: String| DkimError::Key {
            path: path.display().to_string(),
            why,
        };
        let pem = std::fs::read(path).map_err(|e| err(e.to_string()))?;
        let der = PrivateKeyDer::from_pem_slice(&pem)
            .map_err(|e| err(format!("not a PEM private key ({e})")))?;
        let ed25519 = match &der {
            PrivateKeyDer::Pkcs8(p) => Ed25519Key::from_pkcs8_der(p.secret_pkcs8_der()).is_ok(),
            _ => false,
        };
        if !ed25519 {
            RsaKey::<Sha256>::from_key_der(der.clone_key()).map_err(|e| err(e.to_string()))?;
        }
        Ok(Dkim {
            domain: domain.to_ascii_lowercase(),
            selector: selector.to_string(),
            algorithm: if ed25519 {
                "ed25519-sha256"
            } else {
                "rsa-sha256"
            },
            der,
            ed25519,
        })
    }

    /// Whether mail from this `From:` domain is signed.
    pub fn covers(&self, from_domain: &str) -> bool {
        covers(&self.domain, from_domain)
    }

    /// The message with a `DKIM-Signature:` on top, or `None` when its `From:` is not
    /// at the signing domain.
    pub fn sign(&self, message: &[u8]) -> Result<Option<Vec<u8>>, DkimError> {
        if !from_domain(message).is_some_and(|d| self.covers(&d)) {
            return Ok(None);
        }
        let present = headers::fields(&message[..headers::head_len(message)]);
        let signed: Vec<&str> = SIGNED
            .iter()
            .copied()
            .filter(|h| present.iter().any(|f| headers::is(f, h)))
            .collect();
        let fail = |e: mail_auth::Error| DkimError::Sign(e.to_string());
        let signature = if self.ed25519 {
            let PrivateKeyDer::Pkcs8(p) = &self.der else {
                return Err(DkimError::Sign("not a PKCS #8 Ed25519 key".into()));
            };
            let key = Ed25519Key::from_pkcs8_der(p.secret_pkcs8_der()).map_err(fail)?;
            let signer = DkimSigner::from_key(key).domain(self.domain.clone());
            signer
                .selector(self.selector.clone())
                .headers(signed)
                .sign(message)
        } else {
            let key = RsaKey::<Sha256>::from_key_der(self.der.clone_key()).map_err(fail)?;
            let signer = DkimSigner::from_key(key).domain(self.domain.clone());
            signer
                .selector(self.selector.clone())
                .headers(signed)
                .sign(message)
        }
        .map_err(fail)?;
        let mut out = signature.to_header().into_bytes();
        out.extend_from_slice(message);
        Ok(Some(out))
    }
}

/// Whether a signature for `signing` aligns with mail from `from_domain`: the same
/// domain or one below it.
pub fn covers(signing: &str, from_domain: &str) -> bool {
    let d = from_domain.trim_end_matches('.').to_ascii_lowercase();
    d == signing || d.ends_with(&format!(".{signing}"))
}

/// The domain of the first `From:` header's address.
pub fn from_domain(message: &[u8]) -> Option<String> {
    let head = &message[..headers::head_len(message)];
    let from = headers::fields(head)
        .into_iter()
        .find(|f| headers::is(f, "from"))?;
    let value = headers::unfolded_value(from);
    let addr = match (value.rfind('<'), value.rfind('>')) {
        (Some(a), Some(b)) if a < b => &value[a + 1..b],
        _ => value.trim(),
    };
    addr.rsplit_once('@')
        .map(|(_, d)| d.trim().to_ascii_lowercase())
}

/// A new key pair: the private key as PEM, and the TXT record's value for
/// `SELECTOR._domainkey.DOMAIN`.
pub fn generate(ed25519: bool, bits: usize) -> Result<(String, String), DkimError> {
    use mail_auth::dkim::generate::DkimKeyPair;
    let gen = |e: mail_auth::Error| DkimError::Generate(e.to_string());
    let (pair, label, kind) = match ed25519 {
        true => (
            DkimKeyPair::generate_ed25519().map_err(gen)?,
            "PRIVATE KEY",
            "ed25519",
        ),
        false => (
            DkimKeyPair::generate_rsa(bits).map_err(gen)?,
            "RSA PRIVATE KEY",
            "rsa",
        ),
    };
    let pem = pem_block(label, pair.private_key());
    let txt = format!("v=DKIM1; k={kind}; p={}", base64(pair.public_key()));
    Ok((pem, txt))
}

fn base64(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn pem_block(label: &str, der: &[u8]) -> String {
    let b64 = base64(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(chunk));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}
