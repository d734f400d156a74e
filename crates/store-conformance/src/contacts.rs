//! Contact lists, conversation summaries, unread counts and read markers.

use crate::fixtures::{Scope, at, create_user, link, linked_pair, send};
use classchat_core::store::{Contact, MarkedRead, Side, Store};
use classchat_core::user::{Role, User};
use classchat_core::{ConversationId, Message, Timestamp, UserId};
use std::sync::Arc;

fn contact(
    peer: &User,
    conversation: &ConversationId,
    last: Option<&Message>,
    unread: u64,
) -> Contact {
    Contact {
        peer: peer.clone(),
        conversation_id: conversation.clone(),
        last_message: last.cloned(),
        unread_count: unread,
        family: Vec::new(),
    }
}

fn peers(contacts: &[Contact]) -> Vec<String> {
    contacts
        .iter()
        .map(|c| c.peer.display_name.to_string())
        .collect()
}

/// The answer of a `mark_read` that moved the marker to `marker`.
fn moved(marker: Timestamp) -> MarkedRead {
    MarkedRead {
        marker,
        moved: true,
    }
}

/// `user`'s unread count in `conversation`, as both contact-list queries report it.
async fn unread(
    store: &dyn Store,
    user: &UserId,
    side: Side,
    conversation: &ConversationId,
) -> u64 {
    let linked = store.linked_contacts(user, side).await.unwrap();
    let from_links = linked
        .iter()
        .find(|c| &c.conversation_id == conversation)
        .unwrap_or_else(|| panic!("{conversation} missing from linked_contacts({user})"))
        .unread_count;
    let active = store.active_conversations(user).await.unwrap();
    if let Some(summary) = active.iter().find(|c| &c.conversation_id == conversation) {
        assert_eq!(
            summary.unread_count, from_links,
            "linked_contacts and active_conversations must agree on {user}'s unread count"
        );
    }
    from_links
}

/// A student's linked contacts are every linked teacher, messages or not, sorted by display
/// name, with the conversation's newest message and the student's unread count.
pub async fn linked_contacts_for_student_lists_every_teacher(store: Arc<dyn Store>) {
    let scope = Scope::new();
    let student = create_user(&*store, &scope.id("s"), "Sam Student", Role::Student).await;
    // Ids sort the opposite way from display names.
    let zed = create_user(&*store, &scope.id("t1"), "Zed Teacher", Role::Teacher).await;
    let mia = create_user(&*store, &scope.id("t2"), "Mia Teacher", Role::Teacher).await;
    let abe = create_user(&*store, &scope.id("t3"), "Abe Teacher", Role::Teacher).await;
    let unlinked = create_user(&*store, &scope.id("t4"), "Bob Teacher", Role::Teacher).await;
    for teacher in [&zed, &mia, &abe] {
        link(&*store, teacher, &student).await;
    }
    let other_student = create_user(&*store, &scope.id("s2"), "Other", Role::Student).await;
    link(&*store, &unlinked, &other_student).await;

    let with = |teacher: &User| ConversationId::new(student.id.clone(), teacher.id.clone());
    let empty = store
        .linked_contacts(&student.id, Side::Student)
        .await
        .unwrap();
    assert_eq!(
        empty,
        vec![
            contact(&abe, &with(&abe), None, 0),
            contact(&mia, &with(&mia), None, 0),
            contact(&zed, &with(&zed), None, 0),
        ],
        "every linked teacher must be listed by display name, without messages: no last \
         message and nothing unread"
    );

    let conversation = with(&mia);
    send(&*store, &conversation, &mia.id, at(100), "first").await;
    send(&*store, &conversation, &student.id, at(200), "reply").await;
    let newest = send(&*store, &conversation, &mia.id, at(300), "second").await;

    let contacts = store
        .linked_contacts(&student.id, Side::Student)
        .await
        .unwrap();
    assert_eq!(
        peers(&contacts),
        ["Abe Teacher", "Mia Teacher", "Zed Teacher"]
    );
    assert_eq!(
        contacts,
        vec![
            contact(&abe, &with(&abe), None, 0),
            contact(&mia, &conversation, Some(&newest), 2),
            contact(&zed, &with(&zed), None, 0),
        ],
        "the conversation with messages must show its newest message and the teacher's two \
         messages as unread"
    );
}

