//! DSR flat files as the tests write them: read by heading names, versioned record types,
//! multi-valued cells, summaries, skipped records, and files cut short or altered.

use backbeat_domain::money::Decimal;
use backbeat_domain::period::Period;
use backbeat_domain::usage::UseType;
use backbeat_testkit::usage::{Block, Dsr};
use backbeat_usage::dsr::DsrReport;
use backbeat_usage::{FileError, Item, Revenue, UsageLine};

fn period() -> Period {
    Period::parse("period", "2026-10").expect("period")
}

fn read(text: &str) -> Result<(Vec<Item>, DsrReport<&[u8]>), FileError> {
    let mut report = DsrReport::new(text.as_bytes(), period());
    let items = report.by_ref().collect::<Result<Vec<_>, _>>()?;
    Ok((items, report))
}

fn lines(items: &[Item]) -> Vec<&UsageLine> {
    items
        .iter()
        .filter_map(|i| match i {
            Item::Line(l) => Some(l),
            Item::Rejected(_) => None,
        })
        .collect()
}

fn album(dsr: &mut Dsr) -> &mut Dsr {
    dsr.block(&Block {
        id: "B1",
        release: ("R0", "036000291452", "Viva la Vida", "Coldplay"),
        resources: &[
            (
                "A1",
                "GBAYE0601498|GBAYE0601499",
                "Life in Technicolor",
                "Coldplay",
            ),
            ("A2", "not-an-isrc", "Cemeteries of London", "Coldplay"),
        ],
    })
}

#[test]
fn usage_lines_take_their_summary_territory_currency_and_type() {
    let mut dsr = Dsr::new("2026-10");
    dsr.summary(
        "S1",
        "OnDemandStream",
        "DE",
        "EUR",
        "1000.00",
        Some("12.50"),
    )
    .summary("S2", "PermanentDownload", "US", "USD", "30.00", None);
    album(&mut dsr)
        .streams("B1", "S1", "T1", "A1", 300)
        .streams("B1", "S1", "T2", "A2", 100)
        .sales("B1", "S2", "T3", "R0", 5, 2);
    let text = dsr.finish();
    let (items, report) = read(&text).expect("readable");
    let found = lines(&items);
    assert_eq!(found.len(), 4, "{items:?}");

    let first = found[0];
    assert_eq!(first.transaction_id, "T1");
    // The first valid ISRC of the `|`-separated cell.
    assert_eq!(
        first.isrc.as_ref().map(|i| i.as_str()),
        Some("GBAYE0601498")
    );
    assert_eq!(first.upc.as_ref().map(|u| u.as_str()), Some("036000291452"));
    assert_eq!(
        (first.territory.as_str(), first.currency.code()),
        ("DE", "EUR")
    );
    assert_eq!((first.use_type, first.units), (UseType::Stream, 300));
    assert_eq!(first.revenue, Revenue::FromSummary(0));
    assert_eq!(first.title.as_deref(), Some("Life in Technicolor"));

    // A resource without a usable ISRC still has its release's UPC and its own title.
    assert!(found[1].isrc.is_none());
    assert_eq!(found[1].title.as_deref(), Some("Cemeteries of London"));

    // A release sale (usages less returns) is one line per track of its block, each with the
    // release's units and a share by duration (both tracks last 3:20 here).
    for (n, sale) in found[2..].iter().enumerate() {
        assert_eq!(sale.transaction_id, format!("T3/{}", n + 1));
        assert_eq!((sale.use_type, sale.units), (UseType::Download, 3));
        assert_eq!(sale.upc.as_ref().map(|u| u.as_str()), Some("036000291452"));
        assert_eq!(sale.share, Some(Decimal::new(5, 1)));
        assert_eq!(sale.revenue, Revenue::FromSummary(1));
    }
    assert_eq!(found[3].title.as_deref(), Some("Cemeteries of London"));

    // The rights controller's allocated revenue wins over the service's net.
    let summaries = report.summaries();
    assert_eq!(summaries[0].revenue, Decimal::new(1250, 2));
    assert_eq!(summaries[1].revenue, Decimal::new(3000, 2));
    assert_eq!(
        report.header().map(|h| h.message_id.as_str()),
        Some("MSG-0001")
    );
    assert_eq!(report.lines(), 3);
}

