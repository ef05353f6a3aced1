//! `relayctl user ...`: SMTP AUTH users as NetInfo users, `/users/NAME` with an
//! argon2id `passwd`. Passwords come from a prompt or standard input, never argv.

use std::io::{BufRead, IsTerminal};

use serde::Serialize;
use shared::store::{escape_component, Domain};
use shared::users::{self, PASSWD, USERS_DIR};

use crate::cli::UserCommand;
use crate::output::{self, Failure};
use crate::Context;

fn user_path(name: &str) -> String {
    format!("{USERS_DIR}/{}", escape_component(name))
}

pub fn run(ctx: &Context, cmd: &UserCommand) -> anyhow::Result<i32> {
    match cmd {
        UserCommand::Add { name } => set_password(ctx, name, true),
        UserCommand::Passwd { name } => set_password(ctx, name, false),
        UserCommand::Remove { name } => {
            ctx.write(&ctx.local(), |d| Ok(d.destroy(&user_path(name))?))?;
            Ok(0)
        }
        UserCommand::List => list(ctx),
    }
}

fn read_password() -> anyhow::Result<String> {
    if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password("Password: ")?;
        let again = rpassword::prompt_password("Again: ")?;
        if first != again {
            return Err(Failure::new(1, "the passwords differ; nothing written").into());
        }
        return Ok(first);
    }
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    Ok(line.trim_end_matches(['\r', '\n']).to_string())
}

fn set_password(ctx: &Context, name: &str, new: bool) -> anyhow::Result<i32> {
    users::check_name(name).map_err(|e| Failure::new(1, e.to_string()))?;
    // Check before prompting, so nobody types a password for nothing.
    let exists = |d: &Domain| d.resolve(&user_path(name)).is_ok();
    let domain = ctx.local().load()?;
    if new && exists(&domain) {
        return Err(Failure::new(
            1,
            format!("user {name} exists; use `relayctl user passwd {name}`"),
        )
        .into());
    }
    if !new && !exists(&domain) {
        return Err(Failure::new(
            105,
            format!("no user {name}; use `relayctl user add {name}`"),
        )
        .into());
    }
    let hash =
        users::hash_password(&read_password()?).map_err(|e| Failure::new(1, e.to_string()))?;
    ctx.write(&ctx.local(), |d| {
        if new && exists(d) {
            return Err(Failure::new(1, format!("user {name} exists")).into());
        }
        let id = d.create(&user_path(name))?;
        d.create_prop(id, PASSWD, vec![hash])?;
        Ok(())
    })?;
    Ok(0)
}

#[derive(Serialize)]
struct UserRow<'a> {
    name: &'a str,
    scheme: &'static str,
}

fn list(ctx: &Context) -> anyhow::Result<i32> {
    let domain = ctx.local().load()?;
    let mut rows = Vec::new();
    if let Ok(id) = domain.resolve(USERS_DIR) {
        for u in domain.children(id) {
            if let (Some(name), Some(hash)) = (u.name(), u.values(PASSWD).and_then(|v| v.first())) {
                rows.push(UserRow {
                    name,
                    scheme: users::scheme(hash),
                });
            }
        }
    }
    if ctx.json() {
        output::json(&rows)?;
    } else {
        let text: String = rows
            .iter()
            .map(|r| format!("{}\t{}\n", r.name, r.scheme))
            .collect();
        output::print(&text)?;
    }
    Ok(0)
}
