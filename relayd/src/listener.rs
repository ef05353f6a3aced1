//! Listeners: one accept loop per `listen` value, started and stopped as the settings
//! change, with the connection limits applied before a session starts.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};

use shared::settings::{Listen, Role};
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

use crate::state::{Active, Shared};

/// A running listener: its accept loop, and the role it serves, which a reload may change
/// in place (rebinding the same address could fail while the old socket lingers).
struct Running {
    role: tokio::sync::watch::Sender<Role>,
    task: JoinHandle<()>,
}

pub struct Listeners {
    running: Mutex<HashMap<std::net::SocketAddr, Running>>,
    /// Sockets the service manager passed (socket activation), served whatever
    /// `listen` says; a `listen` entry with the same address gives its role.
    inherited: Mutex<HashMap<std::net::SocketAddr, std::net::TcpListener>>,
    inherited_addrs: Vec<std::net::SocketAddr>,
    /// Closed until relayd runs as its `run_as` user: connections wait in the backlog
    /// rather than meet a session run as root.
    gate: tokio::sync::watch::Sender<bool>,
    /// The services beside SMTP (Postfix's policy delegation, metrics), by name.
    services: Mutex<HashMap<&'static str, (std::net::SocketAddr, JoinHandle<()>)>>,
}

/// Connections one side service holds at once (Postfix opens one policy connection
/// per smtpd process, 100 by default); past it they are closed.
const MAX_SERVICE_CONNECTIONS: usize = 512;

/// What serves one connection of a side service.
type Serve = fn(
    Arc<Shared>,
    TcpStream,
    std::net::SocketAddr,
) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>;

impl Listeners {
    pub fn new(inherited: Vec<(std::net::SocketAddr, std::net::TcpListener)>) -> Listeners {
        Listeners {
            running: Mutex::default(),
            inherited_addrs: inherited.iter().map(|(a, _)| *a).collect(),
            inherited: Mutex::new(inherited.into_iter().collect()),
            gate: tokio::sync::watch::Sender::new(false),
            services: Mutex::default(),
        }
    }

    /// Starts serving the listeners bound so far and every later one.
    pub fn open(&self) {
        self.gate.send_replace(true);
    }

    /// Makes the running listeners match `active` (or `--listen`); returns bind errors.
    pub fn sync(&self, shared: &Arc<Shared>, active: &Active) -> Vec<String> {
        let mut wanted: Vec<Listen> = if shared.listen_override.is_empty() {
            active.daemon.listen.clone()
        } else {
            shared.listen_override.clone()
        };
        for addr in &self.inherited_addrs {
            if !wanted.iter().any(|l| l.addr == *addr) {
                wanted.push(Listen {
                    addr: *addr,
                    role: Role::Smtp,
                });
            }
        }
        let mut errors = Vec::new();
        let Ok(mut running) = self.running.lock() else {
            return vec!["listener table poisoned".into()];
        };
        running.retain(|addr, r| {
            let keep = wanted.iter().any(|l| l.addr == *addr);
            if !keep {
                r.task.abort();
                tracing::info!(addr = %addr, "stopped listening");
            }
            keep
        });
        for l in wanted {
            if let Some(r) = running.get(&l.addr) {
                if *r.role.borrow() != l.role {
                    tracing::info!(addr = %l.addr, role = l.role.as_str(), "listener role changed");
                    r.role.send_replace(l.role);
                }
                continue;
            }
            let passed = self
                .inherited
                .lock()
                .ok()
                .and_then(|mut i| i.remove(&l.addr));
            let bound = match passed {
                Some(socket) => TcpListener::from_std(socket),
                None => bind(l.addr),
            };
            match bound {
                Ok(listener) => {
                    tracing::info!(addr = %l.addr, role = l.role.as_str(), "listening");
                    let (role, rx) = tokio::sync::watch::channel(l.role);
                    let gate = self.gate.subscribe();
                    let task = tokio::spawn(accept_loop(Arc::clone(shared), listener, rx, gate));
                    running.insert(l.addr, Running { role, task });
                }
                Err(e) => {
                    let msg = format!("cannot listen on {}: {e}", l.addr);
                    tracing::error!("{msg}");
                    errors.push(msg);
                }
            }
        }
        drop(running);
        let d = &active.daemon;
        let policy: Serve = |s, c, p| Box::pin(crate::policyd::serve(s, c, p));
        let metrics: Serve = |s, c, p| Box::pin(crate::metrics::serve(s, c, p));
        errors.extend(self.sync_service(shared, "postfix-policy", d.policy_listen, policy));
        errors.extend(self.sync_service(shared, "metrics", d.metrics_listen, metrics));
        errors
    }

