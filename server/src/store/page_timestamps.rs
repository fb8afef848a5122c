//! Timestamps read out of SQLite's history page document (`history.rs`), which holds them
//! as the RFC 3339 text sqlx stored. serde's own `DateTime` reads them with chrono's relaxed
//! parser (`FromStr`), a general format interpreter that was most of a page's parsing time
//! (`perf`, `bench/README.md`); chrono's strict `parse_from_rfc3339` reads the same text in a
//! fraction of it. Text the strict parser refuses still gets the relaxed one, so nothing
//! serde read before is refused now.

use chrono::{DateTime, FixedOffset, Utc};
use serde::{Deserializer, de};

fn parse(text: &str) -> Result<DateTime<Utc>, chrono::ParseError> {
    DateTime::parse_from_rfc3339(text)
        .or_else(|_| text.parse::<DateTime<FixedOffset>>())
        .map(|at| at.with_timezone(&Utc))
}

struct Rfc3339;

impl de::Visitor<'_> for Rfc3339 {
    type Value = DateTime<Utc>;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("an RFC 3339 date and time")
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<Self::Value, E> {
        parse(text).map_err(E::custom)
    }
}

pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
    d.deserialize_str(Rfc3339)
}

/// The same for a timestamp that may be `null`.
pub mod option {
    use chrono::{DateTime, Utc};
    use serde::{Deserialize, Deserializer};

    #[derive(Deserialize)]
    struct At(#[serde(deserialize_with = "super::deserialize")] DateTime<Utc>);

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<DateTime<Utc>>, D::Error> {
        Ok(Option::<At>::deserialize(d)?.map(|At(at)| at))
    }
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, Utc};

    #[derive(serde::Deserialize)]
    struct Row {
        #[serde(with = "super")]
        at: DateTime<Utc>,
        #[serde(with = "super::option")]
        maybe: Option<DateTime<Utc>>,
    }

    fn read(json: &str) -> Row {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn reads_what_serde_reads() {
        for text in [
            // As sqlx stores a `DateTime<Utc>` in SQLite (`SecondsFormat::AutoSi`).
            "2026-11-30T12:00:00+00:00",
            "2026-11-30T12:00:00.123+00:00",
            "2026-11-30T12:00:00.123456+00:00",
            "2026-11-30T12:00:00.123456789+00:00",
            "2026-11-30T12:00:00Z",
            "2026-11-30T13:30:00+01:30",
            // Only the relaxed parser takes these; they still read as before.
            "2026-11-30 12:00:00+00:00",
            "2026-11-30T12:00:00 +00:00",
        ] {
            let expected: DateTime<Utc> = serde_json::from_str(&format!("\"{text}\"")).unwrap();
            let row = read(&format!(r#"{{"at": "{text}", "maybe": "{text}"}}"#));
            assert_eq!(row.at, expected, "{text}");
            assert_eq!(row.maybe, Some(expected), "{text}");
        }
        assert_eq!(
            read(r#"{"at": "2026-11-30T12:00:00Z", "maybe": null}"#).maybe,
            None
        );
    }

    #[test]
    fn refuses_what_is_not_a_timestamp() {
        for json in [
            r#"{"at": "yesterday", "maybe": null}"#,
            r#"{"at": "2026-11-30T12:00:00Z", "maybe": "2026-13-01T00:00:00Z"}"#,
            r#"{"at": 1764504000, "maybe": null}"#,
        ] {
            assert!(serde_json::from_str::<Row>(json).is_err(), "{json}");
        }
    }
}
