// One conversation: history with the newest message at the bottom, older pages loaded
// when scrolling up (keeping the reader's place), own messages shown at once as
// "Sending…" and then "Sent"/"Seen" or "Not sent" with Retry, a typing indicator, and
// the chat box; copies of a class announcement are marked as such. Admins get the same
// view read-only, with a notice that the read is audited; so do guardians reading their
// child's conversation, where the school allows it. A student whose family may read their
// conversations is told so under the header. After a send to someone outside their
// notification hours, a note above the chat box says when they will be notified. A
// teacher the school allows may mark a message to a student or guardian as urgent.
// Safeguarding: edited messages say "(edited)", removed ones "Message removed" (admins
// see the text, marked removed); participants get each message's actions (message-
// actions.js), and while the conversation is paused everyone is told, and the student's
// or guardian's chat box gives way to the notice (pause.js).

import { h, avatar, bidi, reconcile, replace, show, clockTime, dayKey, dayLabel, fullTime, laterTime } from '../dom.js';
import { Composer } from './composer.js';
import { MessageActions } from './message-actions.js';
import { pauseNotice } from './pause.js';
import { ReportDialog } from './report-dialog.js';

const GROUP_GAP_MS = 5 * 60 * 1000; // messages closer than this from one author are grouped
const LOAD_OLDER_WITHIN_PX = 150; // start fetching before the reader hits the very top

