//! Usage analytics: `{units, revenue: {currency: amount}}` per group, and the query that picks
//! the months and the breakdown.

use std::collections::BTreeMap;

use backbeat_domain::FieldError;
use backbeat_domain::period::Period;
use backbeat_domain::usage::GroupBy;
use backbeat_services::analytics::{Breakdown, Group, Overview, Usage};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::error::ApiError;

/// `?from=&to=&groupBy=`
#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct AnalyticsQuery {
    /// First month included; by default eleven months before `to`. After `to`: an empty range.
    #[param(value_type = Option<crate::schemas::Month>)]
    from: Option<String>,
    /// Last month included; by default this month. An answer covers at most 120 months: the last
    /// ones of a longer range (its `from` says where it starts).
    #[param(value_type = Option<crate::schemas::Month>)]
    to: Option<String>,
    /// `month` (every month of the range, empty ones included; the default), `platform` or
    /// `territory`.
    #[param(schema_with = crate::schemas::group_by)]
    group_by: Option<String>,
}

impl AnalyticsQuery {
    /// The months asked for (both ends included) and the breakdown.
    pub fn read(&self) -> Result<((Period, Period), GroupBy), ApiError> {
        let mut errors = Vec::new();
        let mut month = |field: &str, value: &Option<String>| match value.as_deref() {
            None => None,
            Some(v) => Period::parse(field, v).map_err(|e| errors.push(e)).ok(),
        };
        let (from, to) = (month("from", &self.from), month("to", &self.to));
        let group_by = match self.group_by.as_deref() {
            None => GroupBy::Month,
            Some(word) => GroupBy::parse(word).unwrap_or_else(|| {
                errors.push(FieldError::new(
                    "groupBy",
                    format!("must be {}", GroupBy::words()),
                ));
                GroupBy::Month
            }),
        };
        if !errors.is_empty() {
            return Err(ApiError::Validation(errors));
        }
        let range = backbeat_services::analytics::range(from, to);
        Ok((range, group_by))
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UsageView {
    pub units: i64,
    /// Per currency as reported (never converted), exact decimal strings.
    #[schema(value_type = Object, example = json!({"USD": "12.3456", "EUR": "0.98"}))]
    pub revenue: BTreeMap<String, String>,
}

impl From<Usage> for UsageView {
    fn from(u: Usage) -> Self {
        Self {
            units: u.units,
            revenue: u
                .revenue
                .into_iter()
                .map(|(c, r)| (c, r.normalize().to_string()))
                .collect(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct GroupView {
    /// `YYYY-MM`, a platform id, a territory code (ISO 3166-1 alpha-2) or a song id.
    #[schema(example = "2026-10")]
    pub key: String,
    /// The platform's or the song's name, where the key is an id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub units: i64,
    #[schema(value_type = Object)]
    pub revenue: BTreeMap<String, String>,
}

impl From<Group> for GroupView {
    fn from(g: Group) -> Self {
        let usage = UsageView::from(g.usage);
        Self {
            key: g.key,
            name: g.name,
            units: usage.units,
            revenue: usage.revenue,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AnalyticsView {
    #[schema(example = "2025-11")]
    pub from: String,
    #[schema(example = "2026-10")]
    pub to: String,
    /// `month`, `platform` or `territory`.
    pub group_by: String,
    pub total: UsageView,
    pub groups: Vec<GroupView>,
}

impl From<Breakdown> for AnalyticsView {
    fn from(b: Breakdown) -> Self {
        Self {
            from: b.from.to_string(),
            to: b.to.to_string(),
            group_by: b.group_by.to_string(),
            total: b.total.into(),
            groups: b.groups.into_iter().map(GroupView::from).collect(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AnalyticsData {
    pub analytics: AnalyticsView,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OverviewView {
    pub from: String,
    pub to: String,
    pub total: UsageView,
    /// The ten songs with the most units; `key` is the song id, `name` its title.
    pub top_songs: Vec<GroupView>,
    pub by_platform: Vec<GroupView>,
    pub by_territory: Vec<GroupView>,
}

impl From<Overview> for OverviewView {
    fn from(o: Overview) -> Self {
        let list = |groups: Vec<Group>| groups.into_iter().map(GroupView::from).collect();
        Self {
            from: o.from.to_string(),
            to: o.to.to_string(),
            total: o.total.into(),
            top_songs: list(o.top_songs),
            by_platform: list(o.by_platform),
            by_territory: list(o.by_territory),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OverviewData {
    pub overview: OverviewView,
}
