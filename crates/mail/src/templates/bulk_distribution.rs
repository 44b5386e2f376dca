//! The summary of a bulk distribution; every pair's outcome travels as a CSV attachment.

use super::{Block, Rendered, layout};

pub struct BulkDistribution<'a> {
    pub job_id: &'a str,
    pub releases: usize,
    pub platforms: usize,
    pub delivered: i64,
    pub failed: i64,
    pub skipped: i64,
}

impl BulkDistribution<'_> {
    pub fn render(&self) -> Rendered {
        let total = self.delivered + self.failed + self.skipped;
        layout(
            format!(
                "Bulk distribution finished: {} delivered, {} failed, {} skipped",
                self.delivered, self.failed, self.skipped
            ),
            &[
                Block::Emphasis {
                    before: "Your bulk distribution ".to_owned(),
                    value: self.job_id.to_owned(),
                    after: format!(
                        " of {} releases to {} platforms is done ({total} deliveries).",
                        self.releases, self.platforms
                    ),
                },
                Block::Text(format!(
                    "Delivered: {}. Failed: {}. Skipped (already distributed): {}.",
                    self.delivered, self.failed, self.skipped
                )),
                Block::Text(
                    "The attached CSV lists every release and platform with its outcome; failed \
                     ones say why. Fix a release and distribute it again, or retry a failed \
                     distribution."
                        .to_owned(),
                ),
            ],
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_every_outcome() {
        let rendered = BulkDistribution {
            job_id: "job-1",
            releases: 3,
            platforms: 2,
            delivered: 4,
            failed: 1,
            skipped: 1,
        }
        .render();
        assert_eq!(
            rendered.subject,
            "Bulk distribution finished: 4 delivered, 1 failed, 1 skipped"
        );
        assert!(
            rendered
                .text
                .contains("of 3 releases to 2 platforms is done (6 deliveries)")
        );
    }
}
