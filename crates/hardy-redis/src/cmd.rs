//! [`Cmd`]: a Redis command, encoded to RESP as it is built.
//!
//! Each argument is written into one buffer as a bulk string the moment it is added, so
//! the caller's task does the formatting and the connection actor — the one place every
//! command funnels through — only copies ready bytes into its write buffer. Integers and
//! floats are formatted on the stack; the only allocation is the buffer itself.

use std::fmt::{self, Write as _};

use bytes::{BufMut, Bytes, BytesMut};

use crate::resp::show::{Show, DEBUG_BYTES};
use crate::resp::wire::{self, Decimal};

/// How many arguments `Debug` shows before eliding the rest.
const DEBUG_ARGS: usize = 16;

/// The first allocation of a command's buffer: room for a name, a key and a value of about
/// 80 bytes (`SET` with a 16-byte key and a 64-byte value takes 103), so that most commands
/// never grow it. malloc serves 64 and 128 bytes at the same cost.
const INITIAL_CAPACITY: usize = 128;

/// Shorthand for [`Cmd::new`].
///
/// ```
/// let get = hardy_redis::cmd("get").arg("key");
/// assert_eq!(get.name(), "GET");
/// ```
pub fn cmd(name: &str) -> Cmd {
    Cmd::new(name)
}

/// A command and its arguments, already encoded as a RESP array of bulk strings.
///
/// ```
/// use bytes::BytesMut;
/// use hardy_redis::Cmd;
///
/// let set = Cmd::new("SET").arg("key").arg(42).arg(["EX", "10"]);
/// assert_eq!(set.len(), 5);
///
/// let mut out = BytesMut::new();
/// set.write_to(&mut out);
/// assert_eq!(
///     &out[..],
///     b"*5\r\n$3\r\nSET\r\n$3\r\nkey\r\n$2\r\n42\r\n$2\r\nEX\r\n$2\r\n10\r\n"
/// );
/// ```
///
/// `Debug` shows the name, the argument count and the first bytes of each argument, but
/// never passwords: the secret arguments of `AUTH`, `HELLO ... AUTH`, `MIGRATE ... AUTH`
/// / `AUTH2`, `CONFIG SET requirepass|masterauth|tls-key-file-pass|tls-client-key-file-pass`,
/// `SENTINEL SET <master> auth-pass`, `SENTINEL CONFIG SET sentinel-pass` and
/// `ACL SETUSER` password rules print as `<redacted>`.
///
/// ```
/// let auth = hardy_redis::cmd("AUTH").arg("alice").arg("s3cret");
/// let shown = format!("{auth:?}");
/// assert!(shown.contains("alice") && !shown.contains("s3cret"), "{shown}");
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Cmd {
    /// The arguments, each as `$<len>\r\n<bytes>\r\n`.
    args: BytesMut,
    argc: usize,
    /// Where the (upper-cased) name's bytes sit in `args`.
    name_start: usize,
    name_end: usize,
}

impl Cmd {
    /// A command named `name`, which is upper-cased (ASCII) on the wire: Redis command
    /// names are case-insensitive, and this lets [`Cmd::name`] borrow instead of allocate.
    pub fn new(name: &str) -> Cmd {
        let mut cmd = Cmd {
            args: BytesMut::with_capacity(INITIAL_CAPACITY),
            argc: 0,
            name_start: 0,
            name_end: 0,
        };
        cmd.push_bytes(name.as_bytes());
        cmd.name_end = cmd.args.len() - 2;
        cmd.name_start = cmd.name_end - name.len();
        cmd.args[cmd.name_start..cmd.name_end].make_ascii_uppercase();
        cmd
    }

    /// Appends `arg` (which may expand to several arguments, or none) and returns the
    /// command, for chaining.
    #[must_use = "arg returns the extended command"]
    pub fn arg<T: ToArg>(mut self, arg: T) -> Cmd {
        arg.write_args(&mut self);
        self
    }

    /// Appends `arg` in place, for building a command in a loop.
    pub fn push<T: ToArg>(&mut self, arg: T) -> &mut Cmd {
        arg.write_args(self);
        self
    }

