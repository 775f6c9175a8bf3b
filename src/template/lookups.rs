//! Per-run caches for the AWS-backed template functions.
//!
//! ecspresso caches `ssm` and `secretsmanager_arn` per name; so do we, and one [`AwsLookups`] is
//! shared by every template of a run (both config passes and all definition files), so each name
//! costs one API call. Concurrent first calls for the same name share one request (a per-key
//! `OnceCell`); failures are not cached, they abort the render anyway.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};

use tokio::sync::OnceCell;

use crate::aws::{AwsResult, Clients, Parameter, ParameterStore, SecretStore};

type Cells<T> = Mutex<HashMap<String, Arc<OnceCell<T>>>>;

/// Cached SSM and Secrets Manager reads.
pub struct AwsLookups {
    ssm: Arc<dyn ParameterStore>,
    secrets: Arc<dyn SecretStore>,
    parameters: Cells<Parameter>,
    secret_arns: Cells<String>,
}

impl fmt::Debug for AwsLookups {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AwsLookups").finish_non_exhaustive()
    }
}

fn cell<T>(cells: &Cells<T>, key: &str) -> Arc<OnceCell<T>> {
    let mut map = cells
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    Arc::clone(map.entry(key.to_owned()).or_default())
}

impl AwsLookups {
    /// Lookups over the run's clients.
    pub fn new(clients: &Clients) -> Self {
        AwsLookups {
            ssm: Arc::clone(&clients.ssm),
            secrets: Arc::clone(&clients.secrets),
            parameters: Mutex::default(),
            secret_arns: Mutex::default(),
        }
    }

    /// Lookups over two stores (the fuzz harness uses stores that always fail).
    pub fn from_stores(ssm: Arc<dyn ParameterStore>, secrets: Arc<dyn SecretStore>) -> Self {
        AwsLookups {
            ssm,
            secrets,
            parameters: Mutex::default(),
            secret_arns: Mutex::default(),
        }
    }

    /// GetParameter (decrypted), once per name.
    /// A `SecureString` value is registered as a secret ([`crate::output::secrets`]): it is
    /// masked wherever ecspress would print it.
    pub async fn parameter(&self, name: &str) -> AwsResult<Parameter> {
        let cell = cell(&self.parameters, name);
        let p = cell
            .get_or_try_init(|| self.ssm.get_parameter(name))
            .await
            .cloned()?;
        if p.kind == crate::aws::ParameterKind::SecureString {
            crate::output::secrets::register([p.value.as_str()]);
        }
        Ok(p)
    }

    /// DescribeSecret's ARN, once per id.
    pub async fn secret_arn(&self, id: &str) -> AwsResult<String> {
        let cell = cell(&self.secret_arns, id);
        cell.get_or_try_init(|| self.secrets.secret_arn(id))
            .await
            .cloned()
    }
}
