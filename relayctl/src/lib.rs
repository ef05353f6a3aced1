//! relayctl: argument parsing and printing only. Every decision lives in `shared`, so
//! that `relayctl relay check` and relayd can never disagree.

pub mod cli;
mod config;
mod daemon;
mod dkim;
mod names;
mod niutil;
mod output;
mod relay;
mod show;
mod users;

use std::path::PathBuf;

use clap::Parser;
use shared::store::{Store, StoreError};

use cli::{Cli, Command};
pub use output::Failure;

/// Runs relayctl with these arguments (the first is the program name) and returns the
/// exit status.
pub fn run(args: impl IntoIterator<Item = String>) -> i32 {
    let cli = match Cli::try_parse_from(cli::normalize_args(args)) {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            // niutil exits 1 on a usage error; help and version are not errors.
            return if e.use_stderr() { 1 } else { 0 };
        }
    };
    match dispatch(&cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("relayctl: {e:#}");
            status_of(&e)
        }
    }
}

fn dispatch(cli: &Cli) -> anyhow::Result<i32> {
    let ctx = Context { cli };
    let code = run_command(&ctx)?;
    if cli.wait && code == 0 && is_write(&cli.command) {
        daemon::wait(&ctx)?;
    }
    Ok(code)
}

/// Commands that may change the store (and so may be waited for).
fn is_write(command: &Command) -> bool {
    use cli::{RelayCommand as R, UserCommand as U};
    match command {
        Command::Create(_)
        | Command::Destroy(_)
        | Command::Createprop(_)
        | Command::Appendprop(_)
        | Command::Mergeprop(_)
        | Command::Insertval(_)
        | Command::Destroyprop(_)
        | Command::Destroyval(_)
        | Command::Renameprop(_)
        | Command::Niload(_)
        | Command::Auth(_) => true,
        Command::Relay(r) => match r {
            R::Enable | R::Disable | R::Add { .. } | R::Remove { .. } => true,
            R::Import { dry_run, .. } => !dry_run,
            R::List | R::Export | R::Check { .. } => false,
        },
        Command::User(u) => !matches!(u, U::List),
        Command::Config(c) => !matches!(c, cli::ConfigCommand::Get { .. }),
        Command::Dkim(c) => !matches!(c, cli::DkimCommand::Keygen { .. }),
        _ => false,
    }
}

fn run_command(ctx: &Context) -> anyhow::Result<i32> {
    match &ctx.cli.command {
        Command::Nidump(a) => niutil::nidump(ctx, a),
        Command::Niload(a) => niutil::niload(ctx, a),
        Command::Relay(c) => relay::run(ctx, c),
        Command::Auth(c) => relay::auth(ctx, c),
        Command::User(c) => users::run(ctx, c),
        Command::Show => show::run(ctx),
        Command::Config(c) => config::run(ctx, c),
        Command::Dkim(c) => dkim::run(ctx, c),
        Command::Status => daemon::status(ctx),
        Command::Queue(cli::QueueCommand::List) => daemon::queue_list(ctx),
        Command::Queue(cli::QueueCommand::Show { id }) => daemon::queue_show(ctx, id),
        Command::Queue(cli::QueueCommand::Flush { id }) => {
            daemon::queue_request(ctx, &format!("flush {}", id.as_deref().unwrap_or("")))
        }
        Command::Queue(cli::QueueCommand::Hold { id }) => {
            daemon::queue_request(ctx, &format!("hold {id}"))
        }
        Command::Queue(cli::QueueCommand::Release { id }) => {
            daemon::queue_request(ctx, &format!("release {id}"))
        }
        Command::Queue(cli::QueueCommand::Delete { id }) => {
            daemon::queue_request(ctx, &format!("delete {id}"))
        }
        verb => niutil::run(ctx, verb),
    }
}

/// What every command needs: the parsed options.
pub(crate) struct Context<'a> {
    pub cli: &'a Cli,
}

impl Context<'_> {
    /// The store a niutil domain argument names: `.` is the local store; `/` and `..` the
    /// parent store, or the local one when there is no parent (a standalone NetInfo
    /// domain is its own root).
    pub fn domain(&self, name: &str) -> anyhow::Result<Store> {
        let path: PathBuf = match name {
            "." => self.cli.store.clone(),
            "/" | ".." => self
                .cli
                .parent_store
                .clone()
                .unwrap_or_else(|| self.cli.store.clone()),
            other => {
                return Err(Failure::new(
                    200,
                    format!(
                        "unknown domain `{other}`: use `.` (the local store, --store) or `/` (the parent, --parent-store)"
                    ),
                )
                .into())
            }
        };
        Ok(Store::new(path))
    }

    /// The local store, which the task-shaped commands edit.
    pub fn local(&self) -> Store {
        Store::new(self.cli.store.clone())
    }

    pub fn json(&self) -> bool {
        self.cli.json
    }

    /// One locked read-modify-write of `store`, refused (nothing written) when the result
    /// breaks the relay settings in a way `settings::objections` names, unless --force.
    pub fn write<T>(
        &self,
        store: &Store,
        edit: impl FnOnce(&mut shared::store::Domain) -> anyhow::Result<T>,
    ) -> anyhow::Result<T> {
        self.write_checked(store, edit, false)
    }

    /// `write` for an edit that only adds to or only removes from the trusted host
    /// list: its check reads the list after the edit and the changes made, so the
    /// domain is not copied first (at 100,000 entries the copy was a third of the
    /// command's time).
    pub fn write_list<T>(
        &self,
        store: &Store,
        edit: impl FnOnce(&mut shared::store::Domain) -> anyhow::Result<T>,
    ) -> anyhow::Result<T> {
        self.write_checked(store, edit, true)
    }

    fn write_checked<T>(
        &self,
        store: &Store,
        edit: impl FnOnce(&mut shared::store::Domain) -> anyhow::Result<T>,
        list_only: bool,
    ) -> anyhow::Result<T> {
        let force = self.cli.force;
        store.update(|d| {
            // A store without its defaults gets them in the same write: a whole one.
            let before = (!list_only || !shared::settings::has_defaults(d)).then(|| d.clone());
            let out = edit(d)?;
            if d.is_dirty() {
                let objections = match &before {
                    Some(before) => shared::settings::objections(before, d),
                    None => d
                        .pending_changes()
                        .and_then(|c| shared::settings::list_objections(d, c))
                        .ok_or_else(|| {
                            anyhow::anyhow!("internal error: a trusted-host edit changed more than the list; nothing written")
                        })?,
                };
                if !objections.is_empty() && !force {
                    return Err(Failure::new(
                        1,
                        format!(
                            "refused, nothing written: {} (pass --force if that is really intended)",
                            objections.join("; ")
                        ),
                    )
                    .into());
                }
                for o in objections {
                    eprintln!("relayctl: warning: written anyway (--force): {o}");
                }
            }
            Ok(out)
        })
    }
}

fn status_of(e: &anyhow::Error) -> i32 {
    for cause in e.chain() {
        if let Some(f) = cause.downcast_ref::<Failure>() {
            return f.status;
        }
        if let Some(s) = cause.downcast_ref::<StoreError>() {
            return s.exit_status();
        }
        if cause.is::<shared::settings::SettingsError>() {
            return 2;
        }
    }
    1
}
