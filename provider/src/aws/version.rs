//! Version strings as AWS writes them (`16.4`, `7.1.0`, `1.31`, `3.7.x`): ordering and
//! matching, shared by every part that upgrades an engine.

use std::cmp::Ordering;

/// Sort key of a dotted version: each component's leading digits (`16.4` → [16, 4];
/// `3.7.x` → [3, 7, 0]). Missing or non-numeric components count as 0.
pub fn key(v: &str) -> Vec<u64> {
    v.trim()
        .split('.')
        .map(|p| {
            p.chars()
                .take_while(|c| c.is_ascii_digit())
                .collect::<String>()
                .parse()
                .unwrap_or(0)
        })
        .collect()
}

/// Orders two versions by [`key`].
pub fn compare(a: &str, b: &str) -> Ordering {
    key(a).cmp(&key(b))
}

/// True when the observed version satisfies the wanted one: equal, or the wanted one is a
/// prefix (`16` is satisfied by `16.4`, `7.1` by `7.1.0`).
pub fn matches(want: &str, have: &str) -> bool {
    have == want || have.starts_with(&format!("{want}."))
}

/// `1.29` → (1, 29); None when either part is not a number.
pub fn major_minor(v: &str) -> Option<(u32, u32)> {
    let mut it = v.trim().split('.');
    let major = it.next()?.parse().ok()?;
    let minor = it.next()?.parse().ok()?;
    Some((major, minor))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_order_numerically() {
        assert!(key("15.7") < key("16.1"));
        assert!(key("16.10") > key("16.9"));
        assert_eq!(key("3.7.x"), vec![3, 7, 0]);
        assert!(compare("3.6.0", "3.7.x").is_lt());
        assert!(compare("1.31", "1.30").is_gt());
    }

    #[test]
    fn wanted_prefix_matches_the_observed_version() {
        assert!(matches("16", "16.4"));
        assert!(matches("7.1", "7.1.0"));
        assert!(matches("1.31", "1.31"));
        assert!(!matches("1.3", "1.31"));
        assert!(!matches("16.4", "16"));
    }

    #[test]
    fn major_minor_parses_two_numbers() {
        assert_eq!(major_minor("1.29"), Some((1, 29)));
        assert_eq!(major_minor(" 1.30.2 "), Some((1, 30)));
        assert_eq!(major_minor("1"), None);
        assert_eq!(major_minor("x.1"), None);
    }
}
