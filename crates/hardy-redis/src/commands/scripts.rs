//! Lua scripts and Redis functions.
//!
//! A [`Script`] sends `EVALSHA` (the digest, not the source) and, when Redis answers
//! `NOSCRIPT` (never loaded, `SCRIPT FLUSH`, a restarted or failed-over server), loads it
//! with `SCRIPT LOAD` and sends `EVALSHA` again. Resending is safe: a `NOSCRIPT` reply
//! means nothing ran.

use std::sync::Arc;

use super::{CommandHandle, Execute, TypedCmd};
use crate::{cmd, Cmd, Error, FromRedis, ToArg};

/// A Lua script, called by its SHA1 digest and loaded on demand.
///
/// ```no_run
/// use hardy_redis::{Redis, Script};
///
/// # async fn demo(redis: Redis) -> Result<(), hardy_redis::Error> {
/// let bump = Script::new("return redis.call('INCRBY', KEYS[1], ARGV[1])");
/// let n: i64 = bump.run(&redis, &["counter"], 5).await?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Script {
    source: Arc<str>,
    sha: Arc<str>,
}

impl Script {
    /// A script from its Lua source; its digest is computed here, nothing is sent.
    pub fn new(source: &str) -> Script {
        let sha = sha1_smol::Sha1::from(source).digest().to_string();
        Script {
            source: source.into(),
            sha: sha.into(),
        }
    }

    /// The SHA1 digest `EVALSHA` names it by (lower-case hex).
    pub fn sha(&self) -> &str {
        &self.sha
    }

    /// The Lua source.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// `EVALSHA sha numkeys key ... arg ...`, as a typed command for any handle. It does
    /// not fall back on `NOSCRIPT`: in a pipeline or transaction, [`load`](Self::load)
    /// the script first.
    pub fn evalsha<T: FromRedis, K: ToArg>(&self, keys: &[K], args: impl ToArg) -> TypedCmd<T> {
        TypedCmd::new(self.evalsha_cmd(keys, args))
    }

    fn evalsha_cmd<K: ToArg>(&self, keys: &[K], args: impl ToArg) -> Cmd {
        cmd("EVALSHA")
            .arg(&*self.sha)
            .arg(keys.len())
            .arg(keys)
            .arg(args)
    }

    /// `SCRIPT LOAD source`: makes sure the server has it (through a
    /// [`Redis`](crate::Redis) or a [`Pool`](crate::Pool): any [`CommandHandle`]).
    pub async fn load(&self, redis: &impl CommandHandle) -> Result<(), Error> {
        let sha: String = redis
            .send_command(cmd("SCRIPT").arg("LOAD").arg(&*self.source))
            .await?;
        debug_assert_eq!(sha, &*self.sha);
        Ok(())
    }

    /// Runs the script with `keys` (`KEYS[1]`...) and `args` (`ARGV[1]`...): `EVALSHA`,
    /// and on `NOSCRIPT` `SCRIPT LOAD` then `EVALSHA` once more. Through a
    /// [`Redis`](crate::Redis) or a [`Pool`](crate::Pool) (any [`CommandHandle`]).
    pub async fn run<T: FromRedis + Send + 'static, K: ToArg>(
        &self,
        redis: &impl CommandHandle,
        keys: &[K],
        args: impl ToArg,
    ) -> Result<T, Error> {
        let call = self.evalsha_cmd(keys, args);
        match redis.send_command(call.clone()).await {
            Err(Error::Server(e)) if e.code() == "NOSCRIPT" => {
                self.load(redis).await?;
                redis.send_command(call).await
            }
            outcome => outcome,
        }
    }
}

/// Typed script and function commands, for every [`Execute`] handle.
pub trait ScriptCommands: Execute {
    /// `EVAL script numkeys key ... arg ...`: sends the whole source each time; prefer
    /// [`Script`].
    ///
    /// ```no_run
    /// # use hardy_redis::prelude::*;
    /// # async fn demo(redis: Redis) -> Result<(), hardy_redis::Error> {
    /// let n: i64 = redis.eval("return #KEYS", &["a", "b"], ()).await?;
    /// # Ok(()) }
    /// ```
    fn eval<V: FromRedis + Send + 'static, K: ToArg>(
        self,
        script: &str,
        keys: &[K],
        args: impl ToArg,
    ) -> Self::Output<V> {
        self.run(TypedCmd::new(
            cmd("EVAL").arg(script).arg(keys.len()).arg(keys).arg(args),
        ))
    }

    /// `SCRIPT LOAD script`: its SHA1 digest.
    ///
    /// ```no_run
    /// # use hardy_redis::prelude::*;
    /// # async fn demo(redis: Redis) -> Result<(), hardy_redis::Error> {
    /// let sha = redis.script_load("return 1").await?;
    /// # let _: String = sha;
    /// # Ok(()) }
    /// ```
    fn script_load(self, script: &str) -> Self::Output<String> {
        self.run(TypedCmd::new(cmd("SCRIPT").arg("LOAD").arg(script)))
    }

    /// `FUNCTION LOAD [REPLACE] code`: the library's name.
    ///
    /// ```no_run
    /// # use hardy_redis::prelude::*;
    /// # async fn demo(redis: Redis) -> Result<(), hardy_redis::Error> {
    /// let code = "#!lua name=mylib\nredis.register_function('one', function() return 1 end)";
    /// let lib = redis.function_load(code, true).await?;
    /// # let _: String = lib;
    /// # Ok(()) }
    /// ```
    fn function_load(self, code: &str, replace: bool) -> Self::Output<String> {
        let replace = replace.then_some("REPLACE");
        self.run(TypedCmd::new(
            cmd("FUNCTION").arg("LOAD").arg(replace).arg(code),
        ))
    }

    /// `FCALL function numkeys key ... arg ...`.
    ///
    /// ```no_run
    /// # use hardy_redis::prelude::*;
    /// # async fn demo(redis: Redis) -> Result<(), hardy_redis::Error> {
    /// let one: i64 = redis.fcall("one", &[] as &[&str], ()).await?;
    /// # Ok(()) }
    /// ```
    fn fcall<V: FromRedis + Send + 'static, K: ToArg>(
        self,
        function: &str,
        keys: &[K],
        args: impl ToArg,
    ) -> Self::Output<V> {
        self.run(TypedCmd::new(
            cmd("FCALL")
                .arg(function)
                .arg(keys.len())
                .arg(keys)
                .arg(args),
        ))
    }

    /// `FCALL_RO function numkeys key ... arg ...`: for functions flagged `no-writes`
    /// (may run on replicas).
    ///
    /// ```no_run
    /// # use hardy_redis::prelude::*;
    /// # async fn demo(redis: Redis) -> Result<(), hardy_redis::Error> {
    /// let v: Option<String> = redis.fcall_ro("peek", &["k"], ()).await?;
    /// # Ok(()) }
    /// ```
    fn fcall_ro<V: FromRedis + Send + 'static, K: ToArg>(
        self,
        function: &str,
        keys: &[K],
        args: impl ToArg,
    ) -> Self::Output<V> {
        self.run(TypedCmd::new(
            cmd("FCALL_RO")
                .arg(function)
                .arg(keys.len())
                .arg(keys)
                .arg(args),
        ))
    }
}

impl<H: Execute> ScriptCommands for H {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_digest_is_redis_sha1_of_the_source() {
        // `redis-cli SCRIPT LOAD "return 1"`.
        assert_eq!(
            Script::new("return 1").sha(),
            "e0e1f9fabfc9d4800c877a703b823ac0578ff8db"
        );
    }
}
