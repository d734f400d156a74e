//! Reports and the moderation queue, and auto-flagging: a report is received once and
//! moves forward audited with the acting admin; a flag never blocks delivery.

use super::{actions, cast, send};
use crate::error::ErrorCode;
use crate::service::tests::{at, status};
use crate::service::{Actor, ReportQuery, ReportRequest};
use crate::settings::SettingsPatch;
use crate::store::{ReportSource, ReportState};

#[tokio::test]
async fn a_report_is_received_once_and_moves_forward_audited_with_the_acting_admin() {
    let c = cast().await;
    let message = c.school.history("s1+t1", "t1", at(-1), "you people").await;
    let ts = message.timestamp.to_string();
    let request = ReportRequest {
        conversation_id: "s1+t1",
        timestamp: &ts,
        reason: "bullying",
        details: Some("it upset me"),
    };
    let first = c
        .school
        .service
        .report_message(&c.s1, request)
        .await
        .unwrap();
    let again = c
        .school
        .service
        .report_message(&c.s1, request)
        .await
        .unwrap();
    assert_eq!(first, again, "one report per reporter and message");
    // Not one's own message, not as an admin (before anything is read), not a stranger.
    let own = c.school.history("s1+t1", "s1", at(-2), "mine").await;
    let own_ts = own.timestamp.to_string();
    let own_request = ReportRequest {
        timestamp: &own_ts,
        ..request
    };
    assert_eq!(
        status(
            &c.school
                .service
                .report_message(&c.s1, own_request)
                .await
                .unwrap_err()
        ),
        400
    );
    c.school.store.take_calls();
    assert_eq!(
        status(
            &c.school
                .service
                .report_message(&c.admin, request)
                .await
                .unwrap_err()
        ),
        403
    );
    assert!(c.school.store.take_calls().is_empty());
    assert_eq!(
        status(
            &c.school
                .service
                .report_message(&c.s2, request)
                .await
                .unwrap_err()
        ),
        403
    );
    let queue = c
        .school
        .service
        .list_reports(&c.admin, ReportQuery::default())
        .await
        .unwrap();
    assert_eq!(queue.len(), 1);
    assert_eq!(queue[0].source, ReportSource::Person(c.s1.id.clone()));
    let id = first.report_id.to_string();
    let view = c
        .school
        .service
        .report_view(&c.admin, &id, Some("1"))
        .await
        .unwrap();
    let bodies: Vec<&str> = view.context.iter().map(|m| m.body.as_str()).collect();
    assert_eq!(
        bodies,
        ["you people", "mine"],
        "the reported one, then one after"
    );
    c.school
        .service
        .step_report(&c.admin, &id, "reviewed", None)
        .await
        .unwrap();
    let done = c
        .school
        .service
        .step_report(&c.admin, &id, "actioned", Some("spoke to the teacher"))
        .await
        .unwrap();
    assert_eq!(done.state, ReportState::Actioned);
    assert_eq!(done.steps.len(), 2);
    let error = c
        .school
        .service
        .step_report(&c.admin, &id, "dismissed", None)
        .await
        .unwrap_err();
    assert_eq!(error.code(), ErrorCode::ReportClosed);
    let log = c.school.store.audit_log().await;
    let steps: Vec<(String, &str)> = actions(&log)
        .into_iter()
        .map(|(actor, action, _)| (actor, action))
        .collect();
    assert_eq!(
        steps,
        [
            ("office".to_owned(), "conversation.read"),
            ("office".to_owned(), "report.review"),
            ("office".to_owned(), "report.action"),
        ]
    );
    for caller in [&c.s1, &c.t1] {
        let error = c
            .school
            .service
            .list_reports(caller, ReportQuery::default())
            .await
            .unwrap_err();
        assert_eq!(status(&error), 403);
    }
}

#[tokio::test]
async fn flagged_words_are_delivered_and_queued_and_bad_patterns_are_refused() {
    let c = cast().await;
    let error = c
        .school
        .service
        .update_settings(
            Actor::Operator,
            SettingsPatch {
                flag_patterns: Some(vec!["(unclosed".into()]),
                ..SettingsPatch::default()
            },
        )
        .await
        .unwrap_err();
    assert_eq!(status(&error), 422);
    c.school
        .service
        .update_settings(
            Actor::Operator,
            SettingsPatch {
                flag_words: Some(vec!["stupid".into()]),
                ..SettingsPatch::default()
            },
        )
        .await
        .unwrap();
    let sent = send(&c.school, &c.s1, "this is STUPID").await.unwrap();
    send(&c.school, &c.s1, "all fine").await.unwrap();
    let queue = c
        .school
        .service
        .list_reports(&c.admin, ReportQuery::default())
        .await
        .unwrap();
    assert_eq!(queue.len(), 1);
    assert_eq!(queue[0].source, ReportSource::Flags);
    assert_eq!(queue[0].timestamp, sent.timestamp);
    assert_eq!(
        queue[0].details.as_ref().unwrap().as_str(),
        "matched word \"stupid\""
    );
}
