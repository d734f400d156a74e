//! The keys and attributes of notification items: a user's preferences, their push
//! subscriptions, and the owner item that gives each endpoint one user.

use super::{Item, get_opt_s};
use crate::error::corrupt;
use classchat_core::notify::Schedule;
use classchat_core::store::StoreError;
use sha2::{Digest, Sha256};
use std::fmt::Write;

/// Sort key of a user's notification preferences item.
pub(crate) const NOTIFY: &str = "notify";
/// On a preferences item: whether Web Push is on (BOOL).
pub(crate) const PUSH: &str = "push";
/// On a preferences item: whether email digests are on (BOOL).
pub(crate) const EMAIL_DIGEST: &str = "emailDigest";
/// On a preferences item: the user's hours as `Schedule::encode` writes them (absent:
/// none).
pub(crate) const HOURS: &str = "hours";
/// Preferences: where digests go (absent when none).
pub(crate) const EMAIL: &str = "email";

/// Sort-key prefix of a user's push subscriptions (`push#<endpoint hash>`).
pub(crate) const PUSH_PREFIX: &str = "push#";
/// Sort key of the item holding the version every registration of a subscription for the
/// user bumps, so that two at once cannot both keep the user under the limit from one
/// reading of their list.
pub(crate) const PUSHES: &str = "pushes";
/// On a subscription and an owner item: the push service URL itself.
pub(crate) const ENDPOINT: &str = "endpoint";
/// On a subscription item: the browser's P-256 public key (base64url).
pub(crate) const P256DH: &str = "p256dh";
/// On a subscription item: the browser's authentication secret (base64url).
pub(crate) const AUTH: &str = "auth";
/// On a subscription item: when it was registered (a timestamp, fixed-width).
pub(crate) const CREATED: &str = "created";
/// On an owner item: the user the endpoint belongs to.
pub(crate) const OWNER_ID: &str = "ownerId";
/// Sort key of the owner item in an endpoint's own partition.
pub(crate) const OWNER: &str = "owner";
/// Partition prefix of owner items (`#push#<endpoint hash>`): one partition per endpoint,
/// because registrations come at the rate people open the app, not at an admin's.
pub(crate) const PUSH_OWNER_PREFIX: &str = "#push#";

// The school's notification settings, on the `#school` / `settings` item.
/// On the settings item: the hours students and guardians may be notified in, encoded
/// (absent: any time).
pub(crate) const QUIET_HOURS: &str = "quietHours";
/// On the settings item: whether a push shows the start of the message (BOOL; absent:
/// off).
pub(crate) const PUSH_PREVIEW: &str = "pushPreview";
/// On the settings item: whether a digest quotes messages (BOOL; absent: off).
pub(crate) const DIGEST_TEXT: &str = "digestText";
/// Settings: the teachers allowed urgent sends, a string set (absent when nobody).
pub(crate) const URGENT_SENDERS: &str = "urgentSenders";

/// The lowercase hex SHA-256 of an endpoint: 64 characters whatever the URL's length (up
/// to 1,024), so it fits a sort key after its prefix and names the endpoint's partition.
pub(crate) fn endpoint_hash(endpoint: &str) -> String {
    let digest = Sha256::digest(endpoint.as_bytes());
    let mut hex = String::with_capacity(64);
    for byte in digest.iter() {
        // Writing to a String cannot fail.
        let _ = write!(hex, "{byte:02x}");
    }
    hex
}

/// Sort key of the user's item for the subscription whose endpoint hashes to `hash`.
pub(crate) fn push_sk(hash: &str) -> String {
    format!("{PUSH_PREFIX}{hash}")
}

/// Partition of the owner item of the endpoint that hashes to `hash`.
pub(crate) fn push_owner_partition(hash: &str) -> String {
    format!("{PUSH_OWNER_PREFIX}{hash}")
}

/// An optional schedule attribute, kept as `Schedule::encode` writes it (absent: none).
pub(crate) fn get_schedule(item: &Item, name: &str) -> Result<Option<Schedule>, StoreError> {
    get_opt_s(item, name)?
        .map(|raw| Schedule::decode(raw).map_err(|_| corrupt(name)))
        .transpose()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::item::{
        ANNOUNCEMENT_PREFIX, CLASS_PREFIX, CMID_PREFIX, CONV_PREFIX, COPY_PREFIX,
        GUARDIANSHIP_PREFIX, LINK_PREFIX, PROFILE, VIA_PREFIX, WARDSHIP,
    };
    use classchat_core::UserId;

    #[test]
    fn endpoint_hashes_are_sha256_in_hex() {
        assert_eq!(
            endpoint_hash(""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        let long = format!("https://push.example/{}", "a".repeat(1_024));
        assert_eq!(push_sk(&endpoint_hash(&long)).len(), 5 + 64);
    }

    #[test]
    fn notification_keys_stay_out_of_every_other_query() {
        let sks = [NOTIFY, PUSHES, PUSH_PREFIX];
        for sk in sks {
            // Contact lists Query `conv#` … `link$`; the rest Query by prefix.
            assert!(!(CONV_PREFIX..="link$").contains(&sk), "{sk}");
            for other in [
                CONV_PREFIX,
                LINK_PREFIX,
                CMID_PREFIX,
                PROFILE,
                CLASS_PREFIX,
                ANNOUNCEMENT_PREFIX,
                COPY_PREFIX,
                GUARDIANSHIP_PREFIX,
                WARDSHIP,
                VIA_PREFIX,
            ] {
                assert!(
                    !sk.starts_with(other) && !other.starts_with(sk),
                    "{sk} {other}"
                );
            }
        }
        // The subscriptions' Query of `push#` reads neither the version nor the preferences.
        assert!(!PUSHES.starts_with(PUSH_PREFIX) && !NOTIFY.starts_with(PUSH_PREFIX));
        assert!(UserId::parse(&push_owner_partition(&endpoint_hash("x"))).is_err());
    }
}
