//! The scheduler with real worker processes: a periodic task fires once per tick however many
//! workers run, and a tick that fell due while every worker was down fires at the next start.

use std::time::{Duration, Instant};

use backbeat_db::schedules::{self, Schedule};
use chrono::{TimeDelta, Utc};
use diesel_async::{AsyncPgConnection, SimpleAsyncConnection};

use crate::helpers::*;

const TASK: &str = "purge_expired_refresh_tokens";

/// A user with one expired and one live refresh token.
async fn tokens(conn: &mut AsyncPgConnection) {
    conn.batch_execute(
        "INSERT INTO users (id, username, password_hash, fullname) \
             VALUES ('user-schedulertest00', 'scheduled', 'x', 'Scheduled');
         INSERT INTO refresh_tokens (token_hash, user_id, expires_at) VALUES \
             ('\\x01', 'user-schedulertest00', now() - interval '1 minute'), \
             ('\\x02', 'user-schedulertest00', now() + interval '1 day');",
    )
    .await
    .expect("seed tokens");
}

async fn remaining_tokens(conn: &mut AsyncPgConnection) -> Vec<u8> {
    use backbeat_db::schema::refresh_tokens;
    use diesel::prelude::*;
    use diesel_async::RunQueryDsl;
    let hashes: Vec<Vec<u8>> = refresh_tokens::table
        .select(refresh_tokens::token_hash)
        .load(conn)
        .await
        .expect("tokens");
    hashes.into_iter().flatten().collect()
}

