//! `revisions` / `deregister`: which revisions of a family exist, which are in use, and which
//! a `--keeps N` clean-up may deregister. Pure: the ops layer fetches ListTaskDefinitions
//! (ACTIVE only, newest first: ecspresso.md §1.12), DescribeServices and the cluster's tasks.
//!
//! ListTaskDefinitions' `familyPrefix` is a *prefix* (`web` also lists `web-worker:3`), so rows
//! keep only ARNs whose family is exactly the service's.

use serde::Serialize;

use crate::model::revision::{Usage, family_of, revision_of, same_revision};

/// One ACTIVE revision of the family.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RevisionRow {
    /// Its ARN.
    pub arn: String,
    /// Its revision number.
    pub revision: u32,
    /// The service's `taskDefinition` is this revision.
    pub current: bool,
    /// Why it must not be deregistered (a deployment or a RUNNING task uses it), or absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub in_use: Option<String>,
}

/// The family's revisions, newest first, at most `limit` (all with `None`).
pub fn rows(
    arns: &[String],
    family: &str,
    current: Option<&str>,
    usage: &Usage,
    limit: Option<usize>,
) -> Vec<RevisionRow> {
    let mut rows: Vec<RevisionRow> = arns
        .iter()
        .filter(|a| family_of(a) == family)
        .filter_map(|a| {
            Some(RevisionRow {
                arn: a.clone(),
                revision: revision_of(a)?,
                current: current.is_some_and(|c| same_revision(c, a)),
                in_use: usage.in_use(a),
            })
        })
        .collect();
    rows.sort_by_key(|r| std::cmp::Reverse(r.revision));
    if let Some(n) = limit {
        rows.truncate(n);
    }
    rows
}

/// What `deregister --keeps N` removes: every revision but the newest `keeps`, the current
/// one, and those in use (ECS would happily deregister a revision tasks still run; we never do).
pub fn beyond_keeps(rows: &[RevisionRow], keeps: usize) -> Vec<&RevisionRow> {
    rows.iter()
        .skip(keeps)
        .filter(|r| !r.current && r.in_use.is_none())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn arn(f: &str, n: u32) -> String {
        format!("arn:aws:ecs:us-east-1:123456789012:task-definition/{f}:{n}")
    }

    fn usage() -> Usage {
        Usage {
            deployments: vec![("ecs-svc/1".into(), "PRIMARY".into(), arn("web", 5))],
            tasks: vec![("arn:t/x/t1".into(), arn("web", 2))],
        }
    }

    #[test]
    fn rows_are_the_family_newest_first_with_usage() {
        let arns = vec![
            arn("web", 2),
            arn("web-worker", 9),
            arn("web", 5),
            arn("web", 3),
        ];
        let r = rows(&arns, "web", Some("web:5"), &usage(), None);
        let got: Vec<(u32, bool, bool)> = r
            .iter()
            .map(|r| (r.revision, r.current, r.in_use.is_some()))
            .collect();
        assert_eq!(got, [(5, true, true), (3, false, false), (2, false, true)]);
        assert_eq!(rows(&arns, "web", None, &usage(), Some(1)).len(), 1);
        assert_eq!(
            r[2].in_use.as_deref(),
            Some("task t1 still runs it"),
            "running tasks count as use"
        );
    }

    #[test]
    fn keeps_never_selects_what_is_in_use_or_current() {
        let arns: Vec<String> = (1..=6).map(|n| arn("web", n)).collect();
        let r = rows(&arns, "web", Some(&arn("web", 1)), &usage(), None);
        let table: [(usize, &[u32]); 4] = [(0, &[6, 4, 3]), (2, &[4, 3]), (4, &[]), (10, &[])];
        for (keeps, want) in table {
            let got: Vec<u32> = beyond_keeps(&r, keeps).iter().map(|r| r.revision).collect();
            assert_eq!(got, want, "keeps {keeps}");
        }
    }
}
