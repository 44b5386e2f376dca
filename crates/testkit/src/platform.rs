//! A streaming platform's side of DDEX's ECHO batch choreography, for the tests: it takes the
//! batches a `BatchComplete_{batchId}.xml` closed in its delivery folder (the SFTP server's
//! folder or a drop folder, read on disk), checks each one as a platform would (every message
//! listed is there with the checksum the manifest gives, every package's files match its
//! `manifest.sha256`, nothing in the batch is unlisted) and writes back an
//! `ErnAcknowledgementStatusMessage` per batch into `acknowledgements/`, as the platform decides:
//! ingested, rejected with a reason, or a malformed file.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesText, Event};
use sha2::{Digest, Sha256};

use crate::ddex::texts;

/// One message of a batch, as the platform read it.
#[derive(Debug, Clone)]
pub struct Received {
    pub message_id: String,
    pub icpn: String,
    /// `NewReleaseDelivery`, `ReDelivery` (an update) or `TakeDown`, as the manifest says.
    pub delivery_type: String,
    /// The package's folder.
    pub package: PathBuf,
    /// The message itself.
    pub xml: Vec<u8>,
}

#[derive(Debug, Clone)]
pub struct Batch {
    pub id: String,
    pub folder: PathBuf,
    pub messages: Vec<Received>,
    pub test: bool,
}

/// What the platform answers about one message.
#[derive(Debug, Clone)]
pub enum Answer {
    Ingested,
    Rejected { code: String, text: String },
}

pub struct StandIn {
    folder: PathBuf,
    answered: BTreeSet<String>,
}

fn sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

impl StandIn {
    /// The platform reading `folder` (where packages arrive; acknowledgements go beside them).
    pub fn new(folder: impl Into<PathBuf>) -> Self {
        Self {
            folder: folder.into(),
            answered: BTreeSet::new(),
        }
    }

    pub fn acknowledgements(&self) -> PathBuf {
        self.folder.join("acknowledgements")
    }

    /// Every batch folder there is, complete or not.
    pub fn batch_folders(&self) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(&self.folder)
            .map(|entries| {
                entries
                    .map(|e| e.expect("entry"))
                    .filter(|e| e.file_type().expect("type").is_dir())
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .filter(|n| n.bytes().all(|b| b.is_ascii_digit()))
                    .collect()
            })
            .unwrap_or_default();
        names.sort();
        names
    }

    /// The complete batches not taken yet, each checked whole; panics at the first problem, which
    /// is what a platform would reject the batch for.
    pub fn take_batches(&mut self) -> Vec<Batch> {
        let mut taken = Vec::new();
        for id in self.batch_folders() {
            if self.answered.contains(&id) {
                continue;
            }
            let folder = self.folder.join(&id);
            let manifest_path = folder.join(format!("BatchComplete_{id}.xml"));
            let Ok(manifest) = std::fs::read(&manifest_path) else {
                continue;
            };
            taken.push(check(&id, &folder, &manifest));
            self.answered.insert(id);
        }
        taken
    }

    /// Writes the acknowledgement of a batch, one release status per message, atomically (as a
    /// platform should: written aside, then renamed).
    pub fn answer(&self, batch: &Batch, answer: impl Fn(&Received) -> Answer) -> PathBuf {
        let xml = acknowledgement(&format!("ACK-{}", batch.id), batch, answer);
        self.write(&format!("ACK_{}.xml", batch.id), &xml)
    }

    /// Writes a file into the acknowledgement folder, atomically.
    pub fn write(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let folder = self.acknowledgements();
        std::fs::create_dir_all(&folder).expect("acknowledgement folder");
        let temporary = folder.join(format!(".{name}.tmp"));
        std::fs::write(&temporary, bytes).expect("write acknowledgement");
        let path = folder.join(name);
        std::fs::rename(&temporary, &path).expect("place acknowledgement");
        path
    }
}

