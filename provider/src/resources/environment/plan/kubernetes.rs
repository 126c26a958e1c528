//! The planned Kubernetes version. A cluster that runs a newer minor than configured (EKS
//! upgrades clusters on its own at the end of extended support, and cannot downgrade) keeps
//! its version in the plan, with a warning, instead of planning a downgrade that would fail
//! (Terraform accepts the prior value planned over a configured one, as a suppressed
//! difference). An upgrade over several minors is announced step by step (one step each,
//! the node groups following between the steps).

use mosia_tfplugin::{AttrPath, Diagnostics, PlanRequest, Value};

use crate::aws::version::major_minor;

/// Plans `eks.version` against the version the cluster runs (the prior state holds what
/// the last refresh or apply saw).
pub(super) fn plan_eks_version(req: &mut PlanRequest<'_>) {
    if warn_eks_version(req.prior, req.planned, req.diags) {
        let running = req.prior.get("eks").get("version").clone();
        if let Some(eks) = req.planned.get_mut("eks") {
            eks.set_attr("version", running);
        }
    }
}

/// The warnings for the planned `eks.version`; true when the cluster runs a newer minor
/// (its version is to be kept).
fn warn_eks_version(prior: &Value, planned: &Value, diags: &mut Diagnostics) -> bool {
    let (Some(have), Some(want)) = (
        prior.get("eks").get("version").as_str(),
        planned.get("eks").get("version").as_str(),
    ) else {
        return false;
    };
    let (Some(h), Some(w)) = (major_minor(have), major_minor(want)) else {
        return false;
    };
    let at = AttrPath::attr("eks").then("version");
    if h.0 != w.0 {
        return false; // another major: refused at apply, with its own error
    }
    if w.1 < h.1 {
        diags.warning_at(
            at,
            format!("The EKS cluster runs Kubernetes {have}, newer than {want}"),
            format!(
                "The cluster is at {have} while `version` says {want}: EKS upgrades a cluster on \
                 its own when its version reaches the end of extended support (or someone \
                 upgraded it outside Terraform), and EKS cannot downgrade, so {have} is kept \
                 (node groups that are older follow it at the next apply). Set \
                 version = \"{have}\" to match."
            ),
        );
        return true;
    }
    if w.1 > h.1 + 1 {
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
    false
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
        assert!(warn_eks_version(&eks("1.32"), &eks("1.31"), &mut d));
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
        assert_eq!(
            p.value.get("eks").get("version"),
            &Value::from("1.32"),
            "the running version is kept: no downgrade planned"
        );
        assert_eq!(p.value, prior, "an empty plan, with the warning");
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
