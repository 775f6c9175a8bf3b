//! `ecspress run`: the pure rules of a one-off task (reference ecspresso.md §1.15) — which
//! container decides the exit code, what the RunTask input copies from the service
//! definition, where the container's awslogs stream is, and how the stopped tasks become one
//! process exit status.
//!
//! Kept free of I/O so each rule is table-tested; `ops::run` only sequences the calls.

use serde_json::{Map, Value};

use crate::exit::ExitStatus;

/// RunTask's `count` limit (ECS: "between 1 and 10").
pub const MAX_COUNT: u32 = 10;

/// `--count N`: 1..=10.
pub fn check_count(n: u32) -> Result<(), String> {
    if (1..=MAX_COUNT).contains(&n) {
        Ok(())
    } else {
        Err(format!(
            "--count {n}: RunTask starts 1 to {MAX_COUNT} tasks per call"
        ))
    }
}

/// The task id: the last segment of a task ARN (`arn:...:task/cluster/ID` → `ID`).
pub fn task_id(arn: &str) -> &str {
    arn.rsplit('/').next().unwrap_or(arn)
}

fn containers(task_definition: &Value) -> &[Value] {
    task_definition
        .get("containerDefinitions")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

fn name_of(c: &Value) -> &str {
    c.get("name").and_then(Value::as_str).unwrap_or_default()
}

/// The container whose exit code is the run's: `--watch-container` (which must exist, as
/// ecspresso v2.4.2 checks), else the first essential container (`essential` defaults to
/// true in ECS), else the first.
pub fn watched_container(task_definition: &Value, flag: Option<&str>) -> Result<String, String> {
    let all = containers(task_definition);
    let names: Vec<&str> = all.iter().map(name_of).collect();
    if let Some(want) = flag {
        return if names.contains(&want) {
            Ok(want.to_owned())
        } else {
            Err(format!(
                "--watch-container {want}: the task definition has no such container (it has: {})",
                names.join(", ")
            ))
        };
    }
    all.iter()
        .find(|c| c.get("essential").and_then(Value::as_bool) != Some(false))
        .or_else(|| all.first())
        .map(|c| name_of(c).to_owned())
        .ok_or_else(|| "the task definition has no containerDefinitions".to_owned())
}

/// Where the awslogs driver writes a container's output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogTarget {
    /// `awslogs-group`.
    pub group: String,
    /// `awslogs-region` (None: the project's region).
    pub region: Option<String>,
    /// `awslogs-stream-prefix`.
    pub prefix: String,
}

impl LogTarget {
    /// The stream of one task: `prefix/container/taskId` (the awslogs driver's naming).
    pub fn stream(&self, container: &str, task_arn: &str) -> String {
        format!("{}/{container}/{}", self.prefix, task_id(task_arn))
    }
}

