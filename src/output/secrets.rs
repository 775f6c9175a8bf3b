//! The run's secret registry: every value registered here is replaced with `***` in
//! everything ecspress writes — stdout data, stderr lines and blocks, JSON Lines records — and
//! in Slack texts ([`mask`]). Why values and not fields: [`crate::model::secrets`].
//!
//! It is process-wide on purpose (like a CI runner's mask list): a secret found while
//! rendering must be hidden in any later message, whichever module writes it. Two kinds:
//! user secrets (SecureString parameters, secret-named environment values), shown again with
//! `--show-secrets`; and credentials ecspress holds (Slack webhook URLs, bot tokens), which are
//! never shown.

use std::sync::RwLock;

use crate::model::secrets::{self, MIN_LEN};

struct Registry {
    user: Vec<String>,
    credentials: Vec<String>,
    show_user: bool,
}

static REGISTRY: RwLock<Registry> = RwLock::new(Registry {
    user: Vec::new(),
    credentials: Vec::new(),
    show_user: false,
});

fn add(list: &mut Vec<String>, value: &str) {
    if value.chars().count() < MIN_LEN {
        return;
    }
    for form in secrets::forms(value) {
        if !list.contains(&form) {
            list.push(form);
        }
    }
}

/// Register user secrets (masked unless `--show-secrets`).
pub fn register<'a>(values: impl IntoIterator<Item = &'a str>) {
    let mut r = REGISTRY.write().unwrap_or_else(|p| p.into_inner());
    for v in values {
        add(&mut r.user, v);
    }
}

/// Register a credential ecspress holds (always masked).
pub fn register_credential(value: &str) {
    let mut r = REGISTRY.write().unwrap_or_else(|p| p.into_inner());
    add(&mut r.credentials, value);
}

/// `--show-secrets`: stop masking user secrets (credentials stay masked).
pub fn show_user_secrets(show: bool) {
    REGISTRY
        .write()
        .unwrap_or_else(|p| p.into_inner())
        .show_user = show;
}

/// `text` with every registered value replaced by `***`.
pub fn mask(text: &str) -> String {
    let r = REGISTRY.read().unwrap_or_else(|p| p.into_inner());
    if r.credentials.is_empty() && (r.show_user || r.user.is_empty()) {
        return text.to_owned();
    }
    let mut values: Vec<String> = r.credentials.clone();
    if !r.show_user {
        values.extend(r.user.iter().cloned());
    }
    secrets::mask(text, &values)
}

#[cfg(test)]
mod tests {
    use super::*;

    // The registry is process-wide: each test uses values no other test prints.
    #[test]
    fn registered_values_are_masked_in_every_form() {
        register(["reg-test-pa\"ss", "abc"]);
        register_credential("https://hooks.slack.test/reg-test-hook");
        assert_eq!(
            mask(
                r#"{"v":"reg-test-pa\"ss"} reg-test-pa"ss abc https://hooks.slack.test/reg-test-hook"#
            ),
            r#"{"v":"***"} *** abc ***"#
        );
    }
}
