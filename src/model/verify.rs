//! Pure decision logic for `ecspress verify`: image reference parsing, IAM trust policy
//! checks, secret reference classification and port matching, plus the OK / NG / SKIP tree.
//!
//! Why pure: every rule here encodes an AWS naming or policy convention that is easy to get
//! subtly wrong (ecspresso §1.17 checks the same things); keeping them free of I/O lets them
//! be table-tested against the exact strings users write in their definitions.

use serde::Serialize;
use serde_json::Value;

/// Outcome of one check in the verification tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum CheckStatus {
    /// The resource exists and is usable.
    Ok,
    /// The resource is missing or misconfigured: `verify` exits 1.
    Ng,
    /// The check could not run (no network, not applicable); never fails verification.
    Skip,
}

/// One node of the verification tree: a check with its status, reason and sub-checks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CheckNode {
    /// What was checked, e.g. `Cluster my-cluster` or `Image nginx:latest`.
    pub name: String,
    /// OK / NG / SKIP; a group's status is the worst of its children (NG > OK > SKIP).
    pub status: CheckStatus,
    /// Why NG or SKIP (empty for OK).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Sub-checks (containers of a task definition, ...).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub children: Vec<CheckNode>,
}

impl CheckNode {
    /// A leaf that passed.
    pub fn ok(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            status: CheckStatus::Ok,
            reason: None,
            children: Vec::new(),
        }
    }

    /// A leaf that failed, with the reason.
    pub fn ng(name: impl Into<String>, reason: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            status: CheckStatus::Ng,
            reason: Some(reason.into()),
            children: Vec::new(),
        }
    }

    /// A leaf that could not be checked, with the reason.
    pub fn skip(name: impl Into<String>, reason: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            status: CheckStatus::Skip,
            reason: Some(reason.into()),
            children: Vec::new(),
        }
    }

    /// A group whose status derives from its children: NG if any child is NG, OK if any is
    /// OK, SKIP only when every child skipped (or there are none).
    pub fn group(name: impl Into<String>, children: Vec<CheckNode>) -> Self {
        let status = if children.iter().any(|c| c.status == CheckStatus::Ng) {
            CheckStatus::Ng
        } else if children.iter().any(|c| c.status == CheckStatus::Ok) {
            CheckStatus::Ok
        } else {
            CheckStatus::Skip
        };
        Self {
            name: name.into(),
            status,
            reason: None,
            children,
        }
    }

    /// Whether this node or any descendant is NG.
    pub fn has_ng(&self) -> bool {
        self.status == CheckStatus::Ng || self.children.iter().any(CheckNode::has_ng)
    }
}

/// The human tree: one line per check, children indented two spaces, `NAME: STATUS` with
/// the reason in parentheses for NG and SKIP.
pub fn render_tree(checks: &[CheckNode]) -> String {
    fn walk(node: &CheckNode, depth: usize, out: &mut String) {
        let status = match node.status {
            CheckStatus::Ok => "OK",
            CheckStatus::Ng => "NG",
            CheckStatus::Skip => "SKIP",
        };
        out.push_str(&"  ".repeat(depth));
        out.push_str(&node.name);
        out.push_str(": ");
        out.push_str(status);
        if let Some(reason) = &node.reason {
            out.push_str(" (");
            out.push_str(reason);
            out.push(')');
        }
        out.push('\n');
        for child in &node.children {
            walk(child, depth + 1, out);
        }
    }
    let mut out = String::new();
    for node in checks {
        walk(node, 0, &mut out);
    }
    out
}

/// A container image reference, classified by where it can be checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImageRef {
    /// A private ECR repository: checked with ECR DescribeImages in `region`.
    Ecr {
        /// The registry's account id.
        account: String,
        /// The registry's region (may differ from the deployment's).
        region: String,
        /// Repository name, possibly with `/` namespaces.
        repository: String,
        /// `:tag`, if any (`latest` when neither tag nor digest is given).
        tag: Option<String>,
        /// `@sha256:...`, if any.
        digest: Option<String>,
    },
    /// A registry reachable anonymously over the Docker Registry HTTP API v2.
    Registry {
        /// Registry host (`registry-1.docker.io` for Docker Hub).
        host: String,
        /// Repository (`library/nginx` for official Docker Hub images).
        repository: String,
        /// Tag or digest to HEAD as a manifest.
        reference: String,
    },
}

