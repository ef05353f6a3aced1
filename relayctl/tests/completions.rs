//! The shell completions in `completions/` are generated from the command-line
//! definitions, like the man page, so they cannot drift from `--help`. This test renders
//! them and compares; `UPDATE_COMPLETIONS=1 cargo test -p relayctl --test completions`
//! rewrites them after a change to the CLI. `make install` installs them.

use clap::CommandFactory;
use clap_complete::{generate, Shell};
use relayctl::cli::Cli;

const FILES: [(Shell, &str); 3] = [
    (Shell::Bash, "relayctl.bash"),
    (Shell::Zsh, "_relayctl"),
    (Shell::Fish, "relayctl.fish"),
];

#[test]
fn completions_are_current() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../completions");
    let mut stale = Vec::new();
    for (shell, name) in FILES {
        let mut out = Vec::new();
        generate(shell, &mut Cli::command(), "relayctl", &mut out);
        let path = dir.join(name);
        if std::env::var_os("UPDATE_COMPLETIONS").is_some() {
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(&path, &out).unwrap();
            continue;
        }
        if std::fs::read(&path).ok().as_deref() != Some(out.as_slice()) {
            stale.push(path.display().to_string());
        }
    }
    assert!(
        stale.is_empty(),
        "stale completions {stale:?}: run UPDATE_COMPLETIONS=1 cargo test -p relayctl --test completions"
    );
}
