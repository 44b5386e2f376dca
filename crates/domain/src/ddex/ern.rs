//! ERN 4.3 `NewReleaseMessage`: header, parties, resources (one sound recording per track, the
//! artwork), the release and its deals. Element order follows the schema; references are
//! numbered in track order, so the output depends only on the inputs.

use std::io;

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesText, Event};

use crate::codes::{Isrc, Upc};
use crate::media::{ArtworkDetails, AudioDetails, AudioFormat, ImageFormat};
use crate::release::{Contributor, ContributorRole, ReleaseType, RightsLine};
use crate::territories::Territories;

const NAMESPACE: &str = "http://ddex.net/xml/ern/43";
const SCHEMA_LOCATION: &str =
    "http://ddex.net/xml/ern/43 http://ddex.net/xml/ern/43/release-notification.xsd";
const WORLDWIDE: (&str, &str) = ("ApplicableTerritoryCode", "Worldwide");

/// A party of the message header: a DDEX party id (`PADPIDA...`) and a name.
#[derive(Debug, Clone)]
pub struct Party {
    pub dpid: String,
    pub name: String,
}

#[derive(Debug, Clone)]
pub struct AudioFile {
    /// Where the file is in the package (`resources/...`).
    pub uri: String,
    pub details: AudioDetails,
    pub md5: String,
}

#[derive(Debug, Clone)]
pub struct Artwork {
    pub uri: String,
    pub details: ArtworkDetails,
    pub md5: String,
}

#[derive(Debug, Clone)]
pub struct Track {
    pub isrc: Isrc,
    pub title: String,
    pub display_artist: String,
    /// Besides the display artist.
    pub contributors: Vec<Contributor>,
    pub explicit: bool,
    pub disc: u32,
    pub number: u32,
    pub p_line: RightsLine,
    pub audio: AudioFile,
}

#[derive(Debug, Clone)]
pub struct Release {
    /// backbeat's id of the release, sent as the artwork's proprietary id.
    pub id: String,
    pub upc: Upc,
    pub title: String,
    pub display_artist: String,
    pub label: String,
    pub genre: String,
    pub release_type: ReleaseType,
    pub release_date: NaiveDate,
    pub original_release_date: Option<NaiveDate>,
    pub p_line: RightsLine,
    pub c_line: RightsLine,
    pub territories: Territories,
    /// When the deals start (the distribution's release time).
    pub deals_start: DateTime<Utc>,
    /// Sorted by disc, then track number.
    pub tracks: Vec<Track>,
    pub artwork: Artwork,
}

/// One message to one platform.
#[derive(Debug, Clone)]
pub struct ReleaseMessage<'a> {
    pub message_id: &'a str,
    /// Every message about one distribution shares a thread.
    pub thread_id: &'a str,
    pub created_at: DateTime<Utc>,
    pub sender: &'a Party,
    pub recipient: &'a Party,
    pub release: &'a Release,
    /// `Some`: a takedown; the deals end at this time.
    pub deals_end: Option<DateTime<Utc>>,
    /// A test message (`MessageControlType` TestMessage): a platform in onboarding checks it
    /// but puts nothing on sale.
    pub test: bool,
}

