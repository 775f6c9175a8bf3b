//! Many services in one run: `deploy`/`diff` with `--config` repeated or a quoted glob, the
//! real binary against `ecspress sim` over HTTP. Two copies of `examples/hello` as services
//! `good` and `bad` in `services/<name>/`, told apart by their image tag defaults.

use std::path::Path;

use serde_json::Value;

use crate::support::sim::{self, SimProcess, ecspress};
use crate::support::{describe, expect_exit, json_lines, repo, rewrite, stderr};

const FAST: &[&str] = &["--poll-interval", "50ms"];

const GOOD: &str = "services/good/ecspress.yml";
const BAD: &str = "services/bad/ecspress.yml";

/// `services/<name>/`: `examples/hello` with service and family `<name>`.
fn add_service(root: &Path, name: &str) {
    let dir = root.join("services").join(name);
    std::fs::create_dir_all(&dir).expect("mkdir");
    let from = repo().join("examples/hello");
    for entry in std::fs::read_dir(&from).expect("read examples/hello") {
        let entry = entry.expect("entry");
        if entry.path().is_file() && entry.file_name() != "demo.sh" {
            std::fs::copy(entry.path(), dir.join(entry.file_name())).expect("copy");
        }
    }
    rewrite(
        &dir,
        "ecspress.yml",
        "service: hello",
        &format!("service: {name}"),
    );
    rewrite(
        &dir,
        "ecs-task-def.json",
        r#""family": "hello""#,
        &format!(r#""family": "{name}""#),
    );
}

/// Set the image tag a service deploys.
fn set_tag(root: &Path, name: &str, from: &str, to: &str) {
    rewrite(
        &root.join("services").join(name),
        "ecs-task-def.json",
        &format!(r#"default="{from}""#),
        &format!(r#"default="{to}""#),
    );
}

fn run(sim: &SimProcess, root: &Path, args: &[&str]) -> std::process::Output {
    let args: Vec<&str> = args.iter().chain(FAST).copied().collect();
    ecspress(sim, root, &[], &args)
}

/// A simulator with cluster `hello` and both services deployed once, through a quoted glob.
async fn deployed() -> (SimProcess, tempfile::TempDir) {
    let sim = sim::start(0.005);
    sim.create_cluster("hello").await;
    let root = tempfile::tempdir().expect("tempdir");
    add_service(root.path(), "good");
    add_service(root.path(), "bad");
    let o = run(
        &sim,
        root.path(),
        &["deploy", "--config", "services/*/ecspress.yml"],
    );
    expect_exit(&o, 0);
    (sim, root)
}

fn records_of<'a>(lines: &'a [Value], config: &str) -> Vec<&'a Value> {
    lines.iter().filter(|r| r["config"] == config).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_glob_deploys_every_service() {
    let (sim, root) = deployed().await;
    assert_eq!(sim.calls("CreateService").await, 2);
    assert_eq!(sim.calls("RegisterTaskDefinition").await, 2);
    // The same file twice (and via `./`) is one service: a plain single deploy, no summary.
    let o = run(
        &sim,
        root.path(),
        &[
            "--output",
            "json",
            "deploy",
            "--config",
            GOOD,
            "--config",
            &format!("./{GOOD}"),
        ],
    );
    expect_exit(&o, 0);
    let lines = json_lines(&o);
    assert!(
        lines
            .iter()
            .all(|r| r["type"] != "fleet_summary" && r.get("config").is_none()),
        "{}",
        describe(&o)
    );
    // A glob that matches nothing is an error before anything runs.
    let o = run(
        &sim,
        root.path(),
        &["deploy", "--config", "nowhere/*/ecspress.yml"],
    );
    expect_exit(&o, 2);
    assert!(stderr(&o).contains("no file matches"), "{}", describe(&o));
}

#[tokio::test(flavor = "multi_thread")]
async fn one_good_one_crashing_service_exit_3_with_both_verdicts() {
    let (sim, root) = deployed().await;
    set_tag(root.path(), "good", "1.27", "1.28");
    set_tag(root.path(), "bad", "1.27", "crash");
    let o = run(
        &sim,
        root.path(),
        &[
            "--output", "json", "deploy", "--config", GOOD, "--config", BAD,
        ],
    );
    expect_exit(&o, 3);
    let lines = json_lines(&o);
    // Every record of a service carries its config; each has its own watch and verdict.
    for (config, code, outcome) in [(GOOD, 0, "succeeded"), (BAD, 3, "rolled_back")] {
        let mine = records_of(&lines, config);
        assert!(
            mine.iter().any(|r| r["type"] == "deployment_started"),
            "{config}: {}",
            describe(&o)
        );
        let verdicts: Vec<_> = mine
            .iter()
            .filter(|r| r["type"] == "service_verdict")
            .collect();
        assert_eq!(verdicts.len(), 1, "{config}: {}", describe(&o));
        assert_eq!(verdicts[0]["data"]["exit_code"], code, "{config}");
        assert_eq!(verdicts[0]["data"]["outcome"], outcome, "{config}");
    }
    // The summary, then exactly one (the run's, the worst) verdict, last.
    let summary = lines
        .iter()
        .find(|r| r["type"] == "fleet_summary")
        .expect("a fleet_summary record");
    let rows: Vec<(&str, u64)> = summary["data"]["services"]
        .as_array()
        .expect("services")
        .iter()
        .map(|r| {
            (
                r["label"].as_str().unwrap_or_default(),
                r["exit_code"].as_u64().unwrap_or(99),
            )
        })
        .collect();
    assert_eq!(rows, vec![("good", 0), ("bad", 3)]);
    let verdicts: Vec<_> = lines.iter().filter(|r| r["type"] == "verdict").collect();
    assert_eq!(verdicts.len(), 1, "{}", describe(&o));
    let last = lines.last().expect("records");
    assert_eq!(last["type"], "verdict");
    assert_eq!(last["data"]["exit_code"], 3);
    assert!(
        last.get("config").is_none(),
        "the run's verdict is not a service's"
    );
    // ECS rolled `bad` back and deployed `good`.
    let ecs = sim.ecs().await;
    for (name, want) in [("good", "good:2"), ("bad", "bad:1")] {
        let out = ecs
            .describe_services()
            .cluster("hello")
            .services(name)
            .send()
            .await
            .expect("DescribeServices");
        let td = out.services()[0].task_definition().unwrap_or_default();
        assert!(td.ends_with(want), "{name}: {td}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn concurrency_one_runs_services_in_the_order_given_with_prefixed_lines() {
    let (sim, root) = deployed().await;
    set_tag(root.path(), "good", "1.27", "1.28");
    set_tag(root.path(), "bad", "1.27", "1.29");
    // `bad` first: the order given, not the alphabetical one.
    let o = run(
        &sim,
        root.path(),
        &[
            "deploy",
            "--concurrency",
            "1",
            "--config",
            BAD,
            "--config",
            GOOD,
        ],
    );
    expect_exit(&o, 0);
    let err = stderr(&o);
    let lines: Vec<&str> = err.lines().collect();
    let position = |label: &str, first: bool| {
        let mut it = lines
            .iter()
            .enumerate()
            .filter(|(_, l)| l.contains(&format!("[{label}] ")));
        let found = if first { it.next() } else { it.next_back() };
        found
            .map(|(i, _)| i)
            .unwrap_or_else(|| panic!("no [{label}] line: {err}"))
    };
    assert!(
        position("bad", false) < position("good", true),
        "bad finished before good started: {err}"
    );
    for label in ["bad", "good"] {
        assert!(
            lines
                .iter()
                .any(|l| l.contains(&format!("[{label}] Verdict"))),
            "{label} has its verdict line: {err}"
        );
    }
    // The summary table names both, then the run's verdict.
    assert!(err.contains("SERVICE"), "{err}");
    assert!(err.contains("2 services: 2 succeeded"), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn commands_that_take_one_config_refuse_two() {
    let (sim, root) = deployed().await;
    for cmd in [&["render"][..], &["rollback"], &["verify"], &["revisions"]] {
        let mut args = vec!["--config", GOOD, "--config", BAD];
        args.extend_from_slice(cmd);
        let o = ecspress(&sim, root.path(), &[], &args);
        expect_exit(&o, 2);
        assert!(
            stderr(&o).contains(&format!("`{}` takes one --config, got 2", cmd[0])),
            "{}",
            describe(&o)
        );
    }
    // Flags of a multi-config run are checked before anything runs.
    for (flag, value) in [("--concurrency", "0"), ("--max-api-rps", "0")] {
        let o = ecspress(
            &sim,
            root.path(),
            &[],
            &["deploy", flag, value, "--config", GOOD, "--config", BAD],
        );
        expect_exit(&o, 2);
        assert!(stderr(&o).contains(flag), "{}", describe(&o));
    }
    // A glob that names one file is one config.
    let o = ecspress(
        &sim,
        root.path(),
        &[],
        &["--config", "services/g*/ecspress.yml", "render"],
    );
    expect_exit(&o, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn status_and_wait_take_several_configs() {
    let (sim, root) = deployed().await;
    let o = ecspress(
        &sim,
        root.path(),
        &[],
        &[
            "--output", "json", "status", "--config", GOOD, "--config", BAD,
        ],
    );
    expect_exit(&o, 0);
    let lines = json_lines(&o);
    for config in [GOOD, BAD] {
        let statuses = records_of(&lines, config)
            .iter()
            .filter(|r| r["type"] == "status")
            .count();
        assert_eq!(statuses, 1, "{config}: {}", describe(&o));
    }
    // Nothing in flight: both waits end at once with their own verdicts.
    let o = run(
        &sim,
        root.path(),
        &["wait", "--config", "services/*/ecspress.yml"],
    );
    expect_exit(&o, 0);
    let err = stderr(&o);
    for label in ["bad", "good"] {
        assert!(err.contains(&format!("[{label}] ")), "{err}");
    }
    assert!(err.contains("2 services:"), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn diff_over_several_configs_exits_with_the_worst() {
    let (sim, root) = deployed().await;
    set_tag(root.path(), "good", "1.27", "1.28");
    // Changes in one service: `--exit-code` gives 1; the diff names that service's file.
    let o = ecspress(
        &sim,
        root.path(),
        &[],
        &["diff", "--exit-code", "--config", GOOD, "--config", BAD],
    );
    expect_exit(&o, 1);
    let out = crate::support::stdout(&o);
    assert!(out.contains("nginx:1.28"), "{}", describe(&o));
    assert!(out.contains("services/good/ecs-task-def.json"), "{out}");
    assert!(!out.contains("services/bad/"), "bad has no changes: {out}");
    // A config that cannot be loaded is an error (2), which beats changes (1); the others are
    // still diffed.
    let o = ecspress(
        &sim,
        root.path(),
        &[],
        &[
            "--output",
            "json",
            "diff",
            "--exit-code",
            "--config",
            GOOD,
            "--config",
            BAD,
            "--config",
            "missing.yml",
        ],
    );
    expect_exit(&o, 2);
    let lines = json_lines(&o);
    let changed = |config: &str| -> Vec<bool> {
        records_of(&lines, config)
            .iter()
            .filter(|r| r["type"] == "diff")
            .map(|r| r["data"]["changed"].as_bool().unwrap_or_default())
            .collect()
    };
    assert_eq!(changed(GOOD), vec![false, true], "service, then taskdef");
    assert_eq!(changed(BAD), vec![false, false]);
    let missing = records_of(&lines, "missing.yml");
    assert!(
        missing.iter().any(|r| r["type"] == "error"),
        "{}",
        describe(&o)
    );
    let last = lines.last().expect("records");
    assert_eq!(
        (&last["type"], &last["data"]["exit_code"]),
        (&"verdict".into(), &2.into())
    );
}

/// Every ECS call the simulator answered so far.
async fn ecs_calls(sim: &SimProcess) -> u64 {
    let state = sim.state().await;
    state["counters"]["calls"]
        .as_object()
        .map(|m| m.values().filter_map(Value::as_u64).sum())
        .unwrap_or(0)
}

/// One budget for the run, not one per service: with `--max-api-rps 0.001` (a burst of one
/// call, the next due 1000 s later) two services together make exactly one ECS call, however
/// long we look (each with its own budget would make two at once).
#[tokio::test(flavor = "multi_thread")]
async fn the_api_budget_is_shared_by_all_services() {
    use std::io::BufRead;
    let sim = sim::start(0.005);
    sim.create_cluster("hello").await;
    let root = tempfile::tempdir().expect("tempdir");
    add_service(root.path(), "good");
    add_service(root.path(), "bad");
    let before = ecs_calls(&sim).await;
    let mut child = sim::command(
        &sim,
        root.path(),
        &[],
        &[
            "--output",
            "json",
            "deploy",
            "--max-api-rps",
            "0.001",
            "--config",
            GOOD,
            "--config",
            BAD,
        ],
    )
    .stdout(std::process::Stdio::piped())
    .stderr(std::process::Stdio::null())
    .spawn()
    .expect("spawn");
    // Both services are past loading (their first records are out): their next step is ECS.
    let stdout = child.stdout.take().expect("stdout");
    let mut seen = std::collections::BTreeSet::new();
    for line in std::io::BufReader::new(stdout).lines() {
        let record: Value = serde_json::from_str(&line.expect("line")).expect("json");
        if let Some(c) = record["config"].as_str() {
            seen.insert(c.to_owned());
        }
        if seen.len() == 2 {
            break;
        }
    }
    assert_eq!(seen.len(), 2, "both services started: {seen:?}");
    for _ in 0..10 {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        assert!(
            ecs_calls(&sim).await - before <= 1,
            "the budget was not shared"
        );
    }
    assert_eq!(ecs_calls(&sim).await - before, 1);
    child.kill().expect("kill");
    let _ = child.wait();
}
