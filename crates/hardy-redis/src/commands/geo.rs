//! HyperLogLog, bitmap and geo commands: the string-backed probabilistic and spatial types.

use super::{Execute, TypedCmd};
use crate::{cmd, Cmd, FromRedis, ToArg};

/// Typed HyperLogLog commands, for every [`Execute`] handle.
pub trait HyperLogLogCommands: Execute {
    /// `PFADD key element [element ...]`: whether the estimate changed.
    ///
    /// ```no_run
    /// # use hardy_redis::prelude::*;
    /// # async fn demo(redis: Redis) -> Result<(), hardy_redis::Error> {
    /// let changed = redis.pfadd("visitors", ["ada", "bob"]).await?;
    /// # let _: bool = changed;
    /// # Ok(()) }
    /// ```
    fn pfadd(self, key: impl ToArg, elements: impl ToArg) -> Self::Output<bool> {
        self.run(TypedCmd::new(cmd("PFADD").arg(key).arg(elements)))
    }

    /// `PFCOUNT key [key ...]`: the estimated number of distinct elements (of the union).
    ///
    /// ```no_run
    /// # use hardy_redis::prelude::*;
    /// # async fn demo(redis: Redis) -> Result<(), hardy_redis::Error> {
    /// let about = redis.pfcount("visitors").await?;
    /// # let _: u64 = about;
    /// # Ok(()) }
    /// ```
    fn pfcount(self, keys: impl ToArg) -> Self::Output<u64> {
        self.run(TypedCmd::new(cmd("PFCOUNT").arg(keys)))
    }

    /// `PFMERGE destkey sourcekey [sourcekey ...]`.
    ///
    /// ```no_run
    /// # use hardy_redis::prelude::*;
    /// # async fn demo(redis: Redis) -> Result<(), hardy_redis::Error> {
    /// redis.pfmerge("visitors:week", ["visitors:mon", "visitors:tue"]).await?;
    /// # Ok(()) }
    /// ```
    fn pfmerge(self, destination: impl ToArg, sources: impl ToArg) -> Self::Output<()> {
        self.run(TypedCmd::new(cmd("PFMERGE").arg(destination).arg(sources)))
    }
}

impl<H: Execute> HyperLogLogCommands for H {}

/// Typed bitmap commands, for every [`Execute`] handle.
pub trait BitmapCommands: Execute {
    /// `SETBIT key offset 0|1`: the bit's previous value.
    ///
    /// ```no_run
    /// # use hardy_redis::prelude::*;
    /// # async fn demo(redis: Redis) -> Result<(), hardy_redis::Error> {
    /// let was = redis.setbit("seen", 42, true).await?;
    /// # let _: bool = was;
    /// # Ok(()) }
    /// ```
    fn setbit(self, key: impl ToArg, offset: u64, value: bool) -> Self::Output<bool> {
        self.run(TypedCmd::new(cmd("SETBIT").arg(key).arg(offset).arg(value)))
    }

    /// `GETBIT key offset`: the bit (false past the end).
    ///
    /// ```no_run
    /// # use hardy_redis::prelude::*;
    /// # async fn demo(redis: Redis) -> Result<(), hardy_redis::Error> {
    /// let seen = redis.getbit("seen", 42).await?;
    /// # let _: bool = seen;
    /// # Ok(()) }
    /// ```
    fn getbit(self, key: impl ToArg, offset: u64) -> Self::Output<bool> {
        self.run(TypedCmd::new(cmd("GETBIT").arg(key).arg(offset)))
    }

    /// `BITCOUNT key [start end]`: how many bits are set (in the byte range).
    ///
    /// ```no_run
    /// # use hardy_redis::prelude::*;
    /// # async fn demo(redis: Redis) -> Result<(), hardy_redis::Error> {
    /// let n = redis.bitcount("seen", None).await?;
    /// # let _: u64 = n;
    /// # Ok(()) }
    /// ```
    fn bitcount(self, key: impl ToArg, range: Option<(i64, i64)>) -> Self::Output<u64> {
        self.run(TypedCmd::new(cmd("BITCOUNT").arg(key).arg(range)))
    }

