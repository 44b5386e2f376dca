//! Recoupment: which of a payee's advances the period's earnings pay back, and where the payee's
//! account stands after it.
//!
//! The rule, as labels write it into contracts: an advance tied to releases is recouped only
//! from those releases' earnings; one tied to none is cross-collateralised, recouped from
//! everything. Tied advances go first, oldest first, so that a release's earnings pay back the
//! advance made on it before a general one takes them; then the general ones, oldest first, from
//! whatever is left, a balance brought forward included. The statement lists them in this order.
//! Recoupment never takes more than the payee has in hand (the period's earnings plus a positive
//! balance brought forward), so it never puts an account into debt; refunds can.

use std::collections::BTreeMap;

use backbeat_domain::ids::{AdvanceId, AlbumId};
use backbeat_domain::money::Decimal;

/// An advance owed when the period opens (`opening`), or made in it (`advanced`).
#[derive(Debug, Clone, PartialEq)]
pub struct Owed {
    pub id: AdvanceId,
    /// The releases it is recouped from; empty: everything.
    pub albums: Vec<AlbumId>,
    pub opening: Decimal,
    pub advanced: Decimal,
}

/// One advance's movement in the period.
#[derive(Debug, Clone, PartialEq)]
pub struct Movement {
    pub id: AdvanceId,
    pub opening: Decimal,
    pub advanced: Decimal,
    pub recouped: Decimal,
    pub closing: Decimal,
}

/// The payee's account after the period. Balances are net of what advances still owe:
/// `closing_balance = opening_balance + earnings - advanced - payable`.
#[derive(Debug, Clone, PartialEq)]
pub struct Settlement {
    /// In the order they were recouped.
    pub movements: Vec<Movement>,
    pub advanced: Decimal,
    pub recouped: Decimal,
    pub closing_balance: Decimal,
    pub payable: Decimal,
}

