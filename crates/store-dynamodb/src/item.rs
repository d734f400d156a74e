//! The key layout of the tables and the conversion between items and domain values.
//!
//! Every attribute name and key prefix lives here, so the layout documented in the crate
//! docs has one source of truth. Reading is strict: an item missing an attribute or
//! holding the wrong type is reported as corrupt, never silently defaulted.

use crate::error::corrupt;
use aws_sdk_dynamodb::types::AttributeValue;
use classchat_core::roster::SourcedId;
use classchat_core::store::{GuardianLink, Link, StoreError};
use classchat_core::{
    ClientMessageId, ConversationId, DisplayName, MessageId, Role, Timestamp, User, UserId,
};
use std::collections::HashMap;

mod holds;
mod messages;
mod moderation;
mod notify;
mod pending;
pub(crate) use holds::*;
pub(crate) use messages::*;
pub(crate) use moderation::*;
pub(crate) use notify::*;
pub(crate) use pending::*;

/// An item as the SDK returns it.
pub(crate) type Item = HashMap<String, AttributeValue>;

// ---- Message table ----------------------------------------------------------------
pub(crate) const CONVERSATION_ID: &str = "conversationId";
pub(crate) const TIMESTAMP: &str = "timestamp";
pub(crate) const AUTHOR: &str = "author";
pub(crate) const MESSAGE_BODY: &str = "messageBody";
pub(crate) const MESSAGE_ID: &str = "messageId";
pub(crate) const CLIENT_MESSAGE_ID: &str = "clientMessageId";
/// On a copy of a class announcement: the announcement's id (absent on other messages).
pub(crate) const ANNOUNCEMENT_ID: &str = "announcementId";

// ---- UserInfo table -----------------------------------------------------------------
pub(crate) const USER_ID: &str = "userId";
pub(crate) const SK: &str = "sk";
// profile and listing items
pub(crate) const DISPLAY_NAME: &str = "displayName";
pub(crate) const ROLE: &str = "role";
pub(crate) const PASSWORD_HASH: &str = "passwordHash";
pub(crate) const DISABLED: &str = "disabled";
pub(crate) const VERSION: &str = "version";
/// On a profile: the generation of the user's tokens (revocation), absent meaning 0.
pub(crate) const TOKEN_VERSION: &str = "tokenVersion";
// link items
pub(crate) const TEACHER_ID: &str = "teacherId";
pub(crate) const STUDENT_ID: &str = "studentId";
// conversation summaries
pub(crate) const PEER_ID: &str = "peerId";
pub(crate) const LAST_MESSAGE_AT: &str = "lastMessageAt";
pub(crate) const LAST_MESSAGE_PREVIEW: &str = "lastMessagePreview";
pub(crate) const LAST_AUTHOR: &str = "lastAuthor";
pub(crate) const LAST_MESSAGE_ID: &str = "lastMessageId";
pub(crate) const LAST_CLIENT_MESSAGE_ID: &str = "lastClientMessageId";
pub(crate) const LAST_READ_AT: &str = "lastReadAt";
pub(crate) const UNREAD_COUNT: &str = "unreadCount";
// roster records
/// On a roster account record: the userId the import gave the person.
pub(crate) const ACCOUNT_ID: &str = "accountId";
/// On a roster class: the name people see.
pub(crate) const TITLE: &str = "title";
/// On a roster class: its teachers' userIds, a list of strings.
pub(crate) const TEACHERS: &str = "teachers";
/// On a roster class: its students' userIds, a list of strings.
pub(crate) const STUDENTS: &str = "students";
// announcements
/// On an announcement record: its class's sourcedId.
pub(crate) const CLASS_ID: &str = "classId";
/// On a roster link record: whether the link was also added by hand (so it stays when
/// the roster drops it).
pub(crate) const BY_HAND: &str = "byHand";
// families
/// On a guardian link's items and family-link items: the guardian.
pub(crate) const GUARDIAN_ID: &str = "guardianId";
/// On a student's `wardship` item: the number of family changes made to the student so
/// far, which every such change bumps (absent: none yet).
pub(crate) const FAMILY_VERSION: &str = "familyVersion";
/// On a student's `wardship` item: their guardians' userIds, a string set (absent: none).
pub(crate) const GUARDIANS: &str = "guardians";
// settings
/// On the school's settings item: whether guardians may read their children's
/// conversations.
pub(crate) const GUARDIAN_OVERSIGHT: &str = "guardianOversight";
// audit entries
pub(crate) const AT: &str = "at";
pub(crate) const ACTOR: &str = "actor";
pub(crate) const ACTION: &str = "action";
pub(crate) const TARGET: &str = "target";

