//! Platforms' usage reports, read as a stream: [`csv::CsvReport`] for CSV files with a header
//! row, [`dsr::DsrReport`] for DDEX DSR flat files (Basic Audio profile). Both yield [`Item`]s:
//! a checked [`UsageLine`], or a [`Rejection`] with its line number and reason. A file that
//! cannot be read to its end (a truncated file, a DSR footer whose counts disagree) is a
//! [`FileError`]: the caller keeps nothing of it.

pub mod csv;
pub mod dsr;
mod fields;

use backbeat_domain::codes::{Isrc, Upc};
use backbeat_domain::money::{Currency, Decimal};
use backbeat_domain::usage::UseType;
use chrono::NaiveDate;

/// One usage of one recording (or release) in one territory, as reported.
#[derive(Debug, Clone, PartialEq)]
pub struct UsageLine {
    /// The line of the file it was read from (1 is the first line).
    pub line: u32,
    pub transaction_id: String,
    pub isrc: Option<Isrc>,
    pub upc: Option<Upc>,
    pub title: Option<String>,
    pub artist: Option<String>,
    /// ISO 3166-1 alpha-2.
    pub territory: String,
    pub use_type: UseType,
    pub units: i64,
    pub revenue: Revenue,
    pub currency: Currency,
    pub usage_date: Option<NaiveDate>,
    /// A track's part of a usage reported for its whole release (see [`dsr`]): the line counts
    /// for `units × share` when its summary's revenue is shared out. `None`: the whole.
    pub share: Option<Decimal>,
}

/// What a line earned.
#[derive(Debug, Clone, PartialEq)]
pub enum Revenue {
    /// Given on the line itself, in `currency`.
    Reported(Decimal),
    /// Given only on a DSR summary record (an index into [`dsr::DsrReport::summaries`]): its
    /// revenue is shared among the lines that reference it, pro rata to their units.
    FromSummary(usize),
}

/// A line that was read but refused, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    pub line: u32,
    /// The column or cell at fault, when one is.
    pub field: Option<String>,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    Line(UsageLine),
    Rejected(Rejection),
}

/// The file as a whole cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error("cannot read the file: {0}")]
    Io(#[from] std::io::Error),
    #[error("{}{message}", line.map(|l| format!("line {l}: ")).unwrap_or_default())]
    Invalid { line: Option<u32>, message: String },
}

impl FileError {
    pub(crate) fn at(line: u32, message: impl Into<String>) -> Self {
        Self::Invalid {
            line: Some(line),
            message: message.into(),
        }
    }

    pub(crate) fn whole(message: impl Into<String>) -> Self {
        Self::Invalid {
            line: None,
            message: message.into(),
        }
    }
}
