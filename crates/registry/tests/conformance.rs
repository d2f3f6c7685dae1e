//! The distribution specification's requirements, over real HTTP, on SQLite and PostgreSQL:
//! pull, push, content discovery, content management, and the error code of every failure.

mod common;

use common::*;

on_both_databases!(
    base_endpoint_answers,
    monolithic_push_then_pull_blob,
    blob_head_and_ranges,
    blob_errors,
    single_request_push,
    chunked_upload_with_status_and_order,
    streamed_patch_without_range,
    digest_mismatch_leaves_nothing,
    upload_cancel,
    cross_repository_mount,
    manifest_push_pull_by_tag_and_digest,
    manifest_errors,
    manifest_content_negotiation,
    index_needs_its_manifests,
    tags_list_pagination,
    referrers_with_filter,
    catalog_pagination,
    delete_tag_manifest_and_blob,
    names_and_endpoints,
    size_limits,
    health_endpoints,
);

fn base_endpoint_answers(db: Db) {
    let server = Server::start(db);
    let response = server.get("/v2/");
    assert_eq!(response.status(), 200);
    assert_eq!(
        header(&response, "docker-distribution-api-version").as_deref(),
        Some("registry/2.0")
    );
    assert!(header(&response, "x-request-id").is_some());
}

fn monolithic_push_then_pull_blob(db: Db) {
    let server = Server::start(db);
    let content = b"layer bytes".repeat(1000);
    let digest = server.push_blob("team/app", &content);
    let response = server.get(&format!("/v2/team/app/blobs/{digest}"));
    assert_eq!(response.status(), 200);
    assert_eq!(
        header(&response, "docker-content-digest").as_deref(),
        Some(digest.as_str())
    );
    assert_eq!(body(response), content);
    // The blob belongs to the repository it was pushed to, not to every repository.
    let elsewhere = server.get(&format!("/v2/team/other/blobs/{digest}"));
    assert_eq!(elsewhere.status(), 404);
    assert_eq!(error_code(elsewhere), "BLOB_UNKNOWN");
}

fn blob_head_and_ranges(db: Db) {
    let server = Server::start(db);
    let content: Vec<u8> = (0..=255u8).collect();
    let digest = server.push_blob("r", &content);
    let head = server
        .agent
        .head(&server.url(&format!("/v2/r/blobs/{digest}")))
        .call()
        .unwrap();
    assert_eq!(head.status(), 200);
    assert_eq!(header(&head, "content-length").as_deref(), Some("256"));
    assert_eq!(header(&head, "docker-content-digest").as_deref(), Some(digest.as_str()));
    let ranged = |range: &str| {
        server
            .agent
            .get(&server.url(&format!("/v2/r/blobs/{digest}")))
            .header("Range", range)
            .call()
            .unwrap()
    };
    let part = ranged("bytes=10-19");
    assert_eq!(part.status(), 206);
    assert_eq!(header(&part, "content-range").as_deref(), Some("bytes 10-19/256"));
    assert_eq!(body(part), (10..20u8).collect::<Vec<_>>());
    let tail = ranged("bytes=-6");
    assert_eq!(tail.status(), 206);
    assert_eq!(body(tail), (250..=255u8).collect::<Vec<_>>());
    let beyond = ranged("bytes=256-");
    assert_eq!(beyond.status(), 416);
    assert_eq!(header(&beyond, "content-range").as_deref(), Some("bytes */256"));
    assert_eq!(ranged("bytes=9-3").status(), 416);
}

fn blob_errors(db: Db) {
    let server = Server::start(db);
    let unknown = sha256(b"never pushed");
    let response = server.get(&format!("/v2/r/blobs/{unknown}"));
    assert_eq!(response.status(), 404);
    assert_eq!(error_code(response), "BLOB_UNKNOWN");
    let head = server
        .agent
        .head(&server.url(&format!("/v2/r/blobs/{unknown}")))
        .call()
        .unwrap();
    assert_eq!(head.status(), 404);
    for bad in ["sha256:abc", "md5:00", "nodigest", "sha256:ZZZZ"] {
        let response = server.get(&format!("/v2/r/blobs/{bad}"));
        assert_eq!(response.status(), 400, "{bad}");
        assert_eq!(error_code(response), "DIGEST_INVALID", "{bad}");
    }
}

