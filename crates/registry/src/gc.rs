//! Garbage collection: remove the manifests no tag or kept referrer reaches, the blob links
//! no manifest references, the blobs no repository links, and upload sessions left behind.
//!
//! Mark: per repository, every tagged manifest, the manifests its index lists (transitively),
//! and every manifest whose `subject` is kept, until nothing more is added.
//!
//! Sweep, each deletion its own short transaction that re-checks its condition:
//! 1. unmarked manifests created before the grace cutoff, when no tag points at them and no
//!    other manifest references them (an index before its children, in rounds);
//! 2. blob links older than the cutoff that no manifest of the repository references;
//! 3. blob records older than the cutoff with no link left, and their objects (deleted
//!    before the record's transaction commits);
//! 4. upload sessions idle longer than the upload age, their staged chunks, and staged
//!    objects of sessions that no longer exist.
//!
//! Safety against concurrent pushes (the argument is in docs/registry.md): every
//! transaction that makes something reachable (manifest push, upload finish, mount) and
//! every sweep transaction are serialized (SQLite's single writer; on PostgreSQL an advisory
//! lock pushes share and the collector takes alone), and each sweep re-checks its condition
//! inside its transaction, so a push either sees the deletion and fails cleanly, or happens
//! first and makes the deletion's condition false. An object is written only after its
//! blob record is reserved (fresh, so inside the grace period), and linking needs the record.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use futures_util::TryStreamExt;
use object_store::ObjectStoreExt;
use object_store::path::Path;
use sqlx::Row;

use crate::Registry;
use crate::error::{Error, Result};
use crate::meta::now_millis;

/// What a collection is allowed to remove.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// Report only; delete nothing.
    pub dry_run: bool,
    /// Manifests, links and blobs younger than this are kept whatever refers to them.
    pub grace: Duration,
    /// Upload sessions idle longer than this are abandoned.
    pub upload_max_age: Duration,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            dry_run: false,
            grace: Duration::from_secs(3600),
            upload_max_age: Duration::from_secs(24 * 3600),
        }
    }
}

/// What a collection removed (or, in a dry run, would remove).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Report {
    /// `repository@digest` of each manifest.
    pub manifests: Vec<String>,
    /// `repository@digest` of each blob link.
    pub links: Vec<String>,
    /// Digests of the blobs whose objects went.
    pub blobs: Vec<String>,
    /// Bytes of those blobs.
    pub blob_bytes: u64,
    /// Ids of the upload sessions.
    pub uploads: Vec<String>,
    /// Objects with no record: staged chunks of no session, blobs of no blob record.
    pub orphaned_objects: Vec<String>,
}

/// Runs one collection.
pub async fn collect(registry: &Registry, options: &Options) -> Result<Report> {
    let now = now_millis();
    let cutoff = now - millis(options.grace);
    let mut report = Report::default();
    sweep_manifests(registry, cutoff, options.dry_run, &mut report).await?;
    sweep_links(registry, cutoff, options.dry_run, &mut report).await?;
    sweep_blobs(registry, cutoff, options.dry_run, &mut report).await?;
    sweep_unrecorded_objects(registry, cutoff, options.dry_run, &mut report).await?;
    let upload_cutoff = now - millis(options.upload_max_age);
    sweep_uploads(registry, upload_cutoff, options.dry_run, &mut report).await?;
    Ok(report)
}

fn millis(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}

/// A repository's manifests: digest -> (subject, created_at), and index -> child manifests.
#[derive(Default)]
struct Graph {
    manifests: BTreeMap<String, (Option<String>, i64)>,
    children: BTreeMap<String, Vec<String>>,
    tagged: BTreeSet<String>,
}