export class ConversationView {
  /**
   * @param {object} options
   * @param {import('../state.js').ChatState} options.state
   * @param {string} options.conversationId
   * @param {{userId: string, name: string, subtitle: string}} options.peer  who is shown in the header
   * @param {(userId: string) => string} options.nameOf
   * @param {boolean} [options.readOnly]     admin viewer: no chat box, names on every message
   * @param {*} [options.notice]  what the read-only notice says (default: the admin's audit note)
   * @param {boolean} [options.familyCanRead]  a student's: tell them their family can read it
   * @param {(userId: string) => boolean} [options.onRight]  which messages sit on the right
   * @param {(older: boolean) => Promise<void>} options.loadPage
   * @param {(body: string, options: {urgent: boolean}) => void} [options.onSend]
   * @param {(clientMessageId: string) => void} [options.onRetry]
   * @param {() => void} [options.onTyping]
   * @param {() => void} options.onBack
   * @param {string} [options.backLabel]
   * @param {object} [options.actions]  a participant's message actions: {onEdit(message, body),
   *   onRemove(message), onReport(message, reason, details)}, each a Promise
   * @param {object} [options.pause]  how a pause is told: {viewer ('student'|'guardian'|
   *   'teacher'|'admin'), memberName, nameOf?, control? (a PauseControl for the header)}
   * @param {Node} [options.tools]  more of the header's actions (the office's Export)
   */
  constructor(options) {
    this.options = options;
    this.state = options.state;
    this.id = options.conversationId;
    this.loadingOlder = false;
    this.typingTimer = null;
    this.peer = options.peer;
    const me = this.state.me.userId;
    this.onRight = options.onRight || ((author) => author === me);

    this.list = h('ol', { class: 'message-list' });
    this.historyStatus = h('div', { class: 'history-status', role: 'status' });
    this.scroller = h(
      'div',
      {
        class: 'message-scroller',
        role: 'log',
        'aria-label': `Messages with ${this.peer.name}`,
        tabindex: '0', // scrollable with the keyboard
        onscroll: () => this.scrolled(),
      },
      this.historyStatus,
      this.list,
    );
    this.newPill = h(
      'button',
      { type: 'button', class: 'new-messages', hidden: true, onclick: () => this.scrollToBottom() },
      'New messages ↓',
    );
    this.typing = h('div', { class: 'typing-indicator', 'aria-live': 'polite' });
    this.quietNote = h('p', { class: 'quiet-notice', role: 'status' });
    this.composer = options.readOnly
      ? null
      : new Composer({ peerName: this.peer.name, onSend: options.onSend, onTyping: options.onTyping });
    // Empty (and taking no room) unless the conversation is paused.
    this.pauseNote = h('div', { class: 'pause-notice', role: 'status', tabindex: '-1' });
    if (options.actions) {
      this.reportDialog = new ReportDialog({ onReport: options.actions.onReport });
      this.actions = new MessageActions({
        me,
        peerName: this.peer.name,
        onEdit: options.actions.onEdit,
        onRemove: options.actions.onRemove,
        onReport: (message, returnTo) => this.reportDialog.open(message, returnTo),
        onChange: () => this.render(),
        row: (messageId) => this.list.querySelector(`.message[data-message-id="${CSS.escape(messageId)}"]`),
      });
    }

    this.element = h(
      'section',
      { class: 'conversation', 'aria-label': `Conversation with ${this.peer.name}`, dataset: { conversationId: this.id } },
      h(
        'header',
        { class: 'conversation-head' },
        h(
          'button',
          { type: 'button', class: 'icon-button back-button', 'aria-label': options.backLabel || 'Back to conversations', onclick: options.onBack },
          h('span', { 'aria-hidden': 'true' }, '←'),
        ),
        avatar(this.peer.userId, this.peer.name, 'large'),
        h(
          'div',
          { class: 'conversation-title' },
          h('h2', { dir: 'auto' }, this.peer.name),
          (this.subtitle = h('p', { class: 'subtitle' }, this.peer.subtitle)),
        ),
        (options.tools || options.pause?.control) &&
          h('div', { class: 'conversation-actions' }, options.tools, options.pause?.control?.element),
      ),
      options.readOnly &&
        h(
          'p',
          { class: 'audit-notice', role: 'note' },
          options.notice || [h('strong', {}, 'Read-only. '), 'Your read of this conversation is recorded in the audit log.'],
        ),
      (this.familyNote = h(
        'p',
        { class: 'family-notice', role: 'note', hidden: !options.familyCanRead },
        'Your family can read your messages with teachers.',
      )),
      h('div', { class: 'scroller-wrap' }, this.scroller, this.newPill),
      this.typing,
      !options.readOnly && this.quietNote,
      this.pauseNote,
      this.composer?.element,
      this.reportDialog?.element,
      options.pause?.control?.dialog,
    );

    this.onMessages = (event) => {
      if (event.detail.conversationId === this.id) this.render();
    };
    this.onTypingEvent = (event) => {
      if (event.detail.conversationId === this.id) this.showTyping();
    };
    this.onPause = (event) => {
      if (event.detail.conversationId === this.id) this.renderPause();
    };
    this.state.addEventListener('messages', this.onMessages);
    this.state.addEventListener('typing', this.onTypingEvent);
    this.state.addEventListener('pause', this.onPause);
    // A phone keyboard opening or a window resize must not leave the newest message hidden.
    this.stuckToBottom = true;
    this.resizes = new ResizeObserver(() => {
      if (this.stuckToBottom) this.scroller.scrollTop = this.scroller.scrollHeight;
    });
    this.resizes.observe(this.scroller);
  }

  destroy() {
    this.state.removeEventListener('messages', this.onMessages);
    this.state.removeEventListener('typing', this.onTypingEvent);
    this.state.removeEventListener('pause', this.onPause);
    this.actions?.destroy();
    clearTimeout(this.typingTimer);
    this.resizes.disconnect();
  }

  focus() {
    if (this.composer) this.composer.focus();
    else this.scroller.focus({ preventScroll: true });
  }

  setSubtitle(text) {
    if (this.subtitle.textContent !== text) this.subtitle.textContent = text;
  }

  /** Shows or hides the note that the student's family can read this conversation. */
  setFamilyCanRead(visible) {
    show(this.familyNote, Boolean(visible));
  }