fn single_request_push(db: Db) {
    let server = Server::start(db);
    let content = b"one request";
    let digest = sha256(content);
    let response = server
        .agent
        .post(&server.url(&format!("/v2/r/blobs/uploads/?digest={digest}")))
        .header("Content-Type", "application/octet-stream")
        .send(&content[..])
        .unwrap();
    assert_eq!(response.status(), 201);
    assert_eq!(header(&response, "location").unwrap(), format!("/v2/r/blobs/{digest}"));
    assert_eq!(body(server.get(&format!("/v2/r/blobs/{digest}"))), content);
    let wrong = server
        .agent
        .post(&server.url(&format!("/v2/r/blobs/uploads/?digest={}", sha256(b"other"))))
        .send(&content[..])
        .unwrap();
    assert_eq!(wrong.status(), 400);
    assert_eq!(error_code(wrong), "DIGEST_INVALID");
}

fn chunked_upload_with_status_and_order(db: Db) {
    let server = Server::start(db);
    let content: Vec<u8> = (0..3000u32).map(|i| (i % 251) as u8).collect();
    let location = server.start_upload("team/app");
    let status = server.agent.get(&server.url(&location)).call().unwrap();
    assert_eq!(status.status(), 204);
    assert_eq!(header(&status, "range").as_deref(), Some("0-0"));
    let patch = |start: usize, end: usize| {
        server
            .agent
            .patch(&server.url(&location))
            .header("Content-Type", "application/octet-stream")
            .header("Content-Range", &format!("{start}-{}", end - 1))
            .send(&content[start..end])
            .unwrap()
    };
    let first = patch(0, 1000);
    assert_eq!(first.status(), 202);
    assert_eq!(header(&first, "range").as_deref(), Some("0-999"));
    assert!(header(&first, "location").is_some());
    // A chunk that does not start at the end of what was received is out of order.
    let skipped = patch(2000, 3000);
    assert_eq!(skipped.status(), 416);
    assert_eq!(header(&skipped, "range").as_deref(), Some("0-999"));
    assert_eq!(patch(1000, 2000).status(), 202);
    let status = server.agent.get(&server.url(&location)).call().unwrap();
    assert_eq!(status.status(), 204);
    assert_eq!(header(&status, "range").as_deref(), Some("0-1999"));
    assert_eq!(header(&status, "location").as_deref(), Some(location.as_str()));
    let digest = sha256(&content);
    let done = server
        .agent
        .put(&server.url(&format!("{}digest={digest}", with_query(&location))))
        .header("Content-Range", "2000-2999")
        .send(&content[2000..])
        .unwrap();
    assert_eq!(done.status(), 201);
    assert_eq!(header(&done, "docker-content-digest").as_deref(), Some(digest.as_str()));
    assert_eq!(body(server.get(&format!("/v2/team/app/blobs/{digest}"))), content);
    // The session is gone once closed.
    let after = server.agent.get(&server.url(&location)).call().unwrap();
    assert_eq!(after.status(), 404);
    assert_eq!(error_code(after), "BLOB_UPLOAD_UNKNOWN");
}

fn streamed_patch_without_range(db: Db) {
    let server = Server::start(db);
    let content = vec![7u8; 20_000];
    let location = server.start_upload("r");
    let reader = std::io::Cursor::new(content.clone());
    let patched = server
        .agent
        .patch(&server.url(&location))
        .send(ureq::SendBody::from_owned_reader(reader))
        .unwrap();
    assert_eq!(patched.status(), 202);
    assert_eq!(header(&patched, "range").as_deref(), Some("0-19999"));
    let digest = sha256(&content);
    let done = server
        .agent
        .put(&server.url(&format!("{}digest={digest}", with_query(&location))))
        .send_empty()
        .unwrap();
    assert_eq!(done.status(), 201);
    assert_eq!(body(server.get(&format!("/v2/r/blobs/{digest}"))).len(), 20_000);
}

