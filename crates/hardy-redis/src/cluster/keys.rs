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

use std::collections::HashMap;

use super::slot::key_slot;
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

/// What the table knows of one command or subcommand.
#[derive(Debug, Clone, Copy)]
struct Spec {
    keys: KeyRange,
    /// Flagged `readonly`: a replica may serve it.
    readonly: bool,
    /// Has subcommands (`XINFO`, `OBJECT`, …): looked up again as `NAME|SUB`.
    container: bool,
}

/// The key table: command name (upper case; `NAME|SUB` for subcommands) to what it
/// knows, one lookup per command.
#[derive(Debug, Clone, Default)]
pub(crate) struct KeyTable {
    specs: HashMap<String, Spec>,
}

/// The hash slots of a command's keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Slots {
    /// No key.
    None,
    /// Every key in this slot.
    One(u16),
    /// Keys in several slots.
    Many,
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
            let flags = fields.get(2).and_then(Frame::as_slice).unwrap_or_default();
            let subcommands = fields.get(9).and_then(Frame::as_slice).unwrap_or_default();
            let spec = Spec {
                keys: KeyRange {
                    first: usize::try_from(first).unwrap_or(0),
                    last,
                    step: usize::try_from(step).unwrap_or(1).max(1),
                },
                readonly: flags.iter().any(|f| f.as_str() == Some("readonly")),
                container: !subcommands.is_empty(),
            };
            self.specs.insert(name, spec);
            for sub in subcommands {
                self.add(sub);
            }
        }
    }

    /// What the table says of `cmd`, its subcommand's entry for a container; with the
    /// arguments split only for a container.
    fn spec(&self, cmd: &Cmd) -> Option<&Spec> {
        let name = cmd.name();
        let spec = self.specs.get(name)?;
        if !spec.container {
            return Some(spec);
        }
        let sub = cmd.args().nth(1)?;
        let key = format!("{name}|{}", String::from_utf8_lossy(sub).to_uppercase());
        self.specs.get(&key)
    }

    /// Whether the server flags `cmd` `readonly` (so a replica may answer it). Commands
    /// with subcommands are never sent to replicas.
    pub(crate) fn is_readonly(&self, cmd: &Cmd) -> bool {
        self.specs
            .get(cmd.name())
            .is_some_and(|s| s.readonly && !s.container)
    }

    /// The keys of `cmd`, in argument order.
    pub(crate) fn keys<'a>(&self, cmd: &'a Cmd) -> Vec<&'a [u8]> {
        let mut keys = Vec::new();
        self.each_key(cmd, |key| {
            keys.push(key);
            true
        });
        keys
    }

    /// The slots of `cmd`'s keys, without collecting them: what routes every command.
    pub(crate) fn slots(&self, cmd: &Cmd) -> Slots {
        let mut slots = Slots::None;
        self.each_key(cmd, |key| {
            let slot = key_slot(key);
            match slots {
                Slots::None => slots = Slots::One(slot),
                Slots::One(seen) if seen == slot => {}
                _ => slots = Slots::Many,
            }
            slots != Slots::Many
        });
        slots
    }

    /// Calls `f` with each key of `cmd` in argument order, until it returns false.
    fn each_key<'a>(&self, cmd: &'a Cmd, mut f: impl FnMut(&'a [u8]) -> bool) {
        let name = cmd.name();
        if let Some(rule) = movable_rule(name) {
            let args: Vec<&[u8]> = cmd.args().collect();
            for key in rule.keys(&args) {
                if !f(key) {
                    return;
                }
            }
            return;
        }
        let range = match self.spec(cmd) {
            Some(spec) => spec.keys,
            // Unknown to the server's table: the conventional first-argument key.
            None if self.specs.is_empty() => KeyRange {
                first: 1,
                last: 1,
                step: 1,
            },
            None => return,
        };
        let Some((first, last)) = range.bounds(cmd.len()) else {
            return;
        };
        for (i, arg) in cmd.args().enumerate().take(last + 1).skip(first) {
            if (i - first) % range.step == 0 && !f(arg) {
                return;
            }
        }
    }
}