async fn load_graphs(registry: &Registry) -> Result<BTreeMap<String, Graph>> {
    let pool = registry.meta.pool();
    let mut graphs: BTreeMap<String, Graph> = BTreeMap::new();
    let rows = sqlx::query("SELECT repository, digest, subject, created_at FROM manifests")
        .fetch_all(pool)
        .await?;
    for row in rows {
        let graph = graphs.entry(row.try_get(0)?).or_default();
        graph
            .manifests
            .insert(row.try_get(1)?, (row.try_get(2)?, row.try_get(3)?));
    }
    let rows = sqlx::query("SELECT repository, manifest, child FROM manifest_references WHERE kind = 'manifest'")
        .fetch_all(pool)
        .await?;
    for row in rows {
        let graph = graphs.entry(row.try_get(0)?).or_default();
        graph.children.entry(row.try_get(1)?).or_default().push(row.try_get(2)?);
    }
    let rows = sqlx::query("SELECT repository, digest FROM tags")
        .fetch_all(pool)
        .await?;
    for row in rows {
        let graph = graphs.entry(row.try_get(0)?).or_default();
        graph.tagged.insert(row.try_get(1)?);
    }
    Ok(graphs)
}

/// The manifests of a repository that tags and kept referrers reach.
fn mark(graph: &Graph) -> BTreeSet<String> {
    let mut kept: BTreeSet<String> = BTreeSet::new();
    let mut pending: Vec<String> = graph.tagged.iter().cloned().collect();
    loop {
        while let Some(digest) = pending.pop() {
            if !kept.insert(digest.clone()) {
                continue;
            }
            if let Some(children) = graph.children.get(&digest) {
                pending.extend(children.iter().cloned());
            }
        }
        // Referrers of what is kept are kept; they may have referrers and children in turn.
        pending = graph
            .manifests
            .iter()
            .filter(|(digest, (subject, _))| {
                !kept.contains(*digest) && subject.as_ref().is_some_and(|s| kept.contains(s))
            })
            .map(|(digest, _)| digest.clone())
            .collect();
        if pending.is_empty() {
            return kept;
        }
    }
}

async fn sweep_manifests(registry: &Registry, cutoff: i64, dry_run: bool, report: &mut Report) -> Result<()> {
    for (repository, graph) in load_graphs(registry).await? {
        let kept = mark(&graph);
        let mut candidates: Vec<String> = graph
            .manifests
            .iter()
            .filter(|(digest, (_, created))| !kept.contains(*digest) && *created < cutoff)
            .map(|(digest, _)| digest.clone())
            .collect();
        if dry_run {
            // What a real run would remove: candidates no surviving manifest lists.
            let removable = removable_in_dry_run(&graph, &candidates);
            report
                .manifests
                .extend(removable.into_iter().map(|d| format!("{repository}@{d}")));
            continue;
        }
        // An index goes before its children: repeat while a round removes something.
        loop {
            let before = candidates.len();
            let mut left = Vec::new();
            for digest in candidates {
                if delete_manifest(registry, &repository, &digest, cutoff).await? {
                    report.manifests.push(format!("{repository}@{digest}"));
                } else {
                    left.push(digest);
                }
            }
            candidates = left;
            if candidates.len() == before || candidates.is_empty() {
                break;
            }
        }
    }
    Ok(())
}

fn removable_in_dry_run(graph: &Graph, candidates: &[String]) -> Vec<String> {
    let doomed: BTreeSet<&String> = candidates.iter().collect();
    candidates
        .iter()
        .filter(|digest| {
            !graph
                .children
                .iter()
                .any(|(parent, children)| !doomed.contains(parent) && children.contains(digest))
        })
        .cloned()
        .collect()
}

