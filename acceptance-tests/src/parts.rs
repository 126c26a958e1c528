//! The environment of an AWS part (`PartEnv`) for the tests that call the parts directly,
//! against the emulator: dummy credentials, `MOSIA_POLL_SCALE=0.01`, the tag `team =
//! platform`, and a deadline on every call.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use mosia_tfplugin::Context;
use terraform_provider_mosia::aws::config::ProviderSettings;
use terraform_provider_mosia::aws::part::PartEnv;
use terraform_provider_mosia::aws::AwsContext;

use crate::emulator::Emulator;

/// Environment `name` at the emulator's endpoint; each part call must end within `deadline`.
pub async fn part_env(em: &Emulator, name: &str, deadline: Duration) -> PartEnv {
    std::env::set_var("AWS_ACCESS_KEY_ID", "test");
    std::env::set_var("AWS_SECRET_ACCESS_KEY", "test");
    std::env::set_var("MOSIA_POLL_SCALE", "0.01");
    let aws = AwsContext::load(ProviderSettings {
        region: Some("us-east-1".into()),
        endpoint: Some(em.endpoint().into()),
        max_retries: 3,
        ..Default::default()
    })
    .await
    .expect("AWS context");
    PartEnv {
        aws: Arc::new(aws),
        name: name.to_string(),
        tags: BTreeMap::from([("team".to_string(), "platform".to_string())]),
        previous_tag_keys: Default::default(),
        ctx: Context::new(Default::default()),
        deadline: Some(tokio::time::Instant::now() + deadline),
    }
}
