//! [`FromRedis`] for containers: `Option`, sequences, sets, maps and tuples.
//!
//! Sequences pre-allocate only as many slots as the decoded reply actually holds, so a
//! conversion never sizes memory from anything but data already received.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::hash::{BuildHasher, Hash};

use super::{value, FromRedis, TypeError};
use crate::resp::Frame;

impl<T: FromRedis> FromRedis for Option<T> {
    const SCALAR: bool = T::SCALAR;

    fn from_redis(frame: Frame) -> Result<Self, TypeError> {
        match frame.into_value() {
            Frame::Null => Ok(None),
            frame => T::from_redis(frame).map(Some),
        }
    }
}

/// The elements of a sequence-like reply read as elements of `arity` (see [`regroup`]):
/// an array, set or push; null as nothing; a map read as RESP2 sends the same reply,
/// as a flat array `k1, v1, k2, v2, ...` (`CONFIG GET`, `HGETALL` into `Vec<String>`) —
/// or, for pairs, as one `[key, value]` array per entry.
fn elements(frame: Frame, expected: &'static str, arity: usize) -> Result<Vec<Frame>, TypeError> {
    match value(frame)? {
        Frame::Array(items) | Frame::Set(items) | Frame::Push(items) => Ok(items),
        Frame::Map(pairs) if arity == 2 => Ok(pairs
            .into_iter()
            .map(|(k, v)| Frame::Array(vec![k, v]))
            .collect()),
        Frame::Map(pairs) => {
            let mut items = Vec::with_capacity(pairs.len() * 2);
            for (k, v) in pairs {
                items.push(k);
                items.push(v);
            }
            Ok(items)
        }
        Frame::Null => Ok(Vec::new()),
        other => Err(TypeError::mismatch(expected, &other)),
    }
}

/// Whether every item is an aggregate of `arity` elements: an array already grouped, as
/// RESP3 sends `ZRANGE ... WITHSCORES`.
fn is_nested(items: &[Frame], arity: usize) -> bool {
    items.iter().all(|f| {
        f.value()
            .as_slice()
            .is_some_and(|inner| inner.len() == arity)
    })
}

/// Groups a flat array `[a1, b1, a2, b2, ...]` into `[[a1, b1], [a2, b2], ...]` when the
/// target elements are tuples of `arity` and the array is not already nested (every
/// element an aggregate of `arity` elements).
fn regroup(items: Vec<Frame>, arity: usize) -> Result<Vec<Frame>, TypeError> {
    if arity < 2 || is_nested(&items, arity) {
        return Ok(items);
    }
    if items.len() % arity != 0 {
        return Err(TypeError::Mismatch {
            expected: "a flat array whose length is a multiple of the tuple's arity",
            got: format!("array of {} elements", items.len()),
        });
    }
    let mut groups = Vec::with_capacity(items.len() / arity);
    let mut items = items.into_iter();
    while items.len() > 0 {
        groups.push(Frame::Array(items.by_ref().take(arity).collect()));
    }
    Ok(groups)
}

/// The items of a reply read into a collection of `T`: grouped for tuples (RESP2's flat
/// pairs), flattened for single values (RESP3's nested pairs, as RESP2 sends them).
fn items_for<T: FromRedis>(frame: Frame, expected: &'static str) -> Result<Vec<Frame>, TypeError> {
    let items = elements(frame, expected, T::FLAT_ARITY)?;
    if T::SCALAR {
        Ok(flatten_nested(items))
    } else {
        regroup(items, T::FLAT_ARITY)
    }
}

/// `[[a1, b1], [a2, b2], ...]` as `[a1, b1, a2, b2, ...]` when every item is an array
/// (RESP3 `ZRANGE ... WITHSCORES`); anything else unchanged.
fn flatten_nested(items: Vec<Frame>) -> Vec<Frame> {
    let nested = !items.is_empty() && items.iter().all(|f| matches!(f.value(), Frame::Array(_)));
    if !nested {
        return items;
    }
    let mut flat = Vec::with_capacity(items.len() * 2);
    for item in items {
        if let Frame::Array(inner) = item.into_value() {
            flat.extend(inner);
        }
    }
    flat
}

impl<T: FromRedis> FromRedis for Vec<T> {
    fn from_redis(frame: Frame) -> Result<Self, TypeError> {
        let items = items_for::<T>(frame, "an array")?;
        items.into_iter().map(T::from_redis).collect()
    }
}

impl<T: FromRedis + Eq + Hash, S: BuildHasher + Default> FromRedis for HashSet<T, S> {
    fn from_redis(frame: Frame) -> Result<Self, TypeError> {
        let items = items_for::<T>(frame, "a set or array")?;
        items.into_iter().map(T::from_redis).collect()
    }
}

