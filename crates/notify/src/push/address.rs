//! Which IP addresses a delivery may never reach.
//!
//! A push endpoint is a URL a browser — that is, anyone with an account — hands us, and
//! we POST to it from inside the deployment. Without this list, a subscription naming
//! `http://169.254.169.254/` or `https://10.0.0.5:6379/` would make the server probe its
//! own network. Real push services are public hosts, so everything that is not plainly
//! a public unicast address is refused.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Why `ip` may not be reached, or `None` if it is a public unicast address.
pub(crate) fn forbidden(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => forbidden_v4(v4),
        IpAddr::V6(v6) => forbidden_v6(v6),
    }
}

/// Whether `ip` is a loopback address, in either family (an IPv4-mapped `::ffff:127.x`
/// included): the only addresses the test setting `allow_loopback` opens.
pub(crate) fn is_loopback(ip: IpAddr) -> bool {
    ip.to_canonical().is_loopback()
}

fn forbidden_v4(ip: Ipv4Addr) -> Option<&'static str> {
    let [a, b, c, _] = ip.octets();
    let reason = match (a, b, c) {
        _ if ip.is_unspecified() => "unspecified",
        _ if ip.is_broadcast() => "broadcast",
        (0, _, _) => "a \"this network\" address",
        (127, _, _) => "loopback",
        (10, _, _) => "private",
        (172, 16..=31, _) => "private",
        (192, 168, _) => "private",
        (169, 254, _) => "link-local",
        (100, 64..=127, _) => "shared (carrier-grade NAT)",
        (192, 0, 0) => "reserved for protocol assignments",
        (192, 0, 2) | (198, 51, 100) | (203, 0, 113) => "documentation",
        (192, 88, 99) => "a 6to4 relay anycast",
        (198, 18..=19, _) => "benchmarking",
        (224..=239, _, _) => "multicast",
        (240..=255, _, _) => "reserved",
        _ => return None,
    };
    Some(reason)
}

fn forbidden_v6(ip: Ipv6Addr) -> Option<&'static str> {
    let segments = ip.segments();
    // The forms that carry an IPv4 address are judged by it: a mapped or translated
    // 10.0.0.1 is as internal as 10.0.0.1 itself.
    if let Some(v4) = embedded_v4(ip) {
        return forbidden_v4(v4);
    }
    let reason = match segments {
        _ if ip.is_unspecified() => "unspecified",
        _ if ip.is_loopback() => "loopback",
        [0, 0, 0, 0, 0, _, _, _] => "reserved (IPv4-compatible)",
        [0x0064, 0xff9b, 0x0001, ..] => "local-use NAT64",
        [0x0100, 0, 0, 0, ..] => "discard-only",
        [0x2001, 0x0db8, ..] => "documentation",
        [0x3fff, s1, ..] if s1 < 0x1000 => "documentation",
        // Teredo, ORCHID, benchmarking and the other IETF assignments: no push service.
        [0x2001, s1, ..] if s1 < 0x0200 => "reserved for protocol assignments",
        [s0, ..] if s0 & 0xfe00 == 0xfc00 => "unique local (private)",
        [s0, ..] if s0 & 0xffc0 == 0xfe80 => "link-local",
        [s0, ..] if s0 & 0xffc0 == 0xfec0 => "site-local",
        [s0, ..] if s0 & 0xff00 == 0xff00 => "multicast",
        _ => return None,
    };
    Some(reason)
}

