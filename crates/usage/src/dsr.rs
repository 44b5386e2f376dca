//! DDEX DSR flat files, Basic Audio profile (1.2): tab-separated records, one per line.
//!
//! `HEAD`, then summary records (`SY01.01`, `SY02.02`, `SY04.01`, `SY05.02`, `SY06.02`) that
//! carry each territory's and offer's revenue, then blocks of a release (`RE01`), its resources
//! (`AS01.01`/`AS02.02`) and their usage lines (`SU01` sales, `SU02` streams), then `FOOT` with
//! the counts of lines, summaries and blocks. Record types may carry a version suffix
//! (`SU02.02`). A `#` line names the cells of the record type that follows, and cells are read
//! by those names; without one, the profile's order applies. Multi-valued cells are separated by
//! `|` (`\` escapes). Record types this reader does not use are counted and skipped.
//!
//! Usage lines carry no money in this profile: a line's revenue is its share of its summary
//! record's revenue (the rights controller's `AllocatedNetRevenue` where the summary has one,
//! else `NetRevenue`), pro rata to its usages. The reader hands out the summaries
//! ([`DsrReport::summaries`]) and marks each line [`Revenue::FromSummary`]; the loader allocates.

use std::collections::{BTreeMap, HashMap};
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

/// A summary record: the revenue its usage lines share.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    pub id: String,
    /// The line of the file it was read from.
    pub line: u32,
    pub revenue: Decimal,
    pub currency: Currency,
    pub territory: String,
    pub use_type: UseType,
    /// `Usages` as the summary states it, when it does.
    pub usages: Option<i64>,
}

/// What the file's header said.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Header {
    pub message_id: String,
    pub sender_party_id: String,
    pub sender_name: String,
    pub usage_start: String,
    pub usage_end: String,
}

/// A summary that could not be read: the lines that reference it are refused with this reason.
#[derive(Debug, Clone)]
struct BadSummary {
    field: String,
    reason: String,
}

#[derive(Debug, Default)]
struct Release {
    upc: Option<Upc>,
    title: Option<String>,
    artist: Option<String>,
}

#[derive(Debug, Default)]
struct Resource {
    isrc: Option<Isrc>,
    title: Option<String>,
    artist: Option<String>,
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

/// A DSR flat file being read.
pub struct DsrReport<R> {
    input: BufReader<R>,
    period: Period,
    buffer: String,
    /// Physical lines read, heading and empty lines included (what `FOOT` counts).
    lines: u32,
    /// The cell names of each record type, as the file's `#` lines give them.
    headings: HashMap<String, Vec<String>>,
    /// A `#` line whose first cell does not name its record type: it names the next one's.
    unnamed_heading: Option<Vec<String>>,
    defaults: HashMap<&'static str, Vec<String>>,
    header: Option<Header>,
    summaries: Vec<Summary>,
    summary_index: HashMap<String, Result<usize, BadSummary>>,
    summary_records: u64,
    block: Option<String>,
    blocks: u64,
    releases: HashMap<String, Release>,
    resources: HashMap<String, Resource>,
    usage_lines: u64,
    skipped: BTreeMap<String, u64>,
    footer_seen: bool,
    done: bool,
}

impl<R: Read> DsrReport<R> {
    pub fn new(input: R, period: Period) -> Self {
        Self {
            input: BufReader::with_capacity(256 * 1024, input),
            period,
            buffer: String::new(),
            lines: 0,
            headings: HashMap::new(),
            unnamed_heading: None,
            defaults: DEFAULT_CELLS
                .iter()
                .map(|(kind, cells)| (*kind, cells.iter().map(|c| (*c).to_owned()).collect()))
                .collect(),
            header: None,
            summaries: Vec::new(),
            summary_index: HashMap::new(),
            summary_records: 0,
            block: None,
            blocks: 0,
            releases: HashMap::new(),
            resources: HashMap::new(),
            usage_lines: 0,
            skipped: BTreeMap::new(),
            footer_seen: false,
            done: false,
        }
    }

    /// The summary records read, in file order ([`Revenue::FromSummary`] indexes them).
    pub fn summaries(&self) -> &[Summary] {
        &self.summaries
    }

    pub fn header(&self) -> Option<&Header> {
        self.header.as_ref()
    }

    /// Records of types this reader does not use, by type.
    pub fn skipped(&self) -> &BTreeMap<String, u64> {
        &self.skipped
    }