    /// Appends exactly one argument holding `bytes`. The building block for
    /// [`ToArg`] implementations.
    pub fn push_bytes(&mut self, bytes: &[u8]) -> &mut Cmd {
        let len = Decimal::from_u64(bytes.len() as u64);
        self.args.reserve(len.as_bytes().len() + bytes.len() + 5);
        self.args.put_u8(wire::BULK_STRING);
        self.args.put_slice(len.as_bytes());
        self.args.put_slice(wire::CRLF);
        self.args.put_slice(bytes);
        self.args.put_slice(wire::CRLF);
        self.argc += 1;
        self
    }

    /// The command name, upper-cased: `"SET"`, `"CLIENT"` (subcommands are arguments).
    pub fn name(&self) -> &str {
        std::str::from_utf8(&self.args[self.name_start..self.name_end]).unwrap_or("?")
    }

    /// The number of arguments, counting the name.
    pub fn len(&self) -> usize {
        self.argc
    }

    /// Always false: a command has at least its name.
    pub fn is_empty(&self) -> bool {
        self.argc == 0
    }

    /// How many bytes [`Cmd::write_to`] writes.
    pub fn encoded_len(&self) -> usize {
        1 + Decimal::from_u64(self.argc as u64).as_bytes().len() + 2 + self.args.len()
    }

    /// Appends the command as a RESP array (`*<argc>\r\n` and the arguments) to `out`.
    pub fn write_to(&self, out: &mut BytesMut) {
        out.reserve(self.encoded_len());
        crate::resp::header(out, wire::ARRAY, self.argc);
        out.put_slice(&self.args);
    }

    /// The encoded command as one buffer (the bytes [`Cmd::write_to`] writes).
    pub fn to_bytes(&self) -> Bytes {
        let mut out = BytesMut::with_capacity(self.encoded_len());
        self.write_to(&mut out);
        out.freeze()
    }

    /// The arguments, name first, as raw bytes (for key-slot hashing or inspection).
    pub fn args(&self) -> Args<'_> {
        Args { rest: &self.args }
    }
}

/// Iterator over a [`Cmd`]'s arguments, from [`Cmd::args`].
#[derive(Debug, Clone)]
pub struct Args<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for Args<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        // `$<len>\r\n<bytes>\r\n`, as written by `push_bytes`.
        let header_end = self.rest.iter().position(|&b| b == b'\r')?;
        let len = wire::parse_i64(self.rest.get(1..header_end)?).ok()?;
        let start = header_end + 2;
        let end = start.checked_add(usize::try_from(len).ok()?)?;
        let arg = self.rest.get(start..end)?;
        self.rest = self.rest.get(end + 2..).unwrap_or_default();
        Some(arg)
    }
}

impl fmt::Debug for Cmd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Cmd")
            .field("name", &self.name())
            .field("argc", &self.argc)
            .field("args", &DebugArgs(self))
            .finish()
    }
}

/// The argument list of a `Cmd`, truncated and with secrets redacted.
struct DebugArgs<'a>(&'a Cmd);

impl fmt::Debug for DebugArgs<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let args: Vec<&[u8]> = self.0.args().collect();
        let secret = secret_args(&args);
        let mut list = f.debug_list();
        for (arg, secret) in args.iter().zip(&secret).take(DEBUG_ARGS) {
            if *secret {
                list.entry(&format_args!("<redacted>"));
            } else {
                list.entry(&Show::with_max(arg, DEBUG_BYTES));
            }
        }
        if args.len() > DEBUG_ARGS {
            list.entry(&format_args!("... {} more", args.len() - DEBUG_ARGS));
        }
        list.finish()
    }
}

/// `CONFIG SET` parameters whose value is a password.
const CONFIG_SECRETS: [&str; 4] = [
    "requirepass",
    "masterauth",
    "tls-key-file-pass",
    "tls-client-key-file-pass",
];

