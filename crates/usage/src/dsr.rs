//! DDEX DSR flat files: the Basic Audio profile (every version) and the UGC profile's usage of
//! sound recordings. Tab-separated records, one per line.
//!
//! `HEAD`, then summary records (`SY01`...`SY13`, any version) that carry each territory's and
//! offer's revenue, then blocks of a release (`RE01`), its resources (`AS01`/`AS02`) and their
//! usage lines (`SU01` sales, `SU02` streams, `SU03` UGC usages with `LI01` licensing details),
//! then `FOOT` with the counts of lines, summaries and blocks. A `#` line names the cells of a
//! record type (its first cell the type, with any version suffix); cells are read by those names,
//! spelt as any version spells them (`TotalUsages` or `Usages`, `Currency` or
//! `CurrencyOfReporting`, any case); without one, the profile's order applies. Multi-valued cells
//! are separated by `|` (`\` escapes). Record types this reader does not use are counted and
//! skipped.
//!
//! Basic Audio usage lines carry no money: a line's revenue is its share of its summary record's
//! revenue (the rights controller's `AllocatedNetRevenue` where the summary has one, else
//! `NetRevenue`), pro rata to its usages. The reader hands out the summaries
//! ([`DsrReport::summaries`]) and marks each line [`Revenue::FromSummary`]; the loader allocates.
//! A usage of a whole release (`TransactedRelease`) becomes one line per sound recording of its
//! block, each with the release's usages and a [`UsageLine::share`] of its revenue: the track's
//! part of the release's duration (equal parts when a duration is missing), since a release
//! streamed or sold whole plays each track for its length. UGC lines carry their revenue: the
//! `AllocatedAmount` (else `AllocatedNetRevenue`) of the `LI01` records that follow them, the
//! amount due to the rights controller, else the line's own `NetRevenue`.
//!
//! A report may come in several files (`FileNumber` of `NumberOfFiles`): [`DsrReport::files`]
//! reads them in order as one report, summaries and blocks shared, each file's `FOOT` checked
//! against the file and its `NumberOfLinesInReport` against all of them.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::io::{BufRead, BufReader, Read};

use backbeat_domain::FieldError;
use backbeat_domain::codes::{Isrc, Upc};
use backbeat_domain::money::{Currency, Decimal};
use backbeat_domain::period::Period;
use backbeat_domain::usage::UseType;
use chrono::NaiveDate;

use crate::{FileError, Item, Rejection, Revenue, UsageLine, fields};

