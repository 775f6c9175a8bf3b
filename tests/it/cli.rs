//! Help, version, completions, exit codes: the CLI contract.

use crate::support::{bin, code, run, stderr, stdout};

#[test]
fn version_prints_package_version() {
    let o = run(bin().arg("version"));
    assert_eq!(code(&o), 0);
    assert_eq!(
        stdout(&o).trim(),
        format!("ecspress {}", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn help_snapshots() {
    for args in [
        vec!["--help"],
        vec!["render", "--help"],
        vec!["tfstate", "lookup", "--help"],
    ] {
        let o = run(bin().args(&args).env("COLUMNS", "100"));
        assert_eq!(code(&o), 0, "{args:?}");
        insta::assert_snapshot!(
            format!("help_{}", args.join("_").replace("--", "")),
            stdout(&o)
        );
    }
}

#[test]
fn usage_error_exits_2() {
    let o = run(bin().args(["render", "nonsense"]));
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("invalid value 'nonsense'"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn completions_for_each_shell() {
    for (shell, marker) in [
        ("bash", "complete -F"),
        ("zsh", "#compdef ecspress"),
        ("fish", "complete -c ecspress"),
    ] {
        let o = run(bin().args(["completion", shell]));
        assert_eq!(code(&o), 0, "{shell}");
        let out = stdout(&o);
        assert!(out.contains(marker), "{shell}: {out:.200}");
        assert!(
            out.contains("tfstate"),
            "{shell} completion lists subcommands"
        );
    }
}
