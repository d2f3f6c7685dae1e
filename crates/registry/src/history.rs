//! Tag history ("version control for images"): which digest each tag of a repository pointed
//! to over time, who moved it and when, from where.
//!
//! It is derived from the audit trail rather than kept in a table of its own: every manifest
//! push with a tag, every tag delete and every manifest delete is already an audit entry, in
//! order, hash-chained and covered by signed checkpoints, so the history inherits the trail's
//! tamper evidence and cannot disagree with it. Replaying those entries gives each change; a
//! manifest delete ends every tag that pointed to it at that moment.

use std::collections::BTreeMap;

use serde::Serialize;
use sqlx::Row;

use crate::audit::AuditLog;
use crate::error::Result;

/// One change of one tag.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TagChange {
    /// The audit entry it comes from.
    pub seq: i64,
    /// Milliseconds since the epoch.
    pub time: i64,
    pub tag: String,
    /// The digest the tag points to from now on; empty when the tag was removed.
    pub digest: String,
    /// The digest it pointed to before; empty when the tag is new.
    pub previous: String,
    /// `pushed` (created or moved), `deleted`, or `manifest-deleted`.
    pub change: String,
    pub actor: String,
    pub client: String,
}

/// The audit actions a tag history is made of.
const TAG_ACTIONS: [&str; 3] = ["push-manifest", "delete-tag", "delete-manifest"];

impl AuditLog {
    /// Every change of `repository`'s tags (only `tag`'s when given), oldest first.
    pub async fn tag_history(&self, repository: &str, tag: Option<&str>) -> Result<Vec<TagChange>> {
        let rows = sqlx::query(
            "SELECT seq, time, action, digest, tag, actor, client FROM audit_log \
             WHERE repository = $1 AND outcome = 'success' AND action IN ($2, $3, $4) ORDER BY seq",
        )
        .bind(repository)
        .bind(TAG_ACTIONS[0])
        .bind(TAG_ACTIONS[1])
        .bind(TAG_ACTIONS[2])
        .fetch_all(self.pool())
        .await?;
        let mut current: BTreeMap<String, String> = BTreeMap::new();
        let mut changes = Vec::new();
        for row in &rows {
            let action: String = row.try_get(2)?;
            let digest: String = row.try_get(3)?;
            let entry_tag: String = row.try_get(4)?;
            let mut change = |tag: String, digest: String, previous: String, kind: &str| -> Result<()> {
                changes.push(TagChange {
                    seq: row.try_get(0)?,
                    time: row.try_get(1)?,
                    tag,
                    digest,
                    previous,
                    change: kind.to_string(),
                    actor: row.try_get(5)?,
                    client: row.try_get(6)?,
                });
                Ok(())
            };
            match action.as_str() {
                "push-manifest" if !entry_tag.is_empty() => {
                    let previous = current.insert(entry_tag.clone(), digest.clone()).unwrap_or_default();
                    if previous != digest {
                        change(entry_tag, digest, previous, "pushed")?;
                    }
                }
                "delete-tag" => {
                    let previous = current.remove(&entry_tag).unwrap_or_default();
                    change(entry_tag, String::new(), previous, "deleted")?;
                }
                "delete-manifest" => {
                    let ended: Vec<String> = current
                        .iter()
                        .filter(|(_, pointed)| **pointed == digest)
                        .map(|(tag, _)| tag.clone())
                        .collect();
                    for tag in ended {
                        current.remove(&tag);
                        change(tag, String::new(), digest.clone(), "manifest-deleted")?;
                    }
                }
                _ => {}
            }
        }
        if let Some(tag) = tag {
            changes.retain(|change| change.tag == tag);
        }
        Ok(changes)
    }
}
