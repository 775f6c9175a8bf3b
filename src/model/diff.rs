//! Diffs of two normalised definitions (see [`super::normalize`]): a unified text diff for
//! people and a structured list of changes for `--output json`.
//!
//! Both come from the same two values, so they agree: no changes ⇔ empty text ⇔ equal
//! values. The text is the pretty JSON of each side (2-space indent, keys sorted, trailing
//! newline: what `ecspress render` prints) diffed line by line (`similar`, Myers, 3 lines of
//! context), headed `--- <live ARN>` / `+++ <local file>`. A side that does not exist yet
//! (a service not created, a family never registered) is empty text, so the whole
//! definition shows as added under a `--- /dev/null (...)` header that says what is missing.

use serde::Serialize;
use serde_json::Value;

/// Lines of context around each hunk.
pub const CONTEXT_LINES: usize = 3;

/// What happened at a path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ChangeOp {
    /// Only the local side has it (deploy would add it).
    Add,
    /// Only the live side has it (deploy would remove or reset it).
    Remove,
    /// Both have it, with different values.
    Change,
}

/// One structured change. `from` is the live value (`null` for `add`), `to` the local value
/// (`null` for `remove`); normalised values never contain `null` themselves.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Change {
    /// Where: `deploymentConfiguration.maximumPercent`, `containerDefinitions[name=app].image`,
    /// `networkConfiguration.awsvpcConfiguration.subnets`, `dockerLabels["com.example"]`.
    pub path: String,
    /// `add`, `remove` or `change`.
    pub op: ChangeOp,
    /// The live value.
    pub from: Option<Value>,
    /// The local value.
    pub to: Option<Value>,
}

/// The diff of one definition (service or task definition).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DefinitionDiff {
    /// The `---` header: the live ARN, or `/dev/null (...)` when there is no live side.
    pub remote: String,
    /// The `+++` header: the local file.
    pub local: String,
    /// Structured changes, in document order (keys sorted).
    pub changes: Vec<Change>,
    /// The unified diff (no colors); empty when there is no difference.
    pub unified: String,
}

impl DefinitionDiff {
    /// Whether the two sides differ.
    pub fn has_changes(&self) -> bool {
        !self.changes.is_empty()
    }
}

/// The `---` label for a side that does not exist: `/dev/null (<what is missing>)`.
pub fn absent_label(what: &str) -> String {
    format!("/dev/null ({what})")
}

/// Diff two normalised definitions. `remote` is `None` when the live side does not exist.
pub fn diff(
    remote: Option<&Value>,
    local: &Value,
    remote_label: &str,
    local_label: &str,
) -> DefinitionDiff {
    let mut changes = Vec::new();
    match remote {
        Some(r) => walk("", Some(r), Some(local), &mut changes),
        // Nothing live: every member of the local definition is added.
        None => walk(
            "",
            Some(&Value::Object(Default::default())),
            Some(local),
            &mut changes,
        ),
    }
    let old = remote.map(pretty).unwrap_or_default();
    let new = pretty(local);
    let unified = if old == new {
        String::new()
    } else {
        unified(&old, &new, remote_label, local_label)
    };
    DefinitionDiff {
        remote: remote_label.to_owned(),
        local: local_label.to_owned(),
        changes,
        unified,
    }
}

/// Pretty JSON: 2-space indent, sorted keys (serde_json's map is ordered), trailing newline.
pub fn pretty(v: &Value) -> String {
    let mut s = serde_json::to_string_pretty(v).unwrap_or_else(|_| "null".into());
    s.push('\n');
    s
}

/// A unified diff of two texts with `---`/`+++` headers and [`CONTEXT_LINES`] of context.
pub fn unified(old: &str, new: &str, old_label: &str, new_label: &str) -> String {
    similar::TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(CONTEXT_LINES)
        .header(old_label, new_label)
        .to_string()
}

