//! Service rules (see the parent module for the canonical form).
//!
//! Both sides are projected onto [`DIFF_FIELDS`]: what CreateService/UpdateService carry for a
//! service's configuration. Identity (`serviceName`, `cluster`), the task definition (diffed on
//! its own), counts, deployments, events and other read-only members of DescribeServices are
//! not configuration. `launchType`, `schedulingStrategy`, `deploymentController` and `role`
//! are **kept** although UpdateService cannot change most of them: a file that disagrees with
//! the live service about them is a real discrepancy that deploy cannot fix, and hiding it
//! (as ecspresso does) makes the diff lie.

use serde_json::{Map, Value, json};

use super::{
    NormalizeOptions, drop_default, fill, object_at, prune, sort_by_json, sort_by_member, tags,
};

/// The service members compared: the CreateService/UpdateService configuration members plus
/// `tags`. A field the SDK model does not know is reported by the caller (unknown-field
/// check), not here.
pub const DIFF_FIELDS: &[&str] = &[
    "availabilityZoneRebalancing",
    "capacityProviderStrategy",
    "deploymentConfiguration",
    "deploymentController",
    "desiredCount",
    "enableECSManagedTags",
    "enableExecuteCommand",
    "gatewayConnectors",
    "healthCheckGracePeriodSeconds",
    "launchType",
    "loadBalancers",
    "monitoring",
    "networkConfiguration",
    "placementConstraints",
    "placementStrategy",
    "platformVersion",
    "propagateTags",
    "role",
    "schedulingStrategy",
    "serviceConnectConfiguration",
    "serviceRegistries",
    "tags",
    "volumeConfigurations",
    "vpcLatticeConfigurations",
];

/// Members DescribeServices reports on each deployment rather than on the service (AWS API
/// reference, Deployment; ecspresso §4.3 copies them up from the PRIMARY deployment).
const PER_DEPLOYMENT: &[&str] = &[
    "serviceConnectConfiguration",
    "volumeConfigurations",
    "vpcLatticeConfigurations",
];

/// The canonical form of a service definition or a DescribeServices service object. Anything
/// that is not an object is returned unchanged.
pub fn service_for_diff(v: &Value, opts: &NormalizeOptions) -> Value {
    let Some(src) = v.as_object() else {
        return v.clone();
    };
    let mut m = src.clone();
    copy_up_from_primary(&mut m);
    role(&mut m);
    m.retain(|k, _| DIFF_FIELDS.contains(&k.as_str()));
    let mut out = Value::Object(m);
    prune(&mut out);
    if let Some(m) = out.as_object_mut() {
        let controller = controller(m);
        let scheduling = scheduling(m);
        launch(m, opts);
        counts(m, opts, &scheduling);
        network(m);
        deployment_configuration(m, &controller, &scheduling);
        flags(m);
        lists(m, &scheduling);
        load_balancers(m, opts);
        tags(m, &opts.ignore_tags);
    }
    prune(&mut out);
    out
}

/// `serviceConnectConfiguration`, `volumeConfigurations`, `vpcLatticeConfigurations`: taken
/// from the PRIMARY deployment when the service object lacks them (DescribeServices reports
/// them per deployment). A local file has no `deployments`, so this only affects live JSON.
fn copy_up_from_primary(m: &mut Map<String, Value>) {
    let primary = m
        .get("deployments")
        .and_then(Value::as_array)
        .and_then(|ds| {
            ds.iter()
                .find(|d| d.get("status").and_then(Value::as_str) == Some("PRIMARY"))
        })
        .cloned();
    let Some(primary) = primary else { return };
    for k in PER_DEPLOYMENT {
        if let Some(v) = primary.get(*k)
            && m.get(*k).is_none_or(super::is_empty)
        {
            m.insert((*k).to_owned(), v.clone());
        }
    }
}

/// `role` (CreateService: a name or an ARN) and `roleArn` (DescribeServices: always an ARN)
/// compared as the role name. The ECS service-linked role, which DescribeServices reports
/// when the service uses a load balancer and no role was given, is no configuration.
fn role(m: &mut Map<String, Value>) {
    let given = m
        .remove("role")
        .or_else(|| m.remove("roleArn"))
        .and_then(|v| v.as_str().map(str::to_owned));
    m.remove("roleArn");
    if let Some(r) = given
        && !r.contains("/aws-service-role/ecs.amazonaws.com/")
    {
        let name = r.rsplit('/').next().unwrap_or(&r).to_owned();
        m.insert("role".into(), Value::String(name));
    }
}

