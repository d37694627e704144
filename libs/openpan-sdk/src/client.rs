//! The client: one HTTP connection pool, the app's credentials and the tokens, renewed before
//! they lapse; API calls that wait out rate limits.

use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::sync::Mutex;

use crate::auth::{DeviceAuthorization, Grant, Pkce, Tokens};
use crate::error::{Error, Result};

/// Where the client reads the time (epoch seconds).
pub type Clock = Arc<dyn Fn() -> i64 + Send + Sync>;
/// Called with every new pair of tokens, e.g. to save them.
pub type TokenListener = Arc<dyn Fn(&Tokens) + Send + Sync>;

/// Tokens kept where several processes use them (a file, a database row). A client given one
/// renews only while holding its lock, after reading what the others stored: a renewal another
/// process already made is taken up, not made again, so no refresh token is spent twice (the
/// server would take that for theft and end the sign-in for all of them).
pub trait TokenStore: Send + Sync + 'static {
    /// Waits for the store's exclusive lock (it may block: it is called off the async
    /// runtime) and reads the tokens stored now. The lock is held until the guard is dropped,
    /// which may happen on the async runtime: its `Drop` must not block.
    fn lock(&self) -> std::io::Result<(Box<dyn Send>, Option<Tokens>)>;
    /// Stores renewed tokens; called while the lock is held.
    fn store(&self, tokens: &Tokens) -> std::io::Result<()>;
}

/// Renew this long before the access token's expiry, so a call never carries a token that
/// lapses on the way.
const RENEW_MARGIN_SECS: i64 = 60;

/// Builds a [`Client`].
pub struct ClientBuilder {
    base_url: String,
    client_id: String,
    client_secret: Option<String>,
    clock: Option<Clock>,
    on_tokens: Option<TokenListener>,
    store: Option<Arc<dyn TokenStore>>,
    rate_limit_retries: u32,
    max_rate_limit_wait: Duration,
    user_agent: String,
}

impl ClientBuilder {
    /// The app's secret (confidential apps).
    pub fn client_secret(mut self, secret: impl Into<String>) -> Self {
        self.client_secret = Some(secret.into());
        self
    }

    /// Where the client reads the time; the system clock by default.
    pub fn clock(mut self, clock: Clock) -> Self {
        self.clock = Some(clock);
        self
    }

    /// Called with each new pair of tokens, in the order they were issued (while the client
    /// holds its token lock: the listener must not call the client).
    pub fn on_tokens(mut self, listener: TokenListener) -> Self {
        self.on_tokens = Some(listener);
        self
    }

    /// Shares the tokens through `store` with other processes (see [`TokenStore`]).
    pub fn token_store(mut self, store: Arc<dyn TokenStore>) -> Self {
        self.store = Some(store);
        self
    }

    /// How many `429 rate_limit` answers a call waits out before failing (default 5).
    pub fn rate_limit_retries(mut self, retries: u32) -> Self {
        self.rate_limit_retries = retries;
        self
    }

    /// The longest single wait for a rate limit to reset (default 60 s).
    pub fn max_rate_limit_wait(mut self, wait: Duration) -> Self {
        self.max_rate_limit_wait = wait;
        self
    }

    /// Adds a product to the `User-Agent` header.
    pub fn user_agent(mut self, product: &str) -> Self {
        self.user_agent = format!("{product} {}", self.user_agent);
        self
    }

    /// The client.
    pub fn build(self) -> Result<Client> {
        // No overall timeout (a download may take hours), but a dead connection must not hang
        // a call, least of all a renewal that every other call waits for.
        let http = reqwest::Client::builder()
            .user_agent(self.user_agent)
            .connect_timeout(Duration::from_secs(15))
            .read_timeout(Duration::from_secs(120))
            .build()?;
        Ok(Client {
            inner: Arc::new(Inner {
                http,
                base_url: self.base_url.trim_end_matches('/').to_owned(),
                client_id: self.client_id,
                client_secret: self.client_secret,
                clock: self.clock.unwrap_or_else(|| Arc::new(system_now)),
                on_tokens: self.on_tokens,
                store: self.store,
                rate_limit_retries: self.rate_limit_retries,
                max_rate_limit_wait: self.max_rate_limit_wait,
                session: Mutex::new(Session::default()),
            }),
        })
    }
}

