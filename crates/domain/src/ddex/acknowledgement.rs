//! The `ErnAcknowledgementStatusMessage` a platform writes into its `acknowledgements/` folder
//! (ECHO 1.7): per release, its supply-chain status and, per message about it, whether the file
//! was fine. Read with a real XML parser; anything that is not such a message is an error that
//! says where, so the file can be kept as a refusal.

use quick_xml::Reader;
use quick_xml::XmlVersion;
use quick_xml::events::Event;

/// What the platform said about one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageAcknowledgement {
    pub message_id: String,
    pub batch_id: Option<String>,
    /// `MessageStatus/Status`: `FileOK`, or what was wrong with the file.
    pub status: String,
    pub information: Option<String>,
    /// `MessageType`: the platform took it as a test message.
    pub test: bool,
}

/// What the platform said about one release.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReleaseStatus {
    /// `ReleaseId/ICPN` (or its GRid or proprietary id when it names no ICPN).
    pub release_id: String,
    /// `ReleaseStatus`, a DDEX SupplyChainStatus (`Ingested`, `Rejected`, ...).
    pub status: String,
    pub error_text: Option<String>,
    pub acknowledgements: Vec<MessageAcknowledgement>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AcknowledgementMessage {
    /// The acknowledgement's own `MessageHeader/MessageId`.
    pub message_id: String,
    pub releases: Vec<ReleaseStatus>,
}

/// What an acknowledgement means for a distribution.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Received and the files are fine; not ingested yet.
    Acknowledged,
    Ingested,
    Rejected,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Acknowledged => "acknowledged",
            Verdict::Ingested => "ingested",
            Verdict::Rejected => "rejected",
        }
    }
}

impl ReleaseStatus {
    /// A message whose file was not fine, or a release status saying it failed, is a
    /// rejection; a status saying it went in (or live) is an ingestion; anything else only says
    /// it arrived.
    pub fn verdict_for(&self, ack: &MessageAcknowledgement) -> Verdict {
        let status = self.status.to_ascii_lowercase();
        if ack.status != "FileOK"
            || ["reject", "error", "fail", "corrupt", "missing"]
                .iter()
                .any(|word| status.contains(word))
        {
            Verdict::Rejected
        } else if ["ingest", "live", "available", "published"]
            .iter()
            .any(|word| status.contains(word))
        {
            Verdict::Ingested
        } else {
            Verdict::Acknowledged
        }
    }

    /// The platform's reason, for a rejection: the file's status when it was not fine, else the
    /// release's.
    pub fn error_code(&self, ack: &MessageAcknowledgement) -> String {
        if ack.status != "FileOK" {
            ack.status.clone()
        } else {
            self.status.clone()
        }
    }

    pub fn error_message(&self, ack: &MessageAcknowledgement) -> Option<String> {
        self.error_text.clone().or_else(|| ack.information.clone())
    }
}

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct AcknowledgementError(pub String);

