//! Usage reports: what platforms tell us was streamed or downloaded, and for how much.

use crate::text_enum::text_enum;

text_enum! {
    /// How the listener used the recording.
    pub enum UseType {
        Stream = "stream",
        Download = "download",
    }
}

text_enum! {
    /// The file a platform sent.
    pub enum ReportFormat {
        /// A CSV with a header row (the accepted columns are documented with the upload).
        Csv = "csv",
        /// A DDEX DSR flat file, Basic Audio profile.
        Dsr = "dsr",
    }
}

text_enum! {
    /// `queued` → `importing` → `imported`, or `failed` when the file cannot be read to its end
    /// (then nothing of it is kept).
    pub enum ReportStatus {
        Queued = "queued",
        Importing = "importing",
        /// A file of a multi-file report, waiting for the others.
        Waiting = "waiting",
        Imported = "imported",
        Failed = "failed",
    }
}

text_enum! {
    /// How analytics are broken down.
    pub enum GroupBy {
        Month = "month",
        Platform = "platform",
        Territory = "territory",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_round_trip() {
        for format in ReportFormat::ALL {
            assert_eq!(ReportFormat::parse(format.as_str()), Some(*format));
        }
        assert_eq!(ReportFormat::words(), "csv or dsr");
        assert_eq!(UseType::parse("Stream"), None);
        assert_eq!(
            serde_json::to_string(&ReportStatus::Imported)
                .ok()
                .as_deref(),
            Some("\"imported\"")
        );
    }
}
