//! `relayctl dkim keygen`: a new DKIM key in the store folder (mode 0640: relayd's
//! group reads it) and the TXT record to publish. Signing is not turned on by keygen:
//! mail signed before the record is in DNS fails verification, so it prints the
//! `relayctl dkim enable` line to run once the record is published. `enable` writes the
//! three keys in one write (each alone would be refused), `disable` removes them.

use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;

use crate::cli::{DkimAlgorithm, DkimCommand};
use crate::output::{self, Failure};
use crate::Context;

const KEYS: [&str; 3] = ["dkim_domain", "dkim_selector", "dkim_key"];

pub fn run(ctx: &Context, command: &DkimCommand) -> anyhow::Result<i32> {
    match command {
        DkimCommand::Keygen {
            domain,
            selector,
            algorithm,
            bits,
            out,
        } => keygen(ctx, domain, selector, *algorithm, *bits, out.as_deref()),
        DkimCommand::Enable {
            domain,
            selector,
            key,
        } => enable(ctx, domain, selector, key),
        DkimCommand::Disable => {
            ctx.write(&ctx.local(), |d| {
                if let Ok(id) = d.resolve(shared::settings::RELAYD) {
                    let present: Vec<String> = KEYS
                        .iter()
                        .filter(|k| d.dir(id).and_then(|dir| dir.property(k)).is_some())
                        .map(|k| k.to_string())
                        .collect();
                    if !present.is_empty() {
                        d.destroy_props(id, &present)?;
                    }
                }
                Ok(())
            })?;
            Ok(0)
        }
    }
}

fn enable(
    ctx: &Context,
    domain: &str,
    selector: &str,
    key: &std::path::Path,
) -> anyhow::Result<i32> {
    let key = std::path::absolute(key)?;
    // The key is read here as relayd will read it, so a bad file is refused now.
    let loaded = shared::dkim::Dkim::load(domain, selector, &key)?;
    ctx.write(&ctx.local(), |d| {
        let id = d.create(shared::settings::RELAYD)?;
        d.create_prop(id, KEYS[0], vec![loaded.domain.clone()])?;
        d.create_prop(id, KEYS[1], vec![selector.to_string()])?;
        d.create_prop(id, KEYS[2], vec![key.display().to_string()])?;
        Ok(())
    })?;
    output::print(&format!(
        "signing mail to MX hosts from @{} (and below) with {} s={selector}\n",
        loaded.domain, loaded.algorithm
    ))?;
    Ok(0)
}

fn keygen(
    ctx: &Context,
    domain: &str,
    selector: &str,
    algorithm: DkimAlgorithm,
    bits: usize,
    out: Option<&std::path::Path>,
) -> anyhow::Result<i32> {
    let domain = shared::settings::normalize_domain(domain);
    let ed25519 = matches!(algorithm, DkimAlgorithm::Ed25519);
    if !ed25519 && !(1024..=8192).contains(&bits) {
        return Err(Failure::new(
            1,
            "--bits must be from 1024 to 8192 (2048 is the usual size)",
        )
        .into());
    }
    let path = out
        .map(std::path::Path::to_path_buf)
        .unwrap_or_else(|| ctx.cli.store.join(format!("dkim-{selector}.key")));
    if path.exists() && !ctx.cli.force {
        return Err(Failure::new(
            1,
            format!("{} exists: nothing written (pass --force to replace it; mail signed with the old key then fails to verify)", path.display()),
        )
        .into());
    }
    let (pem, record) = shared::dkim::generate(ed25519, bits)?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(true)
        .write(true)
        .mode(0o640)
        .open(&path)
        .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    file.write_all(pem.as_bytes())?;
    file.sync_all()?;
    let name = format!("{selector}._domainkey.{domain}");
    if ctx.json() {
        output::json(&serde_json::json!({
            "key_file": path.display().to_string(),
            "algorithm": if ed25519 { "ed25519-sha256" } else { "rsa-sha256" },
            "record_name": name,
            "record": record,
        }))?;
        return Ok(0);
    }
    // A zone file takes a long value as several quoted strings of at most 255 bytes.
    let quoted: Vec<String> = record
        .as_bytes()
        .chunks(255)
        .map(|c| format!("\"{}\"", String::from_utf8_lossy(c)))
        .collect();
    let key = path.display();
    output::print(&format!(
        "wrote {key} ({})\n\npublish this TXT record, then turn signing on:\n\n{name}. IN TXT {}\n\n\
         relayctl dkim enable --domain {domain} --selector {selector} --key {key}\n",
        if ed25519 { "ed25519-sha256".to_string() } else { format!("rsa-sha256, {bits} bits") },
        quoted.join(" ")
    ))?;
    Ok(0)
}
