//! `PUBLISH` and `SPUBLISH` from the ordinary [`Redis`] handle: publishing needs no
//! subscribed connection.

use crate::{cmd, Error, Redis};

impl Redis {
    /// `PUBLISH channel payload`: answers how many subscribers (on this node) received it.
    pub async fn publish(
        &self,
        channel: impl AsRef<[u8]>,
        payload: impl AsRef<[u8]>,
    ) -> Result<u64, Error> {
        self.command(cmd("PUBLISH").arg(channel.as_ref()).arg(payload.as_ref()))
            .await
    }

    /// `SPUBLISH shardchannel payload` (Redis 7): answers how many subscribers received it.
    pub async fn spublish(
        &self,
        channel: impl AsRef<[u8]>,
        payload: impl AsRef<[u8]>,
    ) -> Result<u64, Error> {
        self.command(cmd("SPUBLISH").arg(channel.as_ref()).arg(payload.as_ref()))
            .await
    }
}
