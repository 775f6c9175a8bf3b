//! Large-state benchmark: the lazy [`TfState`] index against a naive full `serde_json::Value`
//! parse (what tfstate-lookup does: decode everything, then index).
//!
//! ```text
//! cargo bench --bench tfstate                 # 10 MB, 100 MB and 500 MB states
//! cargo bench --bench tfstate -- --sizes 10   # sizes in MB
//! ```
//!
//! Each loader runs in a child process (this binary re-executed with `--child`), so the peak
//! RSS read from `/proc/self/status` (`VmHWM`) belongs to that loader alone and not to the
//! generator or the other loader. Linux only for the RSS column.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::process::Command;
use std::time::Instant;

use ecspress::model::tfstate::{TfState, TfstateError};
use serde_json::{Value, json};

const LOOKUPS: usize = 1000;
const MISSES: usize = 10;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let Some(pos) = args.iter().position(|a| a == "--child") {
        let mode = args.get(pos + 1).map(String::as_str).unwrap_or("");
        let path = args.get(pos + 2).map(String::as_str).unwrap_or("");
        match mode {
            "lazy" => child_lazy(Path::new(path)),
            "naive" => child_naive(Path::new(path)),
            other => panic!("unknown child mode {other:?}"),
        }
        return;
    }
    let sizes: Vec<usize> = args
        .iter()
        .position(|a| a == "--sizes")
        .and_then(|i| args.get(i + 1))
        .map(|s| s.split(',').filter_map(|n| n.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![10, 100, 500]);

    let dir = tempfile::tempdir().expect("temp dir");
    let exe = std::env::current_exe().expect("own path");
    let mut rows = Vec::new();
    for mb in sizes {
        let path = dir.path().join(format!("state-{mb}mb.tfstate"));
        let started = Instant::now();
        let shape = generate(&path, mb * 1_000_000);
        eprintln!(
            "generated {} ({} bytes, {} resources, {} instances) in {:.1?}",
            path.display(),
            shape.bytes,
            shape.resources,
            shape.instances,
            started.elapsed()
        );
        for mode in ["lazy", "naive"] {
            let out = Command::new(&exe)
                .args(["--child", mode])
                .arg(&path)
                .output()
                .expect("run child");
            assert!(
                out.status.success(),
                "{mode} child failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            let text = String::from_utf8_lossy(&out.stdout);
            let fields: HashMap<String, f64> = text
                .lines()
                .filter_map(|l| l.split_once('='))
                .filter_map(|(k, v)| Some((k.to_owned(), v.trim().parse().ok()?)))
                .collect();
            rows.push((mb, mode, shape.clone(), fields));
        }
    }

    println!();
    println!(
        "| state | resources | instances | loader | load | list | {LOOKUPS} lookups | {MISSES} misses + hints | peak RSS | peak RSS / file | (peak - start) / file |"
    );
    println!("|---|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|");
    for (mb, mode, shape, f) in rows {
        let get = |k: &str| f.get(k).copied().unwrap_or(f64::NAN);
        let hwm_mb = get("hwm_kb") / 1024.0;
        println!(
            "| {mb} MB ({:.1} MiB) | {} | {} | {mode} | {:.0} ms | {:.1} ms | {:.1} ms | {} | {:.0} MiB | {:.2}x | {:.2}x |",
            shape.bytes as f64 / 1048576.0,
            shape.resources,
            shape.instances,
            get("load_ms"),
            get("list_ms"),
            get("lookups_ms"),
            f.get("misses_ms").map_or("-".to_owned(), |ms| format!(
                "{ms:.0} ms ({} with hints)",
                get("hinted")
            )),
            hwm_mb,
            get("hwm_kb") * 1024.0 / shape.bytes as f64,
            (get("hwm_kb") - get("base_kb")) * 1024.0 / shape.bytes as f64,
        );
    }
    println!();
    println!(
        "load = read the file + parse/index; list = all instance addresses; lookups = {LOOKUPS} \
         random `<instance>.id` / output lookups; peak RSS = VmHWM of the loader's process; start = its \
         VmRSS before reading the file."
    );
    println!(
        "targets (#9): 100 MB state → {LOOKUPS} lookups ≤ 1 s and peak RSS ≤ 1.5x the file size \
         (lazy loader); naive = a full serde_json::Value parse, the baseline."
    );
}

/// Load with the lazy index, list, look up, report.
fn child_lazy(path: &Path) {
    println!("base_kb={}", proc_status_kb("VmRSS:"));
    let t = Instant::now();
    let bytes = std::fs::read(path).expect("read state");
    let state = TfState::from_bytes(bytes, &path.display().to_string()).expect("parse state");
    report("load_ms", t);

    let t = Instant::now();
    let list = state.list();
    report("list_ms", t);

    let addresses = pick_addresses(&list);
    let t = Instant::now();
    let mut found = 0usize;
    for a in &addresses {
        if state.lookup(a).is_ok_and(|v| !v.is_null()) {
            found += 1;
        }
    }
    report("lookups_ms", t);
    assert_eq!(found, addresses.len(), "every picked address must be found");

    // The error path: misspelled instance names rank every address for hints.
    let t = Instant::now();
    let mut hinted = 0usize;
    for a in addresses.iter().take(MISSES) {
        let typo = format!("{a}x").replacen('.', "_.", 1);
        if let Err(TfstateError::NotFound { hints, .. }) = state.lookup(&typo) {
            hinted += usize::from(!hints.is_empty());
        }
    }
    report("misses_ms", t);
    println!("hinted={hinted}");
    println!("hwm_kb={}", proc_status_kb("VmHWM:"));
}

/// The baseline: decode the whole document into a `Value`, index instances in a map
/// (tfstate-lookup's approach), answer `<instance>.id` from the map.
fn child_naive(path: &Path) {
    println!("base_kb={}", proc_status_kb("VmRSS:"));
    let t = Instant::now();
    let bytes = std::fs::read(path).expect("read state");
    let doc: Value = serde_json::from_slice(&bytes).expect("parse state");
    drop(bytes);
    report("load_ms", t);

    let t = Instant::now();
    let mut index: HashMap<String, &Value> = HashMap::new();
    let mut list = Vec::new();
    if let Some(outputs) = doc["outputs"].as_object() {
        for (name, o) in outputs {
            let a = format!("output.{name}");
            index.insert(a.clone(), &o["value"]);
            list.push(a);
        }
    }
    for r in doc["resources"].as_array().into_iter().flatten() {
        let mut base = String::new();
        if let Some(m) = r["module"].as_str() {
            base.push_str(m);
            base.push('.');
        }
        if r["mode"] == "data" {
            base.push_str("data.");
        }
        base.push_str(&format!(
            "{}.{}",
            r["type"].as_str().unwrap_or(""),
            r["name"].as_str().unwrap_or("")
        ));
        for i in r["instances"].as_array().into_iter().flatten() {
            let a = match &i["index_key"] {
                Value::Null => base.clone(),
                k => format!("{base}[{k}]"),
            };
            index.insert(a.clone(), &i["attributes"]);
            list.push(a);
        }
    }
    report("list_ms", t);

    let addresses = pick_addresses(&list);
    let t = Instant::now();
    let mut found = 0usize;
    for a in &addresses {
        let hit = match a.strip_suffix(".id") {
            Some(inst) => index.get(inst).map(|v| &v["id"]),
            None => index.get(a.as_str()).copied(),
        };
        if hit.is_some_and(|v| !v.is_null()) {
            found += 1;
        }
    }
    report("lookups_ms", t);
    assert_eq!(found, addresses.len(), "every picked address must be found");
    println!("hwm_kb={}", proc_status_kb("VmHWM:"));
}

fn report(key: &str, since: Instant) {
    println!("{key}={}", since.elapsed().as_secs_f64() * 1000.0);
}

/// `LOOKUPS` pseudo-random addresses: outputs as listed, instances with `.id`.
fn pick_addresses(list: &[String]) -> Vec<String> {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    (0..LOOKUPS)
        .map(|_| {
            let a = &list[rng.below(list.len())];
            if a.starts_with("output.") {
                a.clone()
            } else {
                format!("{a}.id")
            }
        })
        .collect()
}

/// A `kB` field of `/proc/self/status` (`VmHWM:` = peak RSS, `VmRSS:` = current RSS).
fn proc_status_kb(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix(field))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

/// xorshift64*: deterministic, dependency-free.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

#[derive(Clone)]
struct Shape {
    bytes: usize,
    resources: usize,
    instances: usize,
}

/// Write a Terraform-0.12+-shaped v4 state of at least `target` bytes: resources with count and
/// for_each instances, modules, data sources, outputs; instance attributes of a few KB with the
/// usual noise (tags, lists, nested blocks, JSON policies in strings, `private` blobs).
fn generate(path: &Path, target: usize) -> Shape {
    let mut out = BufWriter::new(File::create(path).expect("create state"));
    let mut written = 0usize;
    let mut w = |s: &str| {
        out.write_all(s.as_bytes()).expect("write state");
        written += s.len();
        written
    };
    w(
        "{\n  \"version\": 4,\n  \"terraform_version\": \"1.9.8\",\n  \"serial\": 1,\n  \"lineage\": \"bench\",\n  \"outputs\": {\n",
    );
    for i in 0..200 {
        let sep = if i == 199 { "" } else { "," };
        w(&format!(
            "    \"out_{i}\": {{\"value\": \"value-{i}\", \"type\": \"string\"}}{sep}\n"
        ));
    }
    w("  },\n  \"resources\": [\n");
    let mut rng = Rng(42);
    let types = [
        "aws_ecs_service",
        "aws_iam_role",
        "aws_lb_target_group",
        "aws_security_group",
        "aws_subnet",
        "aws_cloudwatch_log_group",
    ];
    let mut resources = 0usize;
    let mut instances = 0usize;
    let mut total = 0usize;
    while total < target {
        let rtype = types[rng.below(types.len())];
        let module = match rng.below(3) {
            0 => String::new(),
            1 => format!("\"module\": \"module.svc_{}\", ", rng.below(50)),
            _ => format!(
                "\"module\": \"module.env[\\\"e{}\\\"].module.app\", ",
                rng.below(5)
            ),
        };
        let mode = if rng.below(8) == 0 { "data" } else { "managed" };
        let n = 1 + rng.below(16);
        let for_each = rng.below(2) == 0;
        let sep = if resources == 0 { "" } else { ",\n" };
        w(&format!(
            "{sep}    {{{module}\"mode\": \"{mode}\", \"type\": \"{rtype}\", \"name\": \"r{resources}\", \"provider\": \"provider[\\\"registry.terraform.io/hashicorp/aws\\\"]\", \"instances\": [\n"
        ));
        for i in 0..n {
            let key = if n == 1 {
                String::new()
            } else if for_each {
                format!("\"index_key\": \"k{i}.x\", ")
            } else {
                format!("\"index_key\": {i}, ")
            };
            let attrs = json!({
                "id": format!("{rtype}-{resources}-{i}"),
                "arn": format!("arn:aws:service:ap-northeast-1:123456789012:{rtype}/r{resources}/{i}"),
                "name": format!("r{resources}-{i}"),
                "tags": {"Name": format!("r{resources}"), "env": "bench", "team": "platform", "cost-center": "1234"},
                "subnets": (0..12).map(|s| format!("subnet-{:016x}", rng.next() ^ s)).collect::<Vec<_>>(),
                "policy": "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":[\"s3:GetObject\",\"s3:ListBucket\"],\"Resource\":\"*\"}]}",
                "load_balancer": [{"container_name": "app", "container_port": 8080, "target_group_arn": format!("arn:aws:elasticloadbalancing:tg/{:x}", rng.next())}],
                "deployment_circuit_breaker": [{"enable": true, "rollback": true}],
                "health_check": [{"enabled": true, "healthy_threshold": 3, "interval": 30, "matcher": "200-399", "path": "/healthz", "port": "traffic-port", "protocol": "HTTP", "timeout": 5, "unhealthy_threshold": 3}],
                "description": "x".repeat(400 + rng.below(800)),
                "timeouts": null
            });
            let sep = if i + 1 == n { "" } else { "," };
            w(&format!(
                "      {{{key}\"schema_version\": 1, \"attributes\": {attrs}, \"sensitive_attributes\": [], \"private\": \"{}\", \"dependencies\": [\"aws_iam_role.r{}\"]}}{sep}\n",
                "eyJlMmJmYjczMC1lY2FhLTExZTYtOGY4OC0zNDM2M2JjN2M0YzAiOnsiY3JlYXRlIjo2MDAwMDAwMDAwMDB9fQ==".repeat(4),
                rng.below(1000)
            ));
            instances += 1;
        }
        total = w("    ]}");
        resources += 1;
    }
    w("\n  ],\n  \"check_results\": null\n}\n");
    out.flush().expect("flush state");
    Shape {
        bytes: written,
        resources,
        instances,
    }
}
