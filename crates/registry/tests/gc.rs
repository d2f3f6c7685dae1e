//! Garbage collection on every pair of backends: what goes, what stays, dry runs, upload
//! sessions, and pushes running while it collects.

mod support;

use std::time::Duration;

use drydock_registry::gc::{Options, Report, collect};
use support::*;

on_every_backend!(
    dry_run_reports_without_deleting,
    untagged_manifests_and_orphaned_blobs_go,
    referrers_and_index_children_of_kept_images_stay,
    fresh_content_and_live_uploads_survive,
    pushes_during_collection_complete_and_verify,
    pushes_racing_a_zero_grace_collection_never_leave_dangling_references,
);

const GRACE: Duration = Duration::from_secs(600);

fn options(dry_run: bool) -> Options {
    Options {
        dry_run,
        grace: GRACE,
        upload_max_age: Duration::from_secs(24 * 3600),
    }
}

/// Makes every manifest, link and blob record older than any grace period.
fn backdate(stores: &Stores) {
    for table in ["manifests", "repository_blobs", "blobs"] {
        execute(stores, &format!("UPDATE {table} SET created_at = 0"));
    }
}

fn gc(stores: &Stores, options: Options) -> Report {
    stores.with_registry(async |registry| collect(registry, &options).await.unwrap())
}

fn object_exists(stores: &Stores, digest: &str) -> bool {
    stores.with_registry(async |registry| registry.blobs.blob_exists(&digest.parse().unwrap()).await.unwrap())
}

/// A kept image, an untagged manifest with blobs of its own, and an orphaned blob.
struct Garbage {
    kept_layer: String,
    untagged: String,
    untagged_layer: String,
    orphan: String,
}

fn make_garbage(client: &Client) -> Garbage {
    let kept_layer = bytes(10, 2000);
    client.push_image("gc/app", "v1", &kept_layer, "");
    let untagged_layer = bytes(11, 3000);
    let (untagged, _) = client.push_image("gc/app", "placeholder", &untagged_layer, "");
    let deleted = client
        .agent
        .delete(&client.url("/v2/gc/app/manifests/placeholder"))
        .call()
        .unwrap();
    assert_eq!(deleted.status(), 202, "untagging");
    let orphan = client.push_blob("gc/app", &bytes(12, 500));
    Garbage {
        kept_layer: sha256(&kept_layer),
        untagged,
        untagged_layer: sha256(&untagged_layer),
        orphan,
    }
}

fn dry_run_reports_without_deleting(db: Db, blobs: Blobs) {
    let stores = Stores::new(db, blobs);
    let server = Server::start(&stores);
    let client = Client::of(&server);
    let garbage = make_garbage(&client);
    backdate(&stores);
    let planned = gc(&stores, options(true));
    assert_eq!(planned.manifests, vec![format!("gc/app@{}", garbage.untagged)]);
    assert!(planned.blobs.contains(&garbage.orphan), "{planned:?}");
    assert!(planned.blobs.contains(&garbage.untagged_layer), "{planned:?}");
    assert!(!planned.blobs.contains(&garbage.kept_layer), "{planned:?}");
    // Nothing went.
    assert_eq!(
        client
            .head(&format!("/v2/gc/app/manifests/{}", garbage.untagged))
            .status(),
        200
    );
    assert_eq!(
        client.head(&format!("/v2/gc/app/blobs/{}", garbage.orphan)).status(),
        200
    );
    assert!(object_exists(&stores, &garbage.orphan));
    // A real run removes exactly what the dry run said.
    let done = gc(&stores, options(false));
    assert_eq!(done.manifests, planned.manifests);
    let mut planned_blobs = planned.blobs.clone();
    let mut done_blobs = done.blobs.clone();
    planned_blobs.sort();
    done_blobs.sort();
    assert_eq!(done_blobs, planned_blobs);
    assert_eq!(done.links, planned.links);
}

fn untagged_manifests_and_orphaned_blobs_go(db: Db, blobs: Blobs) {
    let stores = Stores::new(db, blobs);
    let server = Server::start(&stores);
    let client = Client::of(&server);
    let garbage = make_garbage(&client);
    backdate(&stores);
    let report = gc(&stores, options(false));
    assert_eq!(report.manifests.len(), 1, "{report:?}");
    assert_eq!(
        client
            .head(&format!("/v2/gc/app/manifests/{}", garbage.untagged))
            .status(),
        404
    );
    for gone in [&garbage.orphan, &garbage.untagged_layer] {
        assert_eq!(client.head(&format!("/v2/gc/app/blobs/{gone}")).status(), 404);
        assert!(!object_exists(&stores, gone), "object {gone} deleted");
    }
    assert!(report.blob_bytes >= 3500, "{report:?}");
    assert!(object_exists(&stores, &garbage.kept_layer));
    assert_eq!(client.verify_image("gc/app", "v1"), 2);
    // A second run finds nothing more.
    let again = gc(&stores, options(false));
    assert_eq!(again, Report::default());
}

