//! The keys and attributes of legal holds: one item per held target in the `#holds`
//! partition, its sort key the target's stored form ([`HoldTarget::key`]).

use super::{AT, BY, Item, REASON, SK, get_opt_s, get_s, get_timestamp, s};
use crate::error::corrupt;
use classchat_core::store::{Hold, HoldTarget, StoreError};
use std::collections::HashMap;

/// Partition of the legal holds, sort key = [`HoldTarget::key`] (`user:<userId>` or
/// `conversation:<conversationId>`): a target is held at most once because it is the key.
pub(crate) const HOLDS_PARTITION: &str = "#holds";

/// The attributes of a hold item (its key aside): who set it, when, and why if given.
pub(crate) fn hold_attributes(hold: &Hold) -> Item {
    let mut item = HashMap::from([
        (BY.to_owned(), s(hold.by.as_str())),
        (AT.to_owned(), s(hold.at.to_string())),
    ]);
    if let Some(reason) = &hold.reason {
        item.insert(REASON.to_owned(), s(reason.as_str()));
    }
    item
}

/// A hold read back; its target comes from the item's sort key.
pub(crate) fn hold_from_item(item: &Item) -> Result<Hold, StoreError> {
    let target = HoldTarget::from_key(get_s(item, SK)?).ok_or_else(|| corrupt(SK))?;
    Ok(Hold {
        target,
        by: get_s(item, BY)?.to_owned(),
        at: get_timestamp(item, AT)?,
        reason: get_opt_s(item, REASON)?.map(str::to_owned),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::item::user_info_key;
    use classchat_core::{ConversationId, Timestamp, UserId};

    #[test]
    fn holds_round_trip_with_their_target_in_the_sort_key() {
        let student = UserId::parse("abc").unwrap();
        let teacher = UserId::parse("123").unwrap();
        for (target, reason) in [
            (HoldTarget::User(student.clone()), Some("case 7")),
            (
                HoldTarget::Conversation(ConversationId::new(student, teacher)),
                None,
            ),
        ] {
            let hold = Hold {
                target,
                by: "cli".to_owned(),
                at: Timestamp::parse("2026-11-24T14:01:02.123456Z").unwrap(),
                reason: reason.map(str::to_owned),
            };
            let mut item = user_info_key(HOLDS_PARTITION, hold.target.key());
            item.extend(hold_attributes(&hold));
            assert_eq!(hold_from_item(&item).unwrap(), hold);
        }
    }

    #[test]
    fn a_sort_key_that_names_no_target_is_corrupt() {
        let mut item = user_info_key(HOLDS_PARTITION, "group:x");
        item.insert(BY.to_owned(), s("cli"));
        item.insert(AT.to_owned(), s("2026-11-24T14:01:02.123456Z"));
        assert!(matches!(
            hold_from_item(&item),
            Err(StoreError::Internal(_))
        ));
    }
}