/// Deletes one manifest if it is still old, untagged and unreferenced.
async fn delete_manifest(registry: &Registry, repository: &str, digest: &str, cutoff: i64) -> Result<bool> {
    let mut tx = registry.meta.begin_collect().await?;
    let deleted = sqlx::query(
        "DELETE FROM manifests WHERE repository = $1 AND digest = $2 AND created_at < $3 \
         AND NOT EXISTS (SELECT 1 FROM tags t WHERE t.repository = $1 AND t.digest = $2) \
         AND NOT EXISTS (SELECT 1 FROM manifest_references r WHERE r.repository = $1 AND r.child = $2)",
    )
    .bind(repository)
    .bind(digest)
    .bind(cutoff)
    .execute(&mut *tx)
    .await?;
    if deleted.rows_affected() == 0 {
        return Ok(false);
    }
    sqlx::query("DELETE FROM manifest_references WHERE repository = $1 AND manifest = $2")
        .bind(repository)
        .bind(digest)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(true)
}

async fn sweep_links(registry: &Registry, cutoff: i64, dry_run: bool, report: &mut Report) -> Result<()> {
    if dry_run {
        return plan_links(registry, cutoff, report).await;
    }
    let rows = sqlx::query(
        "SELECT l.repository, l.digest FROM repository_blobs l WHERE l.created_at < $1 \
         AND NOT EXISTS (SELECT 1 FROM manifest_references r WHERE r.repository = l.repository AND r.child = l.digest) \
         ORDER BY l.repository, l.digest",
    )
    .bind(cutoff)
    .fetch_all(registry.meta.pool())
    .await?;
    for row in rows {
        let (repository, digest): (String, String) = (row.try_get(0)?, row.try_get(1)?);
        if delete_link(registry, &repository, &digest, cutoff).await? {
            report.links.push(format!("{repository}@{digest}"));
        }
    }
    Ok(())
}

/// The links a real run would remove: those whose referencing manifests all go.
async fn plan_links(registry: &Registry, cutoff: i64, report: &mut Report) -> Result<()> {
    let rows = sqlx::query(
        "SELECT l.repository, l.digest, r.manifest FROM repository_blobs l \
         LEFT JOIN manifest_references r ON r.repository = l.repository AND r.child = l.digest \
         WHERE l.created_at < $1",
    )
    .bind(cutoff)
    .fetch_all(registry.meta.pool())
    .await?;
    let doomed: BTreeSet<&String> = report.manifests.iter().collect();
    let mut links: BTreeMap<String, bool> = BTreeMap::new();
    for row in rows {
        let (repository, digest): (String, String) = (row.try_get(0)?, row.try_get(1)?);
        let manifest: Option<String> = row.try_get(2)?;
        let goes = manifest.is_none_or(|m| doomed.contains(&format!("{repository}@{m}")));
        *links.entry(format!("{repository}@{digest}")).or_insert(true) &= goes;
    }
    report
        .links
        .extend(links.into_iter().filter(|(_, goes)| *goes).map(|(link, _)| link));
    Ok(())
}

async fn delete_link(registry: &Registry, repository: &str, digest: &str, cutoff: i64) -> Result<bool> {
    let mut tx = registry.meta.begin_collect().await?;
    let deleted = sqlx::query(
        "DELETE FROM repository_blobs WHERE repository = $1 AND digest = $2 AND created_at < $3 \
         AND NOT EXISTS (SELECT 1 FROM manifest_references r WHERE r.repository = $1 AND r.child = $2)",
    )
    .bind(repository)
    .bind(digest)
    .bind(cutoff)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(deleted.rows_affected() > 0)
}

async fn sweep_blobs(registry: &Registry, cutoff: i64, dry_run: bool, report: &mut Report) -> Result<()> {
    let query = if dry_run {
        "SELECT b.digest, b.size, (SELECT COUNT(*) FROM repository_blobs l WHERE l.digest = b.digest) \
         FROM blobs b WHERE b.created_at < $1 ORDER BY b.digest"
    } else {
        "SELECT b.digest, b.size, 0 FROM blobs b WHERE b.created_at < $1 \
         AND NOT EXISTS (SELECT 1 FROM repository_blobs l WHERE l.digest = b.digest) ORDER BY b.digest"
    };
    let rows = sqlx::query(query).bind(cutoff).fetch_all(registry.meta.pool()).await?;
    for row in rows {
        let (digest, size, links): (String, i64, i64) = (row.try_get(0)?, row.try_get(1)?, row.try_get(2)?);
        let gone = if dry_run {
            // The links this run would remove are still there: the blob goes if they are all.
            let suffix = format!("@{digest}");
            report.links.iter().filter(|l| l.ends_with(&suffix)).count() as i64 == links
        } else {
            delete_blob(registry, &digest, cutoff).await?
        };
        if gone {
            report.blob_bytes += size.max(0) as u64;
            report.blobs.push(digest);
        }
    }
    Ok(())
}

