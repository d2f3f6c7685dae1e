//! The seams issue 8 builds on (an authorizer asked per action and repository, an event per
//! change) and graceful shutdown, on both databases.

mod common;

use std::io::Read;
use std::sync::{Arc, Mutex, mpsc};

use common::*;
use drydock_registry::access::{
    AccessRequest, Action, Authorizer, BoxFuture, Denial, Event, EventKind, EventSink, Principal,
};

on_both_databases!(
    authorizer_decides_every_action,
    events_follow_changes,
    shutdown_lets_uploads_finish
);

/// Every (action, repository) the authorizer was asked about.
type Asked = Arc<Mutex<Vec<(Action, Option<String>)>>>;

/// Pull for anyone; push only with `Authorization: Bearer writer`; delete for nobody.
struct TestPolicy {
    seen: Asked,
}

impl Authorizer for TestPolicy {
    fn authorize<'a>(&'a self, request: AccessRequest<'a>) -> BoxFuture<'a, Result<Principal, Denial>> {
        Box::pin(async move {
            self.seen
                .lock()
                .unwrap()
                .push((request.action, request.repository.map(str::to_string)));
            let writer = request
                .headers
                .get("authorization")
                .is_some_and(|v| v.as_bytes() == b"Bearer writer");
            match request.action {
                Action::Pull | Action::Catalog => Ok(Principal::default()),
                Action::Push if writer => Ok(Principal {
                    name: Some("writer".into()),
                }),
                Action::Push => Err(Denial::Unauthenticated {
                    challenge: r#"Bearer realm="http://127.0.0.1/token",service="test""#.into(),
                }),
                Action::Delete => Err(Denial::Forbidden),
            }
        })
    }
}

#[derive(Default)]
struct Recorder(Mutex<Vec<Event>>);

impl EventSink for Recorder {
    fn record(&self, event: Event) {
        self.0.lock().unwrap().push(event);
    }
}

fn authorizer_decides_every_action(db: Db) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let policy = Arc::new(TestPolicy { seen: seen.clone() });
    let server = Server::start_custom(db, Default::default(), move |r| r.with_authorizer(policy));
    let refused = server
        .agent
        .post(&server.url("/v2/team/app/blobs/uploads/"))
        .send_empty()
        .unwrap();
    assert_eq!(refused.status(), 401);
    assert!(
        header(&refused, "www-authenticate")
            .unwrap()
            .starts_with("Bearer realm=")
    );
    assert_eq!(error_code(refused), "UNAUTHORIZED");
    let allowed = server
        .agent
        .post(&server.url("/v2/team/app/blobs/uploads/"))
        .header("Authorization", "Bearer writer")
        .send_empty()
        .unwrap();
    assert_eq!(allowed.status(), 202);
    let digest = sha256(b"x");
    let deleted = server
        .agent
        .delete(&server.url(&format!("/v2/team/app/blobs/{digest}")))
        .call()
        .unwrap();
    assert_eq!(deleted.status(), 403);
    assert_eq!(error_code(deleted), "DENIED");
    assert_eq!(server.get("/v2/_catalog").status(), 200);
    let seen = seen.lock().unwrap();
    assert!(seen.contains(&(Action::Push, Some("team/app".into()))));
    assert!(seen.contains(&(Action::Delete, Some("team/app".into()))));
    assert!(seen.contains(&(Action::Catalog, None)));
}

fn events_follow_changes(db: Db) {
    let recorder = Arc::new(Recorder::default());
    let sink = recorder.clone();
    let server = Server::start_custom(db, Default::default(), move |r| r.with_events(sink));
    let (digest, _) = server.push_image("r", "v1", b"layer");
    server.agent.delete(&server.url("/v2/r/manifests/v1")).call().unwrap();
    let events = recorder.0.lock().unwrap();
    let kinds: Vec<&EventKind> = events.iter().map(|e| &e.kind).collect();
    assert!(matches!(kinds[0], EventKind::BlobPushed { .. }));
    assert!(kinds.contains(&&EventKind::ManifestPushed {
        digest,
        media_type: OCI_MANIFEST.into(),
        tag: Some("v1".into()),
    }));
    assert_eq!(kinds.last(), Some(&&EventKind::TagDeleted { tag: "v1".into() }));
    assert!(events.iter().all(|e| e.repository == "r" && e.request_id.is_some()));
}

/// A body that sends its first bytes, tells that the upload is under way, and waits to be
/// let go before sending the rest.
struct HeldBody {
    started: Option<mpsc::Sender<()>>,
    release: mpsc::Receiver<()>,
    remaining: usize,
    reads: usize,
}

impl Read for HeldBody {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.reads += 1;
        if self.reads > 1
            && let Some(started) = self.started.take()
        {
            let _ = started.send(());
            let _ = self.release.recv();
        }
        let n = buf.len().min(self.remaining).min(1000);
        buf[..n].fill(b'z');
        self.remaining -= n;
        Ok(n)
    }
}

fn shutdown_lets_uploads_finish(db: Db) {
    let mut server = Server::start(db);
    let location = server.start_upload("r");
    let (started_tx, started) = mpsc::channel();
    let (release, release_rx) = mpsc::channel();
    let agent = server.agent.clone();
    let url = server.url(&location);
    let upload = std::thread::spawn(move || {
        let body = HeldBody {
            started: Some(started_tx),
            release: release_rx,
            remaining: 100_000,
            reads: 0,
        };
        let response = agent.patch(&url).send(ureq::SendBody::from_owned_reader(body)).unwrap();
        (response.status(), header(&response, "range"))
    });
    started.recv().unwrap();
    // Let the server read the first bytes, so the request is in flight, not just connected.
    std::thread::sleep(std::time::Duration::from_millis(200));
    server.begin_shutdown();
    release.send(()).unwrap();
    let (status, range) = upload.join().unwrap();
    assert_eq!(status, 202, "the upload in flight finished");
    assert_eq!(range.as_deref(), Some("0-99999"));
    let address = server.address().to_string();
    server.wait_stopped();
    assert!(
        std::net::TcpStream::connect(address).is_err(),
        "the server stopped listening"
    );
}
