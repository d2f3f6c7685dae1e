//! The audit trail: entries recorded through the registry (pushes, deletes, logins), and
//! tampering done directly in the database (edit, delete, insert, reorder, rewrite, tail
//! removal, forged checkpoint) detected with the place it shows; on SQLite and PostgreSQL.

mod auth_common;

use std::sync::Arc;

use auth_common::{AuthServer, Db, TestDb};
use base64::Engine as _;
use drydock_registry::audit::{AuditLog, Entry, NewEntry, Query};
use drydock_registry::auth::token::TokenKey;
use drydock_registry::s3::Secret;

fn entry(n: usize) -> NewEntry {
    NewEntry {
        actor: format!("user{}", n % 3),
        action: if n.is_multiple_of(2) {
            "push-manifest"
        } else {
            "delete-tag"
        }
        .into(),
        repository: format!("team/app{}", n % 2),
        digest: format!("sha256:{n:064x}"),
        tag: format!("v{n}"),
        detail: String::new(),
        client: "127.0.0.1".into(),
        outcome: "success".into(),
    }
}

/// A log of 12 entries with checkpoints after 5 and 10.
async fn log_with_entries(db: Db) -> (TestDb, AuditLog) {
    let test = TestDb::open(db).await;
    let log = AuditLog::new(&test.meta, Arc::new(TokenKey::generate().unwrap())).with_checkpoint_every(5);
    for n in 1..=12 {
        log.append(&[entry(n)]).await.unwrap();
    }
    (test, log)
}

async fn stored(log: &AuditLog, seq: i64) -> Entry {
    log.query(&Query {
        after: seq - 1,
        limit: 1,
        ..Query::default()
    })
    .await
    .unwrap()
    .remove(0)
}

/// The sequence numbers where problems show, and their text.
async fn problems(log: &AuditLog) -> (Vec<i64>, String) {
    let report = log.verify().await.unwrap();
    let text = report
        .problems
        .iter()
        .map(|p| p.what.clone())
        .collect::<Vec<_>>()
        .join("\n");
    (report.problems.iter().map(|p| p.seq).collect(), text)
}

async fn an_untouched_log_verifies(db: Db) {
    let (test, log) = log_with_entries(db).await;
    let report = log.verify().await.unwrap();
    assert!(report.is_intact(), "{report:?}");
    assert_eq!((report.entries, report.checkpoints), (12, 2));
    let first = stored(&log, 1).await;
    assert_eq!(first.prev_hash, drydock_registry::audit::GENESIS);
    assert_eq!(stored(&log, 2).await.prev_hash, first.hash);
    test.close().await;
}

async fn an_edited_entry_is_found(db: Db) {
    let (test, log) = log_with_entries(db).await;
    test.execute("UPDATE audit_log SET actor = 'mallory' WHERE seq = 4")
        .await;
    let (seqs, text) = problems(&log).await;
    assert_eq!(seqs, [4], "{text}");
    assert!(
        text.contains("entry 4 does not match its hash: it was edited"),
        "{text}"
    );
    test.close().await;
}

async fn an_edit_with_its_hash_recomputed_breaks_the_next_link(db: Db) {
    let (test, log) = log_with_entries(db).await;
    let mut forged = stored(&log, 7).await;
    forged.fields.tag = "forged".into();
    let hash = forged.compute_hash();
    test.execute(&format!(
        "UPDATE audit_log SET tag = 'forged', hash = '{hash}' WHERE seq = 7"
    ))
    .await;
    let (seqs, text) = problems(&log).await;
    assert_eq!(seqs, [8], "{text}");
    assert!(text.contains("entry 8 does not follow the entry before it"), "{text}");
    test.close().await;
}

async fn a_deleted_entry_is_found(db: Db) {
    let (test, log) = log_with_entries(db).await;
    test.execute("DELETE FROM audit_log WHERE seq = 6").await;
    let (seqs, text) = problems(&log).await;
    assert_eq!(seqs, [7, 7], "{text}");
    assert!(text.contains("entries 6 to 6 are missing (deleted)"), "{text}");
    test.close().await;
}

