//! Task definition rules (see the parent module for the canonical form).
//!
//! Each rule is a small function over one JSON object, in the order
//! [`task_definition_for_diff`] applies them. They take the RegisterTaskDefinition/
//! DescribeTaskDefinition camelCase shape.

use serde_json::{Map, Value, json};

use super::{
    NormalizeOptions, drop_default, fill, json_text, prune, sort_by_json, sort_by_member, tags,
};

/// Members DescribeTaskDefinition returns that RegisterTaskDefinition does not take (AWS API
/// reference, `TaskDefinition`): identity, status and what ECS derives from the rest.
pub use crate::model::revision::TASK_DEFINITION_READ_ONLY as READ_ONLY;

/// The canonical form of a task definition: a register input with AWS's defaults, sorted
/// where order means nothing. Accepts the describe output (`{"taskDefinition": …, "tags": …}`)
/// as well as a plain definition. Anything else (not an object) is returned unchanged.
pub fn task_definition_for_diff(v: &Value, opts: &NormalizeOptions) -> Value {
    let Some(mut m) = unwrap(v) else {
        return v.clone();
    };
    strip_read_only(&mut m);
    let mut out = Value::Object(m);
    prune(&mut out);
    if let Some(m) = out.as_object_mut() {
        task_size(m);
        let mode = network_mode(m).to_owned();
        if let Some(Value::Array(containers)) = m.get_mut("containerDefinitions") {
            for c in containers.iter_mut().filter_map(Value::as_object_mut) {
                container_defaults(c);
                port_mappings(c, &mode);
                health_check_defaults(c);
                container_lists(c);
            }
        }
        sort_by_member(m, "containerDefinitions", "name");
        task_lists(m);
        volume_defaults(m);
        drop_default(m, "enableFaultInjection", &json!(false));
        tags(m, &opts.ignore_tags);
    }
    prune(&mut out);
    out
}

/// `{"taskDefinition": {...}, "tags": [...]}` (DescribeTaskDefinition output, which users paste
/// into files) → the inner object with `tags` moved inside.
fn unwrap(v: &Value) -> Option<Map<String, Value>> {
    let m = v.as_object()?;
    if let Some(Value::Object(inner)) = m.get("taskDefinition")
        && m.keys().all(|k| k == "taskDefinition" || k == "tags")
    {
        let mut inner = inner.clone();
        if let Some(t) = m.get("tags")
            && !inner.contains_key("tags")
        {
            inner.insert("tags".into(), t.clone());
        }
        return Some(inner);
    }
    Some(m.clone())
}

/// Remove [`READ_ONLY`] members.
fn strip_read_only(m: &mut Map<String, Value>) {
    for k in READ_ONLY {
        m.remove(*k);
    }
}

/// Task `cpu`/`memory`: RegisterTaskDefinition accepts `"0.25 vCPU"` and `"1 GB"` (or `1GB`) and
/// AWS stores and returns CPU units and MiB as strings (`"256"`, `"1024"`); a JSON number is
/// the same value.
fn task_size(m: &mut Map<String, Value>) {
    if let Some(c) = m.get("cpu").and_then(|v| size(v, "vcpu")) {
        m.insert("cpu".into(), Value::String(c));
    }
    if let Some(mem) = m.get("memory").and_then(|v| size(v, "gb")) {
        m.insert("memory".into(), Value::String(mem));
    }
}

/// `"<n> <unit>"` (case-insensitive) → `n × 1024` as text; plain numbers as text; anything
/// else `None` (left as written: ECS will reject it, and the diff should show it).
fn size(v: &Value, unit: &str) -> Option<String> {
    match v {
        Value::Number(n) => Some(n.to_string()),
        Value::String(s) => {
            let t = s.trim();
            let lower = t.to_ascii_lowercase();
            if let Some(n) = lower.strip_suffix(unit) {
                let f: f64 = n.trim().parse().ok()?;
                let units = f * 1024.0;
                (units >= 0.0 && units.fract() == 0.0).then(|| format!("{}", units as u64))
            } else {
                t.parse::<u64>().ok().map(|n| n.to_string())
            }
        }
        _ => None,
    }
}

/// The effective network mode: `bridge` when omitted (AWS: "If no network mode is specified,
/// the default is bridge").
fn network_mode(m: &Map<String, Value>) -> &str {
    m.get("networkMode")
        .and_then(Value::as_str)
        .unwrap_or("bridge")
}

