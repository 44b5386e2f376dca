//! The S3 backend against a real S3-compatible server (Garage on loopback): the storage contract
//! every backend keeps, and the API serving covers from the store with nothing on its own disk.

use std::io::Read;

use backbeat_storage::{Storage, StorageError};
use backbeat_testkit::garage::Garage;
use reqwest::StatusCode;
use sha2::{Digest, Sha256};
use tokio::io::AsyncReadExt;

use crate::helpers::*;

fn store(garage: &Garage, spool: &std::path::Path) -> std::sync::Arc<dyn Storage> {
    cached_store(garage, spool, 0)
}

fn cached_store(
    garage: &Garage,
    spool: &std::path::Path,
    cache_bytes: u64,
) -> std::sync::Arc<dyn Storage> {
    backbeat_storage::s3(garage.config(spool, cache_bytes)).expect("store")
}

async fn upload_cover(app: &TestApp, token: &str, album: &str, image: &[u8]) -> reqwest::Response {
    app.client
        .post(app.url(&format!("/albums/{album}/covers")))
        .bearer_auth(token)
        .header(
            "content-type",
            "multipart/form-data; boundary=----backbeat-test-boundary",
        )
        .body(backbeat_testkit::http::multipart(
            "cover",
            "cover.png",
            "image/png",
            image,
        ))
        .send()
        .await
        .expect("upload")
}

