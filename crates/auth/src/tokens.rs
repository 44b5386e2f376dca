//! JWTs: short-lived access tokens and longer-lived refresh tokens, signed (HS256) with two
//! different keys so that neither can stand in for the other.

use std::time::Duration;

use backbeat_config::AuthSettings;
use backbeat_config::secrecy::ExposeSecret;
use backbeat_domain::Role;
use backbeat_domain::ids::UserId;
use chrono::{DateTime, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TokenKind {
    Access,
    Refresh,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    /// The user id.
    pub sub: String,
    pub role: Role,
    /// Checked as well as the key, as defence in depth.
    pub typ: TokenKind,
    pub iat: i64,
    pub exp: i64,
    /// Makes every token unique, so two logins in the same second store two refresh tokens.
    pub jti: String,
}

#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("token is invalid or expired")]
    Invalid,
    #[error("cannot sign token: {0}")]
    Signing(#[from] jsonwebtoken::errors::Error),
}

struct KeyPair {
    encoding: EncodingKey,
    decoding: DecodingKey,
    age: Duration,
}

/// Issues and verifies both kinds of token.
pub struct Tokens {
    access: KeyPair,
    refresh: KeyPair,
    validation: Validation,
}

impl std::fmt::Debug for Tokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Tokens([REDACTED])")
    }
}

/// An issued token and when it stops being valid.
pub struct Issued {
    pub token: String,
    pub expires_at: DateTime<Utc>,
}

impl Tokens {
    pub fn new(settings: &AuthSettings) -> anyhow::Result<Self> {
        let key = |k: &Option<backbeat_config::secrecy::SecretString>, name: &str| {
            k.as_ref()
                .map(|k| k.expose_secret().as_bytes().to_vec())
                .filter(|k| !k.is_empty())
                .ok_or_else(|| anyhow::anyhow!("{name} is not configured"))
        };
        let access_key = key(&settings.access_token_key, "ACCESS_TOKEN_KEY")?;
        let refresh_key = key(&settings.refresh_token_key, "REFRESH_TOKEN_KEY")?;
        anyhow::ensure!(
            access_key != refresh_key,
            "access and refresh token keys must differ"
        );
        // Only HS256 is accepted: `alg: none` and algorithm swaps fail before the signature check.
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 0;
        validation.set_required_spec_claims(&["exp", "sub", "iat"]);
        Ok(Self {
            access: KeyPair {
                encoding: EncodingKey::from_secret(&access_key),
                decoding: DecodingKey::from_secret(&access_key),
                age: Duration::from_secs(settings.access_token_age_secs),
            },
            refresh: KeyPair {
                encoding: EncodingKey::from_secret(&refresh_key),
                decoding: DecodingKey::from_secret(&refresh_key),
                age: Duration::from_secs(settings.refresh_token_age_secs),
            },
            validation,
        })
    }

    fn pair(&self, kind: TokenKind) -> &KeyPair {
        match kind {
            TokenKind::Access => &self.access,
            TokenKind::Refresh => &self.refresh,
        }
    }

    pub fn issue(&self, kind: TokenKind, user: &UserId, role: Role) -> Result<Issued, TokenError> {
        let pair = self.pair(kind);
        let now = Utc::now();
        let expires_at = now + pair.age;
        let claims = Claims {
            sub: user.to_string(),
            role,
            typ: kind,
            iat: now.timestamp(),
            exp: expires_at.timestamp(),
            jti: backbeat_domain::ids::new_id("jti"),
        };
        let token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &pair.encoding)?;
        Ok(Issued { token, expires_at })
    }

    pub fn verify(&self, kind: TokenKind, token: &str) -> Result<Claims, TokenError> {
        let data =
            jsonwebtoken::decode::<Claims>(token, &self.pair(kind).decoding, &self.validation)
                .map_err(|_| TokenError::Invalid)?;
        if data.claims.typ != kind {
            return Err(TokenError::Invalid);
        }
        Ok(data.claims)
    }
}

/// What the server stores for a refresh token: its SHA-256, never the token itself.
pub fn digest(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}
