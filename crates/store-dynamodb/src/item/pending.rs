//! The keys and attributes of pending notifications and of background jobs' leases.

use classchat_core::store::Pending;
use classchat_core::{Timestamp, UserId};

/// Sort-key prefix of a user's pointer to their pending notification of one kind
/// (`pending#<kind>`): what a merge and a take condition on.
pub(crate) const PENDING_PREFIX: &str = "pending#";
/// Partition listing every pending notification by due time, sort key =
/// `<due>#<userId>#<kind>`.
pub(crate) const PENDING_PARTITION: &str = "#pending";
/// On a pending notification's items: when it may go out (a timestamp, fixed-width).
pub(crate) const DUE: &str = "due";
/// On a pending notification's items: the first message it covers (a timestamp,
/// fixed-width).
pub(crate) const SINCE: &str = "since";
/// On a listing item of `#pending`: who is to be told.
pub(crate) const RECIPIENT_ID: &str = "recipientId";
/// On a listing item of `#pending`: the kind (`PendingKind::as_str`).
pub(crate) const KIND: &str = "kind";
/// Partition of the leases of background jobs, sort key = the job's name.
pub(crate) const LEASES_PARTITION: &str = "#leases";
/// On a lease: the node holding it.
pub(crate) const HOLDER: &str = "holder";
/// On a lease: when it lapses unless renewed (a timestamp, fixed-width, so that string
/// order is time order in a condition).
pub(crate) const UNTIL: &str = "until";

/// Sort key of `user`'s pointer to their pending notification of `pending`'s kind.
pub(crate) fn pending_sk(pending: &Pending) -> String {
    format!("{PENDING_PREFIX}{}", pending.kind.as_str())
}

/// Sort key of the listing item of a pending notification of `user`'s due at `due`:
/// `<due>#<userId>#<kind>`. A timestamp has a fixed width, so keys sort by due time
/// first; `#` sorts below every character a userId may hold, so a userId that is a
/// prefix of another sorts first, as it does compared whole: keys sort exactly as
/// `(due, user, kind)`.
pub(crate) fn pending_listing_sk(due: Timestamp, user: &UserId, kind: &str) -> String {
    format!("{due}#{user}#{kind}")
}

/// The sort key every listing item due at or before `now` sorts at or below, and every
/// later one above: `~` sorts above `#`, and a later due time differs within its fixed
/// width.
pub(crate) fn pending_due_bound(now: Timestamp) -> String {
    format!("{now}~")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::item::{
        ANNOUNCEMENT_PREFIX, CLASS_PREFIX, CMID_PREFIX, CONV_PREFIX, COPY_PREFIX,
        GUARDIANSHIP_PREFIX, LINK_PREFIX, NOTIFY, PROFILE, PUSH_PREFIX, PUSHES, VIA_PREFIX,
    };
    use classchat_core::store::PendingKind;

    fn at(micros: i64) -> Timestamp {
        Timestamp::from_micros(micros).unwrap()
    }

    #[test]
    fn listing_keys_sort_by_due_then_user_then_kind() {
        let user = |raw: &str| UserId::parse(raw).unwrap();
        let mut keyed = vec![
            (at(2_000_000), user("a"), "held"),
            (at(1_000_000), user("zz"), "held"),
            (at(2_000_000), user("a-b"), "held"),
            (at(2_000_000), user("a.b"), "held"),
            (at(2_000_000), user("a"), "digest"),
            (at(1_999_999), user("b"), "held"),
            (Timestamp::MIN, user("c"), "held"),
            (at(253_402_300_799_999_999), user("A"), "held"),
        ];
        let mut by_key = keyed.clone();
        by_key.sort_by_key(|(due, user, kind)| pending_listing_sk(*due, user, kind));
        keyed.sort();
        assert_eq!(by_key, keyed);
    }

    #[test]
    fn the_due_bound_splits_at_now() {
        let now = at(5_000_000);
        let longest = UserId::parse(&"z".repeat(128)).unwrap();
        let bound = pending_due_bound(now);
        assert!(pending_listing_sk(now, &longest, "~~~~") <= bound);
        assert!(pending_listing_sk(at(4_999_999), &longest, "held") <= bound);
        let first = UserId::parse("0").unwrap();
        assert!(pending_listing_sk(now.next(), &first, "a") > bound);
        assert!(pending_listing_sk(at(999_000_000_000), &first, "a") > bound);
    }

    #[test]
    fn pending_pointers_stay_out_of_every_other_query() {
        let pointer = pending_sk(&Pending {
            user: UserId::parse("u").unwrap(),
            kind: PendingKind::Held,
            due: at(0),
            since: at(0),
        });
        assert!(pointer.starts_with(PENDING_PREFIX));
        // Contact lists Query `conv#` … `link$`; the rest Query by prefix.
        assert!(!(CONV_PREFIX..="link$").contains(&PENDING_PREFIX));
        for other in [
            CONV_PREFIX,
            LINK_PREFIX,
            CMID_PREFIX,
            PROFILE,
            CLASS_PREFIX,
            ANNOUNCEMENT_PREFIX,
            COPY_PREFIX,
            GUARDIANSHIP_PREFIX,
            VIA_PREFIX,
            NOTIFY,
            PUSH_PREFIX,
            PUSHES,
        ] {
            assert!(
                !PENDING_PREFIX.starts_with(other) && !other.starts_with(PENDING_PREFIX),
                "{other}"
            );
        }
        for partition in [PENDING_PARTITION, LEASES_PARTITION] {
            assert!(UserId::parse(partition).is_err(), "{partition}");
        }
    }
}
