//! A platform rejected a delivered release: which one, where, and the platform's own reason.

use super::{Block, Rendered, layout};

pub struct PlatformRejection<'a> {
    pub release: &'a str,
    pub upc: &'a str,
    pub platform: &'a str,
    pub error_code: &'a str,
    pub error: Option<&'a str>,
    pub distribution_id: &'a str,
}

impl PlatformRejection<'_> {
    pub fn render(&self) -> Rendered {
        layout(
            format!("{} rejected “{}”", self.platform, self.release),
            &[
                Block::Emphasis {
                    before: format!("{} rejected your release ", self.platform),
                    value: format!("{} (UPC {})", self.release, self.upc),
                    after: ".".to_owned(),
                },
                Block::Text(format!(
                    "The platform's reason: {}{}",
                    self.error_code,
                    self.error.map(|e| format!(": {e}")).unwrap_or_default()
                )),
                Block::Text(format!(
                    "Correct what the platform names; the distribution ({}) shows the \
                     platform's status and its history.",
                    self.distribution_id
                )),
            ],
        )
    }
}
