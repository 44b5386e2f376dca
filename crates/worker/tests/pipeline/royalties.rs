//! Royalty runs end to end: a CSV and a DSR report imported, splits, a platform fee, an exchange
//! rate and an advance set through the API, the period run by a real worker, and statements
//! checked to the cent against figures worked out by hand; the emails with their CSVs; a rerun
//! that changes nothing; a run refused for a missing rate that writes nothing.

use std::time::{Duration, Instant};

use backbeat_testkit::http::Client;
use mail_parser::MimeHeaders;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::*;
use crate::usage::{catalog, import, month_dsr};

const WAIT: Duration = Duration::from_secs(60);

async fn run(client: &Client, admin: &str, period: &str, rerun: bool) -> Value {
    let path = if rerun {
        "/royalties/runs?rerun=true"
    } else {
        "/royalties/runs"
    };
    let body = client
        .expect(
            StatusCode::ACCEPTED,
            Method::POST,
            path,
            Some(json!({"period": period})),
            Some(admin),
        )
        .await;
    let job = body["data"]["jobId"].as_str().expect("jobId");
    client.wait_job(admin, job, WAIT).await;
    client
        .expect(
            StatusCode::OK,
            Method::GET,
            &format!(
                "/royalties/runs/{}",
                body["data"]["runId"].as_str().expect("runId")
            ),
            None,
            Some(admin),
        )
        .await["data"]["run"]
        .clone()
}

/// Standing statements of the period, by payee id.
async fn statements(client: &Client, token: &str, period: &str) -> Vec<Value> {
    client
        .expect(
            StatusCode::OK,
            Method::GET,
            &format!("/royalties/statements?period={period}"),
            None,
            Some(token),
        )
        .await["data"]["statements"]
        .as_array()
        .expect("statements")
        .clone()
}

async fn csv(client: &Client, token: &str, statement: &str) -> String {
    download(
        client,
        token,
        &format!("/royalties/statements/{statement}.csv"),
    )
    .await
}

/// A PDF the API serves.
async fn download_pdf(client: &Client, token: &str, path: &str) -> Vec<u8> {
    let response = client
        .http
        .get(format!("{}{path}", client.address))
        .bearer_auth(token)
        .send()
        .await
        .expect("pdf");
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "application/pdf");
    response.bytes().await.expect("body").to_vec()
}

/// The PDF's text as poppler's `pdftotext -layout` reads it.
fn pdf_text(pdf: &[u8]) -> String {
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("statement.pdf");
    std::fs::write(&file, pdf).expect("write");
    let out = std::process::Command::new("pdftotext")
        .args(["-layout", "-enc", "UTF-8"])
        .arg(&file)
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils) runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8")
}

/// The PDF's first page rendered by poppler's `pdftoppm` at 72 dpi in grey: (width, height,
/// pixels).
fn pdf_first_page(pdf: &[u8]) -> (usize, usize, Vec<u8>) {
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("statement.pdf");
    std::fs::write(&file, pdf).expect("write");
    let out = std::process::Command::new("pdftoppm")
        .args(["-r", "72", "-gray", "-f", "1", "-l", "1"])
        .arg(&file)
        .output()
        .expect("pdftoppm (poppler-utils) runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // A binary PGM: `P5 <width> <height> 255` then one byte per pixel.
    let data = out.stdout;
    let mut fields = Vec::new();
    let mut at = 0;
    while fields.len() < 4 {
        while data[at].is_ascii_whitespace() {
            at += 1;
        }
        let start = at;
        while !data[at].is_ascii_whitespace() {
            at += 1;
        }
        fields.push(String::from_utf8_lossy(&data[start..at]).into_owned());
    }
    assert_eq!(fields[0], "P5");
    let (width, height) = (fields[1].parse().expect("w"), fields[2].parse().expect("h"));
    (width, height, data[at + 1..].to_vec())
}

/// Whether the PDF's text has a line reading `label ... value`.
fn has_line(text: &str, label: &str, value: &str) -> bool {
    text.lines()
        .any(|l| l.trim_start().starts_with(label) && l.trim_end().ends_with(&format!(" {value}")))
}

/// A CSV the API serves.
async fn download(client: &Client, token: &str, path: &str) -> String {
    let response = client
        .http
        .get(format!("{}{path}", client.address))
        .bearer_auth(token)
        .send()
        .await
        .expect("csv");
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()["content-type"].to_str().expect("type"),
        "text/csv; charset=utf-8"
    );
    response.text().await.expect("body")
}