/// `deploymentController` defaults to `{type: ECS}` (CreateService: "If a deployment
/// controller is not specified, the default value of ECS is used"). Returns the type.
fn controller(m: &mut Map<String, Value>) -> String {
    if let Some(c) = object_at(m, "deploymentController") {
        fill(c, "type", json!("ECS"));
        c.get("type")
            .and_then(Value::as_str)
            .unwrap_or("ECS")
            .to_owned()
    } else {
        "ECS".to_owned()
    }
}

/// `schedulingStrategy` defaults to `REPLICA` (CreateService). Returns it.
fn scheduling(m: &mut Map<String, Value>) -> String {
    fill(m, "schedulingStrategy", json!("REPLICA"));
    m.get("schedulingStrategy")
        .and_then(Value::as_str)
        .unwrap_or("REPLICA")
        .to_owned()
}

/// Whether the service runs on Fargate (launch type or a FARGATE/FARGATE_SPOT provider).
fn uses_fargate(m: &Map<String, Value>) -> bool {
    m.get("launchType").and_then(Value::as_str) == Some("FARGATE")
        || m.get("capacityProviderStrategy")
            .and_then(Value::as_array)
            .is_some_and(|a| {
                a.iter().any(|i| {
                    matches!(
                        i.get("capacityProvider").and_then(Value::as_str),
                        Some("FARGATE" | "FARGATE_SPOT")
                    )
                })
            })
}

/// Launch settings: Fargate services get `platformVersion: LATEST` when omitted (CreateService:
/// "If one isn't specified, the LATEST platform version is used"); capacity provider items get
/// `base: 0` and `weight: 0` (CapacityProviderStrategyItem defaults). When the local file sets
/// neither `launchType` nor a strategy, the live ones came from the cluster default and are
/// not compared, nor is a `LATEST` platform version that follows from them.
fn launch(m: &mut Map<String, Value>, opts: &NormalizeOptions) {
    if uses_fargate(m) {
        fill(m, "platformVersion", json!("LATEST"));
    }
    if let Some(Value::Array(items)) = m.get_mut("capacityProviderStrategy") {
        for i in items.iter_mut().filter_map(Value::as_object_mut) {
            fill(i, "base", json!(0));
            fill(i, "weight", json!(0));
        }
    }
    if !opts.compare_launch {
        m.remove("launchType");
        m.remove("capacityProviderStrategy");
        drop_default(m, "platformVersion", &json!("LATEST"));
    }
}

/// `desiredCount` only when the file sets it (and never for DAEMON services, which run one
/// task per instance); `availabilityZoneRebalancing` only when the file sets it, an absent live
/// value then being `DISABLED` (UpdateService: "If the service never had an
/// AvailabilityZoneRebalancing value set, Amazon ECS treats this as DISABLED").
fn counts(m: &mut Map<String, Value>, opts: &NormalizeOptions, scheduling: &str) {
    if !opts.compare_desired_count || scheduling == "DAEMON" {
        m.remove("desiredCount");
    }
    if opts.compare_az_rebalancing {
        fill(m, "availabilityZoneRebalancing", json!("DISABLED"));
    } else {
        m.remove("availabilityZoneRebalancing");
    }
}

/// `awsvpcConfiguration`: `assignPublicIp` defaults to `DISABLED` (AwsVpcConfiguration);
/// subnets and security groups are sets.
fn network(m: &mut Map<String, Value>) {
    let Some(awsvpc) = m
        .get_mut("networkConfiguration")
        .and_then(|n| n.get_mut("awsvpcConfiguration"))
        .and_then(Value::as_object_mut)
    else {
        return;
    };
    fill(awsvpc, "assignPublicIp", json!("DISABLED"));
    for k in ["subnets", "securityGroups"] {
        if let Some(Value::Array(a)) = awsvpc.get_mut(k) {
            a.sort_by_cached_key(super::json_text);
        }
    }
}

