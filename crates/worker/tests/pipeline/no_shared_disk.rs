//! An API and a worker that share no disk, as on two machines: each has its own storage folder,
//! spool and working directory, and every file goes through the S3-compatible store (a real
//! Garage). The whole path: masters and artwork uploaded, readiness, delivery to a drop folder and
//! over SFTP, a usage report imported, a royalty run and its statement CSV, a playlist export.

use backbeat_testkit::garage::Garage;
use backbeat_testkit::sftp::SftpServer;
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::distribution::{WAIT, check_package};
use crate::helpers::*;
use crate::sftp::{FOLDER, distribute, sftp_platform};
use crate::usage::import;

#[tokio::test(flavor = "multi_thread")]
async fn an_api_and_a_worker_that_share_no_disk_run_the_whole_path_through_s3() {
    let garage = Garage::start();
    let sftp = SftpServer::start();
    let (api_disk, worker_disk) = (
        tempfile::tempdir().expect("api"),
        tempfile::tempdir().expect("worker"),
    );
    let stack = Stack::new(|s| {
        garage.apply(s, &api_disk.path().join("spool"));
        s.storage.root = api_disk.path().join("storage").display().to_string();
        s.distribution.sftp_key_path = sftp.client_key.display().to_string();
    })
    .await;
    let api = stack.api().await;
    let mut elsewhere = stack.settings.clone();
    garage.apply(&mut elsewhere, &worker_disk.path().join("spool"));
    elsewhere.storage.root = worker_disk.path().join("storage").display().to_string();
    let _worker = stack.spawn_worker_with(&elsewhere, worker_disk.path());

    let (_, admin) = api.admin(&mut stack.db.connect().await, "boss").await;
    let (_, label) = api.user("label", Some("label@example.com")).await;
    let release = api.ready_release(&label, 1, 2).await;
    let readiness = api
        .expect(
            StatusCode::OK,
            Method::GET,
            &format!("/albums/{}/readiness", release.album_id),
            None,
            Some(&label),
        )
        .await;
    assert_eq!(readiness["data"]["ready"], true, "{readiness}");

    // To a drop folder the worker writes, from masters it reads from the store.
    let spotify = api.platform(&admin, "spotify").await;
    let (distribution, job) = distribute(&api, &label, &release.album_id, &spotify).await;
    assert_eq!(job["status"], "succeeded", "{job}");
    let package = format!("{}_{distribution}.1", release.upc);
    let party = api
        .expect(
            StatusCode::OK,
            Method::GET,
            "/platforms",
            None,
            Some(&admin),
        )
        .await["data"]["platforms"]
        .as_array()
        .expect("platforms")
        .iter()
        .find(|p| p["id"] == spotify.as_str())
        .expect("spotify")["partyId"]
        .as_str()
        .expect("party")
        .to_owned();
    check_package(
        &stack.drop_folder("spotify").join(&package),
        &release,
        &party,
        &format!("{distribution}.1"),
    );

    // Over SFTP, streamed from the store.
    let platform = sftp_platform(&api, &admin, &sftp, &sftp.host_key, json!({})).await;
    let sftp_id = platform["platformId"].as_str().expect("id");
    let (distribution, job) = distribute(&api, &label, &release.album_id, sftp_id).await;
    assert_eq!(job["status"], "succeeded", "{job}");
    check_package(
        &sftp
            .home()
            .join(FOLDER)
            .join(format!("{}_{distribution}.1", release.upc)),
        &release,
        "PADPIDA2008090401N",
        &format!("{distribution}.1"),
    );

    // A usage report stored by the API, read by the worker; a run and its statement.
    let (_, isrc) = &release.tracks[0];
    let report = format!(
        "transaction_id,isrc,upc,territory,use_type,units,net_revenue,currency\n\
         T1,{isrc},,US,stream,1000,10.00,USD\n"
    );
    let imported = import(&api, &admin, &spotify, "2026-10", "csv", report.as_bytes()).await;
    assert_eq!(imported["status"], "imported", "{imported}");
    assert_eq!(imported["counts"]["matched"], 1, "{imported}");
    let run = api
        .expect(
            StatusCode::ACCEPTED,
            Method::POST,
            "/royalties/runs",
            Some(json!({"period": "2026-10"})),
            Some(&admin),
        )
        .await;
    let job = api
        .wait_job(&admin, run["data"]["jobId"].as_str().expect("job"), WAIT)
        .await;
    assert_eq!(job["status"], "succeeded", "{job}");
    api.expect(
        StatusCode::OK,
        Method::POST,
        &format!(
            "/royalties/runs/{}/approval",
            run["data"]["runId"].as_str().expect("run")
        ),
        None,
        Some(&admin),
    )
    .await;
    let mine = api
        .expect(
            StatusCode::OK,
            Method::GET,
            "/royalties/statements?period=2026-10",
            None,
            Some(&label),
        )
        .await;
    let statement = mine["data"]["statements"][0]["id"].as_str().expect("id");
    let csv = api
        .http
        .get(format!(
            "{}/royalties/statements/{statement}.csv",
            api.address
        ))
        .bearer_auth(&label)
        .send()
        .await
        .expect("csv")
        .text()
        .await
        .expect("text");
    assert!(csv.contains(&format!(",{isrc},")), "{csv}");

    // A playlist export, emailed by the worker.
    let (token, playlist, _) = api.listener_with_playlist("listener").await;
    let export = api.export(&token, &playlist, "listener@example.com").await;
    assert_eq!(
        api.wait_job(&token, &export, WAIT).await["status"],
        "succeeded"
    );
    assert!(
        stack
            .smtp
            .received()
            .iter()
            .any(|m| m.to == ["listener@example.com"])
    );

    // Neither process keeps a stored file on its own disk: the worker only its cache of the
    // objects it delivered (spool/objects, a copy it may drop at any time).
    let kept = backbeat_testkit::files_under(api_disk.path());
    assert!(kept.is_empty(), "the API's disk: {kept:?}");
    let cache = worker_disk.path().join("spool/objects");
    let kept: Vec<_> = backbeat_testkit::files_under(worker_disk.path())
        .into_iter()
        .filter(|f| !f.starts_with(&cache))
        .collect();
    assert!(kept.is_empty(), "the worker's disk: {kept:?}");
    assert!(
        !backbeat_testkit::files_under(&cache).is_empty(),
        "deliveries read through the cache"
    );
}
