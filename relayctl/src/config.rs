//! `relayctl config get|set|unset`: every setting by its key alone, the analog of
//! `postconf` and `postconf -e`. Which directory holds a key comes from the one table of
//! keys (`settings::KEYS`), and a write passes the same check as every other write, so a
//! value relayd could not read is refused with its reason and nothing is written.

use serde::Serialize;
use shared::settings::{self, KeyDoc, KEYS};

use crate::cli::ConfigCommand;
use crate::output::{self, Failure};
use crate::Context;

pub fn run(ctx: &Context, command: &ConfigCommand) -> anyhow::Result<i32> {
    match command {
        ConfigCommand::Get { keys } => get(ctx, keys),
        ConfigCommand::Set { key, values } => set(ctx, key, values),
        ConfigCommand::Unset { keys } => unset(ctx, keys),
    }
}

/// The documented key called `name`, or a usage error listing the near misses.
fn doc(name: &str) -> anyhow::Result<&'static KeyDoc> {
    if let Some(k) = KEYS.iter().find(|k| k.key == name) {
        return Ok(k);
    }
    let near: Vec<&str> = KEYS
        .iter()
        .map(|k| k.key)
        .filter(|k| {
            let stem = name.split('_').next().unwrap_or(name);
            k.contains(stem) || name.contains(k)
        })
        .collect();
    let hint = match near.is_empty() {
        true => "`relayctl config get` lists every key".to_string(),
        false => format!("did you mean {}?", near.join(", ")),
    };
    Err(Failure::new(1, format!("unknown key `{name}`: {hint}")).into())
}

#[derive(Serialize)]
struct Setting {
    key: &'static str,
    directory: &'static str,
    /// The values in the store; `None` when the key is not set and its default applies.
    values: Option<Vec<String>>,
    default: &'static str,
}

fn get(ctx: &Context, names: &[String]) -> anyhow::Result<i32> {
    let wanted: Vec<&KeyDoc> = match names.is_empty() {
        true => KEYS.iter().collect(),
        false => names
            .iter()
            .map(|n| doc(n))
            .collect::<anyhow::Result<_>>()?,
    };
    let domain = ctx.local().load()?;
    let settings: Vec<Setting> = wanted
        .into_iter()
        .map(|k| Setting {
            key: k.key,
            directory: k.dir,
            values: settings::shown_values(&domain, k),
            default: k.default,
        })
        .collect();
    if ctx.json() {
        output::json(&settings)?;
        return Ok(0);
    }
    let mut out = String::new();
    for s in &settings {
        let line = match &s.values {
            // A long trusted list is counted, as `relayctl show` does.
            Some(v) if s.key == settings::RELAY_LIST && v.len() > 20 => {
                format!(
                    "{} = ({} entries; relayctl relay list prints them)",
                    s.key,
                    v.len()
                )
            }
            Some(v) => format!("{} = {}", s.key, v.join(" ")),
            None if s.default.is_empty() => format!("{} = (not set)", s.key),
            None => format!("{} = {} (default)", s.key, s.default),
        };
        out.push_str(line.trim_end());
        out.push('\n');
    }
    output::print(&out)?;
    Ok(0)
}

fn set(ctx: &Context, name: &str, values: &[String]) -> anyhow::Result<i32> {
    let k = doc(name)?;
    let values = values.to_vec();
    ctx.write(&ctx.local(), |d| {
        // The AppleMailServer keys need their siblings' safe defaults beside them.
        if k.dir == settings::APPLE_MAIL_SERVER {
            settings::ensure_defaults(d)?;
        }
        let id = d.create(k.dir)?;
        d.create_prop(id, k.key, values)?;
        Ok(())
    })?;
    Ok(0)
}

fn unset(ctx: &Context, names: &[String]) -> anyhow::Result<i32> {
    let docs: Vec<&KeyDoc> = names
        .iter()
        .map(|n| doc(n))
        .collect::<anyhow::Result<_>>()?;
    let removed = ctx.write(&ctx.local(), |d| {
        let mut removed = 0;
        for k in &docs {
            let Ok(id) = d.resolve(k.dir) else { continue };
            if d.dir(id).and_then(|dir| dir.property(k.key)).is_some() {
                d.destroy_props(id, &[k.key.to_string()])?;
                removed += 1;
            }
        }
        Ok(removed)
    })?;
    if ctx.json() {
        output::json(&serde_json::json!({ "removed": removed }))?;
    }
    Ok(0)
}
