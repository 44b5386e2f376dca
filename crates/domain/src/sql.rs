//! SQL mappings of domain values stored as text (ids, roles, statuses), behind the `diesel`
//! feature so that the domain itself needs no database crate.

/// Implements `ToSql<Text>`/`FromSql<Text>` for PostgreSQL: `$to` borrows the value as `&str`;
/// `$from` turns the stored `String` into the value or an error.
macro_rules! text_column {
    ($ty:ty, |$value:ident| $to:expr, |$text:ident| $from:expr) => {
        impl diesel::serialize::ToSql<diesel::sql_types::Text, diesel::pg::Pg> for $ty {
            fn to_sql<'b>(
                &'b self,
                out: &mut diesel::serialize::Output<'b, '_, diesel::pg::Pg>,
            ) -> diesel::serialize::Result {
                let $value = self;
                <str as diesel::serialize::ToSql<diesel::sql_types::Text, diesel::pg::Pg>>::to_sql(
                    $to, out,
                )
            }
        }

        impl diesel::deserialize::FromSql<diesel::sql_types::Text, diesel::pg::Pg> for $ty {
            fn from_sql(bytes: diesel::pg::PgValue<'_>) -> diesel::deserialize::Result<Self> {
                let $text = <String as diesel::deserialize::FromSql<
                    diesel::sql_types::Text,
                    diesel::pg::Pg,
                >>::from_sql(bytes)?;
                $from
            }
        }
    };
}

pub(crate) use text_column;
