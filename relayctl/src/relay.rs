//! `relayctl relay ...` and `relayctl auth ...`: the task-shaped commands. They write
//! the same keys an administrator would write with the niutil verbs.

use std::borrow::Cow;
use std::collections::HashSet;

use shared::textmap::TextSet;
use std::io::{IsTerminal, Read, Write};

use serde::Serialize;
use shared::decision;
use shared::hostlist::{parse_entry, HostList};
use shared::policy;
use shared::settings::{self, RelaySettings, APPLE_MAIL_SERVER, AUTH_FLAG, RELAY_FLAG, RELAY_LIST};
use shared::store::Domain;
use shared::trust::How;
use shared::users::Users;

use crate::cli::{AuthCommand, RelayCommand};
use crate::output::{self, Failure};
use crate::Context;

/// The recipient `relay check` asks about without --rcpt: one at a domain that is never
/// ours (RFC 2606 reserves `.invalid`), i.e. "may this client relay?".
pub const REMOTE_PROBE: &str = "relay-check@remote.invalid";

pub fn run(ctx: &Context, cmd: &RelayCommand) -> anyhow::Result<i32> {
    match cmd {
        RelayCommand::Enable => set_flag(ctx, RELAY_FLAG, true),
        RelayCommand::Disable => set_flag(ctx, RELAY_FLAG, false),
        RelayCommand::Add { entries } => add(ctx, entries),
        RelayCommand::Remove { entries } => remove(ctx, entries),
        RelayCommand::List => list(ctx, false),
        RelayCommand::Export => list(ctx, true),
        RelayCommand::Import {
            file,
            replace,
            skip_invalid,
            dry_run,
        } => import(
            ctx,
            file,
            ImportMode {
                replace: *replace,
                skip_invalid: *skip_invalid,
                dry_run: *dry_run,
                force: ctx.cli.force,
            },
        ),
        RelayCommand::Check {
            addr,
            user,
            rcpt,
            from,
            role,
        } => check(
            ctx,
            *addr,
            user.as_deref(),
            rcpt.as_deref(),
            from.as_deref(),
            (*role).into(),
        ),
    }
}

pub fn auth(ctx: &Context, cmd: &AuthCommand) -> anyhow::Result<i32> {
    match cmd {
        AuthCommand::Enable => set_flag(ctx, AUTH_FLAG, true),
        AuthCommand::Disable => set_flag(ctx, AUTH_FLAG, false),
    }
}

/// Sets one of the two flags; the write check refuses an open relay unless forced.
fn set_flag(ctx: &Context, key: &'static str, on: bool) -> anyhow::Result<i32> {
    let open = ctx.write(&ctx.local(), |d| {
        let id = settings::ensure_defaults(d)?;
        d.create_prop(id, key, vec![if on { "1" } else { "0" }.into()])?;
        Ok(RelaySettings::from_domain(d)?.is_open_relay())
    })?;
    if open {
        eprintln!("relayctl: warning: this server is an open relay");
    }
    Ok(0)
}

fn relay_list(domain: &Domain) -> Vec<String> {
    relay_list_ref(domain).into_owned()
}

/// The list as stored (borrowed: it may be 1,000,000 entries), or the default.
fn relay_list_ref(domain: &Domain) -> Cow<'_, [String]> {
    match domain
        .lookup(APPLE_MAIL_SERVER)
        .ok()
        .and_then(|d| d.values(RELAY_LIST))
    {
        Some(v) => Cow::Borrowed(v),
        None => Cow::Owned(
            settings::DEFAULT_RELAY_LIST
                .iter()
                .map(|s| s.to_string())
                .collect(),
        ),
    }
}

/// The canonical form of an entry, so `192.168.1.0/255.255.255.0` and `192.168.1.0/24`
/// count as the same; unparsable entries compare as written.
fn canonical(text: &str) -> Cow<'_, str> {
    let t = text.trim();
    // The common case, borrowed: std's parser takes a plain IPv4 address only in the
    // dotted-quad form that is also its canonical spelling (no leading zeros).
    if t.parse::<std::net::Ipv4Addr>().is_ok() {
        return Cow::Borrowed(t);
    }
    Cow::Owned(parse_entry(text).map_or_else(|_| t.to_string(), |e| e.to_string()))
}

