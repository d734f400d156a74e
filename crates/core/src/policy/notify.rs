//! Who may keep notification settings: everyone who receives messages, for themselves.

use crate::error::ChatError;
use crate::user::{Role, User};

/// May `caller` subscribe browsers and set their notification preferences? Students,
/// teachers and guardians, for themselves (the caller is always the subject: there is
/// no route naming someone else). Admins receive no messages, so have nothing to be
/// notified of.
pub fn may_subscribe_push(caller: &User) -> Result<(), ChatError> {
    match caller.role {
        Role::Student | Role::Teacher | Role::Guardian => Ok(()),
        Role::Admin => Err(ChatError::forbidden(
            "admins receive no messages, so have no notifications to set",
        )),
    }
}

/// May `caller` change their preferences, `with_hours` meaning the change sets or clears
/// hours of their own? Only a teacher keeps hours (office hours); students and
/// guardians follow the hours the school sets for them.
pub fn may_change_notify_prefs(caller: &User, with_hours: bool) -> Result<(), ChatError> {
    may_subscribe_push(caller)?;
    if with_hours && caller.role != Role::Teacher {
        return Err(ChatError::forbidden(
            "only teachers set their own hours; the school sets them for students and guardians",
        ));
    }
    Ok(())
}

/// May `caller` send an urgent message (one that notifies a student or guardian even in
/// their quiet hours), `granted` saying whether an admin allowed them? Only a teacher,
/// and only with the grant. The role is checked before anything is read.
pub fn may_send_urgent(caller: &User, granted: Option<bool>) -> Result<(), ChatError> {
    if caller.role != Role::Teacher {
        return Err(ChatError::forbidden(
            "only teachers send urgent messages, with the school's permission",
        ));
    }
    match granted {
        Some(false) => Err(ChatError::forbidden(
            "urgent messages need an admin's permission (School settings)",
        )),
        None | Some(true) => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;
    use crate::ids::UserId;
    use crate::user::DisplayName;

    fn user(role: Role) -> User {
        User {
            id: UserId::parse("u1").unwrap(),
            display_name: DisplayName::parse("U").unwrap(),
            role,
            disabled: false,
        }
    }

    #[test]
    fn every_role_against_every_notification_rule() {
        // (role, subscribe, change prefs, set own hours)
        let rows = [
            (Role::Student, true, true, false),
            (Role::Teacher, true, true, true),
            (Role::Guardian, true, true, false),
            (Role::Admin, false, false, false),
        ];
        for (role, subscribe, prefs, hours) in rows {
            let caller = user(role);
            // Urgent sends: teachers with an admin's grant only; the role is checked
            // before the grant is read (`None`).
            let teacher = role == Role::Teacher;
            assert_eq!(may_send_urgent(&caller, None).is_ok(), teacher, "{role:?}");
            assert_eq!(
                may_send_urgent(&caller, Some(true)).is_ok(),
                teacher,
                "{role:?}"
            );
            assert!(may_send_urgent(&caller, Some(false)).is_err(), "{role:?}");
            assert_eq!(may_subscribe_push(&caller).is_ok(), subscribe, "{role:?}");
            assert_eq!(
                may_change_notify_prefs(&caller, false).is_ok(),
                prefs,
                "{role:?}"
            );
            assert_eq!(
                may_change_notify_prefs(&caller, true).is_ok(),
                hours,
                "{role:?}"
            );
            for refused in [
                may_subscribe_push(&caller).err(),
                may_change_notify_prefs(&caller, true).err(),
            ]
            .into_iter()
            .flatten()
            {
                assert_eq!(refused.code(), ErrorCode::Forbidden);
            }
        }
    }
}