  /**
   * The note that the peer is outside their notification hours: {name, until (RFC 3339),
   * hours (in words, or null)}, or null to remove it.
   */
  setQuietNotice(quiet) {
    if (!quiet) {
      replace(this.quietNote);
      return;
    }
    const when = h('time', { datetime: quiet.until, title: fullTime(quiet.until) }, laterTime(quiet.until));
    replace(
      this.quietNote,
      quiet.hours
        ? [bidi(quiet.name), '’s notification hours are ', bidi(quiet.hours), '. ']
        : [bidi(quiet.name), ' is outside their notification hours. '],
      'They will be notified at ', when, '.',
    );
  }

  /**
   * Offers the composer's "Urgent" checkbox (a teacher the school allows, writing to a
   * student or guardian), or takes it away.
   */
  setUrgentAvailable(available) {
    this.composer?.setUrgentAvailable(available);
  }

  setComposerEnabled(enabled, reason) {
    this.composer?.setEnabled(enabled, reason);
  }

  /**
   * Tells everyone reading that the conversation is paused, and why; the student's or
   * guardian's chat box gives way to the notice until it is resumed (what they had typed
   * stays). The header's control offers Pause or Resume.
   */
  renderPause() {
    const { pause } = this.state.conversation(this.id);
    const how = this.options.pause;
    how?.control?.set(pause);
    const notice = how && pauseNotice(pause, { viewer: how.viewer, memberName: how.memberName, nameOf: how.nameOf });
    replace(this.pauseNote, notice);
    this.pauseNote.classList.toggle('member', how?.viewer === 'student' || how?.viewer === 'guardian');
    if (this.composer && (how?.viewer === 'student' || how?.viewer === 'guardian')) {
      const typing = this.element.contains(document.activeElement) && this.composer.element.contains(document.activeElement);
      this.composer.setPaused(Boolean(pause));
      if (pause && typing) this.pauseNote.focus({ preventScroll: true });
    }
  }

  async start() {
    const conversation = this.state.conversation(this.id);
    this.render();
    this.renderPause();
    if (!conversation.loaded) {
      replace(this.historyStatus, 'Loading messages…');
      try {
        await this.options.loadPage(false);
      } catch (error) {
        replace(this.historyStatus, h('span', { class: 'error-text' }, `Cannot load messages. ${error.message}`));
        return;
      }
    }
    this.render();
    this.scrollToBottom();
    this.fillViewport();
  }

  /** If the first page does not fill the pane there is no scrollbar to pull: load more. */
  async fillViewport() {
    const conversation = this.state.conversation(this.id);
    while (
      this.element.isConnected &&
      conversation.hasMore &&
      this.scroller.scrollHeight <= this.scroller.clientHeight + LOAD_OLDER_WITHIN_PX
    ) {
      if (!(await this.loadOlder())) break;
    }
  }

  scrolled() {
    this.stuckToBottom = this.isAtBottom();
    if (this.stuckToBottom) show(this.newPill, false);
    if (this.scroller.scrollTop < LOAD_OLDER_WITHIN_PX) this.loadOlder();
  }

  async loadOlder() {
    const conversation = this.state.conversation(this.id);
    if (this.loadingOlder || !conversation.loaded || !conversation.hasMore) return false;
    this.loadingOlder = true;
    replace(this.historyStatus, h('span', { class: 'spinner', 'aria-hidden': 'true' }), 'Loading earlier messages…');
    try {
      await this.options.loadPage(true);
      return true;
    } catch (error) {
      replace(this.historyStatus, h('span', { class: 'error-text' }, `Cannot load earlier messages. ${error.message}`));
      return false;
    } finally {
      this.loadingOlder = false;
      this.renderHistoryStatus();
    }
  }

  isAtBottom() {
    const s = this.scroller;
    return s.scrollHeight - s.scrollTop - s.clientHeight < 40;
  }

  scrollToBottom() {
    this.scroller.scrollTop = this.scroller.scrollHeight;
    this.stuckToBottom = true;
    show(this.newPill, false);
  }

