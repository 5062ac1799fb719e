//! Which of the 16,384 hash slots a key lives in: CRC16 (XMODEM) of the key, or of its
//! `{hash tag}`, modulo 16384, as the cluster specification defines it.
//!
//! The CRC comes from the `crc16` crate; only the hash-tag rule is ours.

/// The number of hash slots of every Redis Cluster.
pub const SLOT_COUNT: u16 = 16_384;

/// The hash slot of `key`: CRC16-XMODEM of its hash tag (the bytes between the first `{`
/// and the next `}`, when non-empty), else of the whole key, modulo 16384.
///
/// ```
/// use hardy_redis::cluster::key_slot;
/// assert_eq!(key_slot(b"foo"), 12182);
/// assert_eq!(key_slot(b"{user1}:name"), key_slot(b"{user1}:email"));
/// ```
pub fn key_slot(key: &[u8]) -> u16 {
    crc16::State::<crc16::XMODEM>::calculate(hash_tag(key)) % SLOT_COUNT
}

/// The part of `key` that is hashed.
fn hash_tag(key: &[u8]) -> &[u8] {
    let Some(open) = key.iter().position(|&b| b == b'{') else {
        return key;
    };
    let rest = &key[open + 1..];
    match rest.iter().position(|&b| b == b'}') {
        Some(close) if close > 0 => &rest[..close],
        _ => key,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_match_the_values_redis_computes() {
        // From CLUSTER KEYSLOT on Redis 7.
        assert_eq!(key_slot(b"foo"), 12182);
        assert_eq!(key_slot(b"bar"), 5061);
        assert_eq!(key_slot(b""), 0);
        assert_eq!(key_slot(b"123456789"), 0x31c3 % SLOT_COUNT);
    }

    #[test]
    fn hash_tags_follow_the_first_brace_pair_when_non_empty() {
        assert_eq!(key_slot(b"{user1000}.following"), key_slot(b"user1000"));
        assert_eq!(key_slot(b"foo{}{bar}"), key_slot(b"foo{}{bar}"));
        assert_ne!(key_slot(b"foo{}{bar}"), key_slot(b"bar"));
        assert_eq!(key_slot(b"foo{{bar}}zap"), key_slot(b"{bar"));
        assert_eq!(key_slot(b"foo{bar}{zap}"), key_slot(b"bar"));
        assert_eq!(key_slot(b"{unclosed"), key_slot(b"{unclosed"));
    }
}
