//! Bulk distribution at full size: 1000 releases to 8 platforms, with the worker doing it killed
//! (SIGKILL) part way and a second one finishing. Nothing is lost, nothing delivered twice, one
//! summary email.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use backbeat_testkit::ddex::{assert_valid, texts};
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::*;

const RELEASES: usize = 1000;
/// Releases seeded without audio: their pairs fail with their readiness problems.
const NOT_READY: usize = 10;
const PLATFORMS: usize = 8;

/// `POST /distributions/bulk`: the job's id.
pub(crate) async fn start_bulk(
    client: &backbeat_testkit::http::Client,
    token: &str,
    body: serde_json::Value,
) -> String {
    let body = client
        .expect(
            StatusCode::ACCEPTED,
            Method::POST,
            "/distributions/bulk",
            Some(body),
            Some(token),
        )
        .await;
    body["data"]["jobId"].as_str().expect("jobId").to_owned()
}

/// The job's `progress`.
pub(crate) async fn progress(
    client: &backbeat_testkit::http::Client,
    token: &str,
    job: &str,
) -> serde_json::Value {
    client
        .expect(
            StatusCode::OK,
            Method::GET,
            &format!("/jobs/{job}"),
            None,
            Some(token),
        )
        .await["data"]["job"]["progress"]
        .clone()
}

