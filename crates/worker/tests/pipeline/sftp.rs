//! Releases uploaded by real worker processes to a platform's SFTP server (a real OpenSSH sshd):
//! the package arrives whole, once, its message valid; a server showing another host key gets
//! nothing until an admin pins the right one.

use backbeat_config::Settings;
use backbeat_testkit::ddex::{assert_valid, texts};
use backbeat_testkit::http::Client;
use backbeat_testkit::sftp::SftpServer;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::bulk::start_bulk;
use crate::distribution::{WAIT, check_package, fetch_distribution, retry_distribution};
use crate::helpers::*;

/// Where the platform asks for its packages, under the login directory; made on first delivery.
pub(crate) const FOLDER: &str = "ddex/Incoming";

/// Adds a platform delivering to `server`'s `FOLDER`, pinned to `host_key`; `changes` replace
/// fields of that body.
pub(crate) async fn sftp_platform(
    client: &Client,
    admin: &str,
    server: &SftpServer,
    host_key: &str,
    changes: Value,
) -> Value {
    let mut body = json!({
        "code": "sftp_dsp",
        "name": "SFTP DSP",
        "partyId": "PADPIDA2008090401N",
        "deliveryMethod": "sftp",
        "deliveryFolder": FOLDER,
        "sftpHost": "127.0.0.1",
        "sftpPort": server.port,
        "sftpUsername": server.username,
        "sftpHostKey": host_key,
    });
    for (field, value) in changes.as_object().expect("an object") {
        body[field] = value.clone();
    }
    client
        .expect(
            StatusCode::CREATED,
            Method::POST,
            "/platforms",
            Some(body),
            Some(admin),
        )
        .await["data"]
        .clone()
}

pub(crate) async fn distribute(
    client: &Client,
    token: &str,
    album: &str,
    platform: &str,
) -> (String, Value) {
    let started = client
        .expect(
            StatusCode::ACCEPTED,
            Method::POST,
            &format!("/albums/{album}/distributions"),
            Some(json!({"platformIds": [platform]})),
            Some(token),
        )
        .await;
    let started = &started["data"]["distributions"][0];
    let job = client
        .wait_job(token, started["jobId"].as_str().expect("job"), WAIT)
        .await;
    (started["id"].as_str().expect("id").to_owned(), job)
}