  showTyping() {
    const contact = this.state.contact(this.id);
    const until = contact?.typingUntil || 0;
    clearTimeout(this.typingTimer);
    if (until > Date.now()) {
      replace(this.typing, h('span', { class: 'dots', 'aria-hidden': 'true' }, h('span'), h('span'), h('span')), bidi(this.peer.name), ' is typing…');
      this.typingTimer = setTimeout(() => this.showTyping(), until - Date.now() + 50);
    } else {
      replace(this.typing);
    }
  }

  renderHistoryStatus() {
    const conversation = this.state.conversation(this.id);
    if (!conversation.loaded || this.loadingOlder) return;
    if (conversation.hasMore) replace(this.historyStatus, '');
    else if (conversation.messages.size === 0 && conversation.pending.size === 0) {
      replace(this.historyStatus, h('span', { class: 'start-note' }, this.options.readOnly
        ? 'This conversation has no messages.'
        : ['No messages yet. Write the first one to ', bidi(this.peer.name), ' below.']));
    } else {
      replace(this.historyStatus, h('span', { class: 'start-note' }, 'This is the start of the conversation with ', bidi(this.peer.name), '.'));
    }
  }

  /** Builds the rows to show: day separators, stored messages, then messages in flight. */
  items() {
    const { stored, pending } = this.state.timeline(this.id);
    const conversation = this.state.conversation(this.id);
    const me = this.state.me.userId;
    let lastOwn = null;
    let seen = null;
    for (const m of stored) {
      if (m.author !== me) continue;
      lastOwn = m;
      if (conversation.peerReadAt && m.timestamp <= conversation.peerReadAt) seen = m;
    }
    const items = [];
    let day = null;
    stored.forEach((m, i) => {
      if (dayKey(m.timestamp) !== day) {
        day = dayKey(m.timestamp);
        items.push({ kind: 'day', key: `d:${day}`, label: dayLabel(m.timestamp) });
      }
      const prev = stored[i - 1];
      const next = stored[i + 1];
      const close = (a, b) => a && b && a.author === b.author && Date.parse(b.timestamp) - Date.parse(a.timestamp) < GROUP_GAP_MS && dayKey(a.timestamp) === dayKey(b.timestamp);
      let status = null;
      if (m === seen) status = 'Seen';
      else if (m === lastOwn && !pending.length) status = 'Sent';
      items.push({
        kind: 'message',
        key: m.author === me && m.clientMessageId ? `c:${m.clientMessageId}` : `m:${m.messageId}`,
        message: m,
        first: !close(prev, m),
        last: !close(m, next) || status !== null,
        status,
      });
    });
    const today = dayKey(new Date().toISOString());
    if (pending.length && day !== today) items.push({ kind: 'day', key: `d:${today}`, label: 'Today' });
    for (const p of pending) items.push({ kind: 'pending', key: `c:${p.clientMessageId}`, pending: p });
    return items;
  }

  render() {
    const wasAtBottom = this.isAtBottom();
    // Anchor on the first visible row, so that rows added above (older pages, a late
    // replay) do not move what the reader is looking at.
    // Day separators move when older messages of the same day arrive, so only messages anchor.
    const anchor = [...this.list.children].find(
      (el) => el.classList.contains('message') && el.offsetTop + el.offsetHeight > this.scroller.scrollTop,
    );
    const anchorTop = anchor ? anchor.offsetTop : 0;
    const before = this.list.lastElementChild?.dataset.key;

    reconcile(this.list, this.items(), {
      key: (item) => item.key,
      signature: (item) => signature(item, this.actions),
      render: (item, el) => this.renderItem(item, el),
    });
    this.renderHistoryStatus();

    const lastEl = this.list.lastElementChild;
    const grewAtBottom = lastEl && lastEl.dataset.key !== before;
    const ownNew = grewAtBottom && lastEl.classList.contains('own') && lastEl.dataset.status === 'pending';
    if (wasAtBottom || ownNew) {
      this.scrollToBottom();
    } else if (anchor?.isConnected) {
      this.scroller.scrollTop += anchor.offsetTop - anchorTop;
      if (grewAtBottom) show(this.newPill, true);
    }
  }

