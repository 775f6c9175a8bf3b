//! `ecspress verify` end to end: the example project against the simulator (ECS), moto (IAM,
//! ECR, SSM, Secrets Manager, Logs, ELBv2) and a local fake container registry that demands
//! an anonymous bearer token, printing the OK / NG / SKIP tree.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::support::{command_at, example, expect_exit, json_lines, rewrite, sim, stdout};

/// `ecspress verify ARGS` in `dir`, ECS at the simulator and SSM at moto.
fn verify(sim: &sim::SimProcess, dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    let mut full = vec!["verify"];
    full.extend_from_slice(args);
    command_at(
        &sim.url,
        dir,
        &[
            ("AWS_ENDPOINT_URL_SSM", crate::support::moto::endpoint()),
            ("AWS_ENDPOINT_URL_ECR", crate::support::moto::endpoint()),
            (
                "AWS_ENDPOINT_URL_SECRETS_MANAGER",
                crate::support::moto::endpoint(),
            ),
            (
                "AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2",
                crate::support::moto::endpoint(),
            ),
            ("AWS_ENDPOINT_URL_IAM", crate::support::moto::endpoint()),
            (
                "AWS_ENDPOINT_URL_CLOUDWATCH_LOGS",
                crate::support::moto::endpoint(),
            ),
        ],
        &full,
    )
    .output()
    .expect("run ecspress")
}

const ECS_TRUST: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
const LAMBDA_TRUST: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;

/// Create an IAM role in moto (already existing is fine: moto is shared by the test binary).
async fn create_role(name: &str, trust: &str) {
    let iam = aws_sdk_iam::Client::new(&crate::support::moto::sdk_config().await);
    let _ = iam
        .create_role()
        .role_name(name)
        .assume_role_policy_document(trust)
        .send()
        .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_example_verifies_ok_with_roles_trusting_ecs_tasks() {
    let sim = sim::start(1.0);
    sim.create_cluster("hello").await;
    create_role("hello-execution", ECS_TRUST).await;
    create_role("hello-task", ECS_TRUST).await;
    let logs = aws_sdk_cloudwatchlogs::Client::new(&crate::support::moto::sdk_config().await);
    let _ = logs
        .create_log_group()
        .log_group_name("/ecs/hello")
        .send()
        .await;
    let dir = example("hello", |_| {});
    let tg = existing_image_and_target_group(dir.path(), "ecspress-verify-ok").await;
    let out = verify(&sim, dir.path(), &[]);
    expect_exit(&out, 0);
    insta::assert_snapshot!(stdout(&out).replace(&tg, "TARGET_GROUP_ARN"));
}

#[tokio::test(flavor = "multi_thread")]
async fn missing_cluster_role_parameter_wrong_trust_and_port_are_ng() {
    let sim = sim::start(1.0);
    create_role("ecspress-verify-lambda-trust", LAMBDA_TRUST).await;
    let dir = example("hello", |d| {
        rewrite(
            d,
            "terraform.tfstate",
            "role/hello-execution",
            "role/ecspress-verify-missing",
        );
        rewrite(
            d,
            "terraform.tfstate",
            "/ecs/hello",
            "/ecs/ecspress-verify-missing",
        );
        rewrite(
            d,
            "terraform.tfstate",
            "role/hello-task",
            "role/ecspress-verify-lambda-trust",
        );
        rewrite(
            d,
            "ecs-task-def.json",
            r#""essential": true,"#,
            r#""essential": true, "secrets": [{"name": "DB", "valueFrom": "/ecspress-verify-test/missing"}],"#,
        );
        rewrite(
            d,
            "ecs-service-def.json",
            r#""containerPort": 80"#,
            r#""containerPort": 8080"#,
        );
        rewrite(
            d,
            "ecs-task-def.json",
            r#"public.ecr.aws/nginx/nginx:{{ env(name="IMAGE_TAG", default="1.27") }}"#,
            &ecr_image("us-east-1", "ecspress-verify-no-such-repo:v1"),
        );
    });
    let out = verify(&sim, dir.path(), &[]);
    expect_exit(&out, 1);
    insta::assert_snapshot!(stdout(&out));

    let json = verify(&sim, dir.path(), &["--output", "json"]);
    expect_exit(&json, 1);
    let records = json_lines(&json);
    let tree = records
        .iter()
        .find(|r| r["type"] == "verify")
        .expect("a verify record");
    assert_eq!(tree["data"]["ok"], false);
    assert_eq!(tree["data"]["checks"][0]["status"], "NG");
}

const ACCOUNT: &str = "123456789012";

/// An ECR repository with one image tagged `tag` in moto's `region`; returns its digest.
async fn put_ecr_image(region: &str, repository: &str, tag: &str) -> String {
    let cfg = aws_sdk_ecr::config::Builder::from(&crate::support::moto::sdk_config().await)
        .region(aws_types::region::Region::new(region.to_owned()))
        .build();
    let ecr = aws_sdk_ecr::Client::from_conf(cfg);
    let _ = ecr
        .create_repository()
        .repository_name(repository)
        .send()
        .await;
    let manifest = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
        "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "size": 1,
                   "digest": format!("sha256:{}", "a".repeat(64))},
        "layers": []
    });
    let _ = ecr
        .put_image()
        .repository_name(repository)
        .image_manifest(manifest.to_string())
        .image_tag(tag)
        .send()
        .await;
    let out = ecr
        .describe_images()
        .repository_name(repository)
        .image_ids(
            aws_sdk_ecr::types::ImageIdentifier::builder()
                .image_tag(tag)
                .build(),
        )
        .send()
        .await
        .expect("describe the image just pushed");
    out.image_details()[0]
        .image_digest()
        .expect("digest")
        .to_owned()
}