/// How long a `429` asks the client to wait: `Retry-After` (when one request's worth of budget is
/// back), else `X-Rate-Limit-Reset` (when all of it is), at least a second.
pub(crate) fn rate_limit_wait(response: &reqwest::Response) -> Duration {
    let seconds = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.trim().parse::<u64>().ok())
    };
    let secs = seconds("retry-after")
        .or_else(|| seconds("x-rate-limit-reset"))
        .unwrap_or(1);
    Duration::from_secs(secs.max(1))
}

/// Runs a token store's blocking call on the blocking pool.
async fn off_runtime<T: Send + 'static>(work: impl FnOnce() -> std::io::Result<T> + Send + 'static) -> Result<T> {
    let outcome = tokio::task::spawn_blocking(work)
        .await
        .map_err(|err| Error::Io(std::io::Error::other(err)))?;
    Ok(outcome?)
}

// The SDK runs in integrators' programs, outside openpan's clock port.
#[allow(clippy::disallowed_methods)]
fn system_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|elapsed| elapsed.as_secs() as i64)
        .unwrap_or_default()
}

/// A client of one openpan server for one app. Cheap to clone; clones share tokens.
#[derive(Clone)]
pub struct Client {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) http: reqwest::Client,
    pub(crate) base_url: String,
    client_id: String,
    client_secret: Option<String>,
    clock: Clock,
    on_tokens: Option<TokenListener>,
    store: Option<Arc<dyn TokenStore>>,
    rate_limit_retries: u32,
    max_rate_limit_wait: Duration,
    /// One lock around renewal, so concurrent calls never spend one refresh token twice (the
    /// server would take the second use for theft and end the whole family).
    session: Mutex<Session>,
}

#[derive(Default)]
struct Session {
    tokens: Option<Tokens>,
    /// Asked again when there is no refresh token to renew with.
    grant: Option<Grant>,
}

impl Client {
    /// A client of the server at `base_url` (e.g. `https://drive.example.com`) for the app
    /// `client_id`.
    pub fn builder(base_url: impl Into<String>, client_id: impl Into<String>) -> ClientBuilder {
        ClientBuilder {
            base_url: base_url.into(),
            client_id: client_id.into(),
            client_secret: None,
            clock: None,
            on_tokens: None,
            store: None,
            rate_limit_retries: 5,
            max_rate_limit_wait: Duration::from_secs(60),
            user_agent: format!("openpan-sdk/{}", env!("CARGO_PKG_VERSION")),
        }
    }

    /// The server's base URL.
    pub fn base_url(&self) -> &str {
        &self.inner.base_url
    }

    /// The app's client id.
    pub fn client_id(&self) -> &str {
        &self.inner.client_id
    }

    pub(crate) fn now(&self) -> i64 {
        (self.inner.clock)()
    }

    /// Gets tokens with `grant` and keeps them (and the grant, when it can be asked again).
    pub async fn sign_in(&self, grant: Grant) -> Result<Tokens> {
        let tokens = self.token(&grant).await?;
        let mut session = self.inner.session.lock().await;
        self.announce(&tokens);
        session.grant = grant.repeatable().then_some(grant);
        session.tokens = Some(tokens.clone());
        Ok(tokens)
    }

    /// Uses tokens kept from an earlier run.
    pub async fn set_tokens(&self, tokens: Tokens) {
        self.inner.session.lock().await.tokens = Some(tokens);
    }

    /// The tokens held now.
    pub async fn tokens(&self) -> Option<Tokens> {
        self.inner.session.lock().await.tokens.clone()
    }

    /// Ends the held tokens at the server (RFC 7009) and forgets them.
    pub async fn sign_out(&self) -> Result<()> {
        let tokens = self.inner.session.lock().await.tokens.take();
        if let Some(tokens) = tokens {
            let revoked = tokens.refresh_token.as_deref().unwrap_or(&tokens.access_token);
            let response = self
                .authenticated("/oauth/revoke", vec![("token", revoked.to_owned())])
                .send()
                .await?;
            if !response.status().is_success() {
                return Err(Error::from_oauth(response).await);
            }
        }
        Ok(())
    }

    /// One grant at the token endpoint (waiting out `429`s as API calls do); nothing is kept.
    pub async fn token(&self, grant: &Grant) -> Result<Tokens> {
        self.token_waiting(grant, self.inner.rate_limit_retries).await
    }

