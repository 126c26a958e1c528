//! The generic protocol service with a toy provider, called directly (no network): schema
//! rules in plans, apply with partial failure, write-only attributes, state upgrade from
//! JSON, and StopProvider cancelling in-flight work.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use mosia_tfplugin::grpc::ProviderService;
use mosia_tfplugin::proto::{self, provider_server::Provider as _};
use mosia_tfplugin::value::msgpack;
use mosia_tfplugin::{
    ApplyError, ApplyResult, Attribute, Block, Context, Deletion, Diagnostic, Diagnostics, Nesting,
    Provider, Resource, Schema, Type, Value,
};
use tonic::Request;

struct Widget {
    schema: Schema,
}

fn widget_schema() -> Schema {
    Schema::new(
        2,
        Block::new("A toy resource.")
            .attr(
                Attribute::string("name")
                    .required()
                    .requires_replace()
                    .description("Name."),
            )
            .attr(
                Attribute::string("arn")
                    .computed()
                    .description("Computed ARN."),
            )
            .attr(Attribute::number("size").default(3).description("Size."))
            .attr(
                Attribute::string("password")
                    .optional()
                    .write_only()
                    .description("Write-only secret."),
            )
            .attr(
                Attribute::string("mode")
                    .optional()
                    .description("`slow` waits for StopProvider; `fail` fails half way."),
            )
            .block(
                "settings",
                Nesting::Single,
                Block::new("Settings.").attr(
                    Attribute::string("id")
                        .computed()
                        .description("Computed id."),
                ),
            ),
    )
}

#[async_trait]
impl Resource for Widget {
    fn type_name(&self) -> &'static str {
        "toy_widget"
    }
    fn schema(&self) -> &Schema {
        &self.schema
    }
    async fn create(&self, ctx: &Context, planned: &Value) -> ApplyResult {
        let mut state = planned.clone();
        state.set_attr(
            "arn",
            Value::from(format!("arn:toy:{}", planned.get("name").as_str().unwrap())),
        );
        if let Value::Object(_) = state.get("settings") {
            let mut s = state.get("settings").clone();
            s.set_attr("id", Value::from("s-1"));
            state.set_attr("settings", s);
        }
        match planned.get("mode").as_str() {
            Some("slow") => {
                tokio::select! {
                    _ = ctx.cancelled.cancelled() => Err(ApplyError::with_state(
                        Diagnostic::error("Interrupted", "StopProvider"),
                        state,
                    )),
                    _ = tokio::time::sleep(Duration::from_secs(30)) => Ok((state, Diagnostics::new())),
                }
            }
            Some("fail") => Err(ApplyError::with_state(
                Diagnostic::error("Half done", "part two failed"),
                state,
            )),
            _ => Ok((state, Diagnostics::new())),
        }
    }
    async fn read(&self, _ctx: &Context, state: &Value) -> Result<Option<Value>, Diagnostics> {
        Ok(Some(state.clone()))
    }
    async fn update(&self, _ctx: &Context, _prior: &Value, planned: &Value) -> ApplyResult {
        Ok((planned.clone(), Diagnostics::new()))
    }
    async fn delete(
        &self,
        _ctx: &Context,
        _prior: &Value,
        _why: Deletion,
    ) -> Result<(), Diagnostics> {
        Ok(())
    }
    async fn import(&self, _ctx: &Context, id: &str) -> Result<Value, Diagnostics> {
        Ok(Value::object([("name", Value::from(id))]))
    }
    fn upgrade_state(
        &self,
        from: i64,
        mut raw: serde_json::Value,
    ) -> Result<serde_json::Value, Diagnostics> {
        // Version 1 called `size` `count`.
        if from < 2 {
            if let Some(c) = raw.as_object_mut().and_then(|o| o.remove("count")) {
                raw["size"] = c;
            }
        }
        Ok(raw)
    }
}

struct Toy {
    schema: Schema,
}

#[async_trait]
impl Provider for Toy {
    fn address(&self) -> &'static str {
        "registry.terraform.io/test/toy"
    }
    fn schema(&self) -> &Schema {
        &self.schema
    }
    async fn configure(&self, _ctx: &Context, _config: &Value, _v: &str) -> Diagnostics {
        Diagnostics::new()
    }
    fn resources(&self) -> Vec<Arc<dyn Resource>> {
        vec![Arc::new(Widget {
            schema: widget_schema(),
        })]
    }
}

fn service() -> Arc<ProviderService> {
    Arc::new(ProviderService::new(Arc::new(Toy {
        schema: Schema::new(0, Block::new("Toy provider.")),
    })))
}

fn ty() -> Type {
    widget_schema().implied_type()
}

fn dv(v: &Value) -> Option<proto::DynamicValue> {
    Some(proto::DynamicValue {
        msgpack: msgpack::encode(v, &ty()).unwrap(),
        json: vec![],
    })
}

fn val(dv: &Option<proto::DynamicValue>) -> Value {
    msgpack::decode(&dv.as_ref().unwrap().msgpack, &ty()).unwrap()
}

fn config(name: &str, mode: Option<&str>) -> Value {
    Value::object([
        ("name", Value::from(name)),
        ("arn", Value::Null),
        ("size", Value::Null),
        ("password", Value::from("hunter2")),
        ("mode", mode.map(Value::from).into()),
        ("settings", Value::object([("id", Value::Null)])),
    ])
}

async fn plan(
    svc: &ProviderService,
    prior: &Value,
    cfg: &Value,
) -> proto::plan_resource_change::Response {
    svc.plan_resource_change(Request::new(proto::plan_resource_change::Request {
        type_name: "toy_widget".into(),
        prior_state: dv(prior),
        proposed_new_state: dv(cfg),
        config: dv(cfg),
        ..Default::default()
    }))
    .await
    .unwrap()
    .into_inner()
}