impl KeyRange {
    /// The argument indices of the first and last key among `argc` arguments, or `None`
    /// when there is no key.
    fn bounds(&self, argc: usize) -> Option<(usize, usize)> {
        if self.first == 0 {
            return None;
        }
        let last = if self.last < 0 {
            argc as i64 + self.last
        } else {
            self.last
        };
        let last = usize::try_from(last).ok()?.min(argc.checked_sub(1)?);
        (self.first <= last).then_some((self.first, last))
    }
}

/// How the commands whose key positions depend on their arguments (`movablekeys`) name
/// their keys.
#[derive(Debug, Clone, Copy)]
enum Movable {
    /// `numkeys` at this argument, then that many keys.
    Counted(usize),
    /// A destination key, then `numkeys` and the keys (`ZUNIONSTORE`).
    Store,
    /// The keys are the first half of the arguments after `STREAMS`.
    Streams,
    /// The first argument, and the one after each `STORE`/`STOREDIST`.
    SortStore,
}

fn movable_rule(name: &str) -> Option<Movable> {
    Some(match name {
        "EVAL" | "EVALSHA" | "EVAL_RO" | "EVALSHA_RO" | "FCALL" | "FCALL_RO" => Movable::Counted(2),
        "ZUNION" | "ZINTER" | "ZDIFF" | "ZINTERCARD" | "SINTERCARD" | "LMPOP" | "ZMPOP" => {
            Movable::Counted(1)
        }
        "BLMPOP" | "BZMPOP" => Movable::Counted(2),
        "ZUNIONSTORE" | "ZINTERSTORE" | "ZDIFFSTORE" => Movable::Store,
        "XREAD" | "XREADGROUP" => Movable::Streams,
        "SORT" | "SORT_RO" | "GEORADIUS" | "GEORADIUSBYMEMBER" => Movable::SortStore,
        _ => return None,
    })
}

impl Movable {
    fn keys<'a>(self, args: &[&'a [u8]]) -> Vec<&'a [u8]> {
        match self {
            Movable::Counted(at) => counted(args, at),
            Movable::Store => {
                let mut keys: Vec<&[u8]> = args.get(1).copied().into_iter().collect();
                keys.extend(counted(args, 2));
                keys
            }
            Movable::Streams => {
                let Some(streams) = args.iter().position(|a| a.eq_ignore_ascii_case(b"STREAMS"))
                else {
                    return Vec::new();
                };
                let rest = &args[streams + 1..];
                rest[..rest.len() / 2].to_vec()
            }
            Movable::SortStore => {
                let mut keys: Vec<&[u8]> = args.get(1).copied().into_iter().collect();
                for (i, arg) in args.iter().enumerate().skip(2) {
                    if arg.eq_ignore_ascii_case(b"STORE") || arg.eq_ignore_ascii_case(b"STOREDIST")
                    {
                        keys.extend(args.get(i + 1).copied());
                    }
                }
                keys
            }
        }
    }
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
    fn slots_are_one_none_or_many_and_values_are_not_keys() {
        let t = table();
        assert_eq!(t.slots(&cmd("GET").arg("k")), Slots::One(key_slot(b"k")));
        assert_eq!(t.slots(&cmd("PING")), Slots::None);
        assert_eq!(t.slots(&cmd("NOSUCH").arg("x")), Slots::None);
        // MSET's values would hash elsewhere: only its keys count.
        let together = cmd("MSET").arg("{a}1").arg("x").arg("{a}2").arg("y");
        assert_eq!(t.slots(&together), Slots::One(key_slot(b"a")));
        let apart = cmd("MSET").arg("{a}1").arg(1).arg("{b}2").arg(2);
        assert_eq!(t.slots(&apart), Slots::Many);
        let eval = cmd("EVAL").arg("s").arg(2).arg("{x}a").arg("{x}b").arg("y");
        assert_eq!(t.slots(&eval), Slots::One(key_slot(b"x")));
        assert_eq!(
            t.slots(&cmd("XINFO").arg("STREAM").arg("s")),
            Slots::One(key_slot(b"s"))
        );
        assert_eq!(
            KeyTable::default().slots(&cmd("GET").arg("k")),
            Slots::One(key_slot(b"k"))
        );
    }

    #[test]
    fn without_a_table_the_first_argument_is_the_key() {
        let t = KeyTable::default();
        assert_eq!(keys(&t, cmd("GET").arg("k")), ["k"]);
    }
}
