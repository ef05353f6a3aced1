//! One SMTP session: the RFC 5321 state machine with the ESMTP extensions relayd offers.
//! The relay decision for each RCPT comes from `shared::policy`, from the client's
//! address and authentication only; the settings are the ones in force at that RCPT.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use shared::policy::{self, Client, RecipientClass, Trust};
use shared::settings::Role;
use shared::spool::{Envelope, Spool};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

use crate::auth::{self, Decoded};
use crate::conn::Conn;
use crate::data::{self, Body};
use crate::smtp::{self, Command, Refusal};
use crate::state::{Active, Shared};

/// Errors (unknown or malformed commands, refused recipients) tolerated before the
/// session is closed, and after how many each further error answer is delayed, as
/// Postfix's smtpd_hard_error_limit, smtpd_soft_error_limit and smtpd_error_sleep_time.
const MAX_ERRORS: u32 = 20;
const SOFT_ERRORS: u32 = 10;
const ERROR_SLEEP: Duration = Duration::from_secs(1);
/// NOOP, RSET, HELP, VRFY and the like tolerated in one session (smtpd_junk_command_limit).
const MAX_JUNK: u32 = 100;
/// AUTH failures before the session is closed; each failure waits longer.
const MAX_AUTH_FAILURES: u32 = 3;
const AUTH_DELAY_STEP: Duration = Duration::from_millis(400);

enum Line {
    Text(String),
    TooLong,
}

/// Why a session ends early.
enum End {
    Gone,
    Timeout,
    /// relayd is stopping (SIGTERM) and the client was between commands.
    Shutdown,
}

struct Transaction {
    from: String,
    rcpts: Vec<String>,
}

struct Session {
    shared: Arc<Shared>,
    io: Option<BufReader<Conn>>,
    out: Vec<u8>,
    client: IpAddr,
    role: Role,
    tls: bool,
    helo: Option<String>,
    esmtp: bool,
    user: Option<String>,
    auth_failures: u32,
    errors: u32,
    junk: u32,
    mail: Option<Transaction>,
    /// The trust found for the client, and the settings generation it was found under.
    trust: Option<(u64, Option<String>)>,
}

pub async fn run(shared: Arc<Shared>, stream: TcpStream, peer: SocketAddr, role: Role) {
    shared.count(&shared.stats.sessions);
    let active = shared.current();
    let conn = if role == Role::Smtps {
        let Some(tls) = active.tls.clone() else {
            tracing::warn!(client = %peer.ip(), "smtps connection closed: no TLS certificate");
            return;
        };
        let accept = tokio_rustls::TlsAcceptor::from(tls).accept(stream);
        match tokio::time::timeout(active.daemon.command_timeout, accept).await {
            Ok(Ok(s)) => Conn::Tls(Box::new(s)),
            _ => {
                tracing::info!(client = %peer.ip(), "TLS handshake failed");
                return;
            }
        }
    } else {
        Conn::Plain(stream)
    };
    let mut s = Session {
        tls: role == Role::Smtps,
        shared,
        io: Some(BufReader::new(conn)),
        out: Vec::new(),
        client: peer.ip().to_canonical(),
        role,
        helo: None,
        esmtp: false,
        user: None,
        auth_failures: 0,
        errors: 0,
        junk: 0,
        mail: None,
        trust: None,
    };
    tracing::debug!(client = %s.client, role = role.as_str(), "connect");
    s.reply(&format!("220 {} ESMTP relayd", active.daemon.hostname));
    drop(active);
    let ended = s.serve().await;
    let host = s.shared.current().daemon.hostname.clone();
    match ended {
        Err(End::Timeout) => s.reply(&format!("421 4.4.2 {host} Error: timeout exceeded")),
        Err(End::Shutdown) => s.reply(&format!("421 4.3.2 {host} Service shutting down")),
        _ => {}
    }
    let _ = s.flush(true).await;
    if let Some(io) = s.io.as_mut() {
        let _ = tokio::time::timeout(Duration::from_secs(5), io.get_mut().shutdown()).await;
    }
    tracing::debug!(client = %s.client, "disconnect");
}