#[test]
fn cells_are_read_by_the_names_of_the_heading_row_not_by_position() {
    // The same stream line with its cells in another order, as the heading row says.
    let mut dsr = Dsr::new("2026-10");
    dsr.summary("S1", "OnDemandStream", "FR", "EUR", "10", None);
    album(&mut dsr)
        .other(
            "#SU02.02",
            &[
                "NumberOfStreams",
                "SalesTransactionId",
                "TransactedResource",
                "BlockId",
                "SummaryRecordId",
                "TransactedRelease",
            ],
        )
        .other("SU02.02", &["42", "T9", "A1", "B1", "S1", ""]);
    let (items, _) = read(&dsr.finish()).expect("readable");
    let found = lines(&items);
    assert_eq!(found.len(), 1, "{items:?}");
    assert_eq!(
        (found[0].transaction_id.as_str(), found[0].units),
        ("T9", 42)
    );
}

#[test]
fn unknown_record_types_are_counted_and_skipped() {
    let mut dsr = Dsr::new("2026-10");
    dsr.summary("S1", "OnDemandStream", "FR", "EUR", "10", None)
        .other("ZZ01.01", &["whatever"])
        .other("ZZ01.01", &["again"]);
    album(&mut dsr).streams("B1", "S1", "T1", "A1", 1);
    let text = dsr.finish();
    let (items, report) = read(&text).expect("readable");
    assert_eq!(lines(&items).len(), 1);
    assert_eq!(report.skipped().get("ZZ01.01"), Some(&2));
}

#[test]
fn bad_lines_are_rejected_with_their_line_number() {
    let mut dsr = Dsr::new("2026-10");
    dsr.summary("S1", "OnDemandStream", "FR", "EUR", "10", None)
        .summary("S2", "OnDemandStream", "Narnia", "EUR", "10", None);
    album(&mut dsr)
        .streams("B1", "S1", "T1", "A9", 1) // no such resource in the block
        .streams("B1", "S9", "T2", "A1", 1) // no such summary
        .streams("B1", "S2", "T3", "A1", 1) // its summary's territory is not a country
        .sales("B1", "S1", "T4", "R0", 1, 3) // more returns than usages
        .streams("B1", "S1", "T5", "A1", 1);
    let text = dsr.finish();
    let (items, _) = read(&text).expect("readable");
    let rejected: Vec<(u32, String)> = items
        .iter()
        .filter_map(|i| match i {
            Item::Rejected(r) => Some((r.line, r.field.clone().unwrap_or_default())),
            Item::Line(_) => None,
        })
        .collect();
    let line_of = |txn: &str| {
        text.lines()
            .position(|l| l.split('\t').nth(3) == Some(txn))
            .map(|i| i as u32 + 1)
            .expect("written")
    };
    assert_eq!(
        rejected,
        vec![
            (line_of("T1"), "TransactedResource".to_owned()),
            (line_of("T2"), "SummaryRecordId".to_owned()),
            (line_of("T3"), "Territory".to_owned()),
            (line_of("T4"), "Returns".to_owned()),
        ]
    );
    assert_eq!(lines(&items).len(), 1);
}

#[test]
fn a_file_without_its_footer_is_truncated() {
    let mut dsr = Dsr::new("2026-10");
    dsr.summary("S1", "OnDemandStream", "FR", "EUR", "10", None);
    album(&mut dsr).streams("B1", "S1", "T1", "A1", 1);
    let whole = dsr.finish();
    let cut: String = whole
        .lines()
        .take(whole.lines().count() - 3)
        .collect::<Vec<_>>()
        .join("\n");
    let error = read(&cut).err().expect("refused");
    assert!(
        error.to_string().contains("without its FOOT record"),
        "{error}"
    );
}