    /// `BITPOS key 0|1 [start end]`: the first bit with that value, `-1` if none.
    ///
    /// ```no_run
    /// # use hardy_redis::prelude::*;
    /// # async fn demo(redis: Redis) -> Result<(), hardy_redis::Error> {
    /// let first_free = redis.bitpos("slots", false, None).await?;
    /// # let _: i64 = first_free;
    /// # Ok(()) }
    /// ```
    fn bitpos(self, key: impl ToArg, bit: bool, range: Option<(i64, i64)>) -> Self::Output<i64> {
        self.run(TypedCmd::new(cmd("BITPOS").arg(key).arg(bit).arg(range)))
    }
}

impl<H: Execute> BitmapCommands for H {}

/// A distance unit for the geo commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GeoUnit {
    /// `m`.
    Meters,
    /// `km`.
    Kilometers,
    /// `mi`.
    Miles,
    /// `ft`.
    Feet,
}

impl ToArg for GeoUnit {
    fn write_args(&self, cmd: &mut Cmd) {
        cmd.push(match self {
            GeoUnit::Meters => "m",
            GeoUnit::Kilometers => "km",
            GeoUnit::Miles => "mi",
            GeoUnit::Feet => "ft",
        });
    }
}

/// The query of `GEOSEARCH`: a centre (`FROMMEMBER` or `FROMLONLAT`), a shape (`BYRADIUS`
/// or `BYBOX`), and optionally an order and a `COUNT`.
///
/// ```
/// use hardy_redis::{GeoSearch, GeoUnit};
/// let near = GeoSearch::from_lonlat(13.36, 38.11).by_radius(200.0, GeoUnit::Kilometers).asc();
/// # let _ = near;
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct GeoSearch {
    from: Cmd,
    by: Cmd,
    order: Option<&'static str>,
    count: Option<u64>,
}

impl GeoSearch {
    fn new(from: Cmd) -> Self {
        GeoSearch {
            from,
            by: Cmd::new(""),
            order: None,
            count: None,
        }
    }
    /// `FROMMEMBER member`: centred on a member of the set.
    pub fn from_member(member: impl ToArg) -> Self {
        GeoSearch::new(Cmd::new("").arg("FROMMEMBER").arg(member))
    }
    /// `FROMLONLAT longitude latitude`.
    pub fn from_lonlat(longitude: f64, latitude: f64) -> Self {
        GeoSearch::new(Cmd::new("").arg("FROMLONLAT").arg(longitude).arg(latitude))
    }
    /// `BYRADIUS radius unit`.
    pub fn by_radius(mut self, radius: f64, unit: GeoUnit) -> Self {
        self.by = Cmd::new("").arg("BYRADIUS").arg(radius).arg(unit);
        self
    }
    /// `BYBOX width height unit`.
    pub fn by_box(mut self, width: f64, height: f64, unit: GeoUnit) -> Self {
        self.by = Cmd::new("").arg("BYBOX").arg(width).arg(height).arg(unit);
        self
    }
    /// `ASC`: nearest first.
    pub fn asc(mut self) -> Self {
        self.order = Some("ASC");
        self
    }
    /// `DESC`: farthest first.
    pub fn desc(mut self) -> Self {
        self.order = Some("DESC");
        self
    }
    /// `COUNT n`: at most `n` results.
    pub fn count(mut self, n: u64) -> Self {
        self.count = Some(n);
        self
    }
}

impl ToArg for GeoSearch {
    fn write_args(&self, cmd: &mut Cmd) {
        for arg in self.from.args().skip(1).chain(self.by.args().skip(1)) {
            cmd.push_bytes(arg);
        }
        cmd.push(self.order).push(self.count.map(|n| ("COUNT", n)));
    }
}

/// Typed geo commands, for every [`Execute`] handle.
pub trait GeoCommands: Execute {
    /// `GEOADD key longitude latitude member [...]`, from `(lon, lat, member)` triples:
    /// how many members were added.
    ///
    /// ```no_run
    /// # use hardy_redis::prelude::*;
    /// # async fn demo(redis: Redis) -> Result<(), hardy_redis::Error> {
    /// let added = redis.geoadd("cities", [(13.361389, 38.115556, "Palermo")]).await?;
    /// # let _: u64 = added;
    /// # Ok(()) }
    /// ```
    fn geoadd(self, key: impl ToArg, points: impl ToArg) -> Self::Output<u64> {
        self.run(TypedCmd::new(cmd("GEOADD").arg(key).arg(points)))
    }