fn referrers_and_index_children_of_kept_images_stay(db: Db, blobs: Blobs) {
    let stores = Stores::new(db, blobs);
    let server = Server::start(&stores);
    let client = Client::of(&server);
    let (image, image_bytes) = client.push_image("gc/signed", "v1", &bytes(20, 800), "");
    let subject = format!(
        r#","subject":{{"mediaType":"{OCI_MANIFEST}","digest":"{image}","size":{}}}"#,
        image_bytes.len()
    );
    let (signature, _) = client.push_image("gc/signed", "sig-placeholder", &bytes(21, 90), &subject);
    // The referrer is pushed by tag only to get it in; untag it so only its subject keeps it.
    client
        .agent
        .delete(&client.url("/v2/gc/signed/manifests/sig-placeholder"))
        .call()
        .unwrap();
    // An index, tagged, whose child is reachable only through it.
    let (child, child_bytes) = client.push_image("gc/signed", "child-placeholder", &bytes(22, 700), "");
    client
        .agent
        .delete(&client.url("/v2/gc/signed/manifests/child-placeholder"))
        .call()
        .unwrap();
    let index = format!(
        r#"{{"schemaVersion":2,"mediaType":"{OCI_INDEX}","manifests":[{{"mediaType":"{OCI_MANIFEST}","digest":"{child}","size":{},"platform":{{"architecture":"arm64","os":"linux"}}}}]}}"#,
        child_bytes.len()
    );
    assert_eq!(
        client
            .put_manifest("gc/signed", "multi", OCI_INDEX, index.as_bytes())
            .status(),
        201
    );
    // A referrer of an untagged manifest goes with it.
    let (lonely, lonely_bytes) = client.push_image("gc/signed", "lonely", &bytes(23, 60), "");
    client
        .agent
        .delete(&client.url("/v2/gc/signed/manifests/lonely"))
        .call()
        .unwrap();
    let lonely_subject = format!(
        r#","subject":{{"mediaType":"{OCI_MANIFEST}","digest":"{lonely}","size":{}}}"#,
        lonely_bytes.len()
    );
    let (lonely_sig, _) = client.push_image("gc/signed", "lonely-sig", &bytes(24, 61), &lonely_subject);
    client
        .agent
        .delete(&client.url("/v2/gc/signed/manifests/lonely-sig"))
        .call()
        .unwrap();
    backdate(&stores);
    let report = gc(&stores, options(false));
    let mut removed = report.manifests.clone();
    removed.sort();
    let mut expected = vec![format!("gc/signed@{lonely}"), format!("gc/signed@{lonely_sig}")];
    expected.sort();
    assert_eq!(removed, expected);
    assert_eq!(client.verify_image("gc/signed", &signature), 2);
    assert_eq!(client.verify_image("gc/signed", &child), 2);
    assert_eq!(client.verify_image("gc/signed", "v1"), 2);
    let referrers = client.get(&format!("/v2/gc/signed/referrers/{image}"));
    let listed: serde_json::Value = serde_json::from_slice(&body(referrers)).unwrap();
    assert_eq!(listed["manifests"][0]["digest"], signature.as_str());
}

fn fresh_content_and_live_uploads_survive(db: Db, blobs: Blobs) {
    let stores = Stores::new(db, blobs);
    let server = Server::start(&stores);
    let client = Client::of(&server);
    // Pushed moments ago, referenced by nothing yet: inside the grace period.
    let fresh = client.push_blob("gc/fresh", &bytes(30, 400));
    let location = client.start_upload("gc/fresh");
    let first = bytes(31, 1000);
    let response = client.patch(&location, 0, &first);
    assert_eq!(response.status(), 202);
    let location = client.absolute(&header(&response, "location").unwrap());
    let report = gc(&stores, options(false));
    assert_eq!(report, Report::default());
    assert_eq!(client.head(&format!("/v2/gc/fresh/blobs/{fresh}")).status(), 200);
    // The session carries on and finishes.
    let second = bytes(32, 500);
    let response = client.patch(&location, first.len(), &second);
    assert_eq!(response.status(), 202);
    let location = client.absolute(&header(&response, "location").unwrap());
    let whole = [first, second].concat();
    let digest = sha256(&whole);
    let done = client
        .agent
        .put(&format!("{}digest={digest}", with_query(&location)))
        .send_empty()
        .unwrap();
    assert_eq!(done.status(), 201);
    // A session idle past the upload age goes, with its staged chunk.
    let stale = client.start_upload("gc/fresh");
    let response = client.patch(&stale, 0, &bytes(33, 100));
    assert_eq!(response.status(), 202);
    execute(&stores, "UPDATE uploads SET updated_at = 0");
    let report = gc(
        &stores,
        Options {
            upload_max_age: Duration::from_secs(3600),
            ..options(false)
        },
    );
    assert_eq!(report.uploads.len(), 1, "{report:?}");
    let status = client.agent.get(&client.absolute(&stale)).call().unwrap();
    assert_eq!(status.status(), 404);
    if blobs == Blobs::Fs {
        let uploads = stores.blob_dir.join("uploads");
        let left: Vec<_> = walk(&uploads);
        assert!(left.is_empty(), "staged chunks left: {left:?}");
    }
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    entries
        .flatten()
        .flat_map(|e| {
            let path = e.path();
            if path.is_dir() { walk(&path) } else { vec![path] }
        })
        .collect()
}

