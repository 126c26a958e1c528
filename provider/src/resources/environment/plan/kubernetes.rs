//! Plan warnings about the Kubernetes version: a cluster that runs a newer minor than
//! configured (EKS upgrades clusters on its own at the end of extended support, and cannot
//! downgrade: the apply keeps it), and an upgrade over several minors (one step each, the
//! node groups following between the steps).

use mosia_tfplugin::{AttrPath, Diagnostics, Value};

use crate::aws::version::major_minor;

/// Warnings for the planned `eks.version` against the version the cluster runs (the prior
/// state holds what the last refresh or apply saw).
pub(super) fn warn_eks_version(prior: &Value, planned: &Value, diags: &mut Diagnostics) {
    let (Some(have), Some(want)) = (
        prior.get("eks").get("version").as_str(),
        planned.get("eks").get("version").as_str(),
    ) else {
        return;
    };
    let (Some(h), Some(w)) = (major_minor(have), major_minor(want)) else {
        return;
    };
    let at = AttrPath::attr("eks").then("version");
    if h.0 != w.0 {
        return; // another major: refused at apply, with its own error
    }
    if w.1 < h.1 {
        diags.warning_at(
            at,
            format!("The EKS cluster runs Kubernetes {have}, newer than {want}"),
            format!(
                "The cluster is at {have} while `version` says {want}: EKS upgrades a cluster on \
                 its own when its version reaches the end of extended support (or someone \
                 upgraded it outside Terraform), and EKS cannot downgrade. The apply leaves the \
                 cluster at {have} and upgrades node groups that are older to it. Set \
                 version = \"{have}\" to match, and this difference goes away."
            ),
        );
    } else if w.1 > h.1 + 1 {
        let steps: Vec<String> = (h.1 + 1..=w.1).map(|m| format!("{}.{m}", w.0)).collect();
        diags.warning_at(
            at,
            format!(
                "Kubernetes {have} → {want} is upgraded in {} steps",
                steps.len()
            ),
            format!(
                "EKS upgrades a cluster one minor version at a time and only while every node \
                 group runs the control plane's version. The apply upgrades the control plane \
                 to {}, moving the node groups to each version before the next step (each \
                 step takes EKS up to about 40 minutes; nodes are replaced on every node group \
                 step).",
                steps.join(", then ")
            ),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eks(version: &str) -> Value {
        let mut v = Value::Object(Default::default());
        let mut eks = Value::Object(Default::default());
        eks.set_attr("version", Value::from(version));
        v.set_attr("eks", eks);
        v
    }

    #[test]
    fn a_cluster_newer_than_configured_is_a_warning_not_an_error() {
        let mut d = Diagnostics::new();
        warn_eks_version(&eks("1.32"), &eks("1.31"), &mut d);
        assert!(!d.has_errors());
        let w: Vec<_> = d.iter().collect();
        assert_eq!(w.len(), 1);
        assert!(
            w[0].summary
                .contains("runs Kubernetes 1.32, newer than 1.31"),
            "{}",
            w[0].summary
        );
        assert!(
            w[0].detail.contains("version = \"1.32\""),
            "{}",
            w[0].detail
        );
    }

    #[test]
    fn a_plan_over_a_cluster_eks_upgraded_on_its_own_warns_without_an_error() {
        use crate::resources::environment::testing::{config, created, everything, plan};
        let mut j = everything("dev");
        j["eks"]["version"] = serde_json::json!("1.31");
        let cfg = config(j);
        let prior = created(&cfg, &[("eks", "version", Value::from("1.32"))]);
        let p = plan(&prior, &cfg);
        assert!(!p.diags.has_errors(), "{:?}", p.diags);
        let title = "The EKS cluster runs Kubernetes 1.32, newer than 1.31";
        assert_eq!(p.diags_titled(title).len(), 1, "{:?}", p.diags);
        assert!(p.replace.is_empty());
    }

    #[test]
    fn an_upgrade_over_several_minors_names_its_steps() {
        let mut d = Diagnostics::new();
        warn_eks_version(&eks("1.29"), &eks("1.31"), &mut d);
        let w: Vec<_> = d.iter().collect();
        assert_eq!(w.len(), 1);
        assert!(w[0].summary.contains("in 2 steps"), "{}", w[0].summary);
        assert!(w[0].detail.contains("1.30, then 1.31"), "{}", w[0].detail);
        let mut d = Diagnostics::new();
        warn_eks_version(&eks("1.30"), &eks("1.31"), &mut d);
        warn_eks_version(&eks("1.31"), &eks("1.31"), &mut d);
        assert!(d.is_empty(), "one step needs no warning");
    }
}
