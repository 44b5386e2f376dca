//! The `ManifestMessage` that closes a batch (ECHO 1.7, SFTP and folder batch profile): written
//! as `BatchComplete_{batchId}.xml` in the batch's folder once every package in it is in place,
//! it lists each message with its file and checksum, so the platform can check the batch whole
//! before ingesting it.

use std::io;

use chrono::{DateTime, Utc};
use quick_xml::Writer;
use quick_xml::events::{BytesDecl, Event};

use super::Party;
use super::ern::{date_time, party_header, text};

const NAMESPACE: &str = "http://ddex.net/xml/ern-c-sftp/17";

/// What a message in a batch does, as ECHO's `DeliveryType` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryType {
    NewReleaseDelivery,
    /// A release sent again with corrected metadata or resources.
    ReDelivery,
    TakeDown,
}

impl DeliveryType {
    fn as_str(self) -> &'static str {
        match self {
            DeliveryType::NewReleaseDelivery => "NewReleaseDelivery",
            DeliveryType::ReDelivery => "ReDelivery",
            DeliveryType::TakeDown => "TakeDown",
        }
    }
}

#[derive(Debug, Clone)]
pub struct BatchMessage {
    pub message_id: String,
    /// The message's XML file, relative to the batch folder.
    pub url: String,
    /// The release's ICPN (its UPC).
    pub release_icpn: String,
    pub delivery_type: DeliveryType,
    /// Lower-case hex SHA-256 of the XML file.
    pub sha256: String,
}

#[derive(Debug, Clone)]
pub struct Manifest<'a> {
    pub batch_id: &'a str,
    pub created_at: DateTime<Utc>,
    pub sender: &'a Party,
    pub recipient: &'a Party,
    pub test: bool,
    pub messages: &'a [BatchMessage],
}

/// `BatchComplete_{batchId}.xml`.
pub fn file_name(batch_id: &str) -> String {
    format!("BatchComplete_{batch_id}.xml")
}

/// The manifest, as UTF-8 XML; the same batch gives the same bytes.
pub fn manifest_message(manifest: &Manifest<'_>) -> Vec<u8> {
    let mut w = Writer::new_with_indent(Vec::with_capacity(4096), b' ', 2);
    write(&mut w, manifest).expect("writing XML to memory cannot fail");
    let mut bytes = w.into_inner();
    bytes.push(b'\n');
    bytes
}

fn write<W: io::Write>(w: &mut Writer<W>, manifest: &Manifest<'_>) -> io::Result<()> {
    w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    w.create_element("ern-c-sftp:ManifestMessage")
        .with_attributes([
            ("xmlns:ern-c-sftp", NAMESPACE),
            ("MessageSchemaVersionId", "1.7"),
        ])
        .write_inner_content(|w| {
            w.create_element("MessageHeader").write_inner_content(|w| {
                text(w, "MessageId", &format!("BATCH-{}", manifest.batch_id))?;
                party_header(w, "MessageSender", manifest.sender)?;
                party_header(w, "MessageRecipient", manifest.recipient)?;
                text(w, "MessageCreatedDateTime", &date_time(manifest.created_at))
            })?;
            text(
                w,
                "IsTestFlag",
                if manifest.test { "true" } else { "false" },
            )?;
            text(w, "RootDirectory", manifest.batch_id)?;
            text(w, "NumberOfMessages", &manifest.messages.len().to_string())?;
            for message in manifest.messages {
                w.create_element("MessageInBatch")
                    .write_inner_content(|w| {
                        text(w, "MessageType", "NewReleaseMessage")?;
                        text(w, "MessageId", &message.message_id)?;
                        text(w, "URL", &message.url)?;
                        w.create_element("IncludedReleaseId")
                            .write_inner_content(|w| text(w, "ICPN", &message.release_icpn))?;
                        text(w, "DeliveryType", message.delivery_type.as_str())?;
                        text(w, "ProductType", "AudioProduct")?;
                        w.create_element("HashSum").write_inner_content(|w| {
                            text(w, "HashSum", &message.sha256)?;
                            text(w, "HashSumAlgorithmType", "SHA-256")
                        })?;
                        Ok(())
                    })?;
            }
            Ok(())
        })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_every_message_with_its_checksum_in_order() {
        let sender = Party {
            dpid: "PADPIDA2026BACKBEAT".to_owned(),
            name: "backbeat".to_owned(),
        };
        let recipient = Party {
            dpid: "PADPIDASPOTIFY".to_owned(),
            name: "Spotify & Co".to_owned(),
        };
        let messages = [
            BatchMessage {
                message_id: "dist-a.1".to_owned(),
                url: "0000000000017_dist-a.1/0000000000017.xml".to_owned(),
                release_icpn: "0000000000017".to_owned(),
                delivery_type: DeliveryType::NewReleaseDelivery,
                sha256: "ab".repeat(32),
            },
            BatchMessage {
                message_id: "dist-b.2".to_owned(),
                url: "0000000000024_dist-b.2/0000000000024.xml".to_owned(),
                release_icpn: "0000000000024".to_owned(),
                delivery_type: DeliveryType::TakeDown,
                sha256: "cd".repeat(32),
            },
        ];
        let xml = String::from_utf8(manifest_message(&Manifest {
            batch_id: "20261207101500123",
            created_at: DateTime::UNIX_EPOCH,
            sender: &sender,
            recipient: &recipient,
            test: false,
            messages: &messages,
        }))
        .expect("test value");
        assert!(xml.contains("<RootDirectory>20261207101500123</RootDirectory>"));
        assert!(xml.contains("<NumberOfMessages>2</NumberOfMessages>"));
        assert!(xml.contains("<FullName>Spotify &amp; Co</FullName>"));
        assert!(xml.contains("<IsTestFlag>false</IsTestFlag>"));
        let first = xml
            .find("<MessageId>dist-a.1</MessageId>")
            .expect("test value");
        let second = xml
            .find("<MessageId>dist-b.2</MessageId>")
            .expect("test value");
        assert!(first < second);
        assert!(xml.contains(&format!("<HashSum>{}</HashSum>", "cd".repeat(32))));
        assert!(xml.contains("<DeliveryType>TakeDown</DeliveryType>"));
        assert_eq!(
            file_name("20261207101500123"),
            "BatchComplete_20261207101500123.xml"
        );
    }
}
