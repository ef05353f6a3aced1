//! `man/relayctl.8` is generated from the command-line definitions, so it cannot drift
//! from `--help`. This test renders it and compares; `UPDATE_MAN=1 cargo test -p relayctl
//! --test man` rewrites the file after a change to the CLI.

use clap::CommandFactory;
use relayctl::cli::Cli;

/// Escapes text for roff: backslashes, hyphens (so they print as ASCII), and a leading
/// `.` or `'` that would read as a request.
fn roff(text: &str) -> String {
    let mut out = String::new();
    for line in text.lines() {
        let escaped = line.replace('\\', "\\e").replace('-', "\\-");
        if escaped.starts_with('.') || escaped.starts_with('\'') {
            out.push_str("\\&");
        }
        out.push_str(&escaped);
        out.push('\n');
    }
    out
}

fn arg_label(arg: &clap::Arg) -> String {
    let value = arg
        .get_value_names()
        .and_then(|v| v.first())
        .map(|v| v.to_string())
        .unwrap_or_else(|| arg.get_id().as_str().to_uppercase());
    let value = value.replace('-', "\\-");
    let long = arg.get_long().map(|l| l.replace('-', "\\-"));
    let takes_value = arg.get_action().takes_values();
    match (arg.get_short(), long) {
        (Some(s), _) if takes_value => format!("\\fB\\-{s}\\fR \\fI{value}\\fR"),
        (Some(s), _) => format!("\\fB\\-{s}\\fR"),
        (None, Some(l)) if takes_value => format!("\\fB\\-\\-{l}\\fR \\fI{value}\\fR"),
        (None, Some(l)) => format!("\\fB\\-\\-{l}\\fR"),
        (None, None) => format!("\\fI{value}\\fR"),
    }
}

/// One `.SS` per command, recursively: usage, description, arguments.
fn commands(cmd: &clap::Command, prefix: &str, out: &mut String) {
    for sub in cmd.get_subcommands() {
        if sub.get_name() == "help" {
            continue;
        }
        let name = format!("{prefix} {}", sub.get_name());
        if sub.has_subcommands() {
            out.push_str(&format!(".SS \"{}\"\n", roff(&name).trim_end()));
            if let Some(about) = sub.get_about() {
                out.push_str(&roff(&about.to_string()));
            }
            commands(sub, &name, out);
            continue;
        }
        let usage = sub
            .clone()
            .bin_name(&name)
            .render_usage()
            .to_string()
            .replace("Usage: ", "");
        out.push_str(&format!(".SS \"{}\"\n", roff(&usage).trim_end()));
        if let Some(about) = sub.get_long_about().or(sub.get_about()) {
            out.push_str(&roff(&about.to_string()));
        }
        for arg in sub.get_arguments() {
            if arg.is_global_set()
                || arg.is_hide_set()
                || ["help", "version"].contains(&arg.get_id().as_str())
            {
                continue;
            }
            out.push_str(".TP\n");
            out.push_str(&arg_label(arg));
            out.push('\n');
            let help = arg.get_help().map(|h| h.to_string()).unwrap_or_default();
            out.push_str(&roff(if help.is_empty() {
                "(see above)"
            } else {
                &help
            }));
        }
    }
}

fn render() -> String {
    let cmd = Cli::command();
    let man = clap_mangen::Man::new(cmd.clone()).section("8").date("2026");
    let mut head = Vec::new();
    man.render_title(&mut head).unwrap();
    man.render_name_section(&mut head).unwrap();
    man.render_synopsis_section(&mut head).unwrap();
    man.render_description_section(&mut head).unwrap();
    man.render_options_section(&mut head).unwrap();
    let mut out = String::from_utf8(head).unwrap();
    out.push_str(".SH COMMANDS\n");
    out.push_str(&roff(
        "niutil's verbs may be written with niutil's leading dash (-createprop) or without it (createprop). DOMAIN is . for the local store or / for the parent store. PATH is a NetInfo path (/config/AppleMailServer, /name=users/uid=501, a\\/b for a name holding a slash) or a numeric directory id.",
    ));
    commands(&cmd, "relayctl", &mut out);
    let mut tail = Vec::new();
    man.render_extra_section(&mut tail).unwrap();
    out.push_str(&String::from_utf8(tail).unwrap());
    out.push_str(".SH ENVIRONMENT\n.TP\n\\fBRELAY_STORE\\fR\nThe store folder of the local domain (as \\fB\\-\\-store\\fR).\n.TP\n\\fBRELAY_PARENT_STORE\\fR\nThe store folder of the parent domain (as \\fB\\-\\-parent\\-store\\fR).\n");
    out.push_str(".SH SEE ALSO\n\\fBrelay\\-store\\fR(5), \\fBniutil\\fR(1)\n");
    out
}

#[test]
fn man_page_matches_the_cli() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../man/relayctl.8");
    let want = render();
    if std::env::var_os("UPDATE_MAN").is_some() {
        std::fs::write(path, &want).unwrap();
    }
    let have = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        have == want,
        "man/relayctl.8 is out of date: run `UPDATE_MAN=1 cargo test -p relayctl --test man`"
    );
    // Every command and flag appears in it.
    for verb in relayctl::cli::NIUTIL_VERBS {
        assert!(want.contains(&format!("relayctl {verb}")), "{verb} missing");
    }
    for word in [
        "relayctl relay import",
        "relayctl relay check",
        "\\-\\-skip\\-invalid",
        "\\-\\-dry\\-run",
        "\\-\\-force",
        "\\-\\-json",
        "EXIT STATUS",
    ] {
        assert!(want.contains(word), "{word} missing");
    }
}