/// Sort key of a user's profile item.
pub(crate) const PROFILE: &str = "profile";
/// Sort-key prefix of link items (`link#<peerId>`).
pub(crate) const LINK_PREFIX: &str = "link#";
/// Sort-key prefix of conversation summaries (`conv#<conversationId>`).
pub(crate) const CONV_PREFIX: &str = "conv#";
/// Sort-key prefix of clientMessageId dedup items (`cmid#<clientMessageId>`).
pub(crate) const CMID_PREFIX: &str = "cmid#";
/// Sort-key prefix of a member's index of their classes (`cls#<sourcedId>`). Four bytes,
/// so that the longest sourcedId (1,020 bytes) still fits a sort key's 1,024.
pub(crate) const CLASS_PREFIX: &str = "cls#";
/// Sort-key prefix of an author's announcement records (`ann#<clientMessageId>`).
pub(crate) const ANNOUNCEMENT_PREFIX: &str = "ann#";
/// Sort-key prefix of the items recording each copy of an announcement
/// (`annc#<announcementId>#<conversationId>`).
pub(crate) const COPY_PREFIX: &str = "annc#";
/// Sort-key prefix of a guardian's items naming their children (`ward#<studentId>`).
pub(crate) const WARD_PREFIX: &str = "ward#";
/// Sort key of a student's item holding their guardians and the version that serialises
/// changes to their family links.
pub(crate) const WARDSHIP: &str = "wardship";
/// What both [`WARD_PREFIX`] and [`WARDSHIP`] start with: one Query of it reads a user's
/// guardian links from either side.
pub(crate) const GUARDIANSHIP_PREFIX: &str = "ward";
/// Sort-key prefix of the family-link items under a guardian and a teacher
/// (`via#<peerId>#<childId>`).
pub(crate) const VIA_PREFIX: &str = "via#";
/// Partition listing every user, sort key = userId.
pub(crate) const USERS_PARTITION: &str = "#users";
/// Partition listing every link, sort key = `<teacherId>+<studentId>`.
pub(crate) const LINKS_PARTITION: &str = "#links";
/// Partition listing every guardian link, sort key = `<guardianId>+<studentId>`.
pub(crate) const GUARDIANS_PARTITION: &str = "#guardians";
/// Partition of the guardian links the roster derives, sort key =
/// `<guardianId>+<studentId>`.
pub(crate) const ROSTER_GUARDIANS_PARTITION: &str = "#roster#guardians";
/// Partition of the school's own items (its settings).
pub(crate) const SCHOOL_PARTITION: &str = "#school";
/// Sort key of the school's settings under [`SCHOOL_PARTITION`].
pub(crate) const SETTINGS: &str = "settings";
/// Partition of the audit log, sort key = entry id (a ULID).
pub(crate) const AUDIT_PARTITION: &str = "#audit";
/// Partition of the accounts roster imports created, sort key = sourcedId.
pub(crate) const ROSTER_ACCOUNTS_PARTITION: &str = "#roster#accounts";
/// Partition of the roster's classes, sort key = sourcedId.
pub(crate) const ROSTER_CLASSES_PARTITION: &str = "#roster#classes";
/// Partition of the links the roster derives, sort key = `<teacherId>+<studentId>`.
pub(crate) const ROSTER_LINKS_PARTITION: &str = "#roster#links";
/// Key `ping` reads: never written, so reading it costs the least a read can.
pub(crate) const PING_KEY: &str = "#ping";

/// Partition listing the users of one role, sort key = userId.
pub(crate) fn role_partition(role: Role) -> String {
    format!("#users#{}", role.as_str())
}

/// Sort key of the link item under one participant, naming the other.
pub(crate) fn link_sk(peer: &UserId) -> String {
    format!("{LINK_PREFIX}{peer}")
}

/// Sort key of a link's items in `#links` and `#roster#links`: `<teacherId>+<studentId>`,
/// one per link (readers sort the links they list themselves).
pub(crate) fn link_pair_sk(link: &Link) -> String {
    format!("{}+{}", link.teacher, link.student)
}

/// Sort key of a guardian's item naming one of their children.
pub(crate) fn ward_sk(student: &UserId) -> String {
    format!("{WARD_PREFIX}{student}")
}

/// Sort key of a guardian link's item in `#guardians`: `<guardianId>+<studentId>`.
pub(crate) fn guardian_pair_sk(link: &GuardianLink) -> String {
    format!("{}+{}", link.guardian, link.student)
}

/// Sort key of a family-link item under one end of it (the guardian or the teacher),
/// naming the other end and the child: userIds hold no `#`, so the key is unambiguous.
pub(crate) fn via_sk(peer: &UserId, child: &UserId) -> String {
    format!("{VIA_PREFIX}{peer}#{child}")
}