    /// Starts, moves or stops the side service `name` to match its setting.
    fn sync_service(
        &self,
        shared: &Arc<Shared>,
        name: &'static str,
        want: Option<std::net::SocketAddr>,
        serve: Serve,
    ) -> Option<String> {
        let Ok(mut services) = self.services.lock() else {
            return Some("service table poisoned".into());
        };
        if services.get(name).map(|(a, _)| *a) == want {
            return None;
        }
        if let Some((addr, task)) = services.remove(name) {
            task.abort();
            tracing::info!(addr = %addr, role = name, "stopped listening");
        }
        let addr = want?;
        match bind(addr) {
            Ok(listener) => {
                tracing::info!(addr = %addr, role = name, "listening");
                let gate = self.gate.subscribe();
                let task = tokio::spawn(service_loop(
                    Arc::clone(shared),
                    name,
                    listener,
                    gate,
                    serve,
                ));
                services.insert(name, (addr, task));
                None
            }
            Err(e) => {
                let msg = format!("cannot listen on {addr} ({name}): {e}");
                tracing::error!("{msg}");
                Some(msg)
            }
        }
    }

    pub fn count(&self) -> usize {
        self.running.lock().map_or(0, |r| r.len())
    }

    /// Stops accepting new connections (at shutdown).
    pub fn stop_all(&self) {
        if let Ok(mut running) = self.running.lock() {
            for (_, r) in running.drain() {
                r.task.abort();
            }
        }
        if let Ok(mut services) = self.services.lock() {
            for (_, (_, task)) in services.drain() {
                task.abort();
            }
        }
    }
}

fn bind(addr: std::net::SocketAddr) -> std::io::Result<TcpListener> {
    let socket = match addr {
        std::net::SocketAddr::V4(_) => tokio::net::TcpSocket::new_v4()?,
        std::net::SocketAddr::V6(_) => tokio::net::TcpSocket::new_v6()?,
    };
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(1024)
}

async fn accept_loop(
    shared: Arc<Shared>,
    listener: TcpListener,
    role: tokio::sync::watch::Receiver<Role>,
    mut gate: tokio::sync::watch::Receiver<bool>,
) {
    if gate.wait_for(|open| *open).await.is_err() {
        return;
    }
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(c) => c,
            Err(e) => {
                // Out of file descriptors and the like: pause rather than spin.
                tracing::warn!(error = %e, "accept failed");
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let shared = Arc::clone(&shared);
        let role = *role.borrow();
        tokio::spawn(async move {
            let Some(_slot) = Slot::take(&shared, peer.ip()) else {
                refuse(stream, &shared).await;
                return;
            };
            crate::smtp::run(shared, stream, peer, role).await;
        });
    }
}

async fn service_loop(
    shared: Arc<Shared>,
    name: &'static str,
    listener: TcpListener,
    mut gate: tokio::sync::watch::Receiver<bool>,
    serve: Serve,
) {
    if gate.wait_for(|open| *open).await.is_err() {
        return;
    }
    let slots = Arc::new(tokio::sync::Semaphore::new(MAX_SERVICE_CONNECTIONS));
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!(error = %e, role = name, "accept failed");
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                continue;
            }
        };
        // Past the limit the connection is closed; Postfix says 451 and retries.
        let Ok(slot) = Arc::clone(&slots).try_acquire_owned() else {
            tracing::warn!(peer = %peer, role = name, "too many connections");
            continue;
        };
        let work = serve(Arc::clone(&shared), stream, peer);
        tokio::spawn(async move {
            work.await;
            drop(slot);
        });
    }
}

/// Holds a connection's place in the limits; released on drop however the session ends.
struct Slot {
    shared: Arc<Shared>,
    client: IpAddr,
}

impl Slot {
    fn take(shared: &Arc<Shared>, client: IpAddr) -> Option<Slot> {
        let active = shared.current();
        let client = crate::state::client_group(client);
        let open = shared.open_sessions.fetch_add(1, Ordering::SeqCst);
        let Ok(mut per) = shared.per_client.lock() else {
            shared.open_sessions.fetch_sub(1, Ordering::SeqCst);
            return None;
        };
        let mine = per.entry(client).or_default();
        if open >= active.daemon.max_connections
            || *mine >= active.daemon.max_connections_per_client
        {
            shared.open_sessions.fetch_sub(1, Ordering::SeqCst);
            if *mine == 0 {
                per.remove(&client);
            }
            return None;
        }
        *mine += 1;
        Some(Slot {
            shared: Arc::clone(shared),
            client,
        })
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.shared.open_sessions.fetch_sub(1, Ordering::SeqCst);
        if let Ok(mut per) = self.shared.per_client.lock() {
            if let Some(n) = per.get_mut(&self.client) {
                *n -= 1;
                if *n == 0 {
                    per.remove(&self.client);
                }
            }
        }
    }
}

async fn refuse(mut stream: TcpStream, shared: &Shared) {
    shared.stats.refuse("too_many_connections");
    let host = shared.current().daemon.hostname.clone();
    let _ = stream
        .write_all(format!("421 4.7.0 {host} Too many connections, try again later\r\n").as_bytes())
        .await;
    let _ = stream.shutdown().await;
}