/// The profile's cell order for each record type, used when the file names none.
const DEFAULT_CELLS: &[(&str, &[&str])] = &[
    (
        "HEAD",
        &[
            "RecordType",
            "MessageVersion",
            "Profile",
            "ProfileVersion",
            "MessageId",
            "MessageCreatedDateTime",
            "FileNumber",
            "NumberOfFiles",
            "UsageStartDate",
            "UsageEndDate",
            "SenderPartyId",
            "SenderName",
            "ServiceDescription",
            "RecipientPartyId",
            "RecipientName",
            "RepresentedRepertoire",
        ],
    ),
    (
        "SY01",
        &[
            "RecordType",
            "SummaryRecordId",
            "DistributionChannel",
            "DistributionChannelDPID",
            "CommercialModel",
            "UseType",
            "Territory",
            "ServiceDescription",
            "Usages",
            "Subscribers",
            "CurrencyOfReporting",
            "NetRevenue",
            "IndirectNetRevenue",
            "CurrencyOfTransaction",
            "ExchangeRate",
        ],
    ),
    (
        "SY02",
        &[
            "RecordType",
            "SummaryRecordId",
            "DistributionChannel",
            "DistributionChannelDPID",
            "CommercialModel",
            "UseType",
            "Territory",
            "ServiceDescription",
            "Usages",
            "Users",
            "CurrencyOfReporting",
            "NetRevenue",
            "RightsController",
            "RightsControllerPartyId",
            "AllocatedUsages",
            "AllocatedRevenue",
            "AllocatedNetRevenue",
            "RightsType",
            "ContentCategory",
            "CurrencyOfTransaction",
            "ExchangeRate",
            "RightsTypePercentage",
        ],
    ),
    (
        "SY04",
        &[
            "RecordType",
            "SummaryRecordId",
            "DistributionChannel",
            "DistributionChannelDPID",
            "CommercialModel",
            "UseType",
            "Territory",
            "ServiceDescription",
            "SubscriberType",
            "Subscribers",
            "SubPeriodStartDate",
            "SubPeriodEndDate",
            "UsagesInSubPeriod",
            "UsagesInReportingPeriod",
            "CurrencyOfReporting",
            "CurrencyOfTransaction",
            "ExchangeRate",
            "ConsumerPaidUnitPrice",
            "NetRevenue",
            "MusicUsagePercentage",
        ],
    ),
    (
        "SY05",
        &[
            "RecordType",
            "SummaryRecordId",
            "DistributionChannel",
            "DistributionChannelDPID",
            "CommercialModel",
            "UseType",
            "Territory",
            "ServiceDescription",
            "RightsController",
            "RightsControllerPartyId",
            "RightsType",
            "TotalUsages",
            "AllocatedUsages",
            "MusicUsageRatio",
            "AllocatedNetRevenue",
            "AllocatedRevenue",
            "RightsControllerMarketShare",
            "CurrencyOfReporting",
            "CurrencyOfTransaction",
            "ExchangeRate",
            "SubscriberType",
            "SubPeriodStartDate",
            "SubPeriodEndDate",
            "ContentCategory",
            "RightsTypePercentage",
        ],
    ),
    (
        "SY06",
        &[
            "RecordType",
            "SummaryRecordId",
            "DistributionChannel",
            "DistributionChannelDPID",
            "CommercialModel",
            "UseType",
            "Territory",
            "ServiceDescription",
            "Usages",
            "Subscribers",
            "CurrencyOfReporting",
            "NumberOfReleases",
            "NetRevenue",
            "IndirectNetRevenue",
            "PreviewAvailable",
            "CurrencyOfTransaction",
            "ExchangeRate",
            "ViewingHours",
        ],
    ),
    (
        "RE01",
        &[
            "RecordType",
            "BlockId",
            "ReleaseReference",
            "DspReleaseId",
            "ProprietaryReleaseId",
            "CatalogNumber",
            "ICPN",
            "DisplayArtistName",
            "DisplayArtistPartyId",
            "Title",
            "SubTitle",
            "ReleaseType",
            "Label",
            "PLine",
            "DataProvider",
        ],
    ),
    (
        "RE02",
        &[
            "RecordType",
            "BlockId",
            "ReleaseReference",
            "DspSubReleaseId",
            "ProprietarySubReleaseId",
            "UsedResources",
        ],
    ),
    (
        "AS01",
        &[
            "RecordType",
            "BlockId",
            "ResourceReference",
            "DspResourceId",
            "ISRC",
            "Title",
            "SubTitle",
            "DisplayArtistName",
            "DisplayArtistPartyId",
            "Duration",
            "ResourceType",
            "IsMasterRecording",
        ],
    ),
    (
        "AS02",
        &[
            "RecordType",
            "BlockId",
            "ResourceReference",
            "DspResourceId",
            "ISRC",
            "Title",
            "SubTitle",
            "DisplayArtistName",
            "DisplayArtistPartyId",
            "Duration",
            "ResourceType",
            "ISWC",
            "ComposerAuthor",
            "ComposerAuthorPartyId",
            "Arranger",
            "ArrangerPartyId",
            "MusicPublisher",
            "MusicPublisherPartyId",
            "WorkContributor",
            "WorkContributorPartyId",
            "ProprietaryWorkId",
            "IsMasterRecording",
        ],
    ),
    (
        "MW01",
        &[
            "RecordType",
            "BlockId",
            "DspWorkId",
            "ISWC",
            "Title",
            "SubTitle",
            "ComposerAuthor",
            "ComposerAuthorPartyId",
            "Arranger",
            "ArrangerPartyId",
            "MusicPublisher",
            "MusicPublisherPartyId",
            "WorkContributor",
            "WorkContributorPartyId",
            "DataProvider",
            "ProprietaryWorkId",
        ],
    ),
    (
        "SU03",
        &[
            "RecordType",
            "BlockId",
            "SalesTransactionId",
            "SummaryRecordId",
            "DspResourceId",
            "Usages",
            "NetRevenue",
            "ValidityPeriodStart",
            "ValidityPeriodEnd",
            "ContentCategory",
            "IsRoyaltyBearing",
        ],
    ),
    (
        "LI01",
        &[
            "RecordType",
            "BlockId",
            "SummaryRecordId",
            "RightsController",
            "RightsControllerPartyId",
            "RightsControllerWorkId",
            "RightSharePercentage",
            "RightsType",
            "AllocatedNetRevenue",
            "AllocatedAmount",
            "AllocatedUsages",
        ],
    ),
    (
        "SU01",
        &[
            "RecordType",
            "BlockId",
            "SummaryRecordId",
            "SalesTransactionId",
            "TransactedRelease",
            "TransactedResource",
            "IsRoyaltyBearing",
            "SalesUpgrade",
            "Usages",
            "Returns",
            "PriceConsumerPaidExcSalesTax",
            "PromotionalActivity",
        ],
    ),
    (
        "SU02",
        &[
            "RecordType",
            "BlockId",
            "SummaryRecordId",
            "SalesTransactionId",
            "TransactedRelease",
            "TransactedResource",
            "IsRoyaltyBearing",
            "NumberOfStreams",
            "PriceConsumerPaidExcSalesTax",
            "PromotionalActivity",
        ],
    ),
    (
        "FOOT",
        &[
            "RecordType",
            "NumberOfLinesInFile",
            "NumberOfLinesInReport",
            "NumberOfSummaryRecords",
            "NumberOfBlocksInFile",
            "NumberOfBlocksInReport",
        ],
    ),
];

/// Cells other versions or senders name differently, and the name this reader reads them by.
const ALIASES: &[(&str, &str)] = &[
    ("TotalUsages", "Usages"),
    ("NumberOfUsages", "Usages"),
    ("Currency", "CurrencyOfReporting"),
    ("RightShare%", "RightSharePercentage"),
];

/// A summary record: the revenue its usage lines share.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    pub id: String,
    /// The line of the report it was read from.
    pub line: u32,
    pub revenue: Decimal,
    pub currency: Currency,
    pub territory: String,
    pub use_type: UseType,
    /// `Usages` as the summary states it, when it does.
    pub usages: Option<i64>,
}

/// The DSR profiles this reader takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Profile {
    BasicAudio,
    /// User-generated content (YouTube's reports): its usages of sound recordings.
    Ugc,
}

/// What a file's header said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    pub profile: Profile,
    pub profile_version: String,
    pub message_id: String,
    pub sender_party_id: String,
    pub sender_name: String,
    pub usage_start: String,
    pub usage_end: String,
    pub file_number: u32,
    pub number_of_files: u32,
}

/// A summary that could not be read: the lines that reference it are refused with this reason.
#[derive(Debug, Clone)]
struct BadSummary {
    field: String,
    reason: String,
}

#[derive(Debug, Default)]
struct Release {
    reference: String,
    upc: Option<Upc>,
    title: Option<String>,
    artist: Option<String>,
}

#[derive(Debug, Default)]
struct Resource {
    reference: String,
    dsp_id: String,
    isrc: Option<Isrc>,
    title: Option<String>,
    artist: Option<String>,
    /// Whole seconds, when stated and not zero.
    duration: Option<u32>,
    sound_recording: bool,
}

/// A UGC usage line waiting for the `LI01` records that may follow it.
struct PendingUgc {
    at: u32,
    line: Result<UsageLine, FieldError>,
    royalty_bearing: bool,
    allocated: Option<Decimal>,
}

/// One record's cells, read by name.
struct Record<'a> {
    kind: &'a str,
    cells: Vec<&'a str>,
    names: &'a [String],
}

