//! `eks.kms_key_arn` shows the environment's own key when no key is configured: when
//! secrets encryption is turned on for such a cluster, that ARN is not known until the
//! key part has run, so the plan leaves it unknown (not the null the prior state has).

use mosia_tfplugin::{PlanRequest, Value};

pub(super) fn plan_own_key_arn(req: &mut PlanRequest<'_>) {
    let configured = req.config.get("eks").get("kms_key_arn");
    let Some(planned @ Value::Object(_)) = req.planned.get_mut("eks") else {
        return;
    };
    if !configured.is_null()
        || planned.get("secrets_encryption").as_bool() != Some(true)
        || !planned.get("kms_key_arn").is_null()
    {
        return;
    }
    planned.set_attr("kms_key_arn", Value::unknown());
}

#[cfg(test)]
mod tests {
    use crate::resources::environment::testing::{config, created, everything, plan};

    #[test]
    fn turning_encryption_on_with_the_environments_key_leaves_its_arn_unknown() {
        let dev = everything("dev");
        let prior = created(&config(dev.clone()), &[]);
        assert!(prior.get("eks").get("kms_key_arn").is_null());
        let mut on = dev;
        on["eks"]["secrets_encryption"] = serde_json::json!(true);
        let p = plan(&prior, &config(on.clone()));
        assert!(p.value.get("eks").get("kms_key_arn").is_unknown());
        assert_eq!(
            p.value.get("part_status").entries().unwrap()["kms"],
            mosia_tfplugin::Value::from("ready"),
            "the key part joins the graph"
        );
        // With a key of the user's, the configured ARN is planned.
        on["eks"]["kms_key_arn"] = serde_json::json!("arn:aws:kms:us-east-1:1:key/mine");
        let p = plan(&prior, &config(on));
        assert_eq!(
            p.value.get("eks").get("kms_key_arn"),
            &mosia_tfplugin::Value::from("arn:aws:kms:us-east-1:1:key/mine")
        );
        assert!(!p
            .value
            .get("part_status")
            .entries()
            .unwrap()
            .contains_key("kms"));
    }
}
