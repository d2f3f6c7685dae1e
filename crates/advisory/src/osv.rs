//! OSV records (<https://ossf.github.io/osv-schema/>), read leniently where real data is
//! sloppy (`null` for empty lists, unknown fields) and strictly where matching depends on
//! it (every event has exactly one kind, every affected entry names its package).

use serde::{Deserialize, Deserializer};
use serde_json::Value;

/// One advisory as an OSV JSON document describes it.
#[derive(Clone, Debug, Deserialize)]
pub struct OsvRecord {
    pub id: String,
    #[serde(default)]
    pub modified: Option<String>,
    #[serde(default)]
    pub published: Option<String>,
    #[serde(default)]
    pub withdrawn: Option<String>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub aliases: Vec<String>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub upstream: Vec<String>,
    #[serde(default)]
    pub summary: Option<String>,
    #[serde(default)]
    pub details: Option<String>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub severity: Vec<OsvSeverity>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub affected: Vec<OsvAffected>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub references: Vec<OsvReference>,
    #[serde(default)]
    pub database_specific: Option<Value>,
}

#[derive(Clone, Debug, Deserialize)]
pub struct OsvSeverity {
    #[serde(rename = "type")]
    pub kind: String,
    pub score: String,
}

#[derive(Clone, Debug, Deserialize)]
pub struct OsvPackage {
    pub ecosystem: String,
    pub name: String,
    #[serde(default)]
    pub purl: Option<String>,
}

#[derive(Clone, Debug, Deserialize)]
pub struct OsvAffected {
    #[serde(default)]
    pub package: Option<OsvPackage>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub severity: Vec<OsvSeverity>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub ranges: Vec<OsvRange>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub versions: Vec<String>,
    #[serde(default)]
    pub ecosystem_specific: Option<Value>,
    #[serde(default)]
    pub database_specific: Option<Value>,
}

#[derive(Clone, Debug, Deserialize)]
pub struct OsvRange {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default, deserialize_with = "null_as_default")]
    pub events: Vec<OsvEvent>,
}

/// An event as written: exactly one of the four fields must be set.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct OsvEvent {
    #[serde(default)]
    pub introduced: Option<String>,
    #[serde(default)]
    pub fixed: Option<String>,
    #[serde(default)]
    pub last_affected: Option<String>,
    #[serde(default)]
    pub limit: Option<String>,
}

#[derive(Clone, Debug, Deserialize)]
pub struct OsvReference {
    #[serde(rename = "type", default)]
    pub kind: Option<String>,
    pub url: String,
}

/// The kind of an OSV range event.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EventKind {
    Introduced,
    Fixed,
    LastAffected,
    Limit,
}

impl EventKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Introduced => "introduced",
            EventKind::Fixed => "fixed",
            EventKind::LastAffected => "last_affected",
            EventKind::Limit => "limit",
        }
    }
}

impl OsvEvent {
    /// The event's kind and version, or `None` when it sets no field or more than one.
    pub fn single(&self) -> Option<(EventKind, &str)> {
        let set: Vec<(EventKind, &str)> = [
            (EventKind::Introduced, &self.introduced),
            (EventKind::Fixed, &self.fixed),
            (EventKind::LastAffected, &self.last_affected),
            (EventKind::Limit, &self.limit),
        ]
        .into_iter()
        .filter_map(|(kind, value)| value.as_deref().map(|v| (kind, v)))
        .collect();
        match set.as_slice() {
            [one] => Some(*one),
            _ => None,
        }
    }
}

impl OsvRecord {
    /// Parses one OSV JSON document.
    pub fn from_json(bytes: &[u8]) -> Result<OsvRecord, String> {
        let record: OsvRecord = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
        if record.id.trim().is_empty() {
            return Err("the record has an empty `id`".into());
        }
        Ok(record)
    }

    /// Whether the record names a known malicious package (OSV's `MAL-` records) rather
    /// than a vulnerability.
    pub fn is_malware(&self) -> bool {
        self.id.starts_with("MAL-") || self.aliases.iter().any(|alias| alias.starts_with("MAL-"))
    }

    /// The database's own rating word (GHSA `database_specific.severity`, distro urgency).
    pub fn database_rating(&self) -> Option<String> {
        rating_in(self.database_specific.as_ref()).map(str::to_string)
    }
}

/// A severity word under `severity` (GHSA, Go, RustSec informational) or `urgency`
/// (Debian) of a `database_specific` / `ecosystem_specific` object.
pub fn rating_in(value: Option<&Value>) -> Option<&str> {
    let object = value?.as_object()?;
    ["severity", "urgency"]
        .iter()
        .find_map(|key| object.get(*key)?.as_str())
        .filter(|word| !word.trim().is_empty())
}

fn null_as_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nulls_stand_for_empty_lists() {
        let record = OsvRecord::from_json(br#"{"id":"X-1","aliases":null,"affected":null,"extra":1}"#).unwrap();
        assert!(record.aliases.is_empty() && record.affected.is_empty());
    }

    #[test]
    fn an_event_has_exactly_one_kind() {
        let one = OsvEvent {
            fixed: Some("1.2".into()),
            ..OsvEvent::default()
        };
        assert_eq!(one.single(), Some((EventKind::Fixed, "1.2")));
        let two = OsvEvent {
            fixed: Some("1.2".into()),
            introduced: Some("0".into()),
            ..OsvEvent::default()
        };
        assert_eq!(two.single(), None);
        assert_eq!(OsvEvent::default().single(), None);
    }

    #[test]
    fn malformed_records_are_errors() {
        assert!(OsvRecord::from_json(b"{").is_err());
        assert!(OsvRecord::from_json(br#"{"id":""}"#).is_err());
        assert!(OsvRecord::from_json(br#"{"id":"A","affected":[{"ranges":[{"events":[]}]}]}"#).is_err());
    }

    #[test]
    fn malware_and_ratings() {
        let record = OsvRecord::from_json(br#"{"id":"MAL-2024-1","database_specific":{"severity":"HIGH"}}"#).unwrap();
        assert!(record.is_malware());
        assert_eq!(record.database_rating().as_deref(), Some("HIGH"));
    }
}