/// `deploymentConfiguration` as DescribeServices returns it (AWS API reference,
/// DeploymentConfiguration; the simulator fills the same):
/// - `maximumPercent` / `minimumHealthyPercent`: 200 / 100 for REPLICA, 100 / 0 for DAEMON;
/// - ECS controller only: `deploymentCircuitBreaker {enable: false, rollback: false}`,
///   `strategy: ROLLING`; the circuit breaker's `resetOnHealthyTask: true` and
///   `thresholdConfiguration {BOUNDED_PERCENT, 50}` are its defaults (dropped when equal);
///   `linearConfiguration {stepPercent 10, stepBakeTimeInMinutes 6}` and
///   `canaryConfiguration {canaryPercent 5, canaryBakeTimeInMinutes 10}` for LINEAR/CANARY;
///   every lifecycle hook `targetType: AWS_LAMBDA`, `timeoutConfiguration {timeoutInMinutes:
///   1440, action: ROLLBACK}` (PAUSE hooks too: ecs-platform-and-peers.md §6.4), its
///   `lifecycleStages` in execution order ([`crate::model::stages::ECS_STAGES`]);
///   `loadBalancers[].advancedConfiguration` and Service Connect `testTrafficRules` have no
///   defaults and are compared as written;
/// - `bakeTimeInMinutes: 0`, alarms that are off, and early-success criteria that are off are
///   the same as absent.
fn deployment_configuration(m: &mut Map<String, Value>, controller: &str, scheduling: &str) {
    let Some(dc) = object_at(m, "deploymentConfiguration") else {
        return;
    };
    let (max, min) = if scheduling == "DAEMON" {
        (100, 0)
    } else {
        (200, 100)
    };
    fill(dc, "maximumPercent", json!(max));
    fill(dc, "minimumHealthyPercent", json!(min));
    drop_default(dc, "bakeTimeInMinutes", &json!(0));
    if let Some(alarms) = dc.get_mut("alarms").and_then(Value::as_object_mut) {
        fill(alarms, "enable", json!(false));
        fill(alarms, "rollback", json!(false));
    }
    drop_default(dc, "alarms", &json!({"enable": false, "rollback": false}));
    if let Some(esc) = dc
        .get_mut("earlySuccessCriteria")
        .and_then(Value::as_object_mut)
    {
        fill(esc, "enable", json!(false));
        fill(esc, "healthyPercent", json!(100));
        fill(esc, "sourceServiceRevisionCleanup", json!("BLOCKING"));
    }
    drop_default(
        dc,
        "earlySuccessCriteria",
        &json!({"enable": false, "healthyPercent": 100, "sourceServiceRevisionCleanup": "BLOCKING"}),
    );
    if controller != "ECS" {
        return;
    }
    if let Some(cb) = object_at(dc, "deploymentCircuitBreaker") {
        fill(cb, "enable", json!(false));
        fill(cb, "rollback", json!(false));
        drop_default(cb, "resetOnHealthyTask", &json!(true));
        drop_default(
            cb,
            "thresholdConfiguration",
            &json!({"type": "BOUNDED_PERCENT", "value": 50}),
        );
    }
    fill(dc, "strategy", json!("ROLLING"));
    match dc.get("strategy").and_then(Value::as_str) {
        Some("LINEAR") => {
            if let Some(lc) = object_at(dc, "linearConfiguration") {
                fill(lc, "stepPercent", json!(10));
                fill(lc, "stepBakeTimeInMinutes", json!(6));
            }
        }
        Some("CANARY") => {
            if let Some(cc) = object_at(dc, "canaryConfiguration") {
                fill(cc, "canaryPercent", json!(5));
                fill(cc, "canaryBakeTimeInMinutes", json!(10));
            }
        }
        _ => {}
    }
    if let Some(Value::Array(hooks)) = dc.get_mut("lifecycleHooks") {
        for h in hooks.iter_mut().filter_map(Value::as_object_mut) {
            fill(h, "targetType", json!("AWS_LAMBDA"));
            // A set of stages: compared in execution order, however the file lists them.
            if let Some(Value::Array(stages)) = h.get_mut("lifecycleStages") {
                stages.sort_by_key(|st| {
                    st.as_str()
                        .and_then(crate::model::stages::ecs_stage_index)
                        .unwrap_or(usize::MAX)
                });
            }
            if let Some(tc) = object_at(h, "timeoutConfiguration") {
                fill(tc, "timeoutInMinutes", json!(1440));
                fill(tc, "action", json!("ROLLBACK"));
            }
        }
    }
}

