//! DDEX's ECHO batch choreography end to end, with a stand-in platform on each side: a release
//! delivered in batches to a platform's SFTP server and to another's drop folder; the platforms
//! check each batch as they would and answer (ingested, rejected with a reason, a malformed
//! file, a repeat); the worker collects the answers on its schedule; the owner sees both
//! statuses and receives the rejection, once; an admin lists the refusals. Then the release
//! changes: its title goes to both platforms as an update (the next message number), a change
//! no platform sees sends nothing, a change that makes it not ready is held back with why; and an
//! admin sends it as a test to a platform in onboarding, apart from its live distributions.

use std::time::{Duration, Instant};

use backbeat_testkit::ddex::{assert_valid, texts};
use backbeat_testkit::http::Client;
use backbeat_testkit::platform::{Answer, Batch, StandIn};
use backbeat_testkit::sftp::SftpServer;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::distribution::WAIT;
use crate::helpers::*;
use crate::sftp::{FOLDER, sftp_platform};

async fn distributions(client: &Client, token: &str, album: &str) -> Vec<Value> {
    client
        .expect(
            StatusCode::OK,
            Method::GET,
            &format!("/albums/{album}/distributions"),
            None,
            Some(token),
        )
        .await["data"]["distributions"]
        .as_array()
        .expect("distributions")
        .clone()
}

