//! SMTP AUTH users are NetInfo users: `/users/NAME` with a `passwd` property holding a
//! hash. New hashes are argon2id; `$6$` sha512-crypt hashes (as older systems stored)
//! are accepted for verification. Passwords never leave this module in any form but a
//! hash, and nothing here logs.

use std::io::Read;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;

/// Where users live in the domain.
pub const USERS_DIR: &str = "/users";
/// The property holding a user's password hash.
pub const PASSWD: &str = "passwd";

#[derive(Debug, thiserror::Error)]
pub enum UserError {
    #[error("user name `{0}` is not allowed: {1}")]
    BadName(String, &'static str),
    #[error("the password is empty")]
    EmptyPassword,
    #[error("cannot read random bytes for a salt: {0}")]
    Random(std::io::Error),
    #[error("cannot hash the password: {0}")]
    Hash(String),
}

/// Checks a user name: it becomes a path component and appears in logs and headers.
pub fn check_name(name: &str) -> Result<(), UserError> {
    let bad = |why| Err(UserError::BadName(name.to_string(), why));
    if name.is_empty() {
        return bad("it is empty");
    }
    if name.len() > 64 {
        return bad("it is longer than 64 bytes");
    }
    if name.starts_with('-') || name.starts_with('.') {
        return bad("it starts with `-` or `.`");
    }
    if !name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@' | '+'))
    {
        return bad("use letters, digits and . _ - @ + only");
    }
    Ok(())
}

/// A new argon2id hash (PHC string) with a random salt.
pub fn hash_password(password: &str) -> Result<String, UserError> {
    if password.is_empty() {
        return Err(UserError::EmptyPassword);
    }
    let mut bytes = [0u8; 16];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut bytes))
        .map_err(UserError::Random)?;
    let salt = SaltString::encode_b64(&bytes).map_err(|e| UserError::Hash(e.to_string()))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| UserError::Hash(e.to_string()))
}

/// Whether `password` matches `hash`. Unknown or malformed hashes never match.
pub fn verify_password(hash: &str, password: &str) -> bool {
    if hash.starts_with("$6$") {
        return sha_crypt::sha512_check(password, hash).is_ok();
    }
    match PasswordHash::new(hash) {
        Ok(parsed) if parsed.algorithm.as_str().starts_with("argon2") => Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        _ => false,
    }
}

/// The scheme of a stored hash, for `relayctl user list`.
pub fn scheme(hash: &str) -> &'static str {
    if hash.starts_with("$argon2id$") {
        "argon2id"
    } else if hash.starts_with("$argon2") {
        "argon2"
    } else if hash.starts_with("$6$") {
        "sha512-crypt"
    } else {
        "unusable"
    }
}

/// The users of one store snapshot, as relayd and `relayctl relay check` both see them:
/// names are compared case-insensitively (an AUTH login and a local part alike), and a
/// user with a hash no password can match (`*`) exists as a mailbox but cannot log in.
#[derive(Debug, Clone, Default)]
pub struct Users {
    /// Lowercased name to stored hash.
    by_name: std::collections::HashMap<String, String>,
}

impl Users {
    /// Every `/users/NAME` with a `passwd` value.
    pub fn from_domain(domain: &crate::store::Domain) -> Users {
        let mut by_name = std::collections::HashMap::new();
        if let Ok(dir) = domain.lookup(USERS_DIR) {
            for u in domain.children(dir.id) {
                if let (Some(name), Some(hash)) =
                    (u.name(), u.values(PASSWD).and_then(|v| v.first()))
                {
                    by_name.insert(Users::canonical(name), hash.clone());
                }
            }
        }
        Users { by_name }
    }

    /// The form a user name is known by once it has logged in (and in logs, headers and
    /// the policy's reasons).
    pub fn canonical(name: &str) -> String {
        name.to_ascii_lowercase()
    }

    /// The stored hash of `name`, for a password check.
    pub fn hash(&self, name: &str) -> Option<&str> {
        self.by_name
            .get(&Users::canonical(name))
            .map(String::as_str)
    }

    /// Whether some password could log `name` in.
    pub fn can_log_in(&self, name: &str) -> bool {
        self.hash(name).is_some_and(|h| scheme(h) != "unusable")
    }

    /// Whether mail for the local part `local_part` of one of our domains has a mailbox:
    /// a user of that name, or `postmaster` (RFC 5321 4.5.1 requires it).
    pub fn is_mailbox(&self, local_part: &str) -> bool {
        local_part.eq_ignore_ascii_case("postmaster") || self.hash(local_part).is_some()
    }

    pub fn len(&self) -> usize {
        self.by_name.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_name.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn argon2id_round_trip() {
        let h = hash_password("s3cret").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password(&h, "s3cret"));
        assert!(!verify_password(&h, "s3cret "));
        assert_ne!(h, hash_password("s3cret").unwrap(), "salts differ");
        assert_eq!(scheme(&h), "argon2id");
    }

    #[test]
    fn sha512_crypt_is_accepted() {
        // `mkpasswd -m sha-512 -S saltsalt password`
        let h = "$6$saltsalt$qFmFH.bQmmtXzyBY0s9v7Oicd2z4XSIecDzlB5KiA2/jctKu9YterLp8wwnSq.qc.eoxqOmSuNp2xS0ktL3nh/";
        assert!(verify_password(h, "password"));
        assert!(!verify_password(h, "Password"));
        assert_eq!(scheme(h), "sha512-crypt");
    }

    #[test]
    fn junk_never_matches() {
        assert!(!verify_password("", ""));
        assert!(!verify_password("*", ""));
        assert!(!verify_password("$1$abc$def", "x"));
        assert!(hash_password("").is_err());
    }

    #[test]
    fn names() {
        assert!(check_name("alice").is_ok());
        assert!(check_name("a.b-c_d@example.com").is_ok());
        for bad in ["", "a/b", "-x", "a b", "é"] {
            assert!(check_name(bad).is_err(), "{bad}");
        }
    }
}
