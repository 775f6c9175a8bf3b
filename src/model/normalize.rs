//! Normalisation of task and service definitions for `diff` (and for deploy's "did the task
//! definition change?" check): both sides, the local rendered file and the live JSON that
//! `aws::ecs::EcsApi` returns, go through the same pure functions, so that a definition that
//! ECS accepted and describes back compares **equal** to the file it came from.
//!
//! # Why
//!
//! A diff tool is only useful when an unchanged service shows nothing. ECS reports much more
//! than a file says: read-only fields (`taskDefinitionArn`, `registeredAt`, counts, events),
//! defaults it fills in (`essential: true`, `protocol: "tcp"`, `platformVersion: "LATEST"`,
//! the deployment-configuration defaults), its own spelling of sizes (`"1 GB"` is returned as
//! `"1024"`), and lists in an order that carries no meaning. ecspresso normalises part of this
//! and leaves the rest as noise (../shared/reference/ecspresso.md §4.2, "Not normalised");
//! every rule here cites the AWS behaviour it encodes and has its own table test.
//!
//! # The canonical form
//!
//! - `null`, `[]` and `{}` mean "absent" (AWS treats an omitted member and an empty one alike,
//!   and the SDK serialises some absent lists as `[]`): they are removed everywhere.
//! - A default AWS fills in is made equal to its absence in one of two ways: *filled* when the
//!   value helps a reader (`essential`, `cpu`, `protocol`, `hostPort`, `platformVersion`,
//!   `assignPublicIp`, the deployment-configuration basics, `schedulingStrategy`, ...), or
//!   *dropped when it equals the default* for newer nested members whose default only adds
//!   lines (`resetOnHealthyTask: true`, `thresholdConfiguration {BOUNDED_PERCENT, 50}`,
//!   `versionConsistency: "enabled"`, disabled `alarms`, ...).
//! - Order-insensitive lists are sorted (by `name`/`key` where AWS makes those unique, else by
//!   canonical JSON text). Lists whose order matters to ECS are left alone: `command`,
//!   `entryPoint`, `environmentFiles`, `loadBalancers` (CodeDeploy uses the first) and
//!   `placementStrategy` (strategies are applied in order; ecspresso sorts it, which hides a
//!   real change).
//!
//! Task definitions: [`task_definition_for_diff`] ([`task_definition`] holds the rules).
//! Services: [`service_for_diff`] ([`service`] holds the rules), whose [`NormalizeOptions`] say
//! what the local file leaves to AWS (see [`NormalizeOptions::for_service_pair`]).

pub mod service;
pub mod task_definition;

use serde_json::{Map, Value};

pub use service::service_for_diff;
pub use task_definition::task_definition_for_diff;

/// What normalisation needs to know beyond one document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NormalizeOptions {
    /// `ignore.tags` from the config: tag keys removed from both sides (case-sensitive, like
    /// ECS tag keys).
    pub ignore_tags: Vec<String>,
    /// Compare `desiredCount`. Off when the local service file does not set it: deploy then
    /// keeps the live count (auto scaling owns it), so it is no difference (ecspresso #274).
    pub compare_desired_count: bool,
    /// Compare `availabilityZoneRebalancing`. Off when the local file does not set it: on
    /// UpdateService an omitted value keeps the service's current one (AWS API reference,
    /// UpdateService `availabilityZoneRebalancing`), while CreateService defaults it to
    /// `ENABLED`, so neither value is a difference.
    pub compare_az_rebalancing: bool,
    /// Compare `launchType` / `capacityProviderStrategy`. Off when the local file sets neither:
    /// ECS then used the cluster's default capacity provider strategy (or `EC2`), which the
    /// file cannot know and UpdateService leaves as it is.
    pub compare_launch: bool,
    /// The live service uses the `CODE_DEPLOY` deployment controller: CodeDeploy swaps the
    /// blue and green target groups on every deployment, so `loadBalancers[].targetGroupArn`
    /// is removed from both sides (ecspresso v2.8.0, #943).
    pub code_deploy: bool,
}

