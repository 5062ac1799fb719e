//! More argument types: maps expand to `key value key value ...`, as `HSET` and `MSET` take
//! them; shared strings and boxed bytes pass as one argument.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use crate::{Cmd, ToArg};

impl<K: ToArg, V: ToArg, S> ToArg for HashMap<K, V, S> {
    fn write_args(&self, cmd: &mut Cmd) {
        for (k, v) in self {
            cmd.push(k).push(v);
        }
    }
}

impl<K: ToArg, V: ToArg> ToArg for BTreeMap<K, V> {
    fn write_args(&self, cmd: &mut Cmd) {
        for (k, v) in self {
            cmd.push(k).push(v);
        }
    }
}

impl ToArg for Arc<str> {
    fn write_args(&self, cmd: &mut Cmd) {
        cmd.push_bytes(self.as_bytes());
    }
}

impl ToArg for Box<str> {
    fn write_args(&self, cmd: &mut Cmd) {
        cmd.push_bytes(self.as_bytes());
    }
}

impl ToArg for Box<[u8]> {
    fn write_args(&self, cmd: &mut Cmd) {
        cmd.push_bytes(self);
    }
}

impl ToArg for Arc<[u8]> {
    fn write_args(&self, cmd: &mut Cmd) {
        cmd.push_bytes(self);
    }
}

impl ToArg for () {
    fn write_args(&self, _cmd: &mut Cmd) {}
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cmd;
    use crate::commands::options::encoded;

    #[test]
    fn btreemap_expands_to_field_value_pairs() {
        let map = BTreeMap::from([("a", 1), ("b", 2)]);
        assert_eq!(
            encoded(&cmd("HSET").arg("h").arg(&map)),
            ["HSET", "h", "a", "1", "b", "2"]
        );
    }

    #[test]
    fn shared_strings_are_one_argument() {
        let s: Arc<str> = "k".into();
        let b: Box<[u8]> = Box::new(*b"v");
        assert_eq!(
            encoded(&cmd("SET").arg(s).arg(b).arg(())),
            ["SET", "k", "v"]
        );
    }
}
