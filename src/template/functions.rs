//! The template functions themselves, registered on a [`tera::Tera`].
//!
//! Each function checks its keyword arguments strictly (an unknown or misspelt argument is an
//! error naming the expected ones) and returns a message that names what was looked up; tera
//! adds the file, line and snippet.

use std::sync::Arc;

use tera::{Kwargs, State, TeraResult, Value};

use super::lookups::AwsLookups;
use super::{EnvSource, SECRETSMANAGER_FUNCTION, SSM_FUNCTION};
use crate::aws::ParameterKind;
use crate::model::tfstate::{TfState, format_address};

/// Reject keyword arguments other than `allowed`.
fn check_kwargs(function: &str, kwargs: &Kwargs, allowed: &[&str]) -> TeraResult<()> {
    for (key, _) in kwargs.iter() {
        let key = key.as_str().unwrap_or_default();
        if !allowed.contains(&key) {
            return Err(tera::Error::message(format!(
                "{function}: unknown argument `{key}`; expected {}",
                allowed
                    .iter()
                    .map(|a| format!("`{a}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
    }
    Ok(())
}

/// A required string argument, with a message naming the function.
fn string_arg<'k>(function: &str, kwargs: &'k Kwargs, key: &'k str) -> TeraResult<&'k str> {
    match kwargs.get::<&str>(key) {
        Ok(Some(v)) => Ok(v),
        Ok(None) => Err(tera::Error::message(format!(
            "{function}: missing argument `{key}`"
        ))),
        Err(e) => Err(tera::Error::message(format!(
            "{function}: argument `{key}`: {e}"
        ))),
    }
}

/// Strings as they are, anything else as compact JSON text (so `{{ tfstate(...) }}` outside
/// quotes yields a JSON array or object).
fn json_text(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// `s` escaped for use inside a JSON string, without the surrounding quotes.
pub(crate) fn json_escape(s: &str) -> String {
    let quoted = serde_json::Value::String(s.to_owned()).to_string();
    quoted
        .strip_prefix('"')
        .and_then(|q| q.strip_suffix('"'))
        .unwrap_or(&quoted)
        .to_owned()
}

/// `env`, `must_env` and the `json_escape` filter.
pub(super) fn register_builtins(tera: &mut tera::Tera, env: Arc<dyn EnvSource>) {
    let env_for_env = Arc::clone(&env);
    tera.register_function(
        "env",
        move |kwargs: Kwargs, _: &State| -> TeraResult<String> {
            check_kwargs("env", &kwargs, &["name", "default"])?;
            let name = string_arg("env", &kwargs, "name")?;
            let default = match kwargs.get::<Value>("default")? {
                None => String::new(),
                Some(v) => v.as_str().map_or_else(|| v.to_string(), str::to_owned),
            };
            // Like ecspresso (go-config): an empty value counts as unset.
            Ok(env_for_env
                .var(name)
                .filter(|v| !v.is_empty())
                .unwrap_or(default))
        },
    );
    tera.register_function(
        "must_env",
        move |kwargs: Kwargs, _: &State| -> TeraResult<String> {
            check_kwargs("must_env", &kwargs, &["name"])?;
            let name = string_arg("must_env", &kwargs, "name")?;
            // An empty value is accepted; only an unset variable is an error.
            env.var(name).ok_or_else(|| {
                tera::Error::message(format!("environment variable {name} is not set (must_env)"))
            })
        },
    );
    tera.register_filter(
        "json_escape",
        |value: Value, kwargs: Kwargs, _: &State| -> TeraResult<String> {
            check_kwargs("json_escape", &kwargs, &[])?;
            Ok(match value.as_str() {
                Some(s) => json_escape(s),
                None => json_escape(&value.to_string()),
            })
        },
    );
}

/// A function that returns `placeholder` whatever its arguments.
pub(super) fn register_placeholder(tera: &mut tera::Tera, name: String, placeholder: &str) {
    let placeholder = placeholder.to_owned();
    tera.register_function(name, move |_: Kwargs, _: &State| -> TeraResult<String> {
        Ok(placeholder.clone())
    });
}

fn lookup(state: &TfState, address: &str) -> TeraResult<String> {
    state
        .lookup(address)
        .map(|v| json_text(&v))
        .map_err(|e| tera::Error::message(e.to_string()))
}

/// `{prefix}tfstate(addr=)` and `{prefix}tfstatef(fmt=, args=[..])`.
pub(super) fn register_tfstate(tera: &mut tera::Tera, prefix: &str, state: Arc<TfState>) {
    let name = format!("{prefix}tfstate");
    let fname = format!("{prefix}tfstatef");
    let st = Arc::clone(&state);
    let n = name.clone();
    tera.register_function(
        name,
        move |kwargs: Kwargs, _: &State| -> TeraResult<String> {
            check_kwargs(&n, &kwargs, &["addr"])?;
            lookup(&st, string_arg(&n, &kwargs, "addr")?)
        },
    );
    let n = fname.clone();
    tera.register_function(
        fname,
        move |kwargs: Kwargs, _: &State| -> TeraResult<String> {
            check_kwargs(&n, &kwargs, &["fmt", "args"])?;
            let fmt = string_arg(&n, &kwargs, "fmt")?;
            let args: Vec<serde_json::Value> = match kwargs.get::<Value>("args")? {
                None => Vec::new(),
                Some(v) if v.is_array() => v
                    .as_array()
                    .unwrap_or_default()
                    .iter()
                    .map(serde_json::to_value)
                    .collect::<Result<_, _>>()
                    .map_err(|e| tera::Error::message(format!("{n}: argument `args`: {e}")))?,
                Some(v) => {
                    return Err(tera::Error::message(format!(
                        "{n}: argument `args` must be a list such as args=[0], got {}",
                        v.name()
                    )));
                }
            };
            let address =
                format_address(fmt, &args).map_err(|e| tera::Error::message(e.to_string()))?;
            lookup(&state, &address)
        },
    );
}

/// Run an AWS lookup from inside a (synchronous) template function.
///
/// Only legal on a blocking-pool thread, which is where [`super::Engine::render`] runs.
fn block_on<F: std::future::Future>(function: &str, fut: F) -> TeraResult<F::Output> {
    match tokio::runtime::Handle::try_current() {
        Ok(handle) => Ok(handle.block_on(fut)),
        Err(_) => Err(tera::Error::message(format!(
            "{function}: no async runtime to call AWS from"
        ))),
    }
}

/// `{prefix}ssm(name=, index=)`.
pub(super) fn register_ssm(tera: &mut tera::Tera, prefix: &str, lookups: Arc<AwsLookups>) {
    let name = format!("{prefix}{SSM_FUNCTION}");
    let n = name.clone();
    tera.register_function(
        name,
        move |kwargs: Kwargs, _: &State| -> TeraResult<String> {
            check_kwargs(&n, &kwargs, &["name", "index"])?;
            let param = string_arg(&n, &kwargs, "name")?;
            let index = kwargs
                .get::<i64>("index")
                .map_err(|e| tera::Error::message(format!("{n}: argument `index`: {e}")))?;
            let p = block_on(&n, lookups.parameter(param))?
                .map_err(|e| tera::Error::message(format!("{n}: {e}")))?;
            match (p.kind, index) {
                (ParameterKind::StringList, None) => Err(tera::Error::message(format!(
                    "{n}: parameter {param} is a StringList; pick an element with index=N"
                ))),
                (ParameterKind::StringList, Some(i)) => {
                    let items: Vec<&str> = p.value.split(',').collect();
                    usize::try_from(i)
                        .ok()
                        .and_then(|i| items.get(i))
                        .map(|s| (*s).to_owned())
                        .ok_or_else(|| {
                            tera::Error::message(format!(
                                "{n}: index {i} is out of range for StringList parameter {param} ({} elements)",
                                items.len()
                            ))
                        })
                }
                (_, Some(_)) => Err(tera::Error::message(format!(
                    "{n}: index= is only allowed for StringList parameters; {param} is a {:?}",
                    p.kind
                ))),
                (_, None) => Ok(p.value),
            }
        },
    );
}

/// `{prefix}secretsmanager_arn(id=)`.
pub(super) fn register_secretsmanager(
    tera: &mut tera::Tera,
    prefix: &str,
    lookups: Arc<AwsLookups>,
) {
    let name = format!("{prefix}{SECRETSMANAGER_FUNCTION}");
    let n = name.clone();
    tera.register_function(
        name,
        move |kwargs: Kwargs, _: &State| -> TeraResult<String> {
            check_kwargs(&n, &kwargs, &["id"])?;
            let id = string_arg(&n, &kwargs, "id")?;
            block_on(&n, lookups.secret_arn(id))?
                .map_err(|e| tera::Error::message(format!("{n}: {e}")))
        },
    );
}
