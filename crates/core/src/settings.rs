//! The school's settings: what an admin decides once for everyone.
//!
//! They are few and read often (a guardian's read checks one), so a store keeps them as one
//! small record, and a change replaces it whole. A store that has never been given any
//! answers [`SchoolSettings::default`], which is the most private choice for each.

/// Everything a school decides for all its users. Each field's default is the one a
/// school gets before an admin says otherwise.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SchoolSettings {
    /// Guardians may read, never write, their children's conversations with teachers;
    /// every such read is audited as `guardian.read`, and students are told. Off unless
    /// an admin turns it on.
    pub guardian_oversight: bool,
}

/// A change to the settings; `None` fields stay as they are.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SettingsPatch {
    /// Turn guardian oversight on or off.
    pub guardian_oversight: Option<bool>,
}

impl SchoolSettings {
    /// These settings with `patch` applied.
    pub fn patched(&self, patch: &SettingsPatch) -> Self {
        Self {
            guardian_oversight: patch.guardian_oversight.unwrap_or(self.guardian_oversight),
        }
    }

    /// What changed from `before` to `self`, as the audit log's target states it
    /// (`guardianOversight=on`), or `None` when nothing did.
    pub fn change_from(&self, before: &Self) -> Option<String> {
        let on_off = |on: bool| if on { "on" } else { "off" };
        (self.guardian_oversight != before.guardian_oversight)
            .then(|| format!("guardianOversight={}", on_off(self.guardian_oversight)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oversight_is_off_until_an_admin_turns_it_on() {
        let default = SchoolSettings::default();
        assert!(!default.guardian_oversight);
        let on = default.patched(&SettingsPatch {
            guardian_oversight: Some(true),
        });
        assert!(on.guardian_oversight);
        assert_eq!(
            on.change_from(&default).as_deref(),
            Some("guardianOversight=on")
        );
        assert_eq!(on.patched(&SettingsPatch::default()), on);
        assert_eq!(on.change_from(&on), None);
    }
}
