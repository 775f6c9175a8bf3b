//! Fixed orders of blue/green progress points: ECS service-deployment lifecycle stages and
//! CodeDeploy ECS lifecycle events.
//!
//! Why tables and not the SDK enums: `--wait-until stage:<STAGE>` returns once a deployment
//! has reached *or passed* a stage, which needs an order, and the SDK's enum order is not
//! guaranteed (ecspresso learned this, ecspresso.md §5.1). Two ECS enums exist: the response's
//! `ServiceDeploymentLifecycleStage` (has SCALE_UP, BAKE_TIME, CLEAN_UP) and the hook's
//! `DeploymentLifecycleHookStage` (has PRE_PRODUCTION_TRAFFIC_SHIFT); both are accepted, in one
//! order (ecs-platform-and-peers.md §6.4).

/// Every ECS lifecycle stage a deployment or a hook can name, in execution order.
pub const ECS_STAGES: [&str; 11] = [
    "RECONCILE_SERVICE",
    "PRE_SCALE_UP",
    "SCALE_UP",
    "POST_SCALE_UP",
    "TEST_TRAFFIC_SHIFT",
    "POST_TEST_TRAFFIC_SHIFT",
    "PRE_PRODUCTION_TRAFFIC_SHIFT",
    "PRODUCTION_TRAFFIC_SHIFT",
    "POST_PRODUCTION_TRAFFIC_SHIFT",
    "BAKE_TIME",
    "CLEAN_UP",
];

/// The CodeDeploy ECS lifecycle events, in execution order (ecs-platform-and-peers.md §7).
pub const CODEDEPLOY_EVENTS: [&str; 8] = [
    "BeforeInstall",
    "Install",
    "AfterInstall",
    "AllowTestTraffic",
    "AfterAllowTestTraffic",
    "BeforeAllowTraffic",
    "AllowTraffic",
    "AfterAllowTraffic",
];

/// The position of an ECS stage in [`ECS_STAGES`] (exact, upper-case name).
pub fn ecs_stage_index(stage: &str) -> Option<usize> {
    ECS_STAGES.iter().position(|s| *s == stage)
}

/// The canonical spelling of an ECS stage given in any case (`bake_time` → `BAKE_TIME`).
pub fn ecs_stage(name: &str) -> Option<&'static str> {
    ECS_STAGES
        .iter()
        .copied()
        .find(|s| s.eq_ignore_ascii_case(name))
}

/// The position of a CodeDeploy lifecycle event in [`CODEDEPLOY_EVENTS`].
pub fn codedeploy_event_index(event: &str) -> Option<usize> {
    CODEDEPLOY_EVENTS.iter().position(|s| *s == event)
}

/// The canonical spelling of a CodeDeploy event given in any case (`allowtraffic` →
/// `AllowTraffic`).
pub fn codedeploy_event(name: &str) -> Option<&'static str> {
    CODEDEPLOY_EVENTS
        .iter()
        .copied()
        .find(|s| s.eq_ignore_ascii_case(name))
}

/// Whether `current` is at or past `target` (both in [`ECS_STAGES`]; unknown → false).
pub fn ecs_stage_reached(current: &str, target: &str) -> bool {
    match (ecs_stage_index(current), ecs_stage_index(target)) {
        (Some(c), Some(t)) => c >= t,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stage_order_and_spelling() {
        assert_eq!(ecs_stage("bake_time"), Some("BAKE_TIME"));
        assert_eq!(ecs_stage("BAKE"), None);
        assert!(ecs_stage_reached("CLEAN_UP", "BAKE_TIME"));
        assert!(ecs_stage_reached("BAKE_TIME", "BAKE_TIME"));
        assert!(!ecs_stage_reached("PRODUCTION_TRAFFIC_SHIFT", "BAKE_TIME"));
        // The hook-only stage sits between the test and production shifts.
        assert!(ecs_stage_reached(
            "PRODUCTION_TRAFFIC_SHIFT",
            "PRE_PRODUCTION_TRAFFIC_SHIFT"
        ));
        assert!(!ecs_stage_reached(
            "POST_TEST_TRAFFIC_SHIFT",
            "PRE_PRODUCTION_TRAFFIC_SHIFT"
        ));
        assert!(!ecs_stage_reached("NOT_A_STAGE", "SCALE_UP"));
        assert_eq!(codedeploy_event("allowtraffic"), Some("AllowTraffic"));
        assert_eq!(codedeploy_event_index("AfterAllowTraffic"), Some(7));
        assert_eq!(codedeploy_event("Ready"), None);
    }
}
