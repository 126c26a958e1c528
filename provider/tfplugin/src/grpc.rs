//! The protocol 6 gRPC service: decodes requests with the schema, calls the provider's
//! resources, applies the generic schema rules, and encodes answers.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio_util::sync::CancellationToken;
use tonic::{Request, Response, Status};

use crate::convert::{self, decode, encode, value_error};
use crate::diagnostics::{AttrPath, Diagnostic, Diagnostics};
use crate::plan;
use crate::proto::{self, provider_server};
use crate::resource::{Context, DataSource, Deletion, Provider, Resource};

use crate::value::{json, Type, Value};

/// The private data a destroy plan carries to its apply: marks the Delete as planned.
const DESTROY_PLANNED: &[u8] = b"mosia-tfplugin:destroy-planned";

pub struct ProviderService {
    provider: Arc<dyn Provider>,
    resources: HashMap<&'static str, (Arc<dyn Resource>, Type)>,
    data_sources: HashMap<&'static str, (Arc<dyn DataSource>, Type)>,
    provider_type: Type,
    /// Replaced by a fresh token once cancelled, so a StopProvider only cancels the work
    /// in flight when it came.
    stop: Mutex<CancellationToken>,
}

impl ProviderService {
    pub fn new(provider: Arc<dyn Provider>) -> Self {
        let resources = provider
            .resources()
            .into_iter()
            .map(|r| {
                let ty = r.schema().implied_type();
                (r.type_name(), (r, ty))
            })
            .collect();
        let data_sources = provider
            .data_sources()
            .into_iter()
            .map(|d| {
                let ty = d.schema().implied_type();
                (d.type_name(), (d, ty))
            })
            .collect();
        let provider_type = provider.schema().implied_type();
        ProviderService {
            provider,
            resources,
            data_sources,
            provider_type,
            stop: Mutex::new(CancellationToken::new()),
        }
    }

    fn context(&self) -> Context {
        Context::new(self.stop.lock().expect("stop token lock").clone())
    }

    fn resource(&self, name: &str) -> Result<&(Arc<dyn Resource>, Type), Status> {
        self.resources
            .get(name)
            .ok_or_else(|| Status::invalid_argument(format!("unknown resource type {name:?}")))
    }

    fn data_source(&self, name: &str) -> Result<&(Arc<dyn DataSource>, Type), Status> {
        self.data_sources
            .get(name)
            .ok_or_else(|| Status::invalid_argument(format!("unknown data source type {name:?}")))
    }

    fn capabilities() -> proto::ServerCapabilities {
        proto::ServerCapabilities {
            // Destroys are planned with us, so Delete can tell `terraform destroy` from the
            // delete half of a replacement (see `Deletion`).
            plan_destroy: true,
            get_provider_schema_optional: true,
            move_resource_state: false,
        }
    }
}

/// Encodes a value or turns the failure into an error diagnostic (provider bug).
fn encode_or_diag(v: &Value, ty: &Type, diags: &mut Diagnostics) -> Option<proto::DynamicValue> {
    match encode(v, ty) {
        Ok(dv) => Some(dv),
        Err(e) => {
            diags.error(
                "Provider produced a value that does not match its schema",
                e.message,
            );
            None
        }
    }
}

/// Decodes a configuration and runs the schema's validators, then the type's own checks.
fn validate_config(
    schema: &crate::schema::Schema,
    ty: &Type,
    config: Option<&proto::DynamicValue>,
    what: &str,
    custom: impl FnOnce(&Value, &mut Diagnostics),
) -> Diagnostics {
    match decode(config, ty) {
        Ok(config) => {
            let mut d = Diagnostics::new();
            schema
                .block
                .validate_value(&config, &AttrPath::root(), &mut d);
            custom(&config, &mut d);
            d
        }
        Err(e) => value_error(what, e),
    }
}

/// Readies a new state for Terraform: write-only attributes nulled, leftover unknowns
/// reported (Terraform rejects them after apply).
fn finish_state(resource: &dyn Resource, mut state: Value, diags: &mut Diagnostics) -> Value {
    plan::null_write_only(&resource.schema().block, &mut state);
    let mut unknown = Vec::new();
    plan::unknowns_to_null(&mut state, &AttrPath::root(), &mut unknown);
    for p in unknown {
        diags.push(
            Diagnostic::error(
                "Provider left a value unknown after apply",
                format!("{} stayed unknown; this is a bug in the provider", p),
            )
            .at(p),
        );
    }
    state
}

