//! Process exit codes: one documented number per outcome class.
//!
//! Every command maps its result to one of these. They are part of the public contract
//! (scripts and CI steps branch on them), so they are listed in the README and tested.

use std::fmt;

/// The outcome of a command, as the process exit code reports it.
///
/// Serialized (the JSON verdict's `status`) as its snake_case name: `success`, ...,
/// `task_exited`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ExitStatus {
    /// 0: the command did what was asked.
    Success,
    /// 1: a negative result that is not an error (`diff --exit-code` found changes,
    /// `verify` found problems, `tfstate lookup` found nothing).
    Negative,
    /// 2: error (usage, config, template, tfstate, AWS API); ecspress changed nothing.
    Error,
    /// 3: the deployment failed and ECS/CodeDeploy rolled it back.
    RolledBack,
    /// 4: the deployment failed and is not rolled back (stopped, rollback failed).
    FailedNotRolledBack,
    /// 5: timed out; the deployment is still in progress.
    TimedOut,
    /// 6: another deployment superseded ours.
    Superseded,
    /// 130: interrupted (Ctrl-C).
    Interrupted,
    /// `ecspress run`: the one-off task stopped and its watched container exited with this
    /// non-zero code (1..=255; codes outside 0..=255 are clamped by `model::run`). ecspresso
    /// also exits with the container's code, so scripts keep working; the JSON verdict's
    /// `status: task_exited` tells it apart from ecspress's own codes. Not in [`Self::ALL`]:
    /// its number is the task's, not ecspress's.
    TaskExited(u8),
}

impl serde::Serialize for ExitStatus {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

impl ExitStatus {
    /// The numeric process exit code.
    pub fn code(self) -> u8 {
        match self {
            ExitStatus::Success => 0,
            ExitStatus::Negative => 1,
            ExitStatus::Error => 2,
            ExitStatus::RolledBack => 3,
            ExitStatus::FailedNotRolledBack => 4,
            ExitStatus::TimedOut => 5,
            ExitStatus::Superseded => 6,
            ExitStatus::Interrupted => 130,
            ExitStatus::TaskExited(n) => n,
        }
    }

    /// The snake_case name (the JSON verdict's `status`).
    pub fn name(self) -> &'static str {
        match self {
            ExitStatus::Success => "success",
            ExitStatus::Negative => "negative",
            ExitStatus::Error => "error",
            ExitStatus::RolledBack => "rolled_back",
            ExitStatus::FailedNotRolledBack => "failed_not_rolled_back",
            ExitStatus::TimedOut => "timed_out",
            ExitStatus::Superseded => "superseded",
            ExitStatus::Interrupted => "interrupted",
            ExitStatus::TaskExited(_) => "task_exited",
        }
    }

    /// All statuses, in code order (for docs and tests).
    pub const ALL: [ExitStatus; 8] = [
        ExitStatus::Success,
        ExitStatus::Negative,
        ExitStatus::Error,
        ExitStatus::RolledBack,
        ExitStatus::FailedNotRolledBack,
        ExitStatus::TimedOut,
        ExitStatus::Superseded,
        ExitStatus::Interrupted,
    ];

    /// One-line meaning, as printed in the README table.
    pub fn meaning(self) -> &'static str {
        match self {
            ExitStatus::Success => "success",
            ExitStatus::Negative => "negative result that is not an error",
            ExitStatus::Error => "error; nothing was changed by ecspress",
            ExitStatus::RolledBack => "deployment failed and was rolled back",
            ExitStatus::FailedNotRolledBack => "deployment failed and is not rolled back",
            ExitStatus::TimedOut => "timed out; deployment still in progress",
            ExitStatus::Superseded => "superseded by another deployment",
            ExitStatus::Interrupted => "interrupted",
            ExitStatus::TaskExited(_) => "ecspress run: the task's container exit code",
        }
    }
}

impl fmt::Display for ExitStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.code(), self.meaning())
    }
}

impl From<ExitStatus> for std::process::ExitCode {
    fn from(s: ExitStatus) -> Self {
        std::process::ExitCode::from(s.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_distinct_and_documented() {
        let codes: Vec<u8> = ExitStatus::ALL.iter().map(|s| s.code()).collect();
        assert_eq!(codes, vec![0, 1, 2, 3, 4, 5, 6, 130]);
        let mut dedup = codes.clone();
        dedup.dedup();
        assert_eq!(dedup.len(), codes.len());
    }

    #[test]
    fn serialized_names_are_snake_case() {
        let names: Vec<String> = ExitStatus::ALL
            .iter()
            .chain([ExitStatus::TaskExited(3)].iter())
            .map(|s| {
                serde_json::to_value(s)
                    .unwrap()
                    .as_str()
                    .unwrap()
                    .to_owned()
            })
            .collect();
        assert_eq!(
            names,
            [
                "success",
                "negative",
                "error",
                "rolled_back",
                "failed_not_rolled_back",
                "timed_out",
                "superseded",
                "interrupted",
                "task_exited"
            ]
        );
        assert_eq!(ExitStatus::TaskExited(3).code(), 3);
    }
}