/// Flags DescribeServices always reports: `enableECSManagedTags: false`,
/// `enableExecuteCommand: false`, `propagateTags: NONE` (CreateService: "If no value is
/// specified, the tags aren't propagated"). `healthCheckGracePeriodSeconds: 0` is the default
/// ("If you don't specify a health check grace period value, the default value of 0 is used")
/// and `serviceConnectConfiguration {enabled: false}` is what an omitted block means
/// (deploy sends it to turn Service Connect off).
fn flags(m: &mut Map<String, Value>) {
    fill(m, "enableECSManagedTags", json!(false));
    fill(m, "enableExecuteCommand", json!(false));
    fill(m, "propagateTags", json!("NONE"));
    drop_default(m, "healthCheckGracePeriodSeconds", &json!(0));
    drop_default(m, "serviceConnectConfiguration", &json!({"enabled": false}));
}

/// Order-insensitive lists: placement constraints (all must hold), service registries,
/// volume configurations (by name, unique), VPC Lattice configurations (by port name). The
/// placement *strategy* keeps its order: ECS applies strategies in the order given. DAEMON
/// services have no placement strategy (ECS rejects one; ecspresso drops it).
fn lists(m: &mut Map<String, Value>, scheduling: &str) {
    sort_by_json(m, "placementConstraints");
    sort_by_json(m, "serviceRegistries");
    sort_by_member(m, "volumeConfigurations", "name");
    sort_by_member(m, "vpcLatticeConfigurations", "portName");
    if scheduling == "DAEMON" {
        m.remove("placementStrategy");
    }
}