/// The IPv4 address an IPv6 address stands for: IPv4-mapped (`::ffff:a.b.c.d`),
/// IPv4-compatible (`::a.b.c.d`, deprecated but still routed by some stacks), NAT64
/// (`64:ff9b::a.b.c.d`) and 6to4 (`2002:AABB:CCDD::`).
fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    let s = ip.segments();
    let low =
        |hi: u16, lo: u16| Ipv4Addr::new((hi >> 8) as u8, hi as u8, (lo >> 8) as u8, lo as u8);
    match s {
        [0, 0, 0, 0, 0, 0xffff, hi, lo] => Some(low(hi, lo)),
        // `::` and `::1` are IPv6's own unspecified and loopback, not IPv4 addresses.
        [0, 0, 0, 0, 0, 0, hi, lo] if hi != 0 || lo > 1 => Some(low(hi, lo)),
        [0x0064, 0xff9b, 0, 0, 0, 0, hi, lo] => Some(low(hi, lo)),
        [0x2002, hi, lo, ..] => Some(low(hi, lo)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verdict(text: &str) -> Option<&'static str> {
        forbidden(text.parse().unwrap())
    }

    #[test]
    fn internal_ipv4_addresses_are_forbidden() {
        for (ip, reason) in [
            ("0.0.0.0", "unspecified"),
            ("0.1.2.3", "a \"this network\" address"),
            ("127.0.0.1", "loopback"),
            ("127.255.0.9", "loopback"),
            ("10.0.0.1", "private"),
            ("172.16.0.1", "private"),
            ("172.31.255.255", "private"),
            ("192.168.1.1", "private"),
            ("169.254.169.254", "link-local"),
            ("100.64.0.1", "shared (carrier-grade NAT)"),
            ("100.127.255.255", "shared (carrier-grade NAT)"),
            ("192.0.0.8", "reserved for protocol assignments"),
            ("192.0.2.1", "documentation"),
            ("198.51.100.7", "documentation"),
            ("203.0.113.9", "documentation"),
            ("198.18.0.1", "benchmarking"),
            ("224.0.0.1", "multicast"),
            ("239.255.255.250", "multicast"),
            ("240.0.0.1", "reserved"),
            ("255.255.255.255", "broadcast"),
        ] {
            assert_eq!(verdict(ip), Some(reason), "{ip}");
        }
    }

    #[test]
    fn internal_ipv6_addresses_are_forbidden() {
        for (ip, reason) in [
            ("::", "unspecified"),
            ("::1", "loopback"),
            ("::ffff:127.0.0.1", "loopback"),
            ("::ffff:192.168.1.1", "private"),
            ("::ffff:169.254.169.254", "link-local"),
            ("::10.0.0.1", "private"),
            ("::0.0.0.2", "a \"this network\" address"),
            ("64:ff9b::10.1.1.1", "private"),
            ("64:ff9b:1::1", "local-use NAT64"),
            ("2002:c0a8:0101::1", "private"),
            ("100::1", "discard-only"),
            ("2001:db8::1", "documentation"),
            ("3fff::1", "documentation"),
            ("2001::1", "reserved for protocol assignments"),
            ("fc00::1", "unique local (private)"),
            ("fd12:3456::1", "unique local (private)"),
            ("fe80::1", "link-local"),
            ("febf::1", "link-local"),
            ("fec0::1", "site-local"),
            ("ff02::1", "multicast"),
        ] {
            assert_eq!(verdict(ip), Some(reason), "{ip}");
        }
    }

    #[test]
    fn public_unicast_addresses_are_allowed() {
        for ip in [
            "8.8.8.8",
            "1.1.1.1",
            "172.15.255.255",
            "172.32.0.1",
            "100.63.255.255",
            "100.128.0.1",
            "192.169.0.1",
            "2a00:1450:4001:80b::200a",
            "2606:4700:4700::1111",
            "::ffff:8.8.8.8",
            "64:ff9b::8.8.8.8",
            "2002:0808:0808::1",
            "2001:4860:4860::8888",
        ] {
            assert_eq!(verdict(ip), None, "{ip}");
        }
    }

    #[test]
    fn loopback_is_recognised_in_every_form() {
        for ip in ["127.0.0.1", "127.1.2.3", "::1", "::ffff:127.0.0.1"] {
            assert!(is_loopback(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["10.0.0.1", "::", "0.0.0.0", "8.8.8.8"] {
            assert!(!is_loopback(ip.parse().unwrap()), "{ip}");
        }
    }
}