/// Sort key of a conversation summary.
pub(crate) fn conv_sk(conversation: &ConversationId) -> String {
    format!("{CONV_PREFIX}{conversation}")
}

/// Sort key of a dedup item under its author.
pub(crate) fn cmid_sk(client_id: &ClientMessageId) -> String {
    format!("{CMID_PREFIX}{}", client_id.as_str())
}

/// Sort key of the item that lists a class among a member's classes.
pub(crate) fn class_sk(class: &SourcedId) -> String {
    format!("{CLASS_PREFIX}{class}")
}

/// Sort key of an author's record of the announcement they made with `client_id`.
pub(crate) fn announcement_sk(client_id: &ClientMessageId) -> String {
    format!("{ANNOUNCEMENT_PREFIX}{}", client_id.as_str())
}

/// The sort-key prefix shared by the copy items of one announcement: a ULID has a fixed
/// length, so no announcement's prefix is a prefix of another's.
pub(crate) fn copies_prefix(announcement: MessageId) -> String {
    format!("{COPY_PREFIX}{announcement}#")
}

/// Sort key of the item recording an announcement's copy in `conversation`.
pub(crate) fn copy_sk(announcement: MessageId, conversation: &ConversationId) -> String {
    format!("{}{conversation}", copies_prefix(announcement))
}

/// A string attribute.
pub(crate) fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

/// A number attribute.
pub(crate) fn n(value: impl ToString) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

/// The `(userId, sk)` key of a UserInfo item.
pub(crate) fn user_info_key(partition: impl Into<String>, sk: impl Into<String>) -> Item {
    HashMap::from([(USER_ID.to_owned(), s(partition)), (SK.to_owned(), s(sk))])
}

/// The `(conversationId, timestamp)` key of a Message item.
pub(crate) fn message_key(conversation: &ConversationId, at: Timestamp) -> Item {
    HashMap::from([
        (CONVERSATION_ID.to_owned(), s(conversation.to_string())),
        (TIMESTAMP.to_owned(), s(at.to_string())),
    ])
}

/// The size of `item` as DynamoDB counts it (attribute names plus values; numbers one
/// byte per two significant digits plus one; lists and maps with their per-element
/// overhead): what keeps a transaction under DynamoDB's 4 MB, and what the request meter
/// charges capacity by.
pub(crate) fn item_size(item: &Item) -> usize {
    item.iter()
        .map(|(name, value)| name.len() + value_size(value))
        .sum()
}

fn value_size(value: &AttributeValue) -> usize {
    match value {
        AttributeValue::S(text) => text.len(),
        AttributeValue::N(number) => number_size(number),
        AttributeValue::B(bytes) => bytes.as_ref().len(),
        AttributeValue::Bool(_) | AttributeValue::Null(_) => 1,
        AttributeValue::Ss(texts) => texts.iter().map(String::len).sum(),
        AttributeValue::Ns(numbers) => numbers.iter().map(|n| number_size(n)).sum(),
        AttributeValue::Bs(blobs) => blobs.iter().map(|b| b.as_ref().len()).sum(),
        AttributeValue::L(values) => 3 + values.iter().map(|v| 1 + value_size(v)).sum::<usize>(),
        AttributeValue::M(map) => {
            3 + map
                .iter()
                .map(|(name, v)| 1 + name.len() + value_size(v))
                .sum::<usize>()
        }
        _ => 0,
    }
}

/// One byte per two significant digits, plus one.
pub(crate) fn number_size(number: &str) -> usize {
    let digits: String = number
        .chars()
        .take_while(|c| !matches!(c, 'e' | 'E'))
        .filter(char::is_ascii_digit)
        .collect();
    let significant = digits.trim_start_matches('0').trim_end_matches('0').len();
    significant.max(1).div_ceil(2) + 1
}

/// A required string attribute.
pub(crate) fn get_s<'a>(item: &'a Item, name: &str) -> Result<&'a str, StoreError> {
    match item.get(name) {
        Some(AttributeValue::S(value)) => Ok(value),
        _ => Err(corrupt(name)),
    }
}

/// An optional string attribute (absent is `None`, another type is corrupt).
pub(crate) fn get_opt_s<'a>(item: &'a Item, name: &str) -> Result<Option<&'a str>, StoreError> {
    match item.get(name) {
        None | Some(AttributeValue::Null(_)) => Ok(None),
        Some(AttributeValue::S(value)) => Ok(Some(value)),
        Some(_) => Err(corrupt(name)),
    }
}

/// An optional boolean attribute, `false` when absent: for settings added after items
/// were first written, whose default is off.
pub(crate) fn get_bool_or_false(item: &Item, name: &str) -> Result<bool, StoreError> {
    match item.get(name) {
        None => Ok(false),
        Some(AttributeValue::Bool(value)) => Ok(*value),
        Some(_) => Err(corrupt(name)),
    }
}

