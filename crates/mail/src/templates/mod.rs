//! Every email backbeat sends: one module per email, each rendering a subject, a text part and an
//! HTML part inside the shared layout. Values from users are escaped in the HTML part here, so a
//! template cannot forget.

pub mod artist_verified;
pub mod bulk_distribution;
pub mod platform_rejection;
pub mod playlist_export;
pub mod royalty_statement;

pub use artist_verified::ArtistVerified;
pub use bulk_distribution::BulkDistribution;
pub use platform_rejection::PlatformRejection;
pub use playlist_export::PlaylistExport;
pub use royalty_statement::RoyaltyStatement;

/// A rendered email, ready to address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// A paragraph of an email, written once for both parts.
pub enum Block {
    /// Plain words.
    Text(String),
    /// Words with one emphasised value: `before`, `value` (bold in HTML), `after`.
    Emphasis {
        before: String,
        value: String,
        after: String,
    },
}

const SIGNATURE_TEXT: &str = "-- backbeat";
const SIGNATURE_HTML: &str = "&mdash; backbeat";

/// The shared layout: a greeting, the blocks, and the signature, as text and as HTML.
pub fn layout(subject: String, blocks: &[Block]) -> Rendered {
    let mut text = String::from("Hello,\n\n");
    let mut html = String::from(
        "<!DOCTYPE html><html><body style=\"font-family: sans-serif; line-height: 1.5\"><p>Hello,</p>",
    );
    for block in blocks {
        match block {
            Block::Text(words) => {
                text.push_str(words);
                html.push_str(&format!("<p>{}</p>", escape_html(words)));
            }
            Block::Emphasis {
                before,
                value,
                after,
            } => {
                text.push_str(&format!("{before}\"{value}\"{after}"));
                html.push_str(&format!(
                    "<p>{}<strong>{}</strong>{}</p>",
                    escape_html(before),
                    escape_html(value),
                    escape_html(after)
                ));
            }
        }
        text.push_str("\n\n");
    }
    text.push_str(SIGNATURE_TEXT);
    text.push('\n');
    html.push_str(&format!("<p>{SIGNATURE_HTML}</p></body></html>"));
    Rendered {
        subject,
        text,
        html,
    }
}

pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_layout_escapes_html_but_not_text() {
        let rendered = layout(
            "Subject".to_owned(),
            &[Block::Emphasis {
                before: "A ".to_owned(),
                value: "<b>&".to_owned(),
                after: " B".to_owned(),
            }],
        );
        assert!(rendered.text.contains("A \"<b>&\" B"));
        assert!(
            rendered
                .html
                .contains("A <strong>&lt;b&gt;&amp;</strong> B")
        );
        assert!(rendered.text.starts_with("Hello,") && rendered.text.ends_with("-- backbeat\n"));
    }
}