/// Parses an image reference as written in `containerDefinitions[].image`.
///
/// ECR hosts: `ACCOUNT.dkr.ecr.REGION.amazonaws.com` (and `.amazonaws.com.cn`) and the
/// dual-stack `ACCOUNT.dkr-ecr.REGION.on.aws`. A first path component without `.`/`:` and
/// not `localhost` is a Docker Hub namespace (Docker's own normalisation rule).
pub fn parse_image(image: &str) -> Result<ImageRef, String> {
    if image.is_empty() {
        return Err("empty image reference".to_owned());
    }
    let (name, digest) = match image.split_once('@') {
        Some((n, d)) => (n, Some(d.to_owned())),
        None => (image, None),
    };
    // A tag is the part after the last ':' that follows the last '/'.
    let slash = name.rfind('/').map_or(0, |i| i + 1);
    let (repo_part, tag) = match name[slash..].rfind(':') {
        Some(i) => (&name[..slash + i], Some(name[slash + i + 1..].to_owned())),
        None => (name, None),
    };
    if repo_part.is_empty() || tag.as_deref() == Some("") {
        return Err(format!("malformed image reference {image:?}"));
    }
    let (host, repository) = match repo_part.split_once('/') {
        Some((h, rest)) if h.contains('.') || h.contains(':') || h == "localhost" => {
            (h.to_owned(), rest.to_owned())
        }
        _ => {
            let repository = if repo_part.contains('/') {
                repo_part.to_owned()
            } else {
                format!("library/{repo_part}")
            };
            ("registry-1.docker.io".to_owned(), repository)
        }
    };
    let host = if host == "docker.io" || host == "index.docker.io" {
        "registry-1.docker.io".to_owned()
    } else {
        host
    };
    if let Some((account, region)) = ecr_host(&host) {
        let tag = if tag.is_none() && digest.is_none() {
            Some("latest".to_owned())
        } else {
            tag
        };
        return Ok(ImageRef::Ecr {
            account,
            region,
            repository,
            tag,
            digest,
        });
    }
    let reference = digest.or(tag).unwrap_or_else(|| "latest".to_owned());
    Ok(ImageRef::Registry {
        host,
        repository,
        reference,
    })
}

/// `ACCOUNT.dkr.ecr.REGION.amazonaws.com[.cn]` or `ACCOUNT.dkr-ecr.REGION.on.aws`.
fn ecr_host(host: &str) -> Option<(String, String)> {
    let parts: Vec<&str> = host.split('.').collect();
    let account = *parts.first()?;
    if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    match parts.as_slice() {
        [_, "dkr", "ecr", region, "amazonaws", "com"]
        | [_, "dkr", "ecr", region, "amazonaws", "com", "cn"]
        | [_, "dkr-ecr", region, "on", "aws"] => Some((account.to_owned(), (*region).to_owned())),
        _ => None,
    }
}

/// What ECR DescribeImages is asked for: the digest when the reference pins one (ECS pulls
/// `repo:tag@digest` by digest alone, as docker does, so the tag does not matter then), else
/// the tag. Returns `(tag, digest)` with exactly one set, and a label naming it for reasons.
pub fn ecr_image_id(
    tag: Option<&str>,
    digest: Option<&str>,
) -> (Option<String>, Option<String>, String) {
    match (digest, tag) {
        (Some(d), _) => (None, Some(d.to_owned()), format!("digest {d}")),
        (None, Some(t)) => (Some(t.to_owned()), None, format!("tag {t}")),
        (None, None) => (Some("latest".to_owned()), None, "tag latest".to_owned()),
    }
}

/// The media types a manifest HEAD accepts, in the order docker sends them: OCI index and
/// manifest, Docker v2 manifest list and manifest. A registry answers 404 (or an old
/// schema-1 manifest) for a type the client did not list, so all four are needed to see
/// multi-arch and single-arch images of both formats.
pub const MANIFEST_ACCEPT: &str = "application/vnd.oci.image.index.v1+json, \
application/vnd.oci.image.manifest.v1+json, \
application/vnd.docker.distribution.manifest.list.v2+json, \
application/vnd.docker.distribution.manifest.v2+json";

