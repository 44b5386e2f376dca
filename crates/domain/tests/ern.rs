//! ERN 4.3 messages against DDEX's own schema, and read back value by value.

use backbeat_domain::codes::{Isrc, Upc};
use backbeat_domain::ddex::{
    Artwork, AudioFile, Party, Release, ReleaseMessage, Track, new_release_message,
};
use backbeat_domain::media::{ArtworkDetails, AudioDetails, AudioFormat, ColorModel, ImageFormat};
use backbeat_domain::release::{Contributor, ContributorRole, ReleaseType, RightsLine};
use backbeat_domain::territories::Territories;
use backbeat_testkit::ddex::{assert_valid, texts};
use chrono::{DateTime, NaiveDate, Utc};

fn at(text: &str) -> DateTime<Utc> {
    text.parse().expect("time")
}

fn track(
    isrc: &str,
    title: &str,
    disc: u32,
    number: u32,
    explicit: bool,
    format: AudioFormat,
) -> Track {
    Track {
        isrc: Isrc::parse("isrc", isrc).expect("isrc"),
        title: title.to_owned(),
        display_artist: "Nadia <Rose> & Co".to_owned(),
        contributors: vec![
            Contributor {
                name: "Jon Feat".into(),
                role: ContributorRole::FeaturedArtist,
            },
            Contributor {
                name: "Ana Writer".into(),
                role: ContributorRole::Composer,
            },
            Contributor {
                name: "Ana Writer".into(),
                role: ContributorRole::Lyricist,
            },
            Contributor {
                name: "Max Knobs".into(),
                role: ContributorRole::Producer,
            },
        ],
        explicit,
        disc,
        number,
        p_line: RightsLine::parse("pLine", "2026 Backbeat Records").expect("line"),
        audio: AudioFile {
            uri: format!("resources/{isrc}.{}", format.as_str()),
            details: AudioDetails {
                format,
                sample_rate: 44_100,
                bit_depth: 24,
                channels: 2,
                frames: 9_054_000 + u64::from(number),
            },
            md5: "db7dd2f3bb9b322646e3f4d7b65b47ab".to_owned(),
        },
    }
}

fn release(territories: Territories) -> Release {
    Release {
        id: "album-Qbax5Oy7L8WKf74l".into(),
        upc: Upc::parse("upc", "036000291452").expect("upc"),
        title: "Night & Day".into(),
        display_artist: "Nadia <Rose> & Co".into(),
        label: "Backbeat Records".into(),
        genre: "Pop".into(),
        release_type: ReleaseType::Album,
        release_date: NaiveDate::from_ymd_opt(2026, 12, 4).expect("date"),
        original_release_date: NaiveDate::from_ymd_opt(1999, 1, 2),
        p_line: RightsLine::parse("pLine", "2026 Backbeat Records").expect("line"),
        c_line: RightsLine::parse("cLine", "2026 Backbeat Records").expect("line"),
        territories,
        deals_start: at("2026-12-04T00:00:00Z"),
        tracks: vec![
            track("USS1Z9900001", "One", 1, 1, false, AudioFormat::Wav),
            track("USS1Z9900002", "Two", 1, 2, true, AudioFormat::Flac),
            track("USS1Z9900003", "Three", 2, 1, false, AudioFormat::Wav),
        ],
        artwork: Artwork {
            uri: "resources/036000291452.jpg".into(),
            details: ArtworkDetails {
                format: ImageFormat::Jpeg,
                width: 3000,
                height: 3000,
                color: ColorModel::Rgb,
            },
            md5: "0123456789abcdef0123456789abcdef".into(),
        },
    }
}

fn parties() -> (Party, Party) {
    (
        Party {
            dpid: "PADPIDA2026112301B".into(),
            name: "backbeat".into(),
        },
        Party {
            dpid: "PADPIDASPOTIFY".into(),
            name: "Spotify".into(),
        },
    )
}

fn message<'a>(
    release: &'a Release,
    sender: &'a Party,
    recipient: &'a Party,
    end: Option<DateTime<Utc>>,
) -> ReleaseMessage<'a> {
    ReleaseMessage {
        message_id: "dist-abc-1",
        thread_id: "dist-abc",
        created_at: at("2026-11-23T10:00:00Z"),
        sender,
        recipient,
        release,
        deals_end: end,
        test: false,
    }
}