pub(super) fn date_time(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

pub(super) fn text<W: io::Write>(w: &mut Writer<W>, name: &str, value: &str) -> io::Result<()> {
    w.create_element(name)
        .write_text_content(BytesText::new(value))?;
    Ok(())
}

fn text_with<W: io::Write>(
    w: &mut Writer<W>,
    name: &str,
    attributes: &[(&str, &str)],
    value: &str,
) -> io::Result<()> {
    w.create_element(name)
        .with_attributes(attributes.iter().copied())
        .write_text_content(BytesText::new(value))?;
    Ok(())
}

/// Party references by name, in order of first appearance: the display artists, the other
/// contributors, the label.
struct Parties(Vec<String>);

impl Parties {
    fn of(release: &Release) -> Self {
        let mut names: Vec<String> = vec![release.display_artist.clone()];
        let mut add = |name: &str| {
            if !names.iter().any(|n| n == name) {
                names.push(name.to_owned());
            }
        };
        for track in &release.tracks {
            add(&track.display_artist);
            for contributor in &track.contributors {
                add(&contributor.name);
            }
        }
        add(&release.label);
        Self(names)
    }

    fn reference(&self, name: &str) -> String {
        let index = self.0.iter().position(|n| n == name).unwrap_or(0);
        format!("P{}", index + 1)
    }
}

pub(super) fn party_header<W: io::Write>(
    w: &mut Writer<W>,
    element: &str,
    party: &Party,
) -> io::Result<()> {
    w.create_element(element).write_inner_content(|w| {
        text(w, "PartyId", &party.dpid)?;
        w.create_element("PartyName")
            .write_inner_content(|w| text(w, "FullName", &party.name))?;
        Ok(())
    })?;
    Ok(())
}

fn rights_line<W: io::Write>(
    w: &mut Writer<W>,
    element: &str,
    line: &RightsLine,
) -> io::Result<()> {
    let text_element = format!("{element}Text");
    w.create_element(element).write_inner_content(|w| {
        text(w, "Year", &line.year.to_string())?;
        text(w, &text_element, &line.text)
    })?;
    Ok(())
}

fn title<W: io::Write>(w: &mut Writer<W>, value: &str) -> io::Result<()> {
    text(w, "DisplayTitleText", value)?;
    w.create_element("DisplayTitle")
        .with_attribute(WORLDWIDE)
        .write_inner_content(|w| text(w, "TitleText", value))?;
    Ok(())
}

fn display_artists<W: io::Write>(
    w: &mut Writer<W>,
    parties: &Parties,
    main: &str,
    featured: &[&Contributor],
) -> io::Result<()> {
    let mut line = main.to_owned();
    if !featured.is_empty() {
        let names: Vec<&str> = featured.iter().map(|c| c.name.as_str()).collect();
        line.push_str(&format!(" feat. {}", names.join(", ")));
    }
    text_with(w, "DisplayArtistName", &[WORLDWIDE], &line)?;
    let credited = std::iter::once((main, "MainArtist"))
        .chain(featured.iter().map(|c| (c.name.as_str(), "FeaturedArtist")));
    for (sequence, (name, role)) in credited.enumerate() {
        w.create_element("DisplayArtist")
            .with_attribute(("SequenceNumber", (sequence + 1).to_string().as_str()))
            .write_inner_content(|w| {
                text(w, "ArtistPartyReference", &parties.reference(name))?;
                text(w, "DisplayArtistRole", role)
            })?;
    }
    Ok(())
}

fn contributor_role(role: ContributorRole) -> &'static str {
    match role {
        ContributorRole::MainArtist | ContributorRole::FeaturedArtist => "Artist",
        ContributorRole::Composer => "Composer",
        ContributorRole::Lyricist => "Lyricist",
        ContributorRole::ComposerLyricist => "ComposerLyricist",
        ContributorRole::Producer => "StudioProducer",
        ContributorRole::Mixer => "Mixer",
        ContributorRole::Arranger => "Arranger",
    }
}

fn parental_warning(explicit: bool) -> &'static str {
    if explicit { "Explicit" } else { "NotExplicit" }
}

fn hash_sum<W: io::Write>(w: &mut Writer<W>, md5: &str) -> io::Result<()> {
    w.create_element("HashSum").write_inner_content(|w| {
        text(w, "Algorithm", "MD5")?;
        text(w, "HashSumValue", md5)
    })?;
    Ok(())
}

fn sampling_rate_khz(hz: u32) -> String {
    let khz = format!("{:.3}", f64::from(hz) / 1000.0);
    khz.trim_end_matches('0').trim_end_matches('.').to_owned()
}