/// A teacher's linked contacts are their students, the same way round.
pub async fn linked_contacts_for_teacher_lists_every_student(store: Arc<dyn Store>) {
    let scope = Scope::new();
    let teacher = create_user(&*store, &scope.id("t"), "Tess Teacher", Role::Teacher).await;
    let yara = create_user(&*store, &scope.id("s1"), "Yara", Role::Student).await;
    let ben = create_user(&*store, &scope.id("s2"), "Ben", Role::Student).await;
    link(&*store, &teacher, &yara).await;
    link(&*store, &teacher, &ben).await;
    let with_yara = ConversationId::new(yara.id.clone(), teacher.id.clone());
    let with_ben = ConversationId::new(ben.id.clone(), teacher.id.clone());
    let message = send(&*store, &with_yara, &yara.id, at(10), "question").await;

    let contacts = store
        .linked_contacts(&teacher.id, Side::Teacher)
        .await
        .unwrap();
    assert_eq!(
        contacts,
        vec![
            contact(&ben, &with_ben, None, 0),
            contact(&yara, &with_yara, Some(&message), 1),
        ],
        "a teacher's linked contacts are their students by display name"
    );
    let yaras = store
        .linked_contacts(&yara.id, Side::Student)
        .await
        .unwrap();
    assert_eq!(
        yaras,
        vec![contact(&teacher, &with_yara, Some(&message), 0)],
        "the author's own message is not unread for them"
    );
}

/// Active conversations are only those with messages, newest activity first, each with its
/// newest message and the user's unread count.
pub async fn active_conversations_lists_newest_activity_first(store: Arc<dyn Store>) {
    let scope = Scope::new();
    let teacher = create_user(&*store, &scope.id("t"), "Teacher", Role::Teacher).await;
    let mut students = Vec::new();
    for name in ["s1", "s2", "s3"] {
        let student = create_user(&*store, &scope.id(name), name, Role::Student).await;
        link(&*store, &teacher, &student).await;
        students.push(student);
    }
    let (s1, s2, s3) = (&students[0], &students[1], &students[2]);
    let with = |s: &User| ConversationId::new(s.id.clone(), teacher.id.clone());

    assert!(
        store
            .active_conversations(&teacher.id)
            .await
            .unwrap()
            .is_empty(),
        "without messages there are no active conversations"
    );

    send(&*store, &with(s1), &s1.id, at(100), "from s1").await;
    let from_s2 = send(&*store, &with(s2), &s2.id, at(200), "from s2").await;
    let reply_s1 = send(&*store, &with(s1), &teacher.id, at(300), "to s1").await;
    assert_eq!(
        store.active_conversations(&teacher.id).await.unwrap(),
        vec![
            contact(s1, &with(s1), Some(&reply_s1), 1),
            contact(s2, &with(s2), Some(&from_s2), 1),
        ],
        "only conversations with messages, newest activity first; s3 has none"
    );

    let again_s2 = send(&*store, &with(s2), &s2.id, at(400), "s2 again").await;
    assert_eq!(
        store.active_conversations(&teacher.id).await.unwrap(),
        vec![
            contact(s2, &with(s2), Some(&again_s2), 2),
            contact(s1, &with(s1), Some(&reply_s1), 1),
        ],
        "a new message moves its conversation to the front"
    );

    assert_eq!(
        store.active_conversations(&s1.id).await.unwrap(),
        vec![contact(&teacher, &with(s1), Some(&reply_s1), 1)],
        "the student sees the conversation from their side"
    );
    assert!(
        store.active_conversations(&s3.id).await.unwrap().is_empty(),
        "a student without messages has no active conversations"
    );
}