/// The entries (trimmed) that no spelling on `list` already names, each once.
fn unlisted(list: &[String], entries: &[String]) -> Vec<String> {
    let mut fresh: Vec<(String, String)> = Vec::new();
    if entries.len() <= 8 {
        // A few entries against a long list: compared in place, without hashing the
        // whole list into a set.
        for e in entries {
            let canon = canonical(e).into_owned();
            if !fresh.iter().any(|(_, c)| *c == canon) {
                fresh.push((e.trim().to_string(), canon));
            }
        }
        for e in list {
            let c = canonical(e);
            fresh.retain(|(_, f)| *f != c);
            if fresh.is_empty() {
                break;
            }
        }
        return fresh.into_iter().map(|(text, _)| text).collect();
    }
    let mut seen: HashSet<Cow<'_, str>> = list.iter().map(|e| canonical(e)).collect();
    // Also drops a second spelling of the same entry within this one command.
    entries
        .iter()
        .map(|e| e.trim().to_string())
        .filter(|e| seen.insert(Cow::Owned(canonical(e).into_owned())))
        .collect()
}

fn add(ctx: &Context, entries: &[String]) -> anyhow::Result<i32> {
    let bad: Vec<String> = entries
        .iter()
        .filter_map(|e| parse_entry(e).err().map(|err| err.to_string()))
        .collect();
    if !bad.is_empty() && !ctx.cli.force {
        return Err(
            Failure::new(1, format!("refused, nothing written: {}", bad.join("; "))).into(),
        );
    }
    // Only name entries are looked up, and only they need the resolver settings.
    let names = entries
        .iter()
        .any(|e| parse_entry(e).is_ok_and(|x| !x.is_numeric()));
    if !ctx.cli.force && names {
        let domain = ctx.local().load()?;
        let dead = crate::names::unresolvable(&domain, &ctx.cli.store, entries)?;
        if !dead.is_empty() {
            return Err(Failure::new(
                1,
                format!(
                    "refused, nothing written: {} (relayd would leave it out; pass --force to write it anyway)",
                    dead.join("; ")
                ),
            )
            .into());
        }
    }
    let added = ctx.write_list(&ctx.local(), |d| {
        let id = settings::ensure_defaults(d)?;
        let new = unlisted(&relay_list_ref(d), entries);
        // `new` holds no spelling of an entry already listed, so appending is merging.
        let added = new.len();
        d.append_prop(id, RELAY_LIST, new)?;
        Ok(added)
    })?;
    let present = entries.len() - added;
    if ctx.json() {
        output::json(&serde_json::json!({ "added": added, "present": present }))?;
    } else {
        output::print(&format!("added {added}, already present {present}\n"))?;
    }
    Ok(0)
}

fn remove(ctx: &Context, entries: &[String]) -> anyhow::Result<i32> {
    let canon: Vec<Cow<'_, str>> = entries.iter().map(|e| canonical(e)).collect();
    let wanted: TextSet<'_> = canon.iter().map(|c| c.as_ref()).collect();
    let (removed, missing) = ctx.write_list(&ctx.local(), |d| {
        let id = settings::ensure_defaults(d)?;
        let doomed: Vec<String> = relay_list_ref(d)
            .iter()
            .filter(|e| wanted.contains(&canonical(e)))
            .cloned()
            .collect();
        let found: HashSet<Cow<'_, str>> = doomed.iter().map(|e| canonical(e)).collect();
        let missing: Vec<String> = entries
            .iter()
            .filter(|e| !found.contains(&canonical(e)))
            .cloned()
            .collect();
        Ok((d.destroy_vals(id, RELAY_LIST, &doomed)?, missing))
    })?;
    for m in &missing {
        eprintln!("relayctl: {m}: not on the list");
    }
    if ctx.json() {
        output::json(&serde_json::json!({ "removed": removed, "missing": missing }))?;
    } else {
        output::print(&format!("removed {removed}\n"))?;
    }
    Ok(0)
}

#[derive(Serialize)]
struct ListedEntry<'a> {
    entry: &'a str,
    kind: &'static str,
    canonical: Option<String>,
    error: Option<String>,
}

