//! Tags: the user's, the provider's `default_tags`, and Mosia's own ownership tags (which
//! let a later run, an import or a crash recovery recognise what Mosia created).
//!
//! Other tools tag Mosia's objects too (`karpenter.sh/discovery`, `kubernetes.io/cluster/..`,
//! AWS's `aws:` and EKS's `eks:` keys). Mosia removes only keys it wrote itself: its
//! ownership tags (`mosia:`) and the keys of the prior state's `tags_all`
//! ([`PartEnv::previous_tag_keys`]), so a tag removed from the configuration is removed from
//! AWS and every other key is left alone. The read does not compare tags, so foreign keys
//! are not drift either.

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;

use super::part::PartEnv;
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

/// True when Mosia may have written tag `key`: an ownership tag, or a key of the prior
/// state's `tags_all` (`previous`). Never a key under `aws:` (AWS's own).
pub fn written_by_mosia(key: &str, previous: &BTreeSet<String>) -> bool {
    !key.starts_with("aws:") && (key.starts_with(OWNERSHIP_PREFIX) || previous.contains(key))
}

/// What to change on an AWS object so its tags become `want`: tags to set (new or with
/// another value) and keys to remove. Only keys Mosia wrote ([`written_by_mosia`]) are
/// removed; any other key belongs to another tool and stays.
pub fn diff(
    have: &BTreeMap<String, String>,
    want: &BTreeMap<String, String>,
    previous: &BTreeSet<String>,
) -> (BTreeMap<String, String>, Vec<String>) {
    let set = want
        .iter()
        .filter(|(k, v)| have.get(*k) != Some(*v))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let remove = have
        .keys()
        .filter(|k| !want.contains_key(*k) && written_by_mosia(k, previous))
        .cloned()
        .collect();
    (set, remove)
}

/// Makes an object's tags `want` (see [`diff`]): `set` is called with the tags to add or
/// change, `remove` with the keys to drop (only keys Mosia wrote: the environment's
/// [`PartEnv::previous_tag_keys`] and ownership tags), each only when there is something to
/// do. Each service passes its own Tag/Untag calls.
#[allow(clippy::too_many_arguments)]
pub async fn sync<S, SF, R, RF>(
    env: &PartEnv,
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
    let (to_set, to_remove) = diff(have, want, &env.previous_tag_keys);
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

    fn keys(k: &[&str]) -> BTreeSet<String> {
        k.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn diff_sets_changed_and_removes_stale_but_never_aws_keys() {
        let have = m(&[("a", "1"), ("b", "2"), ("aws:cloudformation:stack", "x")]);
        let want = m(&[("a", "1"), ("b", "3"), ("c", "4")]);
        let previous = keys(&["a", "b", "aws:cloudformation:stack"]);
        let (set, remove) = diff(&have, &want, &previous);
        assert_eq!(set, m(&[("b", "3"), ("c", "4")]));
        assert!(remove.is_empty());
        let (_, remove) = diff(&m(&[("old", "1")]), &want, &keys(&["old"]));
        assert_eq!(remove, vec!["old".to_string()]);
    }

    #[test]
    fn only_keys_mosia_wrote_are_removed() {
        let have = m(&[
            ("team", "platform"),
            ("cost-center", "42"),
            ("mosia:node-group", "old"),
            ("karpenter.sh/discovery", "mosia-dev-eks"),
            ("kubernetes.io/cluster/mosia-dev-eks", "owned"),
            ("eks:cluster-name", "mosia-dev-eks"),
            ("aws:cloudformation:stack-name", "x"),
        ]);
        let want = m(&[("team", "platform")]);
        // `cost-center` was in the prior tags_all and is gone from the configuration.
        let (set, mut remove) = diff(&have, &want, &keys(&["team", "cost-center"]));
        remove.sort();
        assert!(set.is_empty());
        assert_eq!(remove, ["cost-center", "mosia:node-group"]);
        // Nothing written before (create, import): foreign keys stay, ownership tags are ours.
        let (_, remove) = diff(&have, &want, &BTreeSet::new());
        assert_eq!(remove, ["mosia:node-group"]);
    }

    #[tokio::test]
    async fn sync_leaves_foreign_keys_and_removes_a_previously_written_one() {
        use std::sync::Mutex;
        let mut env = crate::aws::testing::env(crate::aws::AwsContext::offline());
        env.previous_tag_keys = keys(&["team", "removed-from-config"]);
        let have = m(&[
            ("team", "platform"),
            ("removed-from-config", "1"),
            ("karpenter.sh/discovery", "mosia-test-eks"),
        ]);
        let removed = Mutex::new(Vec::new());
        let set_calls = Mutex::new(0);
        sync(
            &env,
            "eks",
            "cluster",
            &have,
            &m(&[("team", "platform")]),
            |_| async {
                *set_calls.lock().unwrap() += 1;
                Ok(())
            },
            |k| async {
                removed.lock().unwrap().extend(k);
                Ok(())
            },
        )
        .await
        .unwrap();
        assert_eq!(*set_calls.lock().unwrap(), 0, "nothing to set");
        assert_eq!(*removed.lock().unwrap(), ["removed-from-config"]);
    }

    #[test]
    fn ownership_tags_are_hidden() {
        let seen = user_visible(m(&[("mosia:managed-by", "x"), ("team", "a")]));
        assert_eq!(seen, m(&[("team", "a")]));
    }
}
