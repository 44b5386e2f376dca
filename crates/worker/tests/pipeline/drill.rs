//! The object-store drill: three Garage nodes keeping every object three times, a bulk
//! distribution of 200 releases to 4 platforms, and one node killed (SIGKILL) halfway. Every
//! package arrives once, nothing is lost, the job succeeds.

use std::collections::BTreeSet;
use std::time::Duration;

use backbeat_testkit::ddex::assert_valid;
use backbeat_testkit::garage::Garage;
use serde_json::json;

use crate::bulk::{progress, start_bulk, wait_until_done};
use crate::helpers::*;

const RELEASES: usize = 200;
const PLATFORMS: usize = 4;

#[tokio::test(flavor = "multi_thread")]
async fn a_bulk_distribution_survives_a_store_node_killed_halfway() {
    let mut garage = Garage::cluster(3);
    let spool = tempfile::tempdir().expect("spool");
    // The processes speak to node 0 (in production, a load balancer over every node).
    let stack = Stack::new(|s| {
        garage.apply(s, spool.path());
        // Every package reads its files from the cluster, after the kill too.
        s.storage.s3.cache_bytes = 0;
        s.distribution.fsync = false;
    })
    .await;
    let api = stack.api().await;
    let client = &api.0;
    let (owner, token) = client.user("label", Some("label@example.com")).await;
    let albums = backbeat_testkit::releases::seed(
        &mut stack.db.connect().await,
        &*stack.storage(),
        &owner,
        "drill",
        RELEASES,
        0,
        20_000,
    )
    .await;
    let platforms: Vec<(String, String)> = client
        .platforms(&token)
        .await
        .into_iter()
        .take(PLATFORMS)
        .collect();
    let platform_ids: Vec<&str> = platforms.iter().map(|(_, id)| id.as_str()).collect();
    let _workers = stack.spawn_workers(2);
    let job = start_bulk(
        client,
        &token,
        json!({"albumIds": albums, "platformIds": platform_ids}),
    )
    .await;

    let total = (RELEASES * PLATFORMS) as i64;
    wait_until_done(client, &token, &job, total, total / 2).await;
    garage.kill(2);
    let done_at_kill = progress(client, &token, &job).await["done"]
        .as_i64()
        .expect("done");
    assert!(
        done_at_kill < total,
        "the kill came too late to test anything"
    );

    let finished = client
        .wait_job(&token, &job, Duration::from_secs(300))
        .await;
    assert_eq!(finished["status"], "succeeded", "{finished}");
    assert_eq!(finished["result"]["delivered"], total, "{finished}");
    assert_eq!(finished["result"]["failed"], 0, "{finished}");
    for (code, _) in &platforms {
        let packages = stack.packages(code);
        assert_eq!(packages.len(), RELEASES, "{code}");
        let upcs: BTreeSet<&str> = packages
            .iter()
            .map(|p| p.split('_').next().expect("upc"))
            .collect();
        assert_eq!(
            upcs.len(),
            RELEASES,
            "{code}: a release was delivered twice"
        );
        let sample = stack.drop_folder(code).join(&packages[RELEASES - 1]);
        let upc = packages[RELEASES - 1].split('_').next().expect("upc");
        assert_valid(&std::fs::read(sample.join(format!("{upc}.xml"))).expect("message"));
        let master = std::fs::read_dir(sample.join("resources"))
            .expect("resources")
            .flatten()
            .find(|e| e.file_name().to_string_lossy().ends_with(".wav"))
            .expect("a master");
        assert_eq!(
            std::fs::read(master.path()).expect("master"),
            backbeat_testkit::fixtures::cd_wav(1),
            "{code}: the master arrived whole"
        );
    }
    let mail = stack.smtp.wait_for(1, Duration::from_secs(30)).await;
    assert_eq!(mail[0].to, ["label@example.com"]);
}
