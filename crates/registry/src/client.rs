//! The client's address, for the audit trail: the TCP peer, or, when the peer is a trusted
//! reverse proxy, the address it reports in `X-Forwarded-For`.
//!
//! `X-Forwarded-For` is a list each proxy appends its own peer to, so only its right end is
//! trustworthy: walking from the right, every address that is a trusted proxy is skipped and
//! the first one that is not is the client. A header from an untrusted peer is ignored (any
//! client can send one).

use std::net::{IpAddr, SocketAddr};

use axum::extract::ConnectInfo;
use axum::http::{Extensions, HeaderMap};

const FORWARDED_FOR: &str = "x-forwarded-for";

/// The proxies whose `X-Forwarded-For` is believed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<IpAddr>);

impl std::fmt::Display for TrustedProxies {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let list: Vec<String> = self.0.iter().map(IpAddr::to_string).collect();
        write!(f, "[{}]", list.join(","))
    }
}

impl TrustedProxies {
    pub fn new(proxies: Vec<IpAddr>) -> Self {
        TrustedProxies(proxies)
    }

    /// Parses addresses such as `10.0.0.1` or `::1`, naming the one that is not an address.
    pub fn parse(addresses: &[String]) -> crate::Result<Self> {
        addresses
            .iter()
            .map(|text| {
                text.trim().parse::<IpAddr>().map_err(|_| {
                    crate::Error::Config(format!(
                        "trusted proxy `{}` is not an IP address",
                        crate::names::printable(text)
                    ))
                })
            })
            .collect::<crate::Result<Vec<_>>>()
            .map(TrustedProxies)
    }

    fn trusts(&self, address: IpAddr) -> bool {
        self.0.contains(&address)
    }

    /// The client of a request: its peer (from axum's `ConnectInfo`), unless that is a trusted
    /// proxy. Empty when the server was not started with connection information.
    pub fn client(&self, extensions: &Extensions, headers: &HeaderMap) -> String {
        let Some(ConnectInfo(peer)) = extensions.get::<ConnectInfo<SocketAddr>>() else {
            return String::new();
        };
        self.client_of(peer.ip(), headers).to_string()
    }

    fn client_of(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        let values = headers
            .get_all(FORWARDED_FOR)
            .iter()
            .map(|value| value.to_str().unwrap_or(""));
        self.client_behind(peer, values)
    }

    /// The client of a connection from `peer` that sent these `X-Forwarded-For` values.
    pub fn client_behind<'a>(&self, peer: IpAddr, forwarded_for: impl IntoIterator<Item = &'a str>) -> IpAddr {
        if !self.trusts(peer) {
            return peer;
        }
        let forwarded: Vec<Option<IpAddr>> = forwarded_for
            .into_iter()
            .flat_map(|value| value.split(','))
            .map(|hop| hop.trim().parse::<IpAddr>().ok())
            .collect();
        let mut client = peer;
        // What is left of an unparsable hop cannot be told apart from what a client made up.
        for hop in forwarded.iter().rev().map_while(|hop| *hop) {
            client = hop;
            if !self.trusts(hop) {
                break;
            }
        }
        client
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn forwarded_for_counts_only_from_trusted_proxies() {
        let proxies = TrustedProxies::new(vec![ip("10.0.0.1"), ip("10.0.0.2")]);
        let mut headers = HeaderMap::new();
        headers.insert(FORWARDED_FOR, HeaderValue::from_static("6.6.6.6, 192.0.2.7, 10.0.0.2"));
        assert_eq!(proxies.client_of(ip("10.0.0.1"), &headers), ip("192.0.2.7"));
        assert_eq!(proxies.client_of(ip("192.0.2.9"), &headers), ip("192.0.2.9"));
        assert_eq!(proxies.client_of(ip("10.0.0.1"), &HeaderMap::new()), ip("10.0.0.1"));
        headers.insert(FORWARDED_FOR, HeaderValue::from_static("not-an-address"));
        assert_eq!(proxies.client_of(ip("10.0.0.1"), &headers), ip("10.0.0.1"));
        assert!(TrustedProxies::parse(&["10.0.0.300".into()]).is_err());
        assert_eq!(TrustedProxies::client(&proxies, &Extensions::new(), &headers), "");
    }
}