/// A batch as a platform checks it before ingesting.
fn check(id: &str, folder: &Path, manifest: &[u8]) -> Batch {
    assert_eq!(texts(manifest, "RootDirectory"), [id], "batch {id}");
    let ids = texts(manifest, "MessageId");
    // The header's own id comes first.
    let message_ids = &ids[1..];
    let urls = texts(manifest, "URL");
    let icpns = texts(manifest, "ICPN");
    let types = texts(manifest, "DeliveryType");
    let sums: Vec<String> = texts(manifest, "HashSum")
        .into_iter()
        .filter(|s| !s.trim().is_empty())
        .collect();
    let count: usize = texts(manifest, "NumberOfMessages")[0]
        .parse()
        .expect("NumberOfMessages");
    assert_eq!(
        (message_ids.len(), urls.len(), icpns.len(), sums.len()),
        (count, count, count, count),
        "batch {id}: the manifest lists {count} messages"
    );
    let mut messages = Vec::new();
    let mut listed = BTreeSet::new();
    assert_eq!(types.len(), count, "batch {id}: a DeliveryType per message");
    for ((((message_id, url), icpn), sum), delivery_type) in message_ids
        .iter()
        .zip(&urls)
        .zip(&icpns)
        .zip(&sums)
        .zip(&types)
    {
        let xml = std::fs::read(folder.join(url))
            .unwrap_or_else(|e| panic!("batch {id}: {url} is listed but missing: {e}"));
        assert_eq!(&sha256(&xml), sum, "batch {id}: {url} checksum");
        assert_eq!(
            texts(&xml, "MessageId"),
            std::slice::from_ref(message_id),
            "{url}"
        );
        let (package, _) = url.split_once('/').expect("package/xml");
        let package = folder.join(package);
        check_package(&package);
        assert!(
            listed.insert(package.clone()),
            "batch {id}: {url} listed twice"
        );
        messages.push(Received {
            message_id: message_id.clone(),
            icpn: icpn.clone(),
            delivery_type: delivery_type.clone(),
            package,
            xml,
        });
    }
    for entry in std::fs::read_dir(folder).expect("batch folder") {
        let entry = entry.expect("entry");
        if entry.file_type().expect("type").is_dir() {
            assert!(
                listed.contains(&entry.path()),
                "batch {id}: {:?} is not in the manifest",
                entry.file_name()
            );
        }
    }
    Batch {
        id: id.to_owned(),
        folder: folder.to_path_buf(),
        messages,
        test: texts(manifest, "IsTestFlag") == ["true"],
    }
}

/// Every file of the package matches its `manifest.sha256`, and no file is unlisted.
fn check_package(package: &Path) {
    let manifest = std::fs::read_to_string(package.join("manifest.sha256"))
        .unwrap_or_else(|e| panic!("{}: no manifest.sha256: {e}", package.display()));
    let mut files = 0;
    for line in manifest.lines() {
        let (sum, path) = line.split_once("  ").expect("sha256sum line");
        let bytes = std::fs::read(package.join(path))
            .unwrap_or_else(|e| panic!("{}/{path} missing: {e}", package.display()));
        assert_eq!(sha256(&bytes), sum, "{}/{path}", package.display());
        files += 1;
    }
    let mut on_disk = 0;
    let mut folders = vec![package.to_path_buf()];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(folder).expect("package folder") {
            let entry = entry.expect("entry");
            if entry.file_type().expect("type").is_dir() {
                folders.push(entry.path());
            } else if entry.file_name() != "manifest.sha256" {
                on_disk += 1;
            }
        }
    }
    assert_eq!(
        on_disk,
        files,
        "{}: files not in its manifest",
        package.display()
    );
}

fn text(w: &mut Writer<Vec<u8>>, name: &str, value: &str) -> std::io::Result<()> {
    w.create_element(name)
        .write_text_content(BytesText::new(value))?;
    Ok(())
}

/// An `ErnAcknowledgementStatusMessage` about the batch's messages.
pub fn acknowledgement(
    message_id: &str,
    batch: &Batch,
    answer: impl Fn(&Received) -> Answer,
) -> Vec<u8> {
    let mut w = Writer::new_with_indent(Vec::new(), b' ', 2);
    w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))
        .expect("xml");
    w.create_element("ern-c-sftp:ErnAcknowledgementStatusMessage")
        .with_attributes([
            ("xmlns:ern-c-sftp", "http://ddex.net/xml/ern-c-sftp/17"),
            ("MessageSchemaVersionId", "1.7"),
        ])
        .write_inner_content(|w| {
            w.create_element("MessageHeader").write_inner_content(|w| {
                text(w, "MessageId", message_id)?;
                text(w, "MessageCreatedDateTime", "2026-12-07T12:00:00Z")
            })?;
            for message in &batch.messages {
                let answer = answer(message);
                w.create_element("ReleaseStatus").write_inner_content(|w| {
                    w.create_element("ReleaseId")
                        .write_inner_content(|w| text(w, "ICPN", &message.icpn))?;
                    match &answer {
                        Answer::Ingested => text(w, "ReleaseStatus", "Ingested")?,
                        Answer::Rejected { code, text: why } => {
                            text(w, "ReleaseStatus", code)?;
                            text(w, "ErrorText", why)?;
                        }
                    }
                    w.create_element("Acknowledgement")
                        .write_inner_content(|w| {
                            text(
                                w,
                                "MessageType",
                                if batch.test {
                                    "TestMessage"
                                } else {
                                    "LiveMessage"
                                },
                            )?;
                            text(w, "BatchId", &batch.id)?;
                            text(w, "MessageId", &message.message_id)?;
                            w.create_element("MessageStatus")
                                .write_inner_content(|w| text(w, "Status", "FileOK"))?;
                            Ok(())
                        })?;
                    Ok(())
                })?;
            }
            Ok(())
        })
        .expect("xml");
    w.into_inner()
}