/// Deletes a blob's record and then its object in one transaction: should the object not
/// go, the record stays and the next collection tries again.
async fn delete_blob(registry: &Registry, digest: &str, cutoff: i64) -> Result<bool> {
    let parsed = digest
        .parse::<drydock_model::Digest>()
        .map_err(|e| Error::Corrupt(format!("blob digest `{digest}`: {e}")))?;
    let mut tx = registry.meta.begin_collect().await?;
    let deleted = sqlx::query(
        "DELETE FROM blobs WHERE digest = $1 AND created_at < $2 \
         AND NOT EXISTS (SELECT 1 FROM repository_blobs l WHERE l.digest = $1)",
    )
    .bind(digest)
    .bind(cutoff)
    .execute(&mut *tx)
    .await?;
    if deleted.rows_affected() == 0 {
        return Ok(false);
    }
    match registry
        .blobs
        .object_store()
        .delete(&crate::storage::BlobStore::blob_path(&parsed))
        .await
    {
        Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
        Err(error) => return Err(error.into()),
    }
    tx.commit().await?;
    Ok(true)
}

/// Blob objects with no record, older than the cutoff: left by an upload whose reservation
/// outlived the grace period and was collected while its object was being written.
async fn sweep_unrecorded_objects(registry: &Registry, cutoff: i64, dry_run: bool, report: &mut Report) -> Result<()> {
    let store = registry.blobs.object_store();
    let objects: Vec<object_store::ObjectMeta> = store.list(Some(&Path::from("blobs"))).try_collect().await?;
    for object in objects {
        if object.last_modified.timestamp_millis() >= cutoff {
            continue;
        }
        let mut parts = object.location.parts().skip(1);
        let (Some(algorithm), Some(_), Some(hex)) = (parts.next(), parts.next(), parts.next()) else {
            continue;
        };
        let digest = format!("{}:{}", algorithm.as_ref(), hex.as_ref());
        if report.blobs.contains(&digest) {
            continue;
        }
        // Most objects have a record: look without the lock first, then re-check under it.
        if blob_recorded(registry.meta.pool(), &digest).await? {
            continue;
        }
        let mut tx = registry.meta.begin_collect().await?;
        if blob_recorded(&mut *tx, &digest).await? {
            continue;
        }
        if !dry_run {
            match store.delete(&object.location).await {
                Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
                Err(error) => return Err(error.into()),
            }
        }
        tx.commit().await?;
        report.orphaned_objects.push(object.location.to_string());
    }
    Ok(())
}

async fn blob_recorded<'e, E>(executor: E, digest: &str) -> Result<bool>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let row = sqlx::query("SELECT COUNT(*) FROM blobs WHERE digest = $1")
        .bind(digest)
        .fetch_one(executor)
        .await?;
    Ok(row.try_get::<i64, _>(0)? > 0)
}