/// The entries of a folder on the server, sorted.
fn entries(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|d| {
            d.map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

/// An SFTP server, a stack whose workers hold the key it accepts, and an admin's platform
/// delivering to it, pinned to the server's host key or to another one.
struct Setup {
    server: SftpServer,
    stack: Stack,
    api: Api,
    admin: String,
    platform: Value,
}

async fn setup(
    server: SftpServer,
    pin_another_key: bool,
    configure: impl FnOnce(&mut Settings),
) -> Setup {
    let key = server.client_key.display().to_string();
    let stack = Stack::new(|s| {
        s.distribution.sftp_key_path = key;
        configure(s);
    })
    .await;
    let api = stack.api().await;
    let (_, admin) = api.admin(&mut stack.db.connect().await, "boss").await;
    let pinned = if pin_another_key {
        server.another_host_key()
    } else {
        server.host_key.clone()
    };
    let platform = sftp_platform(&api, &admin, &server, &pinned, json!({})).await;
    Setup {
        server,
        stack,
        api,
        admin,
        platform,
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_release_is_uploaded_whole_and_once_and_taken_down_over_sftp() {
    let Setup {
        server,
        stack,
        api,
        platform,
        ..
    } = setup(SftpServer::start(), false, |_| {}).await;
    let _worker = stack.spawn_worker();
    let client = &api.0;
    let platform_id = platform["platformId"].as_str().expect("id");
    let party = platform["platform"]["partyId"].as_str().expect("party");
    let (_, token) = client.user("label", None).await;
    let release = client.ready_release(&token, 1, 2).await;
    let incoming = server.home().join(FOLDER);
    let partials = incoming.join(".partial");
    let (distribution, job) = distribute(client, &token, &release.album_id, platform_id).await;
    assert_eq!(job["status"], "succeeded", "{job}");
    assert_eq!(job["result"]["alreadyDelivered"], false);
    let package = format!("{}_{distribution}.1", release.upc);
    assert_eq!(entries(&incoming), [".partial".to_owned(), package.clone()]);
    assert!(entries(&partials).is_empty(), "{:?}", entries(&partials));
    let delivery = check_package(
        &incoming.join(&package),
        &release,
        party,
        &format!("{distribution}.1"),
    );
    assert!(texts(&delivery, "EndDateTime").is_empty());

    // Taken down: the message ending the deals is uploaded beside it. A takedown upload that a
    // killed worker left half-done is cleared first.
    let takedown = format!("{}_{distribution}.2", release.upc);
    let leftover = partials.join(format!("{takedown}.0000000000000001"));
    std::fs::create_dir_all(leftover.join("resources")).expect("leftover");
    std::fs::write(leftover.join("resources/half.wav"), b"RIFF").expect("leftover file");
    let (status, body, _) = client
        .call(
            Method::DELETE,
            &format!("/distributions/{distribution}"),
            None,
            Some(&token),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let job = client
        .wait_job(&token, body["data"]["jobId"].as_str().expect("job"), WAIT)
        .await;
    assert_eq!(job["status"], "succeeded", "{job}");
    assert!(entries(&partials).is_empty(), "{:?}", entries(&partials));
    assert_eq!(
        entries(&incoming),
        [".partial".to_owned(), package.clone(), takedown.clone()]
    );
    let takedown = check_package(
        &incoming.join(&takedown),
        &release,
        party,
        &format!("{distribution}.2"),
    );
    assert_eq!(texts(&takedown, "EndDateTime").len(), 2, "every deal ends");
}

/// With ECDSA keys on both sides.
#[tokio::test(flavor = "multi_thread")]
async fn a_server_showing_another_host_key_gets_nothing_until_the_right_one_is_pinned() {
    let Setup {
        server,
        stack,
        api,
        admin,
        platform,
    } = setup(SftpServer::with_keys("ecdsa"), true, |_| {}).await;
    let _worker = stack.spawn_worker();
    let client = &api.0;
    let pinned = platform["platform"]["delivery"]["settings"]["sftp"]["hostKey"]
        .as_str()
        .expect("pinned")
        .to_owned();
    let platform_id = platform["platformId"].as_str().expect("id");
    let (_, token) = client.user("label", None).await;
    let release = client.ready_release(&token, 2, 1).await;

    let (distribution, job) = distribute(client, &token, &release.album_id, platform_id).await;
    // Refused at once: retrying cannot help until an admin changes the platform.
    assert_eq!(job["status"], "dead", "{job}");
    assert_eq!(job["attempts"], 1, "{job}");
    let failed = &fetch_distribution(client, &token, &distribution).await;
    assert_eq!(failed["status"], "failed");
    let error = failed["error"].as_str().expect("error");
    assert!(
        error.contains(&server.host_key) && error.contains(&pinned),
        "{error}"
    );
    assert!(entries(&server.home()).is_empty(), "nothing was uploaded");

    // The admin pins the server's real key; the retry delivers.
    client
        .expect(
            StatusCode::OK,
            Method::PATCH,
            &format!("/platforms/{platform_id}"),
            Some(json!({"sftpHostKey": server.host_key})),
            Some(&admin),
        )
        .await;
    let (_, job) = retry_distribution(client, &token, &distribution).await;
    assert_eq!(job["status"], "succeeded", "{job}");
    assert_eq!(
        entries(&server.home().join(FOLDER)),
        [
            ".partial".to_owned(),
            format!("{}_{distribution}.1", release.upc)
        ]
    );
}

/// Over RSA on both sides: a server with an RSA host key only, and an RSA key for backbeat (what
/// many platforms still ask for).
#[tokio::test(flavor = "multi_thread")]
async fn a_bulk_job_uploads_every_release_to_an_rsa_only_sftp_server() {
    let Setup {
        server,
        stack,
        api,
        platform,
        ..
    } = setup(SftpServer::with_keys("rsa"), false, |s| {
        s.distribution.bulk_chunk_releases = 3
    })
    .await;
    let client = &api.0;
    let sftp_id = platform["platformId"].as_str().expect("id");
    let (owner, token) = client.user("label", None).await;
    let albums = backbeat_testkit::releases::seed(
        &mut stack.db.connect().await,
        &*stack.storage(),
        &owner,
        "sftp",
        7,
        0,
        20_000,
    )
    .await;
    let spotify = client.platform(&token, "spotify").await;
    let _worker = stack.spawn_worker();
    let job = start_bulk(
        client,
        &token,
        json!({"albumIds": albums, "platformIds": [sftp_id, spotify]}),
    )
    .await;
    let finished = client.wait_job(&token, &job, WAIT).await;
    assert_eq!(finished["status"], "succeeded", "{finished}");
    assert_eq!(finished["result"]["delivered"], 14, "{finished}");
    let incoming = server.home().join(FOLDER);
    let packages: Vec<String> = entries(&incoming)
        .into_iter()
        .filter(|name| name != ".partial")
        .collect();
    assert_eq!(packages.len(), 7, "{packages:?}");
    assert_eq!(stack.packages("spotify").len(), 7);
    assert!(entries(&incoming.join(".partial")).is_empty());
    for package in &packages {
        let xml = std::fs::read_dir(incoming.join(package))
            .expect("package")
            .map(|e| e.expect("entry").path())
            .find(|p| p.extension().is_some_and(|x| x == "xml"))
            .expect("a message");
        assert_valid(&std::fs::read(xml).expect("xml"));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_worker_prints_the_public_key_to_give_each_platform() {
    let server = SftpServer::start();
    let key = server.client_key.display().to_string();
    let stack = Stack::new(|s| s.distribution.sftp_key_path = key).await;
    let output = stack.worker_cli(&["sftp-key"]);
    let printed = String::from_utf8(output.stdout).expect("utf-8");
    let public = server.client_key.with_extension("pub");
    let written = std::fs::read_to_string(&public).expect("public key");
    // The key type and the key itself, as ssh-keygen wrote them (the comment is ssh-keygen's).
    let key_of = |line: &str| {
        line.split_whitespace()
            .take(2)
            .collect::<Vec<_>>()
            .join(" ")
    };
    assert_eq!(key_of(&printed), key_of(&written));
    let stderr = String::from_utf8(output.stderr).expect("utf-8");
    assert!(
        stderr.contains(&backbeat_testkit::sftp::fingerprint(&public)),
        "{stderr}"
    );
}

/// A server that does not answer is retried, then the delivery fails saying so; a server that
/// refuses backbeat's key fails it at once (retrying cannot help until an admin acts).
#[tokio::test(flavor = "multi_thread")]
async fn an_unreachable_server_is_retried_and_a_refused_key_fails_at_once() {
    let Setup {
        server,
        stack,
        api,
        admin,
        ..
    } = setup(SftpServer::start(), false, |_| {}).await;
    let _worker = stack.spawn_worker();
    let client = &api.0;
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port();
    let down = sftp_platform(
        client,
        &admin,
        &server,
        &server.host_key,
        json!({"code": "down_dsp", "sftpPort": closed}),
    )
    .await;
    let refusing = sftp_platform(
        client,
        &admin,
        &server,
        &server.host_key,
        json!({"code": "refusing_dsp", "sftpUsername": "nobody"}),
    )
    .await;
    let (_, token) = client.user("label", None).await;
    let release = client.ready_release(&token, 3, 1).await;

    for (platform, attempts, why) in [
        (
            &down,
            stack.settings.jobs.max_attempts,
            format!("cannot connect to 127.0.0.1:{closed}"),
        ),
        (&refusing, 1, "refused backbeat's key for nobody".to_owned()),
    ] {
        let platform_id = platform["platformId"].as_str().expect("id");
        let (distribution, job) = distribute(client, &token, &release.album_id, platform_id).await;
        assert_eq!(job["status"], "dead", "{job}");
        assert_eq!(job["attempts"], attempts, "{job}");
        let failed = fetch_distribution(client, &token, &distribution).await;
        assert_eq!(failed["status"], "failed");
        let error = failed["error"].as_str().expect("error");
        assert!(error.contains(&why), "{error}");
    }
    assert!(entries(&server.home()).is_empty(), "nothing was uploaded");
}
