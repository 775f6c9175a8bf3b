//! Render benchmark (#9 item 5): a task definition with 50 containers and 500 template calls
//! (`env`, `must_env`, `tfstate`, `tfstatef`, `json_escape`) against the example state,
//! rendered through the same [`Engine`] `ecspress render` uses. Prints p50/p95/max over the
//! runs and the target (≤ 20 ms per render); never asserts.
//!
//! ```text
//! cargo bench --bench render                  # 200 renders
//! cargo bench --bench render -- --runs 1000
//! ```

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use ecspress::model::tfstate::TfState;
use ecspress::template::{Engine, EnvSource};

struct MapEnv(HashMap<String, String>);

impl EnvSource for MapEnv {
    fn var(&self, name: &str) -> Option<String> {
        self.0.get(name).cloned()
    }
}

/// 50 containers × 10 calls each = 500 template calls.
fn template() -> String {
    let containers: Vec<String> = (0..50)
        .map(|i| {
            format!(
                r#"{{
      "name": "c{i}",
      "image": "{{{{ must_env(name="REGISTRY") }}}}/app{i}:{{{{ env(name="TAG_{i}", default="latest") }}}}",
      "essential": {essential},
      "cpu": {{{{ env(name="CPU_{i}", default="0") }}}},
      "environment": [
        {{ "name": "GREETING", "value": "{{{{ env(name="GREETING") | json_escape }}}}" }},
        {{ "name": "ROLE", "value": "{{{{ tfstate(addr="aws_iam_role.task.arn") }}}}" }},
        {{ "name": "SUBNET", "value": "{{{{ tfstatef(fmt="aws_subnet.private[%d].id", args=[{sub}]) }}}}" }},
        {{ "name": "SUBNETS", "value": "{{{{ tfstate(addr="output.private_subnet_ids") | json_escape }}}}" }},
        {{ "name": "SG", "value": "{{{{ tfstate(addr="aws_security_group.app.id") }}}}" }},
        {{ "name": "TG", "value": "{{{{ tfstate(addr="aws_lb_target_group.app[\"blue\"].arn") }}}}" }}
      ],
      "logConfiguration": {{ "logDriver": "awslogs", "options": {{
        "awslogs-group": "{{{{ tfstate(addr="aws_cloudwatch_log_group.app.name") }}}}",
        "awslogs-stream-prefix": "c{i}" }} }}
    }}"#,
                essential = i == 0,
                sub = i % 2
            )
        })
        .collect();
    format!(
        "{{\n  \"family\": \"bench\",\n  \"containerDefinitions\": [\n    {}\n  ]\n}}\n",
        containers.join(",\n    ")
    )
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let runs: usize = args
        .iter()
        .position(|a| a == "--runs")
        .and_then(|i| args.get(i + 1))
        .and_then(|n| n.parse().ok())
        .unwrap_or(200);
    let state_path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/hello/terraform.tfstate"
    );
    let bytes = std::fs::read(state_path).expect("example state");
    let state = Arc::new(TfState::from_bytes(bytes, state_path).expect("state"));
    let env = MapEnv(HashMap::from([
        (
            "REGISTRY".to_owned(),
            "123456789012.dkr.ecr.us-east-1.amazonaws.com".to_owned(),
        ),
        ("GREETING".to_owned(), "say \"hi\"".to_owned()),
    ]));
    let mut engine = Engine::new(Arc::new(env));
    engine.register_tfstate("", state);
    let text = template();
    let calls = text.matches("{{").count();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let mut times: Vec<Duration> = Vec::with_capacity(runs);
    let mut out_len = 0;
    rt.block_on(async {
        // One warm-up render (tera compiles the template on every render, as `render` does).
        let first = engine
            .render("bench.json", text.clone())
            .await
            .expect("renders");
        let _: serde_json::Value = serde_json::from_str(&first).expect("valid JSON");
        out_len = first.len();
        for _ in 0..runs {
            let started = Instant::now();
            let out = engine
                .render("bench.json", text.clone())
                .await
                .expect("renders");
            times.push(started.elapsed());
            assert_eq!(out.len(), out_len);
        }
    });
    times.sort_unstable();
    let pct = |p: f64| times[((times.len() - 1) as f64 * p).round() as usize];
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "render: 50 containers, {calls} template calls, {} KB in, {} KB out, {runs} runs",
        text.len() / 1024,
        out_len / 1024
    );
    println!(
        "  p50 {:.2} ms   p95 {:.2} ms   max {:.2} ms   (target ≤ 20 ms: {})",
        ms(pct(0.5)),
        ms(pct(0.95)),
        ms(pct(1.0)),
        if pct(0.5) <= Duration::from_millis(20) {
            "met"
        } else {
            "MISSED"
        }
    );
}
