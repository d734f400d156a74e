//! The school's settings: [`Store::settings`] and [`Store::put_settings`].
//!
//! Settings are one record for the whole store, so unlike every other check these need the
//! fresh store the harness gives each check: a setting stored by another check would show.

use classchat_core::store::{SchoolSettings, Store};
use std::sync::Arc;

/// A store that was never given settings answers the defaults: guardian oversight off.
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
}

/// `put_settings` replaces the settings: what was put is read back, and a second put
/// overwrites the first.
pub async fn put_settings_replaces_the_settings(store: Arc<dyn Store>) {
    let on = SchoolSettings {
        guardian_oversight: true,
        ..SchoolSettings::default()
    };
    store.put_settings(&on).await.expect("put_settings failed");
    assert_eq!(
        store.settings().await.unwrap(),
        on,
        "settings must answer what put_settings stored"
    );

    let off = SchoolSettings {
        guardian_oversight: false,
        ..SchoolSettings::default()
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

    store
        .put_settings(&on)
        .await
        .expect("third put_settings failed");
    assert_eq!(store.settings().await.unwrap(), on);
}
