//! Usage reports as CSV: one header row, then one line per sale or usage.
//!
//! Columns are found by name, whatever the case, spaces, `_` or `-` (`Net Revenue`,
//! `net_revenue` and `NET-REVENUE` are one column). Required: `transaction_id`, `isrc`, `upc`,
//! `territory`, `use_type`, `units`, `net_revenue`, `currency`; optional: `title`, `artist`,
//! `usage_date`. Other columns are ignored. [`COLUMNS`] lists the aliases accepted for each.

use std::io::Read;

use backbeat_domain::FieldError;
use backbeat_domain::period::Period;
use backbeat_domain::usage::UseType;

use crate::{FileError, Item, Rejection, Revenue, UsageLine, fields};

/// Each column, its aliases (compared without case, spaces, `_` or `-`), and whether it is
/// required.
pub const COLUMNS: &[(Column, &[&str], bool)] = &[
    (
        Column::TransactionId,
        &["transaction_id", "sales_transaction_id", "transaction"],
        true,
    ),
    (Column::Isrc, &["isrc"], true),
    (Column::Upc, &["upc", "ean", "icpn"], true),
    (
        Column::Territory,
        &["territory", "country", "country_code", "territory_code"],
        true,
    ),
    (
        Column::UseType,
        &["use_type", "usage_type", "sale_type"],
        true,
    ),
    (Column::Units, &["units", "quantity"], true),
    (
        Column::NetRevenue,
        &["net_revenue", "revenue", "net_amount"],
        true,
    ),
    (Column::Currency, &["currency", "currency_code"], true),
    (
        Column::Title,
        &["title", "track_title", "song_title"],
        false,
    ),
    (
        Column::Artist,
        &["artist", "artist_name", "display_artist"],
        false,
    ),
    (
        Column::UsageDate,
        &["usage_date", "date", "sale_date"],
        false,
    ),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Column {
    TransactionId,
    Isrc,
    Upc,
    Territory,
    UseType,
    Units,
    NetRevenue,
    Currency,
    Title,
    Artist,
    UsageDate,
}

impl Column {
    /// The column's documented name.
    pub fn name(self) -> &'static str {
        COLUMNS
            .iter()
            .find(|(c, _, _)| *c == self)
            .map_or("", |(_, names, _)| names[0])
    }
}

fn squash(name: &str) -> String {
    name.trim()
        .trim_start_matches('\u{feff}')
        .chars()
        .filter(|c| !matches!(c, ' ' | '_' | '-'))
        .flat_map(char::to_lowercase)
        .collect()
}

/// Remembers the last byte read, to tell a file cut short from one without a final newline.
struct Tail<R> {
    inner: R,
    last: Option<u8>,
}

impl<R: Read> Read for Tail<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n > 0 {
            self.last = Some(buf[n - 1]);
        }
        Ok(n)
    }
}

/// A CSV usage report being read.
pub struct CsvReport<R> {
    reader: csv::Reader<Tail<R>>,
    /// The position of each column in a record.
    positions: [Option<usize>; 11],
    width: usize,
    period: Period,
    record: csv::ByteRecord,
    /// Read but not yet handed out: the last line decides whether the file was cut short.
    pending: Option<Item>,
    done: bool,
    lines: u64,
}

impl<R: Read> CsvReport<R> {
    /// Reads the header row; a file without the required columns is refused whole.
    pub fn new(input: R, period: Period) -> Result<Self, FileError> {
        let mut reader = csv::ReaderBuilder::new()
            .flexible(true)
            .has_headers(true)
            .from_reader(Tail {
                inner: input,
                last: None,
            });
        let header = reader.byte_headers().map_err(csv_error)?.clone();
        if header.is_empty() || header.iter().all(|h| h.is_empty()) {
            return Err(FileError::whole(
                "the file is empty: a header row is required",
            ));
        }
        let mut positions = [None; 11];
        for (index, raw) in header.iter().enumerate() {
            let name = squash(&String::from_utf8_lossy(raw));
            let Some(slot) = COLUMNS
                .iter()
                .position(|(_, aliases, _)| aliases.iter().any(|a| squash(a) == name))
            else {
                continue;
            };
            if let Some(first) = positions[slot] {
                return Err(FileError::at(
                    1,
                    format!(
                        "columns {} and {} both give `{}`",
                        first + 1,
                        index + 1,
                        COLUMNS[slot].0.name()
                    ),
                ));
            }
            positions[slot] = Some(index);
        }
        let missing: Vec<&str> = COLUMNS
            .iter()
            .zip(&positions)
            .filter(|((_, _, required), found)| *required && found.is_none())
            .map(|((column, _, _), _)| column.name())
            .collect();
        if !missing.is_empty() {
            return Err(FileError::at(
                1,
                format!("the header lacks required columns: {}", missing.join(", ")),
            ));
        }
        Ok(Self {
            reader,
            positions,
            width: header.len(),
            period,
            record: csv::ByteRecord::new(),
            pending: None,
            done: false,
            lines: 0,
        })
    }