/// A required boolean attribute.
pub(crate) fn get_bool(item: &Item, name: &str) -> Result<bool, StoreError> {
    match item.get(name) {
        Some(AttributeValue::Bool(value)) => Ok(*value),
        _ => Err(corrupt(name)),
    }
}

/// A required non-negative integer attribute.
pub(crate) fn get_u64(item: &Item, name: &str) -> Result<u64, StoreError> {
    match item.get(name) {
        Some(AttributeValue::N(value)) => value.parse().map_err(|_| corrupt(name)),
        _ => Err(corrupt(name)),
    }
}

/// A required timestamp attribute, stored in `Timestamp`'s fixed-width form.
pub(crate) fn get_timestamp(item: &Item, name: &str) -> Result<Timestamp, StoreError> {
    Timestamp::parse(get_s(item, name)?).map_err(|_| corrupt(name))
}

/// A required userId attribute.
pub(crate) fn get_user_id(item: &Item, name: &str) -> Result<UserId, StoreError> {
    UserId::parse(get_s(item, name)?).map_err(|_| corrupt(name))
}

/// The public attributes of a user, shared by profile and listing items.
pub(crate) fn user_attributes(user: &User) -> Item {
    HashMap::from([
        (DISPLAY_NAME.to_owned(), s(user.display_name.as_str())),
        (ROLE.to_owned(), s(user.role.as_str())),
        (DISABLED.to_owned(), AttributeValue::Bool(user.disabled)),
    ])
}

/// A user read back from a profile or listing item; `id` comes from the item's key.
pub(crate) fn user_from_item(id: UserId, item: &Item) -> Result<User, StoreError> {
    Ok(User {
        id,
        display_name: DisplayName::parse(get_s(item, DISPLAY_NAME)?)
            .map_err(|_| corrupt(DISPLAY_NAME))?,
        role: get_s(item, ROLE)?
            .parse::<Role>()
            .map_err(|_| corrupt(ROLE))?,
        disabled: get_bool(item, DISABLED)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_longest_sourced_id_fits_a_class_sort_key() {
        let longest = SourcedId::parse(&"😀".repeat(255)).unwrap();
        assert_eq!(class_sk(&longest).len(), 1_024);
    }

    #[test]
    fn the_new_user_partition_prefixes_stay_out_of_the_contact_range() {
        // Contact lists Query `conv#` … `link$`, and `conv#` and `link#` by prefix.
        for prefix in [
            CLASS_PREFIX,
            ANNOUNCEMENT_PREFIX,
            COPY_PREFIX,
            WARD_PREFIX,
            WARDSHIP,
            VIA_PREFIX,
        ] {
            assert!(
                !(CONV_PREFIX..="link$").contains(&prefix),
                "{prefix} sorts into the contacts' range"
            );
            for other in [CONV_PREFIX, LINK_PREFIX, CMID_PREFIX, PROFILE] {
                assert!(!prefix.starts_with(other) && !other.starts_with(prefix));
            }
        }
        // A `cls#` key sorts before `conv#` whatever the sourcedId.
        let last = SourcedId::parse(&"\u{10FFFF}".repeat(255)).unwrap();
        assert!(class_sk(&last).as_str() < CONV_PREFIX);
        assert!(!copies_prefix(MessageId::generate()).starts_with(ANNOUNCEMENT_PREFIX));
        // One Query of `ward` reads both sides of guardian links, and nothing else.
        assert!(WARD_PREFIX.starts_with(GUARDIANSHIP_PREFIX));
        assert!(WARDSHIP.starts_with(GUARDIANSHIP_PREFIX) && !WARDSHIP.starts_with(WARD_PREFIX));
        for other in [
            CONV_PREFIX,
            LINK_PREFIX,
            CMID_PREFIX,
            PROFILE,
            VIA_PREFIX,
            CLASS_PREFIX,
        ] {
            assert!(!other.starts_with(GUARDIANSHIP_PREFIX), "{other}");
        }
    }

    #[test]
    fn special_partitions_never_collide_with_user_ids() {
        for partition in [
            USERS_PARTITION,
            LINKS_PARTITION,
            AUDIT_PARTITION,
            ROSTER_ACCOUNTS_PARTITION,
            ROSTER_CLASSES_PARTITION,
            ROSTER_LINKS_PARTITION,
            GUARDIANS_PARTITION,
            ROSTER_GUARDIANS_PARTITION,
            SCHOOL_PARTITION,
            HOLDS_PARTITION,
            PING_KEY,
        ] {
            assert!(UserId::parse(partition).is_err(), "{partition}");
        }
        assert!(UserId::parse(&role_partition(Role::Student)).is_err());
    }
}