/// A sender's own messages never count as unread for them, neither when sent nor when the
/// count is recomputed by `mark_read`.
pub async fn own_messages_are_never_unread(store: Arc<dyn Store>) {
    let scope = Scope::new();
    let pair = linked_pair(&*store, &scope, "o").await;
    let (student, teacher, conversation) = (&pair.student.id, &pair.teacher.id, &pair.conversation);

    let first = send(&*store, conversation, student, at(100), "one").await;
    send(&*store, conversation, student, at(200), "two").await;
    send(&*store, conversation, student, at(300), "three").await;
    assert_eq!(
        unread(&*store, student, Side::Student, conversation).await,
        0
    );
    assert_eq!(
        unread(&*store, teacher, Side::Teacher, conversation).await,
        3
    );

    send(&*store, conversation, teacher, at(400), "answer").await;
    send(&*store, conversation, student, at(500), "thanks").await;
    assert_eq!(
        unread(&*store, student, Side::Student, conversation).await,
        1,
        "only the teacher's message is unread for the student"
    );

    // Recount from an early marker: the student's own later messages still do not count.
    let marker = store
        .mark_read(student, conversation, first.timestamp)
        .await
        .unwrap();
    assert_eq!(marker, Some(moved(first.timestamp)));
    assert_eq!(
        unread(&*store, student, Side::Student, conversation).await,
        1,
        "mark_read must recount only the peer's messages after the marker"
    );
    assert_eq!(
        unread(&*store, teacher, Side::Teacher, conversation).await,
        4
    );
}

/// `mark_read` moves the marker forward only, recounts unread messages, and leaves the
/// other participant alone.
pub async fn mark_read_moves_forward_only(store: Arc<dyn Store>) {
    let scope = Scope::new();
    let pair = linked_pair(&*store, &scope, "m").await;
    let (student, teacher, conversation) = (&pair.student.id, &pair.teacher.id, &pair.conversation);

    let m1 = send(&*store, conversation, teacher, at(100), "one").await;
    let m2 = send(&*store, conversation, teacher, at(200), "two").await;
    let m3 = send(&*store, conversation, teacher, at(300), "three").await;
    assert_eq!(
        unread(&*store, student, Side::Student, conversation).await,
        3
    );

    // (up to, marker then in force, whether it moved, unread count, what)
    let steps: [(Timestamp, Timestamp, bool, u64, &str); 7] = [
        (
            m2.timestamp,
            m2.timestamp,
            true,
            1,
            "up to the second of three",
        ),
        (
            m2.timestamp,
            m2.timestamp,
            false,
            1,
            "the same again changes nothing",
        ),
        (
            m1.timestamp,
            m2.timestamp,
            false,
            1,
            "an older timestamp changes nothing",
        ),
        (
            Timestamp::MIN,
            m2.timestamp,
            false,
            1,
            "the oldest timestamp changes nothing",
        ),
        (
            m2.timestamp.next(),
            m2.timestamp.next(),
            true,
            1,
            "between two messages",
        ),
        (m3.timestamp, m3.timestamp, true, 0, "up to the newest"),
        (
            at(3_600_000_000),
            m3.timestamp,
            false,
            0,
            "past the newest, where it is already",
        ),
    ];
    for (up_to, marker, moved, expected_unread, what) in steps {
        let got = store.mark_read(student, conversation, up_to).await.unwrap();
        assert_eq!(
            got,
            Some(MarkedRead { marker, moved }),
            "{what}: mark_read({up_to}) must return the marker now in force, and whether it moved"
        );
        assert_eq!(
            unread(&*store, student, Side::Student, conversation).await,
            expected_unread,
            "{what}: unread count"
        );
    }
    assert_eq!(
        unread(&*store, teacher, Side::Teacher, conversation).await,
        0,
        "the student's marker must not affect the teacher"
    );

    send(&*store, conversation, teacher, at(400), "four").await;
    assert_eq!(
        unread(&*store, student, Side::Student, conversation).await,
        1,
        "a message after the marker is unread again"
    );
}