/// The base URL of a registry host. Loopback hosts (`localhost`, `127.0.0.0/8`, `[::1]`,
/// with or without a port) are spoken to over plain HTTP, as docker treats them as insecure
/// registries by default (its default `insecure-registries` is `127.0.0.0/8`); every other
/// host over HTTPS. This is also how the tests point image checks at a local fake registry.
pub fn registry_base_url(host: &str) -> String {
    if is_loopback_host(host) {
        format!("http://{host}")
    } else {
        format!("https://{host}")
    }
}

fn is_loopback_host(host: &str) -> bool {
    let name = if let Some(rest) = host.strip_prefix('[') {
        rest.split(']').next().unwrap_or(rest)
    } else {
        host.rsplit_once(':').map_or(host, |(h, _)| h)
    };
    name == "localhost"
        || name == "::1"
        || name
            .parse::<std::net::Ipv4Addr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// The manifest URL path for a repository and a tag or digest (OCI distribution spec
/// `/v2/<name>/manifests/<reference>`).
pub fn manifest_path(repository: &str, reference: &str) -> String {
    format!("/v2/{repository}/manifests/{reference}")
}

/// A `WWW-Authenticate: Bearer ...` challenge (the Docker token authentication flow).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BearerChallenge {
    /// Token endpoint URL.
    pub realm: String,
    /// `service` query parameter, if given.
    pub service: Option<String>,
    /// `scope` query parameter, if given.
    pub scope: Option<String>,
}

/// Parses `Bearer realm="...",service="...",scope="..."` (parameters in any order, quoted
/// or bare, commas inside quotes kept, as in `scope="repository:a/b:pull,push"`). `None`
/// for other schemes (`Basic`) or a challenge without a realm.
pub fn parse_www_authenticate(header: &str) -> Option<BearerChallenge> {
    let header = header.trim();
    let (scheme, params) = header.split_once(char::is_whitespace)?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return None;
    }
    let mut realm = None;
    let mut service = None;
    let mut scope = None;
    let mut rest = params.trim();
    while !rest.is_empty() {
        let (key, after) = rest.split_once('=')?;
        let key = key
            .trim()
            .trim_start_matches(',')
            .trim()
            .to_ascii_lowercase();
        let after = after.trim_start();
        let (value, remaining) = if let Some(quoted) = after.strip_prefix('"') {
            let end = quoted.find('"')?;
            (&quoted[..end], &quoted[end + 1..])
        } else {
            let end = after.find(',').unwrap_or(after.len());
            (after[..end].trim(), &after[end..])
        };
        match key.as_str() {
            "realm" => realm = Some(value.to_owned()),
            "service" => service = Some(value.to_owned()),
            "scope" => scope = Some(value.to_owned()),
            _ => {}
        }
        rest = remaining.trim_start().trim_start_matches(',').trim_start();
    }
    Some(BearerChallenge {
        realm: realm?,
        service,
        scope,
    })
}

/// Checks a target group (DescribeTargetGroups output, camelCase) against the task's
/// network mode: ECS registers `awsvpc` tasks by IP, so the group's `targetType` must be
/// `ip`; `bridge`/`host` tasks are registered as instance + port, so it must be `instance`.
/// `alb` and `lambda` target groups can never hold ECS tasks. A missing `networkMode` is
/// `bridge` (the EC2 Linux default).
///
/// A service's primary target group must also be attached to a load balancer (a listener or
/// rule forwards to it, so `loadBalancerArns` is not empty): CreateService/UpdateService
/// reject it otherwise ("The target group ... does not have an associated load balancer").
/// The BLUE_GREEN alternate group is not held to that here.
pub fn check_target_group(
    target_group: &Value,
    network_mode: Option<&str>,
    primary: bool,
) -> Result<(), String> {
    let attached = target_group
        .get("loadBalancerArns")
        .and_then(Value::as_array)
        .is_some_and(|arns| !arns.is_empty());
    if primary && !attached {
        return Err(
            "target group is not associated with a load balancer (no listener or rule forwards to it)"
                .to_owned(),
        );
    }
    let target_type = target_group
        .get("targetType")
        .and_then(Value::as_str)
        .unwrap_or("instance");
    let mode = network_mode.unwrap_or("bridge");
    let want = match mode {
        "awsvpc" => "ip",
        "bridge" | "host" => "instance",
        _ => return Ok(()),
    };
    if target_type == want {
        Ok(())
    } else {
        Err(format!(
            "target type is {target_type:?} but networkMode {mode:?} needs {want:?}"
        ))
    }
}

