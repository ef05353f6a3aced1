//! The SMTP grammar relayd accepts: one command line in, one typed command out. Pure: no
//! socket, no state, so every hostile line can be tested here.

/// RFC 5321 4.5.3.1.4 allows 512 octets for a command line; ESMTP parameters (SIZE, BODY,
/// AUTH=) may lengthen it, so relayd allows this many, CRLF included.
pub const MAX_COMMAND_LINE: usize = 2048;

/// ESMTP parameters of MAIL or RCPT: `KEY` or `KEY=VALUE`, keys uppercased.
pub type Params = Vec<(String, Option<String>)>;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Ehlo(String),
    Helo(String),
    /// The reverse path with its brackets, and the ESMTP parameters.
    Mail {
        path: String,
        params: Vec<(String, Option<String>)>,
    },
    Rcpt {
        path: String,
        params: Vec<(String, Option<String>)>,
    },
    Data,
    Rset,
    Noop,
    Quit,
    Help,
    Vrfy,
    StartTls,
    Auth {
        mechanism: String,
        initial: Option<String>,
    },
    /// A command relayd knows but refuses to serve (EXPN, TURN, ...).
    NotImplemented(String),
}

/// Why a line is not a command; the text is for the 5xx reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    Unknown,
    Syntax(&'static str),
}

/// Parses one command line (without its CRLF).
pub fn parse(line: &str) -> Result<Command, Refusal> {
    let (verb, rest) = match line.find(' ') {
        Some(i) => (&line[..i], &line[i + 1..]),
        None => (line, ""),
    };
    let arg = rest.trim();
    match verb.to_ascii_uppercase().as_str() {
        "EHLO" | "HELO" => {
            if arg.is_empty() || arg.contains(char::is_whitespace) {
                return Err(Refusal::Syntax("Syntax: EHLO hostname"));
            }
            Ok(if verb.eq_ignore_ascii_case("EHLO") {
                Command::Ehlo(arg.to_string())
            } else {
                Command::Helo(arg.to_string())
            })
        }
        "MAIL" => {
            let rest = strip_keyword(rest, "FROM:")
                .ok_or(Refusal::Syntax("Syntax: MAIL FROM:<address>"))?;
            let (path, params) =
                path_and_params(rest).ok_or(Refusal::Syntax("Syntax: MAIL FROM:<address>"))?;
            Ok(Command::Mail { path, params })
        }
        "RCPT" => {
            let rest =
                strip_keyword(rest, "TO:").ok_or(Refusal::Syntax("Syntax: RCPT TO:<address>"))?;
            let (path, params) =
                path_and_params(rest).ok_or(Refusal::Syntax("Syntax: RCPT TO:<address>"))?;
            if path == "<>" {
                return Err(Refusal::Syntax("Syntax: RCPT TO:<address>"));
            }
            Ok(Command::Rcpt { path, params })
        }
        "DATA" if arg.is_empty() => Ok(Command::Data),
        "RSET" if arg.is_empty() => Ok(Command::Rset),
        "NOOP" => Ok(Command::Noop),
        "QUIT" if arg.is_empty() => Ok(Command::Quit),
        "HELP" => Ok(Command::Help),
        "VRFY" => Ok(Command::Vrfy),
        "STARTTLS" if arg.is_empty() => Ok(Command::StartTls),
        "AUTH" => {
            let mut words = arg.split_whitespace();
            let mechanism = words
                .next()
                .ok_or(Refusal::Syntax("Syntax: AUTH mechanism [initial-response]"))?
                .to_ascii_uppercase();
            let initial = words.next().map(str::to_string);
            if words.next().is_some() {
                return Err(Refusal::Syntax("Syntax: AUTH mechanism [initial-response]"));
            }
            Ok(Command::Auth { mechanism, initial })
        }
        "DATA" | "RSET" | "QUIT" | "STARTTLS" => {
            Err(Refusal::Syntax("Syntax: no parameters allowed"))
        }
        "EXPN" | "TURN" | "ETRN" | "BDAT" | "SEND" | "SOML" | "SAML" => {
            Ok(Command::NotImplemented(verb.to_ascii_uppercase()))
        }
        _ => Err(Refusal::Unknown),
    }
}

/// `FROM:` / `TO:` case-insensitively, allowing the common (non-RFC) space after the colon.
fn strip_keyword<'a>(rest: &'a str, keyword: &str) -> Option<&'a str> {
    let head = rest.get(..keyword.len())?;
    head.eq_ignore_ascii_case(keyword)
        .then(|| rest[keyword.len()..].trim_start())
}

/// `<path> KEY=VALUE KEY ...`: the path keeps its brackets; a quoted local part may hold
/// spaces and `>`.
fn path_and_params(text: &str) -> Option<(String, Params)> {
    if !text.starts_with('<') {
        return None;
    }
    let mut in_quotes = false;
    let mut escaped = false;
    let mut end = None;
    for (i, c) in text.char_indices() {
        if escaped {
            escaped = false;
        } else if c == '\\' {
            escaped = true;
        } else if c == '"' {
            in_quotes = !in_quotes;
        } else if c == '>' && !in_quotes {
            end = Some(i);
            break;
        }
    }
    let end = end?;
    let path = text[..=end].to_string();
    let mut params = Vec::new();
    let rest = &text[end + 1..];
    if !rest.is_empty() && !rest.starts_with(' ') {
        return None;
    }
    for word in rest.split_whitespace() {
        let (k, v) = match word.split_once('=') {
            Some((k, v)) => (k, Some(v.to_string())),
            None => (word, None),
        };
        if k.is_empty() || !k.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
            return None;
        }
        params.push((k.to_ascii_uppercase(), v));
    }
    Some((path, params))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands() {
        assert_eq!(
            parse("EHLO client.example"),
            Ok(Command::Ehlo("client.example".into()))
        );
        assert_eq!(parse("helo x"), Ok(Command::Helo("x".into())));
        assert!(parse("EHLO").is_err());
        assert_eq!(
            parse("MAIL FROM:<a@b> SIZE=100 BODY=8BITMIME"),
            Ok(Command::Mail {
                path: "<a@b>".into(),
                params: vec![
                    ("SIZE".into(), Some("100".into())),
                    ("BODY".into(), Some("8BITMIME".into()))
                ]
            })
        );
        assert_eq!(
            parse("mail from: <>"),
            Ok(Command::Mail {
                path: "<>".into(),
                params: vec![]
            })
        );
        assert_eq!(
            parse("RCPT TO:<\"a b>c\"@example.com>"),
            Ok(Command::Rcpt {
                path: "<\"a b>c\"@example.com>".into(),
                params: vec![]
            })
        );
        assert!(parse("RCPT TO:<>").is_err());
        assert!(parse("RCPT TO:a@b").is_err());
        assert!(parse("MAIL FROM:<a@b>junk").is_err());
        assert_eq!(parse("DATA"), Ok(Command::Data));
        assert!(parse("DATA now").is_err());
        assert_eq!(
            parse("AUTH PLAIN AGFsaWNlAHB3"),
            Ok(Command::Auth {
                mechanism: "PLAIN".into(),
                initial: Some("AGFsaWNlAHB3".into())
            })
        );
        assert_eq!(
            parse("EXPN staff"),
            Ok(Command::NotImplemented("EXPN".into()))
        );
        assert_eq!(parse("WHAT"), Err(Refusal::Unknown));
        assert_eq!(parse(""), Err(Refusal::Unknown));
    }
}