/// Settles a payee's period: `opening_balance` as the last statement left it (net of the
/// advances it counted, which `owed` holds with what each still owes), the period's earnings by
/// release (`None`: songs on no release), and the advances to recoup, oldest first. A positive
/// balance below `minimum` is carried forward instead of being payable.
pub fn settle(
    opening_balance: Decimal,
    earnings: &BTreeMap<Option<AlbumId>, Decimal>,
    owed: &[Owed],
    minimum: Decimal,
) -> Settlement {
    let zero = Decimal::ZERO;
    let earned: Decimal = earnings.values().copied().sum();
    // The money in the account before recoupment: the net balance plus what advances owed.
    let cash = opening_balance + owed.iter().map(|a| a.opening).sum::<Decimal>();
    let mut in_hand = (cash.max(zero) + earned).max(zero);
    let mut pools: BTreeMap<&AlbumId, Decimal> = earnings
        .iter()
        .filter_map(|(album, amount)| album.as_ref().map(|a| (a, (*amount).max(zero))))
        .collect();

    let (tied, general): (Vec<&Owed>, Vec<&Owed>) = owed.iter().partition(|a| !a.albums.is_empty());
    let mut movements = Vec::with_capacity(owed.len());
    for advance in tied.into_iter().chain(general) {
        let due = advance.opening + advance.advanced;
        let mut recouped = due.min(in_hand).max(zero);
        if !advance.albums.is_empty() {
            let mut wanted = recouped;
            for album in &advance.albums {
                if let Some(pool) = pools.get_mut(album) {
                    let take = wanted.min(*pool);
                    *pool -= take;
                    wanted -= take;
                }
            }
            recouped -= wanted;
        }
        in_hand -= recouped;
        movements.push(Movement {
            id: advance.id.clone(),
            opening: advance.opening,
            advanced: advance.advanced,
            recouped,
            closing: due - recouped,
        });
    }

    let recouped: Decimal = movements.iter().map(|m| m.recouped).sum();
    let still_owed: Decimal = movements.iter().map(|m| m.closing).sum();
    let cash_closing = cash + earned - recouped;
    let payable = if cash_closing > zero && cash_closing >= minimum {
        cash_closing
    } else {
        zero
    };
    Settlement {
        advanced: owed.iter().map(|a| a.advanced).sum(),
        recouped,
        closing_balance: cash_closing - payable - still_owed,
        payable,
        movements,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().expect("decimal")
    }

    fn album(id: &str) -> AlbumId {
        AlbumId::from(id.to_owned())
    }

    fn earnings(by: &[(Option<&str>, &str)]) -> BTreeMap<Option<AlbumId>, Decimal> {
        by.iter().map(|(a, e)| (a.map(album), d(e))).collect()
    }

    fn owed(id: &str, albums: &[&str], opening: &str, advanced: &str) -> Owed {
        Owed {
            id: AdvanceId::from(id.to_owned()),
            albums: albums.iter().map(|a| album(a)).collect(),
            opening: d(opening),
            advanced: d(advanced),
        }
    }

    fn recouped(s: &Settlement) -> Vec<(&str, Decimal, Decimal)> {
        s.movements
            .iter()
            .map(|m| (m.id.as_str(), m.recouped, m.closing))
            .collect()
    }

    #[test]
    fn a_general_advance_is_recouped_before_anything_is_payable() {
        // A 100.00 advance against 30.00 of earnings: all 30 recouped, 70 still owed.
        let first = settle(
            d("0"),
            &earnings(&[(None, "30.00")]),
            &[owed("adv-a", &[], "0", "100.00")],
            d("0"),
        );
        assert_eq!(recouped(&first), [("adv-a", d("30.00"), d("70.00"))]);
        assert_eq!(
            (first.closing_balance, first.payable, first.advanced),
            (d("-70.00"), d("0"), d("100.00"))
        );
        // Next period, 90.00 earned: 70 recouped, 20 payable.
        let second = settle(
            d("-70.00"),
            &earnings(&[(Some("alb-x"), "90.00")]),
            &[owed("adv-a", &[], "70.00", "0")],
            d("0"),
        );
        assert_eq!(recouped(&second), [("adv-a", d("70.00"), d("0.00"))]);
        assert_eq!(
            (second.closing_balance, second.payable),
            (d("0.00"), d("20.00"))
        );
    }

    #[test]
    fn a_balance_below_the_minimum_is_carried_and_refunds_leave_a_debt() {
        let small = settle(d("0"), &earnings(&[(None, "4.99")]), &[], d("5.00"));
        assert_eq!((small.closing_balance, small.payable), (d("4.99"), d("0")));
        let refund = settle(d("0"), &earnings(&[(None, "-1.00")]), &[], d("0"));
        assert_eq!(
            (refund.closing_balance, refund.payable, refund.recouped),
            (d("-1.00"), d("0"), d("0"))
        );
    }

    #[test]
    fn a_tied_advance_is_recouped_only_from_its_releases() {
        // 500 on release A; the payee earns 120 on A and 80 on B: 120 recouped, B's 80 payable.
        let s = settle(
            d("0"),
            &earnings(&[(Some("alb-a"), "120.00"), (Some("alb-b"), "80.00")]),
            &[owed("adv-a", &["alb-a"], "0", "500.00")],
            d("0"),
        );
        assert_eq!(recouped(&s), [("adv-a", d("120.00"), d("380.00"))]);
        assert_eq!((s.payable, s.closing_balance), (d("80.00"), d("-380.00")));
        // Singles (no release) do not recoup it either.
        let singles = settle(
            d("-380.00"),
            &earnings(&[(None, "50.00")]),
            &[owed("adv-a", &["alb-a"], "380.00", "0")],
            d("0"),
        );
        assert_eq!(recouped(&singles), [("adv-a", d("0"), d("380.00"))]);
        assert_eq!(
            (singles.payable, singles.closing_balance),
            (d("50.00"), d("-380.00"))
        );
    }

    #[test]
    fn tied_advances_go_before_general_ones_which_take_what_is_left() {
        // Listed oldest first: the general advance is older, yet A's earnings go to A's advance.
        let s = settle(
            d("0"),
            &earnings(&[(Some("alb-a"), "100.00"), (Some("alb-b"), "30.00")]),
            &[
                owed("adv-general", &[], "0", "50.00"),
                owed("adv-a", &["alb-a"], "0", "60.00"),
            ],
            d("0"),
        );
        assert_eq!(
            recouped(&s),
            [
                ("adv-a", d("60.00"), d("0.00")),
                ("adv-general", d("50.00"), d("0.00"))
            ]
        );
        assert_eq!((s.payable, s.recouped), (d("20.00"), d("110.00")));
    }

    #[test]
    fn an_advance_on_several_releases_draws_on_each_and_two_advances_share_a_release() {
        let s = settle(
            d("0"),
            &earnings(&[(Some("alb-a"), "40.00"), (Some("alb-b"), "40.00")]),
            &[
                owed("adv-ab", &["alb-a", "alb-b"], "0", "60.00"),
                owed("adv-b", &["alb-b"], "0", "100.00"),
            ],
            d("0"),
        );
        // A's 40 then 20 of B's; B's other 20 go to the second advance.
        assert_eq!(
            recouped(&s),
            [
                ("adv-ab", d("60.00"), d("0.00")),
                ("adv-b", d("20.00"), d("80.00"))
            ]
        );
        assert_eq!((s.payable, s.closing_balance), (d("0.00"), d("-80.00")));
    }

    #[test]
    fn recoupment_never_takes_more_than_the_payee_has_in_hand() {
        // 100 earned on A but 70 refunded on B: only 30 is in hand to recoup A's advance.
        let s = settle(
            d("0"),
            &earnings(&[(Some("alb-a"), "100.00"), (Some("alb-b"), "-70.00")]),
            &[owed("adv-a", &["alb-a"], "0", "200.00")],
            d("0"),
        );
        assert_eq!(recouped(&s), [("adv-a", d("30.00"), d("170.00"))]);
        assert_eq!((s.payable, s.closing_balance), (d("0"), d("-170.00")));
        // A balance carried forward (below the minimum last time) recoups a general advance.
        let carried = settle(
            d("4.00"),
            &earnings(&[]),
            &[owed("adv-g", &[], "0", "10.00")],
            d("5.00"),
        );
        assert_eq!(recouped(&carried), [("adv-g", d("4.00"), d("6.00"))]);
        assert_eq!(carried.closing_balance, d("-6.00"));
    }
}