/// The container's awslogs target, or why its logs cannot be streamed: another log driver,
/// or no `awslogs-stream-prefix` (the stream is then named after the Docker container id,
/// which ECS does not report).
pub fn log_target(task_definition: &Value, container: &str) -> Result<LogTarget, String> {
    let c = containers(task_definition)
        .iter()
        .find(|c| name_of(c) == container)
        .ok_or_else(|| format!("no container {container}"))?;
    let cfg = c.get("logConfiguration");
    let driver = cfg.and_then(|l| l.get("logDriver")).and_then(Value::as_str);
    if driver != Some("awslogs") {
        return Err(match driver {
            Some(d) => format!("container {container} logs with the {d} driver, not awslogs"),
            None => format!("container {container} has no logConfiguration"),
        });
    }
    let opt = |k: &str| {
        cfg.and_then(|l| l.pointer(&format!("/options/{k}")))
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    let group = opt("awslogs-group")
        .ok_or_else(|| format!("container {container}: awslogs without awslogs-group"))?;
    let prefix = opt("awslogs-stream-prefix").ok_or_else(|| {
        format!(
            "container {container}: awslogs without awslogs-stream-prefix (the stream name is not predictable)"
        )
    })?;
    Ok(LogTarget {
        group,
        region: opt("awslogs-region"),
        prefix,
    })
}

/// `--overrides`: the RunTask `overrides` (TaskOverride) shape. Checked here: a JSON object,
/// `containerOverrides` a list of objects each naming a container of the task definition
/// (ECS rejects the call otherwise, after the task definition was registered). Unknown
/// members are found by the SDK schema (`aws::codec::unknown_run_task_fields`).
pub fn check_overrides(overrides: &Value, task_definition: &Value) -> Result<(), String> {
    let Some(m) = overrides.as_object() else {
        return Err("--overrides: expected a JSON object (RunTask `overrides`)".into());
    };
    let Some(list) = m.get("containerOverrides") else {
        return Ok(());
    };
    let Some(list) = list.as_array() else {
        return Err("--overrides: containerOverrides must be a list".into());
    };
    let names: Vec<&str> = containers(task_definition).iter().map(name_of).collect();
    for (i, o) in list.iter().enumerate() {
        let name = o.get("name").and_then(Value::as_str).ok_or_else(|| {
            format!("--overrides: containerOverrides[{i}] needs a `name` (the container)")
        })?;
        if !names.contains(&name) {
            return Err(format!(
                "--overrides: containerOverrides[{i}].name {name} is not a container of the task definition (it has: {})",
                names.join(", ")
            ));
        }
    }
    Ok(())
}

/// What `run` asks for, besides the service definition's settings.
#[derive(Debug, Clone, Default)]
pub struct RunPlan<'a> {
    /// Cluster.
    pub cluster: &'a str,
    /// Task definition ARN (or family, for a dry run that would register it).
    pub task_definition: &'a str,
    /// `--count`.
    pub count: u32,
    /// `--started-by`.
    pub started_by: Option<&'a str>,
    /// `--overrides`.
    pub overrides: Option<&'a Value>,
}

/// Service definition members RunTask takes as they are (ecspresso §1.15 step 3).
const FROM_SERVICE: &[&str] = &[
    "networkConfiguration",
    "launchType",
    "capacityProviderStrategy",
    "platformVersion",
    "enableECSManagedTags",
    "placementConstraints",
    "placementStrategy",
    "enableExecuteCommand",
];

/// The RunTask input, and notes about service settings not carried over. Without a service
/// definition (a task-only project) only the cluster's defaults apply (default capacity
/// provider strategy, else EC2), so awsvpc task definitions then need a service file for
/// their subnets.
pub fn run_task_input(plan: &RunPlan<'_>, service: Option<&Value>) -> (Value, Vec<String>) {
    let mut m = Map::new();
    let mut notes = Vec::new();
    m.insert("cluster".into(), plan.cluster.into());
    m.insert("taskDefinition".into(), plan.task_definition.into());
    m.insert("count".into(), plan.count.into());
    if let Some(svc) = service.and_then(Value::as_object) {
        for k in FROM_SERVICE {
            if let Some(v) = svc.get(*k).filter(|v| !v.is_null()) {
                m.insert((*k).into(), v.clone());
            }
        }
        // A service may carry both (UpdateService keeps the old one); RunTask refuses both.
        if m.get("capacityProviderStrategy")
            .and_then(Value::as_array)
            .is_some_and(|a| !a.is_empty())
        {
            m.remove("launchType");
        } else {
            m.remove("capacityProviderStrategy");
        }
        match svc.get("propagateTags").and_then(Value::as_str) {
            // RunTask: "An error will be received if you specify the SERVICE option".
            Some("SERVICE") => notes.push(
                "the service definition's propagateTags SERVICE does not apply to a standalone task; not sent".into(),
            ),
            Some(p) => {
                m.insert("propagateTags".into(), p.into());
            }
            None => {}
        }
        if svc.get("volumeConfigurations").is_some() {
            notes.push(
                "the service definition's volumeConfigurations (service EBS volumes) are not sent to RunTask".into(),
            );
        }
    }
    if let Some(s) = plan.started_by {
        m.insert("startedBy".into(), s.into());
    }
    if let Some(o) = plan.overrides {
        m.insert("overrides".into(), o.clone());
    }
    (Value::Object(m), notes)
}