/// Which of a `loadBalancers[]` entry's target groups an ARN is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetGroupRole {
    /// `targetGroupArn`: receives production traffic.
    Primary,
    /// `advancedConfiguration.alternateTargetGroupArn` (native BLUE_GREEN).
    Alternate,
}

impl TargetGroupRole {
    /// The tree label prefix.
    pub fn label(self) -> &'static str {
        match self {
            TargetGroupRole::Primary => "TargetGroup",
            TargetGroupRole::Alternate => "AlternateTargetGroup",
        }
    }
}

/// Target group ARNs of a service's `loadBalancers[]`, the alternate group of a BLUE_GREEN
/// service (`advancedConfiguration.alternateTargetGroupArn`) included.
pub fn target_group_arns(service: &Value) -> Vec<(TargetGroupRole, String)> {
    let mut out = Vec::new();
    for lb in service
        .get("loadBalancers")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if let Some(arn) = lb.get("targetGroupArn").and_then(Value::as_str) {
            out.push((TargetGroupRole::Primary, arn.to_owned()));
        }
        if let Some(arn) = lb
            .pointer("/advancedConfiguration/alternateTargetGroupArn")
            .and_then(Value::as_str)
        {
            out.push((TargetGroupRole::Alternate, arn.to_owned()));
        }
    }
    out
}

/// Percent-decodes an IAM policy document (GetRole returns `AssumeRolePolicyDocument`
/// URL-encoded per RFC 3986). Invalid escapes are kept verbatim.
pub fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2]))
        {
            out.push(h * 16 + l);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex(b: u8) -> Option<u8> {
    (b as char).to_digit(16).and_then(|d| u8::try_from(d).ok())
}

/// The role name in an IAM role ARN (`arn:aws:iam::ACCOUNT:role/PATH/NAME` → `NAME`); a
/// value that is not an ARN is taken as the name (ECS accepts both).
pub fn role_name(arn_or_name: &str) -> &str {
    match arn_or_name.split_once(":role/") {
        Some((_, path)) => path.rsplit('/').next().unwrap_or(path),
        None => arn_or_name,
    }
}

/// The service principal ECS tasks assume roles as.
pub const ECS_TASKS_PRINCIPAL: &str = "ecs-tasks.amazonaws.com";

/// Whether a trust policy (URL-encoded or plain JSON) lets `ecs-tasks.amazonaws.com`
/// assume the role: an `Allow` statement whose `Principal.Service` (string or list) names it.
pub fn trusts_ecs_tasks(document: &str) -> Result<bool, String> {
    let decoded = if document.trim_start().starts_with('{') {
        document.to_owned()
    } else {
        percent_decode(document)
    };
    let policy: Value = serde_json::from_str(&decoded)
        .map_err(|e| format!("trust policy is not valid JSON: {e}"))?;
    let statements = match policy.get("Statement") {
        Some(Value::Array(list)) => list.clone(),
        Some(single @ Value::Object(_)) => vec![single.clone()],
        _ => return Ok(false),
    };
    Ok(statements.iter().any(|st| {
        st.get("Effect").and_then(Value::as_str) == Some("Allow")
            && match st.get("Principal").and_then(|p| p.get("Service")) {
                Some(Value::String(s)) => s == ECS_TASKS_PRINCIPAL,
                Some(Value::Array(list)) => {
                    list.iter().any(|s| s.as_str() == Some(ECS_TASKS_PRINCIPAL))
                }
                _ => false,
            }
    }))
}

/// Where a `secrets[].valueFrom` (or `repositoryCredentials`) value lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretRef {
    /// An SSM parameter, by name or ARN (GetParameters accepts both).
    Ssm(String),
    /// A Secrets Manager secret ARN without the `:json-key:version-stage:version-id` suffix.
    SecretsManager(String),
}

