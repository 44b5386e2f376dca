//! Usage reports imported by a real worker: CSV and DDEX DSR files uploaded through the API, the
//! lines loaded, matched, refused and listed, the summary revenue allocated to the cent, and
//! failed or interrupted imports leaving nothing behind.

use std::time::{Duration, Instant};

use backbeat_testkit::http::{Client, Release, form};
use backbeat_testkit::usage::{Block, Dsr};
use diesel::sql_types::{BigInt, Text};
use diesel_async::RunQueryDsl;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::*;

const WAIT: Duration = Duration::from_secs(60);

/// An admin, a label with a two-track release, and the Spotify platform's id.
pub struct Catalog {
    pub admin: String,
    pub label: String,
    pub release: Release,
    pub platform: String,
}

pub async fn catalog(stack: &Stack, client: &Client) -> Catalog {
    let (_, admin) = client.admin(&mut stack.db.connect().await, "boss").await;
    let (_, label) = client.user("label", Some("label@example.com")).await;
    let release = client.ready_release(&label, 1, 2).await;
    let platform = client.platform(&admin, "spotify").await;
    Catalog {
        admin,
        label,
        release,
        platform,
    }
}

/// Uploads a report; returns (status, body).
pub async fn upload(
    client: &Client,
    token: &str,
    platform: &str,
    period: &str,
    format: &str,
    file: &[u8],
) -> (StatusCode, Value) {
    client
        .post_form(
            "/usage-reports",
            form(
                &[
                    ("platformId", platform),
                    ("period", period),
                    ("format", format),
                ],
                ("file", "report.txt", "text/plain", file),
            ),
            token,
        )
        .await
}

/// Uploads a report and waits for its import job; returns the report.
pub async fn import(
    client: &Client,
    token: &str,
    platform: &str,
    period: &str,
    format: &str,
    file: &[u8],
) -> Value {
    let (status, body) = upload(client, token, platform, period, format, file).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let job = body["data"]["jobId"].as_str().expect("jobId").to_owned();
    let id = body["data"]["reportId"].as_str().expect("reportId");
    client.wait_job(token, &job, WAIT).await;
    report(client, token, id).await
}

pub async fn report(client: &Client, token: &str, id: &str) -> Value {
    client
        .expect(
            StatusCode::OK,
            Method::GET,
            &format!("/usage-reports/{id}"),
            None,
            Some(token),
        )
        .await["data"]["report"]
        .clone()
}

#[derive(diesel::QueryableByName, Debug, PartialEq)]
struct StoredLine {
    #[diesel(sql_type = Text)]
    transaction_id: String,
    #[diesel(sql_type = Text)]
    revenue: String,
    #[diesel(sql_type = BigInt)]
    units: i64,
}

/// The report's loaded lines, in file order, revenue as PostgreSQL prints it.
async fn stored_lines(stack: &Stack, report: &str) -> Vec<StoredLine> {
    diesel::sql_query(
        "SELECT transaction_id, revenue::text AS revenue, units FROM usage_lines \
         WHERE report_id = $1 ORDER BY line, transaction_id",
    )
    .bind::<Text, _>(report)
    .load(&mut stack.db.connect().await)
    .await
    .expect("lines")
}

/// (transaction id, revenue) of each line, in order.
fn revenues_of(lines: &[StoredLine]) -> Vec<(&str, &str)> {
    lines
        .iter()
        .map(|l| (l.transaction_id.as_str(), l.revenue.as_str()))
        .collect()
}