/// Clamp a container exit code to a process exit code: 0..=255 as is; anything else
/// (Windows codes above 255, negative codes) becomes 255, so that a failure never reads as
/// success (a shell would wrap 256 to 0).
pub fn clamp_exit_code(code: i64) -> u8 {
    u8::try_from(code).unwrap_or(255)
}

/// How one stopped task ended, for its watched container.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TaskEnd {
    /// The container exited with this code.
    Exited(i64),
    /// It never ran to an exit code (TaskFailedToStart, or no exitCode): why.
    Failed(String),
}

/// One stopped DescribeTasks entry → its [`TaskEnd`] for `container`.
pub fn task_end(task: &Value, container: &str) -> TaskEnd {
    let s = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).map(str::to_owned);
    let c = task
        .get("containers")
        .and_then(Value::as_array)
        .and_then(|a| a.iter().find(|c| name_of(c) == container));
    let reason = || {
        c.and_then(|c| s(c, "reason"))
            .or_else(|| s(task, "stoppedReason"))
            .unwrap_or_else(|| "no reason given".into())
    };
    if s(task, "stopCode").as_deref() == Some("TaskFailedToStart") {
        return TaskEnd::Failed(format!("TaskFailedToStart: {}", reason()));
    }
    match c.and_then(|c| c.get("exitCode")).and_then(Value::as_i64) {
        Some(code) => TaskEnd::Exited(code),
        None => TaskEnd::Failed(format!(
            "container {container} has no exit code: {}",
            reason()
        )),
    }
}

/// The run's verdict from its tasks' ends, in RunTask order: the first task that failed or
/// exited non-zero decides (Failed → exit 4, `failed_not_rolled_back`; code N → exit N,
/// clamped); all zero → success. Returns the status and one line for humans.
pub fn run_verdict(ends: &[(String, TaskEnd)], container: &str) -> (ExitStatus, String) {
    for (arn, end) in ends {
        let id = task_id(arn);
        match end {
            TaskEnd::Failed(why) => {
                return (
                    ExitStatus::FailedNotRolledBack,
                    format!("task {id} failed: {why}"),
                );
            }
            TaskEnd::Exited(0) => {}
            TaskEnd::Exited(code) => {
                let clamped = clamp_exit_code(*code);
                let note = if i64::from(clamped) == *code {
                    String::new()
                } else {
                    format!(" (exit code {clamped}: outside 0..=255)")
                };
                return (
                    ExitStatus::TaskExited(clamped),
                    format!("task {id}: container {container} exited with code {code}{note}"),
                );
            }
        }
    }
    let n = ends.len();
    let what = if n == 1 {
        format!(
            "task {}",
            ends.first().map(|(a, _)| task_id(a)).unwrap_or("")
        )
    } else {
        format!("all {n} tasks")
    };
    (
        ExitStatus::Success,
        format!("{what}: container {container} exited with code 0"),
    )
}