async fn an_inserted_entry_is_found(db: Db) {
    let (test, log) = log_with_entries(db).await;
    // Make room at 7 and insert a well-formed entry that links to entry 6.
    test.execute("UPDATE audit_log SET seq = seq + 1000 WHERE seq >= 7")
        .await;
    test.execute("UPDATE audit_log SET seq = seq - 999 WHERE seq >= 1007")
        .await;
    let sixth = stored(&log, 6).await;
    let mut inserted = Entry {
        seq: 7,
        time: sixth.time,
        fields: NewEntry {
            actor: "mallory".into(),
            action: "push-manifest".into(),
            ..NewEntry::default()
        },
        prev_hash: sixth.hash.clone(),
        hash: String::new(),
    };
    inserted.hash = inserted.compute_hash();
    test.execute(&format!(
        "INSERT INTO audit_log (seq, time, actor, action, repository, digest, tag, detail, client, outcome, \
         prev_hash, hash) VALUES (7, {}, 'mallory', 'push-manifest', '', '', '', '', '', '', '{}', '{}')",
        inserted.time, inserted.prev_hash, inserted.hash
    ))
    .await;
    let (seqs, text) = problems(&log).await;
    assert!(
        seqs.contains(&8),
        "the entry after the insertion no longer links: {text}"
    );
    assert!(seqs.iter().all(|seq| *seq >= 8), "{text}");
    test.close().await;
}

async fn reordered_entries_are_found(db: Db) {
    let (test, log) = log_with_entries(db).await;
    test.execute("UPDATE audit_log SET seq = 1003 WHERE seq = 3").await;
    test.execute("UPDATE audit_log SET seq = 3 WHERE seq = 4").await;
    test.execute("UPDATE audit_log SET seq = 4 WHERE seq = 1003").await;
    let (seqs, text) = problems(&log).await;
    assert!(seqs.contains(&3) && seqs.contains(&4), "{text}");
    assert!(seqs.iter().all(|seq| (3..=5).contains(seq)), "{text}");
    test.close().await;
}

/// Rewriting the whole chain after an edit keeps the links intact but not the checkpoints.
async fn a_rewritten_chain_contradicts_the_signed_checkpoints(db: Db) {
    let (test, log) = log_with_entries(db).await;
    let mut prev = stored(&log, 1).await.hash;
    for seq in 2..=12 {
        let mut entry = stored(&log, seq).await;
        if seq == 2 {
            entry.fields.actor = "mallory".into();
        }
        entry.prev_hash = prev.clone();
        entry.hash = entry.compute_hash();
        test.execute(&format!(
            "UPDATE audit_log SET actor = '{}', prev_hash = '{}', hash = '{}' WHERE seq = {seq}",
            entry.fields.actor, entry.prev_hash, entry.hash
        ))
        .await;
        prev = entry.hash;
    }
    let (seqs, text) = problems(&log).await;
    assert_eq!(seqs, [5, 10], "{text}");
    assert!(text.contains("entry 5 differs from its signed checkpoint"), "{text}");
    test.close().await;
}

async fn removing_the_tail_and_forging_checkpoints_are_found(db: Db) {
    let (test, log) = log_with_entries(db).await;
    log.checkpoint().await.unwrap().unwrap();
    test.execute("DELETE FROM audit_log WHERE seq > 10").await;
    let (seqs, text) = problems(&log).await;
    assert_eq!(seqs, [12], "{text}");
    assert!(text.contains("entries were deleted from the end"), "{text}");

    test.execute("DELETE FROM audit_checkpoints WHERE seq = 12").await;
    assert!(log.verify().await.unwrap().is_intact());
    let forged = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode([7u8; 64]);
    test.execute(&format!(
        "UPDATE audit_checkpoints SET signature = '{forged}' WHERE seq = 5"
    ))
    .await;
    let (seqs, text) = problems(&log).await;
    assert_eq!(seqs, [5], "{text}");
    assert!(text.contains("bad signature"), "{text}");
    test.close().await;
}

