//! The HTTP SMS gateway, which hands each message to an operator-configured URL as JSON, and
//! the HTTP sender of notices to apps' callback addresses.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use async_trait::async_trait;

use openpan_core::notice::{MessageKind, NoticeSender, OutgoingNotice, SendFailure};
use openpan_core::sms::{OutgoingSms, SmsGateway};

/// How long a gateway or callback address may take to accept a message before it counts as
/// failed.
const GATEWAY_TIMEOUT: Duration = Duration::from_secs(10);

/// A client that gives up after [`GATEWAY_TIMEOUT`] and does not follow redirects: a receiver
/// that redirects is misconfigured, and following could carry credentials or signed bodies
/// elsewhere.
fn client_builder() -> http_client::ClientBuilder {
    http_client::Client::builder()
        .timeout(GATEWAY_TIMEOUT)
        .redirect(http_client::redirect::Policy::none())
}

pub struct HttpSmsGateway {
    client: http_client::Client,
    url: String,
    token: Option<String>,
}

impl HttpSmsGateway {
    pub fn new(url: String, token: Option<String>) -> anyhow::Result<Self> {
        Ok(Self {
            client: client_builder().build()?,
            url,
            token,
        })
    }
}

#[async_trait]
impl SmsGateway for HttpSmsGateway {
    fn name(&self) -> &'static str {
        "http"
    }

    async fn deliver(&self, sms: &OutgoingSms) -> Result<Option<String>, String> {
        let body = serde_json::json!({
            "message_id": sms.message_id,
            "enterprise_id": sms.enterprise_id.0,
            "phone": sms.phone,
            "text": sms.text,
        });
        let mut request = self
            .client
            .post(&self.url)
            .header(http_client::header::CONTENT_TYPE, "application/json")
            .body(body.to_string());
        if let Some(token) = &self.token {
            request = request.bearer_auth(token);
        }
        // Errors are recorded and shown to administrators: without the URL, which may hold
        // credentials.
        let response = request
            .send()
            .await
            .map_err(|err| format!("gateway unreachable: {}", err.without_url()))?;
        let status = response.status();
        if !status.is_success() {
            return Err(format!("gateway answered {}", status.as_u16()));
        }
        let bytes = response.bytes().await.unwrap_or_default();
        let body: Option<serde_json::Value> = serde_json::from_slice(&bytes).ok();
        let reference = body.and_then(|body| match &body["id"] {
            serde_json::Value::String(id) => Some(id.clone()),
            serde_json::Value::Number(id) => Some(id.to_string()),
            _ => None,
        });
        Ok(reference)
    }
}

/// POSTs notices to apps' callback addresses, with the signature headers. Unless allowed,
/// addresses inside this host's network are refused, also when a name resolves to them (the
/// check is on the addresses the connection uses, so a name cannot change between check and use).
pub struct HttpNoticeSender {
    client: http_client::Client,
    allow_internal: bool,
}

impl HttpNoticeSender {
    pub fn new(allow_internal: bool) -> anyhow::Result<Self> {
        let mut builder = client_builder();
        if !allow_internal {
            builder = builder.dns_resolver(PublicOnly);
        }
        Ok(Self {
            client: builder.build()?,
            allow_internal,
        })
    }
}

/// Whether an address is not on the public internet: loopback, private, link-local (cloud
/// metadata services), shared, unspecified, broadcast, multicast, documentation, or an IPv6
/// unique-local or IPv4-mapped form of those.
pub fn is_internal(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.is_documentation()
                || a == 0
                || (a == 100 && (64..128).contains(&b))
                || (a == 198 && (b == 18 || b == 19))
                || a >= 240
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_internal(IpAddr::V4(v4));
            }
            let first = v6.segments()[0];
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80
                || first == 0x2001 && v6.segments()[1] == 0x0db8
        }
    }
}

/// Resolves names to their public addresses only.
struct PublicOnly;

impl http_client::dns::Resolve for PublicOnly {
    fn resolve(&self, name: http_client::dns::Name) -> http_client::dns::Resolving {
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let public: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await?
                .filter(|address| !is_internal(address.ip()))
                .collect();
            if public.is_empty() {
                return Err("the callback address resolves to internal addresses only".into());
            }
            Ok(Box::new(public.into_iter()) as http_client::dns::Addrs)
        })
    }
}

/// An error with its causes, for the delivery record (without the URL, which may hold
/// credentials).
pub(crate) fn describe(err: &http_client::Error) -> String {
    let mut text = err.to_string();
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[async_trait]
impl NoticeSender for HttpNoticeSender {
    async fn send(&self, notice: &OutgoingNotice<'_>) -> Result<u16, SendFailure> {
        let failure = |reason: String| SendFailure { status: None, reason };
        // Names go through the resolver; an address written as an IP is checked here.
        let literal = http_client::Url::parse(notice.url)
            .ok()
            .and_then(|url| match url.host() {
                Some(url::Host::Ipv4(ip)) => Some(IpAddr::V4(ip)),
                Some(url::Host::Ipv6(ip)) => Some(IpAddr::V6(ip)),
                _ => None,
            });
        if !self.allow_internal && literal.is_some_and(is_internal) {
            return Err(failure(
                "the callback address is internal (see notice_allow_internal)".to_owned(),
            ));
        }
        let id_header = match notice.kind {
            MessageKind::Notice => "x-openpan-notice-id",
            MessageKind::Event => "x-openpan-event-id",
        };
        let response = self
            .client
            .post(notice.url)
            .header(http_client::header::CONTENT_TYPE, "application/json")
            .header("x-openpan-event", notice.event)
            .header(id_header, notice.id.to_string())
            .header("x-openpan-timestamp", notice.timestamp.to_string())
            .header("x-openpan-signature", notice.signature)
            .body(notice.body.to_owned())
            .send()
            .await
            .map_err(|err| {
                failure(format!(
                    "callback address unreachable: {}",
                    describe(&err.without_url())
                ))
            })?;
        let status = response.status();
        if status.is_success() {
            Ok(status.as_u16())
        } else {
            Err(SendFailure {
                status: Some(status.as_u16()),
                reason: format!("callback address answered {}", status.as_u16()),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_addresses_are_told_from_public_ones() {
        for internal in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
        ] {
            assert!(is_internal(internal.parse().unwrap()), "{internal}");
        }
        for public in ["8.8.8.8", "1.1.1.1", "2606:4700::1111", "::ffff:8.8.8.8"] {
            assert!(!is_internal(public.parse().unwrap()), "{public}");
        }
    }
}
