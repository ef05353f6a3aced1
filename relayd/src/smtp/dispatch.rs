//! One session from greeting to goodbye: the implicit TLS handshake of an smtps
//! listener, then a loop that reads a command line, parses it (`grammar`), hands it to
//! its command's method, and counts every refusal toward the error limit, whichever
//! command drew it.

use std::net::SocketAddr;
use std::sync::Arc;

use shared::settings::Role;
use tokio::net::TcpStream;

use super::grammar::{self, Command, Refusal, MAX_COMMAND_LINE};
use super::session::Session;
use super::wire::{End, Line, Wire};
use crate::conn::Conn;
use crate::state::Shared;

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
    let mut s = Session::new(shared, Wire::new(conn), peer.ip(), role);
    tracing::debug!(client = %s.client, role = role.as_str(), "connect");
    s.reply(&format!("220 {} ESMTP relayd", active.daemon.hostname));
    drop(active);
    let ended = serve(&mut s).await;
    let host = s.shared.current().daemon.hostname.clone();
    match ended {
        Err(End::Timeout) => s.reply(&format!("421 4.4.2 {host} Error: timeout exceeded")),
        Err(End::Shutdown) => s.reply(&format!("421 4.3.2 {host} Service shutting down")),
        _ => {}
    }
    let timeout = s.command_timeout();
    s.wire.close(timeout).await;
    tracing::debug!(client = %s.client, "disconnect");
}

async fn serve(s: &mut Session) -> Result<(), End> {
    loop {
        let line = s.read_line(MAX_COMMAND_LINE).await?;
        let quit = match line {
            Line::TooLong => {
                s.reply("500 5.5.2 Error: line too long");
                false
            }
            Line::Text(l) => command(s, grammar::parse(&l)).await?,
        };
        if quit {
            return Ok(());
        }
        if s.wire.take_refused() {
            s.error().await?;
        }
    }
}

/// Runs one parsed command; true after QUIT.
async fn command(s: &mut Session, parsed: Result<Command, Refusal>) -> Result<bool, End> {
    let cmd = match parsed {
        Ok(c) => c,
        Err(Refusal::Unknown) => {
            s.reply("500 5.5.2 Error: command not recognized");
            return Ok(false);
        }
        Err(Refusal::Syntax(why)) => {
            s.reply(&format!("501 5.5.4 {why}"));
            return Ok(false);
        }
    };
    match cmd {
        Command::Ehlo(name) => s.ehlo(name)?,
        Command::Helo(name) => s.helo(name)?,
        Command::Mail { path, params } => s.mail_from(path, params),
        Command::Rcpt { path, params } => s.rcpt_to(path, params).await,
        Command::Data => s.data().await?,
        Command::Rset => s.rset()?,
        Command::Noop => s.noop()?,
        Command::Help => s.help()?,
        Command::Vrfy => s.vrfy()?,
        Command::StartTls => s.starttls().await?,
        Command::Auth { mechanism, initial } => s.auth(&mechanism, initial).await?,
        Command::NotImplemented(verb) => s.not_implemented(&verb),
        Command::Quit => {
            s.reply("221 2.0.0 Bye");
            return Ok(true);
        }
    }
    Ok(false)
}
