//! A payee's royalty statement for a period; its lines travel as a CSV attachment.

use super::{Block, Rendered, layout};

/// Amounts come formatted to the currency's minor unit.
pub struct RoyaltyStatement<'a> {
    pub period: &'a str,
    pub currency: &'a str,
    pub opening_balance: &'a str,
    pub gross: &'a str,
    pub fee: &'a str,
    pub earnings: &'a str,
    pub advances: &'a str,
    pub advances_recouped: &'a str,
    pub closing_balance: &'a str,
    pub payable: &'a str,
    pub songs: usize,
}

impl RoyaltyStatement<'_> {
    pub fn render(&self) -> Rendered {
        let c = self.currency;
        layout(
            format!(
                "Your royalty statement for {}: {} {c} payable",
                self.period, self.payable
            ),
            &[
                Block::Emphasis {
                    before: "Your royalty statement for ".to_owned(),
                    value: self.period.to_owned(),
                    after: format!(" covers {} songs.", self.songs),
                },
                Block::Text(format!(
                    "Opening balance: {} {c}. Gross: {} {c}. Distribution fee: {} {c}. \
                     Earnings: {} {c}.",
                    self.opening_balance, self.gross, self.fee, self.earnings
                )),
                Block::Text(format!(
                    "Advances: {} {c}, of which recouped: {} {c}. Closing balance: {} {c}.",
                    self.advances, self.advances_recouped, self.closing_balance
                )),
                Block::Emphasis {
                    before: "Payable: ".to_owned(),
                    value: format!("{} {c}", self.payable),
                    after: ".".to_owned(),
                },
                Block::Text(
                    "The attached CSV lists your share of every song, platform and territory."
                        .to_owned(),
                ),
            ],
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_every_figure() {
        let rendered = RoyaltyStatement {
            period: "2026-10",
            currency: "USD",
            opening_balance: "-10.00",
            gross: "20.00",
            fee: "3.00",
            earnings: "17.00",
            advances: "0.00",
            advances_recouped: "10.00",
            closing_balance: "0.00",
            payable: "7.00",
            songs: 2,
        }
        .render();
        assert_eq!(
            rendered.subject,
            "Your royalty statement for 2026-10: 7.00 USD payable"
        );
        for figure in [
            "-10.00 USD",
            "20.00 USD",
            "3.00 USD",
            "17.00 USD",
            "recouped: 10.00",
        ] {
            assert!(rendered.text.contains(figure), "{figure}");
        }
        assert!(rendered.html.contains("<strong>7.00 USD</strong>"));
    }
}
