//! Authorisation: per-environment allowlists of Slack user ids and channel ids.
//!
//! Both must match: the user is on the list *and* the request comes from a listed channel (so a
//! production deploy happens where the team sees it). An environment's `commands:` entry
//! replaces both lists for that command, which is how production restricts deploy/rollback to a
//! smaller group than status/diff. The Approve button counts as `continue` and falls back to the
//! `deploy` override (it lets a deployment go on); the Roll back button counts as `rollback`.
//! Refusals say why, never which ids would have been allowed.

use std::collections::BTreeMap;

use super::command::Action;
use super::config::{Allow, EnvAccess};

/// The outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Go ahead.
    Allowed,
    /// Refused, with a reason for the user.
    Denied(String),
}

/// Decide whether `user` may run `action` in `env` from `channel`.
pub fn authorize(
    environments: &BTreeMap<String, EnvAccess>,
    env: &str,
    action: Action,
    user: &str,
    channel: &str,
) -> Decision {
    let Some(access) = environments.get(env) else {
        return Decision::Denied(format!(
            "environment `{env}` has no access rules in chatops.yml, so nobody may use it"
        ));
    };
    let rules = access.commands.get(&action).or_else(|| {
        (action == Action::Continue)
            .then(|| access.commands.get(&Action::Deploy))
            .flatten()
    });
    let (users, channels) = match rules {
        Some(Allow { users, channels }) => (users, channels),
        None => (&access.users, &access.channels),
    };
    if !users.iter().any(|u| u == user) {
        return Decision::Denied(format!(
            "you are not allowed to {} in `{env}`",
            action.as_str()
        ));
    }
    if !channels.iter().any(|c| c == channel) {
        return Decision::Denied(format!(
            "{} in `{env}` is not allowed from this channel",
            action.as_str()
        ));
    }
    Decision::Allowed
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allow(users: &[&str], channels: &[&str]) -> Allow {
        Allow {
            users: users.iter().map(|s| s.to_string()).collect(),
            channels: channels.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn decisions() {
        let mut envs = BTreeMap::new();
        envs.insert(
            "staging".to_string(),
            EnvAccess {
                users: vec!["U1".into(), "U2".into()],
                channels: vec!["C1".into()],
                commands: BTreeMap::new(),
            },
        );
        envs.insert(
            "prod".to_string(),
            EnvAccess {
                users: vec!["U1".into(), "U2".into()],
                channels: vec!["C1".into(), "C2".into()],
                commands: [
                    (Action::Deploy, allow(&["U1"], &["C2"])),
                    (Action::Rollback, allow(&["U1", "U3"], &["C2"])),
                ]
                .into_iter()
                .collect(),
            },
        );
        use Action::*;
        let cases = [
            ("staging", Deploy, "U1", "C1", None),
            ("staging", Deploy, "U2", "C1", None),
            (
                "staging",
                Deploy,
                "U3",
                "C1",
                Some("you are not allowed to deploy"),
            ),
            (
                "staging",
                Status,
                "U1",
                "C9",
                Some("not allowed from this channel"),
            ),
            ("staging", Deploy, "", "C1", Some("you are not allowed")),
            // prod: status/diff use the environment lists...
            ("prod", Status, "U2", "C1", None),
            ("prod", Diff, "U2", "C2", None),
            ("prod", Status, "U3", "C1", Some("not allowed to status")),
            // ...deploy/rollback their overrides.
            ("prod", Deploy, "U2", "C2", Some("not allowed to deploy")),
            (
                "prod",
                Deploy,
                "U1",
                "C1",
                Some("not allowed from this channel"),
            ),
            ("prod", Deploy, "U1", "C2", None),
            ("prod", Rollback, "U3", "C2", None),
            (
                "prod",
                Rollback,
                "U2",
                "C2",
                Some("not allowed to rollback"),
            ),
            // The Approve button follows deploy's override.
            (
                "prod",
                Continue,
                "U2",
                "C2",
                Some("not allowed to continue"),
            ),
            ("prod", Continue, "U1", "C2", None),
            ("staging", Continue, "U2", "C1", None),
            ("dev", Status, "U1", "C1", Some("no access rules")),
        ];
        for (env, action, user, channel, want) in cases {
            let got = authorize(&envs, env, action, user, channel);
            match want {
                None => assert_eq!(got, Decision::Allowed, "{env} {action:?} {user} {channel}"),
                Some(w) => match got {
                    Decision::Denied(why) => {
                        assert!(why.contains(w), "{env} {action:?} {user} {channel}: {why}");
                        assert!(!why.contains("U1") && !why.contains("C2"), "{why}");
                    }
                    Decision::Allowed => panic!("{env} {action:?} {user} {channel} allowed"),
                },
            }
        }
    }
}