fn digest_mismatch_leaves_nothing(db: Db) {
    let server = Server::start(db);
    let location = server.start_upload("r");
    let claimed = sha256(b"what the client claims");
    let response = server
        .agent
        .put(&server.url(&format!("{}digest={claimed}", with_query(&location))))
        .send(&b"what the client sends"[..])
        .unwrap();
    assert_eq!(response.status(), 400);
    assert_eq!(error_code(response), "DIGEST_INVALID");
    assert_eq!(server.get(&format!("/v2/r/blobs/{claimed}")).status(), 404);
    assert_eq!(server.agent.get(&server.url(&location)).call().unwrap().status(), 404);
    // A PUT without a digest is refused too.
    let location = server.start_upload("r");
    let response = server.agent.put(&server.url(&location)).send(&b"x"[..]).unwrap();
    assert_eq!(response.status(), 400);
    assert_eq!(error_code(response), "DIGEST_INVALID");
    // Two chunks whose whole does not match: the multipart path aborts.
    let location = server.start_upload("r");
    for (start, chunk) in [(0, &b"abc"[..]), (3, &b"def"[..])] {
        let response = server
            .agent
            .patch(&server.url(&location))
            .header("Content-Range", &format!("{start}-{}", start + 2))
            .send(chunk)
            .unwrap();
        assert_eq!(response.status(), 202);
    }
    let wrong = sha256(b"abcdeX");
    let response = server
        .agent
        .put(&server.url(&format!("{}digest={wrong}", with_query(&location))))
        .send_empty()
        .unwrap();
    assert_eq!(error_code(response), "DIGEST_INVALID");
    assert_eq!(server.get(&format!("/v2/r/blobs/{wrong}")).status(), 404);
}

fn upload_cancel(db: Db) {
    let server = Server::start(db);
    let location = server.start_upload("r");
    server
        .agent
        .patch(&server.url(&location))
        .send(&b"partial"[..])
        .unwrap();
    let cancelled = server.agent.delete(&server.url(&location)).call().unwrap();
    assert_eq!(cancelled.status(), 204);
    let status = server.agent.get(&server.url(&location)).call().unwrap();
    assert_eq!(status.status(), 404);
    assert_eq!(error_code(status), "BLOB_UPLOAD_UNKNOWN");
    let again = server.agent.delete(&server.url(&location)).call().unwrap();
    assert_eq!(error_code(again), "BLOB_UPLOAD_UNKNOWN");
    let bogus = server
        .agent
        .get(&server.url("/v2/r/blobs/uploads/not-an-id"))
        .call()
        .unwrap();
    assert_eq!(bogus.status(), 404);
    assert_eq!(error_code(bogus), "BLOB_UPLOAD_UNKNOWN");
}

fn cross_repository_mount(db: Db) {
    let server = Server::start(db);
    let digest = server.push_blob("source/repo", b"shared layer");
    let mounted = server
        .agent
        .post(&server.url(&format!(
            "/v2/target/repo/blobs/uploads/?mount={digest}&from=source/repo"
        )))
        .send_empty()
        .unwrap();
    assert_eq!(mounted.status(), 201);
    assert_eq!(
        header(&mounted, "location").unwrap(),
        format!("/v2/target/repo/blobs/{digest}")
    );
    assert_eq!(
        body(server.get(&format!("/v2/target/repo/blobs/{digest}"))),
        b"shared layer"
    );
    // When `from` does not hold the blob, the registry starts an ordinary upload instead.
    let missing = sha256(b"not there");
    let fallback = server
        .agent
        .post(&server.url(&format!(
            "/v2/target/repo/blobs/uploads/?mount={missing}&from=source/repo"
        )))
        .send_empty()
        .unwrap();
    assert_eq!(fallback.status(), 202);
    assert!(header(&fallback, "location").unwrap().contains("/blobs/uploads/"));
}

