//! The playlist export: the playlist travels as the `playlist.json` attachment.

use super::{Block, Rendered, layout};

pub struct PlaylistExport<'a> {
    pub playlist_name: &'a str,
    pub songs: usize,
}

impl PlaylistExport<'_> {
    pub fn render(&self) -> Rendered {
        let songs = match self.songs {
            1 => "1 song".to_owned(),
            n => format!("{n} songs"),
        };
        layout(
            format!("Your playlist export: {}", self.playlist_name),
            &[Block::Emphasis {
                before: "Attached is the playlist ".to_owned(),
                value: self.playlist_name.to_owned(),
                after: format!(" ({songs}) as playlist.json."),
            }],
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_playlist_and_counts_its_songs() {
        let rendered = PlaylistExport {
            playlist_name: "Road <trip>",
            songs: 2,
        }
        .render();
        assert_eq!(rendered.subject, "Your playlist export: Road <trip>");
        assert!(rendered.text.contains("\"Road <trip>\" (2 songs)"));
        assert!(
            rendered
                .html
                .contains("<strong>Road &lt;trip&gt;</strong> (2 songs)")
        );
    }
}