/// Marks which arguments of a command are secrets that must never be printed.
fn secret_args(args: &[&[u8]]) -> Vec<bool> {
    let mut secret = vec![false; args.len()];
    let is = |i: usize, word: &str| {
        args.get(i)
            .is_some_and(|a| a.eq_ignore_ascii_case(word.as_bytes()))
    };
    let mut hide = |i: usize| {
        if let Some(s) = secret.get_mut(i) {
            *s = true;
        }
    };
    let name = args.first().copied().unwrap_or_default();
    if name.eq_ignore_ascii_case(b"AUTH") {
        // AUTH password | AUTH username password
        let first_secret = if args.len() == 2 { 1 } else { 2 };
        (first_secret..args.len()).for_each(&mut hide);
    } else if name.eq_ignore_ascii_case(b"HELLO") || name.eq_ignore_ascii_case(b"MIGRATE") {
        for i in 1..args.len() {
            if is(i, "AUTH") && name.eq_ignore_ascii_case(b"HELLO") {
                // HELLO 3 AUTH username password
                hide(if i + 2 < args.len() { i + 2 } else { i + 1 });
            } else if is(i, "AUTH") {
                // MIGRATE ... AUTH password
                hide(i + 1);
            } else if is(i, "AUTH2") {
                // MIGRATE ... AUTH2 username password
                hide(i + 2);
            }
        }
    } else if name.eq_ignore_ascii_case(b"CONFIG") && is(1, "SET") {
        // CONFIG SET parameter value [parameter value ...]
        for i in (2..args.len()).step_by(2) {
            if CONFIG_SECRETS.iter().any(|word| is(i, word)) {
                hide(i + 1);
            }
        }
    } else if name.eq_ignore_ascii_case(b"SENTINEL") && is(1, "SET") {
        // SENTINEL SET master option value [option value ...]
        for i in (3..args.len()).step_by(2) {
            if is(i, "auth-pass") {
                hide(i + 1);
            }
        }
    } else if name.eq_ignore_ascii_case(b"SENTINEL") && is(1, "CONFIG") && is(2, "SET") {
        // SENTINEL CONFIG SET parameter value [parameter value ...]
        for i in (3..args.len()).step_by(2) {
            if is(i, "sentinel-pass") {
                hide(i + 1);
            }
        }
    } else if name.eq_ignore_ascii_case(b"ACL") && is(1, "SETUSER") {
        for (i, arg) in args.iter().enumerate().skip(3) {
            if matches!(arg.first(), Some(b'>' | b'<' | b'#' | b'!')) {
                hide(i);
            }
        }
    }
    secret
}

/// A value that becomes zero or more command arguments.
///
/// | type | arguments |
/// |---|---|
/// | `str`, `String`, `[u8]`, `Vec<u8>`, `[u8; N]`, `Bytes` | one, the bytes as they are |
/// | integers (all but `u8`), `f32`, `f64` | one, in decimal (floats: shortest text that reads back the same, `inf`/`-inf`) |
/// | `bool` | one: `1` or `0`, as Redis itself answers |
/// | `[T]`, `Vec<T>`, `[T; N]`, tuples | each element's arguments, in order |
/// | `Option<T>` | `T`'s arguments, or none |
/// | `&T` | as `T` |
///
/// `u8` is deliberately not an argument: that is what lets `&[u8]` and `Vec<u8>` mean one
/// binary argument rather than a list of numbers. Use `u16` or `i64` for small numbers.
///
/// Implement it for your own types by calling [`Cmd::push_bytes`] or [`Cmd::push`]:
///
/// ```
/// use hardy_redis::{Cmd, ToArg};
///
/// struct UserId(u64);
///
/// impl ToArg for UserId {
///     fn write_args(&self, cmd: &mut Cmd) {
///         cmd.push_bytes(format!("user:{}", self.0).as_bytes());
///     }
/// }
///
/// let get = Cmd::new("GET").arg(UserId(7));
/// assert_eq!(get.args().nth(1), Some(&b"user:7"[..]));
/// ```
pub trait ToArg {
    /// Appends this value's arguments to `cmd`.
    fn write_args(&self, cmd: &mut Cmd);
}

impl<T: ToArg + ?Sized> ToArg for &T {
    fn write_args(&self, cmd: &mut Cmd) {
        (**self).write_args(cmd);
    }
}

macro_rules! bytes_arg {
    ($($ty:ty),*) => {$(
        impl ToArg for $ty {
            fn write_args(&self, cmd: &mut Cmd) {
                cmd.push_bytes(self.as_ref());
            }
        }
    )*};
}
bytes_arg!(str, String, [u8], Vec<u8>, Bytes, BytesMut);

impl<const N: usize> ToArg for [u8; N] {
    fn write_args(&self, cmd: &mut Cmd) {
        cmd.push_bytes(self);
    }
}

