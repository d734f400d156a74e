//! The school's settings: [`Store::settings`] and [`Store::put_settings`].
//!
//! Settings are one record for the whole store, so unlike every other check these need the
//! fresh store the harness gives each check: a setting stored by another check would show.

use crate::notify::{evening_hours, weekday_hours};
use classchat_core::store::{SchoolSettings, Store};
use std::sync::Arc;

/// A store that was never given settings answers the defaults: guardian oversight off,
/// no quiet hours, no message text in pushes or digests, a 15-minute edit window, no
/// flag words or patterns, and no retention period (everything is kept).
pub async fn settings_are_the_default_until_put(store: Arc<dyn Store>) {
    let settings = store.settings().await.expect("settings failed");
    assert_eq!(
        settings,
        SchoolSettings::default(),
        "a fresh store must answer the default settings"
    );
    assert!(
        !settings.guardian_oversight,
        "guardian oversight is off until an admin turns it on"
    );
    assert!(
        settings.quiet_hours.is_none() && !settings.push_preview && !settings.digest_text,
        "no quiet hours, and no message text on a lock screen or in a digest, until an admin \
         decides otherwise"
    );
    assert_eq!(
        settings.edit_window_minutes, 15,
        "authors may edit for 15 minutes until an admin decides otherwise"
    );
    assert!(
        settings.flag_words.is_empty() && settings.flag_patterns.is_empty(),
        "nothing is flagged until an admin sets words or patterns"
    );
    assert_eq!(
        settings.retention_days, None,
        "nothing is deleted for retention until an admin sets a period"
    );
}

/// `put_settings` replaces the settings whole: what was put is read back (quiet hours
/// entry for entry, and the retention period), a second put overwrites the first (a
/// retention period with none), and a put without quiet hours clears them.
pub async fn put_settings_replaces_the_settings(store: Arc<dyn Store>) {
    let on = SchoolSettings {
        guardian_oversight: true,
        quiet_hours: Some(weekday_hours()),
        push_preview: true,
        digest_text: true,
        urgent_senders: vec![
            classchat_core::UserId::parse("t1").unwrap(),
            classchat_core::UserId::parse("t2").unwrap(),
        ],
        edit_window_minutes: 30,
        flag_patterns: vec![r"\d{3}-\d{4}".to_owned(), "meet (me|up)".to_owned()],
        flag_words: vec!["idiot".to_owned(), "kill myself".to_owned()],
        retention_days: Some(1095),
    };
    store.put_settings(&on).await.expect("put_settings failed");
    assert_eq!(
        store.settings().await.unwrap(),
        on,
        "settings must answer what put_settings stored, every field"
    );

    let off = SchoolSettings {
        guardian_oversight: false,
        quiet_hours: Some(evening_hours()),
        push_preview: false,
        digest_text: true,
        urgent_senders: Vec::new(),
        edit_window_minutes: 0,
        flag_patterns: Vec::new(),
        flag_words: Vec::new(),
        retention_days: None,
    };
    store
        .put_settings(&off)
        .await
        .expect("second put_settings failed");
    assert_eq!(
        store.settings().await.unwrap(),
        off,
        "a second put_settings must overwrite the first"
    );

    let any_time = SchoolSettings {
        quiet_hours: None,
        digest_text: false,
        ..on.clone()
    };
    store
        .put_settings(&any_time)
        .await
        .expect("third put_settings failed");
    assert_eq!(
        store.settings().await.unwrap(),
        any_time,
        "put_settings without quiet hours must clear them"
    );

    store
        .put_settings(&on)
        .await
        .expect("fourth put_settings failed");
    assert_eq!(store.settings().await.unwrap(), on);
}