/// CodeDeploy-controlled services: `targetGroupArn` is removed from every load balancer, as
/// CodeDeploy swaps blue and green on each deployment.
fn load_balancers(m: &mut Map<String, Value>, opts: &NormalizeOptions) {
    if !opts.code_deploy {
        return;
    }
    if let Some(Value::Array(lbs)) = m.get_mut("loadBalancers") {
        for lb in lbs.iter_mut().filter_map(Value::as_object_mut) {
            lb.remove("targetGroupArn");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn norm(v: Value) -> Value {
        service_for_diff(&v, &NormalizeOptions::default())
    }

    /// What every REPLICA/ECS service normalises to when nothing is set.
    fn bare() -> Value {
        json!({
            "availabilityZoneRebalancing": "DISABLED",
            "deploymentConfiguration": {
                "deploymentCircuitBreaker": {"enable": false, "rollback": false},
                "maximumPercent": 200,
                "minimumHealthyPercent": 100,
                "strategy": "ROLLING"
            },
            "deploymentController": {"type": "ECS"},
            "enableECSManagedTags": false,
            "enableExecuteCommand": false,
            "propagateTags": "NONE",
            "schedulingStrategy": "REPLICA"
        })
    }

    #[test]
    fn read_only_and_identity_members_are_not_compared() {
        // DescribeServices members that are state, not configuration.
        for k in [
            "serviceArn",
            "clusterArn",
            "status",
            "runningCount",
            "pendingCount",
            "deployments",
            "events",
            "taskSets",
            "createdAt",
            "createdBy",
            "currentServiceDeployment",
            "currentServiceRevisions",
            "serviceName",
            "cluster",
            "taskDefinition",
            "platformFamily",
            "resourceManagementType",
            "clientToken",
            "forceNewDeployment",
        ] {
            assert_eq!(norm(json!({k: "x"})), bare(), "{k}");
        }
    }

    #[test]
    fn aws_defaults_are_filled() {
        assert_eq!(norm(json!({})), bare());
        // Each default written out explicitly changes nothing.
        assert_eq!(norm(bare()), bare());
        let fargate = norm(json!({"launchType": "FARGATE"}));
        assert_eq!(fargate["platformVersion"], "LATEST");
        let spot = norm(
            json!({"capacityProviderStrategy": [{"capacityProvider": "FARGATE_SPOT", "weight": 1}]}),
        );
        assert_eq!(spot["platformVersion"], "LATEST");
        assert_eq!(
            spot["capacityProviderStrategy"],
            json!([{"capacityProvider": "FARGATE_SPOT", "weight": 1, "base": 0}])
        );
        assert!(
            norm(json!({"launchType": "EC2"}))
                .get("platformVersion")
                .is_none()
        );
        let net = norm(json!({"networkConfiguration": {"awsvpcConfiguration": {
            "subnets": ["subnet-b", "subnet-a"], "securityGroups": ["sg-2", "sg-1"]}}}));
        assert_eq!(
            net["networkConfiguration"],
            json!({"awsvpcConfiguration": {"assignPublicIp": "DISABLED",
                "subnets": ["subnet-a", "subnet-b"], "securityGroups": ["sg-1", "sg-2"]}})
        );
    }

    #[test]
    fn deployment_configuration_defaults_per_controller_and_scheduling() {
        let cases = [
            // (service, expected deploymentConfiguration)
            (
                json!({"deploymentConfiguration": {"deploymentCircuitBreaker": {"enable": true}}}),
                json!({"deploymentCircuitBreaker": {"enable": true, "rollback": false},
                    "maximumPercent": 200, "minimumHealthyPercent": 100, "strategy": "ROLLING"}),
            ),
            (
                json!({"schedulingStrategy": "DAEMON"}),
                json!({"deploymentCircuitBreaker": {"enable": false, "rollback": false},
                    "maximumPercent": 100, "minimumHealthyPercent": 0, "strategy": "ROLLING"}),
            ),
            (
                json!({"deploymentController": {"type": "CODE_DEPLOY"}}),
                json!({"maximumPercent": 200, "minimumHealthyPercent": 100}),
            ),
            (
                json!({"deploymentConfiguration": {"strategy": "LINEAR"}}),
                json!({"deploymentCircuitBreaker": {"enable": false, "rollback": false},
                    "maximumPercent": 200, "minimumHealthyPercent": 100, "strategy": "LINEAR",
                    "linearConfiguration": {"stepPercent": 10, "stepBakeTimeInMinutes": 6}}),
            ),
            (
                json!({"deploymentConfiguration": {"strategy": "CANARY", "canaryConfiguration": {"canaryPercent": 5.0}}}),
                json!({"deploymentCircuitBreaker": {"enable": false, "rollback": false},
                    "maximumPercent": 200, "minimumHealthyPercent": 100, "strategy": "CANARY",
                    "canaryConfiguration": {"canaryPercent": 5, "canaryBakeTimeInMinutes": 10}}),
            ),
            (
                json!({"deploymentConfiguration": {"strategy": "BLUE_GREEN", "bakeTimeInMinutes": 5,
                    "lifecycleHooks": [{"hookTargetArn": "arn:fn", "lifecycleStages": ["POST_SCALE_UP"]}]}}),
                json!({"deploymentCircuitBreaker": {"enable": false, "rollback": false},
                    "maximumPercent": 200, "minimumHealthyPercent": 100, "strategy": "BLUE_GREEN",
                    "bakeTimeInMinutes": 5,
                    "lifecycleHooks": [{"hookTargetArn": "arn:fn", "lifecycleStages": ["POST_SCALE_UP"],
                        "targetType": "AWS_LAMBDA",
                        "timeoutConfiguration": {"timeoutInMinutes": 1440, "action": "ROLLBACK"}}]}),
            ),
        ];
        for (given, want) in cases {
            assert_eq!(
                norm(given.clone())["deploymentConfiguration"],
                want,
                "{given}"
            );
        }
    }

    #[test]
    fn defaults_equal_to_absence_are_dropped() {
        let cases = [
            json!({"deploymentConfiguration": {"bakeTimeInMinutes": 0}}),
            json!({"deploymentConfiguration": {"alarms": {"alarmNames": [], "enable": false, "rollback": false}}}),
            json!({"deploymentConfiguration": {"earlySuccessCriteria": {"enable": false}}}),
            json!({"deploymentConfiguration": {"deploymentCircuitBreaker": {
                "enable": false, "rollback": false, "resetOnHealthyTask": true,
                "thresholdConfiguration": {"type": "BOUNDED_PERCENT", "value": 50}}}}),
            json!({"healthCheckGracePeriodSeconds": 0}),
            json!({"serviceConnectConfiguration": {"enabled": false}}),
            json!({"loadBalancers": [], "serviceRegistries": [], "placementConstraints": [],
                "placementStrategy": [], "tags": [], "volumeConfigurations": []}),
            json!({"enableFaultInjection": null, "monitoring": {}}),
        ];
        for given in cases {
            assert_eq!(norm(given.clone()), bare(), "{given}");
        }
        for not_default in [
            json!({"deploymentConfiguration": {"alarms": {"alarmNames": ["a"], "enable": true, "rollback": true}}}),
            json!({"healthCheckGracePeriodSeconds": 30}),
            json!({"serviceConnectConfiguration": {"enabled": true, "namespace": "ns"}}),
            json!({"deploymentConfiguration": {"deploymentCircuitBreaker": {
                "enable": true, "rollback": true, "thresholdConfiguration": {"type": "COUNT", "value": 3}}}}),
        ] {
            assert_ne!(norm(not_default.clone()), bare(), "{not_default}");
        }
    }

    #[test]
    fn desired_count_only_when_the_file_sets_it() {
        let live = json!({"desiredCount": 5});
        let local_without = json!({});
        let local_with = json!({"desiredCount": 2});
        let o = NormalizeOptions::default().for_service_pair(Some(&live), &local_without);
        assert_eq!(
            service_for_diff(&live, &o),
            service_for_diff(&local_without, &o)
        );
        let o = NormalizeOptions::default().for_service_pair(Some(&live), &local_with);
        assert_eq!(service_for_diff(&live, &o)["desiredCount"], 5);
        assert_eq!(service_for_diff(&local_with, &o)["desiredCount"], 2);
        // DAEMON: never.
        let daemon = json!({"schedulingStrategy": "DAEMON", "desiredCount": 3});
        assert!(norm(daemon).get("desiredCount").is_none());
    }

    #[test]
    fn az_rebalancing_only_when_the_file_sets_it() {
        // CreateService defaults to ENABLED, UpdateService keeps the current value.
        let live = json!({"availabilityZoneRebalancing": "ENABLED"});
        let o = NormalizeOptions::default().for_service_pair(Some(&live), &json!({}));
        assert!(
            service_for_diff(&live, &o)
                .get("availabilityZoneRebalancing")
                .is_none()
        );
        let local = json!({"availabilityZoneRebalancing": "DISABLED"});
        let o = NormalizeOptions::default().for_service_pair(Some(&live), &local);
        assert_eq!(
            service_for_diff(&live, &o)["availabilityZoneRebalancing"],
            "ENABLED"
        );
        // Never set on the live side → DISABLED.
        assert_eq!(
            service_for_diff(&json!({}), &o)["availabilityZoneRebalancing"],
            "DISABLED"
        );
    }

    #[test]
    fn launch_settings_only_when_the_file_sets_them() {
        let live = json!({"capacityProviderStrategy": [{"capacityProvider": "FARGATE", "weight": 1}],
            "platformVersion": "LATEST"});
        let o = NormalizeOptions::default().for_service_pair(Some(&live), &json!({}));
        let n = service_for_diff(&live, &o);
        assert!(n.get("capacityProviderStrategy").is_none() && n.get("platformVersion").is_none());
        assert_eq!(n, service_for_diff(&json!({}), &o));
        // A pinned platform version is still compared.
        let pinned = json!({"launchType": "EC2", "platformVersion": "1.4.0"});
        assert_eq!(service_for_diff(&pinned, &o)["platformVersion"], "1.4.0");
        let local = json!({"launchType": "FARGATE"});
        let o = NormalizeOptions::default().for_service_pair(Some(&live), &local);
        assert_ne!(service_for_diff(&live, &o), service_for_diff(&local, &o));
    }

    #[test]
    fn primary_deployment_members_are_copied_up() {
        let live = json!({"deployments": [
            {"status": "ACTIVE", "volumeConfigurations": [{"name": "old"}]},
            {"status": "PRIMARY", "serviceConnectConfiguration": {"enabled": true, "namespace": "ns"},
             "volumeConfigurations": [{"name": "v"}]}
        ]});
        let n = norm(live);
        assert_eq!(
            n["serviceConnectConfiguration"],
            json!({"enabled": true, "namespace": "ns"})
        );
        assert_eq!(n["volumeConfigurations"], json!([{"name": "v"}]));
    }

    #[test]
    fn role_is_compared_by_name_and_service_linked_role_ignored() {
        let cases = [
            (
                json!({"roleArn": "arn:aws:iam::1:role/aws-service-role/ecs.amazonaws.com/AWSServiceRoleForECS"}),
                None,
            ),
            (
                json!({"roleArn": "arn:aws:iam::1:role/path/ecsService"}),
                Some("ecsService"),
            ),
            (json!({"role": "ecsService"}), Some("ecsService")),
            (
                json!({"role": "arn:aws:iam::1:role/ecsService"}),
                Some("ecsService"),
            ),
        ];
        for (given, want) in cases {
            assert_eq!(
                norm(given.clone()).get("role").and_then(Value::as_str),
                want,
                "{given}"
            );
        }
    }

    #[test]
    fn order_insensitive_lists_sorted_placement_strategy_kept() {
        let a = norm(json!({
            "placementConstraints": [{"type": "memberOf", "expression": "b"}, {"type": "distinctInstance"}],
            "placementStrategy": [{"type": "spread", "field": "attribute:ecs.availability-zone"}, {"type": "binpack", "field": "memory"}],
            "volumeConfigurations": [{"name": "b"}, {"name": "a"}],
            "vpcLatticeConfigurations": [{"portName": "y", "roleArn": "r", "targetGroupArn": "t"}, {"portName": "x", "roleArn": "r", "targetGroupArn": "t"}],
            "tags": [{"key": "b", "value": "1"}, {"key": "a", "value": "2"}],
        }));
        let b = norm(json!({
            "placementConstraints": [{"type": "distinctInstance"}, {"type": "memberOf", "expression": "b"}],
            "placementStrategy": [{"type": "spread", "field": "attribute:ecs.availability-zone"}, {"type": "binpack", "field": "memory"}],
            "volumeConfigurations": [{"name": "a"}, {"name": "b"}],
            "vpcLatticeConfigurations": [{"portName": "x", "roleArn": "r", "targetGroupArn": "t"}, {"portName": "y", "roleArn": "r", "targetGroupArn": "t"}],
            "tags": [{"key": "a", "value": "2"}, {"key": "b", "value": "1"}],
        }));
        assert_eq!(a, b);
        let reversed = norm(json!({
            "placementConstraints": [{"type": "distinctInstance"}, {"type": "memberOf", "expression": "b"}],
            "placementStrategy": [{"type": "binpack", "field": "memory"}, {"type": "spread", "field": "attribute:ecs.availability-zone"}],
            "volumeConfigurations": [{"name": "a"}, {"name": "b"}],
            "vpcLatticeConfigurations": [{"portName": "x", "roleArn": "r", "targetGroupArn": "t"}, {"portName": "y", "roleArn": "r", "targetGroupArn": "t"}],
            "tags": [{"key": "a", "value": "2"}, {"key": "b", "value": "1"}],
        }));
        assert_ne!(a, reversed, "placement strategies apply in order");
        let daemon = norm(
            json!({"schedulingStrategy": "DAEMON", "placementStrategy": [{"type": "random"}]}),
        );
        assert!(daemon.get("placementStrategy").is_none());
    }

    #[test]
    fn code_deploy_services_ignore_target_group_swaps() {
        let lb = |tg: &str| {
            json!({"deploymentController": {"type": "CODE_DEPLOY"}, "loadBalancers": [
                {"targetGroupArn": tg, "containerName": "app", "containerPort": 80}]})
        };
        let (blue, green) = (lb("arn:tg/blue"), lb("arn:tg/green"));
        let o = NormalizeOptions::default().for_service_pair(Some(&green), &blue);
        assert_eq!(service_for_diff(&blue, &o), service_for_diff(&green, &o));
        assert_eq!(
            service_for_diff(&blue, &o)["loadBalancers"],
            json!([{"containerName": "app", "containerPort": 80}])
        );
        // ECS controller: a target group change is a change.
        let o = NormalizeOptions::default();
        assert_ne!(service_for_diff(&blue, &o), service_for_diff(&green, &o));
    }

    #[test]
    fn ignored_tags_are_removed() {
        let v = json!({"tags": [{"key": "LastDeployedBy", "value": "ci"}]});
        let o = NormalizeOptions::new(&["LastDeployedBy".to_owned()]);
        assert_eq!(service_for_diff(&v, &o), bare());
    }

    #[test]
    fn native_strategy_members_diff_empty_against_what_aws_returns() {
        // (file, what DescribeServices returns for it)
        let rule = "arn:aws:elasticloadbalancing:us-east-1:1:listener-rule/app/web/1/2/3";
        let lb = json!([{"targetGroupArn": "arn:tg/blue", "containerName": "app", "containerPort": 80,
            "advancedConfiguration": {"alternateTargetGroupArn": "arn:tg/green",
                "productionListenerRule": rule, "testListenerRule": rule, "roleArn": "arn:role/infra"}}]);
        let sc = json!({"enabled": true, "namespace": "ns", "services": [{"portName": "http",
            "clientAliases": [{"port": 80, "dnsName": "web",
                "testTrafficRules": {"header": {"name": "x-canary", "value": {"exact": "1"}}}}]}]});
        let cases = [
            (
                json!({"deploymentConfiguration": {"strategy": "BLUE_GREEN", "bakeTimeInMinutes": 5,
                    "lifecycleHooks": [
                        {"targetType": "PAUSE", "lifecycleStages": ["POST_TEST_TRAFFIC_SHIFT", "POST_SCALE_UP"]},
                        {"hookTargetArn": "arn:fn", "roleArn": "arn:role/hook",
                         "lifecycleStages": ["PRE_PRODUCTION_TRAFFIC_SHIFT"], "hookDetails": {"k": "v"}}]},
                    "loadBalancers": lb, "serviceConnectConfiguration": sc}),
                json!({"deploymentConfiguration": {"strategy": "BLUE_GREEN", "bakeTimeInMinutes": 5,
                    "maximumPercent": 200, "minimumHealthyPercent": 100,
                    "deploymentCircuitBreaker": {"enable": false, "rollback": false},
                    "lifecycleHooks": [
                        {"targetType": "PAUSE", "lifecycleStages": ["POST_SCALE_UP", "POST_TEST_TRAFFIC_SHIFT"],
                         "timeoutConfiguration": {"timeoutInMinutes": 1440, "action": "ROLLBACK"}},
                        {"targetType": "AWS_LAMBDA", "hookTargetArn": "arn:fn", "roleArn": "arn:role/hook",
                         "lifecycleStages": ["PRE_PRODUCTION_TRAFFIC_SHIFT"], "hookDetails": {"k": "v"},
                         "timeoutConfiguration": {"timeoutInMinutes": 1440, "action": "ROLLBACK"}}]},
                    "loadBalancers": lb, "serviceConnectConfiguration": sc}),
            ),
            (
                json!({"deploymentConfiguration": {"strategy": "LINEAR", "bakeTimeInMinutes": 1,
                    "linearConfiguration": {"stepPercent": 25.0}}}),
                json!({"deploymentConfiguration": {"strategy": "LINEAR", "bakeTimeInMinutes": 1,
                    "linearConfiguration": {"stepPercent": 25.0, "stepBakeTimeInMinutes": 6},
                    "deploymentCircuitBreaker": {"enable": false, "rollback": false},
                    "maximumPercent": 200, "minimumHealthyPercent": 100}}),
            ),
        ];
        for (file, live) in cases {
            assert_eq!(norm(file.clone()), norm(live.clone()), "{file}");
        }
        // A hook's timeout that differs from AWS's default is a difference.
        let pause = |tc: Value| {
            json!({"deploymentConfiguration": {"strategy": "BLUE_GREEN", "lifecycleHooks": [
                {"targetType": "PAUSE", "lifecycleStages": ["POST_TEST_TRAFFIC_SHIFT"], "timeoutConfiguration": tc}]}})
        };
        assert_ne!(
            norm(pause(json!({"timeoutInMinutes": 60}))),
            norm(pause(json!(null)))
        );
        assert_eq!(
            norm(pause(json!({"action": "ROLLBACK"}))),
            norm(pause(json!(null)))
        );
    }
}