#[test]
fn a_footer_that_disagrees_with_the_file_refuses_it() {
    let mut dsr = Dsr::new("2026-10");
    dsr.summary("S1", "OnDemandStream", "FR", "EUR", "10", None);
    album(&mut dsr)
        .streams("B1", "S1", "T1", "A1", 1)
        .streams("B1", "S1", "T2", "A1", 1);
    let whole = dsr.finish();
    // A usage line lost in the middle: the footer's line count no longer holds.
    let altered: String = whole
        .lines()
        .filter(|l| !l.contains("\tT1\t"))
        .map(|l| format!("{l}\n"))
        .collect();
    let error = read(&altered).err().expect("refused");
    assert!(error.to_string().contains("NumberOfLinesInFile"), "{error}");
}

#[test]
fn files_of_another_period_or_profile_or_format_are_refused() {
    let other_month = Dsr::new("2026-09").finish();
    let error = read(&other_month).err().expect("refused");
    assert!(
        error.to_string().contains("not in the period 2026-10"),
        "{error}"
    );

    let video = Dsr::new("2026-10")
        .finish()
        .replace("BasicAudioProfile", "AudioVisualProfile");
    assert!(
        read(&video)
            .err()
            .expect("refused")
            .to_string()
            .contains("Basic Audio and UGC")
    );

    let csv = "transaction_id,isrc\nT1,GBAYE0601498\n";
    assert!(
        read(csv)
            .err()
            .expect("refused")
            .to_string()
            .contains("HEAD")
    );
    assert!(read("").is_err());
}