async fn wait_for_runs(conn: &mut AsyncPgConnection, runs: i64) -> Schedule {
    let started = Instant::now();
    loop {
        if let Some(schedule) = schedules::find(conn, TASK).await.expect("schedule")
            && schedule.runs >= runs
        {
            return schedule;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "{TASK} never ran {runs} times"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn two_workers_fire_a_due_task_exactly_once() {
    let stack = Stack::new(|s| {
        s.scheduler.poll_interval_ms = 50;
        s.scheduler.refresh_token_purge_secs = 3600;
    })
    .await;
    let mut conn = stack.db.connect().await;
    tokens(&mut conn).await;

    // Both start at once and both find the task due (it has never run).
    let first = stack.spawn_worker();
    let second = stack.spawn_worker();
    let schedule = wait_for_runs(&mut conn, 1).await;
    // Forty more polls by each worker: none may fire the tick again.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let schedule_after = schedules::find(&mut conn, TASK)
        .await
        .expect("query")
        .expect("schedule");
    assert_eq!(schedule_after.runs, 1, "{schedule_after:?}");
    assert_eq!(schedule_after.next_due_at, schedule.next_due_at);
    let due_in = schedule.next_due_at - Utc::now();
    assert!(
        due_in > TimeDelta::minutes(59) && due_in <= TimeDelta::minutes(60),
        "{due_in}"
    );
    let by = schedule.last_run_by.expect("last_run_by");
    let workers = [first.child.id(), second.child.id()].map(|pid| format!("backbeat-worker-{pid}"));
    assert!(workers.contains(&by), "{by} is neither of {workers:?}");
    // The tick did its work: the expired token is gone, the live one stays.
    assert_eq!(remaining_tokens(&mut conn).await, vec![2]);
    let fired: usize = [&first, &second]
        .iter()
        .map(|w| {
            w.logs()
                .iter()
                .filter(|l| l.contains("scheduled task ran") && l.contains(TASK))
                .count()
        })
        .sum();
    assert_eq!(fired, 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_tick_that_fell_due_while_every_worker_was_down_fires_at_the_next_start() {
    let stack = Stack::new(|s| {
        s.scheduler.poll_interval_ms = 50;
        s.scheduler.refresh_token_purge_secs = 3600;
    })
    .await;
    let mut conn = stack.db.connect().await;
    tokens(&mut conn).await;
    // It last ran two days ago and was due yesterday; no worker was running.
    conn.batch_execute(&format!(
        "INSERT INTO schedules (name, next_due_at, last_run_at, last_run_by, runs) \
             VALUES ('{TASK}', now() - interval '1 day', now() - interval '2 days', 'gone', 7)"
    ))
    .await
    .expect("seed schedule");
    let _worker = stack.spawn_worker();
    let schedule = wait_for_runs(&mut conn, 8).await;
    // Fired once for the missed ticks, not once per missed period.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let after = schedules::find(&mut conn, TASK)
        .await
        .expect("query")
        .expect("schedule");
    assert_eq!(after.runs, 8);
    assert!(
        schedule
            .last_run_at
            .is_some_and(|at| Utc::now() - at < TimeDelta::seconds(30))
    );
    assert!(schedule.next_due_at - Utc::now() > TimeDelta::minutes(59));
    assert_eq!(remaining_tokens(&mut conn).await, vec![2]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_task_not_yet_due_does_not_fire() {
    let stack = Stack::new(|s| s.scheduler.poll_interval_ms = 50).await;
    let mut conn = stack.db.connect().await;
    tokens(&mut conn).await;
    conn.batch_execute(&format!(
        "INSERT INTO schedules (name, next_due_at, runs) VALUES ('{TASK}', now() + interval '1 hour', 3)"
    ))
    .await
    .expect("seed schedule");
    let worker = stack.spawn_worker();
    worker.wait_for_log("scheduler started", Duration::from_secs(30));
    tokio::time::sleep(Duration::from_millis(800)).await;
    let after = schedules::find(&mut conn, TASK)
        .await
        .expect("query")
        .expect("schedule");
    assert_eq!(after.runs, 3);
    assert_eq!(remaining_tokens(&mut conn).await, vec![1, 2]);
}

/// Deletes this stack's credential mirror from Redis, as a restart without persistence would.
fn forget_mirror(prefix: &str) {
    let keys = std::process::Command::new("redis-cli")
        .args(["--scan", "--pattern", &format!("{prefix}access:*")])
        .output()
        .expect("redis-cli runs");
    for key in String::from_utf8_lossy(&keys.stdout).lines() {
        let deleted = std::process::Command::new("redis-cli")
            .args(["DEL", key])
            .status()
            .expect("redis-cli runs");
        assert!(deleted.success());
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_lost_credential_mirror_is_rebuilt_from_the_database() {
    use reqwest::{Method, StatusCode};
    let stack = Stack::new(|s| {
        s.scheduler.poll_interval_ms = 50;
        s.scheduler.access_mirror_secs = 1;
    })
    .await;
    let api = stack.api().await;
    let mut conn = stack.db.connect().await;
    let (_, admin) = api.admin(&mut conn, "warden").await;
    let (user_id, token) = api.user("suspect", None).await;
    let created = api
        .expect(
            StatusCode::CREATED,
            Method::POST,
            "/api-keys",
            Some(serde_json::json!({"name": "k", "scopes": ["playlists:read"]})),
            Some(&token),
        )
        .await;
    let key = created["data"]["key"].as_str().expect("key").to_owned();
    api.expect(
        StatusCode::OK,
        Method::PATCH,
        &format!("/admin/users/{user_id}"),
        Some(serde_json::json!({"status": "suspended"})),
        Some(&admin),
    )
    .await;
    api.expect(
        StatusCode::UNAUTHORIZED,
        Method::GET,
        "/playlists",
        None,
        Some(&key),
    )
    .await;

    // Redis loses the mirror: with no worker, nothing restores it.
    forget_mirror(&stack.settings.cache.prefix);
    api.expect(StatusCode::OK, Method::GET, "/playlists", None, Some(&key))
        .await;

    let _worker = stack.spawn_worker();
    let started = Instant::now();
    loop {
        let (status, _, _) = api.call(Method::GET, "/playlists", None, Some(&key)).await;
        if status == StatusCode::UNAUTHORIZED {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the suspension was never mirrored again"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[derive(diesel::QueryableByName)]
struct Name {
    #[diesel(sql_type = diesel::sql_types::Text)]
    name: String,
}

async fn names(conn: &mut AsyncPgConnection, query: &str) -> Vec<String> {
    let rows: Vec<Name> = diesel_async::RunQueryDsl::load(diesel::sql_query(query), conn)
        .await
        .expect("names");
    let mut names: Vec<String> = rows.into_iter().map(|r| r.name).collect();
    names.sort();
    names
}

#[tokio::test(flavor = "multi_thread")]
async fn retention_deletes_old_finished_work_in_batches_and_keeps_the_rest() {
    let stack = Stack::new(|s| {
        s.scheduler.poll_interval_ms = 50;
        s.scheduler.retention_secs = 3600;
        s.retention.batch_rows = 2;
    })
    .await;
    let mut conn = stack.db.connect().await;
    conn.batch_execute(
        "INSERT INTO jobs (id, kind, payload, status, max_attempts, finished_at) VALUES
           ('job-old-ok-1', 'playlist_export', '{}', 'succeeded', 5, now() - interval '40 days'),
           ('job-old-ok-2', 'playlist_export', '{}', 'succeeded', 5, now() - interval '31 days'),
           ('job-old-ok-3', 'playlist_export', '{}', 'succeeded', 5, now() - interval '60 days'),
           ('job-new-ok', 'playlist_export', '{}', 'succeeded', 5, now() - interval '1 day'),
           ('job-old-dead', 'playlist_export', '{}', 'dead', 5, now() - interval '100 days'),
           ('job-new-dead', 'playlist_export', '{}', 'dead', 5, now() - interval '40 days'),
           ('job-running', 'playlist_export', '{}', 'running', 5, NULL);
         -- At work on some worker for the whole test (the sweeper leaves it alone).
         UPDATE jobs SET heartbeat_at = now() + interval '1 hour' WHERE id = 'job-running';
         INSERT INTO outbox (job_id, kind, sent_at) VALUES
           ('job-old-ok-1', 'playlist_export', now() - interval '40 days'),
           ('job-new-ok', 'playlist_export', now() - interval '2 days'),
           ('job-running', 'playlist_export', now() - interval '1 hour'),
           ('job-new-dead', 'playlist_export', NULL);
         INSERT INTO sent_emails (idempotency_key, message_id, recipient, sent_at) VALUES
           ('old-1', 'm1', 'a@example.com', now() - interval '45 days'),
           ('old-2', 'm2', 'a@example.com', now() - interval '31 days'),
           ('old-3', 'm3', 'a@example.com', now() - interval '90 days'),
           ('new-1', 'm4', 'a@example.com', now() - interval '1 day');",
    )
    .await
    .expect("seed");

    let _worker = stack.spawn_worker();
    let started = Instant::now();
    loop {
        let done = names(
            &mut conn,
            "SELECT id AS name FROM jobs WHERE kind = 'retention' AND status = 'succeeded'",
        )
        .await;
        if !done.is_empty() {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "retention never ran"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let jobs = names(
        &mut conn,
        // The scheduler's own periodic jobs aside: acknowledgement collection runs from the start.
        "SELECT id AS name FROM jobs WHERE kind NOT IN ('retention', 'acknowledgement_collection')",
    )
    .await;
    assert_eq!(jobs, ["job-new-dead", "job-new-ok", "job-running"]);
    let outbox = names(
        &mut conn,
        "SELECT job_id AS name FROM outbox WHERE kind NOT IN ('retention', 'acknowledgement_collection')",
    )
    .await;
    assert_eq!(
        outbox,
        ["job-new-dead", "job-running"],
        "sent rows older than a day go"
    );
    let emails = names(&mut conn, "SELECT idempotency_key AS name FROM sent_emails").await;
    assert_eq!(emails, ["new-1"]);
}