/// Classifies a `valueFrom`: Secrets Manager ARNs (`arn:PART:secretsmanager:REGION:ACCOUNT:
/// secret:NAME[:json-key:stage:version]`) lose the JSON-key suffix; anything else is an SSM
/// parameter name or ARN.
pub fn classify_secret(value_from: &str) -> SecretRef {
    let parts: Vec<&str> = value_from.split(':').collect();
    if parts.len() >= 7 && parts[0] == "arn" && parts[2] == "secretsmanager" && parts[5] == "secret"
    {
        return SecretRef::SecretsManager(parts[..7].join(":"));
    }
    SecretRef::Ssm(value_from.to_owned())
}

/// Checks a service `loadBalancers[]` entry against the task definition: the container must
/// exist and publish `container_port` in its `portMappings[].containerPort`.
pub fn check_lb_container(
    task_definition: &Value,
    container_name: &str,
    container_port: i64,
) -> Result<(), String> {
    let containers = container_definitions(task_definition);
    let Some(container) = containers
        .iter()
        .find(|c| c.get("name").and_then(Value::as_str) == Some(container_name))
    else {
        return Err(format!(
            "container {container_name:?} is not in the task definition"
        ));
    };
    let ports: Vec<i64> = port_mappings(container)
        .iter()
        .filter_map(|p| p.get("containerPort").and_then(Value::as_i64))
        .collect();
    if ports.contains(&container_port) {
        Ok(())
    } else {
        Err(format!(
            "container {container_name:?} has no portMapping for containerPort {container_port} (has {ports:?})"
        ))
    }
}

/// Named `portMappings[].name` across all containers (Service Connect refers to them).
pub fn port_names(task_definition: &Value) -> Vec<String> {
    container_definitions(task_definition)
        .iter()
        .flat_map(port_mappings)
        .filter_map(|p| p.get("name").and_then(Value::as_str).map(str::to_owned))
        .collect()
}

