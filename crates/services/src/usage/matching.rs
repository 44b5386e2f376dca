//! Which song a usage line is about: by ISRC, else by the release's UPC and the track's title.
//! Lookups are batched (one query per batch of lines for the codes not seen yet) and remembered
//! for the rest of the report.

use std::collections::HashMap;

use backbeat_db::{AsyncPgConnection, DbError, songs};
use backbeat_domain::ids::SongId;
use backbeat_usage::UsageLine;

/// Codes remembered before the cache starts over (bounds memory on reports naming millions of
/// recordings).
const MAX_REMEMBERED: usize = 1_000_000;

#[derive(Debug, Default)]
pub struct SongMatcher {
    by_isrc: HashMap<String, Option<SongId>>,
    /// By UPC written as EAN-13: the release's tracks, `(lower-case title, song)`.
    by_upc: HashMap<String, Vec<(String, SongId)>>,
}

/// UPC-A and EAN-13 name the same release: compare them as EAN-13.
fn ean13(upc: &str) -> String {
    if upc.len() == 12 {
        format!("0{upc}")
    } else {
        upc.to_owned()
    }
}

fn title_key(title: &str) -> String {
    title.trim().to_lowercase()
}

impl SongMatcher {
    /// Looks up the codes of `lines` not seen yet.
    pub async fn learn(
        &mut self,
        conn: &mut AsyncPgConnection,
        lines: &[UsageLine],
    ) -> Result<(), DbError> {
        if self.by_isrc.len() + self.by_upc.len() > MAX_REMEMBERED {
            self.by_isrc.clear();
            self.by_upc.clear();
        }
        let mut isrcs: Vec<String> = lines
            .iter()
            .filter_map(|l| l.isrc.as_ref())
            .map(|i| i.as_str())
            .filter(|i| !self.by_isrc.contains_key(*i))
            .map(str::to_owned)
            .collect();
        isrcs.sort_unstable();
        isrcs.dedup();
        if !isrcs.is_empty() {
            for isrc in &isrcs {
                self.by_isrc.insert(isrc.clone(), None);
            }
            for (isrc, song) in songs::by_isrcs(conn, &isrcs).await? {
                self.by_isrc.insert(isrc, Some(song));
            }
        }
        // UPC + title only for the lines their ISRC does not match.
        let mut upcs: Vec<String> = lines
            .iter()
            .filter(|l| l.title.is_some() && self.by_isrc_of(l).is_none())
            .filter_map(|l| l.upc.as_ref())
            .map(|u| ean13(u.as_str()))
            .filter(|u| !self.by_upc.contains_key(u))
            .collect();
        upcs.sort_unstable();
        upcs.dedup();
        if !upcs.is_empty() {
            let mut forms = upcs.clone();
            forms.extend(
                upcs.iter()
                    .filter_map(|u| u.strip_prefix('0'))
                    .map(str::to_owned),
            );
            for upc in &upcs {
                self.by_upc.insert(upc.clone(), Vec::new());
            }
            for (upc, title, song) in songs::by_release_codes(conn, &forms).await? {
                self.by_upc
                    .entry(ean13(&upc))
                    .or_default()
                    .push((title_key(&title), song));
            }
        }
        Ok(())
    }

    fn by_isrc_of(&self, line: &UsageLine) -> Option<&SongId> {
        line.isrc
            .as_ref()
            .and_then(|i| self.by_isrc.get(i.as_str()))
            .and_then(Option::as_ref)
    }

    /// The song of a line whose codes were learnt; `None`: unmatched.
    pub fn song_of(&self, line: &UsageLine) -> Option<&SongId> {
        self.by_isrc_of(line).or_else(|| {
            let tracks = self.by_upc.get(&ean13(line.upc.as_ref()?.as_str()))?;
            let title = title_key(line.title.as_deref()?);
            tracks
                .iter()
                .find(|(t, _)| *t == title)
                .map(|(_, song)| song)
        })
    }
}
