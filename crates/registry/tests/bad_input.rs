//! Hostile and malformed requests: every one gets a 4xx with the specification's error JSON
//! (or a plain success where the input is merely odd), never a 500 or a dropped connection.

mod common;

use common::*;

on_both_databases!(odd_requests_never_fail_the_server);

fn odd_requests_never_fail_the_server(db: Db) {
    let mut server = Server::start(db);
    // A fresh connection per request: an error answered before the body was read closes
    // the connection, and a client must not reuse it.
    server.agent = ureq::Agent::new_with_config(
        ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_idle_connections(0)
            .timeout_global(Some(std::time::Duration::from_secs(10)))
            .build(),
    );
    let (digest, _) = server.push_image("r", "t", b"layer");
    let location = server.start_upload("r");
    let paths = [
        "/v2/r/manifests/".to_string(),
        "/v2/r/manifests/%00".to_string(),
        "/v2/r/manifests/sha256:".to_string(),
        "/v2/r/manifests/sha256%3A%2E%2E%2F".to_string(),
        format!("/v2/r/manifests/{}", "a".repeat(500)),
        "/v2/r/blobs/sha256:../../etc/passwd".to_string(),
        "/v2/r/blobs/..%2F..%2Fx".to_string(),
        format!("/v2/r/blobs/{digest}/extra"),
        "/v2/r/blobs/uploads/../../x".to_string(),
        format!("{location}/../x"),
        "/v2/%ff%fe/tags/list".to_string(),
        "/v2/r/tags/list?n=-1".to_string(),
        "/v2/r/tags/list?n=99999999999999999999999".to_string(),
        "/v2/r/tags/list?last=%00".to_string(),
        "/v2/_catalog?n=abc".to_string(),
        "/v2/r/referrers/".to_string(),
        format!("/v2/r/referrers/{digest}?artifactType=%00"),
        "/v2/../v2/r/tags/list".to_string(),
        "/v2".to_string(),
        "/".to_string(),
    ];
    for path in &paths {
        for method in ["GET", "HEAD", "PUT", "POST", "PATCH", "DELETE"] {
            let request = ureq::http::Request::builder()
                .method(method)
                .uri(server.url(path))
                .header("Content-Type", "application/vnd.oci.image.manifest.v1+json")
                .header("Range", "bytes=-")
                .header("Content-Range", "zz")
                .body(b"{\"schemaVersion\":2}".to_vec())
                .unwrap();
            let response = match server.agent.run(request) {
                Ok(response) => response,
                Err(ureq::Error::BadUri(_)) => continue,
                Err(error) => panic!("{method} {path}: {error}"),
            };
            let status = response.status().as_u16();
            assert!(status < 500, "{method} {path}: {status}");
            if status >= 400 && method != "HEAD" {
                error_code(response);
            }
        }
    }
    // Headers that lie about sizes and ranges, sent raw (a client library would refuse to
    // send a body shorter than its Content-Length, or wait to finish it).
    let lies = [
        ("Content-Range", "0-99999999999999999999"),
        ("Content-Range", "5-1"),
        ("Content-Range", "1-3"),
        ("Content-Length", "99999999999999"),
    ];
    for (name, value) in lies {
        let location = server.start_upload("r");
        let request = format!("PATCH {location} HTTP/1.1\r\nHost: x\r\n{name}: {value}\r\n\r\nabc");
        let status = raw_status(server.address(), &request);
        assert!(status.starts_with("HTTP/1.1 4"), "{name}: {value}: {status}");
    }
    for range in [
        "bytes=0-0,",
        "bytes=a-b",
        "bytes=18446744073709551615-",
        "bytes=0-18446744073709551615",
        "pages=1-2",
    ] {
        let response = server
            .agent
            .get(&server.url(&format!("/v2/r/blobs/{}", sha256(b"layer"))))
            .header("Range", range)
            .call()
            .unwrap();
        assert!(response.status().as_u16() < 500, "{range}");
    }
    // Still serving after all that.
    assert_eq!(server.get("/v2/r/manifests/t").status(), 200);
}

/// Sends `request` as is and returns the response's status line.
fn raw_status(address: &str, request: &str) -> String {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(address).unwrap();
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .unwrap();
    stream.write_all(request.as_bytes()).unwrap();
    let mut buffer = [0u8; 512];
    let n = stream.read(&mut buffer).unwrap();
    String::from_utf8_lossy(&buffer[..n])
        .lines()
        .next()
        .unwrap_or("")
        .to_string()
}