async fn queries_filter_and_export_json_lines(db: Db) {
    let (test, log) = log_with_entries(db).await;
    let by_repository = log
        .query(&Query {
            repository: Some("team/app0".into()),
            ..Query::default()
        })
        .await
        .unwrap();
    assert_eq!(
        by_repository.iter().map(|e| e.seq).collect::<Vec<_>>(),
        [2, 4, 6, 8, 10, 12]
    );
    let by_actor_and_action = log
        .query(&Query {
            actor: Some("user1".into()),
            action: Some("delete-tag".into()),
            ..Query::default()
        })
        .await
        .unwrap();
    assert_eq!(by_actor_and_action.iter().map(|e| e.seq).collect::<Vec<_>>(), [1, 7]);
    let first_time = stored(&log, 1).await.time;
    let none_before = log
        .query(&Query {
            until: Some(first_time),
            ..Query::default()
        })
        .await
        .unwrap();
    assert!(none_before.is_empty());

    let mut out = Vec::new();
    let written = log.export_json_lines(&Query::default(), &mut out).await.unwrap();
    assert_eq!(written, 12);
    let lines: Vec<serde_json::Value> = String::from_utf8(out)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(lines.len(), 12);
    assert_eq!(lines[3]["seq"], 4);
    assert_eq!(lines[3]["actor"], "user1");
    assert_eq!(lines[3]["tag"], "v4");
    assert_eq!(lines[4]["prev_hash"], lines[3]["hash"]);
    test.close().await;
}

on_both_databases_async!(
    an_untouched_log_verifies,
    an_edited_entry_is_found,
    an_edit_with_its_hash_recomputed_breaks_the_next_link,
    a_deleted_entry_is_found,
    an_inserted_entry_is_found,
    reordered_entries_are_found,
    a_rewritten_chain_contradicts_the_signed_checkpoints,
    removing_the_tail_and_forging_checkpoints_are_found,
    queries_filter_and_export_json_lines,
);

/// Through the registry: failed and successful logins and a push land in the log, in order,
/// with the actor; the chain verifies.
fn registry_changes_and_logins_are_recorded(db: Db) {
    let server = AuthServer::start(db);
    server.block_on(async {
        server.accounts.create_project("team", false).await.unwrap();
        server
            .accounts
            .create_user("alice", &Secret::new("a long enough passphrase"), true)
            .await
            .unwrap();
    });
    let basic = |password: &str| {
        let encoded = base64::engine::general_purpose::STANDARD.encode(format!("alice:{password}"));
        format!("Basic {encoded}")
    };
    let token_url = server.url("/auth/token?service=drydock-registry&scope=repository%3Ateam%2Fapp%3Apull%2Cpush");
    let refused = server
        .agent
        .get(&token_url)
        .header("Authorization", &basic("wrong"))
        .call()
        .unwrap();
    assert_eq!(refused.status(), 401);
    let granted = server
        .agent
        .get(&token_url)
        .header("Authorization", &basic("a long enough passphrase"))
        .call()
        .unwrap();
    assert_eq!(granted.status(), 200);
    let body: serde_json::Value = serde_json::from_slice(&granted.into_body().read_to_vec().unwrap()).unwrap();
    let token = body["token"].as_str().unwrap();
    let content = b"audited blob";
    let digest = format!(
        "sha256:{}",
        hex::encode(<sha2::Sha256 as sha2::Digest>::digest(content))
    );
    let pushed = server
        .agent
        .post(&server.url(&format!("/v2/team/app/blobs/uploads/?digest={digest}")))
        .header("Authorization", &format!("Bearer {token}"))
        .send(&content[..])
        .unwrap();
    assert_eq!(pushed.status(), 201);

    server.block_on(server.audit_sink.flush());
    let entries = server.block_on(server.audit.query(&Query::default())).unwrap();
    let summary: Vec<(String, String, String, String)> = entries
        .iter()
        .map(|e| {
            (
                e.fields.actor.clone(),
                e.fields.action.clone(),
                e.fields.outcome.clone(),
                e.fields.detail.clone(),
            )
        })
        .collect();
    assert_eq!(
        summary[0],
        (
            "alice".into(),
            "login".into(),
            "failure".into(),
            "bad credentials".into()
        )
    );
    assert_eq!(
        summary[1],
        ("alice".into(), "login".into(), "success".into(), String::new())
    );
    assert_eq!((summary[2].0.as_str(), summary[2].1.as_str()), ("alice", "push-blob"));
    assert_eq!(entries[2].fields.repository, "team/app");
    assert_eq!(entries[2].fields.digest, digest);
    assert_eq!(entries.len(), 3);
    let text = serde_json::to_string(&entries).unwrap();
    assert!(!text.contains("a long enough passphrase") && !text.contains(token));
    assert!(server.block_on(server.audit.verify()).unwrap().is_intact());
}

mod through_the_registry {
    #[test]
    fn sqlite() {
        super::registry_changes_and_logins_are_recorded(super::Db::Sqlite)
    }

    #[test]
    fn postgres() {
        super::registry_changes_and_logins_are_recorded(super::Db::Postgres)
    }
}
