/// An ISO 8601 duration as `xs:duration` writes it: `PT3M25.123S`, `PT1H2M3S`, `PT0S`.
pub fn iso8601(milliseconds: u64) -> String {
    let hours = milliseconds / 3_600_000;
    let minutes = milliseconds / 60_000 % 60;
    let seconds = milliseconds / 1000 % 60;
    let millis = milliseconds % 1000;
    let mut out = String::from("PT");
    if hours > 0 {
        out.push_str(&format!("{hours}H"));
    }
    if minutes > 0 {
        out.push_str(&format!("{minutes}M"));
    }
    if millis > 0 {
        out.push_str(&format!("{seconds}.{millis:03}S"));
    } else if seconds > 0 || (hours == 0 && minutes == 0) {
        out.push_str(&format!("{seconds}S"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::iso8601;

    #[test]
    fn formats_like_xs_duration() {
        assert_eq!(iso8601(0), "PT0S");
        assert_eq!(iso8601(263_583), "PT4M23.583S");
        assert_eq!(iso8601(148_000), "PT2M28S");
        assert_eq!(iso8601(3_723_000), "PT1H2M3S");
        assert_eq!(iso8601(3_600_000), "PT1H");
        assert_eq!(iso8601(500), "PT0.500S");
    }
}