    /// Usage records (`SU01`/`SU02`) read so far.
    pub fn lines(&self) -> u64 {
        self.usage_lines
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

    /// Reads lines until one yields an item; `None` at the end of the file.
    fn read_one(&mut self) -> Result<Option<Item>, FileError> {
        loop {
            self.buffer.clear();
            let read = self.input.read_line(&mut self.buffer).map_err(|e| {
                if e.kind() == std::io::ErrorKind::InvalidData {
                    FileError::at(self.lines + 1, "is not UTF-8 text")
                } else {
                    FileError::Io(e)
                }
            })?;
            if read == 0 {
                return self.finish().map(|()| None);
            }
            self.lines += 1;
            let line = self.lines;
            let text = std::mem::take(&mut self.buffer);
            let result = self.read_line(line, text.trim_end_matches(['\n', '\r']));
            self.buffer = text;
            if let Some(item) = result? {
                return Ok(Some(item));
            }
        }
    }

    fn read_line(&mut self, line: u32, text: &str) -> Result<Option<Item>, FileError> {
        if text.trim().is_empty() {
            return Ok(None);
        }
        if self.footer_seen {
            return Err(FileError::at(line, "data after the FOOT record"));
        }
        if let Some(heading) = text.strip_prefix('#') {
            let mut cells: Vec<String> = heading.split('\t').map(|c| c.trim().to_owned()).collect();
            if looks_like_record_type(&cells[0]) || cells[0] == "HEAD" || cells[0] == "FOOT" {
                let kind = std::mem::replace(&mut cells[0], "RecordType".to_owned());
                self.headings.insert(kind, cells);
            } else {
                self.unnamed_heading = Some(cells);
            }
            return Ok(None);
        }
        let cells: Vec<&str> = text.split('\t').collect();
        let kind = cells[0].trim();
        if self.header.is_none() && kind != "HEAD" {
            return Err(FileError::at(
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
        match base_type(kind) {
            "HEAD" => self.read_head(line, &record).map(|()| None),
            "SY01" | "SY02" | "SY03" | "SY04" | "SY05" | "SY06" | "SY07" | "SY08" | "SY09"
            | "SY10" | "SY11" | "SY12" | "SY13" => {
                self.read_summary(line, &record);
                Ok(None)
            }
            "RE01" | "RE02" | "AS01" | "AS02" | "MW01" => {
                self.read_block_record(&record);
                Ok(None)
            }
            "SU01" | "SU02" => Ok(Some(self.read_usage(line, &record))),
            "FOOT" => self.read_foot(line, &record).map(|()| None),
            _ => {
                *self.skipped.entry(kind.to_owned()).or_default() += 1;
                Ok(None)
            }
        }
    }

    fn read_head(&mut self, line: u32, record: &Record<'_>) -> Result<(), FileError> {
        if self.header.is_some() {
            return Err(FileError::at(line, "a second HEAD record"));
        }
        let profile = record.get("Profile");
        if !profile.to_ascii_lowercase().contains("basicaudio") {
            return Err(FileError::at(
                line,
                format!(
                    "profile `{profile}` is not supported; backbeat reads the Basic Audio profile"
                ),
            ));
        }
        let start = record.get("UsageStartDate");
        let end = record.get("UsageEndDate");
        let starts = iso_date_start(start)
            .ok_or_else(|| FileError::at(line, "UsageStartDate must be YYYY[-MM[-DD]]"))?;
        if !self.period.contains(starts) {
            return Err(FileError::at(
                line,
                format!(
                    "the file reports usage from {start} to {end}, not in the period {}",
                    self.period
                ),
            ));
        }
        self.header = Some(Header {
            message_id: record.get("MessageId").to_owned(),
            sender_party_id: record.get("SenderPartyId").to_owned(),
            sender_name: record.get("SenderName").to_owned(),
            usage_start: start.to_owned(),
            usage_end: end.to_owned(),
        });
        Ok(())
    }

    fn read_summary(&mut self, line: u32, record: &Record<'_>) {
        self.summary_records += 1;
        let id = record.get("SummaryRecordId").to_owned();
        let parsed = self.parse_summary(line, id.clone(), record);
        let entry = parsed.map(|summary| {
            self.summaries.push(summary);
            self.summaries.len() - 1
        });
        self.summary_index.insert(
            id,
            entry.map_err(|e| BadSummary {
                field: e.field,
                reason: format!(
                    "its summary record (line {line}) is unusable: {}",
                    e.message
                ),
            }),
        );
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
        let use_type = record.get("UseType").to_ascii_lowercase();
        let use_type = if use_type.contains("download") {
            UseType::Download
        } else {
            UseType::Stream
        };
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

    /// Records of a block share its id; a new id closes the block before and forgets its
    /// references, which are specific to their block.
    fn enter_block(&mut self, id: &str) {
        if self.block.as_deref() != Some(id) {
            self.block = Some(id.to_owned());
            self.blocks += 1;
            self.releases.clear();
            self.resources.clear();
        }
    }

    fn read_block_record(&mut self, record: &Record<'_>) {
        self.enter_block(record.get("BlockId"));
        match base_type(record.kind) {
            "RE01" => {
                self.releases.insert(
                    record.get("ReleaseReference").to_owned(),
                    Release {
                        upc: Upc::parse("ICPN", record.get("ICPN")).ok(),
                        title: fields::text(record.get("Title")),
                        artist: fields::text(record.get("DisplayArtistName")),
                    },
                );
            }
            "RE02" => {
                self.releases.insert(
                    record.get("ReleaseReference").to_owned(),
                    Release::default(),
                );
            }
            "AS01" | "AS02" => {
                self.resources.insert(
                    record.get("ResourceReference").to_owned(),
                    Resource {
                        isrc: record
                            .values("ISRC")
                            .iter()
                            .find_map(|v| Isrc::parse("ISRC", v).ok()),
                        title: fields::text(record.get("Title")),
                        artist: fields::text(record.get("DisplayArtistName")),
                    },
                );
            }
            _ => {}
        }
    }

    fn read_usage(&mut self, line: u32, record: &Record<'_>) -> Item {
        self.usage_lines += 1;
        self.enter_block(record.get("BlockId"));
        match self.parse_usage(line, record) {
            Ok(usage) => Item::Line(usage),
            Err(error) => Item::Rejected(Rejection {
                line,
                field: Some(error.field),
                reason: error.message,
            }),
        }
    }

    fn parse_usage(&self, line: u32, record: &Record<'_>) -> Result<UsageLine, FieldError> {
        let transaction_id =
            fields::transaction_id("SalesTransactionId", record.get("SalesTransactionId"))?;
        let summary_id = record.required("SummaryRecordId")?;
        let summary = match self.summary_index.get(summary_id) {
            Some(Ok(index)) => *index,
            Some(Err(bad)) => return Err(FieldError::new(bad.field.clone(), bad.reason.clone())),
            None => {
                return Err(FieldError::new(
                    "SummaryRecordId",
                    format!("names no summary record of this file ({summary_id})"),
                ));
            }
        };
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
        let (isrc, upc, title, artist) = match (
            record.get("TransactedResource"),
            record.get("TransactedRelease"),
        ) {
            (resource, "") if !resource.is_empty() => {
                let found = self.resources.get(resource).ok_or_else(|| {
                    FieldError::new(
                        "TransactedResource",
                        format!("names no resource of block {}", record.get("BlockId")),
                    )
                })?;
                // The block's release, for UPC + title matching when the ISRC matches nothing.
                let upc = self.releases.values().find_map(|r| r.upc.clone());
                (
                    found.isrc.clone(),
                    upc,
                    found.title.clone(),
                    found.artist.clone(),
                )
            }
            ("", release) if !release.is_empty() => {
                let found = self.releases.get(release).ok_or_else(|| {
                    FieldError::new(
                        "TransactedRelease",
                        format!("names no release of block {}", record.get("BlockId")),
                    )
                })?;
                (
                    None,
                    found.upc.clone(),
                    found.title.clone(),
                    found.artist.clone(),
                )
            }
            _ => {
                return Err(FieldError::new(
                    "TransactedResource",
                    "exactly one of TransactedRelease and TransactedResource is required",
                ));
            }
        };
        if isrc.is_none() && upc.is_none() {
            return Err(FieldError::new(
                "ISRC",
                "the usage's resource has no ISRC and its release no ICPN",
            ));
        }
        let facts = &self.summaries[summary];
        let royalty_bearing = !record.get("IsRoyaltyBearing").eq_ignore_ascii_case("false");
        Ok(UsageLine {
            line,
            transaction_id,
            isrc,
            upc,
            title,
            artist,
            territory: facts.territory.clone(),
            use_type: facts.use_type,
            units,
            revenue: if royalty_bearing {
                Revenue::FromSummary(summary)
            } else {
                Revenue::Reported(Decimal::ZERO)
            },
            currency: facts.currency,
            usage_date: None,
        })
    }

    fn read_foot(&mut self, line: u32, record: &Record<'_>) -> Result<(), FileError> {
        self.footer_seen = true;
        let count = |name: &str| -> Result<u64, FileError> {
            record
                .get(name)
                .parse::<u64>()
                .map_err(|_| FileError::at(line, format!("FOOT {name} must be a whole number")))
        };
        let checks = [
            ("NumberOfLinesInFile", u64::from(line), "lines"),
            (
                "NumberOfSummaryRecords",
                self.summary_records,
                "summary records",
            ),
            ("NumberOfBlocksInFile", self.blocks, "blocks"),
        ];
        for (name, read, what) in checks {
            let stated = count(name)?;
            if stated != read {
                return Err(FileError::at(
                    line,
                    format!(
                        "FOOT {name} says {stated} {what}, the file has {read}: it is incomplete or altered"
                    ),
                ));
            }
        }
        Ok(())
    }

    fn finish(&mut self) -> Result<(), FileError> {
        if self.header.is_none() {
            return Err(FileError::whole(
                "the file is empty: a DSR file starts with HEAD",
            ));
        }
        if !self.footer_seen {
            return Err(FileError::at(
                self.lines,
                "the file ends without its FOOT record: it looks truncated",
            ));
        }
        Ok(())
    }
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
}
