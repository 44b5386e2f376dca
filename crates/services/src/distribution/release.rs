//! A release as delivery needs it, loaded for many albums at once: what readiness checks, what
//! the ERN message says, and the package that carries it.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use backbeat_db::AsyncPgConnection;
use backbeat_db::platforms::Platform;
use backbeat_db::releases::{self, ReleaseRow, TrackRow};
use backbeat_delivery::{Delivery, DropFolder, Package, Sftp, SftpTarget};
use backbeat_domain::codes::{Isrc, Upc};
use backbeat_domain::ddex::{self, Party, ReleaseMessage};
use backbeat_domain::ids::AlbumId;
use backbeat_domain::media::ImageFormat;
use backbeat_domain::readiness::{self, Problem};
use backbeat_domain::release::{Contributor, ReleaseType, RightsLine};
use backbeat_domain::territories::Territories;
use chrono::{DateTime, Utc};

use crate::{Context, Result};

#[derive(Debug, Clone)]
pub struct Snapshot {
    pub release: ReleaseRow,
    pub tracks: Vec<TrackRow>,
}

/// The releases among `ids` that exist, with their tracks.
pub async fn load(
    conn: &mut AsyncPgConnection,
    ids: &[AlbumId],
) -> Result<BTreeMap<AlbumId, Snapshot>> {
    let mut snapshots: BTreeMap<AlbumId, Snapshot> = releases::releases(conn, ids)
        .await?
        .into_iter()
        .map(|release| {
            (
                release.album.id.clone(),
                Snapshot {
                    release,
                    tracks: Vec::new(),
                },
            )
        })
        .collect();
    for track in releases::tracks(conn, ids).await? {
        if let Some(snapshot) = snapshots.get_mut(&track.album_id) {
            snapshot.tracks.push(track);
        }
    }
    Ok(snapshots)
}

fn contributors(track: &TrackRow) -> Vec<Contributor> {
    serde_json::from_value(track.fields.contributors.clone()).unwrap_or_default()
}

impl Snapshot {
    pub fn problems(&self) -> Vec<Problem> {
        let fields = &self.release.fields;
        readiness::problems(&readiness::Release {
            title: self.release.album.name.clone(),
            upc: fields.upc.clone(),
            has_artist: fields.artist_id.is_some(),
            label: fields.label.clone(),
            genre: fields.genre.clone(),
            release_date: fields.release_date,
            p_line: fields.p_line.clone(),
            c_line: fields.c_line.clone(),
            artwork: self.release.artwork.as_ref().map(|a| a.details()),
            tracks: self
                .tracks
                .iter()
                .map(|track| readiness::Track {
                    song_id: track.id.to_string(),
                    title: track.title.clone(),
                    isrc: track.fields.isrc.clone(),
                    track_number: track.fields.track_number,
                    disc_number: track.fields.disc_number,
                    audio: track.audio.as_ref().map(|a| a.details()),
                })
                .collect(),
        })
    }

    pub fn upc(&self) -> &str {
        self.release.fields.upc.as_deref().unwrap_or("unknown")
    }

    /// The release as the ERN message describes it; the problems when it is not ready.
    pub fn ern_release(&self, deals_start: DateTime<Utc>) -> Result<ddex::Release, Vec<Problem>> {
        let problems = self.problems();
        if !problems.is_empty() {
            return Err(problems);
        }
        // Readiness checked every field read below.
        let fields = &self.release.fields;
        let artwork = self.release.artwork.as_ref().ok_or_else(Vec::new)?;
        let line = |line: &Option<String>, field: &str| {
            line.as_deref()
                .and_then(|l| RightsLine::parse(field, l).ok())
        };
        let (Some(p_line), Some(c_line)) =
            (line(&fields.p_line, "pLine"), line(&fields.c_line, "cLine"))
        else {
            return Err(Vec::new());
        };
        let upc = Upc::parse("upc", self.upc()).map_err(|_| Vec::new())?;
        let display_artist = self
            .release
            .artist_name
            .clone()
            .unwrap_or_else(|| self.release.album.name.clone());
        let total_ms: u64 = self
            .tracks
            .iter()
            .filter_map(|t| t.audio.as_ref().map(|a| a.details().duration_ms()))
            .sum();
        let release_type = fields
            .release_type
            .as_deref()
            .and_then(|t| ReleaseType::parse("releaseType", t).ok())
            .unwrap_or_else(|| ReleaseType::derive(self.tracks.len(), total_ms));
        let mut tracks = Vec::with_capacity(self.tracks.len());
        for track in &self.tracks {
            let (Some(isrc), Some(audio)) = (
                track
                    .fields
                    .isrc
                    .as_deref()
                    .and_then(|i| Isrc::parse("isrc", i).ok()),
                track.audio.as_ref(),
            ) else {
                return Err(Vec::new());
            };
            let details = audio.details();
            tracks.push(ddex::Track {
                audio: ddex::AudioFile {
                    uri: format!("resources/{}.{}", isrc.as_str(), details.format.as_str()),
                    details,
                    md5: audio.md5.clone(),
                },
                isrc,
                title: track.title.clone(),
                display_artist: if track.performer.trim().is_empty() {
                    display_artist.clone()
                } else {
                    track.performer.clone()
                },
                contributors: contributors(track),
                explicit: track.fields.explicit,
                disc: u32::try_from(track.fields.disc_number.unwrap_or(1)).unwrap_or(1),
                number: u32::try_from(track.fields.track_number.unwrap_or(0)).unwrap_or(0),
                p_line: p_line.clone(),
            });
        }
        let details = artwork.details();
        Ok(ddex::Release {
            id: self.release.album.id.to_string(),
            artwork: ddex::Artwork {
                uri: format!(
                    "resources/{}.{}",
                    upc.as_str(),
                    image_extension(details.format)
                ),
                details,
                md5: artwork.md5.clone(),
            },
            upc,
            title: self.release.album.name.clone(),
            display_artist,
            label: fields.label.clone().unwrap_or_default(),
            genre: fields.genre.clone().unwrap_or_default(),
            release_type,
            release_date: fields.release_date.unwrap_or_default(),
            original_release_date: fields.original_release_date,
            p_line,
            c_line,
            territories: Territories::parse("territories", &fields.territories).unwrap_or_default(),
            deals_start,
            tracks,
        })
    }

