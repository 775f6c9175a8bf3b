//! Secret hygiene: which values are secret, and masking them in text. Pure.
//!
//! # Why value-based masking
//!
//! A secret can reach the output along many paths: a diff line, a JSON Lines record, an error
//! message that quotes a rendered value, a Slack message, the logs `run` streams. Masking each
//! path structurally would miss one sooner or later, so ecspress does what CI systems do
//! (GitHub Actions' `add-mask`): the *values* known to be secret are registered once, and
//! every write to stdout/stderr, every JSON record and every Slack text replaces them with
//! `***` ([`crate::output::secrets`] holds the run's registry).
//!
//! Secret values are: values of `SecureString` SSM parameters read by templates, values of
//! container `environment` entries whose names look secret ([`DEFAULT_NAME_PATTERNS`], plus
//! the config's `mask.env_names`), on both the rendered and the live side of a diff; and
//! credentials ecspress itself holds (Slack webhook URLs and bot tokens), which are masked
//! even with `--show-secrets`. ECS `secrets[].valueFrom` entries are references (ARNs or
//! parameter names), not values, and are shown.
//!
//! Values shorter than [`MIN_LEN`] characters are not masked: replacing every `1` or `yes` in
//! the output would wreck it while hiding nothing a guess would not find.

use serde_json::Value;

/// Environment variable name patterns treated as secret by default (case-insensitive; `*`
/// matches any run of characters).
pub const DEFAULT_NAME_PATTERNS: &[&str] = &["*PASSWORD*", "*TOKEN*", "*SECRET*", "*KEY*"];

/// Shorter values are never masked.
pub const MIN_LEN: usize = 4;

/// The replacement text.
pub const MASK: &str = "***";

/// Whether `name` matches the glob `pattern` (case-insensitive, `*` = any run).
pub fn name_matches(pattern: &str, name: &str) -> bool {
    let p = pattern.to_ascii_uppercase();
    let n = name.to_ascii_uppercase();
    let parts: Vec<&str> = p.split('*').collect();
    if parts.len() == 1 {
        return p == n;
    }
    let (first, rest) = parts.split_first().unwrap_or((&"", &[]));
    let Some(mut remaining) = n.strip_prefix(first) else {
        return false;
    };
    let (last, middle) = rest.split_last().unwrap_or((&"", &[]));
    for part in middle {
        match remaining.find(part) {
            Some(i) => remaining = &remaining[i + part.len()..],
            None => return false,
        }
    }
    remaining.len() >= last.len() && remaining.ends_with(last)
}

/// Whether an environment variable called `name` holds a secret, by `patterns`.
pub fn is_secret_name(patterns: &[String], name: &str) -> bool {
    patterns.iter().any(|p| name_matches(p, name))
}

/// The default patterns plus `extra` (the config's `mask.env_names`).
pub fn name_patterns(extra: &[String]) -> Vec<String> {
    DEFAULT_NAME_PATTERNS
        .iter()
        .map(|p| (*p).to_owned())
        .chain(extra.iter().cloned())
        .collect()
}

/// The values of secret-named `environment` entries of every container in a task definition
/// (a register input or DescribeTaskDefinition output).
pub fn secret_environment_values(task_definition: &Value, patterns: &[String]) -> Vec<String> {
    let td = task_definition
        .get("taskDefinition")
        .unwrap_or(task_definition);
    td.get("containerDefinitions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .flat_map(|c| {
            c.get("environment")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
        })
        .filter(|e| {
            e.get("name")
                .and_then(Value::as_str)
                .is_some_and(|n| is_secret_name(patterns, n))
        })
        .filter_map(|e| e.get("value").and_then(Value::as_str))
        .filter(|v| v.chars().count() >= MIN_LEN)
        .map(str::to_owned)
        .collect()
}

/// The forms a value takes in output: as is and JSON-escaped (inside a JSON string).
pub fn forms(value: &str) -> Vec<String> {
    let mut out = vec![value.to_owned()];
    if let Ok(quoted) = serde_json::to_string(value) {
        let escaped = &quoted[1..quoted.len() - 1];
        if escaped != value {
            out.push(escaped.to_owned());
        }
    }
    out
}

/// Replace every occurrence of `values` in `text` with [`MASK`], longest first (so a value
/// that contains another is masked whole). `values` shorter than [`MIN_LEN`] are ignored.
pub fn mask(text: &str, values: &[String]) -> String {
    let mut sorted: Vec<&String> = values.iter().filter(|v| v.len() >= MIN_LEN).collect();
    sorted.sort_by_key(|v| std::cmp::Reverse(v.len()));
    let mut out = text.to_owned();
    for v in sorted {
        if out.contains(v.as_str()) {
            out = out.replace(v.as_str(), MASK);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn name_patterns_match_like_globs_ignoring_case() {
        let cases = [
            ("*PASSWORD*", "DB_PASSWORD", true),
            ("*PASSWORD*", "password", true),
            ("*PASSWORD*", "PASSWD", false),
            ("*KEY*", "api_key_id", true),
            ("*TOKEN*", "GITHUB_TOKEN", true),
            ("DB_*", "db_host", true),
            ("DB_*", "MY_DB_HOST", false),
            ("*_PASS", "SMTP_PASS", true),
            ("*_PASS", "SMTP_PASSWORD", false),
            ("A*B*C", "AxxBxxC", true),
            ("A*B*C", "AxxCxxB", false),
            ("EXACT", "exact", true),
            ("EXACT", "EXACTLY", false),
        ];
        for (pattern, name, want) in cases {
            assert_eq!(name_matches(pattern, name), want, "{pattern} {name}");
        }
    }

    #[test]
    fn secret_environment_values_by_name() {
        let td = json!({"taskDefinition": {"containerDefinitions": [
            {"environment": [{"name": "DB_PASSWORD", "value": "hunter22"},
                {"name": "GREETING", "value": "hello world"},
                {"name": "API_TOKEN", "value": "abc"}]},
            {"environment": [{"name": "STRIPE_SECRET", "value": "sk_live_1"}]},
            {"name": "no-env"}]}});
        let patterns = name_patterns(&[]);
        assert_eq!(
            secret_environment_values(&td, &patterns),
            ["hunter22", "sk_live_1"],
            "short values (abc) are not secrets worth masking"
        );
        let more = name_patterns(&["GREET*".to_owned()]);
        assert_eq!(secret_environment_values(&td, &more).len(), 3);
    }

    #[test]
    fn mask_replaces_every_form_longest_first() {
        let values: Vec<String> = ["s3cr\"et", "s3cr"].iter().flat_map(|v| forms(v)).collect();
        assert_eq!(
            mask(r#"{"value": "s3cr\"et"} and s3cr"et and s3cr-x"#, &values),
            r#"{"value": "***"} and *** and ***-x"#
        );
        assert_eq!(mask("id 1 2 3", &["1".to_owned()]), "id 1 2 3", "too short");
        assert_eq!(mask("nothing here", &values), "nothing here");
    }
}
