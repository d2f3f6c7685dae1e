//! Concurrent clients on one registry: parallel pushes of shared and distinct blobs and
//! manifests all land, and two chunks racing for the same place in one upload cannot both.

mod common;

use std::sync::Arc;

use common::*;

on_both_databases!(parallel_pushes_all_land, racing_chunks_one_wins);

fn parallel_pushes_all_land(db: Db) {
    let server = Arc::new(Server::start(db));
    let workers: Vec<_> = (0..8)
        .map(|i| {
            let server = server.clone();
            std::thread::spawn(move || {
                // Every worker pushes the same shared base layer and one of its own.
                let shared = server.push_blob(&format!("team/app{}", i % 2), b"shared base layer");
                let (digest, _) = server.push_image(
                    &format!("team/app{}", i % 2),
                    &format!("v{i}"),
                    format!("own layer {i}").as_bytes(),
                );
                (shared, digest)
            })
        })
        .collect();
    let results: Vec<_> = workers.into_iter().map(|w| w.join().unwrap()).collect();
    for (i, (shared, digest)) in results.iter().enumerate() {
        let repo = format!("team/app{}", i % 2);
        assert_eq!(
            body(server.get(&format!("/v2/{repo}/blobs/{shared}"))),
            b"shared base layer"
        );
        let head = server
            .agent
            .head(&server.url(&format!("/v2/{repo}/manifests/v{i}")))
            .call()
            .unwrap();
        assert_eq!(header(&head, "docker-content-digest").as_deref(), Some(digest.as_str()));
    }
    let tags = json(server.get("/v2/team/app0/tags/list"));
    assert_eq!(tags["tags"].as_array().unwrap().len(), 4);
}

fn racing_chunks_one_wins(db: Db) {
    let server = Arc::new(Server::start(db));
    let location = server.start_upload("r");
    let racers: Vec<_> = [b'a', b'b']
        .into_iter()
        .map(|byte| {
            let server = server.clone();
            let location = location.clone();
            std::thread::spawn(move || {
                let response = server
                    .agent
                    .patch(&server.url(&location))
                    .header("Content-Range", "0-999")
                    .send(&vec![byte; 1000][..])
                    .unwrap();
                response.status().as_u16()
            })
        })
        .collect();
    let mut statuses: Vec<u16> = racers.into_iter().map(|r| r.join().unwrap()).collect();
    statuses.sort();
    // Whichever lands first, the other is out of order: never two chunks at one position.
    assert_eq!(statuses, vec![202, 416]);
    let status = server.agent.get(&server.url(&location)).call().unwrap();
    assert_eq!(header(&status, "range").as_deref(), Some("0-999"));
}
