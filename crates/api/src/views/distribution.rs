//! Artists, platforms, readiness, uploaded masters, distributions and bulk items.

use backbeat_db::artists::Artist;
use backbeat_db::distributions::Event;
use backbeat_db::job_items::Item;
use backbeat_db::media::{Artwork, AudioFile};
use backbeat_db::platforms::Platform;
use backbeat_domain::ddex::iso8601;
use backbeat_domain::distribution::DistributionStatus;
use backbeat_domain::readiness::Problem;
use backbeat_services::distribution::{Created, WithHistory};
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ArtistCreated {
    #[schema(example = "artist-Qbax5Oy7L8WKf74l")]
    pub artist_id: String,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ArtistView {
    pub id: String,
    pub name: String,
    pub bio: Option<String>,
    pub external_urls: Vec<String>,
    /// Set by the verification flow, never by the owner.
    pub verified: bool,
    pub created_at: DateTime<Utc>,
}

impl From<Artist> for ArtistView {
    fn from(a: Artist) -> Self {
        Self {
            id: a.id.into_inner(),
            name: a.name,
            bio: a.bio,
            external_urls: a.external_urls,
            verified: a.verified,
            created_at: a.created_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ArtistData {
    pub artist: ArtistView,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ArtistList {
    pub artists: Vec<ArtistView>,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeliveryView {
    /// `folder` (the platform's drop folder) or `sftp` (its SFTP server).
    #[schema(example = "folder")]
    pub method: String,
    /// `release_by_release`: each package is announced by appearing whole; `batch` (DDEX ECHO's
    /// batch profile): packages go into a folder named by the batch's creation time, closed by
    /// `BatchComplete_{batchId}.xml`.
    #[schema(example = "batch")]
    pub profile: String,
    /// Releases per batch at most (batch profile).
    #[schema(example = 100)]
    pub batch_max_releases: i32,
    /// Admins only: where exactly packages go.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub settings: Option<DeliverySettingsView>,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeliverySettingsView {
    /// As set: `null` is the platform's code (folder) or the login directory (SFTP).
    pub folder: Option<String>,
    /// Where the platform writes its acknowledgements, under the delivery folder.
    #[schema(example = "acknowledgements")]
    pub acknowledgement_folder: String,
    /// The SFTP server, once described (kept when the method goes back to `folder`).
    pub sftp: Option<SftpView>,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SftpView {
    #[schema(example = "sftp.example.com")]
    pub host: String,
    #[schema(example = 22)]
    pub port: i32,
    #[schema(example = "backbeat")]
    pub username: String,
    /// The fingerprint the server's host key must have.
    #[schema(example = "SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s")]
    pub host_key: String,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PlatformView {
    pub id: String,
    #[schema(example = "spotify")]
    pub code: String,
    #[schema(example = "Spotify")]
    pub name: String,
    pub active: bool,
    /// In onboarding: everything sent to it is a test message.
    pub onboarding: bool,
    /// The platform's DDEX party id, the recipient of every message sent to it.
    #[schema(example = "PADPIDA2011072101T")]
    pub party_id: String,
    pub delivery: DeliveryView,
    /// The distributor's fee on this platform in basis points; `null`: the configured default.
    pub fee_bps: Option<i32>,
}

impl PlatformView {
    /// `settings`: whether the caller sees where its packages go (admins do).
    pub fn new(p: Platform, settings: bool) -> Self {
        let settings = settings.then_some(DeliverySettingsView {
            folder: p.delivery_folder,
            acknowledgement_folder: p.acknowledgement_folder,
            sftp: match (p.sftp_host, p.sftp_username, p.sftp_host_key) {
                (Some(host), Some(username), Some(host_key)) => Some(SftpView {
                    host,
                    port: p.sftp_port,
                    username,
                    host_key,
                }),
                _ => None,
            },
        });
        Self {
            id: p.id.into_inner(),
            code: p.code,
            name: p.name,
            active: p.active,
            onboarding: p.onboarding,
            party_id: p.party_id,
            delivery: DeliveryView {
                method: p.delivery_method,
                profile: p.delivery_profile,
                batch_max_releases: p.batch_max_releases,
                settings,
            },
            fee_bps: p.fee_bps,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PlatformList {
    pub platforms: Vec<PlatformView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PlatformData {
    pub platform: PlatformView,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PlatformCreated {
    pub platform_id: String,
    pub platform: PlatformView,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProblemView {
    #[schema(example = "UPC_MISSING")]
    pub code: String,
    #[schema(example = "upc")]
    pub field: String,
    pub message: String,
}

impl From<Problem> for ProblemView {
    fn from(p: Problem) -> Self {
        Self {
            code: p.code.to_owned(),
            field: p.field,
            message: p.message,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(as = ReleaseReadiness)]
pub struct Readiness {
    /// `true` when there are no problems.
    pub ready: bool,
    pub problems: Vec<ProblemView>,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AudioView {
    /// `wav` or `flac`.
    pub format: String,
    pub sample_rate: i32,
    pub bit_depth: i32,
    pub channels: i32,
    /// Exact: the frame count over the sample rate, in milliseconds.
    pub duration_ms: u64,
    /// ISO 8601, as delivered in DDEX messages.
    #[schema(example = "PT3M25.306S")]
    pub duration: String,
    pub bytes: i64,
    pub sha256: String,
}

impl From<AudioFile> for AudioView {
    fn from(a: AudioFile) -> Self {
        let duration_ms = a.details().duration_ms();
        Self {
            format: a.format,
            sample_rate: a.sample_rate,
            bit_depth: a.bit_depth,
            channels: a.channels,
            duration_ms,
            duration: iso8601(duration_ms),
            bytes: a.bytes,
            sha256: a.sha256,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AudioData {
    pub audio: AudioView,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ArtworkView {
    /// `jpeg` or `png`.
    pub format: String,
    pub width: i32,
    pub height: i32,
    pub bytes: i64,
    pub sha256: String,
}

impl From<Artwork> for ArtworkView {
    fn from(a: Artwork) -> Self {
        Self {
            format: a.format,
            width: a.width,
            height: a.height,
            bytes: a.bytes,
            sha256: a.sha256,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ArtworkData {
    pub artwork: ArtworkView,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct HistoryEntry {
    /// backbeat's status at that point.
    pub status: String,
    pub at: DateTime<Utc>,
    pub note: Option<String>,
    /// Set when the entry records what the platform said: `acknowledged`, `ingested` or
    /// `rejected` (the note is then the platform's reason).
    pub platform_status: Option<String>,
    /// The acknowledgement file the platform said it in.
    pub file: Option<String>,
}

impl From<Event> for HistoryEntry {
    fn from(e: Event) -> Self {
        Self {
            status: e.status.to_string(),
            at: e.at,
            note: e.note,
            platform_status: e.platform_status,
            file: e.file,
        }
    }
}

/// What the platform did with the release, from its latest acknowledgement.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PlatformStatusView {
    /// `acknowledged` (received, files fine), `ingested` or `rejected`.
    #[schema(example = "rejected")]
    pub status: String,
    pub at: DateTime<Utc>,
    /// A rejection's code, as the platform gave it.
    #[schema(example = "Rejected")]
    pub error_code: Option<String>,
    /// A rejection's reason, as the platform wrote it.
    pub error: Option<String>,
    /// The acknowledgement file it came from.
    #[schema(example = "ACK_20261207101500123.xml")]
    pub file: String,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DistributionView {
    pub id: String,
    pub album_id: String,
    pub platform_id: String,
    /// `scheduled`, `queued`, `delivering`, `delivered`, `taken_down`, `failed` or `cancelled`.
    #[schema(example = "delivered")]
    pub status: String,
    pub release_at: DateTime<Utc>,
    pub delivered_at: Option<DateTime<Utc>>,
    /// The DDEX message that delivered it, once delivered.
    pub message_id: Option<String>,
    pub error: Option<String>,
    /// The last job acting on it (delivery or takedown).
    pub job_id: Option<String>,
    /// What the platform said, once it acknowledged a message; `null` until then.
    pub platform_status: Option<PlatformStatusView>,
    pub history: Vec<HistoryEntry>,
}

impl From<WithHistory> for DistributionView {
    fn from(w: WithHistory) -> Self {
        let d = w.distribution;
        let delivered = matches!(
            d.status,
            DistributionStatus::Delivered | DistributionStatus::TakenDown
        );
        Self {
            id: d.id.into_inner(),
            album_id: d.album_id.into_inner(),
            platform_id: d.platform_id.into_inner(),
            status: d.status.to_string(),
            release_at: d.release_at,
            delivered_at: d.delivered_at,
            message_id: if delivered { d.message_id } else { None },
            error: d.error,
            job_id: d.job_id.map(String::from),
            platform_status: match (d.platform_status, d.platform_status_at, d.platform_file) {
                (Some(status), Some(at), Some(file)) => Some(PlatformStatusView {
                    status,
                    at,
                    error_code: d.platform_error_code,
                    error: d.platform_error,
                    file,
                }),
                _ => None,
            },
            history: w.history.into_iter().map(HistoryEntry::from).collect(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TestDeliveryStarted {
    pub distribution: DistributionStarted,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DistributionData {
    pub distribution: DistributionView,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DistributionList {
    pub distributions: Vec<DistributionView>,
}

impl From<Vec<WithHistory>> for DistributionList {
    fn from(list: Vec<WithHistory>) -> Self {
        Self {
            distributions: list.into_iter().map(DistributionView::from).collect(),
        }
    }
}

/// A distribution just created: `jobId` delivers it (`null` while scheduled).
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DistributionStarted {
    pub id: String,
    pub platform_id: String,
    #[schema(example = "queued")]
    pub status: String,
    pub job_id: Option<String>,
}

impl From<Created> for DistributionStarted {
    fn from(c: Created) -> Self {
        Self {
            id: c.distribution.id.into_inner(),
            platform_id: c.distribution.platform_id.into_inner(),
            status: c.distribution.status.to_string(),
            job_id: c.job_id.map(String::from),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DistributionsStarted {
    pub distributions: Vec<DistributionStarted>,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DistributionJob {
    pub distribution: DistributionView,
    pub job_id: String,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ItemView {
    pub seq: i32,
    pub album_id: String,
    pub platform_id: String,
    /// `delivered`, `failed`, `skipped`, or `null` while pending.
    pub outcome: Option<String>,
    pub distribution_id: Option<String>,
    pub message: Option<String>,
    /// The readiness problems of a release that was not ready.
    #[schema(value_type = Option<Vec<ProblemView>>)]
    pub problems: Option<serde_json::Value>,
    pub finished_at: Option<DateTime<Utc>>,
}

impl From<Item> for ItemView {
    fn from(i: Item) -> Self {
        Self {
            seq: i.seq,
            album_id: i.album_id.into_inner(),
            platform_id: i.platform_id.into_inner(),
            outcome: i.outcome,
            distribution_id: i.distribution_id.map(String::from),
            message: i.message,
            problems: i.problems,
            finished_at: i.finished_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ItemList {
    pub items: Vec<ItemView>,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AcknowledgementFileView {
    pub id: i64,
    pub platform_id: String,
    #[schema(example = "ACK_20261207101500123.xml")]
    pub name: String,
    pub sha256: String,
    pub received_at: DateTime<Utc>,
    /// The acknowledgement's own MessageId, when it could be read.
    pub message_id: Option<String>,
    /// `applied` or `refused`.
    #[schema(example = "refused")]
    pub outcome: String,
    /// A refusal's reason: `MALFORMED`, `UNKNOWN_MESSAGE`, `DUPLICATE` or `TOO_LARGE`.
    #[schema(example = "MALFORMED")]
    pub code: Option<String>,
    pub reason: Option<String>,
    /// Release statuses the file holds.
    pub releases: i32,
    /// The file as the platform wrote it (UTF-8; bytes that are not are replaced).
    pub content: String,
}

impl From<backbeat_db::acknowledgements::File> for AcknowledgementFileView {
    fn from(f: backbeat_db::acknowledgements::File) -> Self {
        Self {
            id: f.id,
            platform_id: f.platform_id.into_inner(),
            name: f.name,
            sha256: f.sha256,
            received_at: f.received_at,
            message_id: f.message_id,
            outcome: f.outcome,
            code: f.code,
            reason: f.reason,
            releases: f.releases,
            content: String::from_utf8_lossy(&f.content).into_owned(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AcknowledgementFiles {
    pub files: Vec<AcknowledgementFileView>,
}
