//! Accounts: sign-up, profiles and tokens.

use backbeat_db::users::Profile;
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UserCreated {
    #[schema(example = "user-Qbax5Oy7L8WKf74l")]
    pub user_id: String,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UserProfile {
    #[schema(example = "user-Qbax5Oy7L8WKf74l")]
    pub id: String,
    pub username: String,
    pub fullname: String,
    /// `user`, `admin` or `super_admin`.
    pub role: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
    /// Where reports and statements are sent; `null` until set.
    pub email: Option<String>,
}

impl From<Profile> for UserProfile {
    fn from(profile: Profile) -> Self {
        Self {
            id: profile.id.into_inner(),
            username: profile.username,
            fullname: profile.fullname,
            role: profile.role.to_string(),
            created_at: profile.created_at,
            email: profile.email,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UserProfileData {
    pub user: UserProfile,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TokenPair {
    pub access_token: String,
    pub refresh_token: String,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AccessToken {
    pub access_token: String,
}