impl Default for NormalizeOptions {
    fn default() -> Self {
        NormalizeOptions {
            ignore_tags: Vec::new(),
            compare_desired_count: true,
            compare_az_rebalancing: true,
            compare_launch: true,
            code_deploy: false,
        }
    }
}

impl NormalizeOptions {
    /// Options with `ignore.tags`; everything compared.
    pub fn new(ignore_tags: &[String]) -> Self {
        NormalizeOptions {
            ignore_tags: ignore_tags.to_vec(),
            ..NormalizeOptions::default()
        }
    }

    /// Options for diffing a service: what the local file leaves to AWS is not compared, and
    /// a CodeDeploy-controlled live service ignores target group swaps.
    pub fn for_service_pair(mut self, live: Option<&Value>, local: &Value) -> Self {
        let sets = |k: &str| local.get(k).is_some_and(|v| !is_empty(v));
        self.compare_desired_count = sets("desiredCount");
        self.compare_az_rebalancing = sets("availabilityZoneRebalancing");
        self.compare_launch = sets("launchType") || sets("capacityProviderStrategy");
        self.code_deploy = live
            .and_then(|l| l.pointer("/deploymentController/type"))
            .and_then(Value::as_str)
            == Some("CODE_DEPLOY");
        self
    }
}

// ---- shared helpers ---------------------------------------------------------------------

/// `null`, `[]`, `{}`: what AWS treats as absent.
pub(crate) fn is_empty(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Array(a) => a.is_empty(),
        Value::Object(m) => m.is_empty(),
        _ => false,
    }
}

/// Remove `null`, `[]` and `{}` members recursively (an object emptied by this goes too).
/// Array elements are kept (an empty element is a value, not an absent member). Whole floats
/// become integers: `5.0` and `5` are the same JSON number to AWS, but not to `Value`'s `==`
/// (the SDK writes `Double` members such as `canaryPercent` as `5.0`).
pub(crate) fn prune(v: &mut Value) {
    match v {
        Value::Number(n) => {
            if let Some(f) = n.as_f64().filter(|_| n.is_f64())
                && f.fract() == 0.0
                && f.abs() < 9_007_199_254_740_992.0
            {
                *v = Value::from(f as i64);
            }
        }
        Value::Object(m) => {
            for child in m.values_mut() {
                prune(child);
            }
            m.retain(|_, child| !is_empty(child));
        }
        Value::Array(a) => a.iter_mut().for_each(prune),
        _ => {}
    }
}

/// Canonical JSON text (serde_json maps are sorted), the tie-breaker for sorting.
pub(crate) fn json_text(v: &Value) -> String {
    v.to_string()
}

/// Sort a list member by canonical JSON text (lists of values whose order carries no
/// meaning and that have no identifying member).
pub(crate) fn sort_by_json(m: &mut Map<String, Value>, key: &str) {
    if let Some(Value::Array(a)) = m.get_mut(key) {
        a.sort_by_cached_key(json_text);
    }
}

/// Sort a list member by one string member of its elements (`name`, `key`, ...), then by JSON
/// text, so the order is total and stable.
pub(crate) fn sort_by_member(m: &mut Map<String, Value>, key: &str, member: &str) {
    if let Some(Value::Array(a)) = m.get_mut(key) {
        a.sort_by_cached_key(|e| {
            let k = e.get(member).map(value_key).unwrap_or_default();
            (k, json_text(e))
        });
    }
}