/// Members that identify an element of a list of objects, in order of preference: when every
/// element of both lists has a distinct string value for one of them, elements are matched by
/// it (so a change inside the `app` container is reported there, not as a changed list).
const IDENTIFYING: &[&str] = &["name", "key", "containerName", "portName", "namespace"];

fn walk(path: &str, a: Option<&Value>, b: Option<&Value>, out: &mut Vec<Change>) {
    let push = |out: &mut Vec<Change>, op| {
        out.push(Change {
            path: path.to_owned(),
            op,
            from: a.cloned(),
            to: b.cloned(),
        })
    };
    match (a, b) {
        (None, None) => {}
        (None, Some(_)) => push(out, ChangeOp::Add),
        (Some(_), None) => push(out, ChangeOp::Remove),
        (Some(x), Some(y)) if x == y => {}
        (Some(Value::Object(x)), Some(Value::Object(y))) => {
            let mut keys: Vec<&String> = x.keys().chain(y.keys()).collect();
            keys.sort();
            keys.dedup();
            for k in keys {
                walk(&member_path(path, k), x.get(k), y.get(k), out);
            }
        }
        (Some(Value::Array(x)), Some(Value::Array(y))) => {
            if let Some(id) = identifying_member(x, y) {
                let key_of = |v: &Value| v.get(id).and_then(Value::as_str).map(str::to_owned);
                let mut keys: Vec<String> = x.iter().filter_map(key_of).collect();
                for k in y.iter().filter_map(key_of) {
                    if !keys.contains(&k) {
                        keys.push(k);
                    }
                }
                for k in keys {
                    let find = |list: &'_ [Value]| -> Option<Value> {
                        list.iter()
                            .find(|e| key_of(e).as_deref() == Some(k.as_str()))
                            .cloned()
                    };
                    let p = format!("{path}[{id}={k}]");
                    walk(&p, find(x).as_ref(), find(y).as_ref(), out);
                }
            } else if x.len() == y.len() {
                for (i, (xe, ye)) in x.iter().zip(y).enumerate() {
                    walk(&format!("{path}[{i}]"), Some(xe), Some(ye), out);
                }
            } else {
                push(out, ChangeOp::Change);
            }
        }
        (Some(_), Some(_)) => push(out, ChangeOp::Change),
    }
}

/// `parent.key`, or `parent["key"]` when the key has characters that would make the path
/// ambiguous (Docker labels, log options).
fn member_path(parent: &str, key: &str) -> String {
    let plain = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    match (parent.is_empty(), plain) {
        (true, true) => key.to_owned(),
        (false, true) => format!("{parent}.{key}"),
        (_, false) => format!("{parent}[{}]", Value::String(key.to_owned())),
    }
}