async fn sweep_uploads(registry: &Registry, cutoff: i64, dry_run: bool, report: &mut Report) -> Result<()> {
    let rows = sqlx::query("SELECT id, repository FROM uploads WHERE updated_at < $1 ORDER BY id")
        .bind(cutoff)
        .fetch_all(registry.meta.pool())
        .await?;
    for row in rows {
        let (id, repository): (String, String) = (row.try_get(0)?, row.try_get(1)?);
        if dry_run {
            report.uploads.push(id);
            continue;
        }
        let Some(upload) = registry.meta.upload(&repository, &id).await? else {
            continue;
        };
        if delete_stale_upload(registry, &id, cutoff).await? {
            registry.blobs.discard(&upload.chunks).await;
            report.uploads.push(id);
        }
    }
    sweep_orphaned_chunks(registry, cutoff, dry_run, report).await
}

async fn delete_stale_upload(registry: &Registry, id: &str, cutoff: i64) -> Result<bool> {
    let mut tx = registry.meta.begin_collect().await?;
    let deleted = sqlx::query("DELETE FROM uploads WHERE id = $1 AND updated_at < $2")
        .bind(id)
        .bind(cutoff)
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM upload_chunks WHERE upload_id = $1 AND NOT EXISTS (SELECT 1 FROM uploads WHERE id = $1)")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(deleted.rows_affected() > 0)
}

/// Staged chunk objects older than the cutoff whose session is gone (a crash between
/// writing a chunk and recording it, or a session deleted while its chunk was written).
async fn sweep_orphaned_chunks(registry: &Registry, cutoff: i64, dry_run: bool, report: &mut Report) -> Result<()> {
    let store = registry.blobs.object_store();
    let objects: Vec<object_store::ObjectMeta> = store.list(Some(&Path::from("uploads"))).try_collect().await?;
    let mut live: BTreeMap<String, bool> = BTreeMap::new();
    for object in objects {
        if object.last_modified.timestamp_millis() >= cutoff {
            continue;
        }
        let Some(id) = object.location.parts().nth(1).map(|p| p.as_ref().to_string()) else {
            continue;
        };
        let exists = match live.get(&id) {
            Some(exists) => *exists,
            None => {
                let row = sqlx::query("SELECT COUNT(*) FROM uploads WHERE id = $1")
                    .bind(&id)
                    .fetch_one(registry.meta.pool())
                    .await?;
                let exists = row.try_get::<i64, _>(0)? > 0;
                live.insert(id.clone(), exists);
                exists
            }
        };
        if exists {
            continue;
        }
        if !dry_run {
            match store.delete(&object.location).await {
                Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
                Err(error) => return Err(error.into()),
            }
        }
        report.orphaned_objects.push(object.location.to_string());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn graph(manifests: &[(&str, Option<&str>)], children: &[(&str, &str)], tagged: &[&str]) -> Graph {
        let mut graph = Graph::default();
        for (digest, subject) in manifests {
            graph
                .manifests
                .insert(digest.to_string(), (subject.map(str::to_string), 0));
        }
        for (parent, child) in children {
            graph
                .children
                .entry(parent.to_string())
                .or_default()
                .push(child.to_string());
        }
        graph.tagged = tagged.iter().map(|t| t.to_string()).collect();
        graph
    }

    #[test]
    fn marks_indexes_referrers_and_referrers_of_referrers() {
        let g = graph(
            &[
                ("index", None),
                ("amd64", None),
                ("sig", Some("index")),
                ("sig-of-sig", Some("sig")),
                ("sbom-of-child", Some("amd64")),
                ("orphan", None),
                ("orphan-sig", Some("orphan")),
            ],
            &[("index", "amd64")],
            &["index"],
        );
        let kept = mark(&g);
        let expected: BTreeSet<String> = ["index", "amd64", "sig", "sig-of-sig", "sbom-of-child"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(kept, expected);
    }

    #[test]
    fn dry_run_keeps_children_of_surviving_indexes() {
        let g = graph(
            &[("young-index", None), ("child", None), ("old", None)],
            &[("young-index", "child")],
            &[],
        );
        // `young-index` is inside the grace period, so not a candidate.
        let removable = removable_in_dry_run(&g, &["child".to_string(), "old".to_string()]);
        assert_eq!(removable, vec!["old".to_string()]);
    }
}