  renderItem(item, el) {
    if (item.kind === 'day') {
      const li = el || h('li', { class: 'day-separator' });
      replace(li, h('span', {}, item.label));
      return li;
    }
    const li = el || h('li', {});
    const own = item.kind === 'pending' || this.onRight(item.message.author);
    const message = item.message;
    const pending = item.pending;
    const body = message ? message.messageBody : pending.messageBody;
    const status = pending ? pending.status : 'sent';
    const announcement = Boolean(message?.announcementId);
    const removed = Boolean(message?.removedAt);
    li.className = `message ${own ? 'own' : 'peer'}${item.first ? ' first' : ''}${item.last ? ' last' : ''} ${status}${announcement ? ' announcement' : ''}${removed ? ' removed' : ''}`;
    li.dataset.status = status;
    if (message) li.dataset.messageId = message.messageId;
    else delete li.dataset.messageId;
    const author = message ? message.author : this.state.me.userId;
    const showName = this.options.readOnly && item.first;
    const meta = [];
    if (message && item.last) meta.push(h('time', { datetime: message.timestamp, title: fullTime(message.timestamp) }, clockTime(message.timestamp)));
    if (item.status) meta.push(h('span', { class: `receipt ${item.status.toLowerCase()}` }, item.status));
    if (status === 'pending') meta.push(h('span', { class: 'receipt sending' }, 'Sending…'));
    // The body is plain text: textContent via h(), never parsed as HTML; `dir="auto"`
    // isolates it, so an override inside it cannot reorder the time or receipt beside it.
    const bubble = h(
      'div',
      { class: 'bubble', title: message ? fullTime(message.timestamp) : null },
      // A copy of a class announcement: the same text went to every student of the class,
      // each in their own conversation. Read out before the text, as part of the message.
      announcement && h('span', { class: 'announcement-mark' }, 'Announcement', h('span', { class: 'sr-only' }, ':')),
      // A tombstone: the text is gone for participants; an admin still sees it, marked.
      removed && !body
        ? h('p', { class: 'message-body removed-body' }, 'Message removed')
        : h('p', { class: 'message-body', dir: 'auto' }, body),
      removed && body && h('span', { class: 'revision-mark removed-mark' }, 'Removed by its author'),
      !removed && message?.editedAt && h('span', { class: 'revision-mark edited-mark', title: `Edited ${fullTime(message.editedAt)}` }, '(edited)'),
    );
    const tools = this.actions && message && this.actions.offers(message);
    MessageActions.keepFocus(li, () => replace(
      li,
      showName && h('div', { class: 'message-author', dir: 'auto' }, this.options.nameOf(author)),
      tools ? h('div', { class: 'message-tools-wrap' }, h('div', { class: 'bubble-row' }, bubble, this.actions.tools(message)), this.actions.panel(message)) : bubble,
      meta.length > 0 && h('div', { class: 'message-meta' }, meta.flatMap((part, i) => (i ? [' · ', part] : [part]))),
      status === 'failed' &&
        h(
          'div',
          { class: 'message-failed', role: 'alert' },
          h('span', {}, `Not sent. ${pending.error || ''}`),
          h('button', { type: 'button', class: 'link-button', onclick: () => this.options.onRetry(pending.clientMessageId) }, 'Retry'),
        ),
    ));
    return li;
  }
}

/** What a row shows; `actions`: what of its message's actions is open, if any. */
function signature(item, actions) {
  if (item.kind === 'day') return item.label;
  if (item.kind === 'pending') return JSON.stringify(['p', item.pending.status, item.pending.error]);
  const m = item.message;
  return JSON.stringify(['m', m.messageId, item.first, item.last, item.status, m.messageBody, m.editedAt, m.removedAt,
    actions ? actions.signature(m) : '']);
}
