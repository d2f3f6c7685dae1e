//! Decimal digit runs of any length, compared and hashed by their value.

use std::cmp::Ordering;
use std::hash::Hasher;

/// `digits` without its leading zeros (an all-zero run becomes empty, the value 0).
pub fn strip_zeros(digits: &[u8]) -> &[u8] {
    let first = digits.iter().position(|&b| b != b'0').unwrap_or(digits.len());
    &digits[first..]
}

/// Orders two runs of ASCII digits by their numeric value, whatever their length.
pub fn compare(a: &[u8], b: &[u8]) -> Ordering {
    let (a, b) = (strip_zeros(a), strip_zeros(b));
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

/// Feeds the value of a digit run to `state`: runs of equal value hash alike.
pub fn hash<H: Hasher>(digits: &[u8], state: &mut H) {
    let value = strip_zeros(digits);
    state.write_usize(value.len());
    state.write(value);
}

/// The value of a digit run, or `None` when it does not fit in a `u64`.
pub fn to_u64(digits: &[u8]) -> Option<u64> {
    digits.iter().try_fold(0u64, |value, &digit| {
        value.checked_mul(10)?.checked_add(u64::from(digit - b'0'))
    })
}

/// The length of the run of ASCII digits at the start of `bytes`.
pub fn run_len(bytes: &[u8]) -> usize {
    bytes.iter().take_while(|b| b.is_ascii_digit()).count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compares_by_value_whatever_the_length() {
        assert_eq!(compare(b"0010", b"10"), Ordering::Equal);
        assert_eq!(compare(b"9", b"10"), Ordering::Less);
        assert_eq!(compare(b"", b"0"), Ordering::Equal);
        assert_eq!(compare(b"123456789012345678901234567890", b"99"), Ordering::Greater);
    }

    #[test]
    fn u64_overflow_is_none() {
        assert_eq!(to_u64(b"18446744073709551615"), Some(u64::MAX));
        assert_eq!(to_u64(b"18446744073709551616"), None);
    }
}