fn ecr_image(region: &str, rest: &str) -> String {
    format!("{ACCOUNT}.dkr.ecr.{region}.amazonaws.com/{rest}")
}

/// `aws ARGS --output text` against moto with the AWS CLI in the test virtualenv (the crate
/// has no EC2 client).
fn aws_cli(args: &[&str]) -> String {
    let out = std::process::Command::new(crate::support::moto::venv_bin("aws"))
        .args([
            "--endpoint-url",
            crate::support::moto::endpoint(),
            "--region",
            "us-east-1",
            "--output",
            "text",
        ])
        .args(args)
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .output()
        .expect("run the AWS CLI");
    assert!(out.status.success(), "{}", crate::support::describe(&out));
    stdout(&out).trim().to_owned()
}

/// moto's default VPC (ELBv2 CreateTargetGroup needs an existing VPC).
fn default_vpc() -> String {
    let vpc = aws_cli(&["ec2", "describe-vpcs", "--query", "Vpcs[0].VpcId"]);
    assert!(vpc.starts_with("vpc-"), "{vpc}");
    vpc
}

/// A target group in moto (unique `name` per test); returns its ARN. With `attached`, an
/// ALB of the same name gets a listener forwarding to it (ECS needs that association).
async fn create_target_group(name: &str, target_type: &str, attached: bool) -> String {
    let elb =
        aws_sdk_elasticloadbalancingv2::Client::new(&crate::support::moto::sdk_config().await);
    let vpc = default_vpc();
    let out = elb
        .create_target_group()
        .name(name)
        .protocol(aws_sdk_elasticloadbalancingv2::types::ProtocolEnum::Http)
        .port(80)
        .vpc_id(&vpc)
        .target_type(target_type.into())
        .send()
        .await
        .expect("create target group");
    let arn = out.target_groups()[0]
        .target_group_arn()
        .expect("arn")
        .to_owned();
    if attached {
        let filter = format!("Name=vpc-id,Values={vpc}");
        let subnets = aws_cli(&[
            "ec2",
            "describe-subnets",
            "--filters",
            &filter,
            "--query",
            "Subnets[].SubnetId",
        ]);
        let lb = elb
            .create_load_balancer()
            .name(name)
            .set_subnets(Some(
                subnets
                    .split_whitespace()
                    .take(2)
                    .map(str::to_owned)
                    .collect(),
            ))
            .send()
            .await
            .expect("create load balancer");
        let lb_arn = lb.load_balancers()[0]
            .load_balancer_arn()
            .expect("lb arn")
            .to_owned();
        elb.create_listener()
            .load_balancer_arn(lb_arn)
            .protocol(aws_sdk_elasticloadbalancingv2::types::ProtocolEnum::Http)
            .port(80)
            .default_actions(
                aws_sdk_elasticloadbalancingv2::types::Action::builder()
                    .r#type(aws_sdk_elasticloadbalancingv2::types::ActionTypeEnum::Forward)
                    .target_group_arn(&arn)
                    .build(),
            )
            .send()
            .await
            .expect("create listener");
    }
    arn
}

