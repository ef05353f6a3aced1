//! STARTTLS (RFC 3207): the plain stream becomes a TLS one, and everything learned in
//! the clear is forgotten.

use tokio::io::BufReader;

use super::session::Session;
use super::wire::End;
use crate::conn::Conn;

impl Session {
    pub async fn starttls(&mut self) -> Result<(), End> {
        if self.tls {
            self.reply("503 5.5.1 Error: TLS already active");
            return Ok(());
        }
        let active = self.shared.current();
        let Some(config) = active.tls.clone() else {
            self.reply("454 4.7.0 TLS not available due to local problem");
            return Ok(());
        };
        self.reply("220 2.0.0 Ready to start TLS");
        self.flush().await?;
        let io = self.wire.io.take().ok_or(End::Gone)?;
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
                self.wire.io = Some(BufReader::new(Conn::Tls(Box::new(tls))));
                self.tls = true;
                self.forget_identity();
                Ok(())
            }
            _ => {
                tracing::info!(client = %self.client, "TLS handshake failed");
                Err(End::Gone)
            }
        }
    }
}