/// Waits until the job has planned its `total` items and finished at least `done` of them.
pub(crate) async fn wait_until_done(
    client: &backbeat_testkit::http::Client,
    token: &str,
    job: &str,
    total: i64,
    done: i64,
) {
    let started = Instant::now();
    loop {
        let now = progress(client, token, job).await;
        if now["total"] == total && now["done"].as_i64().is_some_and(|d| d >= done) {
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(240),
            "no progress: {now}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_thousand_releases_to_eight_platforms_survive_a_killed_worker() {
    let stack = Stack::new(|s| {
        s.distribution.fsync = false;
        s.jobs.max_attempts = 5;
    })
    .await;
    let api = stack.api().await;
    let client = &api.0;
    let (owner, token) = client.user("label", Some("label@example.com")).await;
    let albums = backbeat_testkit::releases::seed(
        &mut stack.db.connect().await,
        &*stack.storage(),
        &owner,
        "bulk",
        RELEASES,
        NOT_READY,
        10_000,
    )
    .await;
    let platforms: Vec<(String, String)> = client
        .platforms(&token)
        .await
        .into_iter()
        .take(PLATFORMS)
        .collect();
    let platform_ids: Vec<&str> = platforms.iter().map(|(_, id)| id.as_str()).collect();

    let mut first = stack.spawn_worker();
    let job = start_bulk(
        client,
        &token,
        json!({"albumIds": albums, "platformIds": platform_ids}),
    )
    .await;

    // Killed without warning once about a quarter is done.
    let total = (RELEASES * PLATFORMS) as i64;
    wait_until_done(client, &token, &job, total, total / 4).await;
    first.signal("-KILL");
    first.wait_exit(Duration::from_secs(10));
    let done_at_kill = progress(client, &token, &job).await["done"]
        .as_i64()
        .expect("done");
    assert!(
        done_at_kill < total,
        "the kill came too late to test anything"
    );
    let _second = stack.spawn_worker();
    let finished = client
        .wait_job(&token, &job, Duration::from_secs(300))
        .await;
    assert_eq!(finished["status"], "succeeded", "{finished}");

    let delivered = ((RELEASES - NOT_READY) * PLATFORMS) as i64;
    let failed = (NOT_READY * PLATFORMS) as i64;
    let result = &finished["result"];
    assert_eq!(
        (
            result["total"].clone(),
            result["delivered"].clone(),
            result["failed"].clone(),
            result["skipped"].clone()
        ),
        (json!(total), json!(delivered), json!(failed), json!(0)),
        "{result}"
    );
    assert_eq!(finished["progress"], json!({"done": total, "total": total}));
    assert_eq!(result["email"]["sent"], true);

    // Every pair's outcome, paged.
    let mut items = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/jobs/{job}/items?limit=100&cursor={c}"),
            None => format!("/jobs/{job}/items?limit=100"),
        };
        let body = client
            .expect(StatusCode::OK, Method::GET, &path, None, Some(&token))
            .await;
        items.extend(
            body["data"]["items"]
                .as_array()
                .expect("items")
                .iter()
                .cloned(),
        );
        match body["meta"]["nextCursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    assert_eq!(items.len() as i64, total);
    let by_outcome =
        |outcome: &str| items.iter().filter(|i| i["outcome"] == outcome).count() as i64;
    assert_eq!(
        (by_outcome("delivered"), by_outcome("failed")),
        (delivered, failed)
    );
    for item in items.iter().filter(|i| i["outcome"] == "failed") {
        let album = item["albumId"].as_str().expect("album");
        assert!(albums[..NOT_READY].iter().any(|a| a == album), "{item}");
        assert_eq!(item["problems"][0]["code"], "TRACK_AUDIO_MISSING", "{item}");
    }
    let distributions: BTreeSet<&str> = items
        .iter()
        .filter_map(|i| i["distributionId"].as_str())
        .collect();
    assert_eq!(
        distributions.len() as i64,
        delivered,
        "one distribution per delivered pair"
    );

    // Exactly one package per delivered pair, whole, in each drop folder.
    for (code, _) in &platforms {
        let packages = stack.packages(code);
        assert_eq!(packages.len(), RELEASES - NOT_READY, "{code}");
        assert!(
            packages.iter().all(|p| !p.starts_with('.')),
            "{code}: a partial package was left"
        );
        let upcs: BTreeSet<&str> = packages
            .iter()
            .map(|p| p.split('_').next().expect("upc"))
            .collect();
        assert_eq!(
            upcs.len(),
            RELEASES - NOT_READY,
            "{code}: a release was delivered twice"
        );
        let sample = stack.drop_folder(code).join(&packages[0]);
        let upc = packages[0].split('_').next().expect("upc");
        let xml = std::fs::read(sample.join(format!("{upc}.xml"))).expect("message");
        assert_valid(&xml);
        assert_eq!(texts(&xml, "ICPN"), [upc]);
    }

    // One summary email, whose CSV lists every pair.
    let mail = stack.smtp.wait_for(1, Duration::from_secs(10)).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(stack.smtp.received().len(), 1);
    assert_eq!(mail[0].to, ["label@example.com"]);
    let message = mail_parser::MessageParser::default()
        .parse(&mail[0].data)
        .expect("email");
    assert!(
        message
            .subject()
            .is_some_and(|s| s.contains(&format!("{delivered} delivered, {failed} failed")))
    );
    let csv = mail_parser::MimeHeaders::attachment_name(message.attachments().next().expect("csv"))
        .map(str::to_owned);
    assert_eq!(csv, Some(format!("distribution-{job}.csv")));
    let body = message
        .attachments()
        .next()
        .expect("csv")
        .contents()
        .to_vec();
    let mut reader = csv::Reader::from_reader(body.as_slice());
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("row")).collect();
    assert_eq!(rows.len() as i64, total);
    let outcomes: BTreeMap<String, usize> = rows.iter().fold(BTreeMap::new(), |mut m, r| {
        *m.entry(r[4].to_owned()).or_default() += 1;
        m
    });
    assert_eq!(outcomes.get("delivered").copied(), Some(delivered as usize));
    assert_eq!(outcomes.get("failed").copied(), Some(failed as usize));
    assert_eq!(rows[0][3], *platforms[0].0);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_paced_worker_delivers_no_faster_than_its_pace() {
    const PACE: u32 = 4;
    let stack = Stack::new(|s| {
        s.distribution.fsync = false;
        s.distribution.bulk_chunk_releases = 2;
        s.distribution.bulk_pairs_per_second = PACE;
    })
    .await;
    let api = stack.api().await;
    let client = &api.0;
    let (owner, token) = client.user("label", None).await;
    let albums = backbeat_testkit::releases::seed(
        &mut stack.db.connect().await,
        &*stack.storage(),
        &owner,
        "paced",
        6,
        0,
        10_000,
    )
    .await;
    let platform_ids: Vec<String> = client
        .platforms(&token)
        .await
        .into_iter()
        .take(2)
        .map(|(_, id)| id)
        .collect();
    let _worker = stack.spawn_worker();
    let job = start_bulk(
        client,
        &token,
        json!({"albumIds": albums, "platformIds": platform_ids}),
    )
    .await;
    let finished = client
        .wait_job(&token, &job, Duration::from_secs(120))
        .await;
    assert_eq!(finished["status"], "succeeded", "{finished}");
    assert_eq!(finished["result"]["delivered"], 12, "{finished}");
    // Three chunks of four pairs: each held its worker for four pairs' time at least (the last
    // one may still be holding it after the outcomes, and so the job, are done).
    for chunk in 0..3 {
        let done = client
            .wait_job(&token, &format!("{job}.{chunk}"), Duration::from_secs(30))
            .await;
        assert_eq!(done["result"]["delivered"], 4, "{done}");
        let at = |field: &str| {
            chrono::DateTime::parse_from_rfc3339(done[field].as_str().expect(field)).expect(field)
        };
        let took = (at("finishedAt") - at("startedAt"))
            .to_std()
            .expect("duration");
        assert!(
            took >= Duration::from_secs_f64(4.0 / f64::from(PACE)),
            "4 pairs at {PACE}/s took {took:?}"
        );
    }
    // Paced, it took turns at the file system with any other worker on this machine.
    let turns =
        std::path::Path::new(&stack.settings.distribution.delivery_root).join(".write.lock");
    assert!(turns.is_file(), "no {}", turns.display());
}

/// Album titles a spreadsheet would run as formulas (Ed Sheeran's `-` is one) reach the emailed
/// report as text.
#[tokio::test(flavor = "multi_thread")]
async fn the_report_csv_writes_formula_titles_as_text() {
    let stack = Stack::new(|s| s.distribution.fsync = false).await;
    let api = stack.api().await;
    let client = &api.0;
    let (_, token) = client.user("label", Some("label@example.com")).await;
    let formula = r#"=HYPERLINK("https://attacker.example/","open")"#;
    let mut albums = Vec::new();
    for (serial, name) in [(1, formula), (2, "-")] {
        let release = client.ready_release(&token, serial, 1).await;
        client
            .expect(
                StatusCode::OK,
                Method::PATCH,
                &format!("/albums/{}", release.album_id),
                Some(json!({"name": name})),
                Some(&token),
            )
            .await;
        albums.push(release.album_id);
    }
    let spotify = client.platform(&token, "spotify").await;
    let _worker = stack.spawn_worker();
    let job = start_bulk(
        client,
        &token,
        json!({"albumIds": albums, "platformIds": [spotify]}),
    )
    .await;
    let finished = client.wait_job(&token, &job, Duration::from_secs(60)).await;
    assert_eq!(finished["result"]["delivered"], 2, "{finished}");

    let mail = stack.smtp.wait_for(1, Duration::from_secs(30)).await;
    let message = mail_parser::MessageParser::default()
        .parse(&mail[0].data)
        .expect("email");
    let body = message
        .attachments()
        .next()
        .expect("csv")
        .contents()
        .to_vec();
    let rows: Vec<csv::StringRecord> = csv::Reader::from_reader(body.as_slice())
        .records()
        .map(|r| r.expect("row"))
        .collect();
    let titles: BTreeSet<&str> = rows.iter().map(|r| &r[2]).collect();
    assert_eq!(
        titles,
        BTreeSet::from([format!("'{formula}").as_str(), "'-"]),
        "{}",
        String::from_utf8_lossy(&body)
    );
}

/// The batch profile under the same trial, killed twice: every batch folder is closed by its
/// manifest (none half-filled), each release is in one batch only, and once the platforms answer
/// every pair carries the platform's status.
#[tokio::test(flavor = "multi_thread")]
async fn a_thousand_releases_in_batches_to_four_platforms_survive_two_killed_workers() {
    use backbeat_testkit::platform::{Answer, StandIn};
    const BATCH_PLATFORMS: usize = 4;
    const BATCH_MAX: usize = 40;
    let stack = Stack::new(|s| {
        s.distribution.fsync = false;
        s.jobs.max_attempts = 5;
        s.scheduler.acknowledgements_secs = 1;
    })
    .await;
    let api = stack.api().await;
    let client = &api.0;
    let (_, admin) = api.admin(&mut stack.db.connect().await, "boss").await;
    let (owner, token) = client.user("label", Some("label@example.com")).await;
    let albums = backbeat_testkit::releases::seed(
        &mut stack.db.connect().await,
        &*stack.storage(),
        &owner,
        "batch",
        RELEASES,
        NOT_READY,
        20_000,
    )
    .await;
    let platforms: Vec<(String, String)> = client
        .platforms(&token)
        .await
        .into_iter()
        .take(BATCH_PLATFORMS)
        .collect();
    for (_, id) in &platforms {
        client
            .expect(
                StatusCode::OK,
                Method::PATCH,
                &format!("/platforms/{id}"),
                Some(json!({"deliveryProfile": "batch", "batchMaxReleases": BATCH_MAX})),
                Some(&admin),
            )
            .await;
    }
    let platform_ids: Vec<&str> = platforms.iter().map(|(_, id)| id.as_str()).collect();
    let mut worker = stack.spawn_worker();
    let job = start_bulk(
        client,
        &token,
        json!({"albumIds": albums, "platformIds": platform_ids}),
    )
    .await;
    let total = (RELEASES * BATCH_PLATFORMS) as i64;
    for share in [4, 2] {
        wait_until_done(client, &token, &job, total, total / share).await;
        worker.signal("-KILL");
        worker.wait_exit(Duration::from_secs(10));
        let done = progress(client, &token, &job).await["done"]
            .as_i64()
            .expect("done");
        assert!(done < total, "the kill came too late to test anything");
        worker = stack.spawn_worker();
    }
    let finished = client
        .wait_job(&token, &job, Duration::from_secs(300))
        .await;
    assert_eq!(finished["status"], "succeeded", "{finished}");
    let delivered = RELEASES - NOT_READY;
    assert_eq!(
        finished["result"]["delivered"],
        json!(delivered * BATCH_PLATFORMS)
    );

    // Each platform's batches: every folder closed and checked whole, every release once.
    let mut stand_ins = Vec::new();
    for (code, _) in &platforms {
        let mut stand_in = StandIn::new(stack.drop_folder(code));
        let folders = stand_in.batch_folders();
        let batches = stand_in.take_batches();
        assert_eq!(
            batches.len(),
            folders.len(),
            "{code}: a batch folder without its BatchComplete"
        );
        stack.packages(code);
        let upcs: BTreeSet<&str> = batches
            .iter()
            .flat_map(|b| b.messages.iter().map(|m| m.icpn.as_str()))
            .collect();
        let messages: usize = batches.iter().map(|b| b.messages.len()).sum();
        assert_eq!((messages, upcs.len()), (delivered, delivered), "{code}");
        assert!(
            batches.iter().all(|b| b.messages.len() <= BATCH_MAX),
            "{code}"
        );
        let sample = &batches[0].messages[0];
        let xml = std::fs::read(sample.package.join(format!("{}.xml", sample.icpn))).expect("xml");
        assert_valid(&xml);
        for batch in &batches {
            stand_in.answer(batch, |_| Answer::Ingested);
        }
        stand_ins.push(stand_in);
    }

    // Every pair acknowledged, once the collector has read every answer.
    let started = Instant::now();
    loop {
        let ingested: i64 = {
            use backbeat_db::schema::distributions::dsl::*;
            use diesel::prelude::*;
            use diesel_async::RunQueryDsl;
            distributions
                .filter(platform_status.eq("ingested"))
                .count()
                .get_result(&mut stack.db.connect().await)
                .await
                .expect("count")
        };
        if ingested == (delivered * BATCH_PLATFORMS) as i64 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "{ingested} pairs acknowledged"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let refused = client
        .expect(
            StatusCode::OK,
            Method::GET,
            "/admin/acknowledgements?outcome=refused",
            None,
            Some(&admin),
        )
        .await;
    assert_eq!(refused["data"]["files"], json!([]), "{refused}");
}