    /// Data lines read so far (the header excluded).
    pub fn lines(&self) -> u64 {
        self.lines
    }

    fn cell(&self, column: Column) -> Result<&str, FieldError> {
        let slot = COLUMNS
            .iter()
            .position(|(c, _, _)| *c == column)
            .expect("every column is listed");
        let Some(index) = self.positions[slot] else {
            return Ok("");
        };
        let bytes = self.record.get(index).unwrap_or_default();
        std::str::from_utf8(bytes).map_err(|_| FieldError::new(column.name(), "is not UTF-8 text"))
    }

    fn parse(&self, line: u32) -> Result<UsageLine, FieldError> {
        if self.record.len() != self.width {
            return Err(FieldError::new(
                "line",
                format!(
                    "has {} fields where the header has {}",
                    self.record.len(),
                    self.width
                ),
            ));
        }
        let name = |c: Column| c.name();
        let transaction_id = fields::transaction_id(
            name(Column::TransactionId),
            self.cell(Column::TransactionId)?,
        )?;
        let isrc = fields::isrc(name(Column::Isrc), self.cell(Column::Isrc)?)?;
        let upc = fields::upc(name(Column::Upc), self.cell(Column::Upc)?)?;
        if isrc.is_none() && upc.is_none() {
            return Err(FieldError::new(
                name(Column::Isrc),
                "is required when there is no UPC",
            ));
        }
        let territory = fields::territory(name(Column::Territory), self.cell(Column::Territory)?)?;
        let use_type = self.cell(Column::UseType)?.trim().to_ascii_lowercase();
        let use_type = UseType::parse(&use_type).ok_or_else(|| {
            FieldError::new(
                name(Column::UseType),
                format!("must be {}", UseType::words()),
            )
        })?;
        let units = fields::units(name(Column::Units), self.cell(Column::Units)?)?;
        let revenue = fields::amount(name(Column::NetRevenue), self.cell(Column::NetRevenue)?)?;
        let currency = fields::currency(name(Column::Currency), self.cell(Column::Currency)?)?;
        let usage_date = fields::date(name(Column::UsageDate), self.cell(Column::UsageDate)?)?;
        if let Some(date) = usage_date
            && !self.period.contains(date)
        {
            return Err(FieldError::new(
                name(Column::UsageDate),
                format!("is outside the report's period {}", self.period),
            ));
        }
        Ok(UsageLine {
            line,
            transaction_id,
            isrc,
            upc,
            title: fields::text(self.cell(Column::Title)?),
            artist: fields::text(self.cell(Column::Artist)?),
            territory,
            use_type,
            units,
            revenue: Revenue::Reported(revenue),
            currency,
            usage_date,
            share: None,
        })
    }

    /// The next line read, or `None` at the end of the file.
    fn read_one(&mut self) -> Result<Option<Item>, FileError> {
        if !self
            .reader
            .read_byte_record(&mut self.record)
            .map_err(csv_error)?
        {
            return Ok(None);
        }
        self.lines += 1;
        let line = u32::try_from(self.record.position().map_or(0, |p| p.line()))
            .map_err(|_| FileError::whole("the file has more than 4 billion lines"))?;
        Ok(Some(match self.parse(line) {
            Ok(usage) => Item::Line(usage),
            Err(error) => Item::Rejected(Rejection {
                line,
                field: Some(error.field),
                reason: error.message,
            }),
        }))
    }
}

fn csv_error(error: csv::Error) -> FileError {
    let line = error.position().and_then(|p| u32::try_from(p.line()).ok());
    match error.into_kind() {
        csv::ErrorKind::Io(io) => FileError::Io(io),
        other => FileError::Invalid {
            line,
            message: format!("not readable as CSV: {other:?}"),
        },
    }
}

