//! SMTP AUTH (RFC 4954) mechanisms PLAIN (RFC 4616) and LOGIN: decoding what the client
//! sends, and checking a password against the user's stored hash. Passwords live only
//! in local variables here and are never logged.

use base64::Engine;

/// The mechanisms relayd offers.
pub const MECHANISMS: &str = "PLAIN LOGIN";

/// `334` prompts for LOGIN: "Username:" and "Password:" in base64.
pub const LOGIN_USER_PROMPT: &str = "VXNlcm5hbWU6";
pub const LOGIN_PASS_PROMPT: &str = "UGFzc3dvcmQ6";

/// A hash no password matches, checked for unknown users so that a wrong user name
/// costs the same time as a wrong password.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$S0cWcW6b4CdRJhD8rRoK5ROpC3r4q5jy0xTgD5Ro0Fw";

#[derive(Debug, PartialEq, Eq)]
pub enum Decoded {
    Credentials {
        user: String,
        password: String,
    },
    /// The client sent `*`.
    Cancelled,
    Malformed,
}

pub fn decode_b64(text: &str) -> Option<Vec<u8>> {
    let t = text.trim();
    if t == "=" {
        return Some(Vec::new());
    }
    base64::engine::general_purpose::STANDARD.decode(t).ok()
}

/// `[authzid] NUL authcid NUL passwd`. An authzid other than the user is refused: relayd
/// does not let one user act for another.
pub fn decode_plain(response: &str) -> Decoded {
    if response.trim() == "*" {
        return Decoded::Cancelled;
    }
    let Some(bytes) = decode_b64(response) else {
        return Decoded::Malformed;
    };
    let parts: Vec<&[u8]> = bytes.split(|&b| b == 0).collect();
    let [authz, user, pass] = parts.as_slice() else {
        return Decoded::Malformed;
    };
    let (Ok(authz), Ok(user), Ok(pass)) = (
        std::str::from_utf8(authz),
        std::str::from_utf8(user),
        std::str::from_utf8(pass),
    ) else {
        return Decoded::Malformed;
    };
    if user.is_empty() || (!authz.is_empty() && authz != user) {
        return Decoded::Malformed;
    }
    Decoded::Credentials {
        user: user.to_string(),
        password: pass.to_string(),
    }
}

/// One LOGIN step: a base64 string.
pub fn decode_login_field(response: &str) -> Option<String> {
    if response.trim() == "*" {
        return None;
    }
    decode_b64(response).and_then(|b| String::from_utf8(b).ok())
}

/// Checks a password against the stored hash (or the dummy one); slow on purpose
/// (argon2), so callers run it off the async threads.
pub fn verify(hash: Option<&str>, password: &str) -> bool {
    match hash {
        Some(h) => shared::users::verify_password(h, password),
        None => {
            shared::users::verify_password(DUMMY_HASH, password);
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b64(s: &[u8]) -> String {
        base64::engine::general_purpose::STANDARD.encode(s)
    }

    #[test]
    fn plain() {
        assert_eq!(
            decode_plain(&b64(b"\0alice\0s3cret")),
            Decoded::Credentials {
                user: "alice".into(),
                password: "s3cret".into()
            }
        );
        assert_eq!(
            decode_plain(&b64(b"alice\0alice\0pw")),
            Decoded::Credentials {
                user: "alice".into(),
                password: "pw".into()
            }
        );
        assert_eq!(decode_plain(&b64(b"bob\0alice\0pw")), Decoded::Malformed);
        assert_eq!(decode_plain(&b64(b"alice\0pw")), Decoded::Malformed);
        assert_eq!(decode_plain("!!!"), Decoded::Malformed);
        assert_eq!(decode_plain("*"), Decoded::Cancelled);
        assert_eq!(decode_login_field(&b64(b"alice")).as_deref(), Some("alice"));
        assert_eq!(decode_login_field("*"), None);
    }

    #[test]
    fn unknown_users_never_verify() {
        assert!(!verify(None, "anything"));
        let h = shared::users::hash_password("pw").unwrap();
        assert!(verify(Some(&h), "pw"));
        assert!(!verify(Some(&h), "pW"));
    }
}
