//! The same blob-store and protocol tests on every pair of backends: SQLite or PostgreSQL
//! metadata, blobs in a directory or in a real S3-compatible server (s3s-fs).

mod support;

use bytes::Bytes;
use drydock_registry::storage::Commit;
use support::*;

on_every_backend!(
    staged_chunks_commit_only_when_verified,
    ranged_reads,
    monolithic_and_chunked_pushes_pull_back,
    mount_and_manifest_round_trip,
    digest_mismatch_stores_nothing,
    deleted_blob_is_gone,
);

fn stream(chunks: Vec<Vec<u8>>) -> impl futures_util::Stream<Item = Result<Bytes, std::io::Error>> + Unpin {
    futures_util::stream::iter(chunks.into_iter().map(|c| Ok(Bytes::from(c))))
}

fn staged_chunks_commit_only_when_verified(db: Db, blobs: Blobs) {
    let stores = Stores::new(db, blobs);
    // Two chunks, the first above the multipart part size, so the commit concatenates.
    let first = bytes(1, 9 * 1024 * 1024);
    let second = bytes(2, 1000);
    let whole: Vec<u8> = [first.clone(), second.clone()].concat();
    let digest: drydock_model::Digest = sha256(&whole).parse().unwrap();
    stores.with_registry(async |registry| {
        let store = &registry.blobs;
        let a = store
            .write_chunk(
                "u1",
                0,
                stream(vec![first[..5].to_vec(), first[5..].to_vec()]),
                u64::MAX,
            )
            .await
            .ok()
            .unwrap()
            .unwrap();
        let b = store
            .write_chunk("u1", a.size, stream(vec![second.clone()]), u64::MAX)
            .await
            .ok()
            .unwrap()
            .unwrap();
        assert_eq!((a.size, b.size), (first.len() as i64, second.len() as i64));
        let wrong: drydock_model::Digest = sha256(b"other").parse().unwrap();
        let chunks = vec![a.clone(), b.clone()];
        assert!(matches!(
            store.commit(&chunks, &wrong).await.unwrap(),
            Commit::Mismatch { .. }
        ));
        assert!(!store.blob_exists(&wrong).await.unwrap());
        assert_eq!(
            store.commit(&chunks, &digest).await.unwrap(),
            Commit::Stored {
                size: whole.len() as u64
            }
        );
        assert!(store.blob_exists(&digest).await.unwrap());
        let read = read_all(store, &digest, None).await;
        assert_eq!(sha256(&read), digest.to_string());
        store.discard(&chunks).await;
        // A limit stops a chunk and leaves nothing staged.
        let refused = store.write_chunk("u2", 0, stream(vec![vec![0u8; 100]]), 10).await;
        assert!(refused.is_err());
    });
}

async fn read_all(
    store: &drydock_registry::storage::BlobStore,
    digest: &drydock_model::Digest,
    range: Option<std::ops::Range<u64>>,
) -> Vec<u8> {
    use futures_util::TryStreamExt;
    let parts: Vec<Bytes> = store.read(digest, range).await.unwrap().try_collect().await.unwrap();
    parts.concat()
}

fn ranged_reads(db: Db, blobs: Blobs) {
    let stores = Stores::new(db, blobs);
    let server = Server::start(&stores);
    let client = Client::of(&server);
    let content = bytes(3, 70_000);
    let digest = client.push_blob("ops/range", &content);
    let response = client
        .agent
        .get(&client.url(&format!("/v2/ops/range/blobs/{digest}")))
        .header("Range", "bytes=65536-65545")
        .call()
        .unwrap();
    assert_eq!(response.status(), 206);
    assert_eq!(body(response), content[65536..65546].to_vec());
    let head = client.head(&format!("/v2/ops/range/blobs/{digest}"));
    assert_eq!(header(&head, "content-length").as_deref(), Some("70000"));
}

fn monolithic_and_chunked_pushes_pull_back(db: Db, blobs: Blobs) {
    let stores = Stores::new(db, blobs);
    let server = Server::start(&stores);
    let client = Client::of(&server);
    let small = bytes(4, 1234);
    let digest = client.push_blob("ops/app", &small);
    assert_eq!(body(client.get(&format!("/v2/ops/app/blobs/{digest}"))), small);

    let large = bytes(5, 6 * 1024 * 1024 + 17);
    let location = client.start_upload("ops/app");
    let mut start = 0;
    let mut location = location;
    for piece in large.chunks(2 * 1024 * 1024) {
        let response = client.patch(&location, start, piece);
        assert_eq!(response.status(), 202);
        location = client.absolute(&header(&response, "location").unwrap());
        start += piece.len();
    }
    let status = client.agent.get(&location).call().unwrap();
    assert_eq!(status.status(), 204);
    assert_eq!(
        header(&status, "range").as_deref(),
        Some(format!("0-{}", large.len() - 1).as_str())
    );
    let digest = sha256(&large);
    let done = client
        .agent
        .put(&format!("{}digest={digest}", with_query(&location)))
        .send_empty()
        .unwrap();
    assert_eq!(done.status(), 201);
    let pulled = body(client.get(&format!("/v2/ops/app/blobs/{digest}")));
    assert_eq!(sha256(&pulled), digest);
}

fn mount_and_manifest_round_trip(db: Db, blobs: Blobs) {
    let stores = Stores::new(db, blobs);
    let server = Server::start(&stores);
    let client = Client::of(&server);
    let layer = bytes(6, 50_000);
    client.push_image("ops/source", "v1", &layer, "");
    let layer_digest = sha256(&layer);
    let mounted = client
        .agent
        .post(&client.url(&format!(
            "/v2/ops/target/blobs/uploads/?mount={layer_digest}&from=ops/source"
        )))
        .send_empty()
        .unwrap();
    assert_eq!(mounted.status(), 201);
    assert_eq!(
        sha256(&body(client.get(&format!("/v2/ops/target/blobs/{layer_digest}")))),
        layer_digest
    );
    assert_eq!(client.verify_image("ops/source", "v1"), 2);
}

fn digest_mismatch_stores_nothing(db: Db, blobs: Blobs) {
    let stores = Stores::new(db, blobs);
    let server = Server::start(&stores);
    let client = Client::of(&server);
    let claimed = sha256(b"what the client claims");
    let location = client.start_upload("ops/bad");
    let response = client
        .agent
        .put(&format!("{}digest={claimed}", with_query(&location)))
        .send(&b"something else"[..])
        .unwrap();
    assert_eq!(response.status(), 400);
    assert_eq!(client.head(&format!("/v2/ops/bad/blobs/{claimed}")).status(), 404);
    let object =
        stores.with_registry(async |registry| registry.blobs.blob_exists(&claimed.parse().unwrap()).await.unwrap());
    assert!(!object, "no object at the claimed digest");
}

fn deleted_blob_is_gone(db: Db, blobs: Blobs) {
    let stores = Stores::new(db, blobs);
    let server = Server::start(&stores);
    let client = Client::of(&server);
    let digest = client.push_blob("ops/del", &bytes(7, 300));
    let deleted = client
        .agent
        .delete(&client.url(&format!("/v2/ops/del/blobs/{digest}")))
        .call()
        .unwrap();
    assert_eq!(deleted.status(), 202);
    assert_eq!(client.head(&format!("/v2/ops/del/blobs/{digest}")).status(), 404);
}