/// The example's images and target group, made deterministic: an ECR image and an `ip`
/// target group that exist in moto. Returns the target group ARN (random in moto).
async fn existing_image_and_target_group(dir: &std::path::Path, name: &str) -> String {
    put_ecr_image("us-east-1", name, "v1").await;
    let tg = create_target_group(name, "ip", true).await;
    rewrite(
        dir,
        "ecs-task-def.json",
        r#"public.ecr.aws/nginx/nginx:{{ env(name="IMAGE_TAG", default="1.27") }}"#,
        &ecr_image("us-east-1", &format!("{name}:v1")),
    );
    rewrite(
        dir,
        "terraform.tfstate",
        "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/hello-blue/0123456789abcdef",
        &tg,
    );
    tg
}

/// A container registry on 127.0.0.1 that speaks the Docker token flow: manifest requests
/// without `Authorization: Bearer anon-token` get 401 and a Bearer challenge pointing at its
/// `/token`, which hands out that token anonymously. `team/app` has tag `v1` and
/// [`REGISTRY_DIGEST`] (served only to clients accepting the OCI index media type, as a
/// multi-arch image is); `private/*` refuses even the anonymous token.
struct FakeRegistry {
    /// `127.0.0.1:PORT`
    host: String,
    /// Token requests served.
    tokens: Arc<AtomicUsize>,
    /// Manifest requests that carried no token.
    challenged: Arc<AtomicUsize>,
}

const REGISTRY_DIGEST: &str =
    "sha256:1111111111111111111111111111111111111111111111111111111111111111";

fn fake_registry() -> FakeRegistry {
    use axum::body::Body;
    use axum::http::{Response, StatusCode, header};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.set_nonblocking(true).expect("nonblocking");
    let host = listener.local_addr().expect("addr").to_string();
    let tokens = Arc::new(AtomicUsize::new(0));
    let challenged = Arc::new(AtomicUsize::new(0));
    let (t, c, realm) = (
        tokens.clone(),
        challenged.clone(),
        format!("http://{host}/token"),
    );
    let handler = move |req: axum::extract::Request| {
        let (t, c, realm) = (t.clone(), c.clone(), realm.clone());
        async move {
            let response: Result<Response<Body>, axum::http::Error> = async move {
            let path = req.uri().path().to_owned();
            let query = req.uri().query().unwrap_or_default().to_owned();
            let reply = |status: StatusCode| Response::builder().status(status);
            if path == "/token" {
                if !query.contains("service=fake-registry") || !query.contains("scope=repository") {
                    return reply(StatusCode::BAD_REQUEST).body(Body::empty());
                }
                t.fetch_add(1, Ordering::SeqCst);
                return reply(StatusCode::OK)
                    .header(header::CONTENT_TYPE, "application/json")
                    .body(Body::from(r#"{"token":"anon-token"}"#));
            }
            let Some((repo, reference)) = path
                .strip_prefix("/v2/")
                .and_then(|p| p.rsplit_once("/manifests/"))
            else {
                return reply(StatusCode::NOT_FOUND).body(Body::empty());
            };
            let auth = req
                .headers()
                .get(header::AUTHORIZATION)
                .and_then(|h| h.to_str().ok());
            if auth != Some("Bearer anon-token") || repo.starts_with("private/") {
                c.fetch_add(1, Ordering::SeqCst);
                let challenge = format!(
                    r#"Bearer realm="{realm}",service="fake-registry",scope="repository:{repo}:pull""#
                );
                return reply(StatusCode::UNAUTHORIZED)
                    .header(header::WWW_AUTHENTICATE, challenge)
                    .body(Body::empty());
            }
            let accept = req
                .headers()
                .get(header::ACCEPT)
                .and_then(|h| h.to_str().ok())
                .unwrap_or_default();
            let known = repo == "team/app" && (reference == "v1" || reference == REGISTRY_DIGEST);
            if known && accept.contains("application/vnd.oci.image.index.v1+json") {
                reply(StatusCode::OK)
                    .header(
                        header::CONTENT_TYPE,
                        "application/vnd.oci.image.index.v1+json",
                    )
                    .header("docker-content-digest", REGISTRY_DIGEST)
                    .body(Body::empty())
            } else {
                reply(StatusCode::NOT_FOUND).body(Body::empty())
            }
        }
            .await;
            response.expect("a valid fake registry response")
        }
    };
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
            let app = axum::Router::new().fallback(handler);
            let _ = axum::serve(listener, app).await;
        });
    });
    FakeRegistry {
        host,
        tokens,
        challenged,
    }
}

