//! API keys, accounts as admins see them, and the audit log.

use backbeat_db::api_keys::ApiKey;
use backbeat_db::audit_events::AuditEvent;
use backbeat_db::users::Account;
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ApiKeyCreated {
    #[schema(example = "apikey-Qbax5Oy7L8WKf74l")]
    pub api_key_id: String,
    /// The secret, shown this once: only a hash of it is kept. Send it as
    /// `Authorization: Bearer <key>` or `X-Api-Key: <key>`.
    #[schema(example = "bbk_3Jd8Qm2LxV9sKp4TzR7nWc1YhB6fGa0eUo5iNk8D")]
    pub key: String,
    pub api_key: ApiKeyView,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ApiKeyView {
    pub id: String,
    pub name: String,
    /// The start of the key, to tell keys apart (`bbk_` and 8 characters).
    #[schema(example = "bbk_3Jd8Qm2L")]
    pub prefix: String,
    #[schema(example = json!(["catalog:read", "distribution:write"]))]
    pub scopes: Vec<String>,
    pub created_at: DateTime<Utc>,
    /// When the key was last used, to within `auth.key_usage_flush_secs` (60 s by default).
    pub last_used_at: Option<DateTime<Utc>>,
    pub expires_at: Option<DateTime<Utc>>,
    pub revoked: bool,
}

impl From<ApiKey> for ApiKeyView {
    fn from(k: ApiKey) -> Self {
        Self {
            id: k.id.into_inner(),
            name: k.name,
            prefix: k.prefix,
            scopes: k.scopes,
            created_at: k.created_at,
            last_used_at: k.last_used_at,
            expires_at: k.expires_at,
            revoked: k.revoked_at.is_some(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ApiKeyList {
    pub api_keys: Vec<ApiKeyView>,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AccountView {
    pub id: String,
    pub username: String,
    pub fullname: String,
    pub email: Option<String>,
    /// `user`, `admin` or `super_admin`.
    pub role: String,
    /// `active` or `suspended`.
    pub status: String,
    pub created_at: DateTime<Utc>,
}

impl From<Account> for AccountView {
    fn from(a: Account) -> Self {
        Self {
            id: a.id.into_inner(),
            username: a.username,
            fullname: a.fullname,
            email: a.email,
            role: a.role.as_str().to_owned(),
            status: a.status.as_str().to_owned(),
            created_at: a.created_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AccountList {
    pub users: Vec<AccountView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AccountData {
    pub user: AccountView,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AuditEventView {
    pub id: i64,
    /// The account that acted, or `operator:cli` for the operator's command line.
    pub actor_id: String,
    /// `user.update`, `api_key.create`, `api_key.revoke`, `platform.create`, `platform.update`,
    /// `fx_rates.replace`, `advance.create`, `usage_report.create`, `usage_report.delete`,
    /// `royalty_run.create`.
    pub action: String,
    pub target_type: String,
    pub target_id: String,
    /// The target's state before the action (`null` for a creation).
    pub before: Option<serde_json::Value>,
    /// The target's state after the action (`null` for a deletion).
    pub after: Option<serde_json::Value>,
    pub created_at: DateTime<Utc>,
}

impl From<AuditEvent> for AuditEventView {
    fn from(e: AuditEvent) -> Self {
        Self {
            id: e.id,
            actor_id: e.actor_id,
            action: e.action,
            target_type: e.target_type,
            target_id: e.target_id,
            before: e.before,
            after: e.after,
            created_at: e.created_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditLog {
    pub events: Vec<AuditEventView>,
}
