//! niutil's verbs, with niutil's argument order, output and exit statuses, and
//! nidump/niload's raw format.

use std::io::Read;

use serde::Serialize;
use shared::store::{raw, Domain, Store};

use crate::cli::{Command, Nidump, Niload};
use crate::output::{self, Failure};
use crate::Context;

pub fn run(ctx: &Context, verb: &Command) -> anyhow::Result<i32> {
    match verb {
        Command::Create(a) => write(ctx, &a.domain, |d| d.create(&a.path).map(drop)),
        Command::Destroy(a) => write(ctx, &a.domain, |d| d.destroy(&a.path)),
        Command::Createprop(a) => write(ctx, &a.domain, |d| {
            let id = d.resolve(&a.path)?;
            d.create_prop(id, &a.key, a.values.clone())
        }),
        Command::Appendprop(a) => write(ctx, &a.domain, |d| {
            let id = d.resolve(&a.path)?;
            d.append_prop(id, &a.key, a.values.clone())
        }),
        Command::Mergeprop(a) => write(ctx, &a.domain, |d| {
            let id = d.resolve(&a.path)?;
            d.merge_prop(id, &a.key, a.values.clone()).map(drop)
        }),
        Command::Insertval(a) => {
            let index = parse_index(&a.index)?;
            write(ctx, &a.domain, |d| {
                let id = d.resolve(&a.path)?;
                d.insert_val(id, &a.key, a.value.clone(), index)
            })
        }
        Command::Destroyprop(a) => write(ctx, &a.domain, |d| {
            let id = d.resolve(&a.path)?;
            d.destroy_props(id, &a.keys)
        }),
        Command::Destroyval(a) => write(ctx, &a.domain, |d| {
            let id = d.resolve(&a.path)?;
            d.destroy_vals(id, &a.key, &a.values).map(drop)
        }),
        Command::Renameprop(a) => write(ctx, &a.domain, |d| {
            let id = d.resolve(&a.path)?;
            d.rename_prop(id, &a.old, &a.new)
        }),
        Command::Read(a) => {
            let domain = ctx.domain(&a.domain)?.load()?;
            let dir = domain.lookup(&a.path)?;
            if ctx.json() {
                let props: Vec<_> = dir
                    .properties
                    .iter()
                    .map(|p| JsonProp {
                        key: &p.key,
                        values: &p.values,
                    })
                    .collect();
                output::json(&props)?;
            } else {
                let mut out = String::new();
                for p in &dir.properties {
                    out.push_str(&p.key);
                    out.push(':');
                    for v in &p.values {
                        out.push(' ');
                        out.push_str(v);
                    }
                    out.push('\n');
                }
                output::print(&out)?;
            }
            Ok(0)
        }
        Command::List(a) => {
            let domain = ctx.domain(&a.domain)?.load()?;
            let id = domain.resolve(&a.path)?;
            let rows = domain.list(id, a.key.as_deref().unwrap_or("name"));
            if ctx.json() {
                let rows: Vec<_> = rows
                    .iter()
                    .map(|(id, values)| JsonRow { id: *id, values })
                    .collect();
                output::json(&rows)?;
            } else {
                let mut out = String::new();
                for (id, values) in rows {
                    out.push_str(&format!("{id}\t"));
                    for v in values {
                        out.push(' ');
                        out.push_str(&v);
                    }
                    out.push('\n');
                }
                output::print(&out)?;
            }
            Ok(0)
        }
        Command::Readprop(a) => {
            let domain = ctx.domain(&a.domain)?.load()?;
            let id = domain.resolve(&a.path)?;
            let values = domain.read_prop(id, &a.key)?;
            if ctx.json() {
                output::json(&values)?;
            } else {
                output::print(&format!("{}\n", values.join(" ")))?;
            }
            Ok(0)
        }
        Command::Readval(a) => {
            let index = parse_index(&a.index)?;
            let domain = ctx.domain(&a.domain)?.load()?;
            let id = domain.resolve(&a.path)?;
            let values = domain.read_prop(id, &a.key)?;
            let value = values.get(index).ok_or_else(|| {
                Failure::new(
                    3,
                    format!(
                        "property {} in directory {} has no value at index {index}",
                        a.key, a.path
                    ),
                )
            })?;
            if ctx.json() {
                output::json(value)?;
            } else {
                output::print(&format!("{value}\n"))?;
            }
            Ok(0)
        }
        Command::Domainname(a) => {
            ctx.domain(&a.domain)?;
            let name = match (a.domain.as_str(), &ctx.cli.parent_store) {
                (".", Some(_)) => format!("/{}", shared::settings::host_name().unwrap_or_default()),
                _ => "/".to_string(),
            };
            if ctx.json() {
                output::json(&name)?;
            } else {
                output::print(&format!("{name}\n"))?;
            }
            Ok(0)
        }
        _ => unreachable!("dispatch sends only niutil verbs here"),
    }
}

#[derive(Serialize)]
struct JsonProp<'a> {
    key: &'a str,
    values: &'a [String],
}

#[derive(Serialize)]
struct JsonRow<'a> {
    id: u32,
    values: &'a [String],
}

/// One locked read-modify-write of the domain, checked like every relayctl write.
fn write(
    ctx: &Context,
    domain: &str,
    edit: impl FnOnce(&mut Domain) -> shared::store::Result<()>,
) -> anyhow::Result<i32> {
    ctx.write(&ctx.domain(domain)?, |d| Ok(edit(d)?))?;
    Ok(0)
}

/// niutil takes an index with atoi and refuses anything that is not a number (exit 3).
fn parse_index(text: &str) -> anyhow::Result<usize> {
    text.trim().parse::<usize>().map_err(|_| {
        Failure::new(
            3,
            format!("index must be a non-negative integer, found `{text}`"),
        )
        .into()
    })
}

pub fn nidump(ctx: &Context, a: &Nidump) -> anyhow::Result<i32> {
    let domain = ctx.domain(&a.domain)?.load()?;
    let id = domain.resolve(&a.raw)?;
    output::print(&raw::dump(&domain, id))?;
    Ok(0)
}

pub fn niload(ctx: &Context, a: &Niload) -> anyhow::Result<i32> {
    let store: Store = ctx.domain(&a.domain)?;
    let mut text = String::new();
    std::io::stdin()
        .read_to_string(&mut text)
        .map_err(|e| Failure::new(1, format!("cannot read standard input: {e}")))?;
    // Parse fully before touching the store: bad input changes nothing.
    let tree = raw::parse(&text, "<stdin>")?;
    let mode = match (a.merge, a.delete) {
        (false, _) => raw::LoadMode::Replace,
        (true, false) => raw::LoadMode::Merge,
        (true, true) => raw::LoadMode::MergeDelete,
    };
    ctx.write(&store, |d| Ok(raw::load(d, &a.raw, &tree, mode)?))?;
    Ok(0)
}
