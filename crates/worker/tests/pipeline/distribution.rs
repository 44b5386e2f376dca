//! Releases delivered to platforms by real worker processes: the packages in the drop folders,
//! their DDEX messages validated against the official schema and read back.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use backbeat_testkit::ddex::{assert_valid, texts};
use backbeat_testkit::http::{Client, Release};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::helpers::*;

pub(crate) const WAIT: Duration = Duration::from_secs(60);

/// Polls the release's distributions until `done` says they are where the test wants them.
pub(crate) async fn wait_distributions(
    client: &Client,
    token: &str,
    album: &str,
    done: impl Fn(&[Value]) -> bool,
) -> Vec<Value> {
    let started = Instant::now();
    loop {
        let body = client
            .expect(
                StatusCode::OK,
                Method::GET,
                &format!("/albums/{album}/distributions"),
                None,
                Some(token),
            )
            .await;
        let list = body["data"]["distributions"]
            .as_array()
            .expect("list")
            .clone();
        if done(&list) {
            return list;
        }
        assert!(
            started.elapsed() < WAIT,
            "distributions never got there: {list:#?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// `GET /distributions/{id}`: the distribution, with its status, error and history.
pub(crate) async fn fetch_distribution(client: &Client, token: &str, id: &str) -> Value {
    client
        .expect(
            StatusCode::OK,
            Method::GET,
            &format!("/distributions/{id}"),
            None,
            Some(token),
        )
        .await["data"]["distribution"]
        .clone()
}

/// `POST /distributions/{id}/retry`, then waits for the delivery job: the answer and the job.
pub(crate) async fn retry_distribution(client: &Client, token: &str, id: &str) -> (Value, Value) {
    let retried = client
        .expect(
            StatusCode::ACCEPTED,
            Method::POST,
            &format!("/distributions/{id}/retry"),
            None,
            Some(token),
        )
        .await;
    let job = client
        .wait_job(token, retried["data"]["jobId"].as_str().expect("job"), WAIT)
        .await;
    (retried, job)
}

pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Every file of a package, by relative path.
pub(crate) fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(current) = stack.pop() {
        for entry in std::fs::read_dir(&current).expect("dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let relative = path
                    .strip_prefix(dir)
                    .expect("inside")
                    .to_string_lossy()
                    .into_owned();
                out.insert(relative, std::fs::read(&path).expect("read"));
            }
        }
    }
    out
}

/// Checks a package: its files, its manifest, its message; returns the message.
pub(crate) fn check_package(
    dir: &Path,
    release: &Release,
    party_id: &str,
    message_id: &str,
) -> Vec<u8> {
    let files = files(dir);
    let xml_name = format!("{}.xml", release.upc);
    let expected: Vec<String> = vec![
        xml_name.clone(),
        "manifest.sha256".to_owned(),
        format!("resources/{}.wav", release.tracks[0].1),
        format!("resources/{}.flac", release.tracks[1].1),
        format!("resources/{}.jpg", release.upc),
    ];
    let mut expected_sorted = expected.clone();
    expected_sorted.sort();
    assert_eq!(
        files.keys().cloned().collect::<Vec<_>>(),
        expected_sorted,
        "{}",
        dir.display()
    );
    // `sha256sum -c` would pass: every line matches its file.
    let manifest = String::from_utf8(files["manifest.sha256"].clone()).expect("utf-8");
    let lines: Vec<&str> = manifest.lines().collect();
    assert_eq!(lines.len(), 4, "{manifest}");
    for line in lines {
        let (hash, path) = line.split_once("  ").expect("sha256sum format");
        assert_eq!(hash, sha256_hex(&files[path]), "{path}");
    }
    let xml = files[&xml_name].clone();
    assert_valid(&xml);
    assert_eq!(texts(&xml, "MessageId"), [message_id]);
    assert_eq!(texts(&xml, "PartyId")[1], party_id);
    assert_eq!(texts(&xml, "ICPN"), [release.upc.as_str()]);
    let isrcs: Vec<String> = release
        .tracks
        .iter()
        .map(|(_, isrc)| isrc.clone())
        .collect();
    assert_eq!(texts(&xml, "ISRC"), isrcs);
    assert_eq!(texts(&xml, "ReleaseType"), ["Single"]);
    assert_eq!(
        texts(&xml, "ParentalWarningType"),
        ["NotExplicit", "Explicit", "Explicit"]
    );
    assert_eq!(texts(&xml, "AudioCodecType"), ["PCM", "FLAC"]);
    assert_eq!(texts(&xml, "Duration"), ["PT1S", "PT1S", "PT2S"]);
    let parties = texts(&xml, "FullName");
    for name in ["Nadia Rose", "Ana Writer", "Max Knobs", "Backbeat Records"] {
        assert!(
            parties.iter().any(|p| p == name),
            "{name} missing from {parties:?}"
        );
    }
    xml
}

#[tokio::test(flavor = "multi_thread")]
async fn a_release_goes_from_creation_to_four_platforms_and_is_taken_down_from_one() {
    let stack = Stack::new(|s| {
        s.scheduler.poll_interval_ms = 100;
        s.scheduler.due_distributions_secs = 1;
    })
    .await;
    let api = stack.api().await;
    let _worker = stack.spawn_worker();
    let client = &api.0;
    let (_, token) = client.user("label", Some("label@example.com")).await;

    let release = client.ready_release(&token, 1, 2).await;
    let readiness = client
        .expect(
            StatusCode::OK,
            Method::GET,
            &format!("/albums/{}/readiness", release.album_id),
            None,
            Some(&token),
        )
        .await;
    assert_eq!(readiness["data"]["ready"], true);
    let platforms: BTreeMap<String, Value> = client
        .expect(
            StatusCode::OK,
            Method::GET,
            "/platforms",
            None,
            Some(&token),
        )
        .await["data"]["platforms"]
        .as_array()
        .expect("platforms")
        .iter()
        .map(|p| (p["code"].as_str().expect("code").to_owned(), p.clone()))
        .collect();
    let id = |code: &str| platforms[code]["id"].as_str().expect("id").to_owned();
    let path = format!("/albums/{}/distributions", release.album_id);

    // Three now.
    let started = client
        .expect(
            StatusCode::ACCEPTED,
            Method::POST,
            &path,
            Some(json!({"platformIds": [id("spotify"), id("apple_music"), id("deezer")]})),
            Some(&token),
        )
        .await;
    for started in started["data"]["distributions"]
        .as_array()
        .expect("distributions")
    {
        let job = client
            .wait_job(&token, started["jobId"].as_str().expect("job"), WAIT)
            .await;
        assert_eq!(job["status"], "succeeded", "{job}");
        assert_eq!(job["kind"], "distribution_delivery");
        assert_eq!(job["result"]["alreadyDelivered"], false);
    }
    // A fourth when its release time comes, with every worker's scheduler looking.
    let release_at = (chrono::Utc::now() + chrono::TimeDelta::seconds(2)).to_rfc3339();
    let scheduled = client
        .expect(
            StatusCode::ACCEPTED,
            Method::POST,
            &path,
            Some(json!({"platformIds": [id("tidal")], "releaseAt": release_at})),
            Some(&token),
        )
        .await;
    assert_eq!(scheduled["data"]["distributions"][0]["status"], "scheduled");
    let list = wait_distributions(client, &token, &release.album_id, |list| {
        list.len() == 4 && list.iter().all(|d| d["status"] == "delivered")
    })
    .await;
    let tidal = list
        .iter()
        .find(|d| d["platformId"] == id("tidal").as_str())
        .expect("tidal");
    let history: Vec<&str> = tidal["history"]
        .as_array()
        .expect("history")
        .iter()
        .map(|h| h["status"].as_str().expect("status"))
        .collect();
    assert_eq!(history, ["scheduled", "queued", "delivering", "delivered"]);
    assert!(
        tidal["deliveredAt"]
            .as_str()
            .is_some_and(|t| t >= release_at.as_str()),
        "{tidal}"
    );

    // Taken down from Spotify.
    let spotify = list
        .iter()
        .find(|d| d["platformId"] == id("spotify").as_str())
        .expect("spotify");
    let spotify_id = spotify["id"].as_str().expect("id").to_owned();
    assert_eq!(spotify["messageId"], format!("{spotify_id}.1").as_str());
    let (status, body, headers) = client
        .call(
            Method::DELETE,
            &format!("/distributions/{spotify_id}"),
            None,
            Some(&token),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let job = body["data"]["jobId"].as_str().expect("job").to_owned();
    assert_eq!(headers["location"], format!("/jobs/{job}").as_str());
    // Asking again gives the same takedown.
    let again = client
        .expect(
            StatusCode::ACCEPTED,
            Method::DELETE,
            &format!("/distributions/{spotify_id}"),
            None,
            Some(&token),
        )
        .await;
    assert_eq!(again["data"]["jobId"], job.as_str());
    assert_eq!(
        client.wait_job(&token, &job, WAIT).await["status"],
        "succeeded"
    );
    let spotify_now = fetch_distribution(client, &token, &spotify_id).await;
    assert_eq!(spotify_now["status"], "taken_down");

    // Exactly the expected packages, each whole, its message valid and right.
    let mut expected_folders = 0;
    for (code, platform) in &platforms {
        let packages = stack.packages(code);
        let delivered = list.iter().find(|d| d["platformId"] == platform["id"]);
        let Some(distribution) = delivered else {
            assert!(packages.is_empty(), "{code} got {packages:?}");
            continue;
        };
        expected_folders += 1;
        let dist = distribution["id"].as_str().expect("id");
        let party = platform["partyId"].as_str().expect("partyId");
        let mut expected = vec![format!("{}_{dist}.1", release.upc)];
        if code == "spotify" {
            expected.push(format!("{}_{dist}.2", release.upc));
        }
        assert_eq!(packages, expected, "{code}");
        let delivery = check_package(
            &stack.drop_folder(code).join(&expected[0]),
            &release,
            party,
            &format!("{dist}.1"),
        );
        assert!(texts(&delivery, "EndDateTime").is_empty());
        if code == "spotify" {
            let takedown = check_package(
                &stack.drop_folder(code).join(&expected[1]),
                &release,
                party,
                &format!("{dist}.2"),
            );
            assert_eq!(texts(&takedown, "EndDateTime").len(), 2, "every deal ends");
            assert_eq!(
                texts(&takedown, "StartDateTime"),
                texts(&delivery, "StartDateTime")
            );
        }
    }
    assert_eq!(expected_folders, 4);

    // What is live cannot be distributed twice or deleted; what was taken down can go again.
    let (status, _, _) = client
        .call(
            Method::POST,
            &path,
            Some(json!({"platformIds": [id("deezer")]})),
            Some(&token),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (status, _, _) = client
        .call(
            Method::DELETE,
            &format!("/albums/{}", release.album_id),
            None,
            Some(&token),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (status, _, _) = client
        .call(
            Method::POST,
            &path,
            Some(json!({"platformIds": [id("spotify")]})),
            Some(&token),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_delivery_that_keeps_failing_is_failed_and_can_be_retried() {
    let stack = Stack::new(|_| {}).await;
    let api = stack.api().await;
    let _worker = stack.spawn_worker();
    let client = &api.0;
    let (_, token) = client.user("label", None).await;
    let release = client.ready_release(&token, 2, 2).await;
    // The drop folder cannot be created: a file has its name.
    std::fs::create_dir_all(&stack.settings.distribution.delivery_root).expect("root");
    let blocker = stack.drop_folder("deezer");
    std::fs::write(&blocker, b"in the way").expect("blocker");

    let started = client
        .expect(
            StatusCode::ACCEPTED,
            Method::POST,
            &format!("/albums/{}/distributions", release.album_id),
            Some(json!({"platformIds": [client.platform(&token, "deezer").await]})),
            Some(&token),
        )
        .await;
    let distribution = started["data"]["distributions"][0]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let job = client
        .wait_job(
            &token,
            started["data"]["distributions"][0]["jobId"]
                .as_str()
                .expect("job"),
            WAIT,
        )
        .await;
    assert_eq!(job["status"], "dead", "{job}");
    assert_eq!(job["attempts"], stack.settings.jobs.max_attempts);
    let failed = &fetch_distribution(client, &token, &distribution).await;
    assert_eq!(failed["status"], "failed");
    assert!(
        failed["error"]
            .as_str()
            .is_some_and(|e| e.contains("cannot write the package")),
        "{failed}"
    );
    let history: Vec<&str> = failed["history"]
        .as_array()
        .expect("history")
        .iter()
        .map(|h| h["status"].as_str().expect("status"))
        .collect();
    assert_eq!(history.first(), Some(&"queued"));
    assert_eq!(history.last(), Some(&"failed"));
    assert!(history.iter().filter(|s| **s == "delivering").count() >= 1);

    std::fs::remove_file(&blocker).expect("clear the way");
    let (retried, job) = retry_distribution(client, &token, &distribution).await;
    assert_eq!(retried["data"]["distribution"]["status"], "queued");
    assert!(retried["data"]["distribution"]["error"].is_null());
    assert_eq!(job["status"], "succeeded", "{job}");
    assert_eq!(
        stack.packages("deezer"),
        [format!("{}_{distribution}.1", release.upc)]
    );
    let (status, _, _) = client
        .call(
            Method::POST,
            &format!("/distributions/{distribution}/retry"),
            None,
            Some(&token),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
}
