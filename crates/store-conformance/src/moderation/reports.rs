//! The moderation queue: [`Store::put_report`] (one report per reporter and message),
//! [`Store::report`], [`Store::list_reports`] (newest first by id, by state, paged) and
//! [`Store::step_report`] (conditional on the state the service read).
//!
//! Report ids are ULIDs made in order by each check ([`Ids`]), so "newest first" is
//! known in advance. `list_reports` lists every report in the store, so the listing
//! check needs the fresh store the harness gives each check.

use crate::fixtures::{Scope, at, create_user, linked_pair, send};
use classchat_core::moderation::{ReportDetails, ReportReason};
use classchat_core::store::{
    Report, ReportId, ReportSource, ReportState, ReportStep, Store, StoreError,
};
use classchat_core::user::{Role, User};
use classchat_core::{Message, Timestamp};
use std::sync::Arc;

/// Report ids in increasing order: one millisecond apart, with randomness of their own so
/// that no other check makes the same ones.
struct Ids {
    random: u128,
    next_ms: u64,
}

impl Ids {
    fn new() -> Self {
        Self {
            random: ulid::Ulid::new().random(),
            next_ms: 1_700_000_000_000,
        }
    }

    /// The next id, after every earlier one.
    fn next(&mut self) -> ReportId {
        self.next_ms += 1;
        let ulid = ulid::Ulid::from_parts(self.next_ms, self.random);
        ReportId::parse(&ulid.to_string()).expect("a ULID is a valid reportId")
    }
}

/// An open report of `message` by `source`, made at `created_at`.
fn report(
    id: ReportId,
    message: &Message,
    source: ReportSource,
    reason: ReportReason,
    created_at: Timestamp,
) -> Report {
    Report {
        id,
        conversation_id: message.conversation_id.clone(),
        timestamp: message.timestamp,
        message_id: message.message_id,
        author: message.author.clone(),
        source,
        reason,
        details: None,
        created_at,
        state: ReportState::Open,
        steps: Vec::new(),
    }
}

/// A step to `state` by `by` at `at`, with a note when given.
fn step(state: ReportState, by: &User, at: Timestamp, note: Option<&str>) -> ReportStep {
    ReportStep {
        state,
        by: by.id.clone(),
        at,
        note: note.map(|note| ReportDetails::parse(note).expect("test notes are valid")),
    }
}

/// [`Store::put_report`], which must not fail.
async fn put(store: &dyn Store, report: &Report) -> Report {
    store
        .put_report(report)
        .await
        .unwrap_or_else(|error| panic!("put_report({}) failed: {error}", report.id))
}

/// [`Store::report`], which must not fail.
async fn get(store: &dyn Store, id: ReportId) -> Option<Report> {
    store
        .report(id)
        .await
        .unwrap_or_else(|error| panic!("report({id}) failed: {error}"))
}

/// [`Store::list_reports`] as ids, which must not fail.
async fn listed(
    store: &dyn Store,
    state: Option<ReportState>,
    before: Option<ReportId>,
    limit: usize,
) -> Vec<ReportId> {
    store
        .list_reports(state, before, limit)
        .await
        .unwrap_or_else(|error| panic!("list_reports({state:?}, {before:?}) failed: {error}"))
        .into_iter()
        .map(|report| report.id)
        .collect()
}