#[tonic::async_trait]
impl provider_server::Provider for ProviderService {
    async fn get_metadata(
        &self,
        _req: Request<proto::get_metadata::Request>,
    ) -> Result<Response<proto::get_metadata::Response>, Status> {
        Ok(Response::new(proto::get_metadata::Response {
            server_capabilities: Some(Self::capabilities()),
            diagnostics: vec![],
            data_sources: self
                .data_sources
                .keys()
                .map(|n| proto::get_metadata::DataSourceMetadata {
                    type_name: n.to_string(),
                })
                .collect(),
            resources: self
                .resources
                .keys()
                .map(|n| proto::get_metadata::ResourceMetadata {
                    type_name: n.to_string(),
                })
                .collect(),
            functions: vec![],
            ephemeral_resources: vec![],
        }))
    }

    async fn get_provider_schema(
        &self,
        _req: Request<proto::get_provider_schema::Request>,
    ) -> Result<Response<proto::get_provider_schema::Response>, Status> {
        Ok(Response::new(proto::get_provider_schema::Response {
            provider: Some(convert::schema(self.provider.schema())),
            resource_schemas: self
                .resources
                .iter()
                .map(|(n, (r, _))| (n.to_string(), convert::schema(r.schema())))
                .collect(),
            data_source_schemas: self
                .data_sources
                .iter()
                .map(|(n, (d, _))| (n.to_string(), convert::schema(d.schema())))
                .collect(),
            diagnostics: vec![],
            provider_meta: None,
            server_capabilities: Some(Self::capabilities()),
            functions: Default::default(),
        }))
    }

    async fn validate_provider_config(
        &self,
        req: Request<proto::validate_provider_config::Request>,
    ) -> Result<Response<proto::validate_provider_config::Response>, Status> {
        let req = req.into_inner();
        let diags = validate_config(
            self.provider.schema(),
            &self.provider_type,
            req.config.as_ref(),
            "provider configuration",
            |c, d| self.provider.validate(c, d),
        );
        Ok(Response::new(proto::validate_provider_config::Response {
            diagnostics: convert::diagnostics(&diags),
        }))
    }

    async fn validate_resource_config(
        &self,
        req: Request<proto::validate_resource_config::Request>,
    ) -> Result<Response<proto::validate_resource_config::Response>, Status> {
        let req = req.into_inner();
        let (r, ty) = self.resource(&req.type_name)?;
        let diags = validate_config(
            r.schema(),
            ty,
            req.config.as_ref(),
            "resource configuration",
            |c, d| r.validate(c, d),
        );
        Ok(Response::new(proto::validate_resource_config::Response {
            diagnostics: convert::diagnostics(&diags),
        }))
    }

    async fn validate_data_resource_config(
        &self,
        req: Request<proto::validate_data_resource_config::Request>,
    ) -> Result<Response<proto::validate_data_resource_config::Response>, Status> {
        let req = req.into_inner();
        let (d, ty) = self.data_source(&req.type_name)?;
        let diags = validate_config(
            d.schema(),
            ty,
            req.config.as_ref(),
            "data source configuration",
            |c, diags| d.validate(c, diags),
        );
        Ok(Response::new(
            proto::validate_data_resource_config::Response {
                diagnostics: convert::diagnostics(&diags),
            },
        ))
    }

    async fn upgrade_resource_state(
        &self,
        req: Request<proto::upgrade_resource_state::Request>,
    ) -> Result<Response<proto::upgrade_resource_state::Response>, Status> {
        let req = req.into_inner();
        let (r, ty) = self.resource(&req.type_name)?;
        let mut diags = Diagnostics::new();
        let raw = req.raw_state.map(|s| s.json).unwrap_or_default();
        let upgraded = (|| -> Result<Value, Diagnostics> {
            if raw.is_empty() {
                return Ok(Value::Null);
            }
            let mut doc: serde_json::Value = serde_json::from_slice(&raw).map_err(|e| {
                Diagnostics::from(Diagnostic::error(
                    "Stored state is not valid JSON",
                    e.to_string(),
                ))
            })?;
            if req.version > r.schema().version {
                return Err(Diagnostic::error(
                    "State was written by a newer provider",
                    format!(
                        "state schema version {} is newer than this provider's {}; upgrade the provider",
                        req.version,
                        r.schema().version
                    ),
                )
                .into());
            }
            if req.version < r.schema().version {
                doc = r.upgrade_state(req.version, doc)?;
            }
            let bytes = serde_json::to_vec(&doc).expect("JSON re-serialises");
            json::decode_with(
                &bytes,
                ty,
                json::JsonOptions {
                    ignore_unknown_attributes: true,
                },
            )
            .map_err(|e| value_error("stored state", e))
        })();
        let state = match upgraded {
            Ok(v) => v,
            Err(d) => {
                diags.extend(d);
                Value::Null
            }
        };
        let upgraded_state = if diags.has_errors() {
            None
        } else {
            encode_or_diag(&state, ty, &mut diags)
        };
        Ok(Response::new(proto::upgrade_resource_state::Response {
            upgraded_state,
            diagnostics: convert::diagnostics(&diags),
        }))
    }