impl Record<'_> {
    fn get(&self, name: &str) -> &str {
        self.names
            .iter()
            .position(|n| n == name)
            .and_then(|i| self.cells.get(i))
            .map_or("", |c| c.trim())
    }

    /// The first of `names` the record has a value for.
    fn first_of(&self, names: &[&str]) -> &str {
        names
            .iter()
            .map(|n| self.get(n))
            .find(|v| !v.is_empty())
            .unwrap_or("")
    }

    /// The values of a multi-valued cell, `|`-separated, with `\` escapes undone.
    fn values(&self, name: &str) -> Vec<String> {
        split_values(self.get(name))
    }

    fn required(&self, name: &str) -> Result<&str, FieldError> {
        let value = self.get(name);
        if value.is_empty() {
            Err(FieldError::new(
                name,
                format!("is required in {}", self.kind),
            ))
        } else {
            Ok(value)
        }
    }
}

fn split_values(cell: &str) -> Vec<String> {
    let mut values = vec![String::new()];
    let mut chars = cell.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if let Some(next) = chars.next() {
                    values.last_mut().expect("one value").push(next);
                }
            }
            '|' => values.push(String::new()),
            other => values.last_mut().expect("one value").push(other),
        }
    }
    values
        .into_iter()
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
        .collect()
}

/// `SU02.02` → `SU02`.
fn base_type(kind: &str) -> &str {
    kind.split_once('.').map_or(kind, |(base, _)| base)
}

fn looks_like_record_type(cell: &str) -> bool {
    let base = base_type(cell);
    base.len() == 4
        && base.bytes().take(2).all(|b| b.is_ascii_uppercase())
        && base.bytes().skip(2).all(|b| b.is_ascii_alphanumeric())
}

/// `YYYY`, `YYYY-MM` or `YYYY-MM-DD`: the first day it may mean.
fn iso_date_start(value: &str) -> Option<NaiveDate> {
    match value.len() {
        4 => NaiveDate::parse_from_str(&format!("{value}-01-01"), "%Y-%m-%d").ok(),
        7 => NaiveDate::parse_from_str(&format!("{value}-01"), "%Y-%m-%d").ok(),
        10 => NaiveDate::parse_from_str(value, "%Y-%m-%d").ok(),
        _ => None,
    }
}

/// `YYYY-MM-DD` or `YYYYMMDD` (UGC validity periods use both).
fn day(field: &str, value: &str) -> Result<Option<NaiveDate>, FieldError> {
    if value.is_empty() {
        return Ok(None);
    }
    NaiveDate::parse_from_str(value, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(value, "%Y%m%d"))
        .map(Some)
        .map_err(|_| FieldError::new(field, "must be a date (YYYY-MM-DD)"))
}

/// An ISO 8601 duration (`PT3M20S`, `PT199S`, `PT0H4M5.5S`) in whole seconds; `None` when it
/// is not one or is zero.
fn duration_seconds(value: &str) -> Option<u32> {
    let rest = value
        .strip_prefix("PT")
        .or_else(|| value.strip_prefix("pt"))?;
    let (mut seconds, mut number) = (0f64, String::new());
    for c in rest.chars() {
        match c.to_ascii_uppercase() {
            'H' | 'M' | 'S' => {
                let n: f64 = number.parse().ok()?;
                number.clear();
                seconds += n * match c.to_ascii_uppercase() {
                    'H' => 3600.0,
                    'M' => 60.0,
                    _ => 1.0,
                };
            }
            d if d.is_ascii_digit() || d == '.' => number.push(d),
            _ => return None,
        }
    }
    let whole = seconds.round();
    (number.is_empty() && whole >= 1.0 && whole < f64::from(u32::MAX)).then_some(whole as u32)
}

/// A summary id without its letters (`SY1`, `S1` → `1`): DDEX's own sample files name a
/// summary `1` and point to it as `SY1`.
fn loose_id(id: &str) -> &str {
    id.trim_start_matches(|c: char| c.is_ascii_alphabetic())
}

/// The usage type a line's own `UseType` cell states, when it states one.
fn line_use_type(record: &Record<'_>) -> Option<UseType> {
    let stated = record.get("UseType").to_ascii_lowercase();
    if stated.is_empty() {
        None
    } else if stated.contains("download") {
        Some(UseType::Download)
    } else {
        Some(UseType::Stream)
    }
}

/// One file's counts, checked against its `FOOT`.
#[derive(Debug, Default)]
struct FileCounts {
    /// Physical lines read, heading and empty lines included (what `FOOT` counts).
    lines: u32,
    summaries: u64,
    blocks: u64,
    header_seen: bool,
    footer_seen: bool,
}

/// A DSR report being read: one file, or the files of a multi-file report in order.
pub struct DsrReport<R> {
    /// Files not yet opened.
    waiting: VecDeque<R>,
    input: Option<BufReader<R>>,
    number_of_files: u32,
    /// The file being read, from 1.
    file: u32,
    /// Lines of the files before this one: line numbers count through the whole report.
    offset: u32,
    period: Period,
    buffer: String,
    counts: FileCounts,
    /// Each file's `NumberOfLinesInReport` and the line of its `FOOT`, checked at the end.
    stated_report_lines: Vec<(u32, u64, u32)>,
    /// The cell names of each record type, as the file's `#` lines give them.
    headings: HashMap<String, Vec<String>>,
    /// A `#` line whose first cell does not name its record type: it names the next one's.
    unnamed_heading: Option<Vec<String>>,
    defaults: HashMap<&'static str, Vec<String>>,
    /// Every cell name this reader knows, lower-cased, with the spelling it reads it by.
    spellings: HashMap<String, &'static str>,
    header: Option<Header>,
    summaries: Vec<Summary>,
    summary_index: HashMap<String, Result<usize, BadSummary>>,
    /// By [`loose_id`]: the one exact id it stands for (`None` when several share it).
    loose_index: HashMap<String, Option<String>>,
    summary_records: u64,
    block: Option<String>,
    blocks: u64,
    releases: Vec<Release>,
    resources: Vec<Resource>,
    usage_lines: u64,
    skipped: BTreeMap<String, u64>,
    ready: VecDeque<Item>,
    ugc: Option<PendingUgc>,
    /// Only the header is wanted: which file of which report this is, not whether it fits.
    peek: bool,
    done: bool,
}