/// RunTask `failures[]` as one line each: `arn: reason (detail)`.
pub fn failure_lines(failures: &[Value]) -> Vec<String> {
    failures
        .iter()
        .map(|f| {
            let g = |k: &str| f.get(k).and_then(Value::as_str).unwrap_or_default();
            let mut line = format!("{}: {}", g("arn"), g("reason"));
            if !g("detail").is_empty() {
                line.push_str(&format!(" ({})", g("detail")));
            }
            line
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn td() -> Value {
        json!({"family": "job", "containerDefinitions": [
            {"name": "sidecar", "essential": false, "image": "x"},
            {"name": "app", "image": "y", "logConfiguration": {"logDriver": "awslogs", "options": {
                "awslogs-group": "/ecs/job", "awslogs-region": "eu-west-1", "awslogs-stream-prefix": "ecs"}}},
            {"name": "fluent", "image": "z", "logConfiguration": {"logDriver": "awsfirelens"}},
            {"name": "noprefix", "image": "z", "logConfiguration": {"logDriver": "awslogs", "options": {"awslogs-group": "g"}}}
        ]})
    }

    #[test]
    fn counts() {
        for (n, ok) in [(0, false), (1, true), (10, true), (11, false)] {
            assert_eq!(check_count(n).is_ok(), ok, "{n}");
        }
    }

    #[test]
    fn watched_container_choice() {
        let cases: [(Option<&str>, Result<&str, &str>); 3] = [
            (None, Ok("app")),
            (Some("sidecar"), Ok("sidecar")),
            (
                Some("nope"),
                Err("no such container (it has: sidecar, app, fluent, noprefix)"),
            ),
        ];
        for (flag, want) in cases {
            let got = watched_container(&td(), flag);
            match want {
                Ok(w) => assert_eq!(got.as_deref(), Ok(w)),
                Err(w) => assert!(got.as_ref().unwrap_err().contains(w), "{got:?}"),
            }
        }
        // No essential container: the first.
        let all_optional = json!({"containerDefinitions": [{"name": "a", "essential": false}]});
        assert_eq!(watched_container(&all_optional, None).as_deref(), Ok("a"));
        assert!(watched_container(&json!({}), None).is_err());
    }

    #[test]
    fn log_targets_and_stream_names() {
        let t = log_target(&td(), "app").unwrap();
        assert_eq!(
            t,
            LogTarget {
                group: "/ecs/job".into(),
                region: Some("eu-west-1".into()),
                prefix: "ecs".into()
            }
        );
        assert_eq!(
            t.stream("app", "arn:aws:ecs:eu-west-1:1:task/prod/0123abcd"),
            "ecs/app/0123abcd"
        );
        for (container, why) in [
            ("sidecar", "has no logConfiguration"),
            ("fluent", "awsfirelens driver"),
            ("noprefix", "without awslogs-stream-prefix"),
        ] {
            let e = log_target(&td(), container).unwrap_err();
            assert!(e.contains(why), "{container}: {e}");
        }
    }

    #[test]
    fn overrides_are_checked() {
        let cases = [
            (json!({}), None),
            (
                json!({"containerOverrides": [{"name": "app", "command": ["true"]}]}),
                None,
            ),
            (json!([]), Some("expected a JSON object")),
            (
                json!({"containerOverrides": {}}),
                Some("containerOverrides must be a list"),
            ),
            (
                json!({"containerOverrides": [{"command": []}]}),
                Some("containerOverrides[0] needs a `name`"),
            ),
            (
                json!({"containerOverrides": [{"name": "ghost"}]}),
                Some("containerOverrides[0].name ghost is not a container"),
            ),
        ];
        for (o, want) in cases {
            let got = check_overrides(&o, &td());
            match want {
                None => assert!(got.is_ok(), "{o}: {got:?}"),
                Some(w) => assert!(got.as_ref().unwrap_err().contains(w), "{o}: {got:?}"),
            }
        }
    }

    #[test]
    fn run_task_input_from_the_service_definition() {
        let plan = RunPlan {
            cluster: "prod",
            task_definition: "arn:td/job:3",
            count: 2,
            started_by: Some("me"),
            overrides: Some(&json!({"cpu": "512"})),
        };
        let net =
            json!({"awsvpcConfiguration": {"subnets": ["s-1"], "assignPublicIp": "DISABLED"}});
        let cases = [
            // Task-only project: cluster defaults.
            (
                None,
                json!({"cluster": "prod", "taskDefinition": "arn:td/job:3", "count": 2,
                "startedBy": "me", "overrides": {"cpu": "512"}}),
                0,
            ),
            (
                Some(
                    json!({"launchType": "FARGATE", "platformVersion": "1.4.0", "networkConfiguration": net,
                    "enableECSManagedTags": true, "propagateTags": "TASK_DEFINITION",
                    "placementConstraints": [], "desiredCount": 3, "loadBalancers": [{}]}),
                ),
                json!({"cluster": "prod", "taskDefinition": "arn:td/job:3", "count": 2,
                    "startedBy": "me", "overrides": {"cpu": "512"}, "launchType": "FARGATE",
                    "platformVersion": "1.4.0", "networkConfiguration": net, "enableECSManagedTags": true,
                    "propagateTags": "TASK_DEFINITION", "placementConstraints": []}),
                0,
            ),
            // Capacity providers win over a launch type; SERVICE tags and EBS volumes noted.
            (
                Some(
                    json!({"launchType": "EC2", "capacityProviderStrategy": [{"capacityProvider": "FARGATE_SPOT"}],
                    "propagateTags": "SERVICE", "volumeConfigurations": []}),
                ),
                json!({"cluster": "prod", "taskDefinition": "arn:td/job:3", "count": 2,
                    "startedBy": "me", "overrides": {"cpu": "512"},
                    "capacityProviderStrategy": [{"capacityProvider": "FARGATE_SPOT"}]}),
                2,
            ),
        ];
        for (svc, want, notes) in cases {
            let (got, n) = run_task_input(&plan, svc.as_ref());
            assert_eq!(got, want, "{svc:?}");
            assert_eq!(n.len(), notes, "{n:?}");
        }
    }

    #[test]
    fn task_ends() {
        let cases = [
            (
                json!({"stopCode": "EssentialContainerExited", "containers": [{"name": "app", "exitCode": 3}]}),
                TaskEnd::Exited(3),
            ),
            (
                json!({"stopCode": "TaskFailedToStart", "stoppedReason": "CannotPullContainerError: x",
                    "containers": [{"name": "app"}]}),
                TaskEnd::Failed("TaskFailedToStart: CannotPullContainerError: x".into()),
            ),
            (
                json!({"stopCode": "TaskFailedToStart", "stoppedReason": "task",
                    "containers": [{"name": "app", "reason": "container reason"}]}),
                TaskEnd::Failed("TaskFailedToStart: container reason".into()),
            ),
            (
                json!({"stopCode": "UserInitiated", "stoppedReason": "stopped by me", "containers": [{"name": "app"}]}),
                TaskEnd::Failed("container app has no exit code: stopped by me".into()),
            ),
        ];
        for (task, want) in cases {
            assert_eq!(task_end(&task, "app"), want, "{task}");
        }
    }

    #[test]
    fn verdicts_and_clamping() {
        let a = "arn:task/c/aaa".to_owned();
        let b = "arn:task/c/bbb".to_owned();
        let cases = [
            (
                vec![(a.clone(), TaskEnd::Exited(0))],
                ExitStatus::Success,
                "task aaa: container app exited with code 0",
            ),
            (
                vec![
                    (a.clone(), TaskEnd::Exited(0)),
                    (b.clone(), TaskEnd::Exited(0)),
                ],
                ExitStatus::Success,
                "all 2 tasks: container app exited with code 0",
            ),
            (
                vec![
                    (a.clone(), TaskEnd::Exited(0)),
                    (b.clone(), TaskEnd::Exited(7)),
                ],
                ExitStatus::TaskExited(7),
                "task bbb: container app exited with code 7",
            ),
            (
                vec![(a.clone(), TaskEnd::Exited(300))],
                ExitStatus::TaskExited(255),
                "task aaa: container app exited with code 300 (exit code 255: outside 0..=255)",
            ),
            (
                vec![
                    (a.clone(), TaskEnd::Failed("TaskFailedToStart: pull".into())),
                    (b.clone(), TaskEnd::Exited(1)),
                ],
                ExitStatus::FailedNotRolledBack,
                "task aaa failed: TaskFailedToStart: pull",
            ),
        ];
        for (ends, status, message) in cases {
            assert_eq!(run_verdict(&ends, "app"), (status, message.to_owned()));
        }
        for (code, want) in [
            (0, 0),
            (1, 1),
            (255, 255),
            (256, 255),
            (-1, 255),
            (137, 137),
        ] {
            assert_eq!(clamp_exit_code(code), want, "{code}");
        }
    }

    #[test]
    fn failures_are_listed() {
        let f = [
            json!({"arn": "arn:ci/c", "reason": "RESOURCE:MEMORY"}),
            json!({"arn": "arn:td", "reason": "MISSING", "detail": "gone"}),
        ];
        assert_eq!(
            failure_lines(&f),
            ["arn:ci/c: RESOURCE:MEMORY", "arn:td: MISSING (gone)"]
        );
    }
}