fn list(ctx: &Context, export: bool) -> anyhow::Result<i32> {
    let domain = ctx.local().load()?;
    let entries = relay_list(&domain);
    if ctx.json() {
        let rows: Vec<_> = entries
            .iter()
            .map(|e| match parse_entry(e) {
                Ok(p) => ListedEntry {
                    entry: e,
                    kind: kind(&p),
                    canonical: Some(p.to_string()),
                    error: None,
                },
                Err(err) => ListedEntry {
                    entry: e,
                    kind: "invalid",
                    canonical: None,
                    error: Some(err.reason().to_string()),
                },
            })
            .collect();
        output::json(&rows)?;
        return Ok(0);
    }
    let mut out = String::new();
    if export {
        out.push_str(&format!(
            "# {RELAY_LIST} of {}, serial {}\n",
            ctx.cli.store.display(),
            domain.serial()
        ));
    }
    for e in &entries {
        out.push_str(e);
        out.push('\n');
        if let Err(err) = parse_entry(e) {
            eprintln!("relayctl: warning: {err} (relayd skips this entry)");
        }
    }
    output::print(&out)?;
    Ok(0)
}

fn kind(e: &shared::hostlist::Entry) -> &'static str {
    use shared::hostlist::Entry;
    match e {
        Entry::Addr(_) => "address",
        Entry::Net(_) => "network",
        Entry::Range { .. } => "range",
        Entry::Name(_) => "name",
        Entry::Subdomain(_) => "subdomains",
    }
}

struct ImportMode {
    replace: bool,
    skip_invalid: bool,
    dry_run: bool,
    force: bool,
}

/// A progress bar on standard error, drawn only on a terminal.
struct Progress {
    total: usize,
    shown: usize,
    on: bool,
}

impl Progress {
    fn new(total: usize) -> Progress {
        Progress {
            total,
            shown: usize::MAX,
            on: std::io::stderr().is_terminal() && total >= 1000,
        }
    }

    fn tick(&mut self, done: usize) {
        if !self.on {
            return;
        }
        let pct = done * 100 / self.total.max(1);
        if pct != self.shown {
            self.shown = pct;
            let bar = "=".repeat(pct / 4);
            eprint!(
                "\rreading entries [{bar:<25}] {pct:3}% ({done}/{})",
                self.total
            );
            let _ = std::io::stderr().flush();
        }
    }

    fn finish(&mut self) {
        if self.on {
            self.tick(self.total);
            eprintln!();
        }
    }
}

