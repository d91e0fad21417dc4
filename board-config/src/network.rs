//! IP networks in CIDR form (`10.20.0.0/16`, `fd00:10::/32`) and which addresses are internal
//! (loopback, private, link-local and the like): the exam proxy refuses an allowlisted name
//! that resolves to an internal address unless the site's `exam.private_networks` allows it.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;
use std::sync::OnceLock;

/// A network: an address and a prefix length, with no host bits set.
///
/// ```
/// use board_config::Network;
/// let campus: Network = "10.20.0.0/16".parse().unwrap();
/// assert!(campus.contains("10.20.3.4".parse().unwrap()));
/// assert!(!campus.contains("10.21.0.1".parse().unwrap()));
/// assert!("10.20.0.1/16".parse::<Network>().unwrap_err().contains("10.20.0.0/16"));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Network {
    addr: IpAddr,
    prefix: u8,
}

/// `ip` as bits, left-aligned in 128, and its width; IPv4-mapped IPv6 counts as IPv4.
fn bits(ip: IpAddr) -> (u128, u8) {
    match ip.to_canonical() {
        IpAddr::V4(a) => (u128::from(u32::from(a)) << 96, 32),
        IpAddr::V6(a) => (u128::from(a), 128),
    }
}

/// The mask of the first `prefix` of 128 bits.
fn mask(prefix: u8) -> u128 {
    u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0)
}

impl Network {
    /// Whether `ip` is in this network (an IPv4-mapped IPv6 address as its IPv4 address).
    pub fn contains(&self, ip: IpAddr) -> bool {
        let (net, width) = bits(self.addr);
        let (ip, ip_width) = bits(ip);
        width == ip_width && (net ^ ip) & mask(self.prefix) == 0
    }
}

impl FromStr for Network {
    type Err = String;

    /// `address/prefix`; the error says what is wrong, for a site file's message.
    fn from_str(s: &str) -> Result<Network, String> {
        let Some((addr, prefix)) = s.split_once('/') else {
            return Err(format!(
                "`{s}` has no prefix length: write a network as address/length, e.g. 10.20.0.0/16"
            ));
        };
        let addr: IpAddr = addr
            .parse()
            .map_err(|_| format!("`{addr}` in `{s}` is not an IP address"))?;
        let (net, width) = bits(addr);
        let prefix = prefix
            .parse::<u8>()
            .ok()
            .filter(|p| *p <= width && (prefix == "0" || !prefix.starts_with('0')))
            .ok_or_else(|| format!("`/{prefix}` in `{s}` is not a prefix length 0 to {width}"))?;
        let kept = net & mask(prefix);
        if kept != net {
            let base = Network {
                addr: match addr.to_canonical() {
                    IpAddr::V4(_) => IpAddr::from(((kept >> 96) as u32).to_be_bytes()),
                    IpAddr::V6(_) => IpAddr::from(kept.to_be_bytes()),
                },
                prefix,
            };
            return Err(format!("`{s}` has host bits set: the network is {base}"));
        }
        Ok(Network {
            addr: addr.to_canonical(),
            prefix,
        })
    }
}

impl fmt::Display for Network {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

/// Networks no exam server on the internet is in: unspecified, loopback, private (RFC 1918,
/// unique local), shared (carrier NAT), link-local, multicast, reserved and broadcast.
const INTERNAL: &[&str] = &[
    "0.0.0.0/8",
    "10.0.0.0/8",
    "100.64.0.0/10",
    "127.0.0.0/8",
    "169.254.0.0/16",
    "172.16.0.0/12",
    "192.168.0.0/16",
    "224.0.0.0/4",
    "240.0.0.0/4",
    "::/128",
    "::1/128",
    "fc00::/7",
    "fe80::/10",
    "fec0::/10",
    "ff00::/8",
];

/// Whether `ip` is internal: loopback, private, link-local or otherwise not an internet host
/// (an IPv4-mapped IPv6 address is judged as its IPv4 address).
///
/// ```
/// use board_config::is_internal;
/// for ip in ["127.0.0.1", "10.0.2.100", "192.168.1.1", "169.254.169.254", "::1", "fd00::1",
///            "::ffff:127.0.0.1", "0.0.0.0"] {
///     assert!(is_internal(ip.parse().unwrap()), "{ip}");
/// }
/// assert!(!is_internal("142.150.1.1".parse().unwrap()));
/// assert!(!is_internal("2607:f8b0::1".parse().unwrap()));
/// ```
pub fn is_internal(ip: IpAddr) -> bool {
    // Parsed once: the proxy asks for every address of every request.
    static NETWORKS: OnceLock<Vec<Network>> = OnceLock::new();
    NETWORKS
        .get_or_init(|| INTERNAL.iter().filter_map(|n| n.parse().ok()).collect())
        .iter()
        .any(|n| n.contains(ip))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_internal_network_parses() {
        for n in INTERNAL {
            n.parse::<Network>().unwrap();
        }
    }

    #[test]
    fn networks_and_their_errors() {
        let v6: Network = "fd00:10::/32".parse().unwrap();
        assert!(v6.contains("fd00:10::5".parse().unwrap()));
        assert!(!v6.contains("10.0.0.1".parse().unwrap()));
        let all: Network = "0.0.0.0/0".parse().unwrap();
        assert!(all.contains("8.8.8.8".parse().unwrap()));
        assert!(all.contains("::ffff:8.8.8.8".parse().unwrap()));
        let host: Network = "10.0.2.100/32".parse().unwrap();
        assert!(host.contains("10.0.2.100".parse().unwrap()));
        assert!(!host.contains("10.0.2.101".parse().unwrap()));
        for (bad, says) in [
            ("10.0.0.0", "no prefix length"),
            ("10.0.0/8", "not an IP address"),
            ("10.0.0.0/33", "0 to 32"),
            ("10.0.0.0/08", "0 to 32"),
            ("10.0.0.0/-1", "0 to 32"),
            ("fd00::/129", "0 to 128"),
            ("10.0.2.1/24", "the network is 10.0.2.0/24"),
            ("fd00::1/64", "the network is fd00::/64"),
        ] {
            let err = bad.parse::<Network>().unwrap_err();
            assert!(err.contains(says), "{bad}: {err}");
        }
    }
}