impl<T: FromRedis + Ord> FromRedis for BTreeSet<T> {
    fn from_redis(frame: Frame) -> Result<Self, TypeError> {
        let items = items_for::<T>(frame, "a set or array")?;
        items.into_iter().map(T::from_redis).collect()
    }
}

/// The pairs of a map-like reply: a RESP3 map, a flat RESP2 array of even length, or an
/// array of `[key, value]` arrays (RESP3 `ZRANGE ... WITHSCORES`, `HRANDFIELD ...
/// WITHVALUES`).
fn pairs(frame: Frame) -> Result<Vec<(Frame, Frame)>, TypeError> {
    const EXPECTED: &str = "a map or a flat array of key/value pairs";
    match value(frame)? {
        Frame::Map(pairs) => Ok(pairs),
        Frame::Null => Ok(Vec::new()),
        Frame::Array(items) | Frame::Set(items) | Frame::Push(items) if is_nested(&items, 2) => {
            Ok(items
                .into_iter()
                // is_nested checked that every item is such a pair, so none is skipped.
                .filter_map(|pair| match pair.into_value() {
                    Frame::Array(kv) | Frame::Set(kv) | Frame::Push(kv) => {
                        let mut kv = kv.into_iter();
                        Some((kv.next()?, kv.next()?))
                    }
                    _ => None,
                })
                .collect())
        }
        Frame::Array(items) | Frame::Set(items) | Frame::Push(items) if items.len() % 2 == 0 => {
            let mut pairs = Vec::with_capacity(items.len() / 2);
            let mut items = items.into_iter();
            while let (Some(k), Some(v)) = (items.next(), items.next()) {
                pairs.push((k, v));
            }
            Ok(pairs)
        }
        other => Err(TypeError::mismatch(EXPECTED, &other)),
    }
}

impl<K, V, S> FromRedis for HashMap<K, V, S>
where
    K: FromRedis + Eq + Hash,
    V: FromRedis,
    S: BuildHasher + Default,
{
    fn from_redis(frame: Frame) -> Result<Self, TypeError> {
        pairs(frame)?
            .into_iter()
            .map(|(k, v)| Ok((K::from_redis(k)?, V::from_redis(v)?)))
            .collect()
    }
}

impl<K: FromRedis + Ord, V: FromRedis> FromRedis for BTreeMap<K, V> {
    fn from_redis(frame: Frame) -> Result<Self, TypeError> {
        pairs(frame)?
            .into_iter()
            .map(|(k, v)| Ok((K::from_redis(k)?, V::from_redis(v)?)))
            .collect()
    }
}

/// The elements of a reply read as a tuple of `arity`: an array, set or push; a map as
/// RESP2's flat array (`HGETALL` of one field); nested pairs flattened when that gives
/// exactly `arity` elements (RESP3 `ZRANGE ... WITHSCORES` of one member).
fn tuple_items(frame: Frame, arity: usize) -> Result<Vec<Frame>, TypeError> {
    let items = match value(frame)? {
        Frame::Array(items) | Frame::Set(items) | Frame::Push(items) => items,
        Frame::Map(pairs) => pairs.into_iter().flat_map(|(k, v)| [k, v]).collect(),
        other => return Err(TypeError::mismatch("an array", &other)),
    };
    let nested_len: Option<usize> = items
        .iter()
        .map(|f| f.value().as_slice().map(<[Frame]>::len))
        .sum();
    if items.len() != arity && nested_len == Some(arity) && !items.is_empty() {
        return Ok(flatten_nested(items));
    }
    Ok(items)
}

macro_rules! tuple_from_redis {
    ($n:literal => $($name:ident)+) => {
        impl<$($name: FromRedis),+> FromRedis for ($($name,)+) {
            const FLAT_ARITY: usize = $n;

            fn from_redis(frame: Frame) -> Result<Self, TypeError> {
                let items = tuple_items(frame, $n)?;
                if items.len() != $n {
                    return Err(TypeError::WrongLength { expected: $n, got: items.len() });
                }
                let mut items = items.into_iter();
                Ok(($(
                    $name::from_redis(items.next().unwrap_or(Frame::Null))?,
                )+))
            }
        }
    };
}

tuple_from_redis!(1 => A);
tuple_from_redis!(2 => A B);
tuple_from_redis!(3 => A B C);
tuple_from_redis!(4 => A B C D);
tuple_from_redis!(5 => A B C D E);
tuple_from_redis!(6 => A B C D E F);
