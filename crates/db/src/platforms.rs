//! Streaming platforms and how packages reach them.

use backbeat_domain::ids::PlatformId;
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use crate::DbError;
use crate::schema::platforms;

/// Platform codes are unique.
pub const CODE_TAKEN: &str = "platforms_code_key";

#[derive(Debug, Clone, Queryable, Selectable, Insertable, serde::Serialize)]
#[diesel(table_name = platforms)]
#[serde(rename_all = "camelCase")]
pub struct Platform {
    pub id: PlatformId,
    pub code: String,
    pub name: String,
    pub party_id: String,
    pub active: bool,
    pub delivery_method: String,
    pub delivery_folder: Option<String>,
    /// The distributor's fee on this platform in basis points; `None`: the configured default.
    pub fee_bps: Option<i32>,
    /// The SFTP server, when `delivery_method` is `sftp` (all three set then).
    pub sftp_host: Option<String>,
    pub sftp_port: i32,
    pub sftp_username: Option<String>,
    /// `SHA256:...`, the fingerprint of the host key the server must show.
    pub sftp_host_key: Option<String>,
    /// `release_by_release` or `batch` (ECHO's batch profile, closed by a BatchComplete).
    pub delivery_profile: String,
    /// Releases per batch at most (batch profile).
    pub batch_max_releases: i32,
    /// Where the platform writes acknowledgements, under the delivery folder.
    pub acknowledgement_folder: String,
    /// Everything sent to it is a test message until an admin puts it live.
    pub onboarding: bool,
}

#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = platforms)]
pub struct PlatformPatch {
    pub name: Option<String>,
    pub party_id: Option<String>,
    pub active: Option<bool>,
    pub delivery_method: Option<String>,
    pub delivery_folder: Option<Option<String>>,
    pub fee_bps: Option<Option<i32>>,
    pub sftp_host: Option<String>,
    pub sftp_port: Option<i32>,
    pub sftp_username: Option<String>,
    pub sftp_host_key: Option<String>,
    pub delivery_profile: Option<String>,
    pub batch_max_releases: Option<i32>,
    pub acknowledgement_folder: Option<String>,
    pub onboarding: Option<bool>,
}

impl PlatformPatch {
    fn is_empty(&self) -> bool {
        self.name.is_none()
            && self.party_id.is_none()
            && self.active.is_none()
            && self.delivery_method.is_none()
            && self.delivery_folder.is_none()
            && self.fee_bps.is_none()
            && self.sftp_host.is_none()
            && self.sftp_port.is_none()
            && self.sftp_username.is_none()
            && self.sftp_host_key.is_none()
            && self.delivery_profile.is_none()
            && self.batch_max_releases.is_none()
            && self.acknowledgement_folder.is_none()
            && self.onboarding.is_none()
    }
}

/// Every platform, by name.
pub async fn all(conn: &mut AsyncPgConnection) -> Result<Vec<Platform>, DbError> {
    Ok(platforms::table
        .order((platforms::name, platforms::id))
        .select(Platform::as_select())
        .load(conn)
        .await?)
}

pub async fn find(
    conn: &mut AsyncPgConnection,
    id: &PlatformId,
) -> Result<Option<Platform>, DbError> {
    Ok(platforms::table
        .find(id)
        .select(Platform::as_select())
        .first(conn)
        .await
        .optional()?)
}

pub async fn find_many(
    conn: &mut AsyncPgConnection,
    ids: &[PlatformId],
) -> Result<Vec<Platform>, DbError> {
    Ok(platforms::table
        .filter(platforms::id.eq_any(ids))
        .select(Platform::as_select())
        .load(conn)
        .await?)
}

pub async fn insert(conn: &mut AsyncPgConnection, platform: &Platform) -> Result<(), DbError> {
    diesel::insert_into(platforms::table)
        .values(platform)
        .execute(conn)
        .await?;
    Ok(())
}

/// `false` when the platform does not exist.
pub async fn update(
    conn: &mut AsyncPgConnection,
    id: &PlatformId,
    patch: &PlatformPatch,
) -> Result<bool, DbError> {
    if patch.is_empty() {
        return Ok(find(conn, id).await?.is_some());
    }
    Ok(diesel::update(platforms::table.find(id))
        .set(patch)
        .execute(conn)
        .await?
        > 0)
}
