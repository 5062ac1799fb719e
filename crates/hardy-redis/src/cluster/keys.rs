//! Which arguments of a command are keys, so it is routed by the right slot.
//!
//! Guessing "the first argument" routes `XREAD COUNT 10 STREAMS s 0` by `COUNT` and
//! `EVAL script 1 k` by the script. The table here is read from the server at connect
//! (`COMMAND`: each command's and subcommand's first key, last key and step), so it is
//! right for every command the server knows, modules included. Commands whose keys move
//! (`movablekeys`: `EVAL`, `XREAD`, `ZUNIONSTORE`, `SORT … STORE`, …) add a rule of
//! their own below. A server that refuses `COMMAND` (an ACL) leaves an empty table:
//! then the rules below still apply, and any other command is routed by its first
//! argument.

use std::collections::{HashMap, HashSet};

use crate::resp::Frame;
use crate::Cmd;

/// Where a command's keys are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct KeyRange {
    /// Argument index of the first key (0 = the name): 0 when keyless.
    first: usize,
    /// Index of the last key; negative counts from the end (-1 = last argument).
    last: i64,
    step: usize,
}

/// The key table: command name (upper case; `NAME|SUB` for subcommands) to key range.
#[derive(Debug, Clone, Default)]
pub(crate) struct KeyTable {
    ranges: HashMap<String, KeyRange>,
    /// Commands with subcommands (`XINFO`, `OBJECT`, …): looked up as `NAME|SUB`.
    containers: HashSet<String>,
    /// Commands flagged `readonly`: a replica may serve them.
    readonly: HashSet<String>,
}

impl KeyTable {
    /// The table from a `COMMAND` reply; entries it cannot read are skipped.
    pub(crate) fn from_command_reply(reply: &Frame) -> KeyTable {
        let mut table = KeyTable::default();
        for entry in reply.as_slice().unwrap_or_default() {
            table.add(entry);
        }
        table
    }

    fn add(&mut self, entry: &Frame) {
        let Some(fields) = entry.as_slice() else {
            return;
        };
        let name = fields
            .first()
            .and_then(Frame::as_str)
            .map(str::to_uppercase);
        let int = |i: usize| fields.get(i).and_then(Frame::as_integer);
        if let (Some(name), Some(first), Some(last), Some(step)) = (name, int(3), int(4), int(5)) {
            let range = KeyRange {
                first: usize::try_from(first).unwrap_or(0),
                last,
                step: usize::try_from(step).unwrap_or(1).max(1),
            };
            self.ranges.insert(name.clone(), range);
            let flags = fields.get(2).and_then(Frame::as_slice).unwrap_or_default();
            if flags.iter().any(|f| f.as_str() == Some("readonly")) {
                self.readonly.insert(name.clone());
            }
            let subcommands = fields.get(9).and_then(Frame::as_slice).unwrap_or_default();
            if !subcommands.is_empty() {
                self.containers.insert(name);
                for sub in subcommands {
                    self.add(sub);
                }
            }
        }
    }

    /// Whether the server flags `cmd` `readonly` (so a replica may answer it). Commands
    /// with subcommands are never sent to replicas.
    pub(crate) fn is_readonly(&self, cmd: &Cmd) -> bool {
        self.readonly.contains(cmd.name())
    }

    /// The keys of `cmd`, in argument order.
    pub(crate) fn keys<'a>(&self, cmd: &'a Cmd) -> Vec<&'a [u8]> {
        let args: Vec<&[u8]> = cmd.args().collect();
        let name = cmd.name();
        if let Some(keys) = movable_keys(name, &args) {
            return keys;
        }
        let range = if self.containers.contains(name) {
            let sub = args
                .get(1)
                .map(|s| String::from_utf8_lossy(s).to_uppercase());
            sub.and_then(|sub| self.ranges.get(&format!("{name}|{sub}")))
        } else {
            self.ranges.get(name)
        };
        match range {
            Some(range) => range.pick(&args),
            // Unknown to the server's table: the conventional first-argument key.
            None if self.ranges.is_empty() => args.get(1).copied().into_iter().collect(),
            None => Vec::new(),
        }
    }
}

impl KeyRange {
    fn pick<'a>(&self, args: &[&'a [u8]]) -> Vec<&'a [u8]> {
        if self.first == 0 {
            return Vec::new();
        }
        let last = if self.last < 0 {
            args.len() as i64 + self.last
        } else {
            self.last
        };
        let Ok(last) = usize::try_from(last) else {
            return Vec::new();
        };
        (self.first..=last.min(args.len().saturating_sub(1)))
            .step_by(self.step)
            .filter_map(|i| args.get(i).copied())
            .collect()
    }
}

