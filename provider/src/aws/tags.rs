//! Tags: the user's, the provider's `default_tags`, and Mosia's own ownership tags (which
//! let a later run, an import or a crash recovery recognise what Mosia created).

use std::collections::BTreeMap;
use std::future::Future;

use crate::engine::PartError;

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

/// Tags from an SDK's (key, value) pairs; pairs without a key are skipped.
pub fn from_pairs<'a>(
    pairs: impl IntoIterator<Item = (Option<&'a str>, Option<&'a str>)>,
) -> BTreeMap<String, String> {
    pairs
        .into_iter()
        .filter_map(|(k, v)| Some((k?.to_string(), v.unwrap_or_default().to_string())))
        .collect()
}

/// Tags as read from AWS, without Mosia's ownership tags.
pub fn user_visible(tags: BTreeMap<String, String>) -> BTreeMap<String, String> {
    tags.into_iter()
        .filter(|(k, _)| !k.starts_with(OWNERSHIP_PREFIX))
        .collect()
}

/// What to change on an AWS object so its tags become `want`: tags to set (new or with
/// another value) and keys to remove. Keys under `aws:` belong to AWS and are never removed.
pub fn diff(
    have: &BTreeMap<String, String>,
    want: &BTreeMap<String, String>,
) -> (BTreeMap<String, String>, Vec<String>) {
    let set = want
        .iter()
        .filter(|(k, v)| have.get(*k) != Some(*v))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let remove = have
        .keys()
        .filter(|k| !want.contains_key(*k) && !k.starts_with("aws:"))
        .cloned()
        .collect();
    (set, remove)
}

/// Makes an object's tags `want` (see [`diff`]): `set` is called with the tags to add or
/// change, `remove` with the keys to drop, each only when there is something to do. Each
/// service passes its own Tag/Untag calls.
pub async fn sync<S, SF, R, RF>(
    part: &str,
    object: &str,
    have: &BTreeMap<String, String>,
    want: &BTreeMap<String, String>,
    set: S,
    remove: R,
) -> Result<(), PartError>
where
    S: FnOnce(BTreeMap<String, String>) -> SF,
    SF: Future<Output = Result<(), PartError>>,
    R: FnOnce(Vec<String>) -> RF,
    RF: Future<Output = Result<(), PartError>>,
{
    let (to_set, to_remove) = diff(have, want);
    if !to_set.is_empty() {
        tracing::info!(part, object, keys = ?to_set.keys().collect::<Vec<_>>(), "updating tags");
        set(to_set).await?;
    }
    if !to_remove.is_empty() {
        tracing::info!(part, object, keys = ?to_remove, "removing tags");
        remove(to_remove).await?;
    }
    Ok(())
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
    fn diff_sets_changed_and_removes_stale_but_never_aws_keys() {
        let have = m(&[("a", "1"), ("b", "2"), ("aws:cloudformation:stack", "x")]);
        let want = m(&[("a", "1"), ("b", "3"), ("c", "4")]);
        let (set, remove) = diff(&have, &want);
        assert_eq!(set, m(&[("b", "3"), ("c", "4")]));
        assert!(remove.is_empty());
        let (_, remove) = diff(&m(&[("old", "1")]), &want);
        assert_eq!(remove, vec!["old".to_string()]);
    }

    #[test]
    fn ownership_tags_are_hidden() {
        let seen = user_visible(m(&[("mosia:managed-by", "x"), ("team", "a")]));
        assert_eq!(seen, m(&[("team", "a")]));
    }
}