    /// The package for one message to one platform: the XML, every audio file, the artwork.
    pub fn package(&self, message: &ReleaseMessage<'_>) -> Package {
        let release = message.release;
        let xml = ddex::new_release_message(message);
        let mut package = Package::new(format!("{}_{}", release.upc.as_str(), message.message_id))
            .with_bytes(format!("{}.xml", release.upc.as_str()), xml);
        for (track, row) in release.tracks.iter().zip(&self.tracks) {
            if let Some(audio) = &row.audio {
                package = package.with_stored(
                    track.audio.uri.clone(),
                    audio.storage_key.clone(),
                    audio.sha256.clone(),
                );
            }
        }
        if let Some(artwork) = &self.release.artwork {
            package = package.with_stored(
                release.artwork.uri.clone(),
                artwork.storage_key.clone(),
                artwork.sha256.clone(),
            );
        }
        package
    }
}

fn image_extension(format: ImageFormat) -> &'static str {
    match format {
        ImageFormat::Png => "png",
        _ => "jpg",
    }
}

/// backbeat as the sender of every message.
pub fn sender(ctx: &Context) -> Party {
    Party {
        dpid: ctx.settings.distribution.sender_party_id.clone(),
        name: ctx.settings.distribution.sender_name.clone(),
    }
}

pub fn recipient(platform: &Platform) -> Party {
    Party {
        dpid: platform.party_id.clone(),
        name: platform.name.clone(),
    }
}

/// The configured SFTP key's public half (an `authorized_keys` line) and fingerprint; `None` when
/// none is configured. An error names the setting and why the key cannot be used, so that a
/// worker says so when it starts rather than at its first SFTP delivery.
pub fn sftp_public_key(
    settings: &backbeat_config::Settings,
) -> std::result::Result<Option<(String, String)>, String> {
    let Some(path) = settings.distribution.sftp_key() else {
        return Ok(None);
    };
    backbeat_delivery::sftp_public_key(path)
        .map(Some)
        .map_err(|e| format!("distribution.sftp_key_path: {e}"))
}

/// The lock file, in the delivery root, that paced workers take turns with.
const TURNS: &str = ".write.lock";

/// How packages reach the platform: its SFTP server, or its drop folder under the delivery root.
/// `spacing` spreads a batch's writes to a local folder (see [`DropFolder::spaced`]).
pub fn delivery(
    ctx: &Context,
    platform: &Platform,
    spacing: Option<Duration>,
) -> Box<dyn Delivery> {
    let settings = &ctx.settings.distribution;
    if platform.delivery_method == "sftp" {
        let target = SftpTarget {
            host: platform.sftp_host.clone().unwrap_or_default(),
            port: u16::try_from(platform.sftp_port).unwrap_or(22),
            username: platform.sftp_username.clone().unwrap_or_default(),
            folder: platform.delivery_folder.clone(),
            host_key: platform.sftp_host_key.clone().unwrap_or_default(),
        };
        let key = settings.sftp_key().map(PathBuf::from);
        return Box::new(Sftp::new(target, key, ctx.storage.clone(), settings.fsync));
    }
    let folder = platform
        .delivery_folder
        .as_deref()
        .unwrap_or(&platform.code);
    let root = PathBuf::from(&settings.delivery_root);
    let folder = DropFolder::new(root.join(folder), ctx.storage.clone(), settings.fsync);
    // Paced workers share the machine with the API: they also take turns at the file system.
    // Unpaced ones (machines of their own) need not, even on a delivery root they share.
    Box::new(match spacing {
        Some(spacing) => folder.spaced(spacing).taking_turns(root.join(TURNS)),
        None => folder,
    })
}
