//! Usage reports written by tests: CSV files and DDEX DSR flat files (Basic Audio profile) whose
//! footer counts what was written, so a test can also cut or alter them.

use std::collections::HashSet;

/// A CSV usage report with the documented column names.
pub fn csv(lines: &[[&str; 8]]) -> String {
    let mut out =
        String::from("transaction_id,isrc,upc,territory,use_type,units,net_revenue,currency\n");
    for line in lines {
        out.push_str(&line.join(","));
        out.push('\n');
    }
    out
}

/// A DSR file being written: records in the order the profile wants them (`HEAD`, summaries,
/// blocks, `FOOT`), each type's `#` heading row before its first record.
pub struct Dsr {
    lines: Vec<String>,
    headed: HashSet<&'static str>,
    summaries: u32,
    blocks: HashSet<String>,
}

const HEAD: &[&str] = &[
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
];
const SY02: &[&str] = &[
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
];
const RE01: &[&str] = &[
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
];
const AS02: &[&str] = &[
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
];
const SU01: &[&str] = &[
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
];
const SU02: &[&str] = &[
    "BlockId",
    "SummaryRecordId",
    "SalesTransactionId",
    "TransactedRelease",
    "TransactedResource",
    "IsRoyaltyBearing",
    "NumberOfStreams",
    "PriceConsumerPaidExcSalesTax",
];
const FOOT: &[&str] = &[
    "NumberOfLinesInFile",
    "NumberOfLinesInReport",
    "NumberOfSummaryRecords",
    "NumberOfBlocksInFile",
    "NumberOfBlocksInReport",
];

/// A release and its tracks, as a block describes them.
pub struct Block<'a> {
    pub id: &'a str,
    /// (reference, ICPN, title, artist)
    pub release: (&'a str, &'a str, &'a str, &'a str),
    /// (reference, ISRCs `|`-separated, title, artist)
    pub resources: &'a [(&'a str, &'a str, &'a str, &'a str)],
}

impl Dsr {
    /// `period` is `YYYY-MM`; the header states usage over that whole month.
    pub fn new(period: &str) -> Self {
        let mut dsr = Self {
            lines: Vec::new(),
            headed: HashSet::new(),
            summaries: 0,
            blocks: HashSet::new(),
        };
        let start = format!("{period}-01");
        let end = format!("{period}-28");
        dsr.record(
            "HEAD",
            "HEAD",
            HEAD,
            &[
                "dsrf/1.4/1.0/1.2",
                "BasicAudioProfile",
                "1.2",
                "MSG-0001",
                "2026-11-05T10:00:00Z",
                "1",
                "1",
                &start,
                &end,
                "PADPIDA2014120301R",
                "Test Music Service",
                "Premium",
                "PADPIDA2026BACKBEAT",
                "backbeat",
            ],
        );
        dsr
    }

    fn record(&mut self, base: &'static str, kind: &str, names: &[&str], cells: &[&str]) {
        assert_eq!(names.len(), cells.len(), "{kind}: one value per cell");
        if self.headed.insert(base) {
            self.lines.push(format!("#{kind}\t{}", names.join("\t")));
        }
        self.lines.push(format!("{kind}\t{}", cells.join("\t")));
    }

    /// A `SY02.02` summary: usage type (`OnDemandStream`, `PermanentDownload`...), territory,
    /// currency, the service's net revenue, and the revenue allocated to us when there is one.
    pub fn summary(
        &mut self,
        id: &str,
        use_type: &str,
        territory: &str,
        currency: &str,
        net_revenue: &str,
        allocated_net_revenue: Option<&str>,
    ) -> &mut Self {
        self.summaries += 1;
        self.record(
            "SY02",
            "SY02.02",
            SY02,
            &[
                id,
                "",
                "",
                "SubscriptionModel",
                use_type,
                territory,
                "Premium",
                "1000000",
                "",
                currency,
                net_revenue,
                "backbeat",
                "PADPIDA2026BACKBEAT",
                "",
                "",
                allocated_net_revenue.unwrap_or(""),
                "MakeAvailableRight",
                "Music",
            ],
        );
        self
    }

    pub fn block(&mut self, block: &Block<'_>) -> &mut Self {
        self.blocks.insert(block.id.to_owned());
        let (reference, icpn, title, artist) = block.release;
        self.record(
            "RE01",
            "RE01",
            RE01,
            &[
                block.id,
                reference,
                &format!("DSP-{reference}"),
                "",
                "",
                icpn,
                artist,
                "",
                title,
                "",
                "Album",
            ],
        );
        for (reference, isrcs, title, artist) in block.resources {
            self.record(
                "AS02",
                "AS02.02",
                AS02,
                &[
                    block.id,
                    reference,
                    &format!("DSP-{reference}"),
                    isrcs,
                    title,
                    "",
                    artist,
                    "",
                    "PT3M20S",
                    "SoundRecording",
                    "",
                ],
            );
        }
        self
    }

    /// An `SU02.02` stream line of a resource.
    pub fn streams(
        &mut self,
        block: &str,
        summary: &str,
        transaction: &str,
        resource: &str,
        streams: u64,
    ) -> &mut Self {
        self.blocks.insert(block.to_owned());
        self.record(
            "SU02",
            "SU02.02",
            SU02,
            &[
                block,
                summary,
                transaction,
                "",
                resource,
                "true",
                &streams.to_string(),
                "",
            ],
        );
        self
    }

    /// An `SU01` sales line of a release (`TransactedRelease`): usages and returns.
    pub fn sales(
        &mut self,
        block: &str,
        summary: &str,
        transaction: &str,
        release: &str,
        usages: u64,
        returns: u64,
    ) -> &mut Self {
        self.blocks.insert(block.to_owned());
        self.record(
            "SU01",
            "SU01",
            SU01,
            &[
                block,
                summary,
                transaction,
                release,
                "",
                "true",
                "false",
                &usages.to_string(),
                &returns.to_string(),
                "9.99",
            ],
        );
        self
    }

    /// A record of a type the importer does not read (it must count and skip it).
    pub fn other(&mut self, kind: &str, cells: &[&str]) -> &mut Self {
        self.lines.push(format!("{kind}\t{}", cells.join("\t")));
        self
    }

    /// The whole file, `FOOT` counting its lines (headings and `FOOT` included), summaries and
    /// blocks.
    pub fn finish(&mut self) -> String {
        let heading = !self.headed.contains("FOOT");
        let lines = self.lines.len() + 1 + usize::from(heading);
        let (lines, summaries, blocks) = (
            lines.to_string(),
            self.summaries.to_string(),
            self.blocks.len().to_string(),
        );
        self.record(
            "FOOT",
            "FOOT",
            FOOT,
            &[&lines, &lines, &summaries, &blocks, &blocks],
        );
        let mut out = self.lines.join("\n");
        out.push('\n');
        out
    }
}
