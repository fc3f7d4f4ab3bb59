//! Time in the vocabulary: the one clock every layer above uses.

use std::fmt;
use std::str::FromStr;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use time::format_description::BorrowedFormatItem;
use time::macros::format_description;
use time::{OffsetDateTime, PrimitiveDateTime};

/// A point in time: milliseconds since the Unix epoch (UTC).
///
/// Its text form (serde, [`Display`](fmt::Display), [`FromStr`]) is
/// RFC 3339 in UTC with exactly three fractional digits, for example
/// `2026-12-02T14:18:21.123Z`, from `1970-01-01T00:00:00.000Z` to
/// `9999-12-31T23:59:59.999Z`. Parsing is strict: only that form (a `Z`,
/// never an offset such as `+00:00`, exactly three digits, upper-case `T`
/// and `Z`), so each timestamp has one text. The audit chain hashes
/// [`Timestamp::unix_millis`] as a `u64`, never the text.
///
/// ```
/// use coffer_policy::Timestamp;
/// let t: Timestamp = "2026-12-02T14:18:21.123Z".parse()?;
/// assert_eq!(t.unix_millis(), 1_796_221_101_123);
/// assert_eq!(t.to_string(), "2026-12-02T14:18:21.123Z");
/// assert!("2026-12-02T15:18:21.123+01:00".parse::<Timestamp>().is_err());
/// # Ok::<(), coffer_policy::TimestampError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(u64);

/// The one text form of a [`Timestamp`].
const TEXT_FORM: &[BorrowedFormatItem<'static>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z");

/// Text that is not a [`Timestamp`], or a timestamp that has no text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimestampError {
    /// The text is not an RFC 3339 time of the form
    /// `2026-12-02T14:18:21.123Z`.
    #[error(
        "timestamp `{text}` is not of the form `YYYY-MM-DDTHH:MM:SS.mmmZ` (RFC 3339, UTC, milliseconds)"
    )]
    Malformed {
        /// The offending text, cut to 64 characters.
        text: String,
    },
    /// The time is before the Unix epoch or after the year 9999.
    #[error("timestamp `{0}` ms is outside 1970-01-01 to 9999-12-31")]
    OutOfRange(i128),
}

impl Timestamp {
    /// The RFC 3339 text of this timestamp (see [`Timestamp`]); fails only
    /// after the year 9999.
    pub fn to_rfc3339(self) -> Result<String, TimestampError> {
        let out_of_range = || TimestampError::OutOfRange(i128::from(self.0));
        let nanos = i128::from(self.0) * 1_000_000;
        let time = OffsetDateTime::from_unix_timestamp_nanos(nanos).map_err(|_| out_of_range())?;
        time.format(TEXT_FORM).map_err(|_| out_of_range())
    }

    /// Parses the RFC 3339 text [`Timestamp::to_rfc3339`] writes, and only
    /// that text.
    pub fn parse_rfc3339(text: &str) -> Result<Self, TimestampError> {
        let malformed = || TimestampError::Malformed {
            text: text.chars().take(64).collect(),
        };
        let time = PrimitiveDateTime::parse(text, TEXT_FORM)
            .map_err(|_| malformed())?
            .assume_utc();
        let ms = time.unix_timestamp_nanos() / 1_000_000;
        let stamp = u64::try_from(ms)
            .map(Self)
            .map_err(|_| TimestampError::OutOfRange(ms))?;
        // One text per timestamp: whatever the parser tolerated (a sign on
        // the year, say) is refused unless it is exactly the canonical form.
        if stamp.to_rfc3339().as_deref() != Ok(text) {
            return Err(malformed());
        }
        Ok(stamp)
    }
}

impl fmt::Display for Timestamp {
    /// The RFC 3339 text, or `<ms> ms since the epoch` after the year 9999.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.to_rfc3339() {
            Ok(text) => f.write_str(&text),
            Err(_) => write!(f, "{} ms since the epoch", self.0),
        }
    }
}

impl FromStr for Timestamp {
    type Err = TimestampError;
    fn from_str(text: &str) -> Result<Self, TimestampError> {
        Self::parse_rfc3339(text)
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let text = self.to_rfc3339().map_err(serde::ser::Error::custom)?;
        serializer.serialize_str(&text)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Self::parse_rfc3339(&text).map_err(serde::de::Error::custom)
    }
}

impl Timestamp {
    /// The current time (the epoch if the clock is before it).
    pub fn now() -> Self {
        let ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
            .unwrap_or(0);
        Self(ms)
    }

    /// A timestamp of `ms` milliseconds since the epoch.
    pub const fn from_unix_millis(ms: u64) -> Self {
        Self(ms)
    }

    /// Milliseconds since the epoch.
    pub const fn unix_millis(self) -> u64 {
        self.0
    }
}