impl<R: Read> DsrReport<R> {
    /// A report in one file.
    pub fn new(input: R, period: Period) -> Self {
        Self::files(vec![input], period)
    }

    /// A report in several files, in their `FileNumber` order.
    pub fn files(files: Vec<R>, period: Period) -> Self {
        let defaults: HashMap<&'static str, Vec<String>> = DEFAULT_CELLS
            .iter()
            .map(|(kind, cells)| (*kind, cells.iter().map(|c| (*c).to_owned()).collect()))
            .collect();
        let mut spellings: HashMap<String, &'static str> = DEFAULT_CELLS
            .iter()
            .flat_map(|(_, cells)| cells.iter())
            .chain(["UseType"].iter())
            .map(|c| (c.to_ascii_lowercase(), *c))
            .collect();
        for (alias, name) in ALIASES {
            spellings.insert(alias.to_ascii_lowercase(), name);
        }
        Self {
            number_of_files: u32::try_from(files.len()).unwrap_or(u32::MAX),
            waiting: files.into(),
            input: None,
            file: 0,
            offset: 0,
            period,
            buffer: String::new(),
            counts: FileCounts::default(),
            stated_report_lines: Vec::new(),
            headings: HashMap::new(),
            unnamed_heading: None,
            defaults,
            spellings,
            header: None,
            summaries: Vec::new(),
            summary_index: HashMap::new(),
            loose_index: HashMap::new(),
            summary_records: 0,
            block: None,
            blocks: 0,
            releases: Vec::new(),
            resources: Vec::new(),
            usage_lines: 0,
            skipped: BTreeMap::new(),
            ready: VecDeque::new(),
            ugc: None,
            peek: false,
            done: false,
        }
    }

    /// Reads only as far as the first file's `HEAD` (its period and profile checked): what a
    /// caller needs to know which report, and which file of it, this is.
    pub fn header_only(input: R, period: Period) -> Result<Header, FileError> {
        let mut report = Self::new(input, period);
        report.peek = true;
        report.open_next();
        while report.header.is_none() {
            if !report.read_physical_line()? {
                return Err(FileError::whole(
                    "the file is empty: a DSR file starts with HEAD",
                ));
            }
        }
        Ok(report.header.expect("read above"))
    }

    /// The summary records read, in report order ([`Revenue::FromSummary`] indexes them).
    pub fn summaries(&self) -> &[Summary] {
        &self.summaries
    }

    /// The first file's header.
    pub fn header(&self) -> Option<&Header> {
        self.header.as_ref()
    }

    /// Records of types this reader does not use, by type.
    pub fn skipped(&self) -> &BTreeMap<String, u64> {
        &self.skipped
    }

    /// Usage records (`SU01`/`SU02`/`SU03`) read so far.
    pub fn lines(&self) -> u64 {
        self.usage_lines
    }

    /// A file error at `line` of the file being read, naming the file in a multi-file report.
    fn fail(&self, line: u32, message: impl Into<String>) -> FileError {
        if self.number_of_files > 1 {
            FileError::whole(format!(
                "file {} of {}, line {line}: {}",
                self.file,
                self.number_of_files,
                message.into()
            ))
        } else {
            FileError::at(line, message)
        }
    }

    fn names_for(&mut self, kind: &str) -> Vec<String> {
        if let Some(names) = self.unnamed_heading.take() {
            self.headings.insert(kind.to_owned(), names);
        }
        self.headings
            .get(kind)
            .or_else(|| self.headings.get(base_type(kind)))
            .or_else(|| self.defaults.get(base_type(kind)))
            .cloned()
            .unwrap_or_default()
    }

    /// A heading's cell name as this reader spells it.
    fn spelling(&self, name: &str) -> String {
        let name = name.trim();
        self.spellings
            .get(&name.to_ascii_lowercase())
            .map_or_else(|| name.to_owned(), |s| (*s).to_owned())
    }

    /// Opens the next file; `false` when there is none.
    fn open_next(&mut self) -> bool {
        match self.waiting.pop_front() {
            Some(file) => {
                self.input = Some(BufReader::with_capacity(256 * 1024, file));
                self.file += 1;
                self.offset += self.counts.lines;
                self.counts = FileCounts::default();
                // Headings and blocks belong to their file; summaries to the report.
                self.headings.clear();
                self.unnamed_heading = None;
                self.block = None;
                self.releases.clear();
                self.resources.clear();
                true
            }
            None => {
                self.input = None;
                false
            }
        }
    }

    /// Reads one physical line of the current file into the queue; `false` at its end.
    fn read_physical_line(&mut self) -> Result<bool, FileError> {
        let Some(input) = self.input.as_mut() else {
            return Ok(false);
        };
        self.buffer.clear();
        let read = match input.read_line(&mut self.buffer) {
            Ok(read) => read,
            Err(e) if e.kind() == std::io::ErrorKind::InvalidData => {
                return Err(self.fail(self.counts.lines + 1, "is not UTF-8 text"));
            }
            Err(e) => return Err(FileError::Io(e)),
        };
        if read == 0 {
            return Ok(false);
        }
        self.counts.lines += 1;
        let line = self.counts.lines;
        let text = std::mem::take(&mut self.buffer);
        // A byte-order mark is not part of the first record's type.
        let trimmed = text
            .trim_end_matches(['\n', '\r'])
            .trim_start_matches('\u{feff}');
        let result = self.read_line(line, trimmed);
        self.buffer = text;
        result.map(|()| true)
    }

    /// Reads until an item is ready; `None` at the end of the report.
    fn read_one(&mut self) -> Result<Option<Item>, FileError> {
        loop {
            if let Some(item) = self.ready.pop_front() {
                return Ok(Some(item));
            }
            if self.input.is_none() && !self.open_next() {
                return self.finish().map(|()| None);
            }
            if !self.read_physical_line()? {
                self.flush_ugc();
                self.finish_file()?;
                self.input = None;
            }
        }
    }

