//! Server and connection commands, and [`Info`]: `INFO`'s text parsed into sections.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use super::{Execute, TypedCmd};
use crate::resp::Frame;
use crate::{cmd, FromRedis, ToArg, TypeError};

/// `INFO`'s reply, parsed: section name (lower-case, `"server"`, `"memory"`, ...) to field
/// to value, as Redis prints them.
///
/// ```
/// use hardy_redis::{Frame, FromRedis, Info};
///
/// let info = Info::from_redis(Frame::bulk("# Server\r\nredis_version:7.2.4\r\n")).unwrap();
/// assert_eq!(info.get("server", "redis_version"), Some("7.2.4"));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Info {
    /// The sections, each a map of its fields.
    pub sections: BTreeMap<String, BTreeMap<String, String>>,
}

impl Info {
    /// The value of `field` in `section` (section names are matched case-insensitively).
    pub fn get(&self, section: &str, field: &str) -> Option<&str> {
        self.sections
            .get(&section.to_ascii_lowercase())?
            .get(field)
            .map(String::as_str)
    }

    /// Parses `INFO`'s text: `# Section` headers, then `field:value` lines.
    pub fn parse(text: &str) -> Info {
        let mut info = Info::default();
        let mut section = String::new();
        for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
            if let Some(name) = line.strip_prefix('#') {
                section = name.trim().to_ascii_lowercase();
            } else if let Some((field, value)) = line.split_once(':') {
                info.sections
                    .entry(section.clone())
                    .or_default()
                    .insert(field.to_string(), value.to_string());
            }
        }
        info
    }
}

impl FromRedis for Info {
    fn from_redis(frame: Frame) -> Result<Self, TypeError> {
        String::from_redis(frame).map(|text| Info::parse(&text))
    }
}

/// `TIME`'s `[seconds, microseconds]` as a `SystemTime`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServerTime(pub SystemTime);

impl FromRedis for ServerTime {
    fn from_redis(frame: Frame) -> Result<Self, TypeError> {
        let (seconds, micros): (u64, u64) = FromRedis::from_redis(frame)?;
        let since_epoch = Duration::from_secs(seconds) + Duration::from_micros(micros);
        Ok(ServerTime(SystemTime::UNIX_EPOCH + since_epoch))
    }
}

/// Typed server and connection commands, for every [`Execute`] handle.
///
/// `CLIENT SETNAME` names the current socket only: after a reconnect the name is the one
/// in [`Config`](crate::Config), so set it there for a lasting name.
pub trait ServerCommands: Execute {
    /// `PING`: `"PONG"`.
    ///
    /// ```no_run
    /// # use hardy_redis::prelude::*;
    /// # async fn demo(redis: Redis) -> Result<(), hardy_redis::Error> {
    /// assert_eq!(redis.ping().await?, "PONG");
    /// # Ok(()) }
    /// ```
    fn ping(self) -> Self::Output<String> {
        self.run(TypedCmd::new(cmd("PING")))
    }

