//! Schemas of the values many request bodies and queries share, so that the OpenAPI document
//! states each rule once, as the validation enforces it (the domain's checks, read through
//! `crate::input`). Documentation only: handlers read these values with `Fields`.

use backbeat_domain::access::Scope;
use backbeat_domain::territories::{COUNTRIES, WORLDWIDE};
use utoipa::openapi::schema::{
    AdditionalProperties, ArrayBuilder, ObjectBuilder, OneOfBuilder, Type,
};
use utoipa::openapi::{RefOr, Schema};
use utoipa::{PartialSchema, ToSchema};

fn text(min: usize, max: usize, pattern: &str, description: &str) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .min_length((min > 0).then_some(min))
        .max_length(Some(max))
        .pattern(Some(pattern))
        .description(Some(description))
}

/// A named string schema (a component of the document, referenced where it is used).
macro_rules! string_schema {
    ($name:ident, $schema:expr, $example:expr) => {
        pub struct $name;
        impl PartialSchema for $name {
            fn schema() -> RefOr<Schema> {
                $schema.examples([$example]).into()
            }
        }
        impl ToSchema for $name {}
    };
}

string_schema!(
    Reference,
    text(
        1,
        64,
        r"^[^\x00]*[^\x00\s][^\x00]*$",
        "An id sent in a body or a query: not blank, at most 64 characters. Whether it names \
         something the caller may see is checked after (404, or 400 naming the field).",
    ),
    "song-Qbax5Oy7L8WKf74l"
);

string_schema!(
    Email,
    text(
        3,
        254,
        r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]{1,32}(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]{1,30})?@[A-Za-z0-9]([A-Za-z0-9-]{0,30}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,30}[A-Za-z0-9])?){1,4}$",
        "An email address as a form takes it: a dot-atom local part, `@`, and a domain of at \
         least two labels.",
    ),
    "listener@example.com"
);

string_schema!(
    Month,
    text(
        7,
        7,
        r"^(19|[2-9][0-9])[0-9]{2}-(0[1-9]|1[0-2])$",
        "A calendar month, `YYYY-MM`, from 1900 on.",
    ),
    "2026-10"
);

string_schema!(
    CalendarDate,
    text(
        10,
        10,
        r"^[0-9]{4}-((0[13578]|1[02])-(0[1-9]|[12][0-9]|3[01])|(0[469]|11)-(0[1-9]|[12][0-9]|30)|02-(0[1-9]|1[0-9]|2[0-8]))$",
        "A calendar date, `YYYY-MM-DD` (29 February is a date in leap years too; the pattern \
         leaves it out as it cannot tell them).",
    ),
    "2026-12-04"
);

/// An `http(s)` address that every URL parser reads alike (the server checks the same pattern).
const WEB_URL: &str = backbeat_domain::web::PATTERN;

string_schema!(
    WebUrl,
    text(
        8,
        500,
        WEB_URL,
        "A web page's address: `http://` or `https://`, a host name or IPv4 address, an optional \
         port, a path, a query and a fragment, in printable ASCII (other characters \
         percent-encoded).",
    ),
    "https://nadiarose.example"
);

string_schema!(
    ProfileUrl,
    text(
        8,
        2000,
        WEB_URL,
        "A page to crawl: `http://` or `https://`, a host name or IPv4 address, an optional port, \
         a path, a query and a fragment, in printable ASCII (no user name or password).",
    ),
    "https://nadiarose.example/about"
);

/// Ids of things of one kind, each at most once.
fn references(max: usize) -> ArrayBuilder {
    ArrayBuilder::new()
        .items(Reference::schema())
        .min_items(Some(1))
        .max_items(Some(max))
        .unique_items(true)
}

pub fn album_ids() -> impl Into<RefOr<Schema>> {
    references(1000)
}

/// A video's local tags: none up to 50, each once.
pub fn tag_ids() -> impl Into<RefOr<Schema>> {
    references(backbeat_domain::video::TAGS_PER_VIDEO_MAX).min_items(Some(0))
}

pub fn platform_ids() -> impl Into<RefOr<Schema>> {
    references(100)
}

fn one_of(names: Vec<String>) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(names))
}

/// An API key's scopes: at least one, each one of the scopes keys can hold (a repeated one
/// counts once).
pub fn scopes() -> impl Into<RefOr<Schema>> {
    ArrayBuilder::new()
        .items(one_of(
            Scope::ALL.iter().map(|s| s.as_str().to_owned()).collect(),
        ))
        .min_items(Some(1))
}