    fn read_line(&mut self, line: u32, text: &str) -> Result<(), FileError> {
        if text.trim().is_empty() {
            return Ok(());
        }
        if self.counts.footer_seen {
            return Err(self.fail(line, "data after the FOOT record"));
        }
        if let Some(heading) = text.strip_prefix('#') {
            let mut cells: Vec<String> = heading.split('\t').map(|c| self.spelling(c)).collect();
            let first = heading.split('\t').next().unwrap_or_default().trim();
            if looks_like_record_type(first) || first == "HEAD" || first == "FOOT" {
                cells[0] = "RecordType".to_owned();
                self.headings.insert(first.to_owned(), cells);
            } else {
                self.unnamed_heading = Some(cells);
            }
            return Ok(());
        }
        let cells: Vec<&str> = text.split('\t').collect();
        let kind = cells[0].trim();
        if !self.counts.header_seen && kind != "HEAD" {
            return Err(self.fail(
                line,
                "a DSR file starts with its HEAD record; this is not one (is the format right?)",
            ));
        }
        let names = self.names_for(kind);
        let record = Record {
            kind,
            cells,
            names: &names,
        };
        let base = base_type(kind);
        // A UGC line's licensing records follow it; anything else closes it.
        if base != "LI01" {
            self.flush_ugc();
        }
        let line = self.offset + line;
        match base {
            "HEAD" => self.read_head(line - self.offset, &record),
            "SY01" | "SY02" | "SY03" | "SY04" | "SY05" | "SY06" | "SY07" | "SY08" | "SY09"
            | "SY10" | "SY11" | "SY12" | "SY13" => {
                self.read_summary(line, &record);
                Ok(())
            }
            "RE01" | "RE02" | "AS01" | "AS02" | "MW01" => {
                self.read_block_record(&record);
                Ok(())
            }
            "SU01" | "SU02" => {
                let item = self.read_usage(line, &record);
                self.ready.extend(item);
                Ok(())
            }
            "SU03" => {
                self.read_ugc_usage(line, &record);
                Ok(())
            }
            "LI01" => {
                self.read_licensing(&record);
                Ok(())
            }
            "FOOT" => self.read_foot(line - self.offset, &record),
            _ => {
                *self.skipped.entry(kind.to_owned()).or_default() += 1;
                Ok(())
            }
        }
    }

    fn read_head(&mut self, line: u32, record: &Record<'_>) -> Result<(), FileError> {
        if self.counts.header_seen {
            return Err(self.fail(line, "a second HEAD record"));
        }
        self.counts.header_seen = true;
        let stated = record.get("Profile");
        let lower = stated.to_ascii_lowercase();
        let profile = if lower.contains("basicaudio") {
            Profile::BasicAudio
        } else if lower.contains("ugc") {
            Profile::Ugc
        } else {
            return Err(self.fail(
                line,
                format!(
                    "profile `{stated}` is not supported; backbeat reads the Basic Audio and UGC profiles"
                ),
            ));
        };
        let start = record.get("UsageStartDate");
        let end = record.get("UsageEndDate");
        let starts = iso_date_start(start)
            .ok_or_else(|| self.fail(line, "UsageStartDate must be YYYY[-MM[-DD]]"))?;
        if !self.period.contains(starts) {
            return Err(self.fail(
                line,
                format!(
                    "the file reports usage from {start} to {end}, not in the period {}",
                    self.period
                ),
            ));
        }
        let number = |name: &str| -> Result<u32, FileError> {
            match record.get(name) {
                "" => Ok(1),
                value => value
                    .parse::<u32>()
                    .ok()
                    .filter(|n| *n >= 1)
                    .ok_or_else(|| self.fail(line, format!("HEAD {name} must be a number from 1"))),
            }
        };
        let header = Header {
            profile,
            profile_version: record.get("ProfileVersion").to_owned(),
            message_id: record.get("MessageId").to_owned(),
            sender_party_id: record.get("SenderPartyId").to_owned(),
            sender_name: record.get("SenderName").to_owned(),
            usage_start: start.to_owned(),
            usage_end: end.to_owned(),
            file_number: number("FileNumber")?,
            number_of_files: number("NumberOfFiles")?,
        };
        if !self.peek
            && (header.number_of_files != self.number_of_files || header.file_number != self.file)
        {
            return Err(self.fail(
                line,
                format!(
                    "this is file {} of {} of report {}, read as file {} of {}: a report is read once all its files are there",
                    header.file_number,
                    header.number_of_files,
                    header.message_id,
                    self.file,
                    self.number_of_files
                ),
            ));
        }
        match &self.header {
            None => self.header = Some(header),
            Some(first) if first.message_id != header.message_id => {
                return Err(self.fail(
                    line,
                    format!(
                        "MessageId {} is not the report's ({})",
                        header.message_id, first.message_id
                    ),
                ));
            }
            Some(_) => {}
        }
        Ok(())
    }

    fn read_summary(&mut self, line: u32, record: &Record<'_>) {
        self.summary_records += 1;
        self.counts.summaries += 1;
        let id = record.get("SummaryRecordId").to_owned();
        let parsed = self.parse_summary(line, id.clone(), record);
        let entry = match (parsed, self.summary_index.get(&id)) {
            // A summary id on several records (one per rights controller, in UGC files): one
            // summary, its revenue added up, as long as they agree on where and in what.
            (Ok(more), Some(Ok(index))) => {
                let first = &mut self.summaries[*index];
                if first.territory == more.territory && first.currency == more.currency {
                    first.revenue += more.revenue;
                    first.usages = first.usages.zip(more.usages).map(|(a, b)| a + b);
                    Ok(*index)
                } else {
                    Err(BadSummary {
                        field: "SummaryRecordId".to_owned(),
                        reason: format!(
                            "summary {id} is stated twice (line {line}) for different territories or currencies"
                        ),
                    })
                }
            }
            (_, Some(Err(bad))) => Err(bad.clone()),
            (Ok(summary), None) => {
                self.summaries.push(summary);
                Ok(self.summaries.len() - 1)
            }
            (Err(e), _) => Err(BadSummary {
                field: e.field,
                reason: format!(
                    "its summary record (line {line}) is unusable: {}",
                    e.message
                ),
            }),
        };
        let loose = loose_id(&id).to_owned();
        match self.loose_index.get(&loose) {
            Some(Some(known)) if *known != id => {
                self.loose_index.insert(loose, None);
            }
            Some(_) => {}
            None => {
                self.loose_index.insert(loose, Some(id.clone()));
            }
        }
        self.summary_index.insert(id, entry);
    }

