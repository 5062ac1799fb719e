//! The tracing tables in the guides list exactly the events the code emits: the same
//! level, message and fields, no event missing and none that is never emitted.
//!
//! Reads the sources and the guides as text: every `tracing::<level>!(..)` call of
//! hardy-redis against the `hardy_redis` table in docs/redis.md, and of hardy-connection
//! against the table in docs/connection.md.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

/// (level, message, fields), e.g. ("WARN", "disconnected", "peer, reason").
type Event = (String, String, String);

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The arguments of the macro call starting at `text[0] == '('`, split at top-level
/// commas (string literals and brackets respected), and where the call ends.
fn call_args(text: &str) -> Vec<String> {
    let (mut depth, mut in_str, mut escaped) = (0usize, false, false);
    let mut args = vec![String::new()];
    for c in text.chars() {
        if in_str {
            args.last_mut().unwrap().push(c);
            match (escaped, c) {
                (false, '\\') => escaped = true,
                (false, '"') => in_str = false,
                _ => escaped = false,
            }
            continue;
        }
        match c {
            '"' => in_str = true,
            '(' | '[' | '{' => {
                depth += 1;
                if depth == 1 {
                    continue;
                }
            }
            ')' | ']' | '}' => {
                depth -= 1;
                if depth == 0 {
                    break;
                }
            }
            ',' if depth == 1 => {
                args.push(String::new());
                continue;
            }
            _ => {}
        }
        args.last_mut().unwrap().push(c);
    }
    args.into_iter()
        .map(|a| a.trim().to_string())
        .filter(|a| !a.is_empty())
        .collect()
}

fn emitted(crate_dir: &str) -> BTreeSet<Event> {
    let mut files = Vec::new();
    rust_files(&root().join(crate_dir).join("src"), &mut files);
    let mut events = BTreeSet::new();
    for file in files {
        let source = fs::read_to_string(&file).unwrap();
        for (at, _) in source.match_indices("tracing::") {
            let rest = &source[at + "tracing::".len()..];
            let Some(bang) = rest.find("!(") else {
                continue;
            };
            let level = &rest[..bang];
            if !["error", "warn", "info", "debug", "trace"].contains(&level) {
                continue;
            }
            let mut message = None;
            let mut fields = Vec::new();
            for arg in call_args(&rest[bang + 1..]) {
                if arg.starts_with("target:") {
                    continue;
                } else if let Some(text) = arg.strip_prefix('"') {
                    message = Some(text.trim_end_matches('"').to_string());
                } else {
                    let name = arg.split('=').next().unwrap().trim();
                    fields.push(name.to_string());
                }
            }
            fields.sort();
            let message = message.unwrap_or_else(|| panic!("{file:?}: no message in {rest:.80}"));
            events.insert((level.to_uppercase(), message, fields.join(", ")));
        }
    }
    events
}

/// The rows of the first table after `heading` in `guide`: level, message, fields.
fn documented(guide: &str, heading: &str) -> BTreeSet<Event> {
    let text = fs::read_to_string(root().join("docs").join(guide)).unwrap();
    let start = text
        .find(heading)
        .unwrap_or_else(|| panic!("{heading} in {guide}"));
    let mut rows = BTreeSet::new();
    let mut in_table = false;
    for line in text[start..].lines() {
        if !line.starts_with('|') {
            if in_table {
                break;
            }
            continue;
        }
        in_table = true;
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        let (level, message, fields) = (cells[1], cells[2], cells[3]);
        if level == "level" || level.starts_with("---") {
            continue;
        }
        let mut fields: Vec<String> = fields
            .split(',')
            .map(|f| f.trim().trim_matches('`').to_string())
            .filter(|f| !f.is_empty())
            .collect();
        fields.sort();
        let message = message.trim_matches('`').to_string();
        rows.insert((level.to_string(), message, fields.join(", ")));
    }
    rows
}

fn assert_same(code: BTreeSet<Event>, docs: BTreeSet<Event>, guide: &str) {
    let missing: Vec<_> = code.difference(&docs).collect();
    let never: Vec<_> = docs.difference(&code).collect();
    assert!(
        missing.is_empty() && never.is_empty(),
        "{guide}: emitted but not documented: {missing:#?}\ndocumented but never emitted: {never:#?}"
    );
}

#[test]
fn the_redis_guide_lists_exactly_the_events_hardy_redis_emits() {
    assert_same(
        emitted("crates/hardy-redis"),
        documented("redis.md", "The driver adds its own under `hardy_redis`"),
        "docs/redis.md",
    );
}

#[test]
fn the_connection_guide_lists_exactly_the_events_hardy_connection_emits() {
    assert_same(
        emitted("crates/hardy-connection"),
        documented("connection.md", "## Tracing events"),
        "docs/connection.md",
    );
}
