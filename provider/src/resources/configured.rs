//! The configured provider as the resources see it: the AWS context, set once by
//! ConfigureProvider (the provider block) and read by every resource and data source.

use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

use mosia_tfplugin::{Diagnostic, Diagnostics};

use crate::aws::AwsContext;

/// Shared by the provider and its resources: set once by ConfigureProvider.
#[derive(Default)]
pub struct Configured(pub(crate) OnceLock<Arc<AwsContext>>);

impl Configured {
    pub fn aws(&self) -> Result<&Arc<AwsContext>, Diagnostics> {
        self.0.get().ok_or_else(|| {
            Diagnostic::error(
                "Provider not configured",
                "the mosia provider was used before Terraform configured it; this is a bug in the provider or Terraform",
            )
            .into()
        })
    }
    /// Default tags, or none before configuration (validation runs unconfigured).
    pub fn default_tags(&self) -> BTreeMap<String, String> {
        self.0
            .get()
            .map(|a| a.settings.default_tags.clone())
            .unwrap_or_default()
    }
    pub fn region(&self) -> Option<String> {
        self.0.get().map(|a| a.region())
    }
}