async fn apply(
    svc: &ProviderService,
    prior: &Value,
    planned: &Value,
) -> proto::apply_resource_change::Response {
    svc.apply_resource_change(Request::new(proto::apply_resource_change::Request {
        type_name: "toy_widget".into(),
        prior_state: dv(prior),
        planned_state: dv(planned),
        ..Default::default()
    }))
    .await
    .unwrap()
    .into_inner()
}

#[tokio::test]
async fn create_plan_applies_defaults_unknowns_and_hides_write_only() {
    let svc = service();
    let p = plan(&svc, &Value::Null, &config("a", None)).await;
    assert!(p.diagnostics.is_empty(), "{:?}", p.diagnostics);
    let planned = val(&p.planned_state);
    assert!(planned.get("arn").is_unknown());
    assert!(
        planned.get("settings").get("id").is_unknown(),
        "nested single block computed too"
    );
    assert_eq!(planned.get("size"), &Value::int(3));
    assert!(
        planned.get("password").is_null(),
        "write-only never in a plan"
    );

    let a = apply(&svc, &Value::Null, &planned).await;
    assert!(a.diagnostics.is_empty(), "{:?}", a.diagnostics);
    let state = val(&a.new_state);
    assert_eq!(state.get("arn"), &Value::from("arn:toy:a"));
    assert!(state.get("password").is_null(), "write-only never in state");
}

#[tokio::test]
async fn changing_a_replace_attribute_requests_replacement() {
    let svc = service();
    let planned = val(&plan(&svc, &Value::Null, &config("a", None))
        .await
        .planned_state);
    let state = val(&apply(&svc, &Value::Null, &planned).await.new_state);
    let mut proposed = config("b", None);
    proposed.set_attr("arn", state.get("arn").clone());
    proposed.set_attr("settings", state.get("settings").clone());
    let p = plan(&svc, &state, &proposed).await;
    assert_eq!(p.requires_replace.len(), 1);
    let val_plan = val(&p.planned_state);
    assert_eq!(
        val_plan.get("arn"),
        state.get("arn"),
        "computed values kept from prior state on update"
    );
}

#[tokio::test]
async fn a_failed_create_returns_what_exists() {
    let svc = service();
    let planned = val(&plan(&svc, &Value::Null, &config("a", Some("fail")))
        .await
        .planned_state);
    let a = apply(&svc, &Value::Null, &planned).await;
    assert_eq!(a.diagnostics.len(), 1);
    assert_eq!(a.diagnostics[0].summary, "Half done");
    assert_eq!(
        val(&a.new_state).get("arn"),
        &Value::from("arn:toy:a"),
        "partial state recorded"
    );
}

#[tokio::test]
async fn stop_provider_cancels_in_flight_work() {
    let svc = service();
    let planned = val(&plan(&svc, &Value::Null, &config("a", Some("slow")))
        .await
        .planned_state);
    let running = {
        let svc = svc.clone();
        tokio::spawn(async move { apply(&svc, &Value::Null, &planned).await })
    };
    tokio::time::sleep(Duration::from_millis(100)).await;
    svc.stop_provider(Request::new(proto::stop_provider::Request {}))
        .await
        .unwrap();
    let a = tokio::time::timeout(Duration::from_secs(5), running)
        .await
        .expect("returned promptly")
        .unwrap();
    assert_eq!(a.diagnostics[0].summary, "Interrupted");
    assert_eq!(val(&a.new_state).get("arn"), &Value::from("arn:toy:a"));
    // Work started after the stop is not cancelled.
    let planned = val(&plan(&svc, &Value::Null, &config("b", None))
        .await
        .planned_state);
    assert!(apply(&svc, &Value::Null, &planned)
        .await
        .diagnostics
        .is_empty());
}

#[tokio::test]
async fn upgrade_state_reads_json_runs_the_upgrader_and_drops_removed_attributes() {
    let svc = service();
    let raw = br#"{"name":"a","arn":"arn:toy:a","count":7,"removed_long_ago":true,"settings":{"id":"s-1"}}"#;
    let r = svc
        .upgrade_resource_state(Request::new(proto::upgrade_resource_state::Request {
            type_name: "toy_widget".into(),
            version: 1,
            raw_state: Some(proto::RawState {
                json: raw.to_vec(),
                flatmap: Default::default(),
            }),
        }))
        .await
        .unwrap()
        .into_inner();
    assert!(r.diagnostics.is_empty(), "{:?}", r.diagnostics);
    let v = msgpack::decode(&r.upgraded_state.unwrap().msgpack, &ty()).unwrap();
    assert_eq!(v.get("size"), &Value::int(7));
    assert_eq!(v.get("settings").get("id"), &Value::from("s-1"));

    let newer = svc
        .upgrade_resource_state(Request::new(proto::upgrade_resource_state::Request {
            type_name: "toy_widget".into(),
            version: 9,
            raw_state: Some(proto::RawState {
                json: raw.to_vec(),
                flatmap: Default::default(),
            }),
        }))
        .await
        .unwrap()
        .into_inner();
    assert!(newer.diagnostics[0].summary.contains("newer provider"));
}

#[tokio::test]
async fn unknown_resource_type_is_an_error_not_a_panic() {
    let svc = service();
    let err = svc
        .validate_resource_config(Request::new(proto::validate_resource_config::Request {
            type_name: "toy_nothing".into(),
            ..Default::default()
        }))
        .await
        .unwrap_err();
    assert_eq!(err.code(), tonic::Code::InvalidArgument);
}