fn import(ctx: &Context, file: &str, mode: ImportMode) -> anyhow::Result<i32> {
    let (name, text) = if file == "-" {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(|e| Failure::new(1, format!("cannot read standard input: {e}")))?;
        ("<stdin>".to_string(), text)
    } else {
        let text = std::fs::read_to_string(file)
            .map_err(|e| Failure::new(1, format!("cannot read {file}: {e}")))?;
        (file.to_string(), text)
    };
    let lines: Vec<&str> = text.lines().collect();
    let mut progress = Progress::new(lines.len());
    let mut good = Vec::with_capacity(lines.len());
    let mut bad = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        if i % 1024 == 0 {
            progress.tick(i);
        }
        let entry = line.split('#').next().unwrap_or("").trim();
        if entry.is_empty() {
            continue;
        }
        match parse_entry(entry) {
            Ok(parsed) => good.push((i + 1, entry.to_string(), parsed.to_string())),
            Err(err) if mode.force => {
                eprintln!(
                    "relayctl: warning: {name}:{}: {} (written anyway: --force)",
                    i + 1,
                    err.reason()
                );
                good.push((i + 1, entry.to_string(), entry.to_string()));
            }
            Err(err) => bad.push(format!("{name}:{}: {}", i + 1, err)),
        }
    }
    progress.finish();
    if !mode.force {
        let domain = ctx.local().load()?;
        let texts: Vec<String> = good.iter().map(|(_, text, _)| text.clone()).collect();
        for dead in crate::names::unresolvable(&domain, &ctx.cli.store, &texts)? {
            let entry = dead.split(": ").next().unwrap_or("");
            if let Some(at) = good.iter().position(|(_, text, _)| text == entry) {
                let (line, _, _) = good.remove(at);
                bad.push(format!("{name}:{line}: {dead}"));
            }
        }
    }
    for b in &bad {
        eprintln!("{b}");
    }
    if !bad.is_empty() && !mode.skip_invalid {
        return Err(Failure::new(
            1,
            format!(
                "{} bad line(s) in {name}: nothing written (fix them, or pass --skip-invalid to write the good ones)",
                bad.len()
            ),
        )
        .into());
    }

    let plan = |current: &[String]| -> Plan {
        let current_canon: Vec<Cow<'_, str>> = current.iter().map(|e| canonical(e)).collect();
        let have: HashSet<&str> = current_canon.iter().map(|c| c.as_ref()).collect();
        let mut seen = HashSet::new();
        let mut added = Vec::new();
        let mut kept = Vec::new();
        for (_, text, canon) in &good {
            if !seen.insert(canon.clone()) {
                continue;
            }
            if have.contains(canon.as_str()) {
                kept.push(text.clone());
            } else {
                added.push(text.clone());
            }
        }
        let removed = if mode.replace {
            current
                .iter()
                .zip(&current_canon)
                .filter(|(_, c)| !seen.contains(c.as_ref()))
                .map(|(e, _)| e.clone())
                .collect()
        } else {
            Vec::new()
        };
        Plan {
            added,
            kept,
            removed,
        }
    };

    let plan = if mode.dry_run {
        plan(&relay_list(&ctx.local().load()?))
    } else {
        ctx.write(&ctx.local(), |d| {
            let id = settings::ensure_defaults(d)?;
            let current = relay_list(d);
            let p = plan(&current);
            if mode.replace {
                // Keep the file's order; entries already present keep their spelling.
                let mut new = Vec::with_capacity(p.kept.len() + p.added.len());
                let current_by_canon: std::collections::HashMap<Cow<'_, str>, &String> =
                    current.iter().map(|e| (canonical(e), e)).collect();
                let mut seen = HashSet::new();
                for (_, text, canon) in &good {
                    if seen.insert(canon.clone()) {
                        new.push(
                            current_by_canon
                                .get(canon.as_str())
                                .map_or_else(|| text.clone(), |e| (*e).clone()),
                        );
                    }
                }
                if new != current {
                    d.create_prop(id, RELAY_LIST, new)?;
                }
            } else if !p.added.is_empty() {
                d.append_prop(id, RELAY_LIST, p.added.clone())?;
            }
            Ok(p)
        })?
    };

    if ctx.json() {
        output::json(&serde_json::json!({
            "dry_run": mode.dry_run,
            "added": plan.added,
            "removed": plan.removed,
            "unchanged": plan.kept.len(),
            "invalid": bad,
        }))?;
    } else {
        let mut out = String::new();
        if mode.dry_run {
            for a in &plan.added {
                out.push_str(&format!("+ {a}\n"));
            }
            for r in &plan.removed {
                out.push_str(&format!("- {r}\n"));
            }
        }
        out.push_str(&format!(
            "{}{} added, {} removed, {} already present, {} invalid skipped\n",
            if mode.dry_run {
                "dry run (nothing written): "
            } else {
                ""
            },
            plan.added.len(),
            plan.removed.len(),
            plan.kept.len(),
            bad.len()
        ));
        output::print(&out)?;
    }
    Ok(0)
}

struct Plan {
    added: Vec<String>,
    kept: Vec<String>,
    removed: Vec<String>,
}

#[derive(Serialize)]
struct CheckReport<'a> {
    client: String,
    role: &'static str,
    trusted_by: Option<&'a str>,
    user: Option<&'a str>,
    recipient: &'a str,
    recipient_class: String,
    accept: bool,
    code: u16,
    enhanced: &'static str,
    rule: &'static str,
    reply: &'a str,
    reason: &'a str,
    /// How an accepted remote recipient's mail leaves (absent for local or refused).
    outbound: Option<shared::outbound::Outbound>,
    notes: Vec<String>,
}

