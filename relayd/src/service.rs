//! The service manager's side of relayd, by systemd's protocols: READY=1 once every
//! listener is bound and the first store is in force, RELOADING=1 (with
//! MONOTONIC_USEC) and READY=1 around each reload, STOPPING=1 at SIGTERM, WATCHDOG=1
//! pings when the unit sets `WatchdogSec`, and listeners handed over by socket
//! activation (`LISTEN_FDS`). Without `NOTIFY_SOCKET` or `LISTEN_FDS` each is a no-op,
//! as under launchd or a shell.

use std::net::{SocketAddr, TcpListener};
use std::os::fd::FromRawFd;

use sd_notify::NotifyState;

fn send(states: &[NotifyState<'_>]) {
    // The manager's socket gone is not a reason to stop serving mail.
    if let Err(e) = sd_notify::notify(states) {
        tracing::warn!(error = %e, "cannot notify the service manager");
    }
}

/// Serving: every listener bound, the store in force.
pub fn ready(serial: u64) {
    let status = format!("serving store serial {serial}");
    send(&[NotifyState::Ready, NotifyState::Status(&status)]);
}

/// A reload begins; `ready` ends it, whatever its outcome.
pub fn reloading() {
    match NotifyState::monotonic_usec_now() {
        Ok(now) => send(&[NotifyState::Reloading, now]),
        Err(_) => send(&[NotifyState::Reloading]),
    }
}

pub fn stopping() {
    send(&[NotifyState::Stopping, NotifyState::Status("stopping")]);
}

/// Pings the watchdog at half its interval while the runtime runs: a wedged runtime
/// stops the pings and the manager restarts relayd.
pub fn spawn_watchdog() {
    let Some(every) = sd_notify::watchdog_enabled() else {
        return;
    };
    tracing::info!(interval_ms = every.as_millis() as u64, "watchdog enabled");
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every / 2);
        loop {
            tick.tick().await;
            send(&[NotifyState::Watchdog]);
        }
    });
}

/// The listening sockets the service manager passed (socket activation), by address.
/// Anything passed that is not a listening TCP socket is an error: serving it would
/// guess at what the unit meant.
pub fn inherited_listeners() -> anyhow::Result<Vec<(SocketAddr, TcpListener)>> {
    let fds = sd_notify::listen_fds()?;
    let mut out = Vec::new();
    for fd in fds {
        // SAFETY: LISTEN_PID names this process, so the descriptors from 3 up to
        // 3 + LISTEN_FDS were passed to it by the manager and nothing else here owns them.
        let listener = unsafe { TcpListener::from_raw_fd(fd) };
        let addr = listener
            .local_addr()
            .map_err(|e| anyhow::anyhow!("LISTEN_FDS descriptor {fd} is not a TCP socket: {e}"))?;
        if !accepting(fd) {
            anyhow::bail!("LISTEN_FDS descriptor {fd} ({addr}) is not a listening socket");
        }
        listener.set_nonblocking(true)?;
        out.push((addr, listener));
    }
    // Children (none today) must not think the sockets are theirs. Called before any
    // thread exists, so changing the environment races nothing.
    std::env::remove_var("LISTEN_FDS");
    std::env::remove_var("LISTEN_PID");
    std::env::remove_var("LISTEN_FDNAMES");
    Ok(out)
}

/// Whether `fd` is a socket in the listening state (SO_ACCEPTCONN).
fn accepting(fd: std::os::fd::RawFd) -> bool {
    let mut on: libc::c_int = 0;
    let mut len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
    // SAFETY: getsockopt writes at most `len` bytes into `on`, which we own.
    let rc = unsafe {
        libc::getsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_ACCEPTCONN,
            (&mut on as *mut libc::c_int).cast(),
            &mut len,
        )
    };
    rc == 0 && on != 0
}