fn sound_recording<W: io::Write>(
    w: &mut Writer<W>,
    parties: &Parties,
    index: usize,
    track: &Track,
) -> io::Result<()> {
    w.create_element("SoundRecording")
        .write_inner_content(|w| {
            text(w, "ResourceReference", &format!("A{}", index + 1))?;
            text(w, "Type", "MusicalWorkSoundRecording")?;
            w.create_element("SoundRecordingEdition")
                .write_inner_content(|w| {
                    w.create_element("ResourceId")
                        .write_inner_content(|w| text(w, "ISRC", track.isrc.as_str()))?;
                    rights_line(w, "PLine", &track.p_line)?;
                    w.create_element("TechnicalDetails")
                        .write_inner_content(|w| {
                            text(
                                w,
                                "TechnicalResourceDetailsReference",
                                &format!("T{}", index + 1),
                            )?;
                            w.create_element("DeliveryFile").write_inner_content(|w| {
                                let audio = &track.audio.details;
                                text(w, "Type", "AudioFile")?;
                                let codec = match audio.format {
                                    AudioFormat::Wav => "PCM",
                                    AudioFormat::Flac => "FLAC",
                                };
                                text(w, "AudioCodecType", codec)?;
                                text(w, "NumberOfChannels", &audio.channels.to_string())?;
                                text_with(
                                    w,
                                    "SamplingRate",
                                    &[("UnitOfMeasure", "kHz")],
                                    &sampling_rate_khz(audio.sample_rate),
                                )?;
                                text(w, "BitsPerSample", &audio.bit_depth.to_string())?;
                                w.create_element("File").write_inner_content(|w| {
                                    text(w, "URI", &track.audio.uri)?;
                                    hash_sum(w, &track.audio.md5)
                                })?;
                                Ok(())
                            })?;
                            Ok(())
                        })?;
                    Ok(())
                })?;
            title(w, &track.title)?;
            let featured: Vec<&Contributor> = track
                .contributors
                .iter()
                .filter(|c| c.role == ContributorRole::FeaturedArtist)
                .collect();
            display_artists(w, parties, &track.display_artist, &featured)?;
            let credits = track
                .contributors
                .iter()
                .filter(|c| c.role != ContributorRole::FeaturedArtist);
            for (sequence, contributor) in credits.enumerate() {
                w.create_element("Contributor")
                    .with_attribute(("SequenceNumber", (sequence + 1).to_string().as_str()))
                    .write_inner_content(|w| {
                        text(
                            w,
                            "ContributorPartyReference",
                            &parties.reference(&contributor.name),
                        )?;
                        text(w, "Role", contributor_role(contributor.role))
                    })?;
            }
            text(
                w,
                "Duration",
                &super::iso8601(track.audio.details.duration_ms()),
            )?;
            text(w, "ParentalWarningType", parental_warning(track.explicit))?;
            Ok(())
        })?;
    Ok(())
}

fn image<W: io::Write>(
    w: &mut Writer<W>,
    sender: &Party,
    index: usize,
    release: &Release,
) -> io::Result<()> {
    let artwork = &release.artwork;
    w.create_element("Image").write_inner_content(|w| {
        text(w, "ResourceReference", &format!("A{}", index + 1))?;
        text(w, "Type", "FrontCoverImage")?;
        w.create_element("ResourceId").write_inner_content(|w| {
            text_with(
                w,
                "ProprietaryId",
                &[("Namespace", &sender.dpid)],
                &release.id,
            )
        })?;
        w.create_element("TechnicalDetails")
            .write_inner_content(|w| {
                text(
                    w,
                    "TechnicalResourceDetailsReference",
                    &format!("T{}", index + 1),
                )?;
                let codec = match artwork.details.format {
                    ImageFormat::Png => "PNG",
                    _ => "JPEG",
                };
                text(w, "ImageCodecType", codec)?;
                let pixel = [("UnitOfMeasure", "Pixel")];
                text_with(
                    w,
                    "ImageHeight",
                    &pixel,
                    &artwork.details.height.to_string(),
                )?;
                text_with(w, "ImageWidth", &pixel, &artwork.details.width.to_string())?;
                w.create_element("File").write_inner_content(|w| {
                    text(w, "URI", &artwork.uri)?;
                    hash_sum(w, &artwork.md5)
                })?;
                Ok(())
            })?;
        Ok(())
    })?;
    Ok(())
}

