//! Tags: the user's, the provider's `default_tags`, and Mosia's own ownership tags (which
//! let a later run, an import or a crash recovery recognise what Mosia created).

use std::collections::BTreeMap;

/// Prefix of tags Mosia manages itself; hidden from `tags_all`.
pub const OWNERSHIP_PREFIX: &str = "mosia:";
pub const MANAGED_BY_KEY: &str = "mosia:managed-by";
pub const MANAGED_BY_VALUE: &str = "terraform-provider-mosia";

/// `default_tags` overlaid by the resource's own tags (resource tags win, as in the AWS provider).
pub fn merge(
    defaults: &BTreeMap<String, String>,
    own: &BTreeMap<String, String>,
) -> BTreeMap<String, String> {
    let mut all = defaults.clone();
    all.extend(own.iter().map(|(k, v)| (k.clone(), v.clone())));
    all
}

/// Tags as read from AWS, without Mosia's ownership tags.
pub fn user_visible(tags: BTreeMap<String, String>) -> BTreeMap<String, String> {
    tags.into_iter()
        .filter(|(k, _)| !k.starts_with(OWNERSHIP_PREFIX))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn resource_tags_override_defaults() {
        let all = merge(
            &m(&[("team", "platform"), ("env", "dev")]),
            &m(&[("env", "prod")]),
        );
        assert_eq!(all, m(&[("team", "platform"), ("env", "prod")]));
    }

    #[test]
    fn ownership_tags_are_hidden() {
        let seen = user_visible(m(&[("mosia:managed-by", "x"), ("team", "a")]));
        assert_eq!(seen, m(&[("team", "a")]));
    }
}
