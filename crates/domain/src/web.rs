//! A web page's address, as artists list their pages and give the one to crawl: `http(s)://`, a
//! host name or IPv4 address (no credentials), an optional port, a path, a query and a fragment, in
//! printable ASCII (an international name in its `xn--` form, other characters percent-encoded).
//! The OpenAPI document states [`PATTERN`] and the server checks the same one.

use std::sync::LazyLock;

use regex::Regex;

/// One character of a path segment, a query or a fragment (RFC 3986's pchar).
macro_rules! pchar {
    ($extra:literal) => {
        concat!(
            r"([A-Za-z0-9._~!$&'()*+,;=:@",
            $extra,
            r"-]|%[0-9A-Fa-f]{2})"
        )
    };
}

pub const PATTERN: &str = concat!(
    r"^https?://",
    // A name whose last label starts with a letter (so no resolver reads it as a number), or
    // four decimal octets.
    r"(([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)*[A-Za-z]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?",
    r"|((25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])\.){3}(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9]))",
    r"(:([1-9][0-9]{0,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5]))?",
    "(/",
    pchar!(""),
    "*)*",
    r"(\?",
    pchar!("/?"),
    "*)?",
    "(#",
    pchar!("/?"),
    "*)?$",
);

static ADDRESS: LazyLock<Regex> = LazyLock::new(|| Regex::new(PATTERN).expect("PATTERN compiles"));

/// Whether `value` is such an address (its length is the caller's to bound).
pub fn is_web_address(value: &str) -> bool {
    ADDRESS.is_match(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_with_a_host_name_pass_and_anything_else_does_not() {
        for good in [
            "https://nadiarose.example/about",
            "http://a.b-c.example:8080/x/y?z=1&w",
            "https://x/",
            "https://x.example:65535/caf%C3%A9?q=a%20b#top",
            "https://xn--caf-dma.example/",
            "http://127.0.0.1:8080/found",
            "https://1.2.3.4/",
        ] {
            assert!(is_web_address(good), "{good}");
        }
        for bad in [
            "https://user:pw@example.com/",
            "https://user@example.com/",
            "https://[`9r\\ic0(?-}5H\\U",
            "https://1.2.3/",
            "https://01.2.3.4/",
            "https://1.2.3.256/",
            "https://a.0x7f/",
            "http://A*",
            "https://x.example:65536/",
            "https://x.example:0/",
            "https://x.example/a b",
            "https://x.example/%zz",
            " https://x.example/",
            "https://x.example/\n",
            "ftp://example.com/",
            "https://",
            "https://-x.example/",
        ] {
            assert!(!is_web_address(bad), "{bad:?}");
        }
    }
}
