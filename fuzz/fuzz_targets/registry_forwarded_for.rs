//! `X-Forwarded-For` values from clients and proxies: never a panic, an untrusted peer is
//! always its own client, and the client is the peer or an address from the header.
#![no_main]

use std::net::{IpAddr, Ipv4Addr};

use drydock_registry::client::TrustedProxies;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let proxy = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1));
    let stranger = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1));
    let proxies = TrustedProxies::new(vec![proxy, IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2))]);
    let values: Vec<&str> = text.split('\n').collect();
    assert_eq!(proxies.client_behind(stranger, values.iter().copied()), stranger);
    let client = proxies.client_behind(proxy, values.iter().copied());
    let named = values
        .iter()
        .flat_map(|value| value.split(','))
        .any(|hop| hop.trim().parse::<IpAddr>().ok() == Some(client));
    assert!(client == proxy || named);
    let list: Vec<String> = text.split(',').map(String::from).collect();
    let _ = TrustedProxies::parse(&list);
});
