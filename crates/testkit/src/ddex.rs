//! DDEX messages checked against DDEX's own ERN 4.3 schema (shipped unmodified in
//! `crates/testkit/ddex/ern43`, with its notice and origin) with xmllint, which `./dev test`
//! installs, and read back element by element.

use std::path::{Path, PathBuf};
use std::process::Command;

use quick_xml::Reader;
use quick_xml::events::Event;

pub fn schema() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("ddex/ern43/release-notification.xsd")
}

/// Panics with xmllint's report when the message does not validate.
pub fn assert_valid(xml: &[u8]) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("message.xml");
    std::fs::write(&path, xml).expect("write");
    let output = Command::new("xmllint")
        .arg("--noout")
        .arg("--schema")
        .arg(schema())
        .arg(&path)
        .output()
        .expect("xmllint runs (./dev test installs libxml2-utils)");
    assert!(
        output.status.success(),
        "invalid ERN:\n{}\n{}",
        String::from_utf8_lossy(&output.stderr),
        String::from_utf8_lossy(xml)
    );
}

/// The text of every element named `name`, in document order, entities resolved.
pub fn texts(xml: &[u8], name: &str) -> Vec<String> {
    let mut reader = Reader::from_reader(xml);
    let mut out = Vec::new();
    let mut current: Option<String> = None;
    let mut buf = Vec::new();
    loop {
        match reader.read_event_into(&mut buf).expect("well-formed") {
            Event::Start(e) if e.local_name().as_ref() == name => current = Some(String::new()),
            Event::Text(t) => {
                if let Some(text) = current.as_mut() {
                    text.push_str(&t.into_inner());
                }
            }
            Event::GeneralRef(r) => {
                if let Some(text) = current.as_mut() {
                    let entity = format!("&{};", r.into_inner());
                    text.push_str(&quick_xml::escape::unescape(&entity).expect("known entity"));
                }
            }
            Event::End(_) => {
                if let Some(text) = current.take() {
                    out.push(text);
                }
            }
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    out
}