fn pushes_during_collection_complete_and_verify(db: Db, blobs: Blobs) {
    let stores = Stores::new(db, blobs);
    let server = Server::start(&stores);
    let client = Client::of(&server);
    let garbage = make_garbage(&client);
    backdate(&stores);
    let stop = std::sync::atomic::AtomicBool::new(false);
    let collected = std::thread::scope(|scope| {
        let pushers: Vec<_> = (0..3u64)
            .map(|worker| {
                let client = client.clone();
                scope.spawn(move || {
                    for n in 0..4u64 {
                        client.push_image(
                            "gc/busy",
                            &format!("w{worker}-{n}"),
                            &bytes(100 + worker * 10 + n, 5000),
                            "",
                        );
                    }
                })
            })
            .collect();
        let collector = scope.spawn(|| {
            let mut reports = Vec::new();
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                reports.push(gc(&stores, options(false)));
            }
            reports
        });
        for pusher in pushers {
            pusher.join().unwrap();
        }
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        collector.join().unwrap()
    });
    assert!(!collected.is_empty());
    let removed: Vec<&String> = collected.iter().flat_map(|r| r.manifests.iter()).collect();
    assert_eq!(removed, vec![&format!("gc/app@{}", garbage.untagged)]);
    for worker in 0..3 {
        for n in 0..4 {
            assert_eq!(client.verify_image("gc/busy", &format!("w{worker}-{n}")), 2);
        }
    }
    assert_eq!(
        client.head(&format!("/v2/gc/app/blobs/{}", garbage.orphan)).status(),
        404
    );
}

/// With no grace period a collection may remove a blob a push is about to use; the push
/// must then fail cleanly (and succeed when retried), never leave a manifest whose blobs
/// are gone.
fn pushes_racing_a_zero_grace_collection_never_leave_dangling_references(db: Db, blobs: Blobs) {
    let stores = Stores::new(db, blobs);
    let server = Server::start(&stores);
    let client = Client::of(&server);
    let zero = Options {
        dry_run: false,
        grace: Duration::ZERO,
        upload_max_age: Duration::from_secs(3600),
    };
    let stop = std::sync::atomic::AtomicBool::new(false);
    std::thread::scope(|scope| {
        let pushers: Vec<_> = (0..2u64)
            .map(|worker| {
                let client = client.clone();
                scope.spawn(move || {
                    for n in 0..3u64 {
                        let layer = bytes(200 + worker * 10 + n, 4000);
                        let tag = format!("z{worker}-{n}");
                        let pushed = (0..50).any(|_| try_push_image(&client, "gc/race", &tag, &layer));
                        assert!(pushed, "{tag} pushed within 50 attempts");
                    }
                })
            })
            .collect();
        scope.spawn(|| {
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                gc(&stores, zero);
            }
        });
        for pusher in pushers {
            pusher.join().unwrap();
        }
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
    });
    gc(&stores, zero);
    for worker in 0..2 {
        for n in 0..3 {
            assert_eq!(client.verify_image("gc/race", &format!("z{worker}-{n}")), 2);
        }
    }
}

/// One attempt at pushing an image; false when the registry refused a step.
fn try_push_image(client: &Client, repo: &str, tag: &str, layer: &[u8]) -> bool {
    let config = format!(r#"{{"os":"linux","architecture":"amd64","layer":"{}"}}"#, sha256(layer));
    let Some(config_digest) = try_push_blob(client, repo, config.as_bytes()) else {
        return false;
    };
    let Some(layer_digest) = try_push_blob(client, repo, layer) else {
        return false;
    };
    let manifest = image_manifest(&config_digest, config.len(), &layer_digest, layer.len(), "");
    let response = client.put_manifest(repo, tag, OCI_MANIFEST, &manifest);
    match response.status().as_u16() {
        201 => true,
        400 | 404 => false,
        other => panic!("manifest push answered {other}"),
    }
}

fn try_push_blob(client: &Client, repo: &str, content: &[u8]) -> Option<String> {
    let digest = sha256(content);
    let location = client.start_upload(repo);
    let response = client
        .agent
        .put(&format!("{}digest={digest}", with_query(&location)))
        .send(content)
        .unwrap();
    match response.status().as_u16() {
        201 => Some(digest),
        404 => None,
        other => panic!("blob push answered {other}"),
    }
}