/// Container defaults AWS fills in on RegisterTaskDefinition and returns from
/// DescribeTaskDefinition: `essential: true` (ContainerDefinition: "If the essential parameter
/// of a container is marked as true ... All tasks must have at least one essential container";
/// omitted means true), `cpu: 0` (the SDK's `cpu` is a plain integer, so it is always
/// reported). `versionConsistency` defaults to `enabled` and `restartPolicy {enabled: false}`
/// is the default behaviour, so both are the same as absent.
fn container_defaults(c: &mut Map<String, Value>) {
    fill(c, "essential", json!(true));
    fill(c, "cpu", json!(0));
    drop_default(c, "versionConsistency", &json!("enabled"));
    drop_default(c, "restartPolicy", &json!({"enabled": false}));
}

/// Port mappings: `protocol` defaults to `tcp`; with `awsvpc` and `host` networking the host
/// port must equal the container port and AWS fills it in when omitted (or given as 0); with
/// `bridge` a host port of 0 and an omitted one both mean "dynamic", kept absent. Sorted:
/// their order means nothing to ECS.
fn port_mappings(c: &mut Map<String, Value>, mode: &str) {
    if let Some(Value::Array(list)) = c.get_mut("portMappings") {
        for pm in list.iter_mut().filter_map(Value::as_object_mut) {
            fill(pm, "protocol", json!("tcp"));
            let container_port = pm.get("containerPort").and_then(Value::as_i64);
            let host_port = pm.get("hostPort").and_then(Value::as_i64);
            match (mode, container_port, host_port) {
                ("awsvpc" | "host", Some(cp), None | Some(0)) => {
                    pm.insert("hostPort".into(), json!(cp));
                }
                ("bridge", _, Some(0)) => {
                    pm.remove("hostPort");
                }
                _ => {}
            }
        }
    }
    sort_by_json(c, "portMappings");
}

/// `healthCheck` defaults (AWS API reference, HealthCheck): `interval` 30, `timeout` 5,
/// `retries` 3; DescribeTaskDefinition returns them filled in. `startPeriod` is off by default
/// and stays absent.
fn health_check_defaults(c: &mut Map<String, Value>) {
    if let Some(hc) = c.get_mut("healthCheck").and_then(Value::as_object_mut) {
        fill(hc, "interval", json!(30));
        fill(hc, "timeout", json!(5));
        fill(hc, "retries", json!(3));
    }
}

/// Order-insensitive container lists: `environment` and `secrets` by name (names are unique;
/// ECS sets them as a map), `mountPoints` and `volumesFrom` by JSON text, `ulimits` by name,
/// `systemControls` by namespace, `dependsOn` by container name. `command`, `entryPoint`,
/// `environmentFiles` (first file wins on duplicates), `dnsServers` and `extraHosts` keep
/// their order: it matters.
fn container_lists(c: &mut Map<String, Value>) {
    sort_by_member(c, "environment", "name");
    sort_by_member(c, "secrets", "name");
    sort_by_json(c, "mountPoints");
    sort_by_json(c, "volumesFrom");
    sort_by_member(c, "ulimits", "name");
    sort_by_member(c, "systemControls", "namespace");
    sort_by_member(c, "dependsOn", "containerName");
}

/// Task-level order-insensitive lists: `requiresCompatibilities` (a set), `volumes` by name
/// (unique), `placementConstraints` by JSON text, `proxyConfiguration.properties` by name.
/// `proxyConfiguration.type` defaults to `APPMESH`, its only value.
fn task_lists(m: &mut Map<String, Value>) {
    if let Some(Value::Array(a)) = m.get_mut("requiresCompatibilities") {
        a.sort_by_cached_key(json_text);
    }
    sort_by_member(m, "volumes", "name");
    sort_by_json(m, "placementConstraints");
    if let Some(p) = m
        .get_mut("proxyConfiguration")
        .and_then(Value::as_object_mut)
    {
        fill(p, "type", json!("APPMESH"));
        sort_by_member(p, "properties", "name");
    }
}

