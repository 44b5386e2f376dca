//! The one writer of every CSV backbeat hands out (royalty statements, the bulk-distribution
//! report): files that payees and label staff open in Excel, LibreOffice or Google Sheets.
//!
//! A text cell is data someone else typed (a song title, a platform name, an error message). A
//! spreadsheet reads a cell that begins with `=`, `+`, `-` or `@` as a formula, and TAB or CR
//! before one as blank space, so such a cell is written with a leading `'`, which spreadsheets
//! take as "this is text" and do not display (OWASP's advice on CSV injection). Titles like Ed
//! Sheeran's `=` stay what they are; they are only never evaluated. A number column keeps its
//! sign (`-1.50` is a refund, not a formula), and a value in it that is not a plain decimal is
//! treated as text, so a mistake in a caller cannot open the hole again.

use std::borrow::Cow;

/// How a column's cells are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Free text: neutralised when a spreadsheet would evaluate it.
    Text,
    /// A decimal written by backbeat (`-12`, `0.5000000000`): left as it is.
    Number,
}

#[derive(Debug, thiserror::Error)]
pub enum CsvError {
    #[error("a row has {got} cells for {expected} columns")]
    Width { expected: usize, got: usize },
    #[error("cannot write the CSV: {0}")]
    Write(#[from] csv::Error),
    #[error("cannot write the CSV: {0}")]
    Flush(String),
}

/// A CSV in memory: the header row first, then [`CsvExport::row`] per line.
pub struct CsvExport {
    kinds: Vec<Kind>,
    out: csv::Writer<Vec<u8>>,
}

impl CsvExport {
    /// Starts a file with these columns (the header row is written as text, like any cell).
    pub fn new(columns: &[(&str, Kind)]) -> Result<Self, CsvError> {
        let mut out = csv::Writer::from_writer(Vec::new());
        out.write_record(columns.iter().map(|(name, _)| bytes(text_cell(name))))?;
        Ok(Self {
            kinds: columns.iter().map(|(_, kind)| *kind).collect(),
            out,
        })
    }

    pub fn row(&mut self, cells: &[&str]) -> Result<(), CsvError> {
        if cells.len() != self.kinds.len() {
            return Err(CsvError::Width {
                expected: self.kinds.len(),
                got: cells.len(),
            });
        }
        let record = cells
            .iter()
            .zip(&self.kinds)
            .map(|(cell, kind)| match kind {
                Kind::Number if is_plain_decimal(cell) => cell.as_bytes().into(),
                _ => bytes(text_cell(cell)),
            });
        self.out.write_record(record)?;
        Ok(())
    }

    pub fn finish(self) -> Result<Vec<u8>, CsvError> {
        self.out
            .into_inner()
            .map_err(|e| CsvError::Flush(e.error().to_string()))
    }
}

/// A text value as a spreadsheet should show it and never evaluate it.
pub fn text_cell(value: &str) -> Cow<'_, str> {
    match value.as_bytes().first() {
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r') => Cow::Owned(format!("'{value}")),
        _ => Cow::Borrowed(value),
    }
}

fn bytes(cell: Cow<'_, str>) -> Cow<'_, [u8]> {
    match cell {
        Cow::Borrowed(s) => Cow::Borrowed(s.as_bytes()),
        Cow::Owned(s) => Cow::Owned(s.into_bytes()),
    }
}

/// `-`? digits, then optionally `.` and digits: what backbeat writes for units and amounts.
fn is_plain_decimal(value: &str) -> bool {
    let unsigned = value.strip_prefix('-').unwrap_or(value);
    let (whole, fraction) = unsigned.split_once('.').unwrap_or((unsigned, "0"));
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    digits(whole) && digits(fraction)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn written(columns: &[(&str, Kind)], rows: &[&[&str]]) -> Vec<Vec<String>> {
        let mut csv = CsvExport::new(columns).expect("header");
        for row in rows {
            csv.row(row).expect("row");
        }
        let bytes = csv.finish().expect("finish");
        csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(bytes.as_slice())
            .records()
            .map(|r| r.expect("record").iter().map(str::to_owned).collect())
            .collect()
    }

    #[test]
    fn text_that_a_spreadsheet_would_evaluate_gets_a_leading_quote() {
        let columns = [("title", Kind::Text)];
        for (value, expected) in [
            (
                r#"=HYPERLINK("https://attacker.example/","open")"#,
                r#"'=HYPERLINK("https://attacker.example/","open")"#,
            ),
            ("+", "'+"),
            ("-", "'-"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\t=1", "'\t=1"),
            ("\r=1", "'\r=1"),
            ("Divide", "Divide"),
            ("a=b", "a=b"),
            ("", ""),
            ("'quoted", "'quoted"),
        ] {
            assert_eq!(written(&columns, &[&[value]])[1], [expected], "{value:?}");
        }
    }

    #[test]
    fn numbers_keep_their_sign_and_anything_else_in_a_number_column_is_text() {
        let columns = [("amount", Kind::Number)];
        for (value, expected) in [
            ("-1.50", "-1.50"),
            ("-12", "-12"),
            ("0.0000000001", "0.0000000001"),
            ("=1+1", "'=1+1"),
            ("-1+1", "'-1+1"),
            ("-", "'-"),
            ("-.5", "'-.5"),
            ("1.", "1."),
        ] {
            assert_eq!(written(&columns, &[&[value]])[1], [expected], "{value:?}");
        }
    }

    #[test]
    fn a_row_of_the_wrong_width_is_refused() {
        let mut csv = CsvExport::new(&[("a", Kind::Text), ("b", Kind::Number)]).expect("header");
        assert!(matches!(
            csv.row(&["x"]),
            Err(CsvError::Width {
                expected: 2,
                got: 1
            })
        ));
    }
}
