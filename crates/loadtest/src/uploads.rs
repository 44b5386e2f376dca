//! A master upload (`PUT /songs/{id}/audio`, a 200 MiB WAV) into the local folder and into an
//! S3-compatible store (a Garage on loopback), in the same run: seconds, MiB/s, and the API's
//! peak RSS before and after (the upload streams: it must not hold the file in memory).

use std::time::Instant;

use backbeat_testkit::garage::Garage;
use serde_json::{Value, json};

use crate::stack::{http, login, memory_mib};
use crate::{DATABASE, Options, wait_until_ready};

const MIB: usize = 1 << 20;

async fn created(
    port: u16,
    token: &str,
    path: &str,
    body: Value,
    field: &str,
) -> anyhow::Result<String> {
    let answer: Value = http()
        .post(format!("http://127.0.0.1:{port}{path}"))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await?
        .json()
        .await?;
    answer["data"][field]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| anyhow::anyhow!("{path}: {answer}"))
}

pub async fn run(options: &Options, megabytes: usize) -> anyhow::Result<String> {
    // Just under the master limit (audio_max_bytes, 200 MiB by default), header included.
    let frames = u32::try_from((megabytes * MIB - 4096) / 4)?;
    let wav = backbeat_testkit::fixtures::wav(2, 44_100, 16, frames);
    let body = backbeat_testkit::http::multipart("audio", "master.wav", "audio/wav", &wav);
    eprintln!("a {:.1} MiB WAV", wav.len() as f64 / MIB as f64);
    let garage = Garage::start();
    let files = tempfile::tempdir()?;
    let local_root = files.path().join("storage").display().to_string();
    let local: Vec<(&str, &str)> = vec![("APP_STORAGE__ROOT", &local_root)];
    let s3 = garage.env(&files.path().join("spool"));
    let s3: Vec<(&str, &str)> = s3.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let mut rows = String::new();
    let mut seconds = Vec::new();
    for (label, env) in [("local folder", &local), ("S3 (Garage on loopback)", &s3)] {
        let mut api = crate::stack::start_api(
            &crate::stack::binary("backbeat-api"),
            DATABASE,
            options,
            env,
        )?;
        let result = async {
            wait_until_ready(options.port).await?;
            let port = options.port;
            let token = login(port, "bench1").await?;
            let album = created(port, &token, "/albums", json!({"name": "Upload bench", "year": 2026}), "albumId").await?;
            let song = created(
                port,
                &token,
                "/songs",
                json!({"title": "Long master", "year": 2026, "genre": "Pop", "performer": "Bench", "albumId": album}),
                "songId",
            )
            .await?;
            let before = memory_mib(api.id(), "VmHWM")?;
            let started = Instant::now();
            let answer = http()
                .put(format!("http://127.0.0.1:{port}/songs/{song}/audio"))
                .bearer_auth(&token)
                .header("content-type", "multipart/form-data; boundary=----backbeat-test-boundary")
                .body(body.clone())
                .send()
                .await?;
            let status = answer.status();
            let text = answer.text().await?;
            anyhow::ensure!(status.is_success(), "{label}: {status} {text}");
            let took = started.elapsed().as_secs_f64();
            let after = memory_mib(api.id(), "VmHWM")?;
            Ok::<_, anyhow::Error>((took, before, after))
        }
        .await;
        crate::stack::stop(&mut api);
        let (took, before, after) = result?;
        rows.push_str(&format!(
            "| {label} | {took:.2} | {:.0} | {before:.0} | {after:.0} |\n",
            wav.len() as f64 / MIB as f64 / took
        ));
        seconds.push(took);
    }
    Ok(format!(
        "## A {:.0} MiB master uploaded (`PUT /songs/{{id}}/audio`), local folder vs S3, same run\n\n\
         - release build; one upload each: received, hashed, decoded and checked (WAV, 16-bit, \
         44.1 kHz, stereo), then stored; S3 as a multipart upload of 16 MiB parts to a one-node \
         Garage on loopback\n\n\
         | store | seconds | MiB/s | API peak RSS before, MiB | API peak RSS after, MiB |\n\
         |---|---|---|---|---|\n{rows}\n\
         S3 / local time: **{:.2}x**\n",
        wav.len() as f64 / MIB as f64,
        seconds[1] / seconds[0].max(f64::MIN_POSITIVE)
    ))
}