/// A sortable text for a scalar (strings unquoted).
fn value_key(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Insert `value` at `key` when the member is absent (or `null`).
pub(crate) fn fill(m: &mut Map<String, Value>, key: &str, value: Value) {
    if m.get(key).is_none_or(Value::is_null) {
        m.insert(key.to_owned(), value);
    }
}

/// Remove `key` when it equals `default`.
pub(crate) fn drop_default(m: &mut Map<String, Value>, key: &str, default: &Value) {
    if m.get(key) == Some(default) {
        m.remove(key);
    }
}

/// `tags`: `ignore.tags` keys and ecspress's own deployment metadata tags
/// ([`crate::model::metadata::TAG_KEYS`]: they change on every deploy, so they must never make a
/// definition "changed") removed, sorted by key (ECS tag keys are unique per resource and
/// unordered: TagResource/ListTagsForResource keep no order).
pub(crate) fn tags(m: &mut Map<String, Value>, ignore: &[String]) {
    if let Some(Value::Array(list)) = m.get_mut("tags") {
        list.retain(|t| {
            t.get("key").and_then(Value::as_str).is_none_or(|k| {
                !ignore.iter().any(|i| i == k) && !crate::model::metadata::is_metadata_tag(k)
            })
        });
    }
    sort_by_member(m, "tags", "key");
}

/// The object at `key`, created when absent (`None` when the member is not an object).
pub(crate) fn object_at<'a>(
    m: &'a mut Map<String, Value>,
    key: &str,
) -> Option<&'a mut Map<String, Value>> {
    if m.get(key).is_none_or(Value::is_null) {
        m.insert(key.to_owned(), Value::Object(Map::new()));
    }
    m.get_mut(key).and_then(Value::as_object_mut)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn prune_treats_null_empty_list_and_empty_object_as_absent() {
        // AWS: an omitted member and an empty one mean the same; the SDK serialises some absent
        // lists as [] and structures with no members set as {}.
        let cases = [
            (json!({"a": null, "b": 1}), json!({"b": 1})),
            (json!({"a": [], "b": "x"}), json!({"b": "x"})),
            (json!({"a": {}, "b": false}), json!({"b": false})),
            (json!({"a": {"b": {"c": []}}}), json!({})),
            (
                json!({"a": [{"x": null}], "b": 0}),
                json!({"a": [{}], "b": 0}),
            ),
            (json!({"s": ""}), json!({"s": ""})),
            (json!({"f": 5.0, "g": 2.5}), json!({"f": 5, "g": 2.5})),
        ];
        for (input, want) in cases {
            let mut v = input.clone();
            prune(&mut v);
            assert_eq!(v, want, "prune({input})");
        }
    }

    #[test]
    fn for_service_pair_reads_what_the_local_file_leaves_to_aws() {
        let live = json!({"deploymentController": {"type": "CODE_DEPLOY"}});
        let cases = [
            (json!({}), (false, false, false)),
            (json!({"desiredCount": 0}), (true, false, false)),
            (
                json!({"availabilityZoneRebalancing": "DISABLED"}),
                (false, true, false),
            ),
            (json!({"launchType": "FARGATE"}), (false, false, true)),
            (
                json!({"capacityProviderStrategy": [{"capacityProvider": "FARGATE"}]}),
                (false, false, true),
            ),
            (
                json!({"capacityProviderStrategy": []}),
                (false, false, false),
            ),
        ];
        for (local, (count, az, launch)) in cases {
            let o = NormalizeOptions::new(&[]).for_service_pair(Some(&live), &local);
            assert_eq!(
                (
                    o.compare_desired_count,
                    o.compare_az_rebalancing,
                    o.compare_launch
                ),
                (count, az, launch),
                "{local}"
            );
            assert!(o.code_deploy);
        }
        let ecs = json!({"deploymentController": {"type": "ECS"}});
        assert!(
            !NormalizeOptions::default()
                .for_service_pair(Some(&ecs), &json!({}))
                .code_deploy
        );
        assert!(
            !NormalizeOptions::default()
                .for_service_pair(None, &json!({}))
                .code_deploy
        );
    }

    #[test]
    fn tags_drop_ignored_keys_and_sort_by_key() {
        let mut m = json!({"tags": [
            {"key": "b", "value": "2"},
            {"key": "LastDeployedBy", "value": "ci"},
            {"key": "a", "value": "1"}
        ]});
        let Some(obj) = m.as_object_mut() else {
            panic!("object")
        };
        tags(obj, &["LastDeployedBy".to_owned()]);
        assert_eq!(
            m,
            json!({"tags": [{"key": "a", "value": "1"}, {"key": "b", "value": "2"}]})
        );
    }
}