/// Reads the message; the error says what is wrong and where.
pub fn parse(bytes: &[u8]) -> Result<AcknowledgementMessage, AcknowledgementError> {
    let mut reader = Reader::from_reader(bytes);
    let mut text = String::new();
    let mut path: Vec<String> = Vec::new();
    let mut message_id: Option<String> = None;
    let mut releases: Vec<ReleaseStatus> = Vec::new();
    let mut release: Option<ReleaseStatus> = None;
    let mut ack: Option<MessageAcknowledgement> = None;
    let mut root_seen = false;
    let mut buf = Vec::new();
    loop {
        let at = reader.buffer_position();
        let event = reader
            .read_event_into(&mut buf)
            .map_err(|e| AcknowledgementError(format!("not well-formed XML at byte {at}: {e}")))?;
        match event {
            Event::Start(start) => {
                let name =
                    String::from_utf8_lossy(start.local_name().as_ref().as_bytes()).into_owned();
                if path.is_empty() {
                    if root_seen || name != "ErnAcknowledgementStatusMessage" {
                        return Err(AcknowledgementError(format!(
                            "the root element is {name}, not ErnAcknowledgementStatusMessage"
                        )));
                    }
                    root_seen = true;
                }
                match (path.len(), name.as_str()) {
                    (1, "ReleaseStatus") => {
                        release = Some(ReleaseStatus {
                            release_id: String::new(),
                            status: String::new(),
                            error_text: None,
                            acknowledgements: Vec::new(),
                        })
                    }
                    (2, "Acknowledgement") if release.is_some() => {
                        ack = Some(MessageAcknowledgement {
                            message_id: String::new(),
                            batch_id: None,
                            status: String::new(),
                            information: None,
                            test: false,
                        })
                    }
                    _ => {}
                }
                path.push(name);
                text.clear();
            }
            Event::Text(piece) => text.push_str(&piece.xml_content(XmlVersion::Implicit1_0)),
            Event::GeneralRef(reference) => {
                let entity = format!("&{};", reference.xml_content(XmlVersion::Implicit1_0));
                let resolved = quick_xml::escape::unescape(&entity).map_err(|e| {
                    AcknowledgementError(format!("unknown entity {entity} at byte {at}: {e}"))
                })?;
                text.push_str(&resolved);
            }
            Event::End(_) => {
                let value = std::mem::take(&mut text).trim().to_owned();
                let names: Vec<&str> = path.iter().map(String::as_str).collect();
                match names.as_slice() {
                    [_, "MessageHeader", "MessageId"] => message_id = Some(value),
                    [_, "ReleaseStatus", "ReleaseId", id] => {
                        if let Some(release) = release.as_mut()
                            && (release.release_id.is_empty() || *id == "ICPN")
                        {
                            release.release_id = value;
                        }
                    }
                    [_, "ReleaseStatus", "ReleaseStatus"] => {
                        if let Some(release) = release.as_mut() {
                            release.status = value;
                        }
                    }
                    [_, "ReleaseStatus", "ErrorText"] => {
                        if let Some(release) = release.as_mut() {
                            release.error_text = Some(value);
                        }
                    }
                    [_, "ReleaseStatus", "Acknowledgement", field @ ..] => {
                        if let Some(ack) = ack.as_mut() {
                            match field {
                                ["MessageId"] => ack.message_id = value,
                                ["BatchId"] => ack.batch_id = Some(value),
                                ["MessageType"] => ack.test = value == "TestMessage",
                                ["MessageStatus", "Status"] => ack.status = value,
                                ["MessageStatus", "Information"] => ack.information = Some(value),
                                _ => {}
                            }
                        }
                    }
                    _ => {}
                }
                let name = path.pop().unwrap_or_default();
                match (path.len(), name.as_str()) {
                    (2, "Acknowledgement") => {
                        if let (Some(ack), Some(release)) = (ack.take(), release.as_mut()) {
                            if ack.message_id.is_empty() || ack.status.is_empty() {
                                return Err(AcknowledgementError(
                                    "an Acknowledgement lacks its MessageId or MessageStatus"
                                        .to_owned(),
                                ));
                            }
                            release.acknowledgements.push(ack);
                        }
                    }
                    (1, "ReleaseStatus") => {
                        if let Some(release) = release.take() {
                            if release.release_id.is_empty() || release.status.is_empty() {
                                return Err(AcknowledgementError(
                                    "a ReleaseStatus lacks its ReleaseId or ReleaseStatus"
                                        .to_owned(),
                                ));
                            }
                            releases.push(release);
                        }
                    }
                    _ => {}
                }
            }
            Event::Empty(empty) if path.is_empty() => {
                return Err(AcknowledgementError(format!(
                    "the root element {} is empty",
                    String::from_utf8_lossy(empty.local_name().as_ref().as_bytes())
                )));
            }
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    if !root_seen {
        return Err(AcknowledgementError(
            "the file holds no XML element".to_owned(),
        ));
    }
    if !path.is_empty() {
        return Err(AcknowledgementError(format!(
            "the file ends inside {}",
            path.join("/")
        )));
    }
    let message_id = message_id
        .filter(|id| !id.is_empty())
        .ok_or_else(|| AcknowledgementError("MessageHeader/MessageId is missing".to_owned()))?;
    if releases.is_empty() {
        return Err(AcknowledgementError(
            "the message has no ReleaseStatus".to_owned(),
        ));
    }
    Ok(AcknowledgementMessage {
        message_id,
        releases,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const ACK: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<ern-c-sftp:ErnAcknowledgementStatusMessage xmlns:ern-c-sftp="http://ddex.net/xml/ern-c-sftp/17" MessageSchemaVersionId="1.7">
  <MessageHeader>
    <MessageId>ACK-42</MessageId>
    <MessageSender><PartyId>PADPIDASPOTIFY</PartyId></MessageSender>
    <MessageCreatedDateTime>2026-12-07T10:00:00Z</MessageCreatedDateTime>
  </MessageHeader>
  <ReleaseStatus>
    <ReleaseId><ICPN>0000000000017</ICPN></ReleaseId>
    <ReleaseStatus>Ingested</ReleaseStatus>
    <Acknowledgement>
      <MessageType>LiveMessage</MessageType>
      <BatchId>20261207101500123</BatchId>
      <MessageId>dist-a.1</MessageId>
      <MessageStatus><Status>FileOK</Status></MessageStatus>
    </Acknowledgement>
  </ReleaseStatus>
  <ReleaseStatus>
    <ReleaseId><ProprietaryId Namespace="DPID:X">x</ProprietaryId><ICPN>0000000000024</ICPN></ReleaseId>
    <ReleaseStatus>Rejected</ReleaseStatus>
    <ErrorText>Artwork below 3000 &amp; 3000 px</ErrorText>
    <Acknowledgement>
      <MessageType>TestMessage</MessageType>
      <MessageId>dist-b.1</MessageId>
      <MessageStatus><Status>FileOK</Status><Information>checked</Information></MessageStatus>
    </Acknowledgement>
  </ReleaseStatus>
</ern-c-sftp:ErnAcknowledgementStatusMessage>
"#;

    #[test]
    fn reads_each_release_and_its_messages() {
        let message = parse(ACK.as_bytes()).expect("test value");
        assert_eq!(message.message_id, "ACK-42");
        assert_eq!(message.releases.len(), 2);
        let first = &message.releases[0];
        assert_eq!(first.release_id, "0000000000017");
        let ack = &first.acknowledgements[0];
        assert_eq!(ack.message_id, "dist-a.1");
        assert_eq!(ack.batch_id.as_deref(), Some("20261207101500123"));
        assert_eq!(first.verdict_for(ack), Verdict::Ingested);
        let second = &message.releases[1];
        assert_eq!(second.release_id, "0000000000024");
        let ack = &second.acknowledgements[0];
        assert!(ack.test);
        assert_eq!(second.verdict_for(ack), Verdict::Rejected);
        assert_eq!(second.error_code(ack), "Rejected");
        assert_eq!(
            second.error_message(ack).as_deref(),
            Some("Artwork below 3000 & 3000 px")
        );
    }

    #[test]
    fn a_file_that_is_not_fine_is_a_rejection_with_its_status() {
        let xml = ACK
            .replacen(
                "<Status>FileOK</Status>",
                "<Status>ResourceCorrupt</Status>",
                1,
            )
            .replacen("Ingested", "Received", 1);
        let message = parse(xml.as_bytes()).expect("test value");
        let release = &message.releases[0];
        let ack = &release.acknowledgements[0];
        assert_eq!(release.verdict_for(ack), Verdict::Rejected);
        assert_eq!(release.error_code(ack), "ResourceCorrupt");
        let fine = ACK.replacen("Ingested", "Received", 1);
        let message = parse(fine.as_bytes()).expect("test value");
        let release = &message.releases[0];
        assert_eq!(
            release.verdict_for(&release.acknowledgements[0]),
            Verdict::Acknowledged
        );
    }

    #[test]
    fn refuses_what_is_not_an_acknowledgement_and_says_why() {
        let cases = [
            ("", "holds no XML element"),
            (
                "<ErnAcknowledgementStatusMessage><MessageHeader>",
                "ends inside",
            ),
            ("<NewReleaseMessage/>", "empty"),
            (
                "<ManifestMessage></ManifestMessage>",
                "not ErnAcknowledgementStatusMessage",
            ),
            (
                "<ErnAcknowledgementStatusMessage><ReleaseStatus><ReleaseId><ICPN>1</ICPN></ReleaseId><ReleaseStatus>Ingested</ReleaseStatus></ReleaseStatus></ErnAcknowledgementStatusMessage>",
                "MessageId is missing",
            ),
            (
                "<ErnAcknowledgementStatusMessage><MessageHeader><MessageId>A</MessageId></MessageHeader></ErnAcknowledgementStatusMessage>",
                "no ReleaseStatus",
            ),
            (
                "<ErnAcknowledgementStatusMessage><b></ErnAcknowledgementStatusMessage>",
                "not well-formed",
            ),
        ];
        for (xml, expected) in cases {
            let error = parse(xml.as_bytes()).expect_err("refused").to_string();
            assert!(error.contains(expected), "{xml:?}: {error}");
        }
    }
}
