//! Reading conversations page by page, backwards (`before`) and forwards (`after`).

use crate::fixtures::{Pair, Scope, assert_ascending, at, linked_pair, read, send, stamps};
use classchat_core::store::Store;
use classchat_core::{Message, Timestamp};
use std::collections::HashSet;
use std::sync::Arc;

/// Appends `count` messages 10 µs apart, alternating authors, and returns them in order.
async fn fill(store: &dyn Store, pair: &Pair, count: usize) -> Vec<Message> {
    let mut messages = Vec::with_capacity(count);
    for i in 0..count {
        let author = if i % 3 == 0 {
            &pair.teacher.id
        } else {
            &pair.student.id
        };
        let proposed = at(10 * i as i64);
        let message = send(
            store,
            &pair.conversation,
            author,
            proposed,
            &format!("message {i}"),
        )
        .await;
        assert_eq!(message.timestamp, proposed, "a free proposal must be kept");
        messages.push(message);
    }
    messages
}

/// Without a cursor a page is the newest `limit` messages, ascending; `has_more` says
/// whether older ones remain, and is false when the page ends exactly at the oldest.
pub async fn read_without_cursor_returns_newest_page(store: Arc<dyn Store>) {
    let scope = Scope::new();
    let pair = linked_pair(&*store, &scope, "p").await;
    let all = fill(&*store, &pair, 14).await;
    let conversation = &pair.conversation;

    for (limit, expected, more) in [
        (7, &all[7..], true),
        (13, &all[1..], true),
        (14, &all[..], false),
        (20, &all[..], false),
        (1, &all[13..], true),
    ] {
        let page = read(&*store, conversation, None, None, limit).await;
        assert_eq!(
            page.messages,
            expected,
            "no cursor, limit {limit}: must be the newest {limit} messages ascending, got {:?}",
            stamps(&page.messages)
        );
        assert_eq!(
            page.has_more, more,
            "no cursor, limit {limit}: has_more must be {more}"
        );
    }

    let second = read(&*store, conversation, Some(all[7].timestamp), None, 7).await;
    assert_eq!(
        second.messages,
        &all[..7],
        "before = oldest of the newest page must give the 7 before it"
    );
    assert!(
        !second.has_more,
        "a page that ends at the oldest message must have has_more = false"
    );
}

/// `before` and `after` are exclusive; with `after` the page is the oldest matching
/// messages; both together bound a window.
pub async fn read_cursors_are_exclusive(store: Arc<dyn Store>) {
    let scope = Scope::new();
    let pair = linked_pair(&*store, &scope, "x").await;
    let all = fill(&*store, &pair, 12).await;
    let conversation = &pair.conversation;
    let ts = |i: usize| all[i].timestamp;

    type Case<'a> = (
        Option<Timestamp>,
        Option<Timestamp>,
        usize,
        &'a [Message],
        bool,
        &'a str,
    );
    let cases: [Case; 10] = [
        (
            Some(ts(5)),
            None,
            3,
            &all[2..5],
            true,
            "before excludes its own message",
        ),
        (
            Some(ts(5)),
            None,
            5,
            &all[0..5],
            false,
            "before, exactly the rest",
        ),
        (Some(ts(0)), None, 5, &[], false, "before the oldest"),
        (
            Some(ts(5).next()),
            None,
            2,
            &all[4..6],
            true,
            "before between two messages",
        ),
        (
            None,
            Some(ts(5)),
            3,
            &all[6..9],
            true,
            "after excludes its own message, oldest first",
        ),
        (
            None,
            Some(ts(5)),
            6,
            &all[6..12],
            false,
            "after, exactly the rest",
        ),
        (None, Some(ts(11)), 5, &[], false, "after the newest"),
        (
            None,
            Some(Timestamp::MIN),
            4,
            &all[0..4],
            true,
            "after the beginning of time",
        ),
        (
            Some(ts(8)),
            Some(ts(2)),
            10,
            &all[3..8],
            false,
            "both cursors, whole window",
        ),
        (
            Some(ts(8)),
            Some(ts(2)),
            2,
            &all[3..5],
            true,
            "both cursors, oldest of the window",
        ),
    ];
    for (before, after, limit, expected, more, what) in cases {
        let page = read(&*store, conversation, before, after, limit).await;
        assert_eq!(
            page.messages,
            expected,
            "{what} (before {before:?}, after {after:?}, limit {limit}): got {:?}",
            stamps(&page.messages)
        );
        assert_eq!(page.has_more, more, "{what}: has_more must be {more}");
    }
}