    async fn configure_provider(
        &self,
        req: Request<proto::configure_provider::Request>,
    ) -> Result<Response<proto::configure_provider::Response>, Status> {
        let req = req.into_inner();
        let diags = match decode(req.config.as_ref(), &self.provider_type) {
            Ok(config) => {
                self.provider
                    .configure(&self.context(), &config, &req.terraform_version)
                    .await
            }
            Err(e) => value_error("provider configuration", e),
        };
        Ok(Response::new(proto::configure_provider::Response {
            diagnostics: convert::diagnostics(&diags),
        }))
    }

    async fn read_resource(
        &self,
        req: Request<proto::read_resource::Request>,
    ) -> Result<Response<proto::read_resource::Response>, Status> {
        let req = req.into_inner();
        let (r, ty) = self.resource(&req.type_name)?;
        let mut diags = Diagnostics::new();
        let current = match decode(req.current_state.as_ref(), ty) {
            Ok(v) => v,
            Err(e) => {
                diags.extend(value_error("current state", e));
                Value::Null
            }
        };
        let new_state = if diags.has_errors() || current.is_null() {
            req.current_state
        } else {
            match r.read(&self.context(), &current).await {
                Ok(Some(state)) => {
                    let state = finish_state(r.as_ref(), state, &mut diags);
                    encode_or_diag(&state, ty, &mut diags)
                }
                // Gone: a null new state makes Terraform plan a create.
                Ok(None) => encode_or_diag(&Value::Null, ty, &mut diags),
                Err(d) => {
                    diags.extend(d);
                    req.current_state
                }
            }
        };
        Ok(Response::new(proto::read_resource::Response {
            new_state,
            diagnostics: convert::diagnostics(&diags),
            private: req.private,
        }))
    }

    async fn plan_resource_change(
        &self,
        req: Request<proto::plan_resource_change::Request>,
    ) -> Result<Response<proto::plan_resource_change::Response>, Status> {
        let req = req.into_inner();
        let (r, ty) = self.resource(&req.type_name)?;
        let mut diags = Diagnostics::new();
        let decoded = (|| {
            Ok::<_, Diagnostics>((
                decode(req.prior_state.as_ref(), ty).map_err(|e| value_error("prior state", e))?,
                decode(req.proposed_new_state.as_ref(), ty)
                    .map_err(|e| value_error("proposed state", e))?,
                decode(req.config.as_ref(), ty).map_err(|e| value_error("configuration", e))?,
            ))
        })();
        let (prior, proposed, config) = match decoded {
            Ok(t) => t,
            Err(d) => {
                return Ok(Response::new(proto::plan_resource_change::Response {
                    diagnostics: convert::diagnostics(&d),
                    ..Default::default()
                }))
            }
        };
        let mut requires_replace = Vec::new();
        let destroying = proposed.is_null();
        let planned = if destroying {
            Value::Null
        } else {
            let (planned, paths) = plan::plan_change(
                &r.schema().block,
                &prior,
                &config,
                &proposed,
                &mut diags,
                |req| r.modify_plan(req),
            );
            requires_replace = paths;
            planned
        };
        let planned_state = encode_or_diag(&planned, ty, &mut diags);
        Ok(Response::new(proto::plan_resource_change::Response {
            planned_state,
            requires_replace: requires_replace.iter().map(convert::attr_path).collect(),
            planned_private: if destroying {
                DESTROY_PLANNED.to_vec()
            } else {
                req.prior_private
            },
            diagnostics: convert::diagnostics(&diags),
            legacy_type_system: false,
        }))
    }