fn release_element<W: io::Write>(
    w: &mut Writer<W>,
    parties: &Parties,
    release: &Release,
) -> io::Result<()> {
    let image_reference = format!("A{}", release.tracks.len() + 1);
    w.create_element("Release").write_inner_content(|w| {
        text(w, "ReleaseReference", "R0")?;
        text(w, "ReleaseType", release.release_type.as_str())?;
        w.create_element("ReleaseId")
            .write_inner_content(|w| text(w, "ICPN", release.upc.as_str()))?;
        title(w, &release.title)?;
        display_artists(w, parties, &release.display_artist, &[])?;
        text_with(
            w,
            "ReleaseLabelReference",
            &[WORLDWIDE],
            &parties.reference(&release.label),
        )?;
        rights_line(w, "PLine", &release.p_line)?;
        rights_line(w, "CLine", &release.c_line)?;
        let total: u64 = release
            .tracks
            .iter()
            .map(|t| t.audio.details.duration_ms())
            .sum();
        text(w, "Duration", &super::iso8601(total))?;
        w.create_element("Genre")
            .with_attribute(WORLDWIDE)
            .write_inner_content(|w| text(w, "GenreText", &release.genre))?;
        text_with(
            w,
            "ReleaseDate",
            &[WORLDWIDE],
            &release.release_date.to_string(),
        )?;
        if let Some(original) = release.original_release_date {
            text_with(
                w,
                "OriginalReleaseDate",
                &[WORLDWIDE],
                &original.to_string(),
            )?;
        }
        let explicit = release.tracks.iter().any(|t| t.explicit);
        text(w, "ParentalWarningType", parental_warning(explicit))?;
        let mut discs: Vec<u32> = release.tracks.iter().map(|t| t.disc).collect();
        discs.dedup();
        // One group for the release; with several discs, one nested group per disc.
        w.create_element("ResourceGroup").write_inner_content(|w| {
            text(w, "SequenceNumber", "1")?;
            if discs.len() == 1 {
                content_items(w, release, discs[0])?;
            } else {
                for (disc_index, disc) in discs.iter().enumerate() {
                    w.create_element("ResourceGroup")
                        .with_attribute(("ResourceGroupType", "Component"))
                        .write_inner_content(|w| {
                            text(w, "SequenceNumber", &(disc_index + 1).to_string())?;
                            content_items(w, release, *disc)
                        })?;
                }
            }
            text(w, "LinkedReleaseResourceReference", &image_reference)
        })?;
        Ok(())
    })?;
    Ok(())
}

fn content_items<W: io::Write>(w: &mut Writer<W>, release: &Release, disc: u32) -> io::Result<()> {
    let on_disc = release
        .tracks
        .iter()
        .enumerate()
        .filter(|(_, t)| t.disc == disc);
    for (sequence, (index, _)) in on_disc.enumerate() {
        w.create_element("ResourceGroupContentItem")
            .write_inner_content(|w| {
                text(w, "SequenceNumber", &(sequence + 1).to_string())?;
                text(w, "ReleaseResourceReference", &format!("A{}", index + 1))
            })?;
    }
    Ok(())
}