/// `put_report` stores a report and answers it; `report` answers it back, every field
/// (reason, details, source, state and steps), for a person's report and a flag's; an
/// unknown id is `None`.
pub async fn put_report_stores_it_and_report_round_trips_every_field(store: Arc<dyn Store>) {
    let scope = Scope::new();
    let pair = linked_pair(&*store, &scope, "a").await;
    let message = send(&*store, &pair.conversation, &pair.teacher.id, at(100), "hm").await;
    let mut ids = Ids::new();

    let by_student = Report {
        details: Some(ReportDetails::parse("It made me feel unsafe.\nPlease look.").unwrap()),
        ..report(
            ids.next(),
            &message,
            ReportSource::Person(pair.student.id.clone()),
            ReportReason::Safety,
            at(1_000),
        )
    };
    assert_eq!(
        put(&*store, &by_student).await,
        by_student,
        "put_report answers the report"
    );
    assert_eq!(get(&*store, by_student.id).await, Some(by_student.clone()));

    let flagged = Report {
        details: Some(ReportDetails::from_stored(
            "word \"idiot\"; pattern 2".into(),
        )),
        ..report(
            ids.next(),
            &message,
            ReportSource::Flags,
            ReportReason::Flagged,
            at(100),
        )
    };
    assert_eq!(put(&*store, &flagged).await, flagged);
    assert_eq!(
        get(&*store, flagged.id).await,
        Some(flagged),
        "a flag's report round-trips, every field"
    );

    let admin = create_user(&*store, &scope.id("admin"), "Ada", Role::Admin).await;
    let reviewed = step(
        ReportState::Reviewed,
        &admin,
        at(2_000),
        Some("Talked to both."),
    );
    let stepped = store
        .step_report(by_student.id, ReportState::Open, &reviewed)
        .await
        .expect("step_report failed")
        .expect("the report exists");
    assert_eq!(
        get(&*store, by_student.id).await,
        Some(stepped),
        "a stepped report round-trips with its steps"
    );
    assert_eq!(
        get(&*store, ids.next()).await,
        None,
        "an unknown id is None"
    );
}

/// A reporter has one report per message: reporting it again (with a new id) answers the
/// first report and stores nothing; another reporter, and the flags, each get their own,
/// and the same reporter on another message too.
pub async fn a_reporter_has_one_report_per_message(store: Arc<dyn Store>) {
    let scope = Scope::new();
    let pair = linked_pair(&*store, &scope, "a").await;
    let message = send(&*store, &pair.conversation, &pair.student.id, at(100), "hm").await;
    let other = send(&*store, &pair.conversation, &pair.student.id, at(200), "hm").await;
    let mut ids = Ids::new();
    let teacher = ReportSource::Person(pair.teacher.id.clone());

    let first = report(
        ids.next(),
        &message,
        teacher.clone(),
        ReportReason::Bullying,
        at(1),
    );
    assert_eq!(put(&*store, &first).await, first);
    let again = Report {
        details: Some(ReportDetails::parse("again").unwrap()),
        ..report(
            ids.next(),
            &message,
            teacher.clone(),
            ReportReason::Spam,
            at(2),
        )
    };
    assert_eq!(
        put(&*store, &again).await,
        first,
        "the same reporter reporting the same message again gets the first report"
    );
    assert_eq!(get(&*store, again.id).await, None, "nothing new is stored");

    let by_student = ReportSource::Person(pair.student.id.clone());
    let own = [
        report(ids.next(), &message, by_student, ReportReason::Other, at(3)),
        report(
            ids.next(),
            &message,
            ReportSource::Flags,
            ReportReason::Flagged,
            at(4),
        ),
        report(ids.next(), &other, teacher, ReportReason::Bullying, at(5)),
    ];
    for report in &own {
        assert_eq!(
            put(&*store, report).await,
            *report,
            "another reporter, the flags, or another message: a report of its own"
        );
        assert_eq!(get(&*store, report.id).await.as_ref(), Some(report));
    }
    let flagged_again = report(
        ids.next(),
        &message,
        ReportSource::Flags,
        ReportReason::Flagged,
        at(6),
    );
    assert_eq!(
        put(&*store, &flagged_again).await,
        own[1],
        "the flags report a message once too"
    );
    assert_eq!(
        listed(&*store, None, None, 50).await.len(),
        4,
        "four reports stored"
    );
}