/// `serviceConnectConfiguration.services[].portName` values not among the task definition's
/// named port mappings.
pub fn missing_service_connect_ports(service: &Value, task_definition: &Value) -> Vec<String> {
    let names = port_names(task_definition);
    service
        .pointer("/serviceConnectConfiguration/services")
        .and_then(Value::as_array)
        .map(|list| {
            list.iter()
                .filter_map(|s| s.get("portName").and_then(Value::as_str))
                .filter(|p| !names.iter().any(|n| n == p))
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

/// A container's awslogs log group: `(group, will_be_created)`, `None` for other drivers.
pub fn awslogs_group(container: &Value) -> Option<(String, bool)> {
    let conf = container.get("logConfiguration")?;
    if conf.get("logDriver").and_then(Value::as_str) != Some("awslogs") {
        return None;
    }
    let options = conf.get("options")?;
    let group = options
        .get("awslogs-group")
        .and_then(Value::as_str)?
        .to_owned();
    let create = options.get("awslogs-create-group").and_then(Value::as_str) == Some("true");
    Some((group, create))
}

/// `containerDefinitions[]` of a task definition (empty when absent).
pub fn container_definitions(task_definition: &Value) -> Vec<Value> {
    task_definition
        .get("containerDefinitions")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
}

fn port_mappings(container: &Value) -> Vec<Value> {
    container
        .get("portMappings")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ecr(
        account: &str,
        region: &str,
        repo: &str,
        tag: Option<&str>,
        digest: Option<&str>,
    ) -> ImageRef {
        ImageRef::Ecr {
            account: account.into(),
            region: region.into(),
            repository: repo.into(),
            tag: tag.map(Into::into),
            digest: digest.map(Into::into),
        }
    }

    fn reg(host: &str, repo: &str, reference: &str) -> ImageRef {
        ImageRef::Registry {
            host: host.into(),
            repository: repo.into(),
            reference: reference.into(),
        }
    }

    #[test]
    fn parses_image_references() {
        let d = "sha256:0123abcd";
        let cases = [
            (
                "123456789012.dkr.ecr.us-east-1.amazonaws.com/app:v1",
                ecr("123456789012", "us-east-1", "app", Some("v1"), None),
            ),
            (
                "123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/app",
                ecr(
                    "123456789012",
                    "eu-west-1",
                    "team/app",
                    Some("latest"),
                    None,
                ),
            ),
            (
                "123456789012.dkr.ecr.us-east-1.amazonaws.com/app@sha256:0123abcd",
                ecr("123456789012", "us-east-1", "app", None, Some(d)),
            ),
            (
                "123456789012.dkr.ecr.us-east-1.amazonaws.com/app:v1@sha256:0123abcd",
                ecr("123456789012", "us-east-1", "app", Some("v1"), Some(d)),
            ),
            (
                "123456789012.dkr-ecr.ap-northeast-1.on.aws/app:v2",
                ecr("123456789012", "ap-northeast-1", "app", Some("v2"), None),
            ),
            (
                "123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn/app:v3",
                ecr("123456789012", "cn-north-1", "app", Some("v3"), None),
            ),
            (
                "nginx",
                reg("registry-1.docker.io", "library/nginx", "latest"),
            ),
            (
                "nginx:1.27",
                reg("registry-1.docker.io", "library/nginx", "1.27"),
            ),
            (
                "bitnami/redis:7",
                reg("registry-1.docker.io", "bitnami/redis", "7"),
            ),
            (
                "docker.io/library/nginx:1",
                reg("registry-1.docker.io", "library/nginx", "1"),
            ),
            (
                "public.ecr.aws/nginx/nginx:stable",
                reg("public.ecr.aws", "nginx/nginx", "stable"),
            ),
            (
                "ghcr.io/org/tool@sha256:0123abcd",
                reg("ghcr.io", "org/tool", d),
            ),
            (
                "localhost:5000/app:dev",
                reg("localhost:5000", "app", "dev"),
            ),
            (
                "quay.io/prometheus/node-exporter",
                reg("quay.io", "prometheus/node-exporter", "latest"),
            ),
        ];
        for (input, want) in cases {
            assert_eq!(parse_image(input), Ok(want), "{input}");
        }
        for bad in ["", "app:", ":v1"] {
            assert!(parse_image(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn picks_the_ecr_image_id() {
        let cases = [
            (Some("v1"), None, (Some("v1"), None, "tag v1")),
            (
                Some("v1"),
                Some("sha256:ab"),
                (None, Some("sha256:ab"), "digest sha256:ab"),
            ),
            (
                None,
                Some("sha256:ab"),
                (None, Some("sha256:ab"), "digest sha256:ab"),
            ),
            (None, None, (Some("latest"), None, "tag latest")),
        ];
        for (tag, digest, (want_tag, want_digest, want_label)) in cases {
            let (t, d, label) = ecr_image_id(tag, digest);
            assert_eq!(t.as_deref(), want_tag, "{tag:?} {digest:?}");
            assert_eq!(d.as_deref(), want_digest, "{tag:?} {digest:?}");
            assert_eq!(label, want_label);
        }
    }

    #[test]
    fn registry_urls_use_http_only_for_loopback() {
        let cases = [
            ("registry-1.docker.io", "https://registry-1.docker.io"),
            ("public.ecr.aws", "https://public.ecr.aws"),
            ("localhost:5000", "http://localhost:5000"),
            ("localhost", "http://localhost"),
            ("127.0.0.1:5000", "http://127.0.0.1:5000"),
            ("127.1.2.3:80", "http://127.1.2.3:80"),
            ("[::1]:5000", "http://[::1]:5000"),
            ("10.0.0.1:5000", "https://10.0.0.1:5000"),
            ("localhost.example.com", "https://localhost.example.com"),
        ];
        for (host, want) in cases {
            assert_eq!(registry_base_url(host), want, "{host}");
        }
        assert_eq!(
            manifest_path("library/nginx", "1.27"),
            "/v2/library/nginx/manifests/1.27"
        );
        for media in [
            "application/vnd.oci.image.index.v1+json",
            "application/vnd.oci.image.manifest.v1+json",
            "application/vnd.docker.distribution.manifest.list.v2+json",
            "application/vnd.docker.distribution.manifest.v2+json",
        ] {
            assert!(MANIFEST_ACCEPT.split(", ").any(|m| m == media), "{media}");
        }
    }

    #[test]
    fn parses_bearer_challenges() {
        let full = |realm: &str, service: Option<&str>, scope: Option<&str>| {
            Some(BearerChallenge {
                realm: realm.into(),
                service: service.map(Into::into),
                scope: scope.map(Into::into),
            })
        };
        let cases = [
            (
                r#"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/nginx:pull""#,
                full(
                    "https://auth.docker.io/token",
                    Some("registry.docker.io"),
                    Some("repository:library/nginx:pull"),
                ),
            ),
            (
                r#"bearer scope="repository:a/b:pull,push", realm="https://ghcr.io/token",service="ghcr.io""#,
                full(
                    "https://ghcr.io/token",
                    Some("ghcr.io"),
                    Some("repository:a/b:pull,push"),
                ),
            ),
            (
                "Bearer realm=https://quay.io/v2/auth,service=quay.io",
                full("https://quay.io/v2/auth", Some("quay.io"), None),
            ),
            (r#"Basic realm="registry""#, None),
            (r#"Bearer service="x""#, None),
            ("Bearer", None),
            ("", None),
        ];
        for (header, want) in cases {
            assert_eq!(parse_www_authenticate(header), want, "{header}");
        }
    }

    #[test]
    fn target_group_type_must_fit_the_network_mode() {
        let tg = |t: &str| json!({"targetType": t, "loadBalancerArns": ["arn:lb"]});
        let cases = [
            (tg("ip"), Some("awsvpc"), true),
            (tg("instance"), Some("awsvpc"), false),
            (tg("instance"), Some("bridge"), true),
            (tg("instance"), None, true),
            (tg("ip"), None, false),
            (tg("ip"), Some("host"), false),
            (tg("lambda"), Some("awsvpc"), false),
            (tg("alb"), Some("bridge"), false),
            (
                json!({"loadBalancerArns": ["arn:lb"]}),
                Some("bridge"),
                true,
            ),
            (tg("ip"), Some("none"), true),
        ];
        for (group, mode, ok) in cases {
            assert_eq!(
                check_target_group(&group, mode, true).is_ok(),
                ok,
                "{group} {mode:?}"
            );
        }
        let detached = json!({"targetType": "ip", "loadBalancerArns": []});
        assert!(check_target_group(&detached, Some("awsvpc"), true).is_err());
        assert!(check_target_group(&json!({"targetType": "ip"}), Some("awsvpc"), true).is_err());
        assert_eq!(check_target_group(&detached, Some("awsvpc"), false), Ok(()));
        assert_eq!(
            check_target_group(&tg("instance"), Some("awsvpc"), true),
            Err(r#"target type is "instance" but networkMode "awsvpc" needs "ip""#.to_owned())
        );
    }

    #[test]
    fn lists_target_groups_including_blue_green_alternates() {
        let service = json!({"loadBalancers": [
            {"targetGroupArn": "arn:blue", "containerName": "app", "containerPort": 80,
             "advancedConfiguration": {"alternateTargetGroupArn": "arn:green"}},
            {"loadBalancerName": "classic", "containerName": "app", "containerPort": 80}
        ]});
        assert_eq!(
            target_group_arns(&service),
            vec![
                (TargetGroupRole::Primary, "arn:blue".to_owned()),
                (TargetGroupRole::Alternate, "arn:green".to_owned())
            ]
        );
        assert!(target_group_arns(&json!({})).is_empty());
    }

    #[test]
    fn checks_trust_policies() {
        let string_principal = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
        let encoded = "%7B%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Principal%22%3A%7B%22Service%22%3A%5B%22ec2.amazonaws.com%22%2C%22ecs-tasks.amazonaws.com%22%5D%7D%7D%5D%7D";
        let single_statement =
            r#"{"Statement":{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"}}}"#;
        let wrong =
            r#"{"Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"}}]}"#;
        let deny = r#"{"Statement":[{"Effect":"Deny","Principal":{"Service":"ecs-tasks.amazonaws.com"}}]}"#;
        let aws_principal =
            r#"{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::1:root"}}]}"#;
        let cases = [
            (string_principal, true),
            (encoded, true),
            (single_statement, true),
            (wrong, false),
            (deny, false),
            (aws_principal, false),
        ];
        for (doc, want) in cases {
            assert_eq!(trusts_ecs_tasks(doc), Ok(want), "{doc}");
        }
        assert!(trusts_ecs_tasks("%7Bnot json").is_err());
    }

    #[test]
    fn extracts_role_names() {
        let cases = [
            ("arn:aws:iam::123456789012:role/app", "app"),
            ("arn:aws:iam::123456789012:role/service-role/ecs/app", "app"),
            ("plain-name", "plain-name"),
        ];
        for (input, want) in cases {
            assert_eq!(role_name(input), want, "{input}");
        }
    }

    #[test]
    fn percent_decoding_keeps_invalid_escapes() {
        assert_eq!(percent_decode("a%20b%2"), "a b%2");
        assert_eq!(percent_decode("%zz%41"), "%zzA");
    }

    #[test]
    fn classifies_secret_references() {
        let cases = [
            (
                "/app/db/password",
                SecretRef::Ssm("/app/db/password".into()),
            ),
            (
                "arn:aws:ssm:us-east-1:123456789012:parameter/app/key",
                SecretRef::Ssm("arn:aws:ssm:us-east-1:123456789012:parameter/app/key".into()),
            ),
            (
                "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf",
                SecretRef::SecretsManager(
                    "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf".into(),
                ),
            ),
            (
                "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf:password::",
                SecretRef::SecretsManager(
                    "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf".into(),
                ),
            ),
        ];
        for (input, want) in cases {
            assert_eq!(classify_secret(input), want, "{input}");
        }
    }

    #[test]
    fn matches_load_balancer_containers_and_service_connect_ports() {
        let td = json!({"containerDefinitions": [
            {"name": "app", "portMappings": [{"containerPort": 8080, "name": "http"}]},
            {"name": "sidecar"}
        ]});
        assert_eq!(check_lb_container(&td, "app", 8080), Ok(()));
        for (name, port) in [("app", 80), ("sidecar", 8080), ("missing", 8080)] {
            assert!(
                check_lb_container(&td, name, port).is_err(),
                "{name}:{port}"
            );
        }
        let sc = json!({"serviceConnectConfiguration": {"services": [{"portName": "http"}, {"portName": "grpc"}]}});
        assert_eq!(
            missing_service_connect_ports(&sc, &td),
            vec!["grpc".to_owned()]
        );
        assert!(missing_service_connect_ports(&json!({}), &td).is_empty());
    }

    #[test]
    fn reads_awslogs_groups() {
        let cases = [
            (
                json!({"logConfiguration": {"logDriver": "awslogs", "options": {"awslogs-group": "/ecs/app"}}}),
                Some(("/ecs/app".to_owned(), false)),
            ),
            (
                json!({"logConfiguration": {"logDriver": "awslogs", "options": {"awslogs-group": "/ecs/app", "awslogs-create-group": "true"}}}),
                Some(("/ecs/app".to_owned(), true)),
            ),
            (
                json!({"logConfiguration": {"logDriver": "json-file"}}),
                None,
            ),
            (json!({}), None),
        ];
        for (container, want) in cases {
            assert_eq!(awslogs_group(&container), want, "{container}");
        }
    }

    #[test]
    fn renders_an_indented_tree() {
        let tree = vec![
            CheckNode::ok("Cluster c"),
            CheckNode::group(
                "Container app",
                vec![
                    CheckNode::ng("Secret /x", "not found"),
                    CheckNode::skip("Image i", "offline"),
                ],
            ),
        ];
        assert_eq!(
            render_tree(&tree),
            "Cluster c: OK\nContainer app: NG\n  Secret /x: NG (not found)\n  Image i: SKIP (offline)\n"
        );
    }

    #[test]
    fn group_status_is_the_worst_child() {
        let ok = CheckNode::ok("a");
        let ng = CheckNode::ng("b", "missing");
        let skip = CheckNode::skip("c", "offline");
        assert_eq!(
            CheckNode::group("g", vec![ok.clone(), skip.clone()]).status,
            CheckStatus::Ok
        );
        assert_eq!(
            CheckNode::group("g", vec![ok, ng, skip.clone()]).status,
            CheckStatus::Ng
        );
        assert_eq!(CheckNode::group("g", vec![skip]).status, CheckStatus::Skip);
        assert!(
            CheckNode::group(
                "outer",
                vec![CheckNode::group("g", vec![CheckNode::ng("x", "y")])]
            )
            .has_ng()
        );
    }
}