/// Streaming (subscription and ad-supported) and download deals for the release's territories,
/// from its release time; a takedown ends them.
fn deals<W: io::Write>(
    w: &mut Writer<W>,
    release: &Release,
    deals_end: Option<DateTime<Utc>>,
) -> io::Result<()> {
    let kinds: [(&[&str], &[&str]); 2] = [
        (
            &["SubscriptionModel", "AdvertisementSupportedModel"],
            &["OnDemandStream", "NonInteractiveStream"],
        ),
        (&["PayAsYouGoModel"], &["PermanentDownload"]),
    ];
    w.create_element("ReleaseDeal").write_inner_content(|w| {
        text(w, "DealReleaseReference", "R0")?;
        for (models, uses) in kinds {
            w.create_element("Deal").write_inner_content(|w| {
                w.create_element("DealTerms").write_inner_content(|w| {
                    match &release.territories {
                        Territories::Worldwide => text(w, "TerritoryCode", "Worldwide")?,
                        Territories::Only(codes) => {
                            for code in codes {
                                text(w, "TerritoryCode", code)?;
                            }
                        }
                        Territories::Except(codes) => {
                            for code in codes {
                                text(w, "ExcludedTerritoryCode", code)?;
                            }
                        }
                    }
                    w.create_element("ValidityPeriod")
                        .write_inner_content(|w| {
                            text(w, "StartDateTime", &date_time(release.deals_start))?;
                            if let Some(end) = deals_end {
                                text(w, "EndDateTime", &date_time(end))?;
                            }
                            Ok(())
                        })?;
                    for model in models {
                        text(w, "CommercialModelType", model)?;
                    }
                    for use_type in uses {
                        text(w, "UseType", use_type)?;
                    }
                    Ok(())
                })?;
                Ok(())
            })?;
        }
        Ok(())
    })?;
    Ok(())
}

/// The message, as UTF-8 XML.
pub fn new_release_message(message: &ReleaseMessage<'_>) -> Vec<u8> {
    let mut w = Writer::new_with_indent(Vec::with_capacity(16 * 1024), b' ', 2);
    write(&mut w, message).expect("writing XML to memory cannot fail");
    let mut bytes = w.into_inner();
    bytes.push(b'\n');
    bytes
}

fn write<W: io::Write>(w: &mut Writer<W>, message: &ReleaseMessage<'_>) -> io::Result<()> {
    let release = message.release;
    let parties = Parties::of(release);
    w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    w.create_element("ern:NewReleaseMessage")
        .with_attributes([
            ("xmlns:ern", NAMESPACE),
            ("xmlns:xsi", "http://www.w3.org/2001/XMLSchema-instance"),
            ("xsi:schemaLocation", SCHEMA_LOCATION),
            ("ReleaseProfileVersionId", "Audio"),
            ("LanguageAndScriptCode", "en"),
            ("AvsVersionId", "3"),
        ])
        .write_inner_content(|w| {
            w.create_element("MessageHeader").write_inner_content(|w| {
                text(w, "MessageThreadId", message.thread_id)?;
                text(w, "MessageId", message.message_id)?;
                party_header(w, "MessageSender", message.sender)?;
                party_header(w, "MessageRecipient", message.recipient)?;
                text(w, "MessageCreatedDateTime", &date_time(message.created_at))?;
                text(
                    w,
                    "MessageControlType",
                    if message.test {
                        "TestMessage"
                    } else {
                        "LiveMessage"
                    },
                )
            })?;
            w.create_element("PartyList").write_inner_content(|w| {
                for (index, name) in parties.0.iter().enumerate() {
                    w.create_element("Party").write_inner_content(|w| {
                        text(w, "PartyReference", &format!("P{}", index + 1))?;
                        w.create_element("PartyName")
                            .write_inner_content(|w| text(w, "FullName", name))?;
                        Ok(())
                    })?;
                }
                Ok(())
            })?;
            w.create_element("ResourceList").write_inner_content(|w| {
                for (index, track) in release.tracks.iter().enumerate() {
                    sound_recording(w, &parties, index, track)?;
                }
                image(w, message.sender, release.tracks.len(), release)
            })?;
            w.create_element("ReleaseList")
                .write_inner_content(|w| release_element(w, &parties, release))?;
            w.create_element("DealList")
                .write_inner_content(|w| deals(w, release, message.deals_end))?;
            Ok(())
        })?;
    Ok(())
}