/// Waits until every distribution of the album has a platform status.
async fn answered(client: &Client, token: &str, album: &str) -> Vec<Value> {
    let started = Instant::now();
    loop {
        let list = distributions(client, token, album).await;
        if list.iter().all(|d| !d["platformStatus"].is_null()) {
            return list;
        }
        assert!(
            started.elapsed() < WAIT,
            "no acknowledgement applied: {list:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn acknowledgement_files(client: &Client, admin: &str, query: &str) -> Vec<Value> {
    client
        .expect(
            StatusCode::OK,
            Method::GET,
            &format!("/admin/acknowledgements?{query}"),
            None,
            Some(admin),
        )
        .await["data"]["files"]
        .as_array()
        .expect("files")
        .clone()
}

/// Waits for the next complete batch at the platform.
async fn next_batch(stand_in: &mut StandIn) -> Batch {
    let started = Instant::now();
    loop {
        let mut taken = stand_in.take_batches();
        if let Some(batch) = taken.pop() {
            assert!(taken.is_empty(), "one batch at a time: {taken:?}");
            return batch;
        }
        assert!(started.elapsed() < WAIT, "no batch arrived");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Waits until every update job queued so far has finished; returns their results.
async fn updates_done(stack: &Stack) -> Vec<Value> {
    use backbeat_db::schema::jobs;
    use diesel::prelude::*;
    use diesel_async::RunQueryDsl;
    let mut conn = stack.db.connect().await;
    let started = Instant::now();
    loop {
        let rows: Vec<(String, Option<Value>)> = jobs::table
            .filter(jobs::kind.eq("distribution_update"))
            .order((jobs::created_at, jobs::id))
            .select((jobs::status, jobs::result))
            .load(&mut conn)
            .await
            .expect("jobs");
        if rows.iter().all(|(status, _)| status == "succeeded") {
            return rows.into_iter().filter_map(|(_, result)| result).collect();
        }
        assert!(started.elapsed() < WAIT, "update jobs: {rows:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn notes(distribution: &Value) -> Vec<String> {
    distribution["history"]
        .as_array()
        .expect("history")
        .iter()
        .filter_map(|e| e["note"].as_str().map(str::to_owned))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn batches_reach_two_platforms_and_their_acknowledgements_come_back() {
    let server = SftpServer::start();
    let key = server.client_key.display().to_string();
    let stack = Stack::new(|s| {
        s.distribution.sftp_key_path = key;
        s.scheduler.acknowledgements_secs = 1;
    })
    .await;
    let api = stack.api().await;
    let client = &api.0;
    let (_, admin) = api.admin(&mut stack.db.connect().await, "boss").await;
    let sftp = sftp_platform(
        client,
        &admin,
        &server,
        &server.host_key.clone(),
        json!({"deliveryProfile": "batch", "batchMaxReleases": 10}),
    )
    .await;
    assert_eq!(sftp["platform"]["delivery"]["profile"], "batch");
    assert_eq!(
        sftp["platform"]["delivery"]["settings"]["acknowledgementFolder"],
        "acknowledgements"
    );
    let folder = client
        .expect(
            StatusCode::CREATED,
            Method::POST,
            "/platforms",
            Some(json!({
                "code": "folder_dsp",
                "name": "Folder DSP",
                "partyId": "PADPIDA2014120301F",
                "deliveryProfile": "batch",
            })),
            Some(&admin),
        )
        .await["data"]
        .clone();
    let sftp_id = sftp["platformId"].as_str().expect("id").to_owned();
    let folder_id = folder["platformId"].as_str().expect("id").to_owned();
    let _worker = stack.spawn_worker();
    let (owner, token) = client.user("label", Some("label@example.com")).await;
    let _ = owner;
    let release = client.ready_release(&token, 1, 2).await;

    let started = client
        .expect(
            StatusCode::ACCEPTED,
            Method::POST,
            &format!("/albums/{}/distributions", release.album_id),
            Some(json!({"platformIds": [sftp_id, folder_id]})),
            Some(&token),
        )
        .await;
    for d in started["data"]["distributions"].as_array().expect("list") {
        let job = client
            .wait_job(&token, d["jobId"].as_str().expect("job"), WAIT)
            .await;
        assert_eq!(job["status"], "succeeded", "{job}");
    }

    // Each platform finds one complete batch holding the release, checked whole.
    let mut at_sftp = StandIn::new(server.home().join(FOLDER));
    let mut at_folder = StandIn::new(stack.drop_folder("folder_dsp"));
    let sftp_batches = at_sftp.take_batches();
    let folder_batches = at_folder.take_batches();
    assert_eq!((sftp_batches.len(), folder_batches.len()), (1, 1));
    for batch in sftp_batches.iter().chain(&folder_batches) {
        assert_eq!(batch.messages.len(), 1, "{batch:?}");
        assert_eq!(batch.messages[0].icpn, release.upc);
        assert!(!batch.test);
        assert_eq!(batch.id.len(), 17, "YYYYMMDDhhmmssnnn: {}", batch.id);
        let package = batch.messages[0].package.file_name().expect("name");
        assert!(
            package
                .to_string_lossy()
                .starts_with(&format!("{}_", release.upc)),
            "{package:?}"
        );
    }

    // A malformed file first, then the real answers; the SFTP platform then repeats its own.
    at_sftp.write(
        "ACK_broken.xml",
        b"<ErnAcknowledgementStatusMessage><MessageHeader>",
    );
    at_sftp.answer(&sftp_batches[0], |_| Answer::Ingested);
    at_folder.answer(&folder_batches[0], |_| Answer::Rejected {
        code: "Rejected".to_owned(),
        text: "The artwork is below 3000 x 3000 pixels".to_owned(),
    });
    let list = answered(client, &token, &release.album_id).await;
    let of = |platform: &str| {
        list.iter()
            .find(|d| d["platformId"] == platform)
            .expect("distribution")
            .clone()
    };
    let (ingested, rejected) = (of(&sftp_id), of(&folder_id));
    assert_eq!(ingested["status"], "delivered");
    assert_eq!(
        ingested["platformStatus"]["status"], "ingested",
        "{ingested}"
    );
    assert_eq!(
        ingested["platformStatus"]["file"],
        format!("ACK_{}.xml", sftp_batches[0].id)
    );
    assert_eq!(rejected["status"], "delivered", "backbeat's status stays");
    assert_eq!(
        rejected["platformStatus"]["status"], "rejected",
        "{rejected}"
    );
    assert_eq!(rejected["platformStatus"]["errorCode"], "Rejected");
    assert_eq!(
        rejected["platformStatus"]["error"],
        "The artwork is below 3000 x 3000 pixels"
    );
    let last = rejected["history"]
        .as_array()
        .expect("history")
        .last()
        .expect("entry")
        .clone();
    assert_eq!(last["platformStatus"], "rejected", "{last}");
    assert_eq!(last["status"], "delivered");
    assert_eq!(last["file"], format!("ACK_{}.xml", folder_batches[0].id));

    // The rejection reaches the owner once, even when the platform says it again.
    let ack = std::fs::read(
        at_sftp
            .acknowledgements()
            .join("processed")
            .join(format!("ACK_{}.xml", sftp_batches[0].id)),
    )
    .expect("the applied file is archived");
    at_sftp.write("ACK_again.xml", &ack);
    let mail = stack.smtp.wait_for(1, WAIT).await;
    let text = String::from_utf8_lossy(&mail[0].data).into_owned();
    assert_eq!(mail[0].to, ["label@example.com"]);
    assert!(text.contains("Folder DSP rejected"), "{text}");
    assert!(
        text.contains("The artwork is below 3000 x 3000 pixels"),
        "{text}"
    );

    // Refusals are kept, with why, for admins only.
    let started = Instant::now();
    let refused = loop {
        let refused = acknowledgement_files(client, &admin, "outcome=refused").await;
        if refused.len() == 2 {
            break refused;
        }
        assert!(started.elapsed() < WAIT, "{refused:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let codes: Vec<&str> = refused
        .iter()
        .map(|f| f["code"].as_str().expect("code"))
        .collect();
    assert!(
        codes.contains(&"MALFORMED") && codes.contains(&"DUPLICATE"),
        "{codes:?}"
    );
    let broken = refused
        .iter()
        .find(|f| f["code"] == "MALFORMED")
        .expect("malformed");
    assert_eq!(broken["name"], "ACK_broken.xml");
    assert_eq!(
        broken["content"],
        "<ErnAcknowledgementStatusMessage><MessageHeader>"
    );
    assert!(
        broken["reason"]
            .as_str()
            .expect("reason")
            .contains("ends inside")
    );
    let applied = acknowledgement_files(client, &admin, "outcome=applied").await;
    assert_eq!(applied.len(), 2, "{applied:?}");
    let (status, body, _) = client
        .call(Method::GET, "/admin/acknowledgements", None, Some(&token))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    for bad in ["lost", ""] {
        let (status, body, _) = client
            .call(
                Method::GET,
                &format!("/admin/acknowledgements?outcome={bad}"),
                None,
                Some(&admin),
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad:?}: {body}");
        assert_eq!(body["details"][0]["field"], "outcome", "{body}");
    }

    // Every file the platforms wrote was read and moved aside, none lost.
    for stand_in in [&at_sftp, &at_folder] {
        let left: Vec<_> = std::fs::read_dir(stand_in.acknowledgements())
            .expect("folder")
            .map(|e| e.expect("entry").file_name())
            .filter(|n| n != "processed")
            .collect();
        assert!(left.is_empty(), "{left:?}");
    }
    assert_eq!(
        std::fs::read_dir(at_sftp.acknowledgements().join("processed"))
            .expect("processed")
            .count(),
        3
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(
        stack.smtp.received().len(),
        1,
        "the rejection is emailed once"
    );

    // The title changes: an update (same release, the next message number) reaches both.
    client
        .expect(
            StatusCode::OK,
            Method::PATCH,
            &format!("/albums/{}", release.album_id),
            Some(json!({"name": "Second Light (Remastered)"})),
            Some(&token),
        )
        .await;
    for (stand_in, platform) in [(&mut at_sftp, &sftp_id), (&mut at_folder, &folder_id)] {
        let batch = next_batch(stand_in).await;
        assert_eq!(batch.messages.len(), 1, "{batch:?}");
        let message = &batch.messages[0];
        let distribution = list
            .iter()
            .find(|d| &d["platformId"] == platform)
            .expect("distribution");
        let id = distribution["id"].as_str().expect("id");
        assert_eq!(message.message_id, format!("{id}.3"));
        assert_eq!(message.delivery_type, "ReDelivery");
        assert_eq!(message.icpn, release.upc, "the same release");
        assert!(
            message
                .package
                .to_string_lossy()
                .ends_with(&format!("{}_{id}.3", release.upc)),
            "{:?}",
            message.package
        );
        assert_valid(&message.xml);
        assert!(
            texts(&message.xml, "TitleText").contains(&"Second Light (Remastered)".to_owned()),
            "{:?}",
            texts(&message.xml, "TitleText")
        );
        assert_eq!(texts(&message.xml, "MessageControlType"), ["LiveMessage"]);
    }
    updates_done(&stack).await;
    let list = distributions(client, &token, &release.album_id).await;
    for d in &list {
        assert!(
            notes(d).iter().any(|n| n.starts_with(&format!(
                "update {}.3 sent to",
                d["id"].as_str().expect("id")
            ))),
            "{d}"
        );
    }

    // The artist is renamed: every release that credits it goes again, numbered on.
    client
        .expect(
            StatusCode::OK,
            Method::PATCH,
            &format!("/artists/{}", release.artist_id),
            Some(json!({"name": "The Renamed"})),
            Some(&token),
        )
        .await;
    for stand_in in [&mut at_sftp, &mut at_folder] {
        let batch = next_batch(stand_in).await;
        let message = &batch.messages[0];
        assert!(message.message_id.ends_with(".4"), "{}", message.message_id);
        assert_eq!(message.delivery_type, "ReDelivery");
        assert!(
            texts(&message.xml, "FullName").contains(&"The Renamed".to_owned()),
            "{:?}",
            texts(&message.xml, "FullName")
        );
    }

    // The same title again, and a field no message carries: nothing is sent.
    for change in [
        json!({"name": "Second Light (Remastered)"}),
        json!({"year": 2031}),
    ] {
        client
            .expect(
                StatusCode::OK,
                Method::PATCH,
                &format!("/albums/{}", release.album_id),
                Some(change),
                Some(&token),
            )
            .await;
    }
    let results = updates_done(&stack).await;
    assert_eq!(results.len(), 4, "{results:?}");
    assert!(
        results[2..]
            .iter()
            .all(|r| r["unchanged"] == 2 && r["sent"] == json!([])),
        "{results:?}"
    );
    assert!(at_sftp.take_batches().is_empty() && at_folder.take_batches().is_empty());

    // A test delivery to a platform in onboarding: marked as a test, apart from the live ones.
    let onboarding = client
        .expect(
            StatusCode::CREATED,
            Method::POST,
            "/platforms",
            Some(json!({
                "code": "new_dsp",
                "name": "New DSP",
                "partyId": "PADPIDA2026120701N",
                "deliveryProfile": "batch",
                "onboarding": true,
            })),
            Some(&admin),
        )
        .await["data"]
        .clone();
    assert_eq!(onboarding["platform"]["onboarding"], true);
    let onboarding_id = onboarding["platformId"].as_str().expect("id").to_owned();
    let test_path = format!("/platforms/{onboarding_id}/test-deliveries");
    let body = json!({"albumId": release.album_id});
    let (status, refused, _) = client
        .call(
            Method::POST,
            &format!("/platforms/{sftp_id}/test-deliveries"),
            Some(body.clone()),
            Some(&admin),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "a live platform: {refused}");
    let (status, refused, _) = client
        .call(Method::POST, &test_path, Some(body.clone()), Some(&token))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "admins only: {refused}");
    let sent = client
        .expect(
            StatusCode::ACCEPTED,
            Method::POST,
            &test_path,
            Some(body),
            Some(&admin),
        )
        .await;
    let job = client
        .wait_job(
            &admin,
            sent["data"]["distribution"]["jobId"].as_str().expect("job"),
            WAIT,
        )
        .await;
    assert_eq!(job["status"], "succeeded", "{job}");
    let mut at_onboarding = StandIn::new(stack.drop_folder("new_dsp"));
    let batch = next_batch(&mut at_onboarding).await;
    assert!(batch.test, "IsTestFlag");
    assert_eq!(batch.messages.len(), 1);
    assert_valid(&batch.messages[0].xml);
    assert_eq!(
        texts(&batch.messages[0].xml, "MessageControlType"),
        ["TestMessage"]
    );
    at_onboarding.answer(&batch, |_| Answer::Rejected {
        code: "Rejected".to_owned(),
        text: "Unknown label".to_owned(),
    });
    let started = Instant::now();
    let tests = loop {
        let tests = client
            .expect(StatusCode::OK, Method::GET, &test_path, None, Some(&admin))
            .await["data"]["distributions"]
            .as_array()
            .expect("tests")
            .clone();
        if tests.iter().all(|t| !t["platformStatus"].is_null()) {
            break tests;
        }
        assert!(started.elapsed() < WAIT, "{tests:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(tests.len(), 1);
    assert_eq!(tests[0]["status"], "delivered");
    assert_eq!(tests[0]["platformStatus"]["error"], "Unknown label");
    let live = distributions(client, &token, &release.album_id).await;
    assert_eq!(
        live.len(),
        2,
        "the test is not among the release's distributions"
    );
    assert!(
        live.iter()
            .all(|d| d["platformId"] != onboarding_id.as_str())
    );

    // A change that makes the release not ready is not sent; its history says why.
    client
        .expect(
            StatusCode::OK,
            Method::PATCH,
            &format!("/albums/{}", release.album_id),
            Some(json!({"genre": null})),
            Some(&token),
        )
        .await;
    updates_done(&stack).await;
    for d in distributions(client, &token, &release.album_id).await {
        assert!(
            notes(&d).last().is_some_and(|n| n
                .starts_with("update not sent: the release is not ready")
                && n.contains("genre")),
            "{d}"
        );
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(at_sftp.take_batches().is_empty() && at_folder.take_batches().is_empty());
    assert_eq!(
        stack.smtp.received().len(),
        1,
        "a test delivery's rejection emails nobody"
    );
}