/// `relay check`: the decision relayd would make for this RCPT, from the same function
/// (`shared::decision::rcpt`) with the same inputs: the settings of the store, the
/// listener's role, the trust found by `shared::trust::lookup`, and the user.
fn check(
    ctx: &Context,
    addr: std::net::IpAddr,
    user: Option<&str>,
    rcpt: Option<&str>,
    from: Option<&str>,
    role: shared::settings::Role,
) -> anyhow::Result<i32> {
    let domain = ctx.local().load()?;
    let s = RelaySettings::from_domain(&domain)?;
    let compiled = HostList::compile(s.relay_list.iter().map(String::as_str));
    let users = Users::from_domain(&domain);
    let mut notes = Vec::new();
    // With the restriction off the list is not in force, and its names are not asked.
    let trust = if s.restrict_relay {
        crate::names::trust(&domain, &ctx.cli.store, &compiled.list, addr)?
    } else {
        None
    };
    if let Some(t) = &trust {
        if t.how != How::Listed {
            notes.push(format!("trusted by name: {t}"));
        }
    }
    // A user counts only if a real client could log in as it.
    let user = user.and_then(|name| {
        if users.can_log_in(name) {
            Some(Users::canonical(name))
        } else {
            notes.push(format!(
                "no user {name} with a usable password: checked as not authenticated"
            ));
            None
        }
    });
    for r in &compiled.rejected {
        notes.push(format!("entry {} is skipped: {}", r.text, r.reason));
    }
    if s.restrict_relay {
        if let Some(why) = shared::trust::trusts_everyone(&compiled.list) {
            notes.push(format!("OPEN RELAY: {why}"));
        }
    }
    if !s.defaulted.is_empty() {
        notes.push(format!(
            "not set in the store, assumed as relayd would create them: {}",
            s.defaulted.join(", ")
        ));
    }
    let recipient = rcpt.unwrap_or(REMOTE_PROBE);
    let policy = s.policy();
    let d = decision::rcpt(
        &decision::Request {
            settings: &policy,
            role,
            client: addr.to_canonical(),
            trust: trust.as_ref(),
            user: user.as_deref(),
            users: &users,
        },
        recipient,
    );
    if let Some(unknown) = &d.unknown_user {
        notes.push(format!(
            "relayd then refuses the message at DATA: {}",
            decision::unknown_user_reply(unknown)
        ));
    }
    let class = match &d.recipient {
        policy::RecipientClass::Local { .. } => "local".to_string(),
        policy::RecipientClass::Remote { domain } => format!("remote: {domain}"),
        policy::RecipientClass::RelayTrick { kind, detail } => {
            format!("relay trick: {kind} ({detail})")
        }
        policy::RecipientClass::Invalid { reason } => format!("invalid: {reason}"),
    };
    let trusted_by = trust.as_ref().map(|t| t.entry.as_str());
    let outbound = match (&d.recipient, d.accept) {
        (policy::RecipientClass::Remote { domain: to }, true) => {
            match shared::settings::DaemonSettings::from_domain(&domain, &ctx.cli.store) {
                Ok(daemon) => Some(shared::outbound::describe(&daemon, to, from)),
                Err(e) => {
                    notes.push(format!("the outbound path is unknown: {e}"));
                    None
                }
            }
        }
        _ => None,
    };
    if ctx.json() {
        output::json(&CheckReport {
            client: addr.to_string(),
            role: role.as_str(),
            trusted_by,
            user: user.as_deref(),
            recipient,
            recipient_class: class,
            accept: d.accept,
            code: d.code,
            enhanced: d.enhanced,
            rule: d.rule,
            reply: &d.reply,
            reason: &d.reason,
            outbound,
            notes,
        })?;
    } else {
        let mut out = format!(
            "client:    {addr}{}\nlistener:  {}\nuser:      {}\nrecipient: {recipient} ({class})\ndecision:  {}\nreply:     {}\nreason:    {}\n",
            trusted_by
                .map(|m| format!(" (matches {RELAY_LIST} entry {m})"))
                .unwrap_or_default(),
            role.as_str(),
            user.as_deref().unwrap_or("(not authenticated)"),
            if d.accept { "accept" } else { "refuse" },
            d.reply,
            d.reason
        );
        if let Some(o) = &outbound {
            out.push_str(&format!(
                "next hop:  {}\ntls:       {}\nauth:      {}\nsender:    {}\nsignature: {}\n",
                o.next_hop, o.tls, o.auth, o.sender, o.signature
            ));
        }
        for n in &notes {
            out.push_str(&format!("note:      {n}\n"));
        }
        output::print(&out)?;
    }
    Ok(if d.accept { 0 } else { 1 })
}

#[cfg(test)]
mod tests {
    use super::canonical;

    #[test]
    fn the_borrowed_fast_path_agrees_with_the_parser() {
        for e in ["10.0.0.1", " 192.168.1.20 ", "0.0.0.0", "255.255.255.255"] {
            let slow = shared::hostlist::parse_entry(e).unwrap().to_string();
            assert!(matches!(canonical(e), std::borrow::Cow::Borrowed(_)), "{e}");
            assert_eq!(canonical(e), slow, "{e}");
        }
        // Not plain dotted quads: the parser decides.
        assert_eq!(
            canonical("192.168.1.0/255.255.255.0"),
            canonical("192.168.1.0/24")
        );
        assert!(matches!(canonical("010.0.0.1"), std::borrow::Cow::Owned(_)));
    }
}