#[test]
fn a_new_release_validates_and_reads_back() {
    let (sender, recipient) = parties();
    let release = release(Territories::Worldwide);
    let xml = new_release_message(&message(&release, &sender, &recipient, None));
    assert_valid(&xml);
    assert_eq!(texts(&xml, "MessageId"), ["dist-abc-1"]);
    assert_eq!(
        texts(&xml, "PartyId"),
        ["PADPIDA2026112301B", "PADPIDASPOTIFY"]
    );
    assert_eq!(
        texts(&xml, "ISRC"),
        ["USS1Z9900001", "USS1Z9900002", "USS1Z9900003"]
    );
    assert_eq!(texts(&xml, "ICPN"), ["036000291452"]);
    assert_eq!(texts(&xml, "ReleaseType"), ["Album"]);
    assert_eq!(
        texts(&xml, "DisplayTitleText"),
        ["One", "Two", "Three", "Night & Day"]
    );
    assert_eq!(
        texts(&xml, "DisplayArtistName")[0],
        "Nadia <Rose> & Co feat. Jon Feat"
    );
    // 205.3 s and a frame: the exact duration of each file, and their sum for the release.
    assert_eq!(
        texts(&xml, "Duration"),
        ["PT3M25.306S", "PT3M25.306S", "PT3M25.306S", "PT10M15.918S"]
    );
    assert_eq!(
        texts(&xml, "ParentalWarningType"),
        ["NotExplicit", "Explicit", "NotExplicit", "Explicit"]
    );
    assert_eq!(texts(&xml, "AudioCodecType"), ["PCM", "FLAC", "PCM"]);
    assert_eq!(texts(&xml, "SamplingRate"), ["44.1", "44.1", "44.1"]);
    assert_eq!(
        texts(&xml, "Role"),
        ["Composer", "Lyricist", "StudioProducer"].repeat(3)
    );
    assert_eq!(texts(&xml, "GenreText"), ["Pop"]);
    assert_eq!(texts(&xml, "ReleaseDate"), ["2026-12-04"]);
    assert_eq!(texts(&xml, "PLineText")[3], "2026 Backbeat Records");
    assert_eq!(texts(&xml, "ReleaseResourceReference"), ["A1", "A2", "A3"]);
    assert_eq!(texts(&xml, "LinkedReleaseResourceReference"), ["A4"]);
    assert_eq!(texts(&xml, "TerritoryCode"), ["Worldwide", "Worldwide"]);
    assert_eq!(texts(&xml, "StartDateTime"), ["2026-12-04T00:00:00Z"; 2]);
    assert!(texts(&xml, "EndDateTime").is_empty());
    assert_eq!(
        texts(&xml, "UseType"),
        [
            "OnDemandStream",
            "NonInteractiveStream",
            "PermanentDownload"
        ]
    );
}

#[test]
fn the_same_inputs_give_the_same_bytes() {
    let (sender, recipient) = parties();
    let release = release(Territories::Worldwide);
    let first = new_release_message(&message(&release, &sender, &recipient, None));
    let second = new_release_message(&message(&release.clone(), &sender, &recipient, None));
    assert_eq!(first, second);
}

#[test]
fn a_takedown_ends_every_deal_and_validates() {
    let (sender, recipient) = parties();
    let release = release(Territories::Worldwide);
    let xml = new_release_message(&message(
        &release,
        &sender,
        &recipient,
        Some(at("2027-01-01T12:00:00Z")),
    ));
    assert_valid(&xml);
    assert_eq!(texts(&xml, "EndDateTime"), ["2027-01-01T12:00:00Z"; 2]);
}

#[test]
fn a_test_message_says_so_and_validates() {
    let (sender, recipient) = parties();
    let release = release(Territories::Worldwide);
    let live = new_release_message(&message(&release, &sender, &recipient, None));
    assert_eq!(texts(&live, "MessageControlType"), ["LiveMessage"]);
    let xml = new_release_message(&ReleaseMessage {
        test: true,
        ..message(&release, &sender, &recipient, None)
    });
    assert_valid(&xml);
    assert_eq!(texts(&xml, "MessageControlType"), ["TestMessage"]);
}

#[test]
fn territories_become_codes_or_exclusions() {
    let (sender, recipient) = parties();
    let only = release(Territories::Only(vec!["CA".into(), "US".into()]));
    let xml = new_release_message(&message(&only, &sender, &recipient, None));
    assert_valid(&xml);
    assert_eq!(texts(&xml, "TerritoryCode"), ["CA", "US", "CA", "US"]);
    let except = release(Territories::Except(vec!["KP".into()]));
    let xml = new_release_message(&message(&except, &sender, &recipient, None));
    assert_valid(&xml);
    assert!(texts(&xml, "TerritoryCode").is_empty());
    assert_eq!(texts(&xml, "ExcludedTerritoryCode"), ["KP", "KP"]);
}