/// Of many concurrent `mark_read` calls to the same instant, exactly one moves the marker
/// (the write is conditional), and every call reports the marker in force: a device
/// repeating its `markRead`, or several devices reading together, announce one move.
pub async fn concurrent_mark_reads_move_the_marker_once(store: Arc<dyn Store>) {
    let scope = Scope::new();
    let pair = linked_pair(&*store, &scope, "c").await;
    let (student, teacher, conversation) = (&pair.student.id, &pair.teacher.id, &pair.conversation);
    send(&*store, conversation, teacher, at(100), "one").await;
    let second = send(&*store, conversation, teacher, at(200), "two").await;

    let calls = (0..12).map(|_| store.mark_read(student, conversation, second.timestamp));
    let answers = futures::future::join_all(calls).await;
    let mut moves = 0;
    for answer in answers {
        let answer = answer.unwrap().expect("the conversation has messages");
        assert_eq!(answer.marker, second.timestamp, "the marker in force");
        moves += usize::from(answer.moved);
    }
    assert_eq!(
        moves, 1,
        "exactly one of the concurrent calls moved the marker"
    );
    assert_eq!(
        unread(&*store, student, Side::Student, conversation).await,
        0
    );
}

/// `mark_read` never moves the marker past the conversation's newest message, so messages
/// that arrive later are still unread.
pub async fn mark_read_never_passes_newest_message(store: Arc<dyn Store>) {
    let scope = Scope::new();
    let pair = linked_pair(&*store, &scope, "n").await;
    let (student, teacher, conversation) = (&pair.student.id, &pair.teacher.id, &pair.conversation);

    send(&*store, conversation, teacher, at(100), "one").await;
    let newest = send(&*store, conversation, teacher, at(200), "two").await;
    let far_future = at(3_600_000_000);
    assert_eq!(
        store
            .mark_read(student, conversation, far_future)
            .await
            .unwrap(),
        Some(moved(newest.timestamp)),
        "mark_read must clamp the marker to the newest message"
    );
    assert_eq!(
        unread(&*store, student, Side::Student, conversation).await,
        0
    );

    // Proposed before the far-future mark, but after the newest message.
    send(&*store, conversation, teacher, at(300), "three").await;
    assert_eq!(
        unread(&*store, student, Side::Student, conversation).await,
        1,
        "a message newer than the clamped marker must be unread"
    );
}

/// `mark_read` on a conversation without messages is `None` and sets no marker.
pub async fn mark_read_without_messages_returns_none(store: Arc<dyn Store>) {
    let scope = Scope::new();
    let pair = linked_pair(&*store, &scope, "z").await;
    let (student, teacher, conversation) = (&pair.student.id, &pair.teacher.id, &pair.conversation);

    for user in [student, teacher] {
        assert_eq!(
            store
                .mark_read(user, conversation, at(1_000_000))
                .await
                .unwrap(),
            None,
            "mark_read must be None while the conversation has no messages"
        );
    }
    send(&*store, conversation, teacher, at(10), "hello").await;
    assert_eq!(
        unread(&*store, student, Side::Student, conversation).await,
        1,
        "a mark_read before the first message must not have set a marker"
    );
}