/// Replace the example's task definition (no roles, no logs: only images) and service.
fn only_containers(dir: &std::path::Path, containers: &[(&str, String)], service: &str) {
    let containers: Vec<_> = containers
        .iter()
        .map(|(name, image)| serde_json::json!({"name": name, "image": image, "essential": true}))
        .collect();
    let td = serde_json::json!({
        "family": "hello",
        "networkMode": "awsvpc",
        "requiresCompatibilities": ["FARGATE"],
        "cpu": "256",
        "memory": "512",
        "containerDefinitions": containers,
    });
    std::fs::write(dir.join("ecs-task-def.json"), td.to_string()).expect("write td");
    std::fs::write(dir.join("ecs-service-def.json"), service).expect("write service");
}

#[tokio::test(flavor = "multi_thread")]
async fn images_are_looked_up_in_ecr_and_registries() {
    let sim = sim::start(1.0);
    sim.create_cluster("hello").await;
    let repo = "ecspress-verify-images";
    let digest = put_ecr_image("us-east-1", repo, "v1").await;
    put_ecr_image("eu-west-1", "ecspress-verify-images-eu", "v2").await;
    let registry = fake_registry();
    let r = &registry.host;
    let containers = [
        ("ecr-tag", ecr_image("us-east-1", &format!("{repo}:v1"))),
        (
            "ecr-digest",
            ecr_image("us-east-1", &format!("{repo}@{digest}")),
        ),
        (
            "ecr-tag-digest",
            ecr_image("us-east-1", &format!("{repo}:v1@{digest}")),
        ),
        (
            "ecr-other-region",
            ecr_image("eu-west-1", "ecspress-verify-images-eu:v2"),
        ),
        (
            "ecr-dual-stack",
            format!("{ACCOUNT}.dkr-ecr.eu-west-1.on.aws/ecspress-verify-images-eu:v2"),
        ),
        (
            "ecr-missing-tag",
            ecr_image("us-east-1", &format!("{repo}:v9")),
        ),
        (
            "ecr-missing-digest",
            ecr_image("us-east-1", &format!("{repo}@sha256:{}", "b".repeat(64))),
        ),
        (
            "ecr-missing-repo",
            ecr_image("us-east-1", "ecspress-verify-no-such-repo:v1"),
        ),
        (
            "ecr-wrong-region",
            ecr_image("eu-west-1", &format!("{repo}:v1")),
        ),
        ("registry-tag", format!("{r}/team/app:v1")),
        ("registry-digest", format!("{r}/team/app@{REGISTRY_DIGEST}")),
        ("registry-missing", format!("{r}/team/app:v9")),
        ("registry-private", format!("{r}/private/app:v1")),
        ("registry-unreachable", "127.0.0.1:1/team/app:v1".to_owned()),
    ];
    let dir = example("hello", |d| {
        only_containers(d, &containers, r#"{"desiredCount": 1}"#);
        // The private image names registry credentials that do not exist in Secrets Manager.
        let path = d.join("ecs-task-def.json");
        let mut td: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).expect("read td")).expect("td");
        for c in td["containerDefinitions"]
            .as_array_mut()
            .expect("containers")
        {
            if c["name"] == "registry-private" {
                c["repositoryCredentials"] =
                    serde_json::json!({"credentialsParameter": "ecspress-verify-registry-creds"});
            }
        }
        std::fs::write(&path, td.to_string()).expect("write td");
    });
    let out = verify(&sim, dir.path(), &[]);
    expect_exit(&out, 1);
    // Every registry lookup was first challenged, then fetched a token.
    assert!(registry.tokens.load(Ordering::SeqCst) >= 4);
    assert!(registry.challenged.load(Ordering::SeqCst) >= 4);
    insta::assert_snapshot!(stdout(&out).replace(r.as_str(), "REGISTRY"));
}

