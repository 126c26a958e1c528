//! RBAC with IAM authentication: the user group `{env}-cache` that the replication group
//! uses, holding a disabled `default` user `{env}-cache-default` (ElastiCache requires a
//! user named `default` in every group) and one IAM-authenticated user per workload,
//! `{env}-wl-NAME` (user name = user ID, as IAM authentication requires), whose access string
//! follows the workload's access level.
//!
//! Every user and the group carry the part's ownership tags; an object found by its name is
//! changed or deleted only when its tags say it is ours.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use aws_sdk_elasticache::operation::describe_user_groups::DescribeUserGroupsError;
use aws_sdk_elasticache::types::{AuthenticationMode, InputAuthenticationType, User, UserGroup};
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

use super::input::{CacheUserAccess, ElastiCacheSpec};
use super::{list_tags, sdk_tags, PART, SERVICE};
use crate::aws::errors::{self, HttpStatus};
use crate::aws::part::{not_ours, PartEnv};
use crate::aws::wait::{AwsKind, Statuses};
use crate::engine::{PartError, Poll};

/// On the way to `active` after a create or a change of members.
pub(super) const USER_GROUP_ACTIVE: Statuses = Statuses {
    pending: &["creating", "modifying"],
    target: &["active"],
};

/// On the way out: `deleting` until DescribeUserGroups answers UserGroupNotFound.
const USER_GROUP_DELETED: Statuses = Statuses {
    pending: &["deleting"],
    target: &[],
};

/// A user on its way out; gone when DescribeUsers answers UserNotFound.
const USER_DELETED: Statuses = Statuses {
    pending: &["deleting"],
    target: &[],
};

const USER_GROUP_TIMEOUT: Duration = Duration::from_secs(15 * 60);

/// Engine of the users and the group: `redis` groups serve Valkey caches too, and only they
/// accept a `default` user without a password (disabled here).
const ENGINE: &str = "redis";

/// The access string of a disabled user: it cannot log in nor run anything.
const DISABLED: &str = "off -@all";

/// A workload's IAM-authenticated user as ElastiCache reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CacheUser {
    pub user_id: String,
    pub arn: String,
    pub access_string: String,
    /// Whether the user is a member of the environment's user group.
    pub in_group: bool,
}

/// `{env}-cache` (ElastiCache stores IDs in lowercase).
pub fn user_group_id(env: &PartEnv) -> String {
    env.aws_name("cache").to_lowercase()
}

/// `{env}-cache-default`, the group's disabled `default` user.
fn default_user_id(env: &PartEnv) -> String {
    env.aws_name("cache-default").to_lowercase()
}

/// `{env}-wl-WORKLOAD`, user ID and user name of a workload's user (like its IAM role).
pub fn workload_user_id(env: &PartEnv, workload: &str) -> String {
    env.aws_name(&format!("wl-{workload}")).to_lowercase()
}

/// What each access level may run: reads only, or everything but the dangerous commands
/// (administration, `FLUSHALL`, `KEYS`, `DEBUG`, ...).
pub fn access_string(access: CacheUserAccess) -> &'static str {
    match access {
        CacheUserAccess::ReadOnly => "on ~* -@all +@read +@connection",
        CacheUserAccess::ReadWrite => "on ~* +@all -@dangerous",
    }
}

// ---------------------------------------------------------------------------------------------
// Find

type DescribeGroupError = SdkError<DescribeUserGroupsError, aws_smithy_runtime_api::http::Response>;

async fn describe_user_group(
    env: &PartEnv,
    id: &str,
) -> Result<Option<UserGroup>, DescribeGroupError> {
    errors::found(
        env.aws
            .elasticache()
            .describe_user_groups()
            .user_group_id(id)
            .send()
            .await,
        DescribeUserGroupsError::is_user_group_not_found_fault,
    )
    .map(|out| out.and_then(|o| o.user_groups().first().cloned()))
}

/// The user group `{env}-cache`; None when ElastiCache answers UserGroupNotFound.
pub(super) async fn find_user_group(env: &PartEnv) -> Result<Option<UserGroup>, PartError> {
    let id = user_group_id(env);
    describe_user_group(env, &id).await.map_err(|e| {
        SERVICE.error(
            &PART,
            format!("describing user group `{id}`"),
            "DescribeUserGroups",
            &e,
        )
    })
}

