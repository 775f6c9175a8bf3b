//! `ecspress revisions` and `ecspress deregister`: the real binary over HTTP against a real
//! `ecspress sim` (examples/hello deployed, then extra revisions registered through the SDK).

use std::path::Path;
use std::process::Output;

use serde_json::Value;

use crate::support::sim::{self, SimProcess};
use crate::support::{command_at, example, expect_exit, json_lines, stdout};

fn ecspress(sim: &SimProcess, dir: &Path, args: &[&str]) -> Output {
    command_at(&sim.url, dir, &[], args)
        .output()
        .expect("run ecspress")
}

/// `hello` deployed (it runs hello:1), then hello:2..=5 and hello-worker:1 registered
/// (the latter shares the `hello` prefix ListTaskDefinitions matches on).
async fn deployed() -> (SimProcess, tempfile::TempDir) {
    let sim = sim::start(0.005);
    sim.create_cluster("hello").await;
    let dir = example("hello", |_| {});
    let o = ecspress(&sim, dir.path(), &["deploy", "--poll-interval", "50ms"]);
    expect_exit(&o, 0);
    let ecs = sim.ecs().await;
    for family in ["hello", "hello", "hello", "hello", "hello-worker"] {
        let container = aws_sdk_ecs::types::ContainerDefinition::builder()
            .name("app")
            .image("nginx:latest")
            .memory(128)
            .build();
        ecs.register_task_definition()
            .family(family)
            .container_definitions(container)
            .send()
            .await
            .expect("RegisterTaskDefinition");
    }
    (sim, dir)
}

/// The `revisions` record's rows as `(revision, current, in use)`.
fn rows(o: &Output) -> Vec<(u64, bool, bool)> {
    let records = json_lines(o);
    let rec = records
        .iter()
        .find(|r| r["type"] == "revisions")
        .unwrap_or_else(|| panic!("no revisions record: {records:?}"));
    assert_eq!(rec["data"]["family"], "hello");
    rec["data"]["revisions"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|r: &Value| {
            (
                r["revision"].as_u64().expect("revision"),
                r["current"] == true,
                r.get("in_use").is_some(),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn revisions_lists_the_family_newest_first_with_usage() {
    let (sim, dir) = deployed().await;
    let o = ecspress(&sim, dir.path(), &["--output", "json", "revisions"]);
    expect_exit(&o, 0);
    assert_eq!(
        rows(&o),
        [
            (5, false, false),
            (4, false, false),
            (3, false, false),
            (2, false, false),
            (1, true, true)
        ]
    );
    let o = ecspress(
        &sim,
        dir.path(),
        &["--output", "json", "revisions", "--limit", "2"],
    );
    expect_exit(&o, 0);
    assert_eq!(rows(&o), [(5, false, false), (4, false, false)]);
    let o = ecspress(&sim, dir.path(), &["revisions"]);
    expect_exit(&o, 0);
    let table = stdout(&o);
    let line = table
        .lines()
        .find(|l| l.starts_with("hello:1 "))
        .unwrap_or_else(|| panic!("{table}"));
    assert!(line.contains("current"), "{table}");
    assert!(line.contains("PRIMARY deployment"), "{table}");
}

#[tokio::test(flavor = "multi_thread")]
async fn deregister_keeps_the_newest_and_what_is_in_use() {
    let (sim, dir) = deployed().await;
    // Dry run: read calls only.
    let o = ecspress(
        &sim,
        dir.path(),
        &["deregister", "--keeps", "2", "--delete", "--dry-run"],
    );
    expect_exit(&o, 0);
    assert_eq!(sim.calls("DeregisterTaskDefinition").await, 0);
    assert_eq!(sim.calls("DeleteTaskDefinitions").await, 0);
    // The revision the service runs is refused: exit 1, nothing changed.
    let o = ecspress(&sim, dir.path(), &["deregister", "--revision", "1"]);
    expect_exit(&o, 1);
    assert_eq!(sim.calls("DeregisterTaskDefinition").await, 0);
    // Keep 5 and 4, keep 1 (in use), deregister and delete 3 and 2.
    let o = ecspress(
        &sim,
        dir.path(),
        &["deregister", "--keeps", "2", "--delete"],
    );
    expect_exit(&o, 0);
    assert_eq!(sim.calls("DeregisterTaskDefinition").await, 2);
    assert_eq!(sim.calls("DeleteTaskDefinitions").await, 1);
    let o = ecspress(&sim, dir.path(), &["--output", "json", "revisions"]);
    expect_exit(&o, 0);
    assert_eq!(
        rows(&o),
        [(5, false, false), (4, false, false), (1, true, true)]
    );
    // hello-worker (same prefix, other family) was never touched.
    let ecs = sim.ecs().await;
    let td = ecs
        .describe_task_definition()
        .task_definition("hello-worker:1")
        .send()
        .await
        .expect("DescribeTaskDefinition");
    let status = td
        .task_definition()
        .and_then(|t| t.status())
        .map(|s| s.as_str().to_owned());
    assert_eq!(status.as_deref(), Some("ACTIVE"));
}
