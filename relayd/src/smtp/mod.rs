//! The way in: SMTP sessions, laid out as a session's life. `wire` reads lines and
//! writes replies, `grammar` turns a line into a command, `session` holds what a session
//! knows, one file per command group (`hello`, `mail`, `rcpt`, `data` with `body` and
//! `received`, `auth` with `sasl`, `starttls`), and `dispatch` runs the loop.

mod auth;
mod body;
mod data;
mod dispatch;
mod grammar;
mod hello;
mod mail;
mod rcpt;
mod received;
mod sasl;
mod session;
mod starttls;
mod wire;

pub use dispatch::run;