/// EFS volume defaults (AWS API reference, EFSVolumeConfiguration): `rootDirectory` `/` and
/// `transitEncryption` `DISABLED` are what an omitted member means.
fn volume_defaults(m: &mut Map<String, Value>) {
    if let Some(Value::Array(vols)) = m.get_mut("volumes") {
        for efs in vols
            .iter_mut()
            .filter_map(|v| v.get_mut("efsVolumeConfiguration"))
            .filter_map(Value::as_object_mut)
        {
            drop_default(efs, "rootDirectory", &json!("/"));
            drop_default(efs, "transitEncryption", &json!("DISABLED"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn norm(v: Value) -> Value {
        task_definition_for_diff(&v, &NormalizeOptions::default())
    }

    /// A minimal valid definition with one container `c` (the field under test merged in).
    fn td_with_container(container: Value) -> Value {
        let mut c = json!({"name": "app", "image": "nginx"});
        if let (Some(base), Some(extra)) = (c.as_object_mut(), container.as_object()) {
            for (k, v) in extra {
                base.insert(k.clone(), v.clone());
            }
        }
        json!({"family": "f", "containerDefinitions": [c]})
    }

    #[test]
    fn read_only_fields_are_stripped() {
        // DescribeTaskDefinition returns these; RegisterTaskDefinition does not take them.
        let base = json!({"family": "f", "containerDefinitions": [{"name": "a", "image": "i"}]});
        for k in READ_ONLY {
            let mut v = base.clone();
            v[*k] = json!("x");
            assert_eq!(norm(v), norm(base.clone()), "{k} must be stripped");
        }
    }

    #[test]
    fn describe_output_wrapper_is_unwrapped_with_its_tags() {
        let inner = json!({"family": "f", "containerDefinitions": [{"name": "a", "image": "i"}]});
        let cases = [
            (
                json!({"taskDefinition": inner.clone(), "tags": [{"key": "k", "value": "v"}]}),
                true,
            ),
            (json!({"taskDefinition": inner.clone()}), false),
        ];
        for (wrapped, with_tags) in cases {
            let mut want = inner.clone();
            if with_tags {
                want["tags"] = json!([{"key": "k", "value": "v"}]);
            }
            assert_eq!(norm(wrapped.clone()), norm(want), "{wrapped}");
        }
        // Not a wrapper: another top-level member next to it.
        let other = json!({"taskDefinition": inner, "family": "g"});
        assert!(norm(other).get("taskDefinition").is_some());
    }

    #[test]
    fn task_cpu_and_memory_units_are_aws_canonical_strings() {
        // RegisterTaskDefinition accepts "0.25 vCPU"/"1 GB" and returns "256"/"1024".
        let cases = [
            ("cpu", json!("0.25 vCPU"), json!("256")),
            ("cpu", json!("0.5vcpu"), json!("512")),
            ("cpu", json!("4 VCPU"), json!("4096")),
            ("cpu", json!(" 1024 "), json!("1024")),
            ("cpu", json!(256), json!("256")),
            ("cpu", json!("lots"), json!("lots")),
            ("memory", json!("1 GB"), json!("1024")),
            ("memory", json!("0.5GB"), json!("512")),
            ("memory", json!("4gb"), json!("4096")),
            ("memory", json!("2048"), json!("2048")),
            ("memory", json!(512), json!("512")),
        ];
        for (k, given, want) in cases {
            let mut v = td_with_container(json!({}));
            v[k] = given.clone();
            assert_eq!(norm(v)[k], want, "{k}: {given}");
        }
    }

    #[test]
    fn container_defaults_are_filled() {
        // Omitted essential is true; cpu is always reported (0 when unset).
        let cases = [
            (json!({}), json!(true), json!(0)),
            (
                json!({"essential": false, "cpu": 128}),
                json!(false),
                json!(128),
            ),
            (json!({"essential": null}), json!(true), json!(0)),
        ];
        for (given, essential, cpu) in cases {
            let n = norm(td_with_container(given.clone()));
            let c = &n["containerDefinitions"][0];
            assert_eq!((&c["essential"], &c["cpu"]), (&essential, &cpu), "{given}");
        }
    }

    #[test]
    fn defaults_equal_to_absence_are_dropped() {
        let cases = [
            json!({"versionConsistency": "enabled"}),
            json!({"restartPolicy": {"enabled": false}}),
            json!({"environment": [], "mountPoints": [], "volumesFrom": [], "systemControls": [], "portMappings": []}),
            json!({"linuxParameters": {}, "dockerLabels": {}}),
        ];
        let plain = norm(td_with_container(json!({})));
        for given in cases {
            assert_eq!(norm(td_with_container(given.clone())), plain, "{given}");
        }
        // Not defaults: kept.
        for given in [
            json!({"versionConsistency": "disabled"}),
            json!({"restartPolicy": {"enabled": true}}),
        ] {
            assert_ne!(norm(td_with_container(given.clone())), plain, "{given}");
        }
        let mut td = td_with_container(json!({}));
        td["enableFaultInjection"] = json!(false);
        td["volumes"] = json!([]);
        td["placementConstraints"] = json!([]);
        assert_eq!(norm(td), plain);
    }

    #[test]
    fn port_mapping_protocol_and_host_port_defaults_per_network_mode() {
        let cases = [
            // (networkMode, given mapping, expected mapping)
            (
                Some("awsvpc"),
                json!({"containerPort": 80}),
                json!({"containerPort": 80, "hostPort": 80, "protocol": "tcp"}),
            ),
            (
                Some("awsvpc"),
                json!({"containerPort": 80, "hostPort": 0, "protocol": "udp"}),
                json!({"containerPort": 80, "hostPort": 80, "protocol": "udp"}),
            ),
            (
                Some("host"),
                json!({"containerPort": 8080}),
                json!({"containerPort": 8080, "hostPort": 8080, "protocol": "tcp"}),
            ),
            (
                Some("bridge"),
                json!({"containerPort": 80, "hostPort": 0}),
                json!({"containerPort": 80, "protocol": "tcp"}),
            ),
            (
                None,
                json!({"containerPort": 80}),
                json!({"containerPort": 80, "protocol": "tcp"}),
            ),
            (
                None,
                json!({"containerPort": 80, "hostPort": 8080}),
                json!({"containerPort": 80, "hostPort": 8080, "protocol": "tcp"}),
            ),
        ];
        for (mode, given, want) in cases {
            let mut v = td_with_container(json!({"portMappings": [given.clone()]}));
            if let Some(mode) = mode {
                v["networkMode"] = json!(mode);
            }
            let n = norm(v);
            assert_eq!(
                n["containerDefinitions"][0]["portMappings"],
                json!([want]),
                "{mode:?} {given}"
            );
        }
    }

    #[test]
    fn health_check_defaults_are_filled() {
        let given = json!({"healthCheck": {"command": ["CMD", "true"]}});
        let want = json!({"command": ["CMD", "true"], "interval": 30, "timeout": 5, "retries": 3});
        assert_eq!(
            norm(td_with_container(given))["containerDefinitions"][0]["healthCheck"],
            want
        );
        let set =
            json!({"healthCheck": {"command": ["CMD", "true"], "interval": 10, "retries": 1}});
        assert_eq!(
            norm(td_with_container(set))["containerDefinitions"][0]["healthCheck"],
            json!({"command": ["CMD", "true"], "interval": 10, "timeout": 5, "retries": 1})
        );
    }

    #[test]
    fn order_insensitive_container_lists_are_sorted_and_ordered_ones_kept() {
        let a = td_with_container(json!({
            "environment": [{"name": "B", "value": "2"}, {"name": "A", "value": "1"}],
            "secrets": [{"name": "S2", "valueFrom": "x"}, {"name": "S1", "valueFrom": "y"}],
            "mountPoints": [{"sourceVolume": "b", "containerPath": "/b"}, {"sourceVolume": "a", "containerPath": "/a"}],
            "volumesFrom": [{"sourceContainer": "z"}, {"sourceContainer": "y"}],
            "ulimits": [{"name": "nproc", "softLimit": 1, "hardLimit": 1}, {"name": "nofile", "softLimit": 2, "hardLimit": 2}],
            "systemControls": [{"namespace": "net.b", "value": "1"}, {"namespace": "net.a", "value": "0"}],
            "dependsOn": [{"containerName": "z", "condition": "START"}, {"containerName": "a", "condition": "START"}],
            "portMappings": [{"containerPort": 9000}, {"containerPort": 80}],
            "command": ["b", "a"],
            "entryPoint": ["sh", "-c"],
            "environmentFiles": [{"value": "arn:b", "type": "s3"}, {"value": "arn:a", "type": "s3"}],
        }));
        let b = td_with_container(json!({
            "environment": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}],
            "secrets": [{"name": "S1", "valueFrom": "y"}, {"name": "S2", "valueFrom": "x"}],
            "mountPoints": [{"sourceVolume": "a", "containerPath": "/a"}, {"sourceVolume": "b", "containerPath": "/b"}],
            "volumesFrom": [{"sourceContainer": "y"}, {"sourceContainer": "z"}],
            "ulimits": [{"name": "nofile", "softLimit": 2, "hardLimit": 2}, {"name": "nproc", "softLimit": 1, "hardLimit": 1}],
            "systemControls": [{"namespace": "net.a", "value": "0"}, {"namespace": "net.b", "value": "1"}],
            "dependsOn": [{"containerName": "a", "condition": "START"}, {"containerName": "z", "condition": "START"}],
            "portMappings": [{"containerPort": 80}, {"containerPort": 9000}],
            "command": ["b", "a"],
            "entryPoint": ["sh", "-c"],
            "environmentFiles": [{"value": "arn:b", "type": "s3"}, {"value": "arn:a", "type": "s3"}],
        }));
        assert_eq!(norm(a), norm(b.clone()));
        for (member, reordered) in [
            ("command", json!(["a", "b"])),
            ("entryPoint", json!(["-c", "sh"])),
            (
                "environmentFiles",
                json!([{"value": "arn:a", "type": "s3"}, {"value": "arn:b", "type": "s3"}]),
            ),
        ] {
            let mut c = b.clone();
            c["containerDefinitions"][0][member] = reordered;
            assert_ne!(norm(c), norm(b.clone()), "{member} order matters");
        }
    }

    #[test]
    fn task_level_lists_are_sorted() {
        let a = json!({
            "family": "f",
            "containerDefinitions": [{"name": "web", "image": "w"}, {"name": "app", "image": "a"}],
            "requiresCompatibilities": ["FARGATE", "EC2"],
            "volumes": [{"name": "v2"}, {"name": "v1"}],
            "placementConstraints": [{"type": "memberOf", "expression": "b"}, {"type": "memberOf", "expression": "a"}],
            "proxyConfiguration": {"containerName": "envoy", "properties": [{"name": "B", "value": "2"}, {"name": "A", "value": "1"}]},
            "tags": [{"key": "z", "value": "1"}, {"key": "a", "value": "2"}],
        });
        let b = json!({
            "family": "f",
            "containerDefinitions": [{"name": "app", "image": "a"}, {"name": "web", "image": "w"}],
            "requiresCompatibilities": ["EC2", "FARGATE"],
            "volumes": [{"name": "v1"}, {"name": "v2"}],
            "placementConstraints": [{"type": "memberOf", "expression": "a"}, {"type": "memberOf", "expression": "b"}],
            "proxyConfiguration": {"type": "APPMESH", "containerName": "envoy", "properties": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}]},
            "tags": [{"key": "a", "value": "2"}, {"key": "z", "value": "1"}],
        });
        let n = norm(a);
        assert_eq!(n, norm(b));
        assert_eq!(n["containerDefinitions"][0]["name"], "app");
    }

    #[test]
    fn efs_volume_defaults_equal_absence() {
        let with = json!({"family": "f", "containerDefinitions": [{"name": "a", "image": "i"}],
            "volumes": [{"name": "d", "host": {}, "efsVolumeConfiguration": {"fileSystemId": "fs-1", "rootDirectory": "/", "transitEncryption": "DISABLED"}}]});
        let without = json!({"family": "f", "containerDefinitions": [{"name": "a", "image": "i"}],
            "volumes": [{"name": "d", "efsVolumeConfiguration": {"fileSystemId": "fs-1"}}]});
        assert_eq!(norm(with), norm(without.clone()));
        let other = json!({"family": "f", "containerDefinitions": [{"name": "a", "image": "i"}],
            "volumes": [{"name": "d", "efsVolumeConfiguration": {"fileSystemId": "fs-1", "rootDirectory": "/data"}}]});
        assert_ne!(norm(other), norm(without));
    }

    #[test]
    fn ignored_tags_are_removed() {
        let mut v = td_with_container(json!({}));
        v["tags"] = json!([{"key": "LastDeployedBy", "value": "x"}, {"key": "team", "value": "a"}]);
        let o = NormalizeOptions::new(&["LastDeployedBy".to_owned()]);
        assert_eq!(
            task_definition_for_diff(&v, &o)["tags"],
            json!([{"key": "team", "value": "a"}])
        );
        v["tags"] = json!([{"key": "LastDeployedBy", "value": "x"}]);
        assert!(task_definition_for_diff(&v, &o).get("tags").is_none());
    }

    #[test]
    fn non_objects_pass_through() {
        assert_eq!(norm(json!(null)), json!(null));
        assert_eq!(norm(json!([1])), json!([1]));
    }
}