    async fn apply_resource_change(
        &self,
        req: Request<proto::apply_resource_change::Request>,
    ) -> Result<Response<proto::apply_resource_change::Response>, Status> {
        let req = req.into_inner();
        let (r, ty) = self.resource(&req.type_name)?;
        let mut diags = Diagnostics::new();
        let decoded = (|| {
            Ok::<_, Diagnostics>((
                decode(req.prior_state.as_ref(), ty).map_err(|e| value_error("prior state", e))?,
                decode(req.planned_state.as_ref(), ty)
                    .map_err(|e| value_error("planned state", e))?,
            ))
        })();
        let (prior, planned) = match decoded {
            Ok(t) => t,
            Err(d) => {
                return Ok(Response::new(proto::apply_resource_change::Response {
                    new_state: req.prior_state,
                    diagnostics: convert::diagnostics(&d),
                    ..Default::default()
                }))
            }
        };
        let ctx = self.context();
        let new_state = if planned.is_null() {
            let why = if req.planned_private == DESTROY_PLANNED {
                Deletion::Planned
            } else {
                Deletion::Unplanned
            };
            match r.delete(&ctx, &prior, why).await {
                Ok(()) => Value::Null,
                Err(d) => {
                    diags.extend(d);
                    prior // still exists: keep it in state
                }
            }
        } else {
            let result = if prior.is_null() {
                r.create(&ctx, &planned).await
            } else {
                r.update(&ctx, &prior, &planned).await
            };
            match result {
                Ok((state, warnings)) => {
                    diags.extend(warnings);
                    finish_state(r.as_ref(), state, &mut diags)
                }
                Err(e) => {
                    diags.extend(e.diags);
                    match e.partial_state {
                        Some(state) => finish_state(r.as_ref(), state, &mut diags),
                        None => prior,
                    }
                }
            }
        };
        let new_state = encode_or_diag(&new_state, ty, &mut diags);
        Ok(Response::new(proto::apply_resource_change::Response {
            new_state,
            private: req.planned_private,
            diagnostics: convert::diagnostics(&diags),
            legacy_type_system: false,
        }))
    }

    async fn import_resource_state(
        &self,
        req: Request<proto::import_resource_state::Request>,
    ) -> Result<Response<proto::import_resource_state::Response>, Status> {
        let req = req.into_inner();
        let (r, ty) = self.resource(&req.type_name)?;
        let mut diags = Diagnostics::new();
        let mut imported = Vec::new();
        match r.import(&self.context(), &req.id).await {
            Ok(state) => {
                let state = finish_state(r.as_ref(), state, &mut diags);
                if let Some(dv) = encode_or_diag(&state, ty, &mut diags) {
                    imported.push(proto::import_resource_state::ImportedResource {
                        type_name: req.type_name.clone(),
                        state: Some(dv),
                        private: Vec::new(),
                    });
                }
            }
            Err(d) => diags.extend(d),
        }
        Ok(Response::new(proto::import_resource_state::Response {
            imported_resources: imported,
            diagnostics: convert::diagnostics(&diags),
        }))
    }

    async fn read_data_source(
        &self,
        req: Request<proto::read_data_source::Request>,
    ) -> Result<Response<proto::read_data_source::Response>, Status> {
        let req = req.into_inner();
        let (d, ty) = self.data_source(&req.type_name)?;
        let mut diags = Diagnostics::new();
        let state = match decode(req.config.as_ref(), ty) {
            Err(e) => {
                diags.extend(value_error("data source configuration", e));
                None
            }
            Ok(config) => match d.read(&self.context(), &config).await {
                Ok((state, warnings)) => {
                    diags.extend(warnings);
                    encode_or_diag(&state, ty, &mut diags)
                }
                Err(e) => {
                    diags.extend(e);
                    None
                }
            },
        };
        Ok(Response::new(proto::read_data_source::Response {
            state,
            diagnostics: convert::diagnostics(&diags),
        }))
    }

    async fn get_functions(
        &self,
        _req: Request<proto::get_functions::Request>,
    ) -> Result<Response<proto::get_functions::Response>, Status> {
        Ok(Response::new(proto::get_functions::Response::default()))
    }

    async fn stop_provider(
        &self,
        _req: Request<proto::stop_provider::Request>,
    ) -> Result<Response<proto::stop_provider::Response>, Status> {
        let mut stop = self.stop.lock().expect("stop token lock");
        tracing::info!("StopProvider: cancelling in-flight operations");
        stop.cancel();
        *stop = CancellationToken::new();
        Ok(Response::new(proto::stop_provider::Response {
            error: String::new(),
        }))
    }
}