    fn parse_summary(
        &self,
        line: u32,
        id: String,
        record: &Record<'_>,
    ) -> Result<Summary, FieldError> {
        if id.is_empty() {
            return Err(FieldError::new("SummaryRecordId", "is required"));
        }
        let territory = fields::territory("Territory", record.required("Territory")?)?;
        let currency = fields::currency(
            "CurrencyOfReporting",
            record.required("CurrencyOfReporting")?,
        )?;
        // The rights controller's share where the record states one, else the whole net.
        let allocated = record.values("AllocatedNetRevenue");
        let revenue = if allocated.is_empty() {
            let net = record.get("NetRevenue");
            if net.is_empty() {
                Decimal::ZERO
            } else {
                fields::amount("NetRevenue", net)?
            }
        } else {
            let mut sum = Decimal::ZERO;
            for value in &allocated {
                sum = sum
                    .checked_add(fields::amount("AllocatedNetRevenue", value)?)
                    .ok_or_else(|| FieldError::new("AllocatedNetRevenue", "is too large"))?;
            }
            sum
        };
        let use_type = line_use_type(record).unwrap_or(UseType::Stream);
        let usages = match record.get("Usages") {
            "" => None,
            value => Some(fields::units("Usages", value)?),
        };
        Ok(Summary {
            id,
            line,
            revenue,
            currency,
            territory,
            use_type,
            usages,
        })
    }

    /// The summary a usage line names: by its exact id, else by its number alone when that is
    /// unambiguous.
    fn summary_of(&self, id: &str) -> Result<usize, FieldError> {
        let found = self.summary_index.get(id).or_else(|| {
            self.loose_index
                .get(loose_id(id))
                .and_then(|exact| exact.as_ref())
                .and_then(|exact| self.summary_index.get(exact))
        });
        match found {
            Some(Ok(index)) => Ok(*index),
            Some(Err(bad)) => Err(FieldError::new(bad.field.clone(), bad.reason.clone())),
            None => Err(FieldError::new(
                "SummaryRecordId",
                format!("names no summary record of this report ({id})"),
            )),
        }
    }

    /// Records of a block share its id; a new id closes the block before and forgets its
    /// references, which are specific to their block.
    fn enter_block(&mut self, id: &str) {
        if self.block.as_deref() != Some(id) {
            self.block = Some(id.to_owned());
            self.blocks += 1;
            self.counts.blocks += 1;
            self.releases.clear();
            self.resources.clear();
        }
    }

    fn read_block_record(&mut self, record: &Record<'_>) {
        self.enter_block(record.get("BlockId"));
        match base_type(record.kind) {
            "RE01" => self.releases.push(Release {
                reference: record.get("ReleaseReference").to_owned(),
                upc: Upc::parse("ICPN", record.get("ICPN")).ok(),
                title: fields::text(record.get("Title")),
                artist: fields::text(record.get("DisplayArtistName")),
            }),
            "RE02" => self.releases.push(Release {
                reference: record.get("ReleaseReference").to_owned(),
                ..Release::default()
            }),
            "AS01" | "AS02" => {
                let kind = record.get("ResourceType").to_ascii_lowercase();
                self.resources.push(Resource {
                    reference: record.get("ResourceReference").to_owned(),
                    dsp_id: record.get("DspResourceId").to_owned(),
                    isrc: record
                        .values("ISRC")
                        .iter()
                        .find_map(|v| Isrc::parse("ISRC", v).ok()),
                    title: fields::text(record.get("Title")),
                    artist: fields::text(record.get("DisplayArtistName")),
                    duration: duration_seconds(record.get("Duration")),
                    sound_recording: kind.is_empty() || kind.contains("soundrecording"),
                });
            }
            _ => {}
        }
    }

    /// The block's release UPC, for UPC + title matching when an ISRC matches nothing.
    fn block_upc(&self) -> Option<Upc> {
        self.releases.iter().find_map(|r| r.upc.clone())
    }

    fn read_usage(&mut self, line: u32, record: &Record<'_>) -> Vec<Item> {
        self.usage_lines += 1;
        self.enter_block(record.get("BlockId"));
        match self.parse_usage(line, record) {
            Ok(usages) => usages.into_iter().map(Item::Line).collect(),
            Err(error) => vec![Item::Rejected(Rejection {
                line,
                field: Some(error.field),
                reason: error.message,
            })],
        }
    }

