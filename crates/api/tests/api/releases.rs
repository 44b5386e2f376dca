//! Release metadata, masters and readiness: validated, shown only to those who may change a
//! release, files judged by their bytes.

use backbeat_testkit::fixtures::{self, Color};
use backbeat_testkit::http::upc;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::*;

async fn patch(app: &TestApp, path: &str, body: Value, token: &str) -> reqwest::Response {
    app.request(Method::PATCH, path, Some(body), Some(token))
        .await
}

#[tokio::test]
async fn album_metadata_is_validated_normalised_and_shown_only_to_its_owner() {
    let app = spawn_app().await;
    let client = app.client();
    let (_, owner) = client.user("label", None).await;
    let (_, stranger) = client.user("stranger", None).await;
    let album = app.album(Some(&owner), "Night & Day", 2026).await;
    let path = format!("/albums/{album}");

    for (body, field, message) in [
        (
            json!({"upc": "036000291453"}),
            "upc",
            "has a wrong check digit",
        ),
        (
            json!({"upc": "03600029145"}),
            "upc",
            "must be a UPC-A (12 digits) or an EAN-13 (13 digits)",
        ),
        (
            json!({"releaseDate": "2026-02-30"}),
            "releaseDate",
            "must be a date (YYYY-MM-DD)",
        ),
        (
            json!({"pLine": "Backbeat Records"}),
            "pLine",
            "must start with a year, then the holder: \"2026 Backbeat Records\"",
        ),
        (
            json!({"territories": ["Worldwide", "US"]}),
            "territories",
            "lists countries and \"Worldwide\": use exclusions (\"-KP\") instead",
        ),
        (
            json!({"territories": ["XX"]}),
            "territories",
            "`XX` is not \"Worldwide\" nor an ISO 3166-1 alpha-2 country code",
        ),
        (
            json!({"releaseType": "LP"}),
            "releaseType",
            "must be one of Single, EP, Album",
        ),
        (json!({"label": ""}), "label", "is not allowed to be empty"),
        (json!({"year": "2026"}), "year", "must be a number"),
    ] {
        let body = expect_field_error(patch(&app, &path, body.clone(), &owner).await, field).await;
        assert_eq!(body["details"][0]["message"], message, "{body}");
    }

    // A stranger's artist cannot be credited; it reads as unknown, as one that does not exist.
    expect_error(
        patch(
            &app,
            &path,
            json!({"artistId": "artist-doesnotexist0"}),
            &owner,
        )
        .await,
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
    )
    .await;
    let theirs = client
        .expect(
            StatusCode::CREATED,
            Method::POST,
            "/artists",
            Some(json!({"name": "Theirs"})),
            Some(&stranger),
        )
        .await["data"]["artistId"]
        .clone();
    expect_error(
        patch(&app, &path, json!({"artistId": theirs}), &owner).await,
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
    )
    .await;

    let artist = client
        .expect(
            StatusCode::CREATED,
            Method::POST,
            "/artists",
            Some(json!({"name": "Nadia Rose"})),
            Some(&owner),
        )
        .await["data"]["artistId"]
        .clone();
    let body = expect_status(
        patch(
            &app,
            &path,
            json!({"artistId": artist, "upc": "0 36000-29145 2", "label": "Backbeat Records", "genre": "Pop",
                   "releaseDate": "2026-12-04", "pLine": "2026 Backbeat Records", "cLine": "2026 Backbeat Records",
                   "territories": ["worldwide", "-kp", "-cu"], "releaseType": "EP"}),
            &owner,
        )
        .await,
        StatusCode::OK,
    )
    .await;
    let shown = &body["data"]["album"];
    assert_eq!(shown["upc"], "036000291452");
    assert_eq!(shown["territories"], json!(["Worldwide", "-CU", "-KP"]));
    assert_eq!(shown["releaseType"], "EP");
    assert_eq!(shown["name"], "Night & Day");

    // `null` clears; what is absent stays.
    let body = expect_status(
        patch(
            &app,
            &path,
            json!({"label": null, "territories": null}),
            &owner,
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert!(body["data"]["album"]["label"].is_null());
    assert_eq!(body["data"]["album"]["territories"], json!(["Worldwide"]));
    assert_eq!(body["data"]["album"]["genre"], "Pop");

    // Everyone else sees the openMusic album, exactly.
    for token in [None, Some(stranger.as_str())] {
        let body = expect_status(app.get(&path, token).await, StatusCode::OK).await;
        assert_eq!(
            keys(&body["data"]["album"]),
            ["coverUrl", "id", "name", "songs", "year"]
        );
    }
    let body = expect_status(app.get(&path, Some(&owner)).await, StatusCode::OK).await;
    assert_eq!(body["data"]["album"]["upc"], "036000291452");

    // Strangers cannot change it; a UPC is one release's.
    expect_error(
        patch(&app, &path, json!({"genre": "Rock"}), &stranger).await,
        StatusCode::FORBIDDEN,
        "FORBIDDEN",
    )
    .await;
    let other = app.album(Some(&owner), "Other", 2026).await;
    let body = expect_conflict(
        patch(
            &app,
            &format!("/albums/{other}"),
            json!({"upc": "036000291452"}),
            &owner,
        )
        .await,
        "upc",
    )
    .await;
    assert_eq!(
        body["details"][0]["message"],
        "is already used by another release"
    );
    expect_error(
        patch(
            &app,
            "/albums/album-doesnotexist00",
            json!({"genre": "Rock"}),
            &owner,
        )
        .await,
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
    )
    .await;
}

#[tokio::test]
async fn track_metadata_is_validated_and_unique_where_it_must_be() {
    let app = spawn_app().await;
    let (_, owner, _) = app.user("label").await;
    let album = app.album(Some(&owner), "Album", 2026).await;
    let mut body = song_body("One", "Nadia Rose");
    body["albumId"] = json!(album);
    let one = app.song(Some(&owner), body.clone()).await;
    body["title"] = json!("Two");
    let two = app.song(Some(&owner), body).await;

    for (change, field, message) in [
        (
            json!({"isrc": "US-S1Z-99-0000"}),
            "isrc",
            "must be an ISRC: CC-XXX-YY-NNNNN (country, registrant, year, designation)",
        ),
        (
            json!({"iswc": "T-034.524.680-2"}),
            "iswc",
            "has a wrong check digit",
        ),
        (
            json!({"trackNumber": 0}),
            "trackNumber",
            "must be between 1 and 999",
        ),
        (json!({"explicit": "yes"}), "explicit", "must be a boolean"),
        (
            json!({"contributors": [{"name": "Ana", "role": "Drummer"}]}),
            "contributors[0]",
            "must be one of MainArtist, FeaturedArtist, Composer, Lyricist, ComposerLyricist, Producer, Mixer, Arranger",
        ),
        (
            json!({"contributors": [{"role": "Composer"}]}),
            "contributors[0]",
            "needs a `name` string",
        ),
    ] {
        let body = expect_field_error(
            patch(&app, &format!("/songs/{one}"), change, &owner).await,
            field,
        )
        .await;
        assert_eq!(body["details"][0]["message"], message, "{body}");
    }

    let body = expect_status(
        patch(
            &app,
            &format!("/songs/{one}"),
            json!({"isrc": "us-s1z-99-00001", "iswc": "T-034.524.680-1", "explicit": true, "trackNumber": 1,
                   "contributors": [{"name": "Ana Writer", "role": "Composer"}]}),
            &owner,
        )
        .await,
        StatusCode::OK,
    )
    .await;
    let song = &body["data"]["song"];
    assert_eq!(song["isrc"], "USS1Z9900001");
    assert_eq!(song["iswc"], "T0345246801");
    assert_eq!(song["explicit"], true);
    assert_eq!(
        song["contributors"],
        json!([{"name": "Ana Writer", "role": "Composer"}])
    );

    let body = expect_conflict(
        patch(
            &app,
            &format!("/songs/{two}"),
            json!({"isrc": "USS1Z9900001"}),
            &owner,
        )
        .await,
        "isrc",
    )
    .await;
    assert_eq!(
        body["details"][0]["message"],
        "is already used by another song"
    );
    let body = expect_conflict(
        patch(
            &app,
            &format!("/songs/{two}"),
            json!({"trackNumber": 1}),
            &owner,
        )
        .await,
        "trackNumber",
    )
    .await;
    assert_eq!(
        body["details"][0]["message"],
        "is already used by another track on this disc of the album"
    );
    // Another disc is another numbering.
    expect_status(
        patch(
            &app,
            &format!("/songs/{two}"),
            json!({"trackNumber": 1, "discNumber": 2}),
            &owner,
        )
        .await,
        StatusCode::OK,
    )
    .await;

    // The openMusic song for everyone else; the list shape never changes.
    let body = expect_status(
        app.get(&format!("/songs/{one}"), None).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        keys(&body["data"]["song"]),
        [
            "albumId",
            "duration",
            "genre",
            "id",
            "performer",
            "title",
            "year"
        ]
    );
    let body = expect_status(app.get("/songs?title=One", None).await, StatusCode::OK).await;
    assert_eq!(
        keys(&body["data"]["songs"][0]),
        ["id", "performer", "title"]
    );
}

#[tokio::test]
async fn audio_is_judged_by_its_bytes() {
    let app = spawn_app_with(|s| s.distribution.audio_max_bytes = 1_000_000).await;
    let client = app.client();
    let (_, owner, _) = app.user("label").await;
    let (_, stranger, _) = app.user("stranger").await;
    let song = app.song(Some(&owner), song_body("One", "Nadia Rose")).await;
    let path = format!("/songs/{song}/audio");

    // Two seconds and 7 frames of 48 kHz 24-bit stereo, sent as an "MP3".
    let (status, body) = client
        .upload(
            &path,
            "audio",
            "song.mp3",
            &fixtures::wav(2, 48_000, 24, 96_007),
            &owner,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let audio = &body["data"]["audio"];
    assert_eq!(audio["format"], "wav");
    assert_eq!(
        (
            audio["sampleRate"].clone(),
            audio["bitDepth"].clone(),
            audio["channels"].clone()
        ),
        (json!(48_000), json!(24), json!(2))
    );
    assert_eq!(audio["durationMs"], 2000);
    assert_eq!(audio["duration"], "PT2S");
    assert_eq!(audio["sha256"].as_str().map(str::len), Some(64));
    let stored = std::fs::read_dir(app.storage.path().join(format!("audio/{song}")))
        .expect("stored")
        .count();
    assert_eq!(stored, 1);

    // A FLAC replaces it, and the old file is gone.
    let (status, body) = client
        .upload(
            &path,
            "audio",
            "song.wav",
            &fixtures::flac(2, 44_100, 16, 44_100 * 3 + 11),
            &owner,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["audio"]["format"], "flac");
    assert_eq!(body["data"]["audio"]["durationMs"], 3000);
    let names: Vec<String> = std::fs::read_dir(app.storage.path().join(format!("audio/{song}")))
        .expect("stored")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    assert!(names.len() == 1 && names[0].ends_with(".flac"), "{names:?}");

    let wav = fixtures::cd_wav(1);
    for (bytes, reason) in [
        (
            b"hello, I am a text file".to_vec(),
            "is not a WAV or FLAC file",
        ),
        (
            wav[..wav.len() / 2].to_vec(),
            "is truncated: its header announces 176400 bytes of audio, the file holds",
        ),
        (
            fixtures::wav(2, 44_100, 8, 44_100),
            "must be at least 16-bit, not 8-bit",
        ),
        (
            fixtures::wav(1, 44_100, 16, 44_100),
            "must be stereo (2 channels), not 1 channel",
        ),
        (
            fixtures::wav(2, 22_050, 16, 22_050),
            "must be sampled at 44.1 kHz or more, not 22050 Hz",
        ),
    ] {
        let (status, body) = client
            .upload(&path, "audio", "master.wav", &bytes, &owner)
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(body["details"][0]["field"], "audio");
        assert!(
            body["details"][0]["message"]
                .as_str()
                .is_some_and(|m| m.starts_with(reason)),
            "{reason}: {body}"
        );
    }
    // The refused uploads left nothing behind, and the FLAC is still the song's.
    assert_eq!(
        std::fs::read_dir(app.storage.path().join(".incoming"))
            .expect("dir")
            .count(),
        0
    );
    assert_eq!(
        std::fs::read_dir(app.storage.path().join(format!("audio/{song}")))
            .expect("dir")
            .count(),
        1
    );

    let (status, body) = client
        .upload(&path, "audio", "big.wav", &fixtures::cd_wav(6), &owner)
        .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    assert_eq!(body["code"], "PAYLOAD_TOO_LARGE");
    let (status, body) = client.upload(&path, "sound", "x.wav", &wav, &owner).await;
    assert_eq!(
        (status, body["details"][0]["field"].clone()),
        (StatusCode::BAD_REQUEST, json!("audio"))
    );
    let (status, _) = client
        .upload(&path, "audio", "x.wav", &wav, &stranger)
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = client
        .upload(
            "/songs/song-doesnotexist000/audio",
            "audio",
            "x.wav",
            &wav,
            &owner,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let response = app
        .request(
            Method::PUT,
            &path,
            Some(json!({"audio": "base64?"})),
            Some(&owner),
        )
        .await;
    expect_error(
        response,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "UNSUPPORTED_MEDIA_TYPE",
    )
    .await;
}

#[tokio::test]
async fn artwork_is_judged_by_the_image() {
    let app = spawn_app().await;
    let client = app.client();
    let (_, owner, _) = app.user("label").await;
    let (_, stranger, _) = app.user("stranger").await;
    let album = app.album(Some(&owner), "Album", 2026).await;
    let path = format!("/albums/{album}/artwork");
    let (status, _) = client
        .upload(
            &path,
            "artwork",
            "cover.jpg",
            fixtures::artwork(),
            &stranger,
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = client
        .upload(
            "/albums/album-doesnotexist00/artwork",
            "artwork",
            "cover.jpg",
            fixtures::artwork(),
            &owner,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    for (bytes, reason) in [
        (fixtures::jpeg(64, 64, Color::Cmyk), "must be RGB, not cmyk"),
        (
            fixtures::png(64, 64, Color::Gray),
            "must be RGB, not grayscale",
        ),
        (
            fixtures::png(2999, 2999, Color::Rgb),
            "must be at least 3000x3000 pixels, not 2999x2999",
        ),
        (
            fixtures::jpeg(3000, 2000, Color::Rgb),
            "must be square, not 3000x2000 pixels",
        ),
        (
            b"GIF89a................".to_vec(),
            "must be a JPEG or PNG image, not Gif",
        ),
        (b"not an image".to_vec(), "is not a JPEG or PNG image"),
    ] {
        let (status, body) = client
            .upload(&path, "artwork", "cover.jpg", &bytes, &owner)
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(body["details"][0]["field"], "artwork");
        assert_eq!(body["details"][0]["message"], reason);
    }
    let (status, body) = client
        .upload(&path, "artwork", "cover.png", fixtures::artwork(), &owner)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["artwork"]["format"], "jpeg");
    assert_eq!(
        (
            body["data"]["artwork"]["width"].clone(),
            body["data"]["artwork"]["height"].clone()
        ),
        (json!(3000), json!(3000))
    );
    // The openMusic cover is separate: still none.
    let body = expect_status(
        app.get(&format!("/albums/{album}"), None).await,
        StatusCode::OK,
    )
    .await;
    assert!(body["data"]["album"]["coverUrl"].is_null());
}

#[tokio::test]
async fn readiness_lists_every_problem_until_the_release_is_ready() {
    let app = spawn_app().await;
    let client = app.client();
    let (_, owner) = client.user("label", None).await;
    let (_, stranger) = client.user("stranger", None).await;
    let album = app.album(Some(&owner), "Bare", 2026).await;
    let body = client
        .expect(
            StatusCode::OK,
            Method::GET,
            &format!("/albums/{album}/readiness"),
            None,
            Some(&owner),
        )
        .await;
    assert_eq!(body["data"]["ready"], false);
    let codes: Vec<&str> = body["data"]["problems"]
        .as_array()
        .expect("problems")
        .iter()
        .map(|p| p["code"].as_str().expect("code"))
        .collect();
    assert_eq!(
        codes,
        [
            "UPC_MISSING",
            "ARTIST_MISSING",
            "LABEL_MISSING",
            "GENRE_MISSING",
            "RELEASE_DATE_MISSING",
            "P_LINE_MISSING",
            "C_LINE_MISSING",
            "ARTWORK_MISSING",
            "NO_TRACKS"
        ]
    );
    assert_eq!(body["data"]["problems"][0]["field"], "upc");

    // A track without ISRC, number or audio.
    let mut song = song_body("Loose", "Nadia Rose");
    song["albumId"] = json!(album);
    let loose = app.song(Some(&owner), song).await;
    let body = client
        .expect(
            StatusCode::OK,
            Method::GET,
            &format!("/albums/{album}/readiness"),
            None,
            Some(&owner),
        )
        .await;
    let fields: Vec<&str> = body["data"]["problems"]
        .as_array()
        .expect("problems")
        .iter()
        .map(|p| p["field"].as_str().expect("field"))
        .collect();
    for field in ["isrc", "trackNumber", "audio"] {
        assert!(
            fields.contains(&format!("tracks[{loose}].{field}").as_str()),
            "{field}: {body}"
        );
    }

    let release = client.ready_release(&owner, 1, 2).await;
    let body = client
        .expect(
            StatusCode::OK,
            Method::GET,
            &format!("/albums/{}/readiness", release.album_id),
            None,
            Some(&owner),
        )
        .await;
    assert_eq!(body["data"], json!({"ready": true, "problems": []}));
    assert_eq!(release.upc, upc(1));

    for token in [&stranger] {
        let (status, _, _) = client
            .call(
                Method::GET,
                &format!("/albums/{}/readiness", release.album_id),
                None,
                Some(token),
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
    }
    let (status, _, _) = client
        .call(
            Method::GET,
            "/albums/album-doesnotexist00/readiness",
            None,
            Some(&owner),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