async fn pages(client: &Client, token: &str, path: &str, key: &str) -> Vec<Value> {
    client
        .expect(StatusCode::OK, Method::GET, path, None, Some(token))
        .await["data"][key]
        .as_array()
        .expect("list")
        .clone()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_csv_report_is_matched_by_isrc_then_upc_and_title_and_refuses_bad_lines_by_number() {
    let stack = Stack::new(|_| {}).await;
    let client = stack.api().await.0;
    let _worker = stack.spawn_worker();
    let c = catalog(&stack, &client).await;
    let (isrc1, isrc2) = (&c.release.tracks[0].1, &c.release.tracks[1].1);
    let upc = &c.release.upc;
    let csv = format!(
        "Transaction_ID,ISRC,UPC,Territory,Use_Type,Units,Net_Revenue,Currency,Title\n\
         T1,{isrc1},{upc},US,stream,1000,3.1234567890123,USD,\n\
         T2,{isrc2},,GB,download,2,1.98,EUR,\n\
         T3,,{upc},DE,stream,10,0.05,EUR,TRACK 2\n\
         T4,QZZZZ2600001,,US,stream,7,0.02,USD,Someone Else's Song\n\
         T5,{isrc1},,US,stream,-3,0.01,USD,\n\
         T6,{isrc1},,US,stream,1,0.01,XYZ,\n\
         T1,{isrc1},,US,stream,1,0.01,USD,\n"
    );

    // Who may upload, and what the form must hold.
    let (status, body) = upload(
        &client,
        &c.label,
        &c.platform,
        "2026-10",
        "csv",
        csv.as_bytes(),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (status, body) = upload(
        &client,
        &c.admin,
        &c.platform,
        "2026-13",
        "xls",
        csv.as_bytes(),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let fields: Vec<&str> = body["details"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| e["field"].as_str().expect("field"))
        .collect();
    assert_eq!(fields, ["period", "format"], "{body}");
    let (status, body) = upload(
        &client,
        &c.admin,
        "platform-nope",
        "2026-10",
        "csv",
        csv.as_bytes(),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert_eq!(body["code"], "NOT_FOUND", "{body}");

    let report = import(
        &client,
        &c.admin,
        &c.platform,
        "2026-10",
        "csv",
        csv.as_bytes(),
    )
    .await;
    assert_eq!(report["status"], "imported", "{report}");
    assert_eq!(report["period"], "2026-10");
    assert_eq!(
        report["counts"],
        json!({"lines": 7, "matched": 3, "unmatched": 1, "rejected": 3})
    );
    assert_eq!(
        report["totals"],
        json!({
            "EUR": {"lines": 2, "matchedLines": 2, "units": 12, "revenue": "2.03", "matchedRevenue": "2.03"},
            "USD": {"lines": 2, "matchedLines": 1, "units": 1007,
                    "revenue": "3.1434567890123", "matchedRevenue": "3.1234567890123"},
        })
    );
    let id = report["id"].as_str().expect("id");
    let lines = stored_lines(&stack, id).await;
    assert_eq!(
        lines
            .iter()
            .map(|l| (l.transaction_id.as_str(), l.units))
            .collect::<Vec<_>>(),
        [("T1", 1000), ("T2", 2), ("T3", 10), ("T4", 7)]
    );
    assert_eq!(lines[0].revenue, "3.1234567890123");

    let unmatched = pages(
        &client,
        &c.admin,
        &format!("/usage-reports/{id}/unmatched"),
        "lines",
    )
    .await;
    assert_eq!(unmatched.len(), 1, "{unmatched:?}");
    assert_eq!(unmatched[0]["line"], 5);
    assert_eq!(unmatched[0]["transactionId"], "T4");
    assert_eq!(unmatched[0]["isrc"], "QZZZZ2600001");
    assert_eq!(unmatched[0]["title"], "Someone Else's Song");
    assert_eq!(unmatched[0]["revenue"], "0.02");

    let rejections = pages(
        &client,
        &c.admin,
        &format!("/usage-reports/{id}/rejections"),
        "rejections",
    )
    .await;
    let by_line: Vec<(i64, &str)> = rejections
        .iter()
        .map(|r| {
            (
                r["line"].as_i64().expect("line"),
                r["field"].as_str().expect("field"),
            )
        })
        .collect();
    assert_eq!(
        by_line,
        [(6, "units"), (7, "currency"), (8, "transaction_id")],
        "{rejections:?}"
    );
    assert!(
        rejections[2]["reason"]
            .as_str()
            .expect("reason")
            .contains("T1"),
        "{rejections:?}"
    );
    assert_eq!(
        report["rejectedByReason"]
            .as_object()
            .expect("reasons")
            .values()
            .map(|v| v.as_i64().expect("count"))
            .sum::<i64>(),
        3
    );

    // The same file again is refused by its SHA-256, naming the report that has it.
    let (status, body) = upload(
        &client,
        &c.admin,
        &c.platform,
        "2026-10",
        "csv",
        csv.as_bytes(),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(
        body["message"].as_str().expect("message").contains(id),
        "{body}"
    );

    // Listing by period.
    let listed = pages(
        &client,
        &c.admin,
        "/usage-reports?period=2026-10",
        "reports",
    )
    .await;
    assert_eq!(listed.len(), 1);
    assert!(
        pages(
            &client,
            &c.admin,
            "/usage-reports?period=2026-09",
            "reports"
        )
        .await
        .is_empty()
    );

    // Removing the report removes its lines; the corrected file can then come in.
    client
        .expect(
            StatusCode::OK,
            Method::DELETE,
            &format!("/usage-reports/{id}"),
            None,
            Some(&c.admin),
        )
        .await;
    client
        .expect(
            StatusCode::NOT_FOUND,
            Method::GET,
            &format!("/usage-reports/{id}"),
            None,
            Some(&c.admin),
        )
        .await;
    assert!(stored_lines(&stack, id).await.is_empty());
    let again = import(
        &client,
        &c.admin,
        &c.platform,
        "2026-10",
        "csv",
        csv.as_bytes(),
    )
    .await;
    assert_eq!(again["status"], "imported");
}

/// The DSR of one month: streams of both tracks under a summary that carries the revenue
/// allocated to us, a download of the whole release under another, and a record type nobody
/// reads.
pub fn month_dsr(release: &Release, period: &str, allocated: &str) -> String {
    let (isrc1, isrc2) = (release.tracks[0].1.as_str(), release.tracks[1].1.as_str());
    let mut dsr = Dsr::new(period);
    dsr.summary(
        "S1",
        "OnDemandStream",
        "US",
        "USD",
        "1000000.00",
        Some(allocated),
    )
    .summary("S2", "PermanentDownload", "GB", "EUR", "5.00", None)
    .block(&Block {
        id: "B1",
        release: ("R1", &release.upc, "Night & Day 1", "Nadia Rose"),
        resources: &[
            ("A1", isrc1, "Track 1", "Nadia Rose"),
            ("A2", isrc2, "Track 2", "Nadia Rose"),
        ],
    })
    .streams("B1", "S1", "tx1", "A1", 1)
    .streams("B1", "S1", "tx2", "A2", 1)
    .streams("B1", "S1", "tx3", "A1", 1)
    // A release whose block lists no tracks: nothing to share it among, left unmatched.
    .block(&Block {
        id: "B2",
        release: ("R2", &release.upc, "Night & Day 1", "Nadia Rose"),
        resources: &[],
    })
    .sales("B2", "S2", "tx4", "R2", 2, 0)
    .other("ZZ99", &["B1", "whatever"]);
    dsr.finish()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_dsr_report_allocates_summary_revenue_to_its_lines_exactly() {
    let stack = Stack::new(|_| {}).await;
    let client = stack.api().await.0;
    let _worker = stack.spawn_worker();
    let c = catalog(&stack, &client).await;
    let dsr = month_dsr(&c.release, "2026-10", "10.00");

    let report = import(
        &client,
        &c.admin,
        &c.platform,
        "2026-10",
        "dsr",
        dsr.as_bytes(),
    )
    .await;
    assert_eq!(report["status"], "imported", "{report}");
    assert_eq!(
        report["counts"],
        json!({"lines": 4, "matched": 3, "unmatched": 1, "rejected": 0})
    );
    assert_eq!(report["totals"]["USD"]["revenue"], "10");
    assert_eq!(report["totals"]["USD"]["units"], 3);
    assert_eq!(report["totals"]["EUR"]["revenue"], "5");
    assert_eq!(report["totals"]["EUR"]["matchedRevenue"], "0");
    assert_eq!(report["details"]["skippedRecords"], json!({"ZZ99": 1}));
    assert_eq!(report["details"]["dsr"]["senderName"], "Test Music Service");

    // A third each, to ten places; the remainder goes to one line, so they add up to 10.00.
    let lines = stored_lines(&stack, report["id"].as_str().expect("id")).await;
    let mut revenues: Vec<&str> = lines[..3].iter().map(|l| l.revenue.as_str()).collect();
    revenues.sort_unstable();
    assert_eq!(revenues, ["3.3333333333", "3.3333333333", "3.3333333334"]);
    assert_eq!(
        (
            lines[3].transaction_id.as_str(),
            lines[3].revenue.as_str(),
            lines[3].units
        ),
        ("tx4", "5.0000000000", 2)
    );

    // The release-level download names the release, not a track: listed as unmatched.
    let unmatched = pages(
        &client,
        &c.admin,
        &format!(
            "/usage-reports/{}/unmatched",
            report["id"].as_str().expect("id")
        ),
        "lines",
    )
    .await;
    assert_eq!(unmatched.len(), 1);
    assert_eq!(unmatched[0]["transactionId"], "tx4");
    assert_eq!(unmatched[0]["upc"], c.release.upc.as_str());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_truncated_or_miscounted_file_fails_the_import_and_keeps_nothing() {
    let stack = Stack::new(|_| {}).await;
    let client = stack.api().await.0;
    let _worker = stack.spawn_worker();
    let c = catalog(&stack, &client).await;
    let whole = month_dsr(&c.release, "2026-10", "10.00");

    // Cut before the footer, as an interrupted transfer would.
    let cut = &whole[..whole.find("#FOOT").expect("footer")];
    // A footer that counts one line more than the file has.
    let lines = whole.lines().count();
    let miscounted = whole.replace(
        &format!("FOOT\t{lines}\t{lines}\t"),
        &format!("FOOT\t{}\t{}\t", lines + 1, lines + 1),
    );
    assert_ne!(miscounted, whole);

    for (file, reason) in [(cut, "FOOT"), (miscounted.as_str(), "lines")] {
        let (status, body) = upload(
            &client,
            &c.admin,
            &c.platform,
            "2026-10",
            "dsr",
            file.as_bytes(),
        )
        .await;
        assert_eq!(status, StatusCode::ACCEPTED, "{body}");
        let job = client
            .wait_job(&c.admin, body["data"]["jobId"].as_str().expect("job"), WAIT)
            .await;
        assert_eq!(job["status"], "dead", "{job}");
        assert_eq!(job["attempts"], 1, "a broken file is not retried: {job}");
        let id = body["data"]["reportId"].as_str().expect("id");
        let report = report(&client, &c.admin, id).await;
        assert_eq!(report["status"], "failed");
        assert!(report["counts"].is_null(), "{report}");
        let error = report["error"].as_str().expect("error");
        assert!(error.contains(reason), "{error}");
        assert!(stored_lines(&stack, id).await.is_empty());
    }

    // The whole file still imports afterwards.
    let report = import(
        &client,
        &c.admin,
        &c.platform,
        "2026-10",
        "dsr",
        whole.as_bytes(),
    )
    .await;
    assert_eq!(report["status"], "imported", "{report}");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_import_killed_midway_reruns_to_the_same_lines() {
    let stack = Stack::new(|_| {}).await;
    let client = stack.api().await.0;
    let mut worker = stack.spawn_worker();
    let c = catalog(&stack, &client).await;
    let isrc = &c.release.tracks[0].1;
    let count = 300_000;
    let mut csv =
        String::from("transaction_id,isrc,upc,territory,use_type,units,net_revenue,currency\n");
    for n in 0..count {
        csv.push_str(&format!("t{n},{isrc},,US,stream,1,0.001,USD\n"));
    }
    let (status, body) = upload(
        &client,
        &c.admin,
        &c.platform,
        "2026-10",
        "csv",
        csv.as_bytes(),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let id = body["data"]["reportId"].as_str().expect("id").to_owned();
    let job = body["data"]["jobId"].as_str().expect("job").to_owned();

    let started = Instant::now();
    while report(&client, &c.admin, &id).await["status"] != "importing" {
        assert!(started.elapsed() < WAIT, "the import never started");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    worker.signal("-KILL");
    worker.wait_exit(WAIT);
    assert_ne!(
        report(&client, &c.admin, &id).await["status"],
        "imported",
        "the kill came too late to test anything"
    );

    let _worker = stack.spawn_worker();
    let done = client.wait_job(&c.admin, &job, WAIT).await;
    assert_eq!(done["status"], "succeeded", "{done}");
    let report = report(&client, &c.admin, &id).await;
    assert_eq!(
        report["counts"],
        json!({"lines": count, "matched": count, "unmatched": 0, "rejected": 0})
    );
    assert_eq!(report["totals"]["USD"]["revenue"], "300");
    #[derive(diesel::QueryableByName)]
    struct Count {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    let stored: Count =
        diesel::sql_query("SELECT count(*) AS n FROM usage_lines WHERE report_id = $1")
            .bind::<Text, _>(&id)
            .get_result(&mut stack.db.connect().await)
            .await
            .expect("count");
    assert_eq!(stored.n, count);
}

#[tokio::test(flavor = "multi_thread")]
async fn analytics_sum_imported_usage_by_month_platform_and_territory_for_owners() {
    let stack = Stack::new(|_| {}).await;
    let client = stack.api().await.0;
    let _worker = stack.spawn_worker();
    let c = catalog(&stack, &client).await;
    let apple = client.platform(&c.admin, "apple_music").await;
    let ((song1, isrc1), (song2, isrc2)) = (&c.release.tracks[0], &c.release.tracks[1]);
    let csv = format!(
        "transaction_id,isrc,upc,territory,use_type,units,net_revenue,currency\n\
         T1,{isrc1},,US,stream,1000,3.1234567890123,USD\n\
         T2,{isrc2},,GB,download,2,1.98,EUR\n\
         T3,{isrc2},,DE,stream,10,0.05,EUR\n\
         T4,QZZZZ2600001,,US,stream,7,0.02,USD\n"
    );
    let october = import(
        &client,
        &c.admin,
        &c.platform,
        "2026-10",
        "csv",
        csv.as_bytes(),
    )
    .await;
    assert_eq!(october["status"], "imported", "{october}");
    let september = month_dsr(&c.release, "2026-09", "10.00");
    let september = import(
        &client,
        &c.admin,
        &apple,
        "2026-09",
        "dsr",
        september.as_bytes(),
    )
    .await;
    assert_eq!(september["status"], "imported", "{september}");

    let get = |path: String, token: &str| {
        let (client, token) = (client.clone(), token.to_owned());
        async move {
            client
                .expect(StatusCode::OK, Method::GET, &path, None, Some(&token))
                .await["data"]
                .clone()
        }
    };
    let song = get(
        format!("/songs/{song1}/analytics?from=2026-08&to=2026-10"),
        &c.label,
    )
    .await;
    assert_eq!(
        song["analytics"],
        json!({
            "from": "2026-08", "to": "2026-10", "groupBy": "month",
            "total": {"units": 1002, "revenue": {"USD": "9.7901234557123"}},
            "groups": [
                {"key": "2026-08", "units": 0, "revenue": {}},
                {"key": "2026-09", "units": 2, "revenue": {"USD": "6.6666666667"}},
                {"key": "2026-10", "units": 1000, "revenue": {"USD": "3.1234567890123"}},
            ],
        })
    );
    let album = get(
        format!(
            "/albums/{}/analytics?from=2026-09&to=2026-10&groupBy=platform",
            c.release.album_id
        ),
        &c.admin,
    )
    .await;
    let mut expected = vec![
        json!({"key": apple, "name": "Apple Music", "units": 3, "revenue": {"USD": "10"}}),
        json!({"key": c.platform, "name": "Spotify", "units": 1012,
               "revenue": {"EUR": "2.03", "USD": "3.1234567890123"}}),
    ];
    expected.sort_by_key(|g| g["key"].as_str().expect("key").to_owned());
    assert_eq!(album["analytics"]["groups"], json!(expected));
    assert_eq!(
        album["analytics"]["total"],
        json!({"units": 1015, "revenue": {"EUR": "2.03", "USD": "13.1234567890123"}})
    );

    let overview = get(
        "/analytics/overview?from=2026-09&to=2026-10".to_owned(),
        &c.label,
    )
    .await["overview"]
        .clone();
    assert_eq!(
        overview["topSongs"],
        json!([
            {"key": song1, "name": "Track 1", "units": 1002, "revenue": {"USD": "9.7901234557123"}},
            {"key": song2, "name": "Track 2", "units": 13, "revenue": {"EUR": "2.03", "USD": "3.3333333333"}},
        ])
    );
    assert_eq!(
        overview["byTerritory"],
        json!([
            {"key": "DE", "units": 10, "revenue": {"EUR": "0.05"}},
            {"key": "GB", "units": 2, "revenue": {"EUR": "1.98"}},
            {"key": "US", "units": 1003, "revenue": {"USD": "13.1234567890123"}},
        ])
    );
    assert_eq!(overview["total"], album["analytics"]["total"]);
    // Someone else's catalog is empty; their song analytics are not theirs to read.
    let (_, stranger) = client.user("stranger", None).await;
    let theirs = get(
        "/analytics/overview?from=2026-09&to=2026-10".to_owned(),
        &stranger,
    )
    .await;
    assert_eq!(
        theirs["overview"]["total"],
        json!({"units": 0, "revenue": {}})
    );
    client
        .expect(
            StatusCode::FORBIDDEN,
            Method::GET,
            &format!("/songs/{song1}/analytics"),
            None,
            Some(&stranger),
        )
        .await;
    client
        .expect(
            StatusCode::NOT_FOUND,
            Method::GET,
            "/songs/song-nope/analytics",
            None,
            Some(&c.label),
        )
        .await;
    // A range over 120 months answers its last 120; one that ends before it starts is empty.
    let long = client
        .expect(
            StatusCode::OK,
            Method::GET,
            &format!("/songs/{song1}/analytics?from=1990-01&to=2026-10"),
            None,
            Some(&c.label),
        )
        .await;
    assert_eq!(long["data"]["analytics"]["from"], "2016-11", "{long}");
    assert_eq!(
        long["data"]["analytics"]["groups"].as_array().map(Vec::len),
        Some(120)
    );
    let inverted = client
        .expect(
            StatusCode::OK,
            Method::GET,
            &format!("/songs/{song1}/analytics?from=2026-11&to=2026-10"),
            None,
            Some(&c.label),
        )
        .await;
    assert_eq!(
        inverted["data"]["analytics"]["groups"],
        json!([]),
        "{inverted}"
    );
    assert_eq!(
        inverted["data"]["analytics"]["total"]["units"], 0,
        "{inverted}"
    );
    for (query, field) in [("groupBy=week", "groupBy"), ("to=October", "to")] {
        let body = client
            .expect(
                StatusCode::BAD_REQUEST,
                Method::GET,
                &format!("/songs/{song1}/analytics?{query}"),
                None,
                Some(&c.label),
            )
            .await;
        assert_eq!(body["details"][0]["field"], field, "{query}: {body}");
    }

    // Removing a report takes its usage out of the analytics.
    client
        .expect(
            StatusCode::OK,
            Method::DELETE,
            &format!("/usage-reports/{}", september["id"].as_str().expect("id")),
            None,
            Some(&c.admin),
        )
        .await;
    let song = get(
        format!("/songs/{song1}/analytics?from=2026-09&to=2026-10&groupBy=territory"),
        &c.label,
    )
    .await;
    assert_eq!(
        song["analytics"]["groups"],
        json!([{"key": "US", "units": 1000, "revenue": {"USD": "3.1234567890123"}}])
    );
}

fn gzip(data: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(data).expect("compress");
    encoder.finish().expect("compress")
}

/// Platforms send reports gzip-compressed: such a file is stored inflated and imported as the
/// plain one would be (and is that same report); one that inflates past
/// `royalties.report_max_bytes` is refused with 413 and leaves nothing behind.
#[tokio::test(flavor = "multi_thread")]
async fn a_gzip_report_imports_inflated_and_one_inflating_past_the_limit_is_refused() {
    const LIMIT: u64 = 4 << 20;
    let stack = Stack::new(|s| s.royalties.report_max_bytes = LIMIT).await;
    let client = stack.api().await.0;
    let _worker = stack.spawn_worker();
    let c = catalog(&stack, &client).await;
    let isrc1 = &c.release.tracks[0].1;
    let csv = format!(
        "transaction_id,isrc,upc,territory,use_type,units,net_revenue,currency\n\
         T1,{isrc1},,US,stream,1000,3.25,USD\n\
         T2,{isrc1},,DE,stream,20,0.07,USD\n"
    );
    let report = import(
        &client,
        &c.admin,
        &c.platform,
        "2026-10",
        "csv",
        &gzip(csv.as_bytes()),
    )
    .await;
    assert_eq!(report["status"], "imported", "{report}");
    assert_eq!(report["file"]["bytes"], csv.len(), "{report}");
    assert_eq!(
        report["counts"],
        json!({"lines": 2, "matched": 2, "unmatched": 0, "rejected": 0})
    );
    assert_eq!(report["totals"]["USD"]["units"], 1020, "{report}");
    let (status, body) = upload(
        &client,
        &c.admin,
        &c.platform,
        "2026-10",
        "csv",
        csv.as_bytes(),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::CONFLICT,
        "the same report, plain: {body}"
    );

    // About 1 MB that inflates to 1 GiB (128 members of 8 MiB of zeros), under the limit as sent.
    let bomb = gzip(&vec![0; 8 << 20]).repeat(128);
    assert!((bomb.len() as u64) < LIMIT, "{}", bomb.len());
    let (status, body) = upload(&client, &c.admin, &c.platform, "2026-09", "csv", &bomb).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    assert_eq!(body["code"], "PAYLOAD_TOO_LARGE", "{body}");
    // A file cut short is the caller's mistake, named as such.
    let whole = gzip(csv.as_bytes());
    let (status, body) = upload(
        &client,
        &c.admin,
        &c.platform,
        "2026-09",
        "csv",
        &whole[..whole.len() - 6],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["details"][0]["field"], "file", "{body}");

    let listed = pages(
        &client,
        &c.admin,
        "/usage-reports?period=2026-09",
        "reports",
    )
    .await;
    assert!(listed.is_empty(), "{listed:?}");
    let root = std::path::Path::new(&stack.settings.storage.root);
    let files = |dir: &str| std::fs::read_dir(root.join(dir)).map_or(0, Iterator::count);
    assert_eq!(files("usage-reports/2026-09"), 0);
    assert_eq!(
        files(".incoming"),
        0,
        "nothing of the refused uploads is left"
    );
    assert_eq!(files("usage-reports/2026-10"), 1);
}

/// One of the reader's test files (`crates/usage/tests/data`), its recordings and release made
/// the catalog's.
fn data_file(name: &str, release: &Release) -> Vec<u8> {
    let path = format!("{}/../usage/tests/data/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{path}: {e}"))
        .replace("GBAYE0601498", &release.tracks[0].1)
        .replace("GBAYE0601499", &release.tracks[1].1)
        .replace("036000291452", &release.upc)
        .into_bytes()
}

/// Uploads a file and waits for its job, whatever it ends in; returns the report.
async fn settle(client: &Client, c: &Catalog, file: &[u8]) -> Value {
    let (status, body) = upload(client, &c.admin, &c.platform, "2026-10", "dsr", file).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let job = body["data"]["jobId"].as_str().expect("jobId");
    // A refused file's job ends dead: either way the report says how it went.
    client.wait_job(&c.admin, job, WAIT).await;
    report(
        client,
        &c.admin,
        body["data"]["reportId"].as_str().expect("id"),
    )
    .await
}

/// DSR files as platforms send them: Basic Audio 1.3 with a usage of a whole release, a
/// three-file report arriving out of order (one file gzipped), imported as one once the last
/// file is there, and a UGC report whose lines carry what is due.
#[tokio::test(flavor = "multi_thread")]
async fn dsr_reports_as_platforms_send_them_import_whole() {
    let stack = Stack::new(|_| {}).await;
    let client = stack.api().await.0;
    let _worker = stack.spawn_worker();
    let c = catalog(&stack, &client).await;

    // Basic Audio 1.3: the release's 100 streams shared 3:1 by duration with the other block's
    // track (not ours) taking its own 100.
    let audio = settle(&client, &c, &data_file("basic-audio-1.3.tsv", &c.release)).await;
    assert_eq!(audio["status"], "imported", "{audio}");
    assert_eq!(
        audio["counts"],
        json!({"lines": 3, "matched": 2, "unmatched": 1, "rejected": 0})
    );
    assert_eq!(audio["totals"]["GBP"]["revenue"], "60");
    assert_eq!(audio["totals"]["GBP"]["matchedRevenue"], "30");
    assert_eq!(audio["details"]["dsr"]["profileVersion"], "1.3");
    let lines = stored_lines(&stack, audio["id"].as_str().expect("id")).await;
    let revenues = revenues_of(&lines);
    assert_eq!(
        revenues,
        [
            ("TX1/1", "22.5000000000"),
            ("TX1/2", "7.5000000000"),
            ("TX2", "30.0000000000")
        ]
    );

    // Three files: 3 (gzipped) and 1 wait; 2 completes the report, imported into file 1's.
    let names = [
        "three-files-1of3.tsv",
        "three-files-2of3.tsv",
        "three-files-3of3.tsv",
    ];
    let files: Vec<Vec<u8>> = names.iter().map(|n| data_file(n, &c.release)).collect();
    let third = settle(&client, &c, &gzip(&files[2])).await;
    assert_eq!(third["status"], "waiting", "{third}");
    assert_eq!(
        third["reportFile"],
        json!({"messageId": "BB-MF-1", "fileNumber": 3, "numberOfFiles": 3, "partOf": null})
    );
    let first = settle(&client, &c, &files[0]).await;
    assert_eq!(first["status"], "waiting", "{first}");
    let first_id = first["id"].as_str().expect("id").to_owned();
    let second = settle(&client, &c, &files[1]).await;
    assert_eq!(second["status"], "imported", "{second}");
    assert_eq!(second["reportFile"]["partOf"], first_id.as_str());
    assert!(second["counts"].is_null(), "{second}");
    let first = report(&client, &c.admin, &first_id).await;
    assert_eq!(first["status"], "imported", "{first}");
    assert_eq!(
        first["counts"],
        json!({"lines": 4, "matched": 4, "unmatched": 0, "rejected": 0})
    );
    assert_eq!(first["totals"]["USD"]["revenue"], "90");
    assert_eq!(first["details"]["dsr"]["numberOfFiles"], 3);
    let third = report(&client, &c.admin, third["id"].as_str().expect("id")).await;
    assert_eq!(third["status"], "imported");
    assert_eq!(third["reportFile"]["partOf"], first_id.as_str());
    // 60 + 30 + 10 streams (file 3's release usage in two equal halves) share the 90.00.
    let lines = stored_lines(&stack, &first_id).await;
    let revenues = revenues_of(&lines);
    assert_eq!(
        revenues,
        [
            ("MF-1", "54.0000000000"),
            ("MF-2", "27.0000000000"),
            ("MF-3/1", "4.5000000000"),
            ("MF-3/2", "4.5000000000")
        ]
    );

    // Another upload of file 2 (a fresh copy: other bytes, same file of the same report).
    let copy = String::from_utf8(files[1].clone()).expect("text").replacen(
        "2026-11-05T10:00:00Z",
        "2026-11-06T10:00:00Z",
        1,
    );
    let again = settle(&client, &c, copy.as_bytes()).await;
    assert_eq!(again["status"], "failed", "{again}");
    assert!(
        again["error"]
            .as_str()
            .is_some_and(|e| e.contains("file 2 of 3 of report BB-MF-1 was already uploaded")),
        "{again}"
    );

    // Removing a file of the report removes the report: its lines are the report's.
    client
        .expect(
            StatusCode::OK,
            Method::DELETE,
            &format!("/usage-reports/{}", second["id"].as_str().expect("id")),
            None,
            Some(&c.admin),
        )
        .await;
    let (status, _, _) = client
        .call(
            Method::GET,
            &format!("/usage-reports/{first_id}"),
            None,
            Some(&c.admin),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(stored_lines(&stack, &first_id).await.is_empty());

    // UGC: 8.40 due by its LI01, 3.00 the line's own, the third not royalty-bearing.
    let ugc = settle(&client, &c, &data_file("ugc-1.2.tsv", &c.release)).await;
    assert_eq!(ugc["status"], "imported", "{ugc}");
    assert_eq!(
        ugc["counts"],
        json!({"lines": 3, "matched": 2, "unmatched": 1, "rejected": 0})
    );
    assert_eq!(ugc["totals"]["EUR"]["revenue"], "11.4");
    assert_eq!(ugc["totals"]["EUR"]["matchedRevenue"], "11.4");
    assert_eq!(ugc["details"]["dsr"]["profile"], "UgcProfile");
}