macro_rules! signed_arg {
    ($($ty:ty),*) => {$(
        impl ToArg for $ty {
            fn write_args(&self, cmd: &mut Cmd) {
                cmd.push_bytes(Decimal::from_i64(i64::from(*self)).as_bytes());
            }
        }
    )*};
}
signed_arg!(i8, i16, i32, i64);

macro_rules! unsigned_arg {
    ($($ty:ty),*) => {$(
        impl ToArg for $ty {
            fn write_args(&self, cmd: &mut Cmd) {
                cmd.push_bytes(Decimal::from_u64(u64::from(*self)).as_bytes());
            }
        }
    )*};
}
unsigned_arg!(u16, u32, u64);

impl ToArg for isize {
    fn write_args(&self, cmd: &mut Cmd) {
        // isize is at most 64 bits on every supported target.
        cmd.push_bytes(Decimal::from_i64(*self as i64).as_bytes());
    }
}

impl ToArg for usize {
    fn write_args(&self, cmd: &mut Cmd) {
        cmd.push_bytes(Decimal::from_u64(*self as u64).as_bytes());
    }
}

impl ToArg for i128 {
    fn write_args(&self, cmd: &mut Cmd) {
        push_formatted(cmd, format_args!("{self}"));
    }
}

impl ToArg for u128 {
    fn write_args(&self, cmd: &mut Cmd) {
        push_formatted(cmd, format_args!("{self}"));
    }
}

impl ToArg for f64 {
    fn write_args(&self, cmd: &mut Cmd) {
        if self.is_infinite() {
            cmd.push_bytes(if *self > 0.0 { b"inf" } else { b"-inf" });
        } else {
            // `{:?}` is the shortest text that parses back to the same value.
            push_formatted(cmd, format_args!("{self:?}"));
        }
    }
}

impl ToArg for f32 {
    fn write_args(&self, cmd: &mut Cmd) {
        if self.is_infinite() {
            cmd.push_bytes(if *self > 0.0 { b"inf" } else { b"-inf" });
        } else {
            // Formatted as an f32: widening first would send `0.1f32` as
            // `0.10000000149011612`.
            push_formatted(cmd, format_args!("{self:?}"));
        }
    }
}

impl ToArg for bool {
    fn write_args(&self, cmd: &mut Cmd) {
        cmd.push_bytes(if *self { b"1" } else { b"0" });
    }
}

impl<T: ToArg> ToArg for [T] {
    fn write_args(&self, cmd: &mut Cmd) {
        self.iter().for_each(|item| item.write_args(cmd));
    }
}

impl<T: ToArg> ToArg for Vec<T> {
    fn write_args(&self, cmd: &mut Cmd) {
        self.as_slice().write_args(cmd);
    }
}

impl<T: ToArg, const N: usize> ToArg for [T; N] {
    fn write_args(&self, cmd: &mut Cmd) {
        self.as_slice().write_args(cmd);
    }
}

impl<T: ToArg> ToArg for Option<T> {
    fn write_args(&self, cmd: &mut Cmd) {
        if let Some(value) = self {
            value.write_args(cmd);
        }
    }
}

macro_rules! tuple_arg {
    ($($name:ident)+) => {
        impl<$($name: ToArg),+> ToArg for ($($name,)+) {
            #[allow(non_snake_case)]
            fn write_args(&self, cmd: &mut Cmd) {
                let ($($name,)+) = self;
                $($name.write_args(cmd);)+
            }
        }
    };
}
tuple_arg!(A B);
tuple_arg!(A B C);
tuple_arg!(A B C D);
tuple_arg!(A B C D E);
tuple_arg!(A B C D E F);

/// Formats into a stack buffer (numbers are short), falling back to the heap.
fn push_formatted(cmd: &mut Cmd, args: fmt::Arguments<'_>) {
    let mut stack = StackText::default();
    if stack.write_fmt(args).is_ok() {
        cmd.push_bytes(stack.as_bytes());
    } else {
        cmd.push_bytes(args.to_string().as_bytes());
    }
}

struct StackText {
    buf: [u8; 48],
    len: usize,
}

impl Default for StackText {
    fn default() -> Self {
        StackText {
            buf: [0; 48],
            len: 0,
        }
    }
}

impl StackText {
    fn as_bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }
}

impl fmt::Write for StackText {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let end = self.len + s.len();
        self.buf
            .get_mut(self.len..end)
            .ok_or(fmt::Error)?
            .copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}