    /// `ECHO message`: the message.
    ///
    /// ```no_run
    /// # use hardy_redis::prelude::*;
    /// # async fn demo(redis: Redis) -> Result<(), hardy_redis::Error> {
    /// let back: String = redis.echo("hi").await?;
    /// # Ok(()) }
    /// ```
    fn echo<V: FromRedis + Send + 'static>(self, message: impl ToArg) -> Self::Output<V> {
        self.run(TypedCmd::new(cmd("ECHO").arg(message)))
    }

    /// `INFO [section ...]` (`()` for the default sections), parsed.
    ///
    /// ```no_run
    /// # use hardy_redis::prelude::*;
    /// # async fn demo(redis: Redis) -> Result<(), hardy_redis::Error> {
    /// let info = redis.info("memory").await?;
    /// let used = info.get("memory", "used_memory");
    /// # Ok(()) }
    /// ```
    fn info(self, sections: impl ToArg) -> Self::Output<Info> {
        self.run(TypedCmd::new(cmd("INFO").arg(sections)))
    }

    /// `DBSIZE`: the number of keys in the database.
    ///
    /// ```no_run
    /// # use hardy_redis::prelude::*;
    /// # async fn demo(redis: Redis) -> Result<(), hardy_redis::Error> {
    /// let n = redis.dbsize().await?;
    /// # let _: u64 = n;
    /// # Ok(()) }
    /// ```
    fn dbsize(self) -> Self::Output<u64> {
        self.run(TypedCmd::new(cmd("DBSIZE")))
    }

    /// `FLUSHDB`: deletes every key of the database (`FLUSHDB ASYNC` through `cmd`).
    ///
    /// ```no_run
    /// # use hardy_redis::prelude::*;
    /// # async fn demo(redis: Redis) -> Result<(), hardy_redis::Error> {
    /// redis.flushdb().await?;
    /// # Ok(()) }
    /// ```
    fn flushdb(self) -> Self::Output<()> {
        self.run(TypedCmd::new(cmd("FLUSHDB")))
    }

    /// `TIME`: the server's clock.
    ///
    /// ```no_run
    /// # use hardy_redis::prelude::*;
    /// # async fn demo(redis: Redis) -> Result<(), hardy_redis::Error> {
    /// let ServerTime(now) = redis.time().await?;
    /// # Ok(()) }
    /// ```
    fn time(self) -> Self::Output<ServerTime> {
        self.run(TypedCmd::new(cmd("TIME")))
    }

    /// `CLIENT ID`: the current socket's client id.
    ///
    /// ```no_run
    /// # use hardy_redis::prelude::*;
    /// # async fn demo(redis: Redis) -> Result<(), hardy_redis::Error> {
    /// let id = redis.client_id().await?;
    /// # let _: u64 = id;
    /// # Ok(()) }
    /// ```
    fn client_id(self) -> Self::Output<u64> {
        self.run(TypedCmd::new(cmd("CLIENT").arg("ID")))
    }

    /// `CLIENT SETNAME name` (this socket only; see the trait's note).
    ///
    /// ```no_run
    /// # use hardy_redis::prelude::*;
    /// # async fn demo(redis: Redis) -> Result<(), hardy_redis::Error> {
    /// redis.client_setname("worker-1").await?;
    /// # Ok(()) }
    /// ```
    fn client_setname(self, name: impl ToArg) -> Self::Output<()> {
        self.run(TypedCmd::new(cmd("CLIENT").arg("SETNAME").arg(name)))
    }

    /// `CLIENT GETNAME`: the socket's name, `None` if unnamed.
    ///
    /// ```no_run
    /// # use hardy_redis::prelude::*;
    /// # async fn demo(redis: Redis) -> Result<(), hardy_redis::Error> {
    /// let name = redis.client_getname().await?;
    /// # let _: Option<String> = name;
    /// # Ok(()) }
    /// ```
    fn client_getname(self) -> Self::Output<Option<String>> {
        self.run(TypedCmd::new(cmd("CLIENT").arg("GETNAME")))
    }

    /// `PUBLISH channel message`: how many subscribers received it.
    ///
    /// ```no_run
    /// # use hardy_redis::prelude::*;
    /// # async fn demo(redis: Redis) -> Result<(), hardy_redis::Error> {
    /// let receivers = redis.publish("news", "hello").await?;
    /// # let _: u64 = receivers;
    /// # Ok(()) }
    /// ```
    fn publish(self, channel: impl ToArg, message: impl ToArg) -> Self::Output<u64> {
        self.run(TypedCmd::new(cmd("PUBLISH").arg(channel).arg(message)))
    }
}

impl<H: Execute> ServerCommands for H {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn info_parses_sections_fields_and_skips_blank_lines() {
        let text = "# Server\r\nredis_version:7.2.4\r\nos:Linux x:y\r\n\r\n# Keyspace\r\ndb0:keys=1,expires=0\r\n";
        let info = Info::parse(text);
        assert_eq!(info.get("Server", "redis_version"), Some("7.2.4"));
        assert_eq!(info.get("server", "os"), Some("Linux x:y"));
        assert_eq!(info.get("keyspace", "db0"), Some("keys=1,expires=0"));
        assert_eq!(info.get("memory", "used_memory"), None);
    }
}
