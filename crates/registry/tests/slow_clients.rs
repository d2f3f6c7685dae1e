//! Clients that hold a connection without finishing a request: the server closes them once
//! the header time limit passes, and still serves everyone else meanwhile.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use common::{Db, Server};
use drydock_registry::Limits;

fn server_with_header_limit(limit: Duration) -> Server {
    let limits = Limits {
        header_read_timeout: limit,
        ..Limits::default()
    };
    Server::start_with(Db::Sqlite, limits)
}

/// Reads until the server closes the connection; the read timeout only guards the test
/// against hanging if the server never does.
fn read_until_closed(stream: &mut TcpStream) -> std::io::Result<Vec<u8>> {
    stream.set_read_timeout(Some(Duration::from_secs(60)))?;
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer)?;
    Ok(answer)
}

#[test]
fn a_client_that_never_finishes_its_headers_is_disconnected() {
    let server = server_with_header_limit(Duration::from_secs(1));
    let mut slow = TcpStream::connect(server.address()).unwrap();
    slow.write_all(b"GET /v2/ HTTP/1.1\r\nHost: registry\r\nX-Slow: ")
        .unwrap();

    // Others are served while the slow client holds its connection.
    let response = server.agent.get(&server.url("/v2/")).call().unwrap();
    assert_eq!(response.status(), 200);

    let answer = read_until_closed(&mut slow).expect("the server must close the connection, not leave it hanging");
    let text = String::from_utf8_lossy(&answer);
    assert!(
        answer.is_empty() || text.starts_with("HTTP/1.1 408"),
        "a slow-header client gets nothing or 408, not a response: {text}"
    );
}

#[test]
fn an_idle_connection_is_closed_after_the_header_limit() {
    let server = server_with_header_limit(Duration::from_secs(1));
    let mut idle = TcpStream::connect(server.address()).unwrap();
    let answer = read_until_closed(&mut idle).expect("an idle connection must be closed");
    let text = String::from_utf8_lossy(&answer);
    assert!(
        answer.is_empty() || text.starts_with("HTTP/1.1 408"),
        "unexpected answer: {text}"
    );
}

#[test]
fn a_complete_request_is_answered_and_carries_on_after_the_limit_would_have_passed() {
    let server = server_with_header_limit(Duration::from_secs(30));
    let mut client = TcpStream::connect(server.address()).unwrap();
    client
        .write_all(b"GET /v2/ HTTP/1.1\r\nHost: registry\r\nConnection: close\r\n\r\n")
        .unwrap();
    let answer = read_until_closed(&mut client).unwrap();
    let text = String::from_utf8_lossy(&answer);
    assert!(text.starts_with("HTTP/1.1 200"), "unexpected answer: {text}");
}
