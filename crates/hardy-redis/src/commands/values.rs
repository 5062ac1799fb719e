//! More reply types: shared and boxed strings, fixed-size arrays, and (with the `serde`
//! feature) [`Json<T>`] for values stored as JSON text.

use std::sync::Arc;

use crate::resp::Frame;
use crate::{FromRedis, TypeError};

impl FromRedis for Arc<str> {
    const SCALAR: bool = true;

    fn from_redis(frame: Frame) -> Result<Self, TypeError> {
        String::from_redis(frame).map(Arc::from)
    }
}

impl FromRedis for Box<str> {
    const SCALAR: bool = true;

    fn from_redis(frame: Frame) -> Result<Self, TypeError> {
        String::from_redis(frame).map(String::into_boxed_str)
    }
}

impl FromRedis for Box<[u8]> {
    const SCALAR: bool = true;

    fn from_redis(frame: Frame) -> Result<Self, TypeError> {
        Vec::<u8>::from_redis(frame).map(Vec::into_boxed_slice)
    }
}

impl FromRedis for Arc<[u8]> {
    const SCALAR: bool = true;

    fn from_redis(frame: Frame) -> Result<Self, TypeError> {
        Vec::<u8>::from_redis(frame).map(Arc::from)
    }
}

/// An array of exactly `N` elements (`HMGET` of `N` fields, `GEOPOS` of `N` members).
impl<T: FromRedis, const N: usize> FromRedis for [T; N] {
    fn from_redis(frame: Frame) -> Result<Self, TypeError> {
        let items = Vec::<T>::from_redis(frame)?;
        let got = items.len();
        items
            .try_into()
            .map_err(|_| TypeError::WrongLength { expected: N, got })
    }
}

#[cfg(feature = "serde")]
pub use json::Json;

#[cfg(feature = "serde")]
mod json {
    use crate::resp::Frame;
    use crate::{Cmd, FromRedis, ToArg, TypeError};

    /// A value stored as JSON text: as an argument it is serialized, as a reply parsed
    /// (`serde` feature).
    ///
    /// ```no_run
    /// use std::collections::BTreeMap;
    /// use hardy_redis::prelude::*;
    /// use hardy_redis::Json;
    ///
    /// # async fn demo(redis: Redis) -> Result<(), hardy_redis::Error> {
    /// // Any `Serialize` / `Deserialize` type, e.g. your `#[derive]`d structs.
    /// let user = BTreeMap::from([("name", "Ada"), ("lang", "en")]);
    /// redis.set("user:1", Json(&user)).await?;
    /// let Json(back): Json<BTreeMap<String, String>> = redis.get("user:1").await?;
    /// # Ok(()) }
    /// ```
    #[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
    pub struct Json<T>(pub T);

    impl<T: serde::Serialize> ToArg for Json<T> {
        fn write_args(&self, cmd: &mut Cmd) {
            // Serializing plain data to a Vec cannot fail; a type whose Serialize impl
            // fails (a map with non-string keys) is sent as JSON `null`.
            let text = serde_json::to_vec(&self.0).unwrap_or_else(|_| b"null".to_vec());
            cmd.push_bytes(&text);
        }
    }

    impl<T: serde::de::DeserializeOwned> FromRedis for Json<T> {
        const SCALAR: bool = true;

        fn from_redis(frame: Frame) -> Result<Self, TypeError> {
            let bytes = Vec::<u8>::from_redis(frame)?;
            serde_json::from_slice(&bytes)
                .map(Json)
                .map_err(|e| TypeError::Mismatch {
                    expected: "JSON text of the requested type",
                    got: e.to_string(),
                })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boxed_and_shared_strings_convert_from_bulk_strings() {
        assert_eq!(&*Arc::<str>::from_redis(Frame::bulk("a")).unwrap(), "a");
        assert_eq!(&*Box::<str>::from_redis(Frame::bulk("b")).unwrap(), "b");
        assert_eq!(&*Box::<[u8]>::from_redis(Frame::bulk("c")).unwrap(), b"c");
        let pairs = Vec::<(Arc<str>, i64)>::from_redis(Frame::Array(vec![
            Frame::bulk("x"),
            Frame::bulk("1"),
        ]))
        .unwrap();
        assert_eq!(pairs, [(Arc::from("x"), 1)]);
    }

    #[test]
    fn arrays_need_exactly_their_length() {
        let two = Frame::Array(vec![Frame::Integer(1), Frame::Integer(2)]);
        assert_eq!(<[i64; 2]>::from_redis(two.clone()).unwrap(), [1, 2]);
        assert_eq!(
            <[i64; 3]>::from_redis(two).unwrap_err(),
            TypeError::WrongLength {
                expected: 3,
                got: 2
            }
        );
    }

    #[cfg(feature = "serde")]
    #[test]
    fn json_round_trips_through_an_argument_and_a_reply() {
        use crate::cmd;
        let sent = cmd("SET").arg("k").arg(Json(vec![1, 2]));
        let text = sent.args().nth(2).unwrap().to_vec();
        assert_eq!(text, b"[1,2]");
        let Json(back): Json<Vec<i32>> = FromRedis::from_redis(Frame::bulk(text)).unwrap();
        assert_eq!(back, [1, 2]);
        let bad = Json::<Vec<i32>>::from_redis(Frame::bulk("{")).unwrap_err();
        assert!(bad.to_string().contains("JSON"), "{bad}");
    }
}