/// `list_reports` lists newest first (by id), only those in the state asked for, strictly
/// before `before`, at most `limit`; a report that moves on leaves the open list and joins
/// its new state's.
pub async fn list_reports_is_newest_first_by_state_and_page(store: Arc<dyn Store>) {
    let scope = Scope::new();
    let pair = linked_pair(&*store, &scope, "a").await;
    let admin = create_user(&*store, &scope.id("admin"), "Ada", Role::Admin).await;
    let mut ids = Ids::new();
    let mut made = Vec::new();
    for n in 0..5 {
        let message = send(&*store, &pair.conversation, &pair.student.id, at(n), "x").await;
        let source = ReportSource::Person(pair.teacher.id.clone());
        let filed = report(
            ids.next(),
            &message,
            source,
            ReportReason::Other,
            at(100 + n),
        );
        put(&*store, &filed).await;
        made.push(filed.id);
    }
    let newest_first: Vec<ReportId> = made.iter().rev().copied().collect();
    assert!(
        listed(&*store, None, None, 0).await.is_empty(),
        "limit 0 lists nothing"
    );
    assert_eq!(
        listed(&*store, None, None, 10).await,
        newest_first,
        "newest first"
    );
    assert_eq!(
        listed(&*store, None, None, 2).await,
        newest_first[..2],
        "at most limit"
    );
    assert_eq!(
        listed(&*store, None, Some(made[3]), 2).await,
        [made[2], made[1]],
        "strictly before `before`"
    );
    assert_eq!(listed(&*store, None, Some(made[0]), 10).await, []);

    for id in [made[1], made[3]] {
        let reviewed = step(ReportState::Reviewed, &admin, at(1_000), None);
        store
            .step_report(id, ReportState::Open, &reviewed)
            .await
            .expect("step_report failed")
            .expect("the report exists");
    }
    let dismissed = step(ReportState::Dismissed, &admin, at(2_000), Some("fine"));
    store
        .step_report(made[4], ReportState::Open, &dismissed)
        .await
        .unwrap()
        .unwrap();

    let open = Some(ReportState::Open);
    assert_eq!(listed(&*store, open, None, 10).await, [made[2], made[0]]);
    assert_eq!(
        listed(&*store, open, None, 1).await,
        [made[2]],
        "limit within a state"
    );
    assert_eq!(
        listed(&*store, open, Some(made[2]), 10).await,
        [made[0]],
        "paging within a state"
    );
    let reviewed = Some(ReportState::Reviewed);
    assert_eq!(
        listed(&*store, reviewed, None, 10).await,
        [made[3], made[1]]
    );
    assert_eq!(
        listed(&*store, Some(ReportState::Dismissed), None, 10).await,
        [made[4]]
    );
    assert!(
        listed(&*store, Some(ReportState::Actioned), None, 10)
            .await
            .is_empty()
    );
    assert_eq!(
        listed(&*store, None, None, 10).await,
        newest_first,
        "all states"
    );
}

/// `step_report` moves a report from the state expected, appending the step; from any
/// other state it is a conflict and nothing changes; an unknown id is `None`.
pub async fn step_report_moves_on_only_from_the_expected_state(store: Arc<dyn Store>) {
    let scope = Scope::new();
    let pair = linked_pair(&*store, &scope, "a").await;
    let admin = create_user(&*store, &scope.id("admin"), "Ada", Role::Admin).await;
    let message = send(&*store, &pair.conversation, &pair.teacher.id, at(100), "hm").await;
    let mut ids = Ids::new();
    let source = ReportSource::Person(pair.student.id.clone());
    let filed = report(
        ids.next(),
        &message,
        source,
        ReportReason::Bullying,
        at(500),
    );
    put(&*store, &filed).await;

    let reviewed = step(ReportState::Reviewed, &admin, at(1_000), Some("Looking."));
    let moved = store
        .step_report(filed.id, ReportState::Open, &reviewed)
        .await
        .expect("step_report failed");
    let expected = Report {
        state: ReportState::Reviewed,
        steps: vec![reviewed.clone()],
        ..filed.clone()
    };
    assert_eq!(
        moved,
        Some(expected.clone()),
        "the report moved on with its step"
    );
    assert_eq!(get(&*store, filed.id).await, Some(expected.clone()));

    let late = step(ReportState::Dismissed, &admin, at(1_500), None);
    match store.step_report(filed.id, ReportState::Open, &late).await {
        Err(StoreError::Conflict(_)) => {}
        other => panic!("a step from a state the report has left must conflict, got {other:?}"),
    }
    assert_eq!(
        get(&*store, filed.id).await,
        Some(expected.clone()),
        "nothing changed"
    );

    let actioned = step(
        ReportState::Actioned,
        &admin,
        at(2_000),
        Some("Parents told."),
    );
    let closed = store
        .step_report(filed.id, ReportState::Reviewed, &actioned)
        .await
        .unwrap();
    let expected = Report {
        state: ReportState::Actioned,
        steps: vec![reviewed, actioned],
        ..filed
    };
    assert_eq!(
        closed,
        Some(expected.clone()),
        "steps are kept oldest first"
    );
    assert_eq!(get(&*store, expected.id).await, Some(expected));

    assert_eq!(
        store
            .step_report(ids.next(), ReportState::Open, &late)
            .await,
        Ok(None),
        "an unknown report is None"
    );
}