/// The environment's users (IDs starting with `{env}-`), by user ID.
pub(super) async fn find_users(env: &PartEnv) -> Result<BTreeMap<String, User>, PartError> {
    let prefix = env.aws_name("").to_lowercase();
    let mut out = BTreeMap::new();
    let mut marker = None;
    loop {
        let page = env
            .aws
            .elasticache()
            .describe_users()
            .set_marker(marker)
            .send()
            .await
            .map_err(|e| SERVICE.error(&PART, "listing cache users", "DescribeUsers", &e))?;
        for u in page.users() {
            let id = u.user_id().unwrap_or_default();
            if id.starts_with(&prefix) && u.status() != Some("deleting") {
                out.insert(id.to_string(), u.clone());
            }
        }
        marker = page.marker().map(str::to_string);
        if marker.is_none() {
            return Ok(out);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Waits

/// One poll of a wait on `what`: `status` is None when the object is gone (the target of a
/// wait without target statuses).
fn poll_status(
    statuses: Statuses,
    what: &str,
    status: Option<Option<&str>>,
) -> Poll<(), PartError> {
    match status {
        None if statuses.target.is_empty() => Poll::Ready(()),
        None => Poll::Pending("not found yet".into()),
        Some(status) => statuses.poll(&PART.to_string(), what, status, || ()),
    }
}

/// A describe error during a wait: a transient one is one more pending poll.
fn poll_error<E, R>(op: &str, what: &str, e: &SdkError<E, R>) -> Poll<(), PartError>
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug + HttpStatus,
{
    if SERVICE.is_transient(e) {
        Poll::Pending("describe failed, retrying".into())
    } else {
        Poll::Failed(SERVICE.error(&PART, format!("waiting for {what}"), op, e))
    }
}

/// Polls the user group until it reaches `statuses`' target (or, with no target, is gone).
async fn wait_user_group(env: &PartEnv, statuses: Statuses, to: &str) -> Result<(), PartError> {
    let what = format!("user group `{}`", user_group_id(env));
    let what = what.as_str();
    let part = PART.to_string();
    env.waiter(&part, AwsKind::ElastiCache, format!("{what} {to}"))
        .timeout(USER_GROUP_TIMEOUT)
        .until(move || async move {
            match describe_user_group(env, &user_group_id(env)).await {
                Ok(g) => poll_status(statuses, what, g.as_ref().map(UserGroup::status)),
                Err(e) => poll_error("DescribeUserGroups", what, &e),
            }
        })
        .await
        .map_err(PartError::from)
}

pub(super) async fn wait_user_group_active(env: &PartEnv) -> Result<(), PartError> {
    wait_user_group(env, USER_GROUP_ACTIVE, "active").await
}

async fn wait_user_group_deleted(env: &PartEnv) -> Result<(), PartError> {
    wait_user_group(env, USER_GROUP_DELETED, "deleted").await
}

/// Polls the user `id` until DescribeUsers answers UserNotFound: its ID is taken until then.
async fn wait_user_deleted(env: &PartEnv, id: &str) -> Result<(), PartError> {
    let what = format!("cache user `{id}`");
    let what = what.as_str();
    let part = PART.to_string();
    env.waiter(&part, AwsKind::ElastiCache, format!("{what} deleted"))
        .timeout(USER_GROUP_TIMEOUT)
        .until(move || async move {
            let res = env
                .aws
                .elasticache()
                .describe_users()
                .user_id(id)
                .send()
                .await;
            match errors::found(res, |e| e.is_user_not_found_fault()) {
                Ok(out) => {
                    let user = out.as_ref().and_then(|o| o.users().first());
                    let status = out.as_ref().map(|_| user.and_then(User::status));
                    poll_status(USER_DELETED, what, status)
                }
                Err(e) => poll_error("DescribeUsers", what, &e),
            }
        })
        .await
        .map_err(PartError::from)
}

// ---------------------------------------------------------------------------------------------
// Ensure

/// One user the group must hold: ID (= name for IAM users), name, authentication, access.
struct WantUser {
    id: String,
    name: String,
    iam: bool,
    access: &'static str,
}

fn wanted_users(env: &PartEnv, spec: &ElastiCacheSpec) -> Vec<WantUser> {
    let mut out = vec![WantUser {
        id: default_user_id(env),
        name: "default".into(),
        iam: false,
        access: DISABLED,
    }];
    for (workload, access) in &spec.users {
        let id = workload_user_id(env, workload);
        out.push(WantUser {
            name: id.clone(),
            id,
            iam: true,
            access: access_string(*access),
        });
    }
    out
}

async fn create_user(env: &PartEnv, want: &WantUser) -> Result<User, PartError> {
    let kind = if want.iam {
        InputAuthenticationType::Iam
    } else {
        InputAuthenticationType::NoPassword
    };
    tracing::info!(part = %PART, object = %want.id, "creating cache user");
    env.aws
        .elasticache()
        .create_user()
        .user_id(&want.id)
        .user_name(&want.name)
        .engine(ENGINE)
        .access_string(want.access)
        .authentication_mode(AuthenticationMode::builder().r#type(kind).build())
        .set_tags(Some(sdk_tags(&env.tags_for(PART.tag()))))
        .send()
        .await
        .map_err(|e| {
            SERVICE.error(
                &PART,
                format!("creating cache user `{}`", want.id),
                "CreateUser",
                &e,
            )
        })
        .map(|o| {
            User::builder()
                .user_id(o.user_id().unwrap_or(&want.id))
                .user_name(&want.name)
                .set_arn(o.arn().map(str::to_string))
                .access_string(want.access)
                .build()
        })
}

/// Adopts `have` when its tags say it is ours, and converges its access string.
async fn converge_user(env: &PartEnv, want: &WantUser, have: &User) -> Result<User, PartError> {
    let arn = have.arn().unwrap_or_default();
    let tags = list_tags(env, arn).await?;
    if !env.owns(PART.tag(), &tags) {
        return Err(not_ours(env, &PART, "cache user", &want.id, &tags));
    }
    if have.access_string() == Some(want.access) {
        return Ok(have.clone());
    }
    tracing::info!(part = %PART, object = %want.id, "changing the cache user's access string");
    env.aws
        .elasticache()
        .modify_user()
        .user_id(&want.id)
        .access_string(want.access)
        .send()
        .await
        .map_err(|e| {
            SERVICE.error(
                &PART,
                format!("changing cache user `{}`", want.id),
                "ModifyUser",
                &e,
            )
        })?;
    let mut user = have.clone();
    user.access_string = Some(want.access.to_string());
    Ok(user)
}

/// The members to add and remove so that the group holds exactly `want`.
pub(super) fn member_changes(
    have: &[String],
    want: &BTreeSet<String>,
) -> (Vec<String>, Vec<String>) {
    let have: BTreeSet<&String> = have.iter().collect();
    let add = want.iter().filter(|u| !have.contains(u)).cloned().collect();
    let remove = have
        .iter()
        .filter(|u| !want.contains(**u))
        .map(|u| (*u).clone())
        .collect();
    (add, remove)
}

/// The group `{env}-cache` with exactly `members`, active.
async fn ensure_group(env: &PartEnv, members: &BTreeSet<String>) -> Result<(), PartError> {
    let id = user_group_id(env);
    let ec = env.aws.elasticache();
    let Some(group) = find_user_group(env).await? else {
        tracing::info!(part = %PART, object = %id, "creating user group");
        ec.create_user_group()
            .user_group_id(&id)
            .engine(ENGINE)
            .set_user_ids(Some(members.iter().cloned().collect()))
            .set_tags(Some(sdk_tags(&env.tags_for(PART.tag()))))
            .send()
            .await
            .map_err(|e| {
                SERVICE.error(
                    &PART,
                    format!("creating user group `{id}`"),
                    "CreateUserGroup",
                    &e,
                )
            })?;
        return wait_user_group_active(env).await;
    };
    let tags = list_tags(env, group.arn().unwrap_or_default()).await?;
    if !env.owns(PART.tag(), &tags) {
        return Err(not_ours(env, &PART, "user group", &id, &tags));
    }
    if group.status() != Some("active") {
        wait_user_group_active(env).await?;
    }
    let (add, remove) = member_changes(group.user_ids(), members);
    if add.is_empty() && remove.is_empty() {
        return Ok(());
    }
    tracing::info!(part = %PART, object = %id, add = ?add, remove = ?remove, "changing the user group's members");
    ec.modify_user_group()
        .user_group_id(&id)
        .set_user_ids_to_add(Some(add).filter(|a| !a.is_empty()))
        .set_user_ids_to_remove(Some(remove).filter(|r| !r.is_empty()))
        .send()
        .await
        .map_err(|e| {
            SERVICE.error(
                &PART,
                format!("changing user group `{id}`"),
                "ModifyUserGroup",
                &e,
            )
        })?;
    wait_user_group_active(env).await
}

/// Users, then the group holding them; users of workloads no longer configured are removed
/// from the group and deleted. Returns each workload's user.
pub(super) async fn ensure(
    env: &PartEnv,
    spec: &ElastiCacheSpec,
) -> Result<BTreeMap<String, CacheUser>, PartError> {
    let mut have = find_users(env).await?;
    let mut users = BTreeMap::new();
    for want in wanted_users(env, spec) {
        let user = match have.remove(&want.id) {
            None => create_user(env, &want).await?,
            Some(u) => converge_user(env, &want, &u).await?,
        };
        users.insert(want.id.clone(), user);
    }
    let members: BTreeSet<String> = users.keys().cloned().collect();
    ensure_group(env, &members).await?;
    delete_workload_users(env, have.into_values()).await?;
    Ok(spec
        .users
        .keys()
        .filter_map(|w| {
            let id = workload_user_id(env, w);
            users.get(&id).map(|u| (w.clone(), cache_user(u, true)))
        })
        .collect())
}

fn cache_user(u: &User, in_group: bool) -> CacheUser {
    CacheUser {
        user_id: u.user_id().unwrap_or_default().to_string(),
        arn: u.arn().unwrap_or_default().to_string(),
        access_string: u.access_string().unwrap_or_default().to_string(),
        in_group,
    }
}

// ---------------------------------------------------------------------------------------------
// Read

/// Each workload's user (`{env}-wl-NAME`), whether in the group or not; None when the cache
/// has no user group of ours.
pub(super) async fn read(env: &PartEnv) -> Result<Option<BTreeMap<String, CacheUser>>, PartError> {
    let Some(group) = find_user_group(env).await? else {
        return Ok(None);
    };
    let prefix = workload_user_id(env, "");
    let users = find_users(env).await?;
    Ok(Some(
        users
            .values()
            .filter_map(|u| {
                let id = u.user_id().unwrap_or_default();
                let workload = id.strip_prefix(&prefix)?;
                let in_group = group.user_ids().iter().any(|m| m == id);
                Some((workload.to_string(), cache_user(u, in_group)))
            })
            .collect(),
    ))
}

// ---------------------------------------------------------------------------------------------
// Delete

/// Deletes users that are ours (tags); a user already gone counts as deleted.
async fn delete_users(
    env: &PartEnv,
    users: impl IntoIterator<Item = User>,
) -> Result<(), PartError> {
    for u in users {
        let id = u.user_id().unwrap_or_default();
        let tags = list_tags(env, u.arn().unwrap_or_default()).await?;
        if !env.owns(PART.tag(), &tags) {
            tracing::warn!(part = %PART, object = %id, "cache user not ours, left alone");
            continue;
        }
        tracing::info!(part = %PART, object = %id, "deleting cache user");
        let res = env.aws.elasticache().delete_user().user_id(id).send().await;
        errors::found(res, |e| e.is_user_not_found_fault()).map_err(|e| {
            SERVICE.error(
                &PART,
                format!("deleting cache user `{id}`"),
                "DeleteUser",
                &e,
            )
        })?;
        wait_user_deleted(env, id).await?;
    }
    Ok(())
}

/// The workload users left over (no longer configured); the default user stays.
async fn delete_workload_users(
    env: &PartEnv,
    left: impl Iterator<Item = User>,
) -> Result<(), PartError> {
    let prefix = workload_user_id(env, "");
    delete_users(
        env,
        left.filter(|u| u.user_id().unwrap_or_default().starts_with(&prefix)),
    )
    .await
}

/// The user group (once no replication group uses it), then every user of the environment.
pub(super) async fn delete(env: &PartEnv) -> Result<(), PartError> {
    if let Some(group) = find_user_group(env).await? {
        let id = user_group_id(env);
        let tags = list_tags(env, group.arn().unwrap_or_default()).await?;
        if env.owns(PART.tag(), &tags) {
            if group.status() != Some("deleting") {
                tracing::info!(part = %PART, object = %id, "deleting user group");
                let res = env
                    .aws
                    .elasticache()
                    .delete_user_group()
                    .user_group_id(&id)
                    .send()
                    .await;
                errors::found(res, |e| e.is_user_group_not_found_fault()).map_err(|e| {
                    SERVICE.error(
                        &PART,
                        format!("deleting user group `{id}`"),
                        "DeleteUserGroup",
                        &e,
                    )
                })?;
            }
            wait_user_group_deleted(env).await?;
        }
    }
    let cache_users = workload_user_id(env, "");
    let default = default_user_id(env);
    let users = find_users(env).await?;
    delete_users(
        env,
        users.into_values().filter(|u| {
            let id = u.user_id().unwrap_or_default();
            id.starts_with(&cache_users) || id == default
        }),
    )
    .await
}

#[cfg(test)]
mod tests {
    use aws_sdk_elasticache::operation::create_user::CreateUserOutput;
    use aws_sdk_elasticache::operation::create_user_group::CreateUserGroupOutput;
    use aws_sdk_elasticache::operation::describe_user_groups::DescribeUserGroupsOutput;
    use aws_sdk_elasticache::operation::describe_users::DescribeUsersOutput;
    use aws_sdk_elasticache::operation::list_tags_for_resource::ListTagsForResourceOutput;
    use aws_sdk_elasticache::operation::modify_user::ModifyUserOutput;
    use aws_sdk_elasticache::operation::modify_user_group::ModifyUserGroupOutput;
    use aws_sdk_elasticache::types::error::UserGroupNotFoundFault;
    use aws_smithy_mocks::mock;

    use super::*;
    use crate::aws::elasticache::tests::{spec, tags_of};
    use crate::aws::{testing, AwsContext};

    const ACCOUNT: &str = "arn:aws:elasticache:us-east-1:123456789012";

    fn user(id: &str, access: &str) -> User {
        User::builder()
            .user_id(id)
            .user_name(id)
            .arn(format!("{ACCOUNT}:user:{id}"))
            .access_string(access)
            .status("active")
            .build()
    }

    fn group(status: &str, members: &[&str]) -> UserGroup {
        UserGroup::builder()
            .user_group_id("mosia-test-cache")
            .status(status)
            .arn(format!("{ACCOUNT}:usergroup:mosia-test-cache"))
            .set_user_ids(Some(members.iter().map(|m| m.to_string()).collect()))
            .build()
    }

    fn with_users() -> ElastiCacheSpec {
        ElastiCacheSpec {
            authentication: crate::aws::elasticache::CacheAuthentication::Iam,
            users: BTreeMap::from([
                ("orders".to_string(), CacheUserAccess::ReadWrite),
                ("reports".to_string(), CacheUserAccess::ReadOnly),
            ]),
            ..spec()
        }
    }

    #[tokio::test]
    async fn a_new_cache_gets_a_group_with_a_disabled_default_user_and_one_iam_user_per_workload() {
        let users = mock!(aws_sdk_elasticache::Client::describe_users)
            .then_output(|| DescribeUsersOutput::builder().build());
        let create_user = mock!(aws_sdk_elasticache::Client::create_user)
            .match_requests(|r| {
                let kind = r.authentication_mode().and_then(|m| m.r#type()).cloned();
                match r.user_id() {
                    Some("mosia-test-cache-default") => {
                        r.user_name() == Some("default")
                            && r.access_string() == Some(DISABLED)
                            && kind == Some(InputAuthenticationType::NoPassword)
                    }
                    id => {
                        id == r.user_name()
                            && kind == Some(InputAuthenticationType::Iam)
                            && r.tags()
                                .iter()
                                .any(|t| t.key() == Some("mosia:environment"))
                    }
                }
            })
            .then_output(|| CreateUserOutput::builder().build());
        let find_group = mock!(aws_sdk_elasticache::Client::describe_user_groups)
            .sequence()
            .error(|| {
                DescribeUserGroupsError::UserGroupNotFoundFault(
                    UserGroupNotFoundFault::builder().build(),
                )
            })
            .output(|| {
                DescribeUserGroupsOutput::builder()
                    .user_groups(group("active", &[]))
                    .build()
            })
            .repeatedly()
            .build();
        let create_group = mock!(aws_sdk_elasticache::Client::create_user_group)
            .match_requests(|r| {
                let mut ids = r.user_ids().to_vec();
                ids.sort();
                r.user_group_id() == Some("mosia-test-cache")
                    && r.engine() == Some("redis")
                    && ids
                        == [
                            "mosia-test-cache-default",
                            "mosia-test-wl-orders",
                            "mosia-test-wl-reports",
                        ]
            })
            .then_output(|| CreateUserGroupOutput::builder().build());
        let ec = crate::mock_client!(
            aws_sdk_elasticache,
            [&users, &create_user, &find_group, &create_group]
        );
        let env = testing::env(AwsContext::offline().with_elasticache(ec));

        let out = ensure(&env, &with_users()).await.unwrap();

        assert_eq!((create_user.num_calls(), create_group.num_calls()), (3, 1));
        assert_eq!(out.keys().collect::<Vec<_>>(), ["orders", "reports"]);
        assert_eq!(out["orders"].user_id, "mosia-test-wl-orders");
        assert_eq!(
            out["reports"].access_string,
            access_string(CacheUserAccess::ReadOnly)
        );
    }

    #[tokio::test]
    async fn existing_users_converge_and_a_removed_workload_leaves_the_group_and_goes() {
        let users = mock!(aws_sdk_elasticache::Client::describe_users).then_output(|| {
            DescribeUsersOutput::builder()
                .users(user("mosia-test-cache-default", DISABLED))
                .users(user("mosia-test-wl-orders", "on ~* +@all"))
                .users(user(
                    "mosia-test-wl-reports",
                    access_string(CacheUserAccess::ReadOnly),
                ))
                .users(user("mosia-test-wl-old", "on ~* +@all"))
                .build()
        });
        let tags = mock!(aws_sdk_elasticache::Client::list_tags_for_resource).then_output(|| {
            ListTagsForResourceOutput::builder()
                .set_tag_list(Some(tags_of("mosia-test")))
                .build()
        });
        let modify_user = mock!(aws_sdk_elasticache::Client::modify_user)
            .match_requests(|r| {
                r.user_id() == Some("mosia-test-wl-orders")
                    && r.access_string() == Some(access_string(CacheUserAccess::ReadWrite))
            })
            .then_output(|| ModifyUserOutput::builder().build());
        let members = [
            "mosia-test-cache-default",
            "mosia-test-wl-orders",
            "mosia-test-wl-old",
        ];
        let find_group =
            mock!(aws_sdk_elasticache::Client::describe_user_groups).then_output(move || {
                DescribeUserGroupsOutput::builder()
                    .user_groups(group("active", &members))
                    .build()
            });
        let modify_group = mock!(aws_sdk_elasticache::Client::modify_user_group)
            .match_requests(|r| {
                r.user_ids_to_add() == ["mosia-test-wl-reports"]
                    && r.user_ids_to_remove() == ["mosia-test-wl-old"]
            })
            .then_output(|| ModifyUserGroupOutput::builder().build());
        let delete_user = mock!(aws_sdk_elasticache::Client::delete_user)
            .match_requests(|r| r.user_id() == Some("mosia-test-wl-old"))
            .then_error(|| {
                aws_sdk_elasticache::operation::delete_user::DeleteUserError::UserNotFoundFault(
                    aws_sdk_elasticache::types::error::UserNotFoundFault::builder().build(),
                )
            });
        let gone = mock!(aws_sdk_elasticache::Client::describe_users)
            .match_requests(|r| r.user_id().is_some())
            .then_error(|| {
                aws_sdk_elasticache::operation::describe_users::DescribeUsersError::UserNotFoundFault(
                    aws_sdk_elasticache::types::error::UserNotFoundFault::builder().build(),
                )
            });
        let ec = crate::mock_client!(
            aws_sdk_elasticache,
            [
                &gone,
                &users,
                &tags,
                &modify_user,
                &find_group,
                &modify_group,
                &delete_user
            ]
        );
        let env = testing::env(AwsContext::offline().with_elasticache(ec));

        ensure(&env, &with_users()).await.unwrap();

        assert_eq!(modify_user.num_calls(), 1, "only the changed access string");
        assert_eq!((modify_group.num_calls(), delete_user.num_calls()), (1, 1));
    }

    fn ids(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn members_converge_to_exactly_the_wanted_users() {
        let want: BTreeSet<String> = ids(&["e-cache-default", "e-wl-a", "e-wl-b"])
            .into_iter()
            .collect();
        let (add, remove) = member_changes(&ids(&["e-cache-default", "e-wl-a", "e-wl-old"]), &want);
        assert_eq!(add, ["e-wl-b"]);
        assert_eq!(remove, ["e-wl-old"]);
        let (add, remove) = member_changes(&ids(&["e-wl-b", "e-cache-default", "e-wl-a"]), &want);
        assert!(add.is_empty() && remove.is_empty());
    }

    #[test]
    fn read_only_users_cannot_write_and_read_write_users_cannot_administer() {
        let ro = access_string(CacheUserAccess::ReadOnly);
        assert!(ro.starts_with("on ") && ro.contains("-@all") && ro.contains("+@read"));
        assert!(!ro.contains("+@write") && !ro.contains("+@all"));
        let rw = access_string(CacheUserAccess::ReadWrite);
        assert!(rw.contains("+@all") && rw.ends_with("-@dangerous"));
        assert!(DISABLED.starts_with("off"));
    }
}