/// `conversations_since` lists exactly the user's conversations with a message newer than
/// the instant given (exclusive), whoever wrote it.
pub async fn conversations_since_lists_conversations_with_newer_messages(store: Arc<dyn Store>) {
    let scope = Scope::new();
    let teacher = create_user(&*store, &scope.id("t"), "Teacher", Role::Teacher).await;
    let mut students = Vec::new();
    for name in ["s1", "s2", "s3"] {
        let student = create_user(&*store, &scope.id(name), name, Role::Student).await;
        link(&*store, &teacher, &student).await;
        students.push(student);
    }
    let with = |s: &User| ConversationId::new(s.id.clone(), teacher.id.clone());
    send(
        &*store,
        &with(&students[0]),
        &students[0].id,
        at(100),
        "old",
    )
    .await;
    send(&*store, &with(&students[1]), &teacher.id, at(300), "newer").await;

    let mut since_200 = store
        .conversations_since(&teacher.id, at(200))
        .await
        .unwrap();
    since_200.sort();
    assert_eq!(
        since_200,
        vec![with(&students[1])],
        "only s2's conversation is newer than 200"
    );
    let mut since_start = store.conversations_since(&teacher.id, at(0)).await.unwrap();
    since_start.sort();
    let mut expected = vec![with(&students[0]), with(&students[1])];
    expected.sort();
    assert_eq!(since_start, expected, "s3 has no messages at all");
    assert!(
        store
            .conversations_since(&teacher.id, at(300))
            .await
            .unwrap()
            .is_empty(),
        "the cursor is exclusive"
    );
    assert_eq!(
        store
            .conversations_since(&students[1].id, at(200))
            .await
            .unwrap(),
        vec![with(&students[1])],
        "the student sees it from their side, even though the teacher wrote it"
    );
}

/// `read_marker` reports how far a user has read: nothing before the first message or the
/// first read, then the marker `mark_read` set, per user.
pub async fn read_marker_reports_each_users_marker(store: Arc<dyn Store>) {
    let scope = Scope::new();
    let pair = linked_pair(&*store, &scope, "r").await;
    let (student, teacher, conversation) = (&pair.student.id, &pair.teacher.id, &pair.conversation);
    let marker = |user: &UserId| {
        let store = Arc::clone(&store);
        let (user, conversation) = (user.clone(), conversation.clone());
        async move { store.read_marker(&user, &conversation).await.unwrap() }
    };
    assert_eq!(marker(student).await, None, "no messages yet");

    let first = send(&*store, conversation, teacher, at(100), "one").await;
    send(&*store, conversation, teacher, at(200), "two").await;
    assert_eq!(marker(student).await, None, "nothing read yet");
    assert_eq!(
        marker(teacher).await,
        None,
        "the author has not marked anything either"
    );

    store
        .mark_read(student, conversation, first.timestamp)
        .await
        .unwrap();
    assert_eq!(marker(student).await, Some(first.timestamp));
    assert_eq!(
        marker(teacher).await,
        None,
        "one user's read is not the other's"
    );
}

/// `unread_count` is one conversation's count of the peer's messages not yet read, per
/// user: 0 before any message, each of the peer's messages counted (never the user's own),
/// and recounted from the marker `mark_read` set.
pub async fn unread_count_follows_messages_and_the_read_marker(store: Arc<dyn Store>) {
    let scope = Scope::new();
    let pair = linked_pair(&*store, &scope, "u").await;
    let (student, teacher, conversation) = (&pair.student.id, &pair.teacher.id, &pair.conversation);
    let unread = |user: &UserId| {
        let store = Arc::clone(&store);
        let (user, conversation) = (user.clone(), conversation.clone());
        async move { store.unread_count(&user, &conversation).await.unwrap() }
    };
    assert_eq!(unread(student).await, 0, "no messages yet");

    let first = send(&*store, conversation, teacher, at(100), "one").await;
    send(&*store, conversation, teacher, at(200), "two").await;
    send(&*store, conversation, student, at(300), "mine").await;
    assert_eq!(unread(student).await, 2, "the teacher's two");
    assert_eq!(unread(teacher).await, 1, "the student's one");

    store
        .mark_read(student, conversation, first.timestamp)
        .await
        .unwrap();
    assert_eq!(unread(student).await, 1, "the one after the marker");
    assert_eq!(
        unread(teacher).await,
        1,
        "one user's read is not the other's"
    );
}