    /// [`Client::token`], waiting out at most `max_waits` `429`s.
    async fn token_waiting(&self, grant: &Grant, max_waits: u32) -> Result<Tokens> {
        let token_endpoint = self.url("/oauth/token");
        let mut waits = 0;
        loop {
            let now = self.now();
            // Made afresh each time: an RFC 7523 assertion's `jti` is single-use.
            let form = grant.form(&self.inner.client_id, &token_endpoint, now)?;
            // RFC 7523 assertions are the app's proof; the others go with its credentials.
            let request = match grant {
                Grant::JwtBearer { .. } => self.inner.http.post(&token_endpoint).form(&form),
                _ => self.authenticated("/oauth/token", form),
            };
            let response = request.send().await?;
            if response.status().is_success() {
                let issued: openpan_types::TokenResponse = response.json().await?;
                return Ok(Tokens::issued(issued, now));
            }
            if response.status().as_u16() == 429 && waits < max_waits {
                waits += 1;
                self.wait_out(&response).await;
                continue;
            }
            return Err(Error::from_oauth(response).await);
        }
    }

    /// A form POST to an OAuth endpoint with the app's authentication: Basic for confidential
    /// apps, `client_id` in the form for public ones.
    fn authenticated(&self, path: &str, mut form: Vec<(&'static str, String)>) -> reqwest::RequestBuilder {
        let request = self.inner.http.post(self.url(path));
        let request = match &self.inner.client_secret {
            Some(secret) => request.basic_auth(&self.inner.client_id, Some(secret)),
            None => {
                form.push(("client_id", self.inner.client_id.clone()));
                request
            }
        };
        request.form(&form)
    }

    /// The `/oauth/authorize` URL to send a person to, for the code flow with PKCE.
    pub fn authorize_url(&self, redirect_uri: &str, scope: &str, state: &str, pkce: &Pkce) -> Result<String> {
        let query = [
            ("response_type", "code"),
            ("client_id", self.inner.client_id.as_str()),
            ("redirect_uri", redirect_uri),
            ("scope", scope),
            ("state", state),
            ("code_challenge", pkce.challenge.as_str()),
            ("code_challenge_method", "S256"),
        ];
        let mut url = reqwest::Url::parse(&self.url("/oauth/authorize"))
            .map_err(|err| Error::Protocol(format!("the base URL is not a URL: {err}")))?;
        url.query_pairs_mut().extend_pairs(query);
        Ok(url.to_string())
    }

    /// Starts RFC 8628 device authorization: show the answer's code and page to a person.
    pub async fn start_device_authorization(&self, scope: Option<&str>) -> Result<DeviceAuthorization> {
        let form = scope.map(|scope| ("scope", scope.to_owned())).into_iter().collect();
        let response = self.authenticated("/oauth/device_authorization", form).send().await?;
        if !response.status().is_success() {
            return Err(Error::from_oauth(response).await);
        }
        Ok(response.json().await?)
    }

    /// Polls until the person approves (then signs in with the tokens), denies
    /// (`access_denied`) or the codes expire (`expired_token`).
    pub async fn wait_for_device(&self, device: &DeviceAuthorization) -> Result<Tokens> {
        let mut interval = device.interval.max(1) as u64;
        loop {
            tokio::time::sleep(Duration::from_secs(interval)).await;
            match self.sign_in(Grant::DeviceCode(device.device_code.clone())).await {
                Err(Error::OAuth { error, .. }) if error == "authorization_pending" => {}
                // RFC 8628 §3.5: five seconds more from now on.
                Err(Error::OAuth { error, .. }) if error == "slow_down" => interval += 5,
                done => return done,
            }
        }
    }

    /// A usable access token: the held one, or a renewed one when it is about to lapse.
    pub async fn access_token(&self) -> Result<String> {
        self.current_token(None).await
    }

    /// The held token unless it lapses soon or is `rejected` (the server refused it); renews
    /// otherwise, once for everyone waiting.
    async fn current_token(&self, rejected: Option<&str>) -> Result<String> {
        let mut session = self.inner.session.lock().await;
        let now = self.now();
        if let Some(tokens) = &session.tokens {
            let refused = rejected == Some(tokens.access_token.as_str());
            if !refused && tokens.expires_at - RENEW_MARGIN_SECS > now {
                return Ok(tokens.access_token.clone());
            }
            if rejected.is_some() && !refused {
                // Someone renewed while this call was out.
                return Ok(tokens.access_token.clone());
            }
        }
        // With a shared store: its lock first, then what the other processes stored.
        let shared = match &self.inner.store {
            None => None,
            Some(store) => {
                let store = Arc::clone(store);
                let (guard, stored) = off_runtime(move || store.lock()).await?;
                // Another process's renewal, not an older pair this one has moved past (after
                // a store that failed, memory is ahead of the store).
                let newer = stored.filter(|stored| match &session.tokens {
                    None => true,
                    Some(held) => stored.access_token != held.access_token && stored.expires_at >= held.expires_at,
                });
                if let Some(stored) = newer {
                    if stored.expires_at - RENEW_MARGIN_SECS > now {
                        self.announce(&stored);
                        let access = stored.access_token.clone();
                        session.tokens = Some(stored);
                        return Ok(access);
                    }
                    // Its refresh token is the newest: the held one may be spent already.
                    session.tokens = Some(stored);
                }
                Some(guard)
            }
        };
        // Other processes wait on the store's lock meanwhile: a rate-limited renewal fails
        // at once rather than holding them for minutes.
        let waits = if shared.is_some() {
            0
        } else {
            self.inner.rate_limit_retries
        };
        let refresh = session.tokens.as_ref().and_then(|tokens| tokens.refresh_token.clone());
        let renewed = match (refresh, &session.grant) {
            (Some(refresh), grant) => match self.token_waiting(&Grant::RefreshToken(refresh), waits).await {
                Ok(tokens) => tokens,
                // A lapsed refresh token: start over when the grant allows.
                Err(Error::OAuth { error, .. }) if error == "invalid_grant" && grant.is_some() => {
                    self.token_waiting(grant.as_ref().expect("checked"), waits).await?
                }
                Err(err) => return Err(err),
            },
            (None, Some(grant)) => self.token_waiting(grant, waits).await?,
            (None, None) => return Err(Error::NotSignedIn),
        };
        // Held before it is stored: the refresh token that got it is spent, and a failed
        // store must not send this process back to it.
        // Announced under the lock, so listeners hear renewals in the order they happened.
        self.announce(&renewed);
        let access = renewed.access_token.clone();
        session.tokens = Some(renewed.clone());
        if let (Some(store), Some(guard)) = (&self.inner.store, shared) {
            let store = Arc::clone(store);
            off_runtime(move || {
                let stored = store.store(&renewed);
                drop(guard);
                stored
            })
            .await?;
        }
        Ok(access)
    }

    /// Sleeps as long as a `429` asks, up to the client's longest wait.
    async fn wait_out(&self, response: &reqwest::Response) {
        tokio::time::sleep(rate_limit_wait(response).min(self.inner.max_rate_limit_wait)).await;
    }

    fn announce(&self, tokens: &Tokens) {
        if let Some(listener) = &self.inner.on_tokens {
            listener(tokens);
        }
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.inner.base_url)
    }