    /// `GEOSEARCH key ...`: the members found.
    ///
    /// ```no_run
    /// # use hardy_redis::prelude::*;
    /// # async fn demo(redis: Redis) -> Result<(), hardy_redis::Error> {
    /// let query = GeoSearch::from_member("Palermo").by_radius(200.0, GeoUnit::Kilometers);
    /// let near: Vec<String> = redis.geosearch("cities", query).await?;
    /// # Ok(()) }
    /// ```
    fn geosearch<V: FromRedis + Send + 'static>(
        self,
        key: impl ToArg,
        query: GeoSearch,
    ) -> Self::Output<V> {
        self.run(TypedCmd::new(cmd("GEOSEARCH").arg(key).arg(query)))
    }

    /// `GEOSEARCH key ... WITHDIST`: the members found with their distance (in the query's
    /// unit), as `Vec<(String, f64)>`.
    ///
    /// ```no_run
    /// # use hardy_redis::prelude::*;
    /// # async fn demo(redis: Redis) -> Result<(), hardy_redis::Error> {
    /// let query = GeoSearch::from_lonlat(15.0, 37.0).by_radius(200.0, GeoUnit::Kilometers);
    /// let near: Vec<(String, f64)> = redis.geosearch_withdist("cities", query).await?;
    /// # Ok(()) }
    /// ```
    fn geosearch_withdist<V: FromRedis + Send + 'static>(
        self,
        key: impl ToArg,
        query: GeoSearch,
    ) -> Self::Output<V> {
        self.run(TypedCmd::new(
            cmd("GEOSEARCH").arg(key).arg(query).arg("WITHDIST"),
        ))
    }

    /// `GEODIST key member1 member2 unit`: the distance, `None` if a member is missing.
    ///
    /// ```no_run
    /// # use hardy_redis::prelude::*;
    /// # async fn demo(redis: Redis) -> Result<(), hardy_redis::Error> {
    /// let km = redis.geodist("cities", "Palermo", "Catania", GeoUnit::Kilometers).await?;
    /// # let _: Option<f64> = km;
    /// # Ok(()) }
    /// ```
    fn geodist(
        self,
        key: impl ToArg,
        member1: impl ToArg,
        member2: impl ToArg,
        unit: GeoUnit,
    ) -> Self::Output<Option<f64>> {
        self.run(TypedCmd::new(
            cmd("GEODIST").arg(key).arg(member1).arg(member2).arg(unit),
        ))
    }

    /// `GEOPOS key member [member ...]`: each member's `(longitude, latitude)`, `None` if
    /// missing.
    ///
    /// ```no_run
    /// # use hardy_redis::prelude::*;
    /// # async fn demo(redis: Redis) -> Result<(), hardy_redis::Error> {
    /// let at = redis.geopos("cities", ["Palermo"]).await?;
    /// # let _: Vec<Option<(f64, f64)>> = at;
    /// # Ok(()) }
    /// ```
    fn geopos(self, key: impl ToArg, members: impl ToArg) -> Self::Output<Vec<Option<(f64, f64)>>> {
        self.run(TypedCmd::new(cmd("GEOPOS").arg(key).arg(members)))
    }
}

impl<H: Execute> GeoCommands for H {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::options::encoded;

    #[test]
    fn geosearch_encodes_centre_shape_order_count() {
        let query = GeoSearch::from_member("a")
            .by_box(2.0, 3.5, GeoUnit::Miles)
            .desc()
            .count(4);
        assert_eq!(
            encoded(&cmd("GEOSEARCH").arg("k").arg(query)),
            [
                "GEOSEARCH",
                "k",
                "FROMMEMBER",
                "a",
                "BYBOX",
                "2.0",
                "3.5",
                "mi",
                "DESC",
                "COUNT",
                "4"
            ]
        );
        let query = GeoSearch::from_lonlat(1.5, -2.0).by_radius(10.0, GeoUnit::Meters);
        assert_eq!(
            encoded(&cmd("GEOSEARCH").arg("k").arg(query)),
            [
                "GEOSEARCH",
                "k",
                "FROMLONLAT",
                "1.5",
                "-2.0",
                "BYRADIUS",
                "10.0",
                "m"
            ]
        );
    }
}