/// Waits until every statement of the period says it was emailed (or found unchanged).
async fn wait_emailed(client: &Client, admin: &str, period: &str, count: usize) {
    let started = Instant::now();
    loop {
        let list = statements(client, admin, period).await;
        if list.len() == count && list.iter().all(|s| s["emailed"] == true) {
            return;
        }
        assert!(
            started.elapsed() < WAIT,
            "statements never all emailed: {list:#?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// An admin approves every draft of the run: the approval's `{approved, emailed, drafts}`.
async fn approve(client: &Client, admin: &str, run: &Value) -> Value {
    client
        .expect(
            StatusCode::OK,
            Method::POST,
            &format!(
                "/royalties/runs/{}/approval",
                run["id"].as_str().expect("run id")
            ),
            None,
            Some(admin),
        )
        .await["data"]["approval"]
        .clone()
}

/// `POST /royalties/payouts` as `token`, answered `expected`.
async fn post_payout(client: &Client, token: &str, expected: StatusCode) -> Value {
    client
        .expect(
            expected,
            Method::POST,
            "/royalties/payouts",
            None,
            Some(token),
        )
        .await
}

fn by_email<'a>(list: &'a [Value], email: &str) -> &'a Value {
    list.iter()
        .find(|s| s["email"] == email)
        .unwrap_or_else(|| panic!("no statement for {email}: {list:#?}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn a_period_runs_into_statements_to_the_cent_and_emails_each_payee_once() {
    let stack = Stack::new(|_| {}).await;
    let client = stack.api().await.0;
    let _worker = stack.spawn_worker();
    let c = catalog(&stack, &client).await;
    let apple = client.platform(&c.admin, "apple_music").await;
    let (producer_id, producer) = client.user("producer", Some("producer@example.com")).await;
    let ((song1, isrc1), (_, isrc2)) = (&c.release.tracks[0], &c.release.tracks[1]);

    // Track 1 is shared three ways, one payee known only by email; track 2 is all the label's.
    let splits = json!({"splits": [
        {"payeeUserId": producer_id, "shareBps": 3000},
        {"payeeEmail": "writer@example.com", "shareBps": 2000},
        {"payeeUserId": client.expect(StatusCode::OK, Method::GET, "/users/me", None, Some(&c.label)).await["data"]["user"]["id"], "shareBps": 5000},
    ]});
    let body = client
        .expect(
            StatusCode::OK,
            Method::PUT,
            &format!("/songs/{song1}/splits"),
            Some(splits.clone()),
            Some(&c.label),
        )
        .await;
    assert_eq!(body["data"]["splits"][0]["shareBps"], 5000, "{body}");
    assert_eq!(
        body["data"]["splits"][2]["payeeEmail"],
        "writer@example.com"
    );
    // Shares that do not add up, and someone else's song.
    let bad = client
        .expect(
            StatusCode::BAD_REQUEST,
            Method::PUT,
            &format!("/songs/{song1}/splits"),
            Some(json!({"splits": [{"payeeUserId": producer_id, "shareBps": 9999}]})),
            Some(&c.label),
        )
        .await;
    assert_eq!(bad["details"][0]["field"], "splits", "{bad}");
    // An unknown account, and a share naming both an account and an address.
    let bad = client
        .expect(
            StatusCode::BAD_REQUEST,
            Method::PUT,
            &format!("/songs/{song1}/splits"),
            Some(json!({"splits": [
                {"payeeUserId": "user-nobody", "shareBps": 5000},
                {"payeeUserId": producer_id, "payeeEmail": "x@example.com", "shareBps": 5000},
            ]})),
            Some(&c.label),
        )
        .await;
    assert_eq!(bad["details"][0]["field"], "splits[1]", "{bad}");
    let bad = client
        .expect(
            StatusCode::BAD_REQUEST,
            Method::PUT,
            &format!("/songs/{song1}/splits"),
            Some(json!({"splits": [{"payeeUserId": "user-nobody", "shareBps": 10000}]})),
            Some(&c.label),
        )
        .await;
    assert_eq!(bad["details"][0]["field"], "splits[0].payeeUserId", "{bad}");
    client
        .expect(
            StatusCode::FORBIDDEN,
            Method::PUT,
            &format!("/songs/{song1}/splits"),
            Some(splits),
            Some(&producer),
        )
        .await;

    // Contract terms: Spotify's fee is 10%, Apple keeps the default 15%; EUR at 1.10; a 5.00
    // advance to the producer.
    let platform = client
        .expect(
            StatusCode::OK,
            Method::PATCH,
            &format!("/platforms/{}", c.platform),
            Some(json!({"feeBps": 1000})),
            Some(&c.admin),
        )
        .await;
    assert_eq!(platform["data"]["platform"]["feeBps"], 1000);
    client
        .expect(
            StatusCode::OK,
            Method::PUT,
            "/royalties/fx/2026-10",
            Some(json!({"rates": {"EUR": "1.10"}})),
            Some(&c.admin),
        )
        .await;
    let bad = client
        .expect(
            StatusCode::BAD_REQUEST,
            Method::PUT,
            "/royalties/fx/2026-10",
            Some(json!({"rates": {"USD": "1", "EUR": "-1"}})),
            Some(&c.admin),
        )
        .await;
    let fields: Vec<&str> = bad["details"]
        .as_array()
        .expect("details")
        .iter()
        .map(|d| d["field"].as_str().expect("field"))
        .collect();
    assert_eq!(fields, ["rates.EUR", "rates.USD"], "{bad}");
    client
        .expect(
            StatusCode::CREATED,
            Method::POST,
            &format!("/payees/{producer_id}/advances"),
            Some(json!({"amount": "5.00", "currency": "USD", "note": "studio time", "period": "2026-10"})),
            Some(&c.admin),
        )
        .await;
    client
        .expect(
            StatusCode::BAD_REQUEST,
            Method::POST,
            &format!("/payees/{producer_id}/advances"),
            Some(json!({"amount": "5.00", "currency": "EUR"})),
            Some(&c.admin),
        )
        .await;

    let csv_report = format!(
        "transaction_id,isrc,upc,territory,use_type,units,net_revenue,currency\n\
         T1,{isrc1},,US,stream,1000,10.00,USD\n\
         T2,{isrc1},,DE,stream,500,5.00,EUR\n\
         T3,{isrc2},,GB,download,1,0.99,USD\n"
    );
    import(
        &client,
        &c.admin,
        &c.platform,
        "2026-10",
        "csv",
        csv_report.as_bytes(),
    )
    .await;
    import(
        &client,
        &c.admin,
        &apple,
        "2026-10",
        "dsr",
        month_dsr(&c.release, "2026-10", "10.00").as_bytes(),
    )
    .await;

    let first = run(&client, &c.admin, "2026-10", false).await;
    assert_eq!(first["status"], "succeeded", "{first}");
    // Track 1: Spotify US 10.00 - 10% = 9.00; Spotify DE 5.00 EUR x 1.10 = 5.50 - 0.55 = 4.95;
    // Apple US 6.6666666667 - 15% (1.000000000005, kept exact) = 5.666666666695; net
    // 19.616666666695 -> 19.62.
    // Split 5000/3000/2000: 9.81, 5.886 -> 5.89 (largest remainder), 3.924 -> 3.92.
    // Track 2: Spotify GB 0.99 - 0.099 = 0.891; Apple US 3.3333333333 - 0.499999999995 =
    // 2.833333333305; net 3.724333333305 -> 3.72, all the label's.
    assert_eq!(first["result"]["net"], "23.34");
    assert_eq!(first["result"]["earnings"], "23.34");
    assert_eq!(first["result"]["statements"], 3);
    assert_eq!(
        first["result"]["unmatched"],
        json!({"EUR": {"lines": 1, "revenue": "5"}})
    );

    // Drafts: admins review them; payees see nothing, and nobody is emailed.
    let drafts = statements(&client, &c.admin, "2026-10").await;
    assert_eq!(drafts.len(), 3);
    assert!(drafts.iter().all(|s| s["status"] == "draft"), "{drafts:#?}");
    assert!(statements(&client, &producer, "2026-10").await.is_empty());
    let draft = by_email(&drafts, "producer@example.com")["id"]
        .as_str()
        .expect("id")
        .to_owned();
    for path in [
        format!("/royalties/statements/{draft}"),
        format!("/royalties/statements/{draft}.csv"),
    ] {
        client
            .expect(
                StatusCode::NOT_FOUND,
                Method::GET,
                &path,
                None,
                Some(&producer),
            )
            .await;
    }
    client
        .expect(
            StatusCode::FORBIDDEN,
            Method::POST,
            &format!(
                "/royalties/runs/{}/approval",
                first["id"].as_str().expect("id")
            ),
            None,
            Some(&producer),
        )
        .await;
    assert!(stack.smtp.received().is_empty(), "a draft was emailed");
    let approval = approve(&client, &c.admin, &first).await;
    assert_eq!(
        (&approval["emailed"], &approval["drafts"]),
        (&json!(3), &json!(0)),
        "{approval}"
    );
    assert_eq!(approval["approved"].as_array().expect("approved").len(), 3);
    // Approving again approves nothing more.
    assert_eq!(
        approve(&client, &c.admin, &first).await["approved"],
        json!([])
    );

    let list = statements(&client, &c.admin, "2026-10").await;
    assert!(list.iter().all(|s| s["status"] == "approved"), "{list:#?}");
    let label = by_email(&list, "label@example.com");
    assert_eq!(
        (
            &label["gross"],
            &label["fee"],
            &label["earnings"],
            &label["payable"],
            &label["closingBalance"]
        ),
        (
            &json!("15.41"),
            &json!("1.88"),
            &json!("13.53"),
            &json!("13.53"),
            &json!("0.00")
        )
    );
    let producer_statement = by_email(&list, "producer@example.com");
    assert_eq!(
        (
            &producer_statement["gross"],
            &producer_statement["earnings"],
            &producer_statement["advances"],
            &producer_statement["advancesRecouped"],
            &producer_statement["payable"],
        ),
        (
            &json!("6.65"),
            &json!("5.89"),
            &json!("5.00"),
            &json!("5.00"),
            &json!("0.89")
        )
    );
    let writer = by_email(&list, "writer@example.com");
    assert_eq!(
        (&writer["earnings"], &writer["payable"]),
        (&json!("3.92"), &json!("3.92"))
    );

    // The payee reads their own statement, with a share per song; not someone else's.
    let mine = statements(&client, &producer, "2026-10").await;
    assert_eq!(mine.len(), 1);
    let id = mine[0]["id"].as_str().expect("id");
    let detail = client
        .expect(
            StatusCode::OK,
            Method::GET,
            &format!("/royalties/statements/{id}"),
            None,
            Some(&producer),
        )
        .await;
    assert_eq!(
        detail["data"]["shares"],
        json!([{"songId": song1, "title": "Track 1", "isrc": isrc1, "songNet": "19.62", "shareBps": 3000, "amount": "5.89"}])
    );
    client
        .expect(
            StatusCode::NOT_FOUND,
            Method::GET,
            &format!(
                "/royalties/statements/{}",
                label["id"].as_str().expect("id")
            ),
            None,
            Some(&producer),
        )
        .await;

    // Each payee gets one email with their CSV attached, the same bytes the API serves.
    wait_emailed(&client, &c.admin, "2026-10", 3).await;
    let mail = stack.smtp.wait_for(3, WAIT).await;
    let mut to: Vec<&str> = mail.iter().map(|m| m.to[0].as_str()).collect();
    to.sort_unstable();
    assert_eq!(
        to,
        [
            "label@example.com",
            "producer@example.com",
            "writer@example.com"
        ]
    );
    let producer_mail = mail
        .iter()
        .find(|m| m.to[0] == "producer@example.com")
        .expect("mail");
    let message = mail_parser::MessageParser::default()
        .parse(&producer_mail.data)
        .expect("parse");
    assert!(
        message
            .subject()
            .is_some_and(|s| s.contains("0.89 USD payable")),
        "{:?}",
        message.subject()
    );
    let attachment = message
        .attachments()
        .find(|a| a.attachment_name() == Some("royalty-statement-2026-10.csv"))
        .expect("csv attachment");
    let served = csv(&client, &producer, id).await;
    assert_eq!(attachment.contents(), served.as_bytes());
    // The PDF beside it: the same bytes as served, every figure as the JSON has it.
    let pdf = message
        .attachments()
        .find(|a| a.attachment_name() == Some("royalty-statement-2026-10.pdf"))
        .expect("pdf attachment");
    let served_pdf = download_pdf(
        &client,
        &producer,
        &format!("/royalties/statements/{id}.pdf"),
    )
    .await;
    assert_eq!(pdf.contents(), served_pdf.as_slice());
    assert_eq!(
        served_pdf,
        download_pdf(
            &client,
            &c.admin,
            &format!("/royalties/statements/{id}.pdf")
        )
        .await,
        "the same statement gave other bytes"
    );
    let text = pdf_text(&served_pdf);
    for (label, field) in [
        ("Opening balance", "openingBalance"),
        ("Gross", "gross"),
        ("Fees", "fee"),
        ("Earnings", "earnings"),
        ("Advances", "advances"),
        ("Advances recouped", "advancesRecouped"),
        ("Closing balance", "closingBalance"),
        ("Payable", "payable"),
    ] {
        let value = producer_statement[field].as_str().expect(field);
        assert!(
            has_line(&text, label, value),
            "no `{label} {value}` in:\n{text}"
        );
    }
    for expected in [
        "Period",
        "2026-10",
        "producer@example.com",
        "Earnings by month",
    ] {
        assert!(text.contains(expected), "no {expected} in:\n{text}");
    }
    // Track 1's Spotify US line (1000 units), the producer's 30%: 3.00 gross, 0.30 fee, 2.70 earned.
    assert!(
        text.lines().any(|l| {
            let cells: Vec<&str> = l.split_whitespace().collect();
            cells == ["Spotify", "US", "1000", "3.00", "0.30", "2.70"]
        }),
        "{text}"
    );
    let (width, height, pixels) = pdf_first_page(&served_pdf);
    assert_eq!((width, height), (595, 842));
    // Ink on the page: text and the charts' bars (blue is mid-grey in grey).
    let dark = pixels.iter().filter(|p| **p < 128).count();
    let bars = pixels.iter().filter(|p| (60..160).contains(*p)).count();
    assert!(dark > 2_000 && bars > 500, "dark {dark}, bars {bars}");
    let rows: Vec<&str> = served.lines().collect();
    assert_eq!(
        rows[0],
        "period,song_id,isrc,title,platform,territory,units,gross,fee,net,share_bps,amount,currency"
    );
    assert_eq!(rows.len(), 4, "{served}");
    assert!(
        rows.contains(&format!("2026-10,{song1},{isrc1},Track 1,Spotify,DE,500,5.5000000000,0.5500000000,4.9500000000,3000,1.4850000000,USD").as_str()),
        "{served}"
    );

    // One run per period; a rerun after the splits changed still pays as the first run did
    // (the splits were frozen), gives the same bytes, and emails nobody again.
    client
        .expect(
            StatusCode::CONFLICT,
            Method::POST,
            "/royalties/runs",
            Some(json!({"period": "2026-10"})),
            Some(&c.admin),
        )
        .await;
    client
        .expect(
            StatusCode::OK,
            Method::PUT,
            &format!("/songs/{song1}/splits"),
            Some(json!({"splits": [{"payeeEmail": "writer@example.com", "shareBps": 10000}]})),
            Some(&c.label),
        )
        .await;
    let second = run(&client, &c.admin, "2026-10", true).await;
    assert_eq!(second["status"], "succeeded", "{second}");
    assert_eq!(second["supersedes"], first["id"]);
    assert_eq!(second["result"]["earnings"], "23.34");
    let rerun_list = statements(&client, &c.admin, "2026-10").await;
    assert_eq!(rerun_list.len(), 3);
    // The rerun's statements need approval again: until then the payee has none standing.
    assert!(rerun_list.iter().all(|s| s["status"] == "draft"));
    assert!(statements(&client, &producer, "2026-10").await.is_empty());
    assert_eq!(approve(&client, &c.admin, &second).await["drafts"], 0);
    let superseded = client
        .expect(
            StatusCode::CONFLICT,
            Method::POST,
            &format!(
                "/royalties/runs/{}/approval",
                first["id"].as_str().expect("id")
            ),
            None,
            Some(&c.admin),
        )
        .await;
    assert!(
        superseded["message"]
            .as_str()
            .expect("message")
            .contains("superseded"),
        "{superseded}"
    );
    for email in [
        "label@example.com",
        "producer@example.com",
        "writer@example.com",
    ] {
        let (before, after) = (by_email(&list, email), by_email(&rerun_list, email));
        assert_ne!(before["id"], after["id"]);
        assert_eq!(
            csv(&client, &c.admin, before["id"].as_str().expect("id")).await,
            csv(&client, &c.admin, after["id"].as_str().expect("id")).await
        );
        assert_eq!(before["payable"], after["payable"]);
    }
    wait_emailed(&client, &c.admin, "2026-10", 3).await;
    assert_eq!(
        stack.smtp.received().len(),
        3,
        "a rerun that changed nothing emailed again"
    );
    // The superseded statement is still readable, marked as such.
    let old = client
        .expect(
            StatusCode::OK,
            Method::GET,
            &format!("/royalties/statements/{id}"),
            None,
            Some(&producer),
        )
        .await;
    assert_eq!(old["data"]["statement"]["current"], false);

    // The writer signs up with the address and finds their statement.
    let (_, writer_token) = client.user("writer", Some("writer@example.com")).await;
    assert_eq!(statements(&client, &writer_token, "2026-10").await.len(), 1);

    // November has EUR usage and no rate: the run fails naming it, and writes nothing.
    let november = format!(
        "transaction_id,isrc,upc,territory,use_type,units,net_revenue,currency\n\
         N1,{isrc1},,FR,stream,10,1.00,EUR\n"
    );
    import(
        &client,
        &c.admin,
        &c.platform,
        "2026-11",
        "csv",
        november.as_bytes(),
    )
    .await;
    let failed = run(&client, &c.admin, "2026-11", false).await;
    assert_eq!(failed["status"], "failed", "{failed}");
    let error = failed["error"].as_str().expect("error");
    assert!(
        error.contains("EUR") && error.contains("/royalties/fx/2026-11"),
        "{error}"
    );
    assert!(statements(&client, &c.admin, "2026-11").await.is_empty());
    // An earlier period cannot be rerun once a later one stands.
    client
        .expect(
            StatusCode::OK,
            Method::PUT,
            "/royalties/fx/2026-11",
            Some(json!({"rates": {"EUR": "1.05"}})),
            Some(&c.admin),
        )
        .await;
    let november_run = run(&client, &c.admin, "2026-11", false).await;
    assert_eq!(november_run["status"], "succeeded", "{november_run}");
    approve(&client, &c.admin, &november_run).await;
    // The writer now has all of track 1 (splits changed before November ran): 1.05 - 10%.
    let writer_november = statements(&client, &writer_token, "2026-11").await;
    assert_eq!(writer_november[0]["earnings"], "0.95");
    let refused = client
        .expect(
            StatusCode::CONFLICT,
            Method::POST,
            "/royalties/runs?rerun=true",
            Some(json!({"period": "2026-10"})),
            Some(&c.admin),
        )
        .await;
    assert!(
        refused["message"]
            .as_str()
            .expect("message")
            .contains("2026-11"),
        "{refused}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_run_killed_midway_leaves_nothing_and_reruns_whole() {
    let stack = Stack::new(|_| {}).await;
    let client = stack.api().await.0;
    let mut worker = stack.spawn_worker();
    let c = catalog(&stack, &client).await;
    let ((_, isrc1), (_, isrc2)) = (&c.release.tracks[0], &c.release.tracks[1]);
    let lines = 300_000;
    let mut report =
        String::from("transaction_id,isrc,upc,territory,use_type,units,net_revenue,currency\n");
    for n in 0..lines {
        let isrc = if n % 3 == 0 { isrc2 } else { isrc1 };
        let territory = ["US", "GB", "DE", "FR", "JP"][n % 5];
        report.push_str(&format!("t{n},{isrc},,{territory},stream,1,0.001,USD\n"));
    }
    import(
        &client,
        &c.admin,
        &c.platform,
        "2026-10",
        "csv",
        report.as_bytes(),
    )
    .await;

    let body = client
        .expect(
            StatusCode::ACCEPTED,
            Method::POST,
            "/royalties/runs",
            Some(json!({"period": "2026-10"})),
            Some(&c.admin),
        )
        .await;
    let run_path = format!(
        "/royalties/runs/{}",
        body["data"]["runId"].as_str().expect("runId")
    );
    let job = body["data"]["jobId"].as_str().expect("jobId").to_owned();
    let status = |client: Client, admin: String, path: String| async move {
        client
            .expect(StatusCode::OK, Method::GET, &path, None, Some(&admin))
            .await["data"]["run"]["status"]
            .as_str()
            .expect("status")
            .to_owned()
    };
    let started = Instant::now();
    while status(client.clone(), c.admin.clone(), run_path.clone()).await != "running" {
        assert!(started.elapsed() < WAIT, "the run never started");
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    worker.signal("-KILL");
    worker.wait_exit(WAIT);
    assert_eq!(
        status(client.clone(), c.admin.clone(), run_path.clone()).await,
        "running",
        "the kill came too late to test anything"
    );
    assert!(statements(&client, &c.admin, "2026-10").await.is_empty());

    let _worker = stack.spawn_worker();
    let done = client.wait_job(&c.admin, &job, WAIT).await;
    assert_eq!(done["status"], "succeeded", "{done}");
    assert_eq!(
        status(client.clone(), c.admin.clone(), run_path).await,
        "succeeded"
    );
    // 300 USD less Spotify's default 15% fee, all the label's.
    let list = statements(&client, &c.admin, "2026-10").await;
    assert_eq!(list.len(), 1, "{list:#?}");
    assert_eq!(
        (&list[0]["gross"], &list[0]["earnings"]),
        (&json!("300.00"), &json!("255.00"))
    );
}

/// A song title that a spreadsheet would run as a formula reaches the payee's CSV (served and
/// emailed) as text, while a refund's negative amounts stay numbers.
#[tokio::test(flavor = "multi_thread")]
async fn a_formula_title_reaches_the_statement_csv_as_text_and_a_refund_stays_negative() {
    let stack = Stack::new(|_| {}).await;
    let client = stack.api().await.0;
    let _worker = stack.spawn_worker();
    let c = catalog(&stack, &client).await;
    let (song1, isrc1) = &c.release.tracks[0];
    let formula = r#"=HYPERLINK("https://attacker.example/","open")"#;
    client
        .expect(
            StatusCode::OK,
            Method::PATCH,
            &format!("/songs/{song1}"),
            Some(json!({"title": formula})),
            Some(&c.label),
        )
        .await;
    let report = format!(
        "transaction_id,isrc,upc,territory,use_type,units,net_revenue,currency\n\
         T1,{isrc1},,US,stream,100,2.00,USD\n\
         T2,{isrc1},,DE,stream,0,-1.50,USD\n"
    );
    let imported = import(
        &client,
        &c.admin,
        &c.platform,
        "2026-10",
        "csv",
        report.as_bytes(),
    )
    .await;
    assert_eq!(imported["status"], "imported", "{imported}");
    let first = run(&client, &c.admin, "2026-10", false).await;
    assert_eq!(first["result"]["statements"], 1, "{first}");
    approve(&client, &c.admin, &first).await;
    wait_emailed(&client, &c.admin, "2026-10", 1).await;

    let mine = statements(&client, &c.label, "2026-10").await;
    let served = csv(&client, &c.label, mine[0]["id"].as_str().expect("id")).await;
    let mail = stack.smtp.wait_for(1, WAIT).await;
    let message = mail_parser::MessageParser::default()
        .parse(&mail[0].data)
        .expect("parse");
    let attachment = message
        .attachments()
        .find(|a| a.attachment_name() == Some("royalty-statement-2026-10.csv"))
        .expect("csv attachment");
    assert_eq!(attachment.contents(), served.as_bytes());

    let rows: Vec<csv::StringRecord> = csv::Reader::from_reader(served.as_bytes())
        .records()
        .map(|r| r.expect("row"))
        .collect();
    assert_eq!(rows.len(), 2, "{served}");
    let territory = |t: &str| {
        rows.iter()
            .find(|r| &r[5] == t)
            .unwrap_or_else(|| panic!("no {t} line: {served}"))
    };
    let (us, de) = (territory("US"), territory("DE"));
    assert_eq!(&us[3], format!("'{formula}"), "{served}");
    assert_eq!(&de[3], format!("'{formula}"), "{served}");
    // Spotify keeps 15%: the refund's -1.50 is -1.275 net, written as the number it is.
    assert_eq!(
        (&de[7], &de[8], &de[9], &de[11]),
        (
            "-1.5000000000",
            "-0.2250000000",
            "-1.2750000000",
            "-1.2750000000"
        ),
        "{served}"
    );
    assert_eq!(&us[11], "1.7000000000", "{served}");
    assert!(
        !rows
            .iter()
            .flat_map(|r| r.iter())
            .any(|cell| cell.starts_with(['=', '+', '@', '\t', '\r'])),
        "a cell a spreadsheet would evaluate: {served}"
    );
}

/// Approved balances are paid once, in a payout that exports a payment file; a balance under
/// the payee's threshold is carried into their next statement; a period with a payment standing
/// cannot be rerun until an admin records the payments' reversal.
#[tokio::test(flavor = "multi_thread")]
async fn approved_balances_are_paid_once_and_a_paid_period_is_locked() {
    let stack = Stack::new(|_| {}).await;
    let client = stack.api().await.0;
    let _worker = stack.spawn_worker();
    let c = catalog(&stack, &client).await;
    let (producer_id, producer) = client.user("producer", Some("producer@example.com")).await;
    let label_id = client
        .expect(
            StatusCode::OK,
            Method::GET,
            "/users/me",
            None,
            Some(&c.label),
        )
        .await["data"]["user"]["id"]
        .clone();
    let (song1, isrc1) = &c.release.tracks[0];
    client
        .expect(
            StatusCode::OK,
            Method::PUT,
            &format!("/songs/{song1}/splits"),
            Some(json!({"splits": [
                {"payeeUserId": label_id, "shareBps": 5000},
                {"payeeUserId": producer_id, "shareBps": 5000},
            ]})),
            Some(&c.label),
        )
        .await;
    // The producer is paid from 5.00 on; a negative or malformed threshold is refused.
    for bad in [
        json!({"amount": "-1"}),
        json!({"amount": "five"}),
        json!({"amount": 5}),
    ] {
        let refused = client
            .expect(
                StatusCode::BAD_REQUEST,
                Method::PUT,
                &format!("/payees/{producer_id}/payout-threshold"),
                Some(bad),
                Some(&c.admin),
            )
            .await;
        assert_eq!(refused["details"][0]["field"], "amount", "{refused}");
    }
    let set = client
        .expect(
            StatusCode::OK,
            Method::PUT,
            &format!("/payees/{producer_id}/payout-threshold"),
            Some(json!({"amount": "5.00"})),
            Some(&c.admin),
        )
        .await;
    assert_eq!(set["data"]["payee"]["payoutThreshold"], "5", "{set}");
    // 10.00 a month, less Spotify's 15%: 8.50, 4.25 each.
    let month = |id: &str| {
        format!(
            "transaction_id,isrc,upc,territory,use_type,units,net_revenue,currency\n\
             {id},{isrc1},,US,stream,1000,10.00,USD\n"
        )
    };
    import(
        &client,
        &c.admin,
        &c.platform,
        "2026-10",
        "csv",
        month("O1").as_bytes(),
    )
    .await;
    let october = run(&client, &c.admin, "2026-10", false).await;
    assert_eq!(october["status"], "succeeded", "{october}");
    // Drafts are not payable.
    post_payout(&client, &c.admin, StatusCode::CONFLICT).await;
    approve(&client, &c.admin, &october).await;
    post_payout(&client, &producer, StatusCode::FORBIDDEN).await;
    let payout = post_payout(&client, &c.admin, StatusCode::CREATED).await;
    let batch = &payout["data"]["payout"];
    let payout_id = batch["id"].as_str().expect("id").to_owned();
    assert_eq!(
        (&batch["status"], &batch["total"], &batch["paymentCount"]),
        (&json!("open"), &json!("4.25"), &json!(1)),
        "{payout}"
    );
    let payment = &payout["data"]["payments"][0];
    assert_eq!(payment["email"], "label@example.com");
    let reference = payment["reference"].as_str().expect("reference").to_owned();
    assert!(reference.starts_with("RY202610-"), "{reference}");
    let file = download(
        &client,
        &c.admin,
        &format!("/royalties/payouts/{payout_id}.csv"),
    )
    .await;
    assert_eq!(
        file,
        format!(
            "payee,email,amount,currency,reference\n{},label@example.com,4.25,USD,{reference}\n",
            payment["payeeId"].as_str().expect("payee")
        )
    );
    // Taken once: a second payout finds nothing.
    post_payout(&client, &c.admin, StatusCode::CONFLICT).await;
    // While the money is on its way, and once it is paid, the period cannot be rerun.
    let rerun = |expected| {
        let client = client.clone();
        let admin = c.admin.clone();
        async move {
            client
                .expect(
                    expected,
                    Method::POST,
                    "/royalties/runs?rerun=true",
                    Some(json!({"period": "2026-10"})),
                    Some(&admin),
                )
                .await
        }
    };
    rerun(StatusCode::CONFLICT).await;
    let paid_path = format!("/royalties/payouts/{payout_id}/paid");
    let paid = client
        .expect(
            StatusCode::OK,
            Method::POST,
            &paid_path,
            None,
            Some(&c.admin),
        )
        .await;
    assert_eq!(paid["data"]["payout"]["status"], "paid", "{paid}");
    client
        .expect(
            StatusCode::CONFLICT,
            Method::POST,
            &paid_path,
            None,
            Some(&c.admin),
        )
        .await;
    let locked = rerun(StatusCode::CONFLICT).await;
    assert!(
        locked["message"]
            .as_str()
            .expect("message")
            .contains("/royalties/periods/2026-10/reversal"),
        "{locked}"
    );

    // A reversal needs a reason, unlocks the period, and its rerun's statement is paid again.
    let reversal_path = "/royalties/periods/2026-10/reversal";
    let blank = client
        .expect(
            StatusCode::BAD_REQUEST,
            Method::POST,
            reversal_path,
            Some(json!({"reason": "  "})),
            Some(&c.admin),
        )
        .await;
    assert_eq!(blank["details"][0]["field"], "reason", "{blank}");
    let reversed = client
        .expect(
            StatusCode::OK,
            Method::POST,
            reversal_path,
            Some(json!({"reason": "returned by the bank"})),
            Some(&c.admin),
        )
        .await;
    assert_eq!(
        reversed["data"]["reversal"]["reversed"][0]["reference"],
        reference.as_str()
    );
    client
        .expect(
            StatusCode::CONFLICT,
            Method::POST,
            reversal_path,
            Some(json!({"reason": "again"})),
            Some(&c.admin),
        )
        .await;
    let body = rerun(StatusCode::ACCEPTED).await;
    client
        .wait_job(&c.admin, body["data"]["jobId"].as_str().expect("job"), WAIT)
        .await;
    let october = client
        .expect(
            StatusCode::OK,
            Method::GET,
            &format!(
                "/royalties/runs/{}",
                body["data"]["runId"].as_str().expect("run")
            ),
            None,
            Some(&c.admin),
        )
        .await["data"]["run"]
        .clone();
    assert_eq!(october["status"], "succeeded", "{october}");
    approve(&client, &c.admin, &october).await;
    let again = post_payout(&client, &c.admin, StatusCode::CREATED).await;
    assert_eq!(again["data"]["payout"]["total"], "4.25", "{again}");
    let again_id = again["data"]["payout"]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    client
        .expect(
            StatusCode::OK,
            Method::POST,
            &format!("/royalties/payouts/{again_id}/paid"),
            None,
            Some(&c.admin),
        )
        .await;

    // November: the producer's unpaid 4.25 opens their statement and, with 4.25 more, reaches
    // the threshold; the label's paid October does not come back.
    import(
        &client,
        &c.admin,
        &c.platform,
        "2026-11",
        "csv",
        month("N1").as_bytes(),
    )
    .await;
    let november = run(&client, &c.admin, "2026-11", false).await;
    approve(&client, &c.admin, &november).await;
    let list = statements(&client, &c.admin, "2026-11").await;
    let producer_november = by_email(&list, "producer@example.com");
    assert_eq!(
        (
            &producer_november["openingBalance"],
            &producer_november["payable"]
        ),
        (&json!("4.25"), &json!("8.50")),
        "{producer_november}"
    );
    let label_november = by_email(&list, "label@example.com");
    assert_eq!(
        (
            &label_november["openingBalance"],
            &label_november["payable"]
        ),
        (&json!("0.00"), &json!("4.25")),
        "{label_november}"
    );
    let november_payout = post_payout(&client, &c.admin, StatusCode::CREATED).await;
    let mut amounts: Vec<(String, String)> = november_payout["data"]["payments"]
        .as_array()
        .expect("payments")
        .iter()
        .map(|p| {
            (
                p["email"].as_str().unwrap_or("").to_owned(),
                p["amount"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    amounts.sort();
    assert_eq!(
        amounts,
        [
            ("label@example.com".to_owned(), "4.25".to_owned()),
            ("producer@example.com".to_owned(), "8.50".to_owned())
        ]
    );

    // October's payment comes back after November was written (November took it as paid): the
    // label is owed it again, and December's statement opens with it.
    client
        .expect(
            StatusCode::OK,
            Method::POST,
            reversal_path,
            Some(json!({"reason": "the label's account was closed"})),
            Some(&c.admin),
        )
        .await;
    import(
        &client,
        &c.admin,
        &c.platform,
        "2026-12",
        "csv",
        month("D1").as_bytes(),
    )
    .await;
    let december = run(&client, &c.admin, "2026-12", false).await;
    approve(&client, &c.admin, &december).await;
    let list = statements(&client, &c.admin, "2026-12").await;
    let label_december = by_email(&list, "label@example.com");
    assert_eq!(
        (
            &label_december["openingBalance"],
            &label_december["payable"]
        ),
        (&json!("4.25"), &json!("8.50")),
        "{label_december}"
    );
    // The producer's November 8.50 is in the open payout: not counted again.
    assert_eq!(
        by_email(&list, "producer@example.com")["openingBalance"],
        "0.00"
    );

    // The audit log says who approved and who paid.
    let audit = client
        .expect(
            StatusCode::OK,
            Method::GET,
            "/admin/audit?action=royalty_run.approve",
            None,
            Some(&c.admin),
        )
        .await;
    assert_eq!(
        audit["data"]["events"].as_array().map(Vec::len),
        Some(4),
        "{audit}"
    );
}

/// What the statement's JSON lists of its advances: `(note, albumIds, opening, advanced,
/// recouped, closing)`.
fn ledger(detail: &Value) -> Vec<(String, Value, String, String, String, String)> {
    detail["data"]["advances"]
        .as_array()
        .expect("advances")
        .iter()
        .map(|a| {
            let s = |f: &str| a[f].as_str().unwrap_or_default().to_owned();
            (
                s("note"),
                a["albumIds"].clone(),
                s("opening"),
                s("advanced"),
                s("recouped"),
                s("closing"),
            )
        })
        .collect()
}

/// A label's period from start to close, through HTTP and a real worker: advances on a release
/// and on everything, a run whose statements are drafts, approval, one email per payee with a CSV
/// and a PDF agreeing with the JSON to the cent, a payout exported and marked paid, the period
/// locked, and the next period recouping what is still owed from the right release only.
#[tokio::test(flavor = "multi_thread")]
async fn a_period_closes_from_run_to_paid_with_advances_recouped_per_release() {
    let stack = Stack::new(|_| {}).await;
    let client = stack.api().await.0;
    let _worker = stack.spawn_worker();
    let c = catalog(&stack, &client).await;
    let single = client.ready_release(&c.label, 2, 1).await;
    let (producer_id, producer) = client.user("producer", Some("producer@example.com")).await;
    let label_id = client
        .expect(
            StatusCode::OK,
            Method::GET,
            "/users/me",
            None,
            Some(&c.label),
        )
        .await["data"]["user"]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let album_isrc = &c.release.tracks[0].1;
    let (single_song, single_isrc) = &single.tracks[0];
    // The album is all the label's; the single is shared with the producer.
    client
        .expect(
            StatusCode::OK,
            Method::PUT,
            &format!("/songs/{single_song}/splits"),
            Some(json!({"splits": [
                {"payeeUserId": label_id, "shareBps": 5000},
                {"payeeUserId": producer_id, "shareBps": 5000},
            ]})),
            Some(&c.label),
        )
        .await;

    // The label's 300.00 album advance and 10.00 signing advance; the producer's 5.00 on the
    // album, which pays them nothing.
    let advance = |user: &str, body: Value, expected: StatusCode| {
        let (client, admin) = (client.clone(), c.admin.clone());
        let path = format!("/payees/{user}/advances");
        async move {
            client
                .expect(expected, Method::POST, &path, Some(body), Some(&admin))
                .await
        }
    };
    let album = c.release.album_id.clone();
    let recorded = advance(
        &label_id,
        json!({"amount": "300.00", "currency": "USD", "note": "Album advance",
               "period": "2026-10", "albumIds": [album]}),
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(
        recorded["data"]["advance"]["albumIds"],
        json!([album]),
        "{recorded}"
    );
    let signing = advance(
        &label_id,
        json!({"amount": "10.00", "currency": "USD", "note": "Signing advance", "period": "2026-10"}),
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(signing["data"]["advance"]["albumIds"], json!([]));
    advance(
        &producer_id,
        json!({"amount": "5.00", "currency": "USD", "note": "Studio time", "period": "2026-10",
               "albumIds": [album]}),
        StatusCode::CREATED,
    )
    .await;
    // Releases named twice, none, or unknown are refused, the field named.
    for (body, expected) in [
        (json!([album, album]), StatusCode::BAD_REQUEST),
        (json!([]), StatusCode::BAD_REQUEST),
        (json!("alb-x"), StatusCode::BAD_REQUEST),
        (json!(["alb-nosuchrelease"]), StatusCode::NOT_FOUND),
    ] {
        let refused = advance(
            &label_id,
            json!({"amount": "1.00", "currency": "USD", "albumIds": body}),
            expected,
        )
        .await;
        if expected == StatusCode::BAD_REQUEST {
            assert_eq!(refused["details"][0]["field"], "albumIds", "{refused}");
        }
    }

    // October: 100.00 on the album and 100.00 on the single, less Spotify's 15%.
    let usage = |id: &str| {
        format!(
            "transaction_id,isrc,upc,territory,use_type,units,net_revenue,currency\n\
             {id}A,{album_isrc},,US,stream,1000,100.00,USD\n\
             {id}S,{single_isrc},,US,stream,1000,100.00,USD\n"
        )
    };
    import(
        &client,
        &c.admin,
        &c.platform,
        "2026-10",
        "csv",
        usage("O").as_bytes(),
    )
    .await;
    let october = run(&client, &c.admin, "2026-10", false).await;
    assert_eq!(october["status"], "succeeded", "{october}");

    // Drafts: payees see nothing and nobody is emailed.
    let drafts = statements(&client, &c.admin, "2026-10").await;
    assert_eq!(drafts.len(), 2, "{drafts:#?}");
    assert!(drafts.iter().all(|s| s["status"] == "draft"), "{drafts:#?}");
    for token in [&c.label, &producer] {
        assert!(statements(&client, token, "2026-10").await.is_empty());
    }
    let label_draft = by_email(&drafts, "label@example.com")["id"]
        .as_str()
        .expect("id")
        .to_owned();
    client
        .expect(
            StatusCode::NOT_FOUND,
            Method::GET,
            &format!("/royalties/statements/{label_draft}.pdf"),
            None,
            Some(&c.label),
        )
        .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(stack.smtp.received().is_empty(), "a draft was emailed");

    approve(&client, &c.admin, &october).await;
    wait_emailed(&client, &c.admin, "2026-10", 2).await;
    let list = statements(&client, &c.admin, "2026-10").await;
    // The label earned 85.00 on the album and 42.50 on the single. The album advance recoups
    // from the album only (85.00, 215.00 still owed), the signing advance from what is left
    // (10.00 of the single's 42.50), and 32.50 is payable although 215.00 is still owed.
    let label = by_email(&list, "label@example.com");
    let figures = |s: &Value| {
        [
            "openingBalance",
            "earnings",
            "advances",
            "advancesRecouped",
            "closingBalance",
            "payable",
        ]
        .map(|f| s[f].as_str().expect(f).to_owned())
    };
    assert_eq!(
        figures(label),
        ["0.00", "127.50", "310.00", "95.00", "-215.00", "32.50"],
        "{label}"
    );
    // The producer's album advance is owed still: the single's 42.50 is theirs.
    let producer_statement = by_email(&list, "producer@example.com");
    assert_eq!(
        figures(producer_statement),
        ["0.00", "42.50", "5.00", "0.00", "-5.00", "42.50"],
        "{producer_statement}"
    );
    let detail = |token: &str, id: &str| {
        let (client, token, path) = (
            client.clone(),
            token.to_owned(),
            format!("/royalties/statements/{id}"),
        );
        async move {
            client
                .expect(StatusCode::OK, Method::GET, &path, None, Some(&token))
                .await
        }
    };
    let label_id_statement = label["id"].as_str().expect("id").to_owned();
    let label_detail = detail(&c.label, &label_id_statement).await;
    let s = |v: &str| v.to_owned();
    assert_eq!(
        ledger(&label_detail),
        [
            (
                s("Album advance"),
                json!([album]),
                s("0.00"),
                s("300.00"),
                s("85.00"),
                s("215.00")
            ),
            (
                s("Signing advance"),
                json!([]),
                s("0.00"),
                s("10.00"),
                s("10.00"),
                s("0.00")
            ),
        ]
    );

    assert_eq!(
        label_detail["data"]["advances"][0]["albumNames"],
        json!(["Night & Day 1"]),
        "{label_detail}"
    );

    // One email each, its CSV and PDF the bytes the API serves, the PDF's figures the JSON's.
    let mail = stack.smtp.wait_for(2, WAIT).await;
    assert_eq!(mail.len(), 2);
    for (email, token, statement) in [
        ("label@example.com", &c.label, label),
        ("producer@example.com", &producer, producer_statement),
    ] {
        let received: Vec<_> = mail.iter().filter(|m| m.to[0] == email).collect();
        assert_eq!(received.len(), 1, "{email}");
        let message = mail_parser::MessageParser::default()
            .parse(&received[0].data)
            .expect("parse");
        let id = statement["id"].as_str().expect("id");
        let attached = |name: &str| {
            message
                .attachments()
                .find(|a| a.attachment_name() == Some(name))
                .unwrap_or_else(|| panic!("no {name} for {email}"))
                .contents()
                .to_vec()
        };
        assert_eq!(
            attached("royalty-statement-2026-10.csv"),
            csv(&client, token, id).await.into_bytes()
        );
        let pdf = download_pdf(&client, token, &format!("/royalties/statements/{id}.pdf")).await;
        assert_eq!(attached("royalty-statement-2026-10.pdf"), pdf);
        let text = pdf_text(&pdf);
        for (label, field) in [
            ("Opening balance", "openingBalance"),
            ("Earnings", "earnings"),
            ("Advances", "advances"),
            ("Advances recouped", "advancesRecouped"),
            ("Closing balance", "closingBalance"),
            ("Payable", "payable"),
        ] {
            let value = statement[field].as_str().expect(field);
            assert!(
                has_line(&text, label, value),
                "no `{label} {value}` in:\n{text}"
            );
        }
        // Every advance of the JSON, as a row: opening, advanced, recouped, closing.
        for (note, _, opening, advanced, recouped, closing) in ledger(&detail(token, id).await) {
            let row = [opening, advanced, recouped, closing];
            assert!(
                text.lines().any(|l| {
                    let cells: Vec<&str> = l.split_whitespace().collect();
                    l.trim_start().starts_with(&note)
                        && cells.ends_with(&row.each_ref().map(String::as_str))
                }),
                "no advance row `{note} ... {row:?}` in:\n{text}"
            );
        }
    }

    // A payout pays both, exported as the payment file; marked paid, the period is locked.
    let payout = post_payout(&client, &c.admin, StatusCode::CREATED).await;
    let payout_id = payout["data"]["payout"]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    assert_eq!(payout["data"]["payout"]["total"], "75.00", "{payout}");
    let file = download(
        &client,
        &c.admin,
        &format!("/royalties/payouts/{payout_id}.csv"),
    )
    .await;
    let mut rows: Vec<&str> = file.lines().collect();
    assert_eq!(rows.remove(0), "payee,email,amount,currency,reference");
    let mut paid: Vec<(String, String)> = rows
        .iter()
        .map(|r| {
            let cells: Vec<&str> = r.split(',').collect();
            assert!(cells[4].starts_with("RY202610-"), "{r}");
            (cells[1].to_owned(), format!("{} {}", cells[2], cells[3]))
        })
        .collect();
    paid.sort();
    assert_eq!(
        paid,
        [
            (s("label@example.com"), s("32.50 USD")),
            (s("producer@example.com"), s("42.50 USD"))
        ]
    );
    let marked = client
        .expect(
            StatusCode::OK,
            Method::POST,
            &format!("/royalties/payouts/{payout_id}/paid"),
            None,
            Some(&c.admin),
        )
        .await;
    assert_eq!(marked["data"]["payout"]["status"], "paid", "{marked}");
    let locked = client
        .expect(
            StatusCode::CONFLICT,
            Method::POST,
            "/royalties/runs?rerun=true",
            Some(json!({"period": "2026-10"})),
            Some(&c.admin),
        )
        .await;
    assert_eq!(locked["code"], "CONFLICT", "{locked}");

    // November: only the single earns. The album advance recoups nothing from it; the signing
    // advance is recouped and gone from the statement.
    let november_usage = format!(
        "transaction_id,isrc,upc,territory,use_type,units,net_revenue,currency\n\
         NS,{single_isrc},,US,stream,1000,100.00,USD\n"
    );
    import(
        &client,
        &c.admin,
        &c.platform,
        "2026-11",
        "csv",
        november_usage.as_bytes(),
    )
    .await;
    let november = run(&client, &c.admin, "2026-11", false).await;
    approve(&client, &c.admin, &november).await;
    let list = statements(&client, &c.admin, "2026-11").await;
    let label = by_email(&list, "label@example.com");
    assert_eq!(
        figures(label),
        ["-215.00", "42.50", "0.00", "0.00", "-215.00", "42.50"],
        "{label}"
    );
    let november_detail = detail(&c.label, label["id"].as_str().expect("id")).await;
    assert_eq!(
        ledger(&november_detail),
        [(
            s("Album advance"),
            json!([album]),
            s("215.00"),
            s("0.00"),
            s("0.00"),
            s("215.00")
        )]
    );

    // An advance recorded after November went out: the rerun gives the producer the same CSV
    // but other balances, so they get the new statement; the label's is unchanged, so not.
    wait_emailed(&client, &c.admin, "2026-11", 2).await;
    let before = stack.smtp.wait_for(4, WAIT).await.len();
    advance(
        &producer_id,
        json!({"amount": "2.00", "currency": "USD", "note": "Travel", "period": "2026-11"}),
        StatusCode::CREATED,
    )
    .await;
    let rerun = run(&client, &c.admin, "2026-11", true).await;
    approve(&client, &c.admin, &rerun).await;
    wait_emailed(&client, &c.admin, "2026-11", 2).await;
    let mail = stack.smtp.wait_for(before + 1, WAIT).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mail_now = stack.smtp.received();
    assert_eq!(
        mail_now.len(),
        before + 1,
        "{:?}",
        mail_now.iter().map(|m| &m.to).collect::<Vec<_>>()
    );
    assert_eq!(mail[before].to, ["producer@example.com"]);
}