fn manifest_push_pull_by_tag_and_digest(db: Db) {
    let server = Server::start(db);
    let (digest, manifest) = server.push_image("team/app", "v1", b"layer");
    for reference in ["v1", digest.as_str()] {
        let response = server
            .agent
            .get(&server.url(&format!("/v2/team/app/manifests/{reference}")))
            .header("Accept", OCI_MANIFEST)
            .call()
            .unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(header(&response, "content-type").as_deref(), Some(OCI_MANIFEST));
        assert_eq!(
            header(&response, "docker-content-digest").as_deref(),
            Some(digest.as_str())
        );
        assert_eq!(body(response), manifest);
        let head = server
            .agent
            .head(&server.url(&format!("/v2/team/app/manifests/{reference}")))
            .call()
            .unwrap();
        assert_eq!(head.status(), 200);
        assert_eq!(header(&head, "content-length"), Some(manifest.len().to_string()));
        assert_eq!(header(&head, "docker-content-digest").as_deref(), Some(digest.as_str()));
    }
    // Pushing by digest stores it untagged; Location names the digest.
    let response = server.put_manifest("team/app", &digest, OCI_MANIFEST, &manifest);
    assert_eq!(response.status(), 201);
    assert_eq!(
        header(&response, "location").unwrap(),
        format!("/v2/team/app/manifests/{digest}")
    );
    // Moving a tag to another manifest.
    let (second, _) = server.push_image("team/app", "v1", b"another layer");
    let response = server
        .agent
        .head(&server.url("/v2/team/app/manifests/v1"))
        .call()
        .unwrap();
    assert_eq!(header(&response, "docker-content-digest"), Some(second));
}