    fn parse_usage(&self, line: u32, record: &Record<'_>) -> Result<Vec<UsageLine>, FieldError> {
        let transaction_id =
            fields::transaction_id("SalesTransactionId", record.get("SalesTransactionId"))?;
        let summary = self.summary_of(record.required("SummaryRecordId")?)?;
        let units = if base_type(record.kind) == "SU02" {
            fields::units("NumberOfStreams", record.required("NumberOfStreams")?)?
        } else {
            let usages = fields::units("Usages", record.required("Usages")?)?;
            let returns = match record.get("Returns") {
                "" => 0,
                value => fields::units("Returns", value)?,
            };
            if returns > usages {
                return Err(FieldError::new("Returns", "exceeds the usages of the line"));
            }
            usages - returns
        };
        let facts = &self.summaries[summary];
        let royalty_bearing = !record.get("IsRoyaltyBearing").eq_ignore_ascii_case("false");
        let template = UsageLine {
            line,
            transaction_id,
            isrc: None,
            upc: None,
            title: None,
            artist: None,
            territory: facts.territory.clone(),
            use_type: line_use_type(record).unwrap_or(facts.use_type),
            units,
            revenue: if royalty_bearing {
                Revenue::FromSummary(summary)
            } else {
                Revenue::Reported(Decimal::ZERO)
            },
            currency: facts.currency,
            usage_date: None,
            share: None,
        };
        let block = record.get("BlockId");
        match (
            record.get("TransactedResource"),
            record.get("TransactedRelease"),
        ) {
            (resource, "") if !resource.is_empty() => {
                let found = self
                    .resources
                    .iter()
                    .find(|r| r.reference == resource)
                    .ok_or_else(|| {
                        FieldError::new(
                            "TransactedResource",
                            format!("names no resource of block {block}"),
                        )
                    })?;
                let usage = UsageLine {
                    isrc: found.isrc.clone(),
                    upc: self.block_upc(),
                    title: found.title.clone(),
                    artist: found.artist.clone(),
                    ..template
                };
                identified(&usage)?;
                Ok(vec![usage])
            }
            ("", release) if !release.is_empty() => {
                let found = self
                    .releases
                    .iter()
                    .find(|r| r.reference == release)
                    .ok_or_else(|| {
                        FieldError::new(
                            "TransactedRelease",
                            format!("names no release of block {block}"),
                        )
                    })?;
                let tracks: Vec<&Resource> = self
                    .resources
                    .iter()
                    .filter(|r| r.sound_recording)
                    .collect();
                if tracks.is_empty() {
                    // Nothing to share it among: the release itself, matched by UPC and title.
                    let usage = UsageLine {
                        upc: found.upc.clone(),
                        title: found.title.clone(),
                        artist: found.artist.clone(),
                        ..template
                    };
                    identified(&usage)?;
                    return Ok(vec![usage]);
                }
                let shares = shares(&tracks);
                // One track is the whole release: its line is the usage as reported.
                let whole = tracks.len() == 1;
                tracks
                    .iter()
                    .zip(shares)
                    .enumerate()
                    .map(|(n, (track, share))| {
                        let usage = UsageLine {
                            transaction_id: if whole {
                                template.transaction_id.clone()
                            } else {
                                format!("{}/{}", template.transaction_id, n + 1)
                            },
                            isrc: track.isrc.clone(),
                            upc: found.upc.clone().or_else(|| self.block_upc()),
                            title: track.title.clone(),
                            artist: track.artist.clone().or_else(|| found.artist.clone()),
                            share: (!whole).then_some(share),
                            ..template.clone()
                        };
                        identified(&usage).map(|()| usage)
                    })
                    .collect()
            }
            _ => Err(FieldError::new(
                "TransactedResource",
                "exactly one of TransactedRelease and TransactedResource is required",
            )),
        }
    }

    /// An `SU03` UGC usage: held until the `LI01` records after it have said what is due.
    fn read_ugc_usage(&mut self, line: u32, record: &Record<'_>) {
        self.usage_lines += 1;
        self.enter_block(record.get("BlockId"));
        let parsed = self.parse_ugc_usage(line, record);
        self.ugc = Some(PendingUgc {
            at: line,
            line: parsed,
            royalty_bearing: !record.get("IsRoyaltyBearing").eq_ignore_ascii_case("false"),
            allocated: None,
        });
    }

    fn parse_ugc_usage(&self, line: u32, record: &Record<'_>) -> Result<UsageLine, FieldError> {
        // UGC transaction ids are unique within their block only (YouTube's start at `U1` in
        // each): the block makes them the report's.
        let transaction_id = format!(
            "{}/{}",
            record.get("BlockId"),
            fields::transaction_id("SalesTransactionId", record.get("SalesTransactionId"))?
        );
        // Without a summary, the territory and currency all of the report's summaries share.
        let facts = match record.get("SummaryRecordId") {
            "" => {
                let first = self.summaries.first().filter(|first| {
                    self.summaries
                        .iter()
                        .all(|s| s.territory == first.territory && s.currency == first.currency)
                });
                first.ok_or_else(|| {
                    FieldError::new(
                        "SummaryRecordId",
                        "is required when the report's summaries differ in territory or currency",
                    )
                })?
            }
            id => &self.summaries[self.summary_of(id)?],
        };
        // UGC 1.0 names the resource `DspReleaseId`, later versions `DspResourceId`.
        let resource = record.first_of(&["DspResourceId", "DspReleaseId"]);
        let found = self
            .resources
            .iter()
            .find(|r| r.dsp_id == resource || r.reference == resource)
            .ok_or_else(|| {
                FieldError::new(
                    "DspResourceId",
                    format!(
                        "names no resource of block {} ({resource})",
                        record.get("BlockId")
                    ),
                )
            })?;
        let revenue = match record.get("NetRevenue") {
            "" => Decimal::ZERO,
            value => fields::amount("NetRevenue", value)?,
        };
        let royalty_bearing = !record.get("IsRoyaltyBearing").eq_ignore_ascii_case("false");
        let usage = UsageLine {
            line,
            transaction_id,
            isrc: found.isrc.clone(),
            upc: self.block_upc(),
            title: found.title.clone(),
            artist: found.artist.clone(),
            territory: facts.territory.clone(),
            use_type: facts.use_type,
            units: fields::units("Usages", record.required("Usages")?)?,
            revenue: Revenue::Reported(if royalty_bearing {
                revenue
            } else {
                Decimal::ZERO
            }),
            currency: facts.currency,
            usage_date: day("ValidityPeriodStart", record.get("ValidityPeriodStart"))?,
            share: None,
        };
        identified(&usage)?;
        Ok(usage)
    }

    /// An `LI01` record: what of the UGC line before it is due to the rights controller.
    fn read_licensing(&mut self, record: &Record<'_>) {
        let Some(pending) = self.ugc.as_mut() else {
            *self.skipped.entry(record.kind.to_owned()).or_default() += 1;
            return;
        };
        let Ok(_) = pending.line else {
            return;
        };
        let (field, value) = match record.get("AllocatedAmount") {
            "" => ("AllocatedNetRevenue", record.get("AllocatedNetRevenue")),
            amount => ("AllocatedAmount", amount),
        };
        if value.is_empty() {
            return;
        }
        match fields::amount(field, value) {
            Ok(amount) => *pending.allocated.get_or_insert(Decimal::ZERO) += amount,
            Err(error) => pending.line = Err(error),
        }
    }