#[tokio::test(flavor = "multi_thread")]
async fn the_s3_backend_keeps_the_storage_contract_on_a_real_store() {
    let garage = Garage::start();
    let spool = tempfile::tempdir().expect("spool");
    let store = store(&garage, spool.path());

    store.put("covers/a/1.png", b"small").await.expect("put");
    assert_eq!(store.get("covers/a/1.png").await.expect("get"), b"small");
    assert!(store.exists("covers/a/1.png").await.expect("exists"));
    store.delete("covers/a/1.png").await.expect("delete");
    store
        .delete("covers/a/1.png")
        .await
        .expect("deleting twice is fine");
    assert!(!store.exists("covers/a/1.png").await.expect("exists"));
    assert!(matches!(
        store.get("covers/a/1.png").await,
        Err(StorageError::NotFound)
    ));
    for key in ["../x", "/x", "a/../../x", ".incoming/x", ""] {
        assert!(
            matches!(store.put(key, b"x").await, Err(StorageError::InvalidKey(_))),
            "{key}"
        );
    }

    // 12 MiB and a bit: three parts of 5 MiB, streamed from the spool, hashed on the way in.
    let master: Vec<u8> = (0..12 * (1 << 20) + 12_345)
        .map(|i: usize| (i * 7 % 251) as u8)
        .collect();
    let mut incoming = store.incoming(20 << 20).await.expect("incoming");
    for chunk in master.chunks(64 * 1024) {
        incoming.write(chunk).await.expect("write");
    }
    let received = incoming.finish().await.expect("finish");
    assert_eq!(received.bytes, master.len() as u64);
    assert_eq!(
        received.sha256,
        backbeat_storage::hex(&Sha256::digest(&master))
    );
    store
        .commit(received, "audio/song-x/master.wav")
        .await
        .expect("commit");
    assert_eq!(
        std::fs::read_dir(spool.path()).expect("spool").count(),
        0,
        "the spool file goes once committed"
    );
    let key = "audio/song-x/master.wav";
    assert_eq!(store.get(key).await.expect("get"), master);
    let mut streamed = Vec::new();
    store
        .open(key)
        .await
        .expect("open")
        .read_to_end(&mut streamed)
        .await
        .expect("stream");
    assert_eq!(streamed.len(), master.len());
    assert!(streamed == master);
    // The blocking reader (usage imports read reports on a blocking thread).
    let reader = store.reader(key).expect("reader");
    let blocking = tokio::task::spawn_blocking(move || {
        let mut out = Vec::new();
        let mut reader = reader;
        reader.read_to_end(&mut out).expect("read");
        out
    })
    .await
    .expect("join");
    assert!(blocking == master);
    let copy = spool.path().join("copy.wav");
    store.copy_to(key, &copy).await.expect("copy");
    assert!(std::fs::read(&copy).expect("read") == master);
    assert!(
        store.local_path(key).is_none(),
        "a remote store has no local files"
    );
    assert!(matches!(
        store.open("audio/none.wav").await.map(|_| ()),
        Err(StorageError::NotFound)
    ));
    let mut missing = store.reader("audio/none.wav").expect("opens lazily");
    let failed = tokio::task::spawn_blocking(move || missing.read(&mut [0; 16]))
        .await
        .expect("join");
    assert_eq!(
        failed.expect_err("not found").kind(),
        std::io::ErrorKind::NotFound
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn deliveries_read_each_object_once_through_a_bounded_local_cache() {
    let garage = Garage::start();
    let spool = tempfile::tempdir().expect("spool");
    let out = tempfile::tempdir().expect("out");
    let plain = store(&garage, spool.path());
    let big = vec![7u8; 3 << 20];
    plain.put("audio/a/master.wav", &big).await.expect("put");
    plain
        .put("artwork/a/cover.jpg", &[9u8; 2 << 20])
        .await
        .expect("put");
    // Room for the master, not for both.
    let cached = cached_store(&garage, spool.path(), (4 << 20) as u64);
    let objects = spool.path().join("objects");
    cached
        .copy_to("audio/a/master.wav", &out.path().join("1.wav"))
        .await
        .expect("copy");
    // A second package's copy is served from the cache, even once the object is gone.
    plain.delete("audio/a/master.wav").await.expect("delete");
    cached
        .copy_to("audio/a/master.wav", &out.path().join("2.wav"))
        .await
        .expect("from the cache");
    assert!(std::fs::read(out.path().join("2.wav")).expect("read") == big);
    let mut streamed = Vec::new();
    cached
        .open("audio/a/master.wav")
        .await
        .expect("open")
        .read_to_end(&mut streamed)
        .await
        .expect("read");
    assert!(streamed == big);
    assert_eq!(std::fs::read_dir(&objects).expect("cache").count(), 1);
    // Past its size, the least recently fetched copy goes.
    cached
        .copy_to("artwork/a/cover.jpg", &out.path().join("cover.jpg"))
        .await
        .expect("copy");
    assert_eq!(std::fs::read_dir(&objects).expect("cache").count(), 1);
    assert!(matches!(
        cached
            .copy_to("audio/a/master.wav", &out.path().join("3.wav"))
            .await,
        Err(StorageError::NotFound)
    ));
    // The packages keep their files whatever the cache drops.
    assert!(std::fs::read(out.path().join("1.wav")).expect("read") == big);
}

#[tokio::test(flavor = "multi_thread")]
async fn covers_go_to_the_store_and_are_served_from_it_with_nothing_on_local_disk() {
    let garage = Garage::start();
    let spool = tempfile::tempdir().expect("spool");
    let app = spawn_app_with(|s| garage.apply(s, spool.path())).await;
    let (_, token, _) = app.user("artist").await;
    let album = app.album(Some(&token), "Night & Day", 2026).await;
    let image = backbeat_testkit::fixtures::png(64, 64, backbeat_testkit::fixtures::Color::Rgb);
    let response = upload_cover(&app, &token, &album, &image).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let body = expect_status(
        app.get(&format!("/albums/{album}"), None).await,
        StatusCode::OK,
    )
    .await;
    let url = body["data"]["album"]["coverUrl"]
        .as_str()
        .expect("coverUrl");
    let served = app.client.get(url).send().await.expect("cover");
    assert_eq!(served.status(), StatusCode::OK);
    assert_eq!(served.headers()["content-type"], "image/png");
    assert_eq!(
        served.bytes().await.expect("bytes").as_ref(),
        image.as_slice()
    );
    // In the bucket, not in the app's storage folder.
    let key = url.split("/media/").nth(1).expect("key");
    assert!(
        store(&garage, spool.path())
            .exists(key)
            .await
            .expect("exists")
    );
    let local = backbeat_testkit::files_under(app.storage.path());
    assert!(local.is_empty(), "files on local disk: {local:?}");
    assert_eq!(std::fs::read_dir(spool.path()).expect("spool").count(), 0);
}

#[test]
fn a_ca_file_that_cannot_be_read_stops_start_up_naming_the_setting() {
    let mut settings = backbeat_config::Settings::load_from(std::iter::empty::<(String, String)>())
        .expect("settings");
    settings.storage.backend = backbeat_config::StorageBackend::S3;
    settings.storage.s3.endpoint = "https://localhost:1".to_owned();
    settings.storage.s3.ca_file = Some("/nonexistent/ca.pem".to_owned());
    let Err(error) = backbeat_services::context::storage(&settings) else {
        panic!("a store without its CA");
    };
    assert!(
        format!("{error:#}").contains("storage.s3.ca_file"),
        "{error:#}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unreachable_store_answers_503_with_retry_after_and_readiness_names_it() {
    // An object store nobody answers for: no server is needed to test its absence.
    let spool = tempfile::tempdir().expect("spool");
    let port = closed_port();
    let app = spawn_app_with(|s| {
        let st = &mut s.storage;
        st.backend = backbeat_config::StorageBackend::S3;
        st.spool_dir = spool.path().display().to_string();
        st.s3.endpoint = format!("http://127.0.0.1:{port}");
        st.s3.region = "garage".to_owned();
        st.s3.bucket = "backbeat".to_owned();
        st.s3.access_key_id = "GK0123456789abcdef01234567".to_owned();
        st.s3.secret_access_key = Some("secret".to_owned().into());
    })
    .await;
    let (_, token, _) = app.user("artist").await;
    let album = app.album(Some(&token), "Night & Day", 2026).await;
    let image = backbeat_testkit::fixtures::png(64, 64, backbeat_testkit::fixtures::Color::Rgb);
    let response = upload_cover(&app, &token, &album, &image).await;
    assert_eq!(
        response
            .headers()
            .get("retry-after")
            .map(|v| v.to_str().expect("ascii")),
        Some("5")
    );
    let body = expect_error(response, StatusCode::SERVICE_UNAVAILABLE, "UNAVAILABLE").await;
    assert!(!body.to_string().contains(&port.to_string()), "{body}");
    // Nothing of the upload is left behind, and the album has no cover.
    assert_eq!(std::fs::read_dir(spool.path()).expect("spool").count(), 0);
    let album_body = expect_status(
        app.get(&format!("/albums/{album}"), None).await,
        StatusCode::OK,
    )
    .await;
    assert!(
        album_body["data"]["album"]["coverUrl"].is_null(),
        "{album_body}"
    );

    let ready = app.get("/health/ready", None).await;
    let body = expect_error(ready, StatusCode::SERVICE_UNAVAILABLE, "UNAVAILABLE").await;
    assert_eq!(body["checks"]["storage"], "down", "{body}");
    assert_eq!(body["checks"]["database"], "ok", "{body}");
}