fn manifest_errors(db: Db) {
    let server = Server::start(db);
    let unknown = server.get("/v2/r/manifests/nope");
    assert_eq!(unknown.status(), 404);
    assert_eq!(error_code(unknown), "MANIFEST_UNKNOWN");
    let unknown = server.get(&format!("/v2/r/manifests/{}", sha256(b"x")));
    assert_eq!(error_code(unknown), "MANIFEST_UNKNOWN");
    let invalid_tag = server.get("/v2/r/manifests/-bad");
    assert_eq!(invalid_tag.status(), 400);
    let config = server.push_blob("r", b"{}");
    let layer = sha256(b"layer never pushed");
    let manifest = image_manifest(&config, 2, &layer, 18, "");
    let response = server.put_manifest("r", "t", OCI_MANIFEST, &manifest);
    assert_eq!(response.status(), 400);
    assert_eq!(error_code(response), "MANIFEST_BLOB_UNKNOWN");
    assert_eq!(server.get("/v2/r/manifests/t").status(), 404);
    for (body, media_type) in [
        (&b"not json"[..], OCI_MANIFEST),
        (&br#"{"schemaVersion":2}"#[..], OCI_MANIFEST),
        (
            &br#"{"schemaVersion":1,"name":"r","tag":"t","fsLayers":[]}"#[..],
            "application/vnd.docker.distribution.manifest.v1+json",
        ),
        (&manifest[..], DOCKER_MANIFEST),
        (&br#"{"schemaVersion":2,"mediaType":"text/plain"}"#[..], "text/plain"),
    ] {
        let response = server.put_manifest("r", "t", media_type, body);
        assert_eq!(response.status(), 400, "{}", String::from_utf8_lossy(body));
        assert_eq!(error_code(response), "MANIFEST_INVALID");
    }
    let layer = server.push_blob("r", b"layer");
    let manifest = image_manifest(&config, 2, &layer, 5, "");
    let wrong_digest = sha256(b"not the manifest");
    let response = server.put_manifest("r", &wrong_digest, OCI_MANIFEST, &manifest);
    assert_eq!(response.status(), 400);
    assert_eq!(error_code(response), "DIGEST_INVALID");
}

fn manifest_content_negotiation(db: Db) {
    let server = Server::start(db);
    let (digest, _) = server.push_image("r", "t", b"layer");
    let docker_only = server
        .agent
        .get(&server.url("/v2/r/manifests/t"))
        .header("Accept", DOCKER_MANIFEST)
        .call()
        .unwrap();
    assert_eq!(docker_only.status(), 404);
    assert_eq!(error_code(docker_only), "MANIFEST_UNKNOWN");
    let both = server
        .agent
        .get(&server.url(&format!("/v2/r/manifests/{digest}")))
        .header("Accept", &format!("{DOCKER_MANIFEST}, {OCI_MANIFEST};q=0.9"))
        .call()
        .unwrap();
    assert_eq!(both.status(), 200);
    // A Docker schema 2 manifest is served as one.
    let config = server.push_blob("d", b"{}");
    let layer = server.push_blob("d", b"L");
    let docker = format!(
        r#"{{"schemaVersion":2,"mediaType":"{DOCKER_MANIFEST}","config":{{"mediaType":"application/vnd.docker.container.image.v1+json","digest":"{config}","size":2}},"layers":[{{"mediaType":"application/vnd.docker.image.rootfs.diff.tar.gzip","digest":"{layer}","size":1}}]}}"#
    );
    assert_eq!(
        server
            .put_manifest("d", "t", DOCKER_MANIFEST, docker.as_bytes())
            .status(),
        201
    );
    let response = server
        .agent
        .get(&server.url("/v2/d/manifests/t"))
        .header("Accept", DOCKER_MANIFEST)
        .call()
        .unwrap();
    assert_eq!(header(&response, "content-type").as_deref(), Some(DOCKER_MANIFEST));
}

fn index_needs_its_manifests(db: Db) {
    let server = Server::start(db);
    let (child, manifest) = server.push_image("r", "amd64", b"layer");
    let index = |digest: &str| {
        format!(
            r#"{{"schemaVersion":2,"mediaType":"{OCI_INDEX}","manifests":[{{"mediaType":"{OCI_MANIFEST}","digest":"{digest}","size":{},"platform":{{"architecture":"amd64","os":"linux"}}}}]}}"#,
            manifest.len()
        )
    };
    let missing = server.put_manifest("r", "multi", OCI_INDEX, index(&sha256(b"absent")).as_bytes());
    assert_eq!(missing.status(), 400);
    assert_eq!(error_code(missing), "MANIFEST_BLOB_UNKNOWN");
    let ok = server.put_manifest("r", "multi", OCI_INDEX, index(&child).as_bytes());
    assert_eq!(ok.status(), 201);
    let response = server
        .agent
        .get(&server.url("/v2/r/manifests/multi"))
        .header("Accept", &format!("{OCI_INDEX},{OCI_MANIFEST}"))
        .call()
        .unwrap();
    assert_eq!(header(&response, "content-type").as_deref(), Some(OCI_INDEX));
}

fn tags_list_pagination(db: Db) {
    let server = Server::start(db);
    let (_, manifest) = server.push_image("r", "a", b"layer");
    for tag in ["b", "C", "d", "e"] {
        assert_eq!(server.put_manifest("r", tag, OCI_MANIFEST, &manifest).status(), 201);
    }
    let all = json(server.get("/v2/r/tags/list"));
    assert_eq!(all["name"], "r");
    assert_eq!(all["tags"], serde_json::json!(["C", "a", "b", "d", "e"]));
    let first = server.get("/v2/r/tags/list?n=2");
    let link = header(&first, "link").expect("Link header");
    assert_eq!(link, "</v2/r/tags/list?n=2&last=a>; rel=\"next\"");
    assert_eq!(json(first)["tags"], serde_json::json!(["C", "a"]));
    let next = server.get("/v2/r/tags/list?n=2&last=a");
    assert_eq!(json(next)["tags"], serde_json::json!(["b", "d"]));
    let last = server.get("/v2/r/tags/list?n=2&last=d");
    assert!(header(&last, "link").is_none());
    assert_eq!(json(last)["tags"], serde_json::json!(["e"]));
    assert_eq!(json(server.get("/v2/r/tags/list?n=0"))["tags"], serde_json::json!([]));
    let unknown = server.get("/v2/nobody/tags/list");
    assert_eq!(unknown.status(), 404);
    assert_eq!(error_code(unknown), "NAME_UNKNOWN");
    assert_eq!(server.get("/v2/r/tags/list?n=x").status(), 400);
}

fn referrers_with_filter(db: Db) {
    let server = Server::start(db);
    let (subject, subject_manifest) = server.push_image("r", "app", b"layer");
    let empty = server.push_blob("r", b"{}");
    let payload = server.push_blob("r", b"signature");
    let artifact = |artifact_type: &str| {
        format!(
            r#"{{"schemaVersion":2,"mediaType":"{OCI_MANIFEST}","artifactType":"{artifact_type}","config":{{"mediaType":"application/vnd.oci.empty.v1+json","digest":"{empty}","size":2}},"layers":[{{"mediaType":"application/octet-stream","digest":"{payload}","size":9}}],"subject":{{"mediaType":"{OCI_MANIFEST}","digest":"{subject}","size":{}}},"annotations":{{"org.example":"{artifact_type}"}}}}"#,
            subject_manifest.len()
        )
    };
    let signature = artifact("application/vnd.example.sig");
    let response = server.put_manifest("r", &sha256(signature.as_bytes()), OCI_MANIFEST, signature.as_bytes());
    assert_eq!(response.status(), 201);
    assert_eq!(header(&response, "oci-subject"), Some(subject.clone()));
    let sbom = artifact("application/vnd.example.sbom");
    assert_eq!(
        server
            .put_manifest("r", &sha256(sbom.as_bytes()), OCI_MANIFEST, sbom.as_bytes())
            .status(),
        201
    );
    let all = server.get(&format!("/v2/r/referrers/{subject}"));
    assert_eq!(all.status(), 200);
    assert_eq!(header(&all, "content-type").as_deref(), Some(OCI_INDEX));
    assert!(header(&all, "oci-filters-applied").is_none());
    let index = json(all);
    assert_eq!(index["mediaType"], OCI_INDEX);
    assert_eq!(index["manifests"].as_array().unwrap().len(), 2);
    let filtered = server.get(&format!(
        "/v2/r/referrers/{subject}?artifactType=application/vnd.example.sig"
    ));
    assert_eq!(
        header(&filtered, "oci-filters-applied").as_deref(),
        Some("artifactType")
    );
    let index = json(filtered);
    let only = &index["manifests"][0];
    assert_eq!(index["manifests"].as_array().unwrap().len(), 1);
    assert_eq!(only["digest"], sha256(signature.as_bytes()));
    assert_eq!(only["artifactType"], "application/vnd.example.sig");
    assert_eq!(only["size"], signature.len());
    assert_eq!(only["annotations"]["org.example"], "application/vnd.example.sig");
    // A subject nobody refers to, even one not in the registry, has an empty list, not 404.
    let none = server.get(&format!("/v2/r/referrers/{}", sha256(b"lonely")));
    assert_eq!(none.status(), 200);
    assert_eq!(json(none)["manifests"], serde_json::json!([]));
    let bad = server.get("/v2/r/referrers/sha256:nothex");
    assert_eq!(bad.status(), 400);
    assert_eq!(error_code(bad), "DIGEST_INVALID");
}

fn catalog_pagination(db: Db) {
    let server = Server::start(db);
    for repo in ["b/x", "a", "c"] {
        server.push_blob(repo, b"x");
    }
    let all = json(server.get("/v2/_catalog"));
    assert_eq!(all["repositories"], serde_json::json!(["a", "b/x", "c"]));
    let first = server.get("/v2/_catalog?n=1");
    assert_eq!(
        header(&first, "link").as_deref(),
        Some("</v2/_catalog?n=1&last=a>; rel=\"next\"")
    );
    assert_eq!(json(first)["repositories"], serde_json::json!(["a"]));
    let rest = json(server.get("/v2/_catalog?n=5&last=a"));
    assert_eq!(rest["repositories"], serde_json::json!(["b/x", "c"]));
}

fn delete_tag_manifest_and_blob(db: Db) {
    let server = Server::start(db);
    let (digest, manifest) = server.push_image("r", "v1", b"layer");
    server.put_manifest("r", "v2", OCI_MANIFEST, &manifest);
    let deleted = server.agent.delete(&server.url("/v2/r/manifests/v1")).call().unwrap();
    assert_eq!(deleted.status(), 202);
    assert_eq!(server.get("/v2/r/manifests/v1").status(), 404);
    assert_eq!(server.get(&format!("/v2/r/manifests/{digest}")).status(), 200);
    assert_eq!(json(server.get("/v2/r/tags/list"))["tags"], serde_json::json!(["v2"]));
    let deleted = server
        .agent
        .delete(&server.url(&format!("/v2/r/manifests/{digest}")))
        .call()
        .unwrap();
    assert_eq!(deleted.status(), 202);
    assert_eq!(server.get(&format!("/v2/r/manifests/{digest}")).status(), 404);
    assert_eq!(
        server.get("/v2/r/manifests/v2").status(),
        404,
        "tags of a deleted manifest go with it"
    );
    let again = server
        .agent
        .delete(&server.url(&format!("/v2/r/manifests/{digest}")))
        .call()
        .unwrap();
    assert_eq!(again.status(), 404);
    assert_eq!(error_code(again), "MANIFEST_UNKNOWN");
    let layer = sha256(b"layer");
    let deleted = server
        .agent
        .delete(&server.url(&format!("/v2/r/blobs/{layer}")))
        .call()
        .unwrap();
    assert_eq!(deleted.status(), 202);
    assert_eq!(server.get(&format!("/v2/r/blobs/{layer}")).status(), 404);
    let again = server
        .agent
        .delete(&server.url(&format!("/v2/r/blobs/{layer}")))
        .call()
        .unwrap();
    assert_eq!(error_code(again), "BLOB_UNKNOWN");
}

fn names_and_endpoints(db: Db) {
    let server = Server::start(db);
    for bad in ["/v2/UPPER/tags/list", "/v2/a..b/manifests/x", "/v2/a//b/blobs/uploads/"] {
        let response = if bad.ends_with('/') {
            server.agent.post(&server.url(bad)).send_empty().unwrap()
        } else {
            server.get(bad)
        };
        assert_eq!(response.status(), 400, "{bad}");
        assert_eq!(error_code(response), "NAME_INVALID", "{bad}");
    }
    let long = format!("/v2/{}/tags/list", "a".repeat(256));
    assert_eq!(error_code(server.get(&long)), "NAME_INVALID");
    let unknown = server.get("/v2/a/whatever");
    assert_eq!(unknown.status(), 404);
    assert_eq!(error_code(unknown), "UNSUPPORTED");
    let wrong_method = server.agent.post(&server.url("/v2/a/tags/list")).send_empty().unwrap();
    assert_eq!(wrong_method.status(), 405);
    assert_eq!(error_code(wrong_method), "UNSUPPORTED");
}

fn size_limits(db: Db) {
    let limits = drydock_registry::Limits {
        max_blob_size: 1000,
        max_manifest_size: 2000,
        ..drydock_registry::Limits::default()
    };
    let server = Server::start_with(db, limits);
    let location = server.start_upload("r");
    let big = vec![1u8; 1001];
    let response = server
        .agent
        .put(&server.url(&format!("{}digest={}", with_query(&location), sha256(&big))))
        .send(&big[..])
        .unwrap();
    assert_eq!(response.status(), 413);
    assert_eq!(error_code(response), "SIZE_INVALID");
    assert_eq!(server.get(&format!("/v2/r/blobs/{}", sha256(&big))).status(), 404);
    let huge_manifest = vec![b' '; 2001];
    let response = server.put_manifest("r", "t", OCI_MANIFEST, &huge_manifest);
    assert_eq!(response.status(), 413);
    assert_eq!(error_code(response), "SIZE_INVALID");
    // A chunk longer than its Content-Range says is refused and nothing is kept.
    let location = server.start_upload("r");
    let response = server
        .agent
        .patch(&server.url(&location))
        .header("Content-Range", "0-9")
        .send(&[0u8; 20][..])
        .unwrap();
    assert_eq!(response.status(), 400);
    assert_eq!(error_code(response), "SIZE_INVALID");
    let status = server.agent.get(&server.url(&location)).call().unwrap();
    assert_eq!(header(&status, "range").as_deref(), Some("0-0"));
}

fn health_endpoints(db: Db) {
    let server = Server::start(db);
    assert_eq!(server.get("/healthz").status(), 200);
    assert_eq!(server.get("/readyz").status(), 200);
}
