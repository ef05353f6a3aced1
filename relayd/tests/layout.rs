//! relayd's source stays readable: no file over 400 lines, and no cycle among its
//! modules (data flows one way: store -> settings -> compiled policy -> sessions ->
//! queue -> delivery). A module's edges are the `crate::` and `super::` paths it names.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const MAX_LINES: usize = 400;

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read relayd/src") {
        let path = entry.expect("dir entry").path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// `smtp/rcpt.rs` -> ["smtp", "rcpt"]; `smtp/mod.rs` -> ["smtp"]; `main.rs` -> [].
fn module_of(src: &Path, file: &Path) -> Vec<String> {
    let rel = file.strip_prefix(src).expect("under src");
    let mut parts: Vec<String> = rel
        .iter()
        .map(|p| p.to_string_lossy().trim_end_matches(".rs").to_string())
        .collect();
    if matches!(parts.last().map(String::as_str), Some("mod" | "main")) {
        parts.pop();
    }
    parts
}

/// The modules a file names, resolved against the set of known modules (the longest
/// known prefix of each path).
fn edges(text: &str, me: &[String], known: &BTreeSet<Vec<String>>) -> BTreeSet<Vec<String>> {
    let mut out = BTreeSet::new();
    // Code only: comments (doc comments cite modules) and the tests module are left out.
    let code: String = text
        .split("#[cfg(test)]")
        .next()
        .unwrap_or("")
        .lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n");
    let words = code.split(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'));
    for word in words {
        let segs: Vec<&str> = word.split("::").filter(|s| !s.is_empty()).collect();
        let mut path: Vec<String> = match segs.first() {
            Some(&"crate") => Vec::new(),
            Some(&"super") => me[..me.len().saturating_sub(1)].to_vec(),
            _ => continue,
        };
        let mut best = None;
        for seg in &segs[1..] {
            path.push(seg.to_string());
            if known.contains(&path) {
                best = Some(path.clone());
            }
        }
        if let Some(m) = best {
            if m != me {
                out.insert(m);
            }
        }
    }
    out
}

#[test]
fn no_file_is_over_400_lines_and_no_module_cycle() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    let mut too_long = Vec::new();
    let mut texts = BTreeMap::new();
    for f in &files {
        let text = std::fs::read_to_string(f).expect("read source");
        let n = text.lines().count();
        if n > MAX_LINES {
            too_long.push(format!("{} has {n} lines", f.display()));
        }
        texts.insert(module_of(&src, f), text);
    }
    assert!(too_long.is_empty(), "over {MAX_LINES} lines: {too_long:?}");
    let known: BTreeSet<Vec<String>> = texts.keys().cloned().collect();
    let graph: BTreeMap<Vec<String>, BTreeSet<Vec<String>>> = texts
        .iter()
        .map(|(m, t)| (m.clone(), edges(t, m, &known)))
        .collect();
    assert!(
        graph.values().map(BTreeSet::len).sum::<usize>() > 10,
        "the edge finder sees nothing: {graph:?}"
    );
    // Depth-first search for a back edge.
    fn visit(
        m: &Vec<String>,
        graph: &BTreeMap<Vec<String>, BTreeSet<Vec<String>>>,
        state: &mut BTreeMap<Vec<String>, u8>,
        stack: &mut Vec<Vec<String>>,
    ) -> Option<Vec<Vec<String>>> {
        match state.get(m) {
            Some(2) => return None,
            Some(1) => {
                let at = stack.iter().position(|s| s == m).unwrap_or(0);
                let mut cycle = stack[at..].to_vec();
                cycle.push(m.clone());
                return Some(cycle);
            }
            _ => {}
        }
        state.insert(m.clone(), 1);
        stack.push(m.clone());
        for next in graph.get(m).into_iter().flatten() {
            if let Some(c) = visit(next, graph, state, stack) {
                return Some(c);
            }
        }
        stack.pop();
        state.insert(m.clone(), 2);
        None
    }
    let mut state = BTreeMap::new();
    for m in graph.keys() {
        let cycle = visit(m, &graph, &mut state, &mut Vec::new());
        assert!(
            cycle.is_none(),
            "module cycle: {}",
            cycle
                .unwrap_or_default()
                .iter()
                .map(|p| p.join("::"))
                .collect::<Vec<_>>()
                .join(" -> ")
        );
    }
}