impl Session {
    fn reply(&mut self, line: &str) {
        self.out.extend_from_slice(line.as_bytes());
        self.out.extend_from_slice(b"\r\n");
    }

    /// Sends queued replies, unless more pipelined commands are already waiting (then
    /// their replies go out together, RFC 2920).
    async fn flush(&mut self, force: bool) -> Result<(), End> {
        let Some(io) = self.io.as_mut() else {
            return Err(End::Gone);
        };
        // Replies to pipelined commands wait for the batch, but never pile up: a client
        // that sends without reading is made to read (or time out) at 64 KiB.
        let batching = !force && !io.buffer().is_empty() && self.out.len() < 64 * 1024;
        if self.out.is_empty() || batching {
            return Ok(());
        }
        let out = std::mem::take(&mut self.out);
        let timeout = self.shared.current().daemon.command_timeout;
        let w = io.get_mut();
        let write = async {
            w.write_all(&out).await?;
            w.flush().await
        };
        match tokio::time::timeout(timeout, write).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(_)) => Err(End::Gone),
            // A client that does not read its replies holds a slot; it loses it.
            Err(_) => Err(End::Gone),
        }
    }

    async fn read_line(&mut self, limit: usize) -> Result<Line, End> {
        self.flush(false).await?;
        let timeout = self.shared.current().daemon.command_timeout;
        let mut stopping = self.shared.stopping.subscribe();
        let io = self.io.as_mut().ok_or(End::Gone)?;
        let mut line = Vec::new();
        let mut too_long = false;
        loop {
            let read = tokio::select! {
                r = tokio::time::timeout(timeout, io.fill_buf()) => r,
                _ = stopping.wait_for(|s| *s), if line.is_empty() => return Err(End::Shutdown),
            };
            let buf = match read {
                Err(_) => return Err(End::Timeout),
                Ok(Err(_)) => return Err(End::Gone),
                Ok(Ok(b)) => b,
            };
            if buf.is_empty() {
                return Err(End::Gone);
            }
            let (take, done) = match buf.iter().position(|&b| b == b'\n') {
                Some(i) => (i + 1, true),
                None => (buf.len(), false),
            };
            if !too_long {
                line.extend_from_slice(&buf[..take]);
                if line.len() > limit {
                    too_long = true;
                    line.clear();
                }
            }
            io.consume(take);
            if done {
                break;
            }
        }
        if too_long {
            return Ok(Line::TooLong);
        }
        while matches!(line.last(), Some(b'\n' | b'\r')) {
            line.pop();
        }
        Ok(Line::Text(String::from_utf8_lossy(&line).into_owned()))
    }

    async fn serve(&mut self) -> Result<(), End> {
        loop {
            let line = match self.read_line(smtp::MAX_COMMAND_LINE).await? {
                Line::Text(l) => l,
                Line::TooLong => {
                    self.reply("500 5.5.2 Error: line too long");
                    self.error().await?;
                    continue;
                }
            };
            match smtp::parse(&line) {
                Ok(Command::Quit) => {
                    self.reply("221 2.0.0 Bye");
                    return Ok(());
                }
                Ok(cmd) => self.command(cmd).await?,
                Err(Refusal::Unknown) => {
                    self.reply("500 5.5.2 Error: command not recognized");
                    self.error().await?;
                }
                Err(Refusal::Syntax(why)) => {
                    self.reply(&format!("501 5.5.4 {why}"));
                    self.error().await?;
                }
            }
        }
    }

    /// Counts an error answer already queued; past the soft limit the answer waits, past
    /// the hard limit the session ends. Guessing users or flooding the log gets slow.
    async fn error(&mut self) -> Result<(), End> {
        self.errors += 1;
        if self.errors >= MAX_ERRORS {
            self.reply("421 4.7.0 Error: too many errors, closing connection");
            return Err(End::Gone);
        }
        if self.errors > SOFT_ERRORS {
            self.flush(true).await?;
            tokio::time::sleep(ERROR_SLEEP).await;
        }
        Ok(())
    }

    fn junk(&mut self) -> Result<(), End> {
        self.junk += 1;
        if self.junk > MAX_JUNK {
            self.reply("421 4.7.0 Error: too many commands without mail, closing connection");
            return Err(End::Gone);
        }
        Ok(())
    }

    async fn command(&mut self, cmd: Command) -> Result<(), End> {
        let active = self.shared.current();
        match cmd {
            Command::Ehlo(name) => {
                self.mail = None;
                self.esmtp = true;
                let mut lines = vec![
                    format!("{} Hello {name} [{}]", active.daemon.hostname, self.client),
                    "PIPELINING".to_string(),
                    format!("SIZE {}", active.daemon.max_message_size),
                    "8BITMIME".to_string(),
                    "ENHANCEDSTATUSCODES".to_string(),
                ];
                if !self.tls && active.tls.is_some() {
                    lines.push("STARTTLS".into());
                }
                if self.auth_offered(&active) {
                    lines.push(format!("AUTH {}", auth::MECHANISMS));
                }
                lines.push("HELP".into());
                self.helo = Some(name);
                self.junk()?;
                let last = lines.len() - 1;
                for (i, l) in lines.iter().enumerate() {
                    let sep = if i == last { ' ' } else { '-' };
                    self.reply(&format!("250{sep}{l}"));
                }
            }
            Command::Helo(name) => {
                self.mail = None;
                self.esmtp = false;
                self.reply(&format!("250 {}", active.daemon.hostname));
                self.helo = Some(name);
                self.junk()?;
            }
            Command::Mail { path, params } => self.mail_from(&active, path, params),
            Command::Rcpt { path, params } => {
                if !self.rcpt_to(&active, path, params).await {
                    self.error().await?;
                }
            }
            Command::Data => return self.data(&active).await,
            Command::Rset => {
                self.mail = None;
                self.reply("250 2.0.0 Ok");
                self.junk()?;
            }
            Command::Noop => {
                self.reply("250 2.0.0 Ok");
                self.junk()?;
            }
            Command::Help => {
                self.reply("214 2.0.0 Commands: EHLO HELO MAIL RCPT DATA RSET NOOP QUIT HELP VRFY STARTTLS AUTH");
                self.junk()?;
            }
            Command::Vrfy => {
                self.reply(
                    "252 2.5.2 Cannot VRFY user, but will accept message and attempt delivery",
                );
                self.junk()?;
            }
            Command::StartTls => return self.starttls(&active).await,
            Command::Auth { mechanism, initial } => {
                return self.auth(&active, &mechanism, initial).await
            }
            Command::NotImplemented(verb) => {
                self.reply(&format!("502 5.5.1 Error: {verb} not implemented"));
                self.error().await?;
            }
            Command::Quit => self.reply("221 2.0.0 Bye"),
        }
        Ok(())
    }

    /// AUTH is offered over TLS, or in the clear only where the administrator allows it.
    fn auth_offered(&self, active: &Active) -> bool {
        self.tls || active.daemon.allow_plaintext_auth
    }

    fn mail_from(&mut self, active: &Active, path: String, params: smtp::Params) {
        if self.helo.is_none() {
            return self.reply("503 5.5.1 Error: send HELO/EHLO first");
        }
        if self.mail.is_some() {
            return self.reply("503 5.5.1 Error: nested MAIL command");
        }
        if self.role == Role::Submission && self.user.is_none() {
            self.shared.stats.refuse("auth_required");
            return self.reply("530 5.7.0 Authentication required");
        }
        if path.chars().any(char::is_control) || path.len() > policy::MAX_PATH_OCTETS {
            return self.reply("501 5.1.7 Bad sender address syntax");
        }
        for (key, value) in &params {
            match (key.as_str(), value.as_deref()) {
                ("SIZE", Some(v)) => match v.parse::<u64>() {
                    Ok(n) if n > active.daemon.max_message_size => {
                        return self.reply("552 5.3.4 Message size exceeds fixed limit");
                    }
                    Ok(_) => {}
                    Err(_) => return self.reply("501 5.5.4 Bad SIZE parameter"),
                },
                ("BODY", Some(v))
                    if v.eq_ignore_ascii_case("8BITMIME") || v.eq_ignore_ascii_case("7BIT") => {}
                ("AUTH", Some(_)) => {}
                _ => return self.reply(&format!("555 5.5.4 Unsupported parameter {key}")),
            }
        }
        self.mail = Some(Transaction {
            from: path,
            rcpts: Vec::new(),
        });
        self.reply("250 2.1.0 Ok");
    }

    /// Whom the list trusts this client as, under the settings in force now.
    async fn trust(&mut self, active: &Active) -> Option<String> {
        if let Some((generation, trust)) = &self.trust {
            if *generation == active.generation {
                return trust.clone();
            }
        }
        let mut found = active
            .hosts
            .lookup(self.client)
            .or_else(|| active.resolved.lookup(self.client))
            .map(|m| m.text.to_string());
        if found.is_none() && !active.hosts.names().is_empty() {
            let dns = self.shared.dns.load_full();
            if let Some((_, dns)) = dns.as_ref() {
                found = dns
                    .reverse_match(self.client, active.hosts.names())
                    .await
                    .map(|m| m.entry);
            }
        }
        self.trust = Some((active.generation, found.clone()));
        found
    }

    /// Answers one RCPT; false when the recipient was not taken.
    async fn rcpt_to(&mut self, active: &Active, path: String, params: smtp::Params) -> bool {
        let Some(count) = self.mail.as_ref().map(|m| m.rcpts.len()) else {
            self.reply("503 5.5.1 Error: need MAIL command");
            return false;
        };
        if let Some((key, _)) = params.first() {
            self.reply(&format!("555 5.5.4 Unsupported parameter {key}"));
            return false;
        }
        if count >= active.daemon.max_recipients {
            self.shared.stats.refuse("too_many_recipients");
            self.reply("452 4.5.3 Error: too many recipients");
            return false;
        }
        let entry = self.trust(active).await;
        let trust = match &entry {
            Some(e) => Trust::Trusted { entry: e },
            None => Trust::NotTrusted,
        };
        let client = Client {
            addr: self.client,
            trust,
            user: self.user.as_deref(),
        };
        let address = path
            .strip_prefix('<')
            .and_then(|p| p.strip_suffix('>'))
            .unwrap_or(&path);
        let decision = policy::decide(&active.policy, &client, address);
        let mut reply = decision.reply();
        let mut rule = decision.rule.as_str();
        let mut accept = decision.accept;
        let mut reason = decision.reason.clone();
        if let (true, RecipientClass::Local { local_part, domain }) = (accept, &decision.recipient)
        {
            let known = domain.is_none()
                || local_part.eq_ignore_ascii_case("postmaster")
                || active.users.contains_key(&local_part.to_ascii_lowercase());
            if !known {
                accept = false;
                rule = "unknown_user";
                reason = format!("no user {local_part} here (/users/{local_part} has no passwd)");
                reply = format!("550 5.1.1 <{address}>: Recipient address rejected: User unknown in local recipient table");
            }
        }
        tracing::info!(
            client = %self.client,
            user = self.user.as_deref().unwrap_or("-"),
            rcpt = ?address,
            entry = entry.as_deref().unwrap_or("-"),
            rule,
            serial = active.serial,
            reply = %reply,
            reason = %reason,
            "rcpt"
        );
        if accept {
            let stats = &self.shared.stats;
            let counter = if decision.recipient.is_local() {
                &stats.accepted_local
            } else {
                &stats.relayed
            };
            self.shared.count(counter);
            if let Some(m) = self.mail.as_mut() {
                m.rcpts.push(path);
            }
        } else {
            self.shared.stats.refuse(rule);
        }
        self.reply(&reply);
        accept
    }

    async fn data(&mut self, active: &Active) -> Result<(), End> {
        match &self.mail {
            None => {
                self.reply("503 5.5.1 Error: need MAIL command");
                return Ok(());
            }
            Some(m) if m.rcpts.is_empty() => {
                self.reply("554 5.5.1 Error: no valid recipients");
                return Ok(());
            }
            Some(_) => {}
        }
        // The spool file is opened before the 354: a full disk is a 451 now, and the
        // message then goes to disk as it arrives, never whole into memory.
        let Some(mail) = self.mail.take() else {
            return Ok(());
        };
        let id = shared::spool::new_id();
        let header = self.received_header(active, &id, &mail);
        let env = Envelope {
            id: id.clone(),
            received: shared::spool::now_secs(),
            client: self.client,
            helo: self.helo.clone().unwrap_or_default(),
            user: self.user.clone(),
            mail_from: mail.from.clone(),
            rcpt_to: mail.rcpts.clone(),
            size: 0,
        };
        let spool_dir = active.daemon.spool_dir.clone();
        let spool = Spool::new(spool_dir.clone());
        let begun = tokio::task::spawn_blocking(move || -> std::io::Result<_> {
            let mut pending = spool.begin(&env)?;
            std::io::Write::write_all(&mut pending.file, header.as_bytes())?;
            let sink = pending.file.try_clone()?;
            Ok((pending, sink, header.len() as u64))
        })
        .await;
        let (pending, sink, header_len) = match begun {
            Ok(Ok(b)) => b,
            other => {
                let error = match other {
                    Ok(Err(e)) => e.to_string(),
                    Err(e) => e.to_string(),
                    Ok(Ok(_)) => String::new(),
                };
                tracing::error!(client = %self.client, error = %error, "cannot open a spool file: 451, nothing lost");
                self.reply("451 4.3.0 Error: queue file write error, try again later");
                return Ok(());
            }
        };
        self.reply("354 End data with <CR><LF>.<CR><LF>");
        self.flush(true).await?;
        let mut sink =
            tokio::io::BufWriter::with_capacity(64 * 1024, tokio::fs::File::from_std(sink));
        let io = self.io.as_mut().ok_or(End::Gone)?;
        let body = data::read_body(
            io,
            &mut sink,
            active.daemon.max_message_size,
            active.daemon.command_timeout,
            active.daemon.data_timeout,
        )
        .await;
        drop(sink);
        // The size of a whole message, or how the session goes on after a refusal.
        let outcome: Result<u64, Result<(), End>> = match body {
            Ok(Body::Complete(size)) => Ok(size),
            Err(data::BodyError::Timeout) => Err(Err(End::Timeout)),
            Err(data::BodyError::Io(e)) => {
                tracing::debug!(client = %self.client, error = %e, "connection lost in DATA");
                Err(Err(End::Gone))
            }
            Err(data::BodyError::Eof) => Err(Err(End::Gone)),
            Err(data::BodyError::Sink(e)) => {
                tracing::error!(client = %self.client, error = %e, "cannot write the spool file: 451, nothing lost");
                self.reply("451 4.3.0 Error: queue file write error, try again later");
                Err(Ok(()))
            }
            Ok(Body::TooBig) => {
                self.shared.stats.refuse("message_too_big");
                self.reply("552 5.3.4 Error: message size exceeds fixed limit");
                Err(Ok(()))
            }
            Ok(Body::BareNewline) => {
                self.shared.stats.refuse("bare_newline");
                tracing::warn!(client = %self.client, "message refused: bare CR or LF in DATA (SMTP smuggling?)");
                self.reply("550 5.6.11 Error: bare CR or LF in message text (only CRLF line ends are allowed)");
                Err(Ok(()))
            }
        };
        let size = match outcome {
            Ok(size) => size,
            Err(next) => {
                pending.abandon();
                return next;
            }
        };
        let stored = header_len + size;
        let written = match tokio::task::spawn_blocking(move || pending.finish(stored)).await {
            Ok(Ok(())) => self.shared.committer.publish(spool_dir, id.clone()).await,
            Ok(Err(e)) => Err(e.to_string()),
            Err(e) => Err(e.to_string()),
        };
        match written {
            Ok(()) => {
                self.shared.count(&self.shared.stats.messages);
                self.junk = 0;
                tracing::info!(client = %self.client, id = %id, from = ?mail.from, rcpts = mail.rcpts.len(), size, "queued");
                self.reply(&format!("250 2.0.0 Ok: queued as {id}"));
            }
            Err(error) => {
                tracing::error!(client = %self.client, error = %error, "cannot spool the message: refused with 451, nothing lost");
                self.reply("451 4.3.0 Error: queue file write error, try again later");
            }
        }
        Ok(())
    }

    fn received_header(&self, active: &Active, id: &str, mail: &Transaction) -> String {
        let with = match (self.esmtp, self.tls, self.user.is_some()) {
            (false, _, _) => "SMTP",
            (true, false, false) => "ESMTP",
            (true, true, false) => "ESMTPS",
            (true, false, true) => "ESMTPA",
            (true, true, true) => "ESMTPSA",
        };
        let helo: String = self
            .helo
            .as_deref()
            .unwrap_or("unknown")
            .chars()
            .filter(|c| c.is_ascii_graphic())
            .take(255)
            .collect();
        let for_clause = match mail.rcpts.as_slice() {
            [one] => format!("\r\n\tfor {one}"),
            _ => String::new(),
        };
        format!(
            "Received: from {helo} ([{}])\r\n\tby {} (relayd) with {with} id {id}{for_clause};\r\n\t{}\r\n",
            self.client,
            active.daemon.hostname,
            rfc5322_date(shared::spool::now_secs())
        )
    }

    async fn starttls(&mut self, active: &Active) -> Result<(), End> {
        if self.tls {
            self.reply("503 5.5.1 Error: TLS already active");
            return Ok(());
        }
        let Some(config) = active.tls.clone() else {
            self.reply("454 4.7.0 TLS not available due to local problem");
            return Ok(());
        };
        self.reply("220 2.0.0 Ready to start TLS");
        self.flush(true).await?;
        let io = self.io.take().ok_or(End::Gone)?;
        if !io.buffer().is_empty() {
            // Plaintext sent after STARTTLS must not be read as if it came over TLS
            // (CVE-2011-0411): it is dropped.
            tracing::warn!(client = %self.client, "discarded plaintext pipelined after STARTTLS");
        }
        let Conn::Plain(tcp) = io.into_inner() else {
            return Err(End::Gone);
        };
        let accept = tokio_rustls::TlsAcceptor::from(config).accept(tcp);
        match tokio::time::timeout(active.daemon.command_timeout, accept).await {
            Ok(Ok(tls)) => {
                self.io = Some(BufReader::new(Conn::Tls(Box::new(tls))));
                self.tls = true;
                // RFC 3207 4.2: forget everything learned in the clear; the client starts
                // over with EHLO.
                self.helo = None;
                self.esmtp = false;
                self.mail = None;
                self.user = None;
                self.trust = None;
                Ok(())
            }
            _ => {
                tracing::info!(client = %self.client, "TLS handshake failed");
                Err(End::Gone)
            }
        }
    }

    async fn read_response(&mut self, prompt: &str) -> Result<String, End> {
        self.reply(&format!("334 {prompt}"));
        match self.read_line(smtp::MAX_COMMAND_LINE).await? {
            Line::Text(t) => Ok(t),
            Line::TooLong => Ok(String::new()),
        }
    }

    async fn auth(
        &mut self,
        active: &Active,
        mechanism: &str,
        initial: Option<String>,
    ) -> Result<(), End> {
        if self.user.is_some() {
            self.reply("503 5.5.1 Error: already authenticated");
            return Ok(());
        }
        if self.mail.is_some() {
            self.reply("503 5.5.1 Error: AUTH not allowed during a mail transaction");
            return Ok(());
        }
        if self.helo.is_none() {
            self.reply("503 5.5.1 Error: send EHLO first");
            return Ok(());
        }
        if !self.auth_offered(active) {
            self.reply("538 5.7.11 Encryption required for requested authentication mechanism");
            return Ok(());
        }
        if self.shared.recent_auth_failures(self.client) >= crate::state::AUTH_FAILURE_LIMIT {
            self.reply("454 4.7.0 Error: too many authentication failures from this address, try again later");
            return Err(End::Gone);
        }
        let credentials = match mechanism {
            "PLAIN" => {
                let response = match initial {
                    Some(r) => r,
                    None => self.read_response("").await?,
                };
                auth::decode_plain(&response)
            }
            "LOGIN" => {
                let user = match initial {
                    Some(r) => auth::decode_login_field(&r),
                    None => auth::decode_login_field(
                        &self.read_response(auth::LOGIN_USER_PROMPT).await?,
                    ),
                };
                match user {
                    None => Decoded::Cancelled,
                    Some(user) => match auth::decode_login_field(
                        &self.read_response(auth::LOGIN_PASS_PROMPT).await?,
                    ) {
                        Some(password) => Decoded::Credentials { user, password },
                        None => Decoded::Cancelled,
                    },
                }
            }
            _ => {
                self.reply("504 5.5.4 Error: unsupported authentication mechanism");
                return Ok(());
            }
        };
        let (user, password) = match credentials {
            Decoded::Credentials { user, password } => (user, password),
            Decoded::Cancelled => {
                self.reply("501 5.7.0 Error: authentication cancelled");
                return Ok(());
            }
            Decoded::Malformed => {
                self.reply("501 5.5.2 Error: cannot decode the response");
                return Ok(());
            }
        };
        let hash = active.users.get(&user.to_ascii_lowercase()).cloned();
        let ok = {
            let Ok(_slot) = self.shared.auth_slots.acquire().await else {
                return Err(End::Gone);
            };
            tokio::task::spawn_blocking(move || auth::verify(hash.as_deref(), &password))
                .await
                .unwrap_or(false)
        };
        if ok {
            // `?` escapes: a user name is client input and must not forge log lines.
            tracing::info!(client = %self.client, user = ?user, mechanism, "authenticated");
            self.user = Some(user.to_ascii_lowercase());
            self.trust = None;
            self.reply("235 2.7.0 Authentication successful");
            return Ok(());
        }
        self.auth_failures += 1;
        let recent = self.shared.record_auth_failure(self.client);
        self.shared.stats.refuse("auth_failed");
        tracing::warn!(client = %self.client, user = ?user, mechanism, failures = self.auth_failures, "authentication failed");
        // A growing pause makes guessing slow; then the session ends.
        self.flush(true).await?;
        // The pause grows with this client's failures across sessions, so reconnecting
        // does not start the count again.
        tokio::time::sleep(AUTH_DELAY_STEP * recent.min(25)).await;
        if self.auth_failures >= MAX_AUTH_FAILURES || recent >= crate::state::AUTH_FAILURE_LIMIT {
            self.reply("421 4.7.0 Error: too many authentication failures, closing connection");
            return Err(End::Gone);
        }
        self.reply("535 5.7.8 Error: authentication failed");
        Ok(())
    }
}

/// `Sun, 29 Nov 2026 04:30:00 +0000` for a Unix time.
fn rfc5322_date(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Howard Hinnant's civil-from-days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    const WEEKDAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    format!(
        "{}, {:02} {} {} {:02}:{:02}:{:02} +0000",
        WEEKDAYS[days.rem_euclid(7) as usize],
        day,
        MONTHS[(month - 1) as usize],
        year,
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn dates() {
        assert_eq!(super::rfc5322_date(0), "Thu, 01 Jan 1970 00:00:00 +0000");
        assert_eq!(
            super::rfc5322_date(1_795_926_600),
            "Sun, 29 Nov 2026 04:30:00 +0000"
        );
    }
}