#[tokio::test(flavor = "multi_thread")]
async fn secrets_manager_ssm_and_service_connect_port_names() {
    let sim = sim::start(1.0);
    sim.create_cluster("hello").await;
    let cfg = crate::support::moto::sdk_config().await;
    let sm = aws_sdk_secretsmanager::Client::new(&cfg);
    let _ = sm
        .create_secret()
        .name("ecspress-verify-db")
        .secret_string(r#"{"password":"s3cr3t"}"#)
        .send()
        .await;
    let arn = sm
        .describe_secret()
        .secret_id("ecspress-verify-db")
        .send()
        .await
        .expect("describe secret")
        .arn()
        .expect("arn")
        .to_owned();
    let ssm = aws_sdk_ssm::Client::new(&cfg);
    let _ = ssm
        .put_parameter()
        .name("/ecspress-verify/token")
        .value("t")
        .r#type(aws_sdk_ssm::types::ParameterType::SecureString)
        .send()
        .await;
    let image = ecr_image("us-east-1", "ecspress-verify-secrets:v1");
    put_ecr_image("us-east-1", "ecspress-verify-secrets", "v1").await;
    let missing =
        format!("arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:ecspress-verify-none-AbCdEf");
    let td = serde_json::json!({
        "family": "hello",
        "networkMode": "awsvpc",
        "requiresCompatibilities": ["FARGATE"],
        "cpu": "256",
        "memory": "512",
        "containerDefinitions": [{
            "name": "app",
            "image": image,
            "essential": true,
            "portMappings": [{"containerPort": 80, "name": "http"}],
            "secrets": [
                {"name": "DB", "valueFrom": arn},
                {"name": "DB_PASSWORD", "valueFrom": format!("{arn}:password::")},
                {"name": "DB_PASSWORD_CURRENT", "valueFrom": format!("{arn}:password:AWSCURRENT:")},
                {"name": "TOKEN", "valueFrom": "/ecspress-verify/token"}
            ]
        }]
    });
    // The same task definition plus a secret that does not exist.
    let mut td_missing = td.clone();
    td_missing["containerDefinitions"][0]["secrets"]
        .as_array_mut()
        .expect("secrets")
        .push(serde_json::json!({"name": "GONE", "valueFrom": missing}));
    let service = |port_name: &str| {
        serde_json::json!({
            "desiredCount": 1,
            "serviceConnectConfiguration": {
                "enabled": true,
                "namespace": "local",
                "services": [{"portName": port_name, "clientAliases": [{"port": 80}]}]
            }
        })
        .to_string()
    };
    let good = example("hello", |d| {
        std::fs::write(d.join("ecs-task-def.json"), td.to_string()).expect("td");
        std::fs::write(d.join("ecs-service-def.json"), service("http")).expect("service");
    });
    let out = verify(&sim, good.path(), &[]);
    expect_exit(&out, 0);
    let text = stdout(&out).replace(&arn, "SECRET_ARN");
    insta::assert_snapshot!("secrets_and_service_connect_ok", text);

    // A missing secret and an unknown Service Connect portName: both NG, naming them.
    let bad = example("hello", |d| {
        std::fs::write(d.join("ecs-task-def.json"), td_missing.to_string()).expect("td");
        std::fs::write(d.join("ecs-service-def.json"), service("grpc")).expect("service");
    });
    let out = verify(&sim, bad.path(), &[]);
    expect_exit(&out, 1);
    let text = stdout(&out).replace(&arn, "SECRET_ARN");
    insta::assert_snapshot!("missing_secret_and_unknown_port_name", text);
}

#[tokio::test(flavor = "multi_thread")]
async fn target_groups_must_exist_and_suit_the_network_mode() {
    let sim = sim::start(1.0);
    sim.create_cluster("hello").await;
    let ip = create_target_group("ecspress-verify-tg-ip", "ip", true).await;
    let instance = create_target_group("ecspress-verify-tg-instance", "instance", false).await;
    let detached = create_target_group("ecspress-verify-tg-detached", "ip", false).await;
    put_ecr_image("us-east-1", "ecspress-verify-tg", "v1").await;
    let missing = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/ecspress-verify-none/0123456789abcdef";
    let service = serde_json::json!({
        "desiredCount": 1,
        "deploymentConfiguration": {"strategy": "BLUE_GREEN"},
        "loadBalancers": [
            {"targetGroupArn": ip, "containerName": "app", "containerPort": 80,
             "advancedConfiguration": {"alternateTargetGroupArn": instance,
                                       "productionListenerRule": "arn:rule",
                                       "roleArn": "arn:aws:iam::123456789012:role/lb"}},
            {"targetGroupArn": missing, "containerName": "app", "containerPort": 80},
            {"targetGroupArn": detached, "containerName": "app", "containerPort": 80}
        ]
    });
    let dir = example("hello", |d| {
        let image = ecr_image("us-east-1", "ecspress-verify-tg:v1");
        only_containers(d, &[("app", image)], &service.to_string());
        rewrite(
            d,
            "ecs-task-def.json",
            r#""essential":true"#,
            r#""essential":true,"portMappings":[{"containerPort":80}]"#,
        );
    });
    let out = verify(&sim, dir.path(), &[]);
    expect_exit(&out, 1);
    let text = stdout(&out)
        .replace(&ip, "IP_TARGET_GROUP_ARN")
        .replace(&instance, "INSTANCE_TARGET_GROUP_ARN")
        .replace(&detached, "DETACHED_TARGET_GROUP_ARN");
    insta::assert_snapshot!(text);
}