fn data(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

type Files = DsrReport<std::io::Cursor<Vec<u8>>>;

fn read_files(names: &[&str]) -> Result<(Vec<Item>, Files), FileError> {
    let files = names
        .iter()
        .map(|n| std::io::Cursor::new(data(n)))
        .collect();
    let mut report = DsrReport::files(files, period());
    let items = report.by_ref().collect::<Result<Vec<_>, _>>()?;
    Ok((items, report))
}

#[test]
fn basic_audio_1_3_reads_by_its_headings_and_shares_a_release_usage_among_its_tracks() {
    let (items, report) = read_files(&["basic-audio-1.3.tsv"]).expect("readable");
    let found = lines(&items);
    assert_eq!(found.len(), 3, "{items:?}");
    // `SY02.03` with `Currency`: one summary, the rights controller's allocated revenue.
    let summaries = report.summaries();
    assert_eq!(summaries.len(), 1);
    assert_eq!(summaries[0].revenue, Decimal::new(6000, 2));
    assert_eq!(summaries[0].currency.code(), "GBP");
    assert_eq!(summaries[0].territory, "GB");
    // Usages call the summary `SY1`, the summary calls itself `1`.
    assert!(found.iter().all(|l| l.revenue == Revenue::FromSummary(0)));
    // The release's 100 streams: each track has them, with its share of the release's 4:00.
    let album: Vec<_> = found
        .iter()
        .map(|l| {
            (
                l.transaction_id.as_str(),
                l.isrc.as_ref().map(|i| i.as_str()),
                l.units,
                l.share,
            )
        })
        .collect();
    assert_eq!(
        album,
        [
            (
                "TX1/1",
                Some("GBAYE0601498"),
                100,
                Some(Decimal::new(75, 2))
            ),
            (
                "TX1/2",
                Some("GBAYE0601499"),
                100,
                Some(Decimal::new(25, 2))
            ),
            ("TX2", Some("USRC17607839"), 100, None),
        ]
    );
    assert_eq!(
        found[0].upc.as_ref().map(|u| u.as_str()),
        Some("036000291452")
    );
    let header = report.header().expect("header");
    assert_eq!(
        (header.profile_version.as_str(), header.number_of_files),
        ("1.3", 1)
    );
}

#[test]
fn a_three_file_report_reads_as_one_with_line_numbers_through_its_files() {
    let names = [
        "three-files-1of3.tsv",
        "three-files-2of3.tsv",
        "three-files-3of3.tsv",
    ];
    let (items, report) = read_files(&names).expect("readable");
    let found = lines(&items);
    let read: Vec<_> = found
        .iter()
        .map(|l| (l.line, l.transaction_id.as_str(), l.units, l.share))
        .collect();
    // File 1 has 12 lines, file 2 11: file 2's stream is line 12 + 10.
    assert_eq!(
        read,
        [
            (11, "MF-1", 60, None),
            (22, "MF-2", 30, None),
            (34, "MF-3/1", 10, Some(Decimal::new(5, 1))),
            (34, "MF-3/2", 10, Some(Decimal::new(5, 1))),
        ]
    );
    // Files 2 and 3 use file 1's summary.
    assert!(found.iter().all(|l| l.revenue == Revenue::FromSummary(0)));
    assert_eq!(report.summaries().len(), 1);

    // Out of order, or with a file missing, the report is refused whole, saying which file.
    let error = read_files(&[names[1], names[0], names[2]])
        .err()
        .expect("refused");
    assert!(
        error
            .to_string()
            .contains("file 1 of 3, line 1: this is file 2 of 3"),
        "{error}"
    );
    let error = read_files(&names[..2]).err().expect("refused");
    assert!(error.to_string().contains("this is file 1 of 3"), "{error}");
    // A file cut short: its own FOOT count, and the report's in the others, disagree.
    let mut short = String::from_utf8(data(names[1])).expect("text");
    let cut = short.find("SU02.02\t2").expect("stream line");
    let end = short[cut..].find('\n').expect("end") + cut + 1;
    short.replace_range(cut..end, "");
    let files = vec![
        std::io::Cursor::new(data(names[0])),
        std::io::Cursor::new(short.into_bytes()),
        std::io::Cursor::new(data(names[2])),
    ];
    let error = DsrReport::files(files, period())
        .collect::<Result<Vec<_>, _>>()
        .expect_err("refused");
    assert!(
        error
            .to_string()
            .contains("file 2 of 3, line 10: FOOT NumberOfLinesInFile says 11"),
        "{error}"
    );
}

#[test]
fn ugc_lines_carry_what_their_licensing_records_say_is_due() {
    let (items, report) = read_files(&["ugc-1.2.tsv"]).expect("readable");
    let found = lines(&items);
    let read: Vec<_> = found
        .iter()
        .map(|l| {
            (
                l.transaction_id.as_str(),
                l.isrc.as_ref().map(|i| i.as_str()),
                l.units,
                l.revenue.clone(),
                l.usage_date.map(|d| d.to_string()),
            )
        })
        .collect();
    let reported = |cents| Revenue::Reported(Decimal::new(cents, 2));
    assert_eq!(
        read,
        [
            // The LI01 after it: 8.40 of the line's 12.00 is due.
            (
                "1/U1",
                Some("GBAYE0601498"),
                5000,
                reported(840),
                Some("2026-10-01".to_owned())
            ),
            // No LI01: the line's own net revenue.
            (
                "1/U2",
                Some("GBAYE0601498"),
                1000,
                reported(300),
                Some("2026-10-16".to_owned())
            ),
            // Not royalty-bearing: nothing, whatever its LI01 says.
            (
                "2/U3",
                Some("USRC17607839"),
                700,
                reported(0),
                Some("2026-10-01".to_owned())
            ),
        ]
    );
    assert!(
        found
            .iter()
            .all(|l| l.territory == "DE" && l.currency.code() == "EUR")
    );
    // The summary stated once per rights controller is one summary.
    assert_eq!(report.summaries().len(), 1);
    assert_eq!(report.skipped().get("RU01.01"), Some(&2));
    assert_eq!(
        report.header().map(|h| h.profile),
        Some(backbeat_usage::dsr::Profile::Ugc)
    );
}