/// Walking a 120-message conversation backwards 7 at a time, starting without a cursor,
/// visits every message exactly once.
pub async fn walk_backwards_through_120_messages(store: Arc<dyn Store>) {
    let scope = Scope::new();
    let pair = linked_pair(&*store, &scope, "wb").await;
    let all = fill(&*store, &pair, 120).await;

    let mut pages: Vec<Vec<Message>> = Vec::new();
    let mut before = None;
    loop {
        assert!(pages.len() < 40, "the backwards walk does not end");
        let page = read(&*store, &pair.conversation, before, None, 7).await;
        assert_ascending(&page.messages, "backwards page");
        let left = all.len() - pages.iter().map(Vec::len).sum::<usize>();
        assert_eq!(
            page.messages.len(),
            left.min(7),
            "page {} must be full unless it is the last",
            pages.len()
        );
        assert_eq!(
            page.has_more,
            left > 7,
            "page {}: has_more must say whether older messages remain",
            pages.len()
        );
        let more = page.has_more;
        before = page.messages.first().map(|m| m.timestamp);
        pages.push(page.messages);
        if !more {
            break;
        }
    }
    assert_eq!(
        pages.len(),
        18,
        "120 messages are 17 pages of 7 and one of 1"
    );
    let walked: Vec<Message> = pages.into_iter().rev().flatten().collect();
    check_walk(&walked, &all, "backwards");

    let past_end = read(&*store, &pair.conversation, before, None, 7).await;
    assert!(
        past_end.messages.is_empty() && !past_end.has_more,
        "before the oldest message there is nothing"
    );
}

/// Walking a 120-message conversation forwards 7 at a time with `after` visits every
/// message exactly once, oldest first.
pub async fn walk_forwards_through_120_messages(store: Arc<dyn Store>) {
    let scope = Scope::new();
    let pair = linked_pair(&*store, &scope, "wf").await;
    let all = fill(&*store, &pair, 120).await;

    let mut walked: Vec<Message> = Vec::new();
    let mut after = Timestamp::MIN;
    let mut pages = 0;
    loop {
        assert!(pages < 40, "the forwards walk does not end");
        let page = read(&*store, &pair.conversation, None, Some(after), 7).await;
        assert_ascending(&page.messages, "forwards page");
        let left = all.len() - walked.len();
        assert_eq!(
            page.messages.len(),
            left.min(7),
            "page {pages} must be full unless it is the last"
        );
        assert_eq!(
            page.has_more,
            left > 7,
            "page {pages}: has_more must say whether newer messages remain"
        );
        pages += 1;
        if let Some(last) = page.messages.last() {
            after = last.timestamp;
        }
        walked.extend(page.messages);
        if !page.has_more {
            break;
        }
    }
    assert_eq!(pages, 18, "120 messages are 17 pages of 7 and one of 1");
    check_walk(&walked, &all, "forwards");

    let past_end = read(&*store, &pair.conversation, None, Some(after), 7).await;
    assert!(
        past_end.messages.is_empty() && !past_end.has_more,
        "after the newest message there is nothing"
    );
}

fn check_walk(walked: &[Message], all: &[Message], direction: &str) {
    let ids: HashSet<_> = walked.iter().map(|m| m.message_id).collect();
    assert_eq!(
        ids.len(),
        walked.len(),
        "walking {direction} must not return a message twice"
    );
    assert_ascending(walked, direction);
    assert_eq!(
        walked.len(),
        all.len(),
        "walking {direction} must not skip messages"
    );
    assert_eq!(
        walked, all,
        "walking {direction} must return every message, in order"
    );
}