fn identifying_member(x: &[Value], y: &[Value]) -> Option<&'static str> {
    IDENTIFYING.iter().copied().find(|id| {
        [x, y].iter().all(|list| {
            let mut seen: Vec<&str> = Vec::with_capacity(list.len());
            list.iter()
                .all(|e| match e.get(*id).and_then(Value::as_str) {
                    Some(k) if !seen.contains(&k) => {
                        seen.push(k);
                        true
                    }
                    _ => false,
                })
        }) && !(x.is_empty() && y.is_empty())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ops(d: &DefinitionDiff) -> Vec<(String, ChangeOp)> {
        d.changes.iter().map(|c| (c.path.clone(), c.op)).collect()
    }

    #[test]
    fn equal_values_have_no_changes_and_no_text() {
        let v = json!({"a": [1, 2], "b": {"c": true}});
        let d = diff(Some(&v), &v, "arn", "file");
        assert!(!d.has_changes());
        assert_eq!(d.unified, "");
    }

    #[test]
    fn structured_changes_by_path() {
        let live = json!({
            "family": "f",
            "cpu": "256",
            "containerDefinitions": [
                {"name": "app", "image": "nginx:1", "environment": [{"name": "A", "value": "1"}]},
                {"name": "old", "image": "x"}
            ],
            "subnets": ["a", "b"],
            "dockerLabels": {"com.example": "1"},
            "removed": 1
        });
        let local = json!({
            "family": "f",
            "cpu": "512",
            "containerDefinitions": [
                {"name": "app", "image": "nginx:2", "environment": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}]},
                {"name": "new", "image": "y"}
            ],
            "subnets": ["a", "b", "c"],
            "dockerLabels": {"com.example": "2"},
            "added": true
        });
        let d = diff(Some(&live), &local, "arn", "file");
        assert_eq!(
            ops(&d),
            vec![
                ("added".to_owned(), ChangeOp::Add),
                (
                    "containerDefinitions[name=app].environment[name=B]".to_owned(),
                    ChangeOp::Add
                ),
                (
                    "containerDefinitions[name=app].image".to_owned(),
                    ChangeOp::Change
                ),
                (
                    "containerDefinitions[name=old]".to_owned(),
                    ChangeOp::Remove
                ),
                ("containerDefinitions[name=new]".to_owned(), ChangeOp::Add),
                ("cpu".to_owned(), ChangeOp::Change),
                ("dockerLabels[\"com.example\"]".to_owned(), ChangeOp::Change),
                ("removed".to_owned(), ChangeOp::Remove),
                ("subnets".to_owned(), ChangeOp::Change),
            ]
        );
        let image = &d.changes[2];
        assert_eq!(
            (image.from.clone(), image.to.clone()),
            (Some(json!("nginx:1")), Some(json!("nginx:2")))
        );
        let removed = d.changes.iter().find(|c| c.path == "removed");
        assert_eq!(removed.and_then(|c| c.to.clone()), None);
    }

    #[test]
    fn same_length_lists_without_identity_diff_by_index() {
        let d = diff(
            Some(&json!({"command": ["a", "b"]})),
            &json!({"command": ["a", "c"]}),
            "x",
            "y",
        );
        assert_eq!(ops(&d), vec![("command[1]".to_owned(), ChangeOp::Change)]);
        // Duplicate names: not an identity, index-wise.
        let d = diff(
            Some(&json!({"l": [{"name": "a", "v": 1}, {"name": "a", "v": 2}]})),
            &json!({"l": [{"name": "a", "v": 1}, {"name": "a", "v": 3}]}),
            "x",
            "y",
        );
        assert_eq!(ops(&d), vec![("l[1].v".to_owned(), ChangeOp::Change)]);
    }

    #[test]
    fn missing_remote_is_all_added() {
        let local = json!({"family": "f", "cpu": "256"});
        let label = absent_label("no task definition family f");
        let d = diff(None, &local, &label, "ecs-task-def.json");
        assert_eq!(
            ops(&d),
            vec![
                ("cpu".to_owned(), ChangeOp::Add),
                ("family".to_owned(), ChangeOp::Add)
            ]
        );
        assert_eq!(
            d.unified,
            "--- /dev/null (no task definition family f)\n+++ ecs-task-def.json\n@@ -0,0 +1,4 @@\n+{\n+  \"cpu\": \"256\",\n+  \"family\": \"f\"\n+}\n"
        );
    }

    #[test]
    fn unified_text_has_headers_and_three_lines_of_context() {
        let live = json!({"a": 1, "b": 2, "c": 3, "d": 4, "e": 5, "f": 6, "g": 7, "h": 8, "i": 9});
        let mut local = live.clone();
        local["e"] = json!(50);
        let d = diff(Some(&live), &local, "arn:live", "local.json");
        assert_eq!(
            d.unified,
            "--- arn:live\n+++ local.json\n@@ -3,7 +3,7 @@\n   \"b\": 2,\n   \"c\": 3,\n   \"d\": 4,\n-  \"e\": 5,\n+  \"e\": 50,\n   \"f\": 6,\n   \"g\": 7,\n   \"h\": 8,\n"
        );
    }
}
