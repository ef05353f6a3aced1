//! relayd: the Restricted SMTP Relay daemon. Reads its settings from the store relayctl
//! writes, listens for SMTP, decides each recipient by the relay policy, spools what it
//! accepts durably, and applies every change to the store the moment it lands.

mod commit;
mod conn;
mod control;
mod date;
mod deliver;
mod listener;
mod metrics;
mod policyd;
mod privileges;
mod queue;
mod reload;
mod service;
mod smtp;
mod state;
mod stats;
mod tls;
mod watch;

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use anyhow::Context;
use arc_swap::ArcSwap;
use clap::Parser;
use shared::settings::{self, Listen};
use shared::store::Store;

#[derive(Debug, Parser)]
#[command(
    name = "relayd",
    version,
    about = "The relay daemon: ESMTP with the Restricted SMTP Relay policy, live reload of the store"
)]
struct Args {
    /// The store folder (the local domain relayctl edits)
    #[arg(
        long,
        env = "RELAY_STORE",
        value_name = "PATH",
        default_value = "/var/db/relay"
    )]
    store: PathBuf,
    /// Listen here instead of the store's `listen` (repeatable): ADDR:PORT [smtp|submission|smtps]
    #[arg(long, value_name = "ADDR")]
    listen: Vec<String>,
    /// Load and compile the settings, print any problem, and exit (0: usable)
    #[arg(long)]
    check_config: bool,
}

/// glibc gives each thread that allocates its own arena, and a big reload (decoded and
/// parsed on several threads) leaves freed memory scattered over them that
/// `malloc_trim` cannot give back: 100,000 entries grew from 40 to 64 MB PSS over three
/// reloads. With one arena it stays at 27 MB; the sessions' small allocations do not
/// contend enough on 2 cores to show in the benchmarks. Called before any thread exists.
fn one_malloc_arena() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets an allocator parameter; no thread is running yet.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 1);
    }
}

fn main() {
    one_malloc_arena();
    let args = Args::parse();
    // Before the runtime's threads exist: this also clears LISTEN_FDS from the
    // environment.
    let inherited = match service::inherited_listeners() {
        Ok(l) => l,
        Err(e) => {
            eprintln!("relayd: socket activation: {e:#}");
            std::process::exit(1);
        }
    };
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("RELAYD_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_ansi(false)
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("relayd: cannot start the runtime: {e}");
            std::process::exit(1);
        }
    };
    if let Err(e) = runtime.block_on(run(args, inherited)) {
        tracing::error!("{e:#}");
        eprintln!("relayd: {e:#}");
        std::process::exit(1);
    }
}

/// Lets relayd hold as many connections as the hard limit allows (the soft limit is
/// often 1024, below a busy relay's `max_connections` plus its files).
fn raise_fd_limit() {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit/setrlimit read and write the struct we own.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) == 0 && lim.rlim_cur < lim.rlim_max {
            lim.rlim_cur = lim.rlim_max;
            libc::setrlimit(libc::RLIMIT_NOFILE, &lim);
        }
    }
}

async fn run(
    args: Args,
    inherited: Vec<(std::net::SocketAddr, std::net::TcpListener)>,
) -> anyhow::Result<()> {
    raise_fd_limit();
    let store = Store::new(&args.store);
    let listen_override = args
        .listen
        .iter()
        .map(|l| Listen::parse(l).map_err(|e| anyhow::anyhow!("--listen {l}: {e}")))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let domain = store
        .load()
        .context("cannot start without a readable store")?;
    if args.check_config {
        return check_config(&store, &domain).await;
    }
    // Before anything is written or cleaned: one relayd per store, one per spool.
    let _store_lock = shared::spool::lock_exclusive(&store.dir().join("relayd.lock"), store.dir())
        .with_context(|| format!("store {}", store.dir().display()))?;
    // First start: create the AppleMailServer keys as the original did, but safe.
    let missing = settings::RelaySettings::from_domain(&domain)?.defaulted;
    if !missing.is_empty() {
        store.update(|d| settings::ensure_defaults(d).map(drop))?;
        tracing::info!(keys = ?missing, "created the missing AppleMailServer keys with safe defaults (restriction on, loopback trusted)");
    }
    let domain = store.load()?;
    let daemon = settings::DaemonSettings::from_domain(&domain, store.dir())?;
    // Decided before anything is bound: a start that would serve as root is refused now.
    let plan = privileges::plan(daemon.run_as.as_deref())?;
    let spool = shared::spool::Spool::new(daemon.spool_dir.clone());
    let spool_lock = spool
        .lock()
        .with_context(|| format!("spool {}", spool.dir().display()))?;
    let removed = spool
        .prepare(&spool_lock)
        .with_context(|| format!("spool {}", spool.dir().display()))?;
    if removed > 0 {
        tracing::info!(
            removed,
            "removed half-written spool files (never acknowledged)"
        );
    }
    if daemon.tls_cert.is_none() {
        if let Err(e) = tls::ensure_self_signed(store.dir(), &daemon.hostname) {
            tracing::error!(error = %format!("{e:#}"), "cannot make a self-signed certificate");
        }
    }
    let active = state::Active::compile(&domain, store.dir())?;
    let (queue_tx, queue_rx) = tokio::sync::mpsc::unbounded_channel();
    let shared = Arc::new(state::Shared {
        queue: queue_tx,
        active: ArcSwap::from_pointee(active),
        names: ArcSwap::from_pointee(state::Names::default()),
        store_dir: store.dir().to_path_buf(),
        store,
        started: Instant::now(),
        stats: Default::default(),
        open_sessions: Default::default(),
        reload: Mutex::new(Default::default()),
        per_client: Default::default(),
        dns: ArcSwap::from_pointee(None),
        loaded: Mutex::new(Default::default()),
        version: Mutex::new(None),
        committer: commit::Committer::start().context("starting the spool committer")?,
        auth_slots: tokio::sync::Semaphore::new(
            std::thread::available_parallelism().map_or(2, |n| n.get()),
        ),
        failures: Default::default(),
        stopping: tokio::sync::watch::Sender::new(state::Stop::Running),
        deliveries: Default::default(),
        listen_override,
        spool_locks: Mutex::new([(daemon.spool_dir.clone(), spool_lock)].into()),
    });
    let listeners = Arc::new(listener::Listeners::new(inherited));
    // The first load goes through the same path as every reload (changes logged,
    // listeners started); its names are resolved before the daemon says it is ready.
    reload::reload(&shared, &listeners, reload::START).await;
    reload::fold_names(&shared).await;
    if listeners.count() == 0 {
        anyhow::bail!("no listener could be started; see the errors above");
    }
    control::spawn(Arc::clone(&shared), Arc::clone(&listeners))?;
    // Everything privileged is done (listeners and control socket bound, store locked).
    match &plan {
        privileges::Plan::AsIs => {}
        privileges::Plan::StayRoot => {
            tracing::warn!("serving as root: run_as root is set");
        }
        privileges::Plan::Become(account) => {
            let d = &shared.current().daemon;
            privileges::hand_over(account, &shared.store_dir, &[&d.spool_dir, &d.mail_root])?;
            privileges::become_user(account)?;
            tracing::info!(user = %account.name, uid = account.uid, gid = account.gid, "serving as run_as user");
        }
    }
    listeners.open();
    tokio::spawn(queue::run(Arc::clone(&shared), queue_rx));
    let _watcher = watch::spawn_triggers(Arc::clone(&shared), Arc::clone(&listeners))?;
    tracing::info!(
        pid = std::process::id(),
        serial = shared.current().serial,
        "relayd ready"
    );
    service::ready(shared.current().serial);
    service::spawn_watchdog();
    shutdown(&shared, &listeners).await
}