/// A release's territories: country codes (ISO 3166-1 alpha-2), or `Worldwide` first and then
/// exclusions written `-CODE`; never both kinds of list at once.
pub fn territories() -> impl Into<RefOr<Schema>> {
    let only = ArrayBuilder::new()
        .items(one_of(COUNTRIES.iter().map(|c| (*c).to_owned()).collect()))
        .min_items(Some(1))
        .unique_items(true);
    let except = ArrayBuilder::new()
        .prefix_items([one_of(vec![WORLDWIDE.to_owned()])])
        .items(one_of(COUNTRIES.iter().map(|c| format!("-{c}")).collect()))
        .min_items(Some(1))
        .unique_items(true);
    OneOfBuilder::new().item(only).item(except)
}

/// A decimal string above 0 with at most `decimals` digits after the point (and 12 significant
/// ones before it), as `backbeat_domain::money::parse_amount` takes it.
pub fn positive_decimal(decimals: u32) -> String {
    let whole = "0{0,6}[1-9][0-9]{0,11}";
    match decimals {
        0 => format!("^{whole}$"),
        1 => format!(r"^({whole}(\.[0-9])?|0{{1,7}}\.[1-9])$"),
        d => format!(
            r"^({whole}(\.[0-9]{{1,{d}}})?|0{{1,7}}\.[0-9]{{0,{}}}[1-9])$",
            d - 1
        ),
    }
}

/// Exchange rates: ISO 4217 codes (other than the base currency, which the served document
/// names) to decimal strings above 0.
pub fn rates() -> impl Into<RefOr<Schema>> {
    let positive_decimal = ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some(positive_decimal(12)));
    ObjectBuilder::new()
        .schema_type(Type::Object)
        .property_names(Some(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .pattern(Some("^[A-Z]{3}$")),
        ))
        .additional_properties(Some(AdditionalProperties::RefOr(RefOr::T(Schema::Object(
            positive_decimal.build(),
        )))))
}

/// A string schema listing a domain type's words, so the document follows the type.
macro_rules! words_of {
    ($($(#[$doc:meta])* $name:ident: $values:expr),+ $(,)?) => {$(
        $(#[$doc])*
        pub fn $name() -> impl Into<RefOr<Schema>> {
            one_of($values.iter().map(|v| v.as_str().to_owned()).collect())
        }
    )+};
}

words_of! {
    /// What a contributor did on a track.
    contributor_role: backbeat_domain::release::ContributorRole::ALL,
    /// A distribution's state.
    distribution_status: backbeat_domain::distribution::DistributionStatus::ALL,
    /// An account's role.
    role: backbeat_domain::Role::ALL,
    /// An account's status.
    user_status: backbeat_domain::access::UserStatus::ALL,
    /// A usage report's format.
    report_format: backbeat_domain::usage::ReportFormat::ALL,
    /// How analytics group usage.
    group_by: backbeat_domain::usage::GroupBy::ALL,
    /// Who may enter a chat room.
    room_kind: backbeat_domain::chat::RoomKind::ALL,
    /// Where an artist verification stands.
    verification_status: backbeat_domain::verification::VerificationStatus::ALL,
    /// Whether the public sees a video.
    visibility: backbeat_domain::video::Visibility::ALL,
}

/// A release's type; `null` derives it from the tracks.
pub fn release_type() -> impl Into<RefOr<Schema>> {
    use backbeat_domain::release::ReleaseType;
    ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::SchemaType::from_iter([
            Type::String,
            Type::Null,
        ]))
        .enum_values(Some(
            ReleaseType::ALL
                .iter()
                .map(|t| serde_json::Value::from(t.as_str()))
                .chain([serde_json::Value::Null]),
        ))
}

#[cfg(test)]
mod tests {
    #[test]
    fn positive_decimals_take_what_the_amount_parser_takes_above_zero() {
        let two = regex::Regex::new(&super::positive_decimal(2)).expect("pattern");
        for good in ["1", "0.01", "500.00", "12.3", "0000001.5", "100000000000"] {
            assert!(two.is_match(good), "{good}");
        }
        for bad in [
            "0",
            "0.00",
            "0.001",
            "-1",
            "1.",
            ".5",
            "1e3",
            "12.345",
            "1000000000000",
        ] {
            assert!(!two.is_match(bad), "{bad}");
        }
        let none = regex::Regex::new(&super::positive_decimal(0)).expect("pattern");
        assert!(none.is_match("250") && !none.is_match("250.0") && !none.is_match("0"));
        let one = regex::Regex::new(&super::positive_decimal(1)).expect("pattern");
        assert!(one.is_match("0.5") && one.is_match("3") && !one.is_match("0.0"));
    }
}
