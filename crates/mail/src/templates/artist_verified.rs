//! Telling an artist's owner that the artist is now verified.

use super::{Block, Rendered, layout};

pub struct ArtistVerified<'a> {
    pub artist_name: &'a str,
    pub profile_url: &'a str,
    pub note: Option<&'a str>,
}

impl ArtistVerified<'_> {
    pub fn render(&self) -> Rendered {
        let mut blocks = vec![
            Block::Emphasis {
                before: "Your artist ".to_owned(),
                value: self.artist_name.to_owned(),
                after: " is now verified on backbeat.".to_owned(),
            },
            Block::Text(format!(
                "We found your code on {} and an admin approved it. You may remove the code from \
                 that page now.",
                self.profile_url
            )),
        ];
        if let Some(note) = self.note.filter(|n| !n.trim().is_empty()) {
            blocks.push(Block::Text(format!("The reviewer's note: {note}")));
        }
        layout(format!("{} is verified", self.artist_name), &blocks)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_artist_and_the_page_and_escapes_html() {
        let rendered = ArtistVerified {
            artist_name: "Nadia <Rose>",
            profile_url: "https://nadia.example/about",
            note: Some("Welcome!"),
        }
        .render();
        assert_eq!(rendered.subject, "Nadia <Rose> is verified");
        assert!(rendered.text.contains("\"Nadia <Rose>\" is now verified"));
        assert!(rendered.text.contains("https://nadia.example/about"));
        assert!(rendered.text.contains("The reviewer's note: Welcome!"));
        assert!(
            rendered
                .html
                .contains("<strong>Nadia &lt;Rose&gt;</strong>")
        );
    }
}
