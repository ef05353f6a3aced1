//! Access tokens for the relayhost's XOAUTH2 or OAUTHBEARER login (`relayhost_auth`),
//! from the provider's token endpoint by the refresh-token grant (with
//! `oauth_refresh_token`) or the client-credentials grant, through the `oauth2` crate.
//! One token is cached in memory and shared by every delivery; it is fetched again a
//! little before it expires (a quarter of its life, at most a minute early) and at once
//! when the relayhost refuses it (`forget`). A refresh token the provider rotates is
//! kept here and handed back for the store. Tokens and secrets are never logged.

use std::time::{Duration, Instant};

use oauth2::basic::BasicClient;
use oauth2::{AuthType, ClientId, ClientSecret, RefreshToken, Scope, TokenResponse, TokenUrl};
use shared::settings::OAuth;
use tokio::sync::Mutex;

/// How long one request to the token endpoint may take.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// The lifetime assumed when the endpoint does not say (`expires_in` is optional).
const DEFAULT_LIFETIME: Duration = Duration::from_secs(3600);

#[derive(Default)]
pub struct Tokens {
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    /// What the cached token was issued for: the settings without the refresh token.
    key: Option<(String, String, Option<String>, Vec<String>)>,
    /// The refresh token from the store the last time, and the one rotated since.
    from_store: Option<String>,
    rotated: Option<String>,
    token: Option<Cached>,
}

struct Cached {
    secret: String,
    /// When to fetch the next one.
    renew_at: Instant,
}

/// A token, and a refresh token the provider issued in place of the one used (to be
/// written back to the store).
pub struct Granted {
    pub token: String,
    pub rotated: Option<String>,
}

impl Tokens {
    /// A current access token for `cfg`, from the cache or the endpoint. Only one fetch
    /// runs at a time; deliveries waiting for it then share its token.
    pub async fn get(&self, cfg: &OAuth) -> Result<Granted, String> {
        let mut st = self.state.lock().await;
        let key = (
            cfg.token_url.clone(),
            cfg.client_id.clone(),
            cfg.client_secret.as_ref().map(|s| s.0.clone()),
            cfg.scopes.clone(),
        );
        let store_refresh = cfg.refresh_token.as_ref().map(|s| s.0.clone());
        let changed_by_admin = store_refresh != st.from_store && store_refresh != st.rotated;
        if st.key.as_ref() != Some(&key) || changed_by_admin {
            *st = State {
                key: Some(key),
                from_store: store_refresh.clone(),
                ..State::default()
            };
        }
        st.from_store = store_refresh.clone();
        if let Some(t) = st.token.as_ref().filter(|t| Instant::now() < t.renew_at) {
            return Ok(Granted {
                token: t.secret.clone(),
                rotated: None,
            });
        }
        let refresh = st.rotated.clone().or(store_refresh);
        let (secret, lifetime, new_refresh) = fetch(cfg, refresh.as_deref()).await?;
        let early = (lifetime / 4).min(Duration::from_secs(60));
        st.token = Some(Cached {
            secret: secret.clone(),
            renew_at: Instant::now() + lifetime.saturating_sub(early),
        });
        let rotated = new_refresh.filter(|r| Some(r) != refresh.as_ref());
        if let Some(r) = &rotated {
            st.rotated = Some(r.clone());
        }
        tracing::info!(
            endpoint = %cfg.token_url,
            lifetime_s = lifetime.as_secs(),
            grant = if refresh.is_some() { "refresh_token" } else { "client_credentials" },
            rotated = rotated.is_some(),
            "OAuth2 token obtained"
        );
        Ok(Granted {
            token: secret,
            rotated,
        })
    }

    /// The relayhost refused `token`: the next `get` fetches a new one.
    pub async fn forget(&self, token: &str) {
        let mut st = self.state.lock().await;
        if st.token.as_ref().is_some_and(|t| t.secret == token) {
            st.token = None;
        }
    }
}

/// One request to the token endpoint: the access token, its lifetime, and the refresh
/// token the endpoint returned, if any.
async fn fetch(
    cfg: &OAuth,
    refresh: Option<&str>,
) -> Result<(String, Duration, Option<String>), String> {
    let fail = |why: String| format!("cannot get an OAuth2 token from {}: {why}", cfg.token_url);
    let url = TokenUrl::new(cfg.token_url.clone()).map_err(|e| fail(e.to_string()))?;
    let mut client = BasicClient::new(ClientId::new(cfg.client_id.clone()))
        .set_token_uri(url)
        // In the body, as Microsoft's and Google's endpoints both take it.
        .set_auth_type(AuthType::RequestBody);
    if let Some(s) = &cfg.client_secret {
        client = client.set_client_secret(ClientSecret::new(s.0.clone()));
    }
    // No redirects: a token request must not be sent on to anywhere else.
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(REQUEST_TIMEOUT)
        .build()
        .map_err(|e| fail(e.to_string()))?;
    let scopes = cfg.scopes.iter().map(|s| Scope::new(s.clone()));
    let response = match refresh {
        Some(r) => {
            let r = RefreshToken::new(r.to_string());
            client
                .exchange_refresh_token(&r)
                .add_scopes(scopes)
                .request_async(&http)
                .await
        }
        None => {
            client
                .exchange_client_credentials()
                .add_scopes(scopes)
                .request_async(&http)
                .await
        }
    }
    .map_err(|e| fail(describe(&e)))?;
    let lifetime = response.expires_in().unwrap_or(DEFAULT_LIFETIME);
    Ok((
        response.access_token().secret().clone(),
        lifetime,
        response.refresh_token().map(|r| r.secret().clone()),
    ))
}

/// The endpoint's refusal or the transport's failure, without any secret.
fn describe<RE: std::error::Error + 'static>(
    e: &oauth2::RequestTokenError<RE, oauth2::basic::BasicErrorResponse>,
) -> String {
    match e {
        oauth2::RequestTokenError::ServerResponse(r) => match r.error_description() {
            Some(d) => format!("{} ({d})", r.error()),
            None => r.error().to_string(),
        },
        oauth2::RequestTokenError::Request(e) => {
            let mut text = e.to_string();
            let mut source = e.source();
            while let Some(s) = source {
                text = format!("{text}: {s}");
                source = s.source();
            }
            text
        }
        oauth2::RequestTokenError::Parse(e, _) => format!("unreadable answer: {e}"),
        oauth2::RequestTokenError::Other(e) => e.clone(),
    }
}