impl<R: Read> Iterator for CsvReport<R> {
    type Item = Result<Item, FileError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        match self.read_one() {
            Err(error) => {
                self.done = true;
                Some(Err(error))
            }
            Ok(Some(item)) => self.pending.replace(item).map(Ok).or_else(|| self.next()),
            Ok(None) => {
                self.done = true;
                let last = self.pending.take()?;
                // A refused last line with no newline after it is a file cut short, not a bad
                // line: refuse the file rather than import part of it.
                let cut_short = self.reader.get_ref().last != Some(b'\n');
                match last {
                    Item::Rejected(rejection) if cut_short => Some(Err(FileError::at(
                        rejection.line,
                        format!(
                            "the file ends in the middle of this line ({}): it looks truncated",
                            rejection.reason
                        ),
                    ))),
                    item => Some(Ok(item)),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use backbeat_domain::money::Decimal;

    use super::*;

    fn period() -> Period {
        Period::parse("period", "2026-10").expect("period")
    }

    fn read(text: &str) -> Result<Vec<Item>, FileError> {
        CsvReport::new(text.as_bytes(), period())?.collect()
    }

    const HEADER: &str = "transaction_id,isrc,upc,territory,use_type,units,net_revenue,currency\n";

    #[test]
    fn reads_lines_with_their_line_numbers() {
        let text = format!(
            "{HEADER}t1,USRC17607839,,us,stream,1000,3.50,usd\nt2,,036000291452,DE,download,2,1.98,EUR\n"
        );
        let items = read(&text).expect("readable");
        let Item::Line(first) = &items[0] else {
            panic!("{items:?}")
        };
        assert_eq!(first.line, 2);
        assert_eq!(
            first.isrc.as_ref().map(|i| i.as_str()),
            Some("USRC17607839")
        );
        assert_eq!(first.territory, "US");
        assert_eq!(first.revenue, Revenue::Reported(Decimal::new(350, 2)));
        assert_eq!(first.currency.code(), "USD");
        let Item::Line(second) = &items[1] else {
            panic!("{items:?}")
        };
        assert_eq!((second.line, second.use_type), (3, UseType::Download));
        assert_eq!(
            second.upc.as_ref().map(|u| u.as_str()),
            Some("036000291452")
        );
    }

    #[test]
    fn columns_are_found_by_any_accepted_name_in_any_order() {
        let text = "Currency,Net Revenue,QUANTITY,Usage-Type,Country,EAN,ISRC,Sales Transaction ID,Title,Extra\n\
                    GBP,0.004,1,stream,GB,,GBAYE0601498,x-1,Yellow,ignored\n";
        let items = read(text).expect("readable");
        let Item::Line(line) = &items[0] else {
            panic!("{items:?}")
        };
        assert_eq!(line.transaction_id, "x-1");
        assert_eq!(line.title.as_deref(), Some("Yellow"));
        assert_eq!(line.revenue, Revenue::Reported(Decimal::new(4, 3)));
    }

    #[test]
    fn a_header_without_required_columns_is_refused_whole() {
        let error =
            read("transaction_id,isrc,territory\nt,USRC17607839,US\n").expect_err("refused");
        assert_eq!(
            error.to_string(),
            "line 1: the header lacks required columns: upc, use_type, units, net_revenue, currency"
        );
        assert!(read("").is_err());
    }

    #[test]
    fn bad_lines_are_rejected_with_their_line_and_field() {
        let text = format!(
            "{HEADER}\
             t1,USRC17607839,,US,stream,-5,1.00,USD\n\
             t2,USRC17607839,,XX,stream,5,1.00,USD\n\
             t3,USRC17607839,,US,rental,5,1.00,USD\n\
             t4,USRC17607839,,US,stream,5,1.00,ZZZ\n\
             t5,USRC17607839,,US,stream,5,one,USD\n\
             t6,,,US,stream,5,1.00,USD\n\
             t7,USRC17607839,,US,stream,5,1.00\n\
             t8,not-an-isrc,,US,stream,5,1.00,USD\n\
             t9,USRC17607839,,US,stream,5,1.00,USD\n"
        );
        let items = read(&text).expect("readable");
        let rejected: Vec<(u32, String)> = items
            .iter()
            .filter_map(|i| match i {
                Item::Rejected(r) => Some((r.line, r.field.clone().unwrap_or_default())),
                Item::Line(_) => None,
            })
            .collect();
        assert_eq!(
            rejected,
            [
                (2, "units"),
                (3, "territory"),
                (4, "use_type"),
                (5, "currency"),
                (6, "net_revenue"),
                (7, "isrc"),
                (8, "line"),
                (9, "isrc")
            ]
            .map(|(l, f)| (l, f.to_owned()))
        );
        assert!(matches!(items.last(), Some(Item::Line(l)) if l.line == 10));
    }

    #[test]
    fn usage_dates_must_fall_in_the_period() {
        let text = "transaction_id,isrc,upc,territory,use_type,units,net_revenue,currency,usage_date\n\
                    a,USRC17607839,,US,stream,1,1,USD,2026-10-31\n\
                    b,USRC17607839,,US,stream,1,1,USD,2026-11-01\n\
                    c,USRC17607839,,US,stream,1,1,USD,31/10/2026\n";
        let items = read(text).expect("readable");
        assert!(matches!(&items[0], Item::Line(l) if l.usage_date.is_some()));
        assert!(matches!(&items[1], Item::Rejected(r) if r.reason.contains("outside")));
        assert!(matches!(&items[2], Item::Rejected(r) if r.field.as_deref() == Some("usage_date")));
    }

    #[test]
    fn a_file_cut_short_is_refused_but_a_missing_final_newline_is_not() {
        let whole = format!("{HEADER}t1,USRC17607839,,US,stream,1,1.00,USD");
        assert_eq!(read(&whole).expect("readable").len(), 1);
        let cut = format!("{HEADER}t1,USRC17607839,,US,stream,1,1.00,USD\nt2,USRC1760");
        let error = read(&cut).expect_err("truncated");
        assert!(
            error
                .to_string()
                .starts_with("line 3: the file ends in the middle"),
            "{error}"
        );
        let open_quote = format!("{HEADER}t1,USRC17607839,,US,stream,1,1.00,USD\n\"t2,USRC");
        assert!(read(&open_quote).is_err());
    }
}
