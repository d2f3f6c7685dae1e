//! What every `version_<scheme>` target checks: the input, split at newlines into up to
//! three version texts, must parse or be refused without a panic, and the versions that parse
//! must be ordered as a total order whose equality agrees with the hash.

use std::cmp::Ordering;
use std::hash::{DefaultHasher, Hash, Hasher};

use drydock_version::{Scheme, Version};

pub fn check(scheme: Scheme, input: &str) {
    let texts: Vec<&str> = input.splitn(3, '\n').collect();
    let parsed: Vec<Version> = texts.iter().filter_map(|text| parsed(scheme, text)).collect();
    for a in &parsed {
        assert_eq!(a.cmp(a), Ordering::Equal, "{a} is not equal to itself");
        for b in &parsed {
            check_pair(scheme, a, b);
            for c in &parsed {
                if a <= b && b <= c {
                    assert!(a <= c, "{a} <= {b} <= {c} but not {a} <= {c}");
                }
            }
        }
    }
}

fn parsed(scheme: Scheme, text: &str) -> Option<Version> {
    let version = scheme.parse(text).ok()?;
    assert_eq!(version.as_str(), text, "the parsed version does not keep its text");
    assert_eq!(version.scheme(), scheme);
    Some(version)
}

fn check_pair(scheme: Scheme, a: &Version, b: &Version) {
    let order = a.cmp(b);
    assert_eq!(b.cmp(a), order.reverse(), "{a} and {b} are not antisymmetric");
    assert_eq!(
        scheme.compare(a.as_str(), b.as_str()),
        Ok(order),
        "{a} vs {b}: Scheme::compare differs"
    );
    if order == Ordering::Equal {
        assert_eq!(hash(a), hash(b), "{a} == {b} but their hashes differ");
    }
}

fn hash(version: &Version) -> u64 {
    let mut hasher = DefaultHasher::new();
    version.hash(&mut hasher);
    hasher.finish()
}
