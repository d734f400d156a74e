//! The index of each member's classes, which `classes_of` reads: one item
//! `<userId>` / `cls#<sourcedId>` per member of a class, kept in step with the class items
//! by the same import steps that put and delete classes.
//!
//! A class step first writes the index changes its classes imply (members that join get
//! an item, members that leave lose theirs), and only then the class items. So while the
//! class item still shows the old members, the plan made from it yields the same index
//! changes again: an import cut short in between converges when planned and applied
//! again, since putting and deleting index items can be repeated without harm. Readers
//! trust the class item, not the index: `classes_of` lists a class only if its item names
//! the user, so an index item written ahead of its class item (or, after an import cut
//! short and followed by a different roster, left behind) never shows a class to someone
//! who is not in it.

use super::steps::write_all;
use crate::DynamoStore;
use crate::item::{class_sk, item_size, user_info_key};
use crate::users;
use classchat_core::UserId;
use classchat_core::roster::{Class, SourcedId};
use classchat_core::store::StoreError;
use std::collections::{BTreeMap, BTreeSet};

/// How one class's membership changes: `None` before for a new class, `None` after for a
/// deleted one.
pub(super) struct Membership<'a> {
    pub(super) before: Option<&'a Class>,
    pub(super) after: Option<&'a Class>,
}

/// Writes the index changes of `changes`: an item for each member in `after` but not in
/// `before`, none for each member the other way round. A key given twice takes its last
/// change, as `put_classes` keeps the last class given of a sourcedId.
pub(super) async fn update(
    store: &DynamoStore,
    changes: impl Iterator<Item = Membership<'_>>,
) -> Result<(), StoreError> {
    let mut index: BTreeMap<(&UserId, &SourcedId), bool> = BTreeMap::new();
    for change in changes {
        let before = members(change.before);
        let after = members(change.after);
        let Some(class) = change.after.or(change.before) else {
            continue;
        };
        let id = &class.sourced_id;
        for member in after.difference(&before) {
            index.insert((member, id), true);
        }
        for member in before.difference(&after) {
            index.insert((member, id), false);
        }
    }
    let mut actions = Vec::with_capacity(index.len());
    for ((member, class), joins) in index {
        let key = user_info_key(member.as_str(), class_sk(class));
        let bytes = item_size(&key);
        let action = if joins {
            users::put(store, key, None, &[])?
        } else {
            users::delete(store, key, false)?
        };
        actions.push((action, bytes));
    }
    write_all(store, actions, "TransactWriteItems class members").await
}

/// Everyone in `class`, teachers and students (someone can be both).
fn members(class: Option<&Class>) -> BTreeSet<&UserId> {
    class
        .map(|class| class.teachers.iter().chain(&class.students).collect())
        .unwrap_or_default()
}