/// SIGTERM (or SIGINT): stop accepting and starting deliveries, end idle sessions with
/// 421, and give transactions and deliveries under way `shutdown_timeout` to finish, so
/// a message being written gets its 250 rather than arriving twice. Past that, every
/// session gets 421 at its next command. A second signal exits at once; the spool is
/// consistent either way, since nothing is acknowledged before it is durable.
async fn shutdown(
    shared: &Arc<state::Shared>,
    listeners: &listener::Listeners,
) -> anyhow::Result<()> {
    use std::sync::atomic::Ordering::SeqCst;
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    tokio::select! {
        _ = term.recv() => tracing::info!("SIGTERM: stopping"),
        _ = int.recv() => tracing::info!("SIGINT: stopping"),
    }
    service::stopping();
    listeners.stop_all();
    shared.stopping.send_replace(state::Stop::Draining);
    let idle = |f: fn(&state::Shared) -> usize| async move {
        while f(shared) > 0 {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    };
    let limit = shared.current().daemon.shutdown_timeout;
    let how = tokio::select! {
        _ = idle(|s| s.open_sessions.load(SeqCst) + s.deliveries.load(SeqCst)) => "drained",
        _ = tokio::time::sleep(limit) => {
            tracing::info!(timeout_s = limit.as_secs(), "shutdown_timeout passed: ending every session");
            shared.stopping.send_replace(state::Stop::Now);
            // Sessions waiting for a command say 421 at once; give them a moment.
            tokio::select! {
                _ = idle(|s| s.open_sessions.load(SeqCst)) => {}
                _ = tokio::time::sleep(std::time::Duration::from_secs(2)) => {}
            }
            "timeout"
        }
        _ = term.recv() => "second signal",
        _ = int.recv() => "second signal",
    };
    tracing::info!(
        how,
        sessions_cut = shared.open_sessions.load(SeqCst),
        deliveries_cut = shared.deliveries.load(SeqCst),
        "stopped"
    );
    Ok(())
}

/// Compiles the store's settings and resolves its names as a reload would, and prints
/// what relayd would enforce. Writes nothing.
async fn check_config(store: &Store, domain: &shared::store::Domain) -> anyhow::Result<()> {
    let active = state::Active::compile(domain, store.dir())?;
    let resolved = if active.hosts.names().is_empty() {
        shared::trust::ResolvedNames::default()
    } else {
        let d = &active.daemon;
        let dns = shared::dns::Dns::new(&d.dns_servers, d.dns_timeout)?;
        shared::trust::ResolvedNames::resolve(&dns, active.hosts.names()).await
    };
    let c = active.hosts.counts();
    println!(
        "store {} serial {}: {} addresses, {} networks or ranges, {} names ({} addresses resolved)",
        store.dir().display(),
        active.serial,
        c.addresses,
        c.networks,
        c.names,
        resolved.count
    );
    let refused: Vec<_> = active.rejected.iter().chain(&resolved.failures).collect();
    for r in &refused {
        println!("refused entry {}: {}", r.text, r.reason);
    }
    if let Some(why) = &active.open_relay {
        println!("warning: OPEN RELAY: {why}");
    }
    if active.tls.is_none() {
        println!("warning: no TLS certificate: STARTTLS and AUTH will not be offered");
    }
    if !refused.is_empty() {
        std::process::exit(1);
    }
    Ok(())
}