    /// Releases the UGC line waiting for its licensing records.
    fn flush_ugc(&mut self) {
        let Some(pending) = self.ugc.take() else {
            return;
        };
        let item = match pending.line {
            Ok(mut usage) => {
                if let Some(allocated) = pending.allocated.filter(|_| pending.royalty_bearing) {
                    usage.revenue = Revenue::Reported(allocated);
                }
                Item::Line(usage)
            }
            Err(error) => Item::Rejected(Rejection {
                line: pending.at,
                field: Some(error.field),
                reason: error.message,
            }),
        };
        self.ready.push_back(item);
    }

    fn read_foot(&mut self, line: u32, record: &Record<'_>) -> Result<(), FileError> {
        self.counts.footer_seen = true;
        let count = |name: &str| -> Result<u64, FileError> {
            record
                .get(name)
                .parse::<u64>()
                .map_err(|_| self.fail(line, format!("FOOT {name} must be a whole number")))
        };
        let checks = [
            ("NumberOfLinesInFile", u64::from(line), "lines"),
            ("NumberOfBlocksInFile", self.counts.blocks, "blocks"),
        ];
        for (name, read, what) in checks {
            let stated = count(name)?;
            if stated != read {
                return Err(self.fail(
                    line,
                    format!(
                        "FOOT {name} says {stated} {what}, the file has {read}: it is incomplete or altered"
                    ),
                ));
            }
        }
        // The file's summaries, or the report's so far (senders count either way).
        let stated = count("NumberOfSummaryRecords")?;
        if stated != self.counts.summaries && stated != self.summary_records {
            return Err(self.fail(
                line,
                format!(
                    "FOOT NumberOfSummaryRecords says {stated} summary records, the file has {}: it is incomplete or altered",
                    self.counts.summaries
                ),
            ));
        }
        // Blocks in the report are not checked: DDEX's own sample files state numbers there
        // that no file of theirs has.
        if !record.get("NumberOfLinesInReport").is_empty() {
            let stated = count("NumberOfLinesInReport")?;
            self.stated_report_lines.push((self.file, stated, line));
        }
        Ok(())
    }

    /// The end of one file: it must have been whole.
    fn finish_file(&mut self) -> Result<(), FileError> {
        if !self.counts.header_seen {
            return Err(self.fail(1, "the file is empty: a DSR file starts with HEAD"));
        }
        if !self.counts.footer_seen {
            return Err(self.fail(
                self.counts.lines,
                "the file ends without its FOOT record: it looks truncated",
            ));
        }
        Ok(())
    }

    /// The end of the report: every file's count of the report's lines must be what they hold.
    fn finish(&mut self) -> Result<(), FileError> {
        if self.header.is_none() {
            return Err(FileError::whole(
                "the file is empty: a DSR file starts with HEAD",
            ));
        }
        let total = u64::from(self.offset + self.counts.lines);
        for (file, stated, line) in &self.stated_report_lines {
            if *stated != total {
                let message = format!(
                    "FOOT NumberOfLinesInReport says {stated} lines, the report's files have {total}: a file is missing, incomplete or altered"
                );
                return Err(if self.number_of_files > 1 {
                    FileError::whole(format!(
                        "file {file} of {}, line {line}: {message}",
                        self.number_of_files
                    ))
                } else {
                    FileError::at(*line, message)
                });
            }
        }
        Ok(())
    }
}

/// A line must name its recording (ISRC) or its release (UPC) to be matched at all.
fn identified(usage: &UsageLine) -> Result<(), FieldError> {
    if usage.isrc.is_none() && usage.upc.is_none() {
        Err(FieldError::new(
            "ISRC",
            "the usage's resource has no ISRC and its release no ICPN",
        ))
    } else {
        Ok(())
    }
}

/// Each track's part of a release: its duration over theirs, or equal parts when any has none.
/// Ten decimal places: the loader's allocation only compares them.
fn shares(tracks: &[&Resource]) -> Vec<Decimal> {
    let durations: Option<Vec<u32>> = tracks.iter().map(|t| t.duration).collect();
    let weights: Vec<Decimal> = match durations {
        Some(durations) => durations.into_iter().map(Decimal::from).collect(),
        None => vec![Decimal::ONE; tracks.len()],
    };
    let total: Decimal = weights.iter().copied().sum();
    weights
        .into_iter()
        .map(|w| (w / total).round_dp(10))
        .collect()
}

impl<R: Read> Iterator for DsrReport<R> {
    type Item = Result<Item, FileError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        match self.read_one() {
            Ok(Some(item)) => Some(Ok(item)),
            Ok(None) => {
                self.done = true;
                None
            }
            Err(error) => {
                self.done = true;
                Some(Err(error))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multi_values_split_on_unescaped_bars() {
        assert_eq!(split_values("A|B| C "), ["A", "B", "C"]);
        assert_eq!(split_values(r"A\|B|C"), ["A|B", "C"]);
        assert!(split_values("").is_empty());
        assert_eq!(base_type("SU02.02"), "SU02");
        assert!(looks_like_record_type("AS02.03") && !looks_like_record_type("RecordType"));
    }

    #[test]
    fn durations_and_loose_summary_ids() {
        assert_eq!(duration_seconds("PT3M20S"), Some(200));
        assert_eq!(duration_seconds("PT199S"), Some(199));
        assert_eq!(duration_seconds("PT1H0M5.4S"), Some(3605));
        assert_eq!(duration_seconds("PT0H0M0S"), None);
        assert_eq!(duration_seconds("3:20"), None);
        assert_eq!(
            (loose_id("SY1"), loose_id("S1"), loose_id("1")),
            ("1", "1", "1")
        );
        assert_eq!(loose_id("SY02"), "02");
    }
}