/// Keys of the commands whose key positions depend on their arguments.
fn movable_keys<'a>(name: &str, args: &[&'a [u8]]) -> Option<Vec<&'a [u8]>> {
    let keys = match name {
        "EVAL" | "EVALSHA" | "EVAL_RO" | "EVALSHA_RO" | "FCALL" | "FCALL_RO" => counted(args, 2),
        "ZUNION" | "ZINTER" | "ZDIFF" | "ZINTERCARD" | "SINTERCARD" | "LMPOP" | "ZMPOP" => {
            counted(args, 1)
        }
        "BLMPOP" | "BZMPOP" => counted(args, 2),
        "ZUNIONSTORE" | "ZINTERSTORE" | "ZDIFFSTORE" => {
            let mut keys: Vec<&[u8]> = args.get(1).copied().into_iter().collect();
            keys.extend(counted(args, 2));
            keys
        }
        "XREAD" | "XREADGROUP" => {
            let streams = args
                .iter()
                .position(|a| a.eq_ignore_ascii_case(b"STREAMS"))?;
            let rest = &args[streams + 1..];
            rest[..rest.len() / 2].to_vec()
        }
        "SORT" | "SORT_RO" | "GEORADIUS" | "GEORADIUSBYMEMBER" => {
            let mut keys: Vec<&[u8]> = args.get(1).copied().into_iter().collect();
            for (i, arg) in args.iter().enumerate().skip(2) {
                if arg.eq_ignore_ascii_case(b"STORE") || arg.eq_ignore_ascii_case(b"STOREDIST") {
                    keys.extend(args.get(i + 1).copied());
                }
            }
            keys
        }
        _ => return None,
    };
    Some(keys)
}

/// `numkeys` at argument `at`, then that many keys.
fn counted<'a>(args: &[&'a [u8]], at: usize) -> Vec<&'a [u8]> {
    let n = args
        .get(at)
        .and_then(|n| std::str::from_utf8(n).ok()?.parse::<usize>().ok())
        .unwrap_or(0);
    args.iter().skip(at + 1).take(n).copied().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cmd;

    fn entry(name: &str, first: i64, last: i64, step: i64) -> Frame {
        let flags = if name == "get" {
            vec![Frame::simple("readonly")]
        } else {
            vec![]
        };
        Frame::Array(vec![
            Frame::bulk(name.to_owned()),
            Frame::Integer(-2),
            Frame::Array(flags),
            Frame::Integer(first),
            Frame::Integer(last),
            Frame::Integer(step),
        ])
    }

    fn table() -> KeyTable {
        let mut xinfo = match entry("xinfo", 0, 0, 0) {
            Frame::Array(f) => f,
            _ => unreachable!(),
        };
        xinfo.extend([Frame::Null, Frame::Null, Frame::Null]);
        xinfo.push(Frame::Array(vec![entry("xinfo|stream", 2, 2, 1)]));
        KeyTable::from_command_reply(&Frame::Array(vec![
            entry("get", 1, 1, 1),
            entry("mset", 1, -1, 2),
            entry("ping", 0, 0, 0),
            Frame::Array(xinfo),
        ]))
    }

    fn keys(t: &KeyTable, c: Cmd) -> Vec<String> {
        t.keys(&c)
            .into_iter()
            .map(|k| String::from_utf8_lossy(k).into_owned())
            .collect()
    }

    #[test]
    fn key_ranges_come_from_the_command_table() {
        let t = table();
        assert_eq!(keys(&t, cmd("GET").arg("k")), ["k"]);
        assert!(t.is_readonly(&cmd("GET").arg("k")));
        assert!(!t.is_readonly(&cmd("MSET").arg("k").arg(1)));
        assert_eq!(
            keys(&t, cmd("MSET").arg("a").arg(1).arg("b").arg(2)),
            ["a", "b"]
        );
        assert!(keys(&t, cmd("PING")).is_empty());
        assert_eq!(keys(&t, cmd("XINFO").arg("STREAM").arg("s")), ["s"]);
        assert!(keys(&t, cmd("NOSUCH").arg("x")).is_empty());
    }

    #[test]
    fn movable_keys_follow_their_own_rules() {
        let t = table();
        let eval = cmd("EVAL")
            .arg("return 1")
            .arg(2)
            .arg("a")
            .arg("b")
            .arg("x");
        assert_eq!(keys(&t, eval), ["a", "b"]);
        let xread = cmd("XREAD")
            .arg("COUNT")
            .arg(10)
            .arg("STREAMS")
            .arg("s1")
            .arg("s2")
            .arg("0")
            .arg("0");
        assert_eq!(keys(&t, xread), ["s1", "s2"]);
        let zstore = cmd("ZUNIONSTORE").arg("d").arg(2).arg("a").arg("b");
        assert_eq!(keys(&t, zstore), ["d", "a", "b"]);
        let sort = cmd("SORT").arg("l").arg("STORE").arg("d");
        assert_eq!(keys(&t, sort), ["l", "d"]);
    }

    #[test]
    fn without_a_table_the_first_argument_is_the_key() {
        let t = KeyTable::default();
        assert_eq!(keys(&t, cmd("GET").arg("k")), ["k"]);
    }
}
