//! `ecspress deregister --revision N | --keeps N [--delete] [--dry-run]`.
//!
//! ECS lets you deregister a revision that tasks still run (they keep running, but the service
//! can no longer scale out or replace them from it: ecspresso.md §1.11), so before every
//! DeregisterTaskDefinition we check the same usage `rollback --deregister-task-definition`
//! checks: the service's `deployments[]` and every non-STOPPED task of the cluster.
//! `--delete` then calls DeleteTaskDefinitions, which ECS only accepts for INACTIVE revisions.
//! `--dry-run` makes read calls only.
//!
//! Exit codes: 0 done (or nothing to do), 1 `--revision N` is in use (nothing changed),
//! 2 error.

use anyhow::{Context, bail};
use serde_json::Value;

use crate::aws::ecs::EcsApi;
use crate::exit::ExitStatus;
use crate::model::revision::short_name;
use crate::model::revisions::beyond_keeps;
use crate::ops::deploy::ServiceRef;
use crate::ops::render::Project;
use crate::ops::revisions::survey;
use crate::output::{Event, EventSink};

/// Which revisions, and how.
#[derive(Debug, Clone, Default)]
pub struct DeregisterOptions {
    /// `--revision N`.
    pub revision: Option<u32>,
    /// `--keeps N`.
    pub keeps: Option<usize>,
    /// `--delete`.
    pub delete: bool,
    /// `--dry-run`.
    pub dry_run: bool,
}

/// Run `deregister` for the project's service.
pub async fn deregister(
    project: &Project,
    opts: &DeregisterOptions,
    sink: &dyn EventSink,
) -> anyhow::Result<ExitStatus> {
    let target = ServiceRef::of(project)?;
    deregister_in(project.clients().ecs.as_ref(), &target, opts, sink).await
}

pub(crate) async fn deregister_in(
    ecs: &dyn EcsApi,
    target: &ServiceRef,
    opts: &DeregisterOptions,
    sink: &dyn EventSink,
) -> anyhow::Result<ExitStatus> {
    let survey = survey(ecs, target, None).await?;
    let mut to_deregister: Vec<String> = Vec::new();
    let mut to_delete: Vec<String> = Vec::new();
    match (opts.revision, opts.keeps) {
        (Some(n), _) => match survey.rows.iter().find(|r| r.revision == n) {
            Some(row) => {
                let why = row
                    .in_use
                    .clone()
                    .or_else(|| row.current.then(|| "the service runs it".to_owned()));
                if let Some(why) = why {
                    sink.emit(Event::Warning {
                        message: format!("not deregistering {}: {why}", short_name(&row.arn)),
                    });
                    return Ok(ExitStatus::Negative);
                }
                to_deregister.push(row.arn.clone());
            }
            None => {
                let name = format!("{}:{n}", survey.family);
                let td = ecs
                    .describe_task_definition(&name)
                    .await
                    .with_context(|| format!("cannot describe task definition {name}"))?;
                let status = td.get("status").and_then(Value::as_str).unwrap_or("");
                if status != "INACTIVE" {
                    bail!("task definition {name} is {status}; nothing to deregister");
                }
                sink.emit(Event::Info {
                    message: format!("{name} is already INACTIVE (deregistered)"),
                });
                if opts.delete {
                    let arn = td.get("taskDefinitionArn").and_then(Value::as_str);
                    to_delete.push(arn.unwrap_or(&name).to_owned());
                }
            }
        },
        (None, Some(keeps)) => {
            for row in survey.rows.iter().skip(keeps) {
                if let Some(why) = &row.in_use {
                    sink.emit(Event::Info {
                        message: format!("keeping {}: {why}", short_name(&row.arn)),
                    });
                }
            }
            to_deregister = beyond_keeps(&survey.rows, keeps)
                .into_iter()
                .map(|r| r.arn.clone())
                .collect();
        }
        (None, None) => bail!("give --revision N or --keeps N"),
    }
    if opts.delete {
        to_delete.extend(to_deregister.iter().cloned());
    }
    if to_deregister.is_empty() && to_delete.is_empty() {
        sink.emit(Event::Info {
            message: format!("nothing to deregister in family {}", survey.family),
        });
        return Ok(ExitStatus::Success);
    }
    if opts.dry_run {
        for arn in &to_deregister {
            sink.emit(Event::Info {
                message: format!("would deregister {}", short_name(arn)),
            });
        }
        for arn in &to_delete {
            sink.emit(Event::Info {
                message: format!("would delete {}", short_name(arn)),
            });
        }
        sink.emit(Event::Info {
            message: "dry run: nothing was changed".into(),
        });
        return Ok(ExitStatus::Success);
    }
    for arn in &to_deregister {
        ecs.deregister_task_definition(arn)
            .await
            .with_context(|| format!("cannot deregister task definition {arn}"))?;
        sink.emit(Event::TaskDefinitionDeregistered { arn: arn.clone() });
    }
    if !to_delete.is_empty() {
        let failures = ecs
            .delete_task_definitions(&to_delete)
            .await
            .context("cannot delete the deregistered task definitions")?;
        for arn in &to_delete {
            match failures
                .iter()
                .find(|(f, _)| short_name(f) == short_name(arn))
            {
                Some((_, reason)) => sink.emit(Event::Warning {
                    message: format!("not deleted {}: {reason}", short_name(arn)),
                }),
                None => sink.emit(Event::TaskDefinitionDeleted { arn: arn.clone() }),
            }
        }
    }
    Ok(ExitStatus::Success)
}
