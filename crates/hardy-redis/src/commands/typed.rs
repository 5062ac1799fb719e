//! [`TypedCmd`]: a command that knows the Rust type of its reply.

use std::fmt;
use std::marker::PhantomData;

use crate::{Cmd, FromRedis};

/// A [`Cmd`] and the type `T` its reply converts to, fixed when it is built.
///
/// The typed methods of [`StringCommands`](super::StringCommands) and its siblings build
/// one and hand it to an [`Execute`](super::Execute) handle. It costs nothing over the raw
/// `Cmd`: the type is a marker, the bytes are the same.
///
/// ```
/// use hardy_redis::{cmd, TypedCmd};
///
/// let get: TypedCmd<Option<String>> = TypedCmd::new(cmd("GET").arg("key"));
/// assert_eq!(get.cmd().name(), "GET");
/// ```
pub struct TypedCmd<T> {
    cmd: Cmd,
    reply: PhantomData<fn() -> T>,
}

impl<T: FromRedis> TypedCmd<T> {
    /// `cmd`, whose reply is to be read as `T`.
    pub fn new(cmd: Cmd) -> TypedCmd<T> {
        TypedCmd {
            cmd,
            reply: PhantomData,
        }
    }

    /// The encoded command, to inspect its arguments.
    pub fn cmd(&self) -> &Cmd {
        &self.cmd
    }

    /// The command without its reply type, for [`Redis::command`](crate::Redis::command)
    /// or a [`Pipeline`](crate::Pipeline).
    pub fn into_cmd(self) -> Cmd {
        self.cmd
    }

    /// The same command with its reply read as `U` instead (a `Frame` to see it raw).
    pub fn reply_as<U: FromRedis>(self) -> TypedCmd<U> {
        TypedCmd::new(self.cmd)
    }
}

impl<T> Clone for TypedCmd<T> {
    fn clone(&self) -> Self {
        TypedCmd {
            cmd: self.cmd.clone(),
            reply: PhantomData,
        }
    }
}

impl<T> fmt::Debug for TypedCmd<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("TypedCmd")
            .field(&self.cmd)
            .field(&std::any::type_name::<T>())
            .finish()
    }
}

impl<T> From<TypedCmd<T>> for Cmd {
    fn from(typed: TypedCmd<T>) -> Cmd {
        typed.cmd
    }
}