    /// Sends an `/api/v2` request built by `build` with a bearer token: renews and resends once
    /// on `401`, waits out `429` (its `X-Rate-Limit-Reset` seconds), and turns error envelopes
    /// into [`Error::Api`].
    pub(crate) async fn send(
        &self,
        build: impl Fn(&reqwest::Client) -> reqwest::RequestBuilder,
    ) -> Result<reqwest::Response> {
        let mut token = self.access_token().await?;
        let mut renewed = false;
        let mut waits = 0;
        loop {
            let response = build(&self.inner.http).bearer_auth(&token).send().await?;
            let status = response.status().as_u16();
            match status {
                200..=299 => return Ok(response),
                401 if !renewed => {
                    renewed = true;
                    token = self.current_token(Some(&token)).await?;
                }
                429 if waits < self.inner.rate_limit_retries => {
                    waits += 1;
                    self.wait_out(&response).await;
                }
                _ => return Err(Error::from_api(response).await),
            }
        }
    }

    /// `GET /api/v2{path}` with `query`, answering JSON.
    pub async fn get<T: DeserializeOwned>(&self, path: &str, query: &[(&str, String)]) -> Result<T> {
        let url = self.url(&format!("/api/v2{path}"));
        let response = self.send(|http| http.get(&url).query(query)).await?;
        Ok(response.json().await?)
    }

    /// `POST /api/v2{path}` with a JSON body, answering JSON.
    pub async fn post<T: DeserializeOwned>(&self, path: &str, body: &impl Serialize) -> Result<T> {
        let url = self.url(&format!("/api/v2{path}"));
        let response = self.send(|http| http.post(&url).json(body)).await?;
        Ok(response.json().await?)
    }
}
