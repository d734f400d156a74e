// The student's, the teacher's and the guardian's screen: the contact list and the open
// conversation (two panes on a desktop, two screens on a phone), wired to the live
// connection. This is where sending, acks, retries, read markers and unread badges come
// together.
//
// A guardian writes to their children's teachers in `<guardianId>+<teacherId>`, as a
// student does in `<studentId>+<teacherId>`. Where the school allows guardian oversight
// (`get_teachers?user_name=<child>` answers rather than 403), they may also read each
// child's conversations, read-only: loaded with /chat/read, never marked read or written.
//
// A send to someone outside their notification hours is acked with when they will be
// notified; the conversation says so under the messages until the next send, or until
// another conversation is opened. "Notifications" (#/settings) opens in the same pane.
//
// A teacher the school allows (`urgentAllowed` in their notification settings, read again
// each time a conversation opens, so an office's change shows without a reload) may mark
// a message to a student or guardian as urgent; the flag stays with the message in
// flight, so a resend over REST or after a reconnect is urgent too.
//
// Safeguarding: a participant edits, removes or reports messages (REST), a teacher pauses
// and resumes; `messageEdited`, `messageRemoved` and `paused` frames bring the other side's
// changes live, and after a reconnect the open conversation's newest page is read again, so
// an edit or a pause missed meanwhile shows too (a `sync` replays only new messages).

import * as api from '../api.js';
import { h, bidi, isolate, namesText, replace, show } from '../dom.js';
import { LiveConnection } from '../live.js';
import { ChatState } from '../state.js';
import { ContactsView, contactEntry, familyEntries } from './contacts.js';
import { ConversationView } from './conversation.js';
import { NotificationsView } from './notifications.js';
import { PauseControl } from './pause.js';
import { StudentPicker } from './picker.js';

const ACK_TIMEOUT_MS = 10_000; // no ack by then: resend over REST (same clientMessageId)
const TYPING_SHOWN_MS = 4000;
const PAGE_SIZE = 50;

export class ChatScreen {
  /**
   * @param {object} session  {token, expiresAt, user}
   * @param {object} hooks    {navigate(hash), onStatus(status), toast(text, kind), onExpired()}
   */
  constructor(session, hooks) {
    this.session = session;
    this.hooks = hooks;
    this.me = session.user;
    this.isTeacher = this.me.role === 'teacher';
    this.isGuardian = this.me.role === 'guardian';
    this.familyCanRead = false; // a student's: their family may read their conversations
    this.urgentAllowed = false; // a teacher's: the school lets them send urgent messages
    this.urgentSeq = 0;
    this.state = new ChatState(this.me);
    this.view = null;
    this.settings = null; // the Notifications page, while it is shown
    this.openId = null;
    this.ackTimers = new Map();
    this.refreshing = null;
    this.connectedBefore = false; // a reconnect, not the first connect, re-reads the open page

    this.contacts = new ContactsView(this.state, {
      onOpen: (id) => hooks.navigate(`#/c/${encodeURIComponent(id)}`),
      onNewConversation: () => this.picker.open(),
    });
    this.pane = h('main', { class: 'pane', id: 'main-pane', tabindex: '-1' });
    this.element = h('div', { class: 'chat-layout' }, this.contacts.element, this.pane);
    if (this.isTeacher) {
      this.picker = new StudentPicker({
        load: () => this.refreshContacts().then(() => [...this.state.contacts.values()].filter((c) => c.peerRole === 'student')),
        loadClasses: () => api.getClasses(),
        onPick: (id) => hooks.navigate(`#/c/${encodeURIComponent(id)}`),
        onAnnounced: (result) => this.announced(result),
      });
      this.element.append(this.picker.element);
    }

    this.live = new LiveConnection({
      url: () => `${api.config.wsUrl}?token=${encodeURIComponent(this.session.token)}`,
      since: () => (this.state.contactsLoaded ? this.state.newestKnown || '1970-01-01T00:00:00.000000Z' : null),
      onFrame: (frame) => this.frame(frame),
      onStatus: (status) => hooks.onStatus(status),
      onOpen: () => this.reconnected(),
      onClosed: (opened, code) => this.closed(opened, code),
    });

    this.onVisibility = () => this.maybeMarkRead();
    document.addEventListener('visibilitychange', this.onVisibility);
    window.addEventListener('focus', this.onVisibility);
    this.state.addEventListener('contacts', () => {
      this.updateHeader();
      // "(2) classchat": unread messages show in the tab title too.
      let unread = 0;
      for (const contact of this.state.contacts.values()) unread += contact.unreadCount;
      document.title = unread > 0 ? `(${unread}) classchat` : 'classchat';
    });
    // A token cannot be renewed: when it expires, the user must sign in again.
    const left = Date.parse(session.expiresAt) - Date.now();
    this.expiryTimer = setTimeout(() => hooks.onExpired(), Math.min(left, 2 ** 31 - 1));
  }

  async start() {
    this.contacts.render();
    this.showEmptyPane();
    await this.refreshContacts().catch((error) => {
      if (error.status !== 401) this.hooks.toast(api.describeError(error), 'error');
    });
    if (!this.destroyed) this.live.start(); // a 401 above has already signed us out
  }

  /** A teacher's: reads whether they may send urgent messages, and updates the composer. */
  async refreshUrgent() {
    if (!this.isTeacher) return;
    const seq = ++this.urgentSeq;
    try {
      const { urgentAllowed } = await api.getNotificationSettings();
      if (seq !== this.urgentSeq || this.destroyed) return;
      this.urgentAllowed = Boolean(urgentAllowed);
    } catch (error) {
      if (error.status !== 401) console.debug('classchat: cannot read the notification settings', error.code);
      return;
    }
    const contact = this.view && this.state.contact(this.view.id);
    if (contact) this.view.setUrgentAvailable(this.mayMarkUrgent(contact));
  }

  /** Whether the composer offers "Urgent": a teacher allowed it, to a student or guardian. */
  mayMarkUrgent(contact) {
    return this.isTeacher && this.urgentAllowed && !contact.readOnly
      && (contact.peerRole === 'student' || contact.peerRole === 'guardian');
  }

  destroy() {
    this.destroyed = true;
    this.live.stop();
    this.view?.destroy();
    this.settings?.destroy();
    this.contacts.destroy();
    clearTimeout(this.expiryTimer);
    for (const timer of this.ackTimers.values()) clearTimeout(timer);
    document.removeEventListener('visibilitychange', this.onVisibility);
    window.removeEventListener('focus', this.onVisibility);
  }

  /** Loads the contact list; concurrent callers share one request. */
  refreshContacts() {
    if (this.refreshing) return this.refreshing;
    this.refreshing = (async () => {
      if (this.isTeacher) {
        const [chats, students] = await Promise.all([api.getChats(), api.getStudents()]);
        this.state.setContacts([
          ...students.students.map((s) => ({ ...contactEntry(s, false), peerRole: 'student', guardians: s.guardians || [] })),
          // Each student's guardians, so "Message the family" opens before a first message.
          ...familyEntries(students.students),
          ...chats.chats.map((c) => ({
            ...contactEntry({ ...c, ...c.student }, true),
            peerRole: c.peerRole || 'student',
            children: c.peerRole === 'guardian' ? c.children || [] : null,
          })),
        ]);
      } else if (this.isGuardian) {
        await this.refreshFamily();
      } else {
        const { teachers, familyCanRead } = await api.getTeachers();
        this.state.setContacts(teachers.map((t) => ({ ...contactEntry(t, true), peerRole: 'teacher' })));
        this.setFamilyCanRead(Boolean(familyCanRead));
      }
      if (this.openId && !this.view) this.open(this.openId);
    })().finally(() => {
      this.refreshing = null;
    });
    return this.refreshing;
  }

  /**
   * A guardian's lists: their own conversations with each teacher of their children, and
   * for each child, where the school allows it, the child's conversations (read-only). A
   * 403 for a child means the school does not: nothing is shown for them.
   */
  async refreshFamily() {
    const { teachers } = await api.getTeachers();
    const children = new Map();
    for (const line of teachers) {
      for (const child of line.children || []) children.set(child.userId, child);
    }
    const sorted = [...children.values()].sort((a, b) => a.displayName.localeCompare(b.displayName) || a.userId.localeCompare(b.userId));
    const oversight = await Promise.all(sorted.map((child) => api.getTeachersOf(child.userId).then(
      (answer) => answer.teachers,
      (error) => {
        if (error.status === 401) throw error;
        if (error.status !== 403) console.debug('classchat: cannot list the conversations of', child.userId, error.code);
        return null;
      },
    )));
    const entries = teachers.map((t) => ({ ...contactEntry(t, true), peerRole: 'teacher', children: t.children || [] }));
    const groups = sorted.map((child, i) => {
      const own = teachers.filter((t) => (t.children || []).some((c) => c.userId === child.userId));
      const theirs = oversight[i];
      for (const t of theirs || []) {
        entries.push({ ...contactEntry(t, true), peerRole: 'teacher', readOnly: true, child });
      }
      return {
        child,
        teachers: own.map((t) => t.conversationId),
        oversight: theirs ? theirs.map((t) => t.conversationId) : null,
      };
    });
    // A child's conversations no longer readable (the school turned oversight off, or the
    // link went) cannot be opened any more.
    const readable = new Set(entries.filter((e) => e.readOnly).map((e) => e.conversationId));
    this.state.drop([...this.state.contacts.values()].filter((c) => c.readOnly && !readable.has(c.conversationId)).map((c) => c.conversationId));
    this.state.setContacts(entries);
    this.state.setFamily(groups);
  }

  /** A student's: whether to tell them that their family can read their conversations. */
  setFamilyCanRead(canRead) {
    if (this.familyCanRead === canRead) return;
    this.familyCanRead = canRead;
    if (this.familyNote) show(this.familyNote, canRead);
    this.view?.setFamilyCanRead(canRead);
  }

  // --- Routing -------------------------------------------------------------------------

  /** Shows a conversation (or, with null, the list on a phone and a hint on a desktop). */
  open(conversationId) {
    this.openId = conversationId;
    this.contacts.setOpen(conversationId);
    this.element.classList.toggle('has-open', Boolean(conversationId));
    if (this.view?.id === conversationId) return;
    this.view?.destroy();
    this.view = null;
    this.settings?.destroy();
    this.settings = null;
    if (!conversationId) {
      this.showEmptyPane();
      return;
    }
    const contact = this.state.contact(conversationId);
    if (!contact) {
      if (this.state.contactsLoaded) {
        replace(this.pane, h('div', { class: 'empty-pane' }, h('h2', {}, 'Conversation not found'),
          h('p', {}, 'It is not one of your conversations.'),
          h('button', { type: 'button', class: 'button', onclick: () => this.hooks.navigate('#/') }, 'Back to your conversations')));
      }
      return; // refreshContacts() opens it once the list is there
    }
    this.state.list(conversationId);
    this.view = contact.readOnly ? this.readOnlyView(contact) : new ConversationView({
      state: this.state,
      conversationId,
      peer: { userId: contact.peerId, name: contact.peerName, subtitle: this.subtitle(contact) },
      nameOf: (id) => (id === this.me.userId ? this.me.displayName : contact.peerName),
      familyCanRead: !this.isTeacher && !this.isGuardian && this.familyCanRead,
      loadPage: (older) => this.loadPage(conversationId, older),
      onSend: (body, { urgent }) => this.send(conversationId, body, { urgent }),
      onRetry: (clientMessageId) => this.transmit(clientMessageId),
      onTyping: () => this.live.send({ action: 'typing', conversationId }),
      onBack: () => this.hooks.navigate('#/'),
      ...this.safeguards(contact),
    });
    replace(this.pane, this.view.element);
    if (!contact.readOnly) {
      this.view.setUrgentAvailable(this.mayMarkUrgent(contact));
      this.refreshUrgent();
    }
    this.view.start().then(() => this.maybeMarkRead());
    this.view.showTyping();
    this.view.focus();
  }

  /** A conversation's message actions, and how its pause is shown (and, to its teacher, set). */
  safeguards(contact) {
    const id = contact.conversationId;
    const revised = (message) => this.state.addMessages([message]);
    const setPause = (pause) => this.state.setPause(id, pause);
    return {
      actions: {
        onEdit: async (message, body) => revised(await api.editMessage(id, message.timestamp, body)),
        onRemove: async (message) => revised(await api.removeMessage(id, message.timestamp)),
        onReport: (message, reason, details) => api.reportMessage(id, message.timestamp, reason, details),
      },
      pause: {
        viewer: this.me.role,
        memberName: contact.peerName,
        control: this.isTeacher ? new PauseControl({ conversationId: id, memberName: contact.peerName, onChanged: setPause, toast: this.hooks.toast }) : null,
      },
    };
  }

  /** A send refused because the conversation is paused: the pause this tab missed. */
  refused(conversationId, code) {
    if (code !== 'conversation_paused') return;
    api.readPage(conversationId, { limit: 1 }).then((page) => this.state.setPause(conversationId, page.pause ?? null), () => {});
  }

  /** The Notifications page (#/settings), in the conversation's pane. */
  showSettings() {
    this.openId = null;
    this.contacts.setOpen(null);
    this.element.classList.add('has-open'); // on a phone, a screen of its own
    this.view?.destroy();
    this.view = null;
    if (this.settings) return;
    this.settings = new NotificationsView({ me: this.me, onBack: () => this.hooks.navigate('#/') });
    replace(this.pane, this.settings.element);
    this.settings.start();
    this.settings.focus();
  }

  /**
   * A child's conversation, for their guardian: read-only, loaded afresh each time it is
   * opened (no live events come for it), never marked read.
   */
  readOnlyView(contact) {
    const { conversationId, child } = contact;
    this.state.forget(conversationId);
    const nameOf = (id) => (id === child.userId ? child.displayName : id === contact.peerId ? contact.peerName : id);
    return new ConversationView({
      state: this.state,
      conversationId,
      readOnly: true,
      notice: [h('strong', {}, 'Read-only: '), 'you can read ', bidi(child.displayName), '’s messages because your school allows it.'],
      peer: { userId: contact.peerId, name: `${child.displayName} and ${contact.peerName}`, subtitle: this.subtitle(contact) },
      nameOf,
      onRight: (author) => author === child.userId,
      loadPage: async (older) => {
        const query = older ? { before: this.state.oldest(conversationId), limit: PAGE_SIZE } : { limit: PAGE_SIZE };
        const page = await api.readPage(conversationId, query);
        this.state.addPage(conversationId, page, { older });
      },
      onBack: () => this.hooks.navigate('#/'),
    });
  }

  showEmptyPane() {
    const [title, text] = this.isTeacher
      ? ['Your conversations', 'Choose a conversation on the left, or start a new message to a student.']
      : this.isGuardian
        ? ['Message your children’s teachers', 'Choose a teacher on the left to ask a question or reply.']
        : ['Message your teachers', 'Choose a teacher on the left to ask a question or reply.'];
    this.familyNote = this.isTeacher || this.isGuardian
      ? null
      : h('p', { class: 'family-notice', role: 'note', hidden: !this.familyCanRead }, 'Your family can read your messages with teachers.');
    replace(
      this.pane,
      h(
        'div',
        { class: 'empty-pane' },
        h('div', { class: 'empty-illustration', 'aria-hidden': 'true' }),
        h('h2', {}, title),
        h('p', {}, text),
        this.familyNote,
      ),
    );
  }

  subtitle(contact) {
    if (contact.readOnly) return `Read-only · ${isolate(contact.child.displayName)}’s conversation with a teacher`;
    let role;
    if (this.isTeacher) {
      if (contact.peerRole !== 'guardian') role = 'Student';
      else role = contact.children?.length ? `Parent of ${namesText(contact.children)}` : 'Parent or carer';
    } else if (this.isGuardian && contact.children?.length) {
      role = `Teacher of ${namesText(contact.children)}`;
    } else {
      role = 'Teacher';
    }
    return contact.online ? `${role} · Online` : role;
  }

  updateHeader() {
    const contact = this.openId && this.state.contact(this.openId);
    if (contact && this.view) this.view.setSubtitle(this.subtitle(contact));
  }

  async loadPage(conversationId, older) {
    const query = older ? { before: this.state.oldest(conversationId), limit: PAGE_SIZE } : { limit: PAGE_SIZE };
    const page = await api.readPage(conversationId, query);
    this.state.addPage(conversationId, page, { older });
    if (!older) this.maybeMarkRead();
  }

  // --- Sending -------------------------------------------------------------------------

  send(conversationId, body, { urgent = false } = {}) {
    const clientMessageId = api.newClientMessageId();
    this.state.addPending(conversationId, clientMessageId, body, { urgent });
    this.transmit(clientMessageId);
  }

  /** First try and retries alike: the same clientMessageId, so the server never stores twice. */
  transmit(clientMessageId) {
    const pending = this.state.pendingMessage(clientMessageId);
    if (!pending) return;
    this.state.setPendingStatus(clientMessageId, 'pending');
    clearTimeout(this.ackTimers.get(clientMessageId));
    const frame = {
      action: 'sendMessage',
      conversationId: pending.conversationId,
      messageBody: pending.messageBody,
      clientMessageId,
    };
    if (pending.urgent) frame.urgent = true;
    if (this.live.send(frame)) {
      this.ackTimers.set(clientMessageId, setTimeout(() => this.sendByRest(clientMessageId), ACK_TIMEOUT_MS));
    } else {
      this.sendByRest(clientMessageId);
    }
  }

  async sendByRest(clientMessageId) {
    this.ackTimers.delete(clientMessageId);
    const pending = this.state.pendingMessage(clientMessageId);
    if (!pending || pending.status !== 'pending') return;
    try {
      const { quietUntil, quietHours, ...message } = await api.sendMessage(
        pending.conversationId, pending.messageBody, clientMessageId, { urgent: pending.urgent },
      );
      this.state.addMessages([message]);
      this.noteQuiet(pending.conversationId, { quietUntil, quietHours });
    } catch (error) {
      if (error.status === 401) return; // the app is already back at the login page
      this.state.setPendingStatus(clientMessageId, 'failed', api.describeError(error));
      if (pending.urgent && error.code === 'forbidden') this.refreshUrgent(); // no longer allowed?
      this.refused(pending.conversationId, error.code);
    }
  }

  /**
   * A class announcement was stored: its copies are our messages in each student's
   * conversation. They also arrive live as message frames (deduplicated by messageId);
   * adding them from the answer shows them at once, even while the socket is down.
   */
  announced(result) {
    this.state.addMessages(result.copies.map((copy) => ({
      conversationId: copy.conversationId,
      timestamp: copy.timestamp,
      author: this.me.userId,
      messageBody: result.messageBody,
      messageId: copy.messageId,
      announcementId: result.announcementId,
    })));
  }

  /**
   * After a send is stored: whether its recipient is outside their notification hours
   * (`quietUntil`, when they will be notified, and `quietHours`, the hours in words), said
   * in the conversation if it is still open. A send without `quietUntil` clears it.
   */
  noteQuiet(conversationId, { quietUntil, quietHours }) {
    if (!this.view || this.view.id !== conversationId) return;
    const contact = this.state.contact(conversationId);
    this.view.setQuietNotice(quietUntil && contact
      ? { name: contact.peerName, until: quietUntil, hours: typeof quietHours === 'string' ? quietHours : null }
      : null);
  }

  // --- Live frames ---------------------------------------------------------------------

  frame(frame) {
    switch (frame.type) {
      case 'message':
        this.received([frame.message]);
        break;
      case 'ack':
        clearTimeout(this.ackTimers.get(frame.clientMessageId));
        this.ackTimers.delete(frame.clientMessageId);
        this.state.addMessages([frame.message]);
        this.noteQuiet(frame.message.conversationId, frame);
        break;
      case 'error':
        if (frame.clientMessageId && this.state.pendingMessage(frame.clientMessageId)) {
          const { urgent, conversationId } = this.state.pendingMessage(frame.clientMessageId);
          clearTimeout(this.ackTimers.get(frame.clientMessageId));
          this.state.setPendingStatus(frame.clientMessageId, 'failed', api.describeError(frame));
          if (urgent && frame.code === 'forbidden') this.refreshUrgent(); // no longer allowed?
          this.refused(conversationId, frame.code);
        } else if (frame.code === 'unauthorized') {
          this.hooks.onExpired();
        } else {
          // A refused typing hint or read marker is not worth interrupting anyone for.
          console.debug('classchat: server refused a frame', frame.code, frame.message);
        }
        break;
      case 'typing':
        this.state.setTyping(frame.conversationId, Date.now() + TYPING_SHOWN_MS);
        break;
      case 'read':
        this.state.applyRead(frame);
        break;
      case 'presence':
        this.state.setPresence(frame.userId, frame.online);
        break;
      case 'messageEdited':
      case 'messageRemoved':
        this.state.addMessages([frame.message]); // replaces the copy held, if newer
        break;
      case 'paused':
        this.state.setPause(frame.conversationId, frame.pause);
        break;
      case 'link':
        // An admin linked or unlinked this user and a peer: the contact list (and which
        // conversations accept messages) changed.
        this.refreshContacts().catch(() => {});
        break;
      default:
        break; // newer servers may add frames; ignore what we do not know
    }
  }

  received(messages) {
    const fresh = this.state.addMessages(messages);
    let unknown = false;
    for (const message of fresh) {
      const contact = this.state.contact(message.conversationId);
      if (!contact) {
        unknown = true; // a conversation this tab has not listed yet (new link, first message)
        continue;
      }
      if (message.author === this.me.userId) continue;
      if (contact.typingUntil) this.state.setTyping(message.conversationId, 0);
      const conversation = this.state.conversation(message.conversationId);
      const read = conversation.myReadAt && conversation.myReadAt >= message.timestamp;
      // A `sync` replay of a message the last contact refresh already counted.
      const counted = contact.unreadAsOf && message.timestamp <= contact.unreadAsOf;
      if (!read && !counted && !this.isReading(message.conversationId)) {
        this.state.setUnread(message.conversationId, contact.unreadCount + 1);
      }
    }
    if (unknown) this.refreshContacts().catch(() => {});
    this.maybeMarkRead();
  }

  isReading(conversationId) {
    return this.openId === conversationId && document.visibilityState === 'visible';
  }

  /** Moves the read marker to the newest message of the open conversation, if it is seen. */
  maybeMarkRead() {
    const id = this.openId;
    if (!id || !this.isReading(id)) return;
    if (this.state.contact(id)?.readOnly) return; // not ours to mark
    const newest = this.state.newestFromPeer(id);
    this.state.setUnread(id, 0);
    if (!newest) return;
    const conversation = this.state.conversation(id);
    if (conversation.myReadAt && conversation.myReadAt >= newest.timestamp) return;
    conversation.myReadAt = newest.timestamp;
    const frame = { action: 'markRead', conversationId: id, timestamp: newest.timestamp };
    if (!this.live.send(frame)) {
      api.markRead(id, newest.timestamp).catch(() => {
        conversation.myReadAt = null; // try again next time
      });
    }
  }

  // --- Connection ----------------------------------------------------------------------

  reconnected() {
    // Messages sent while the socket was down or whose ack was lost: resend (idempotent).
    for (const pending of this.state.allPending()) this.transmit(pending.clientMessageId);
    // Edits, removals and pauses missed while away: the open conversation's newest page
    // (not a child's, read by their guardian: each read of it is audited).
    const open = this.openId && this.view && this.state.contact(this.openId);
    if (this.connectedBefore && open && !open.readOnly && this.state.conversation(this.openId).loaded) {
      this.loadPage(this.openId, false).catch(() => {});
    }
    this.connectedBefore = true;
    // Our own read marker may have been sent over REST meanwhile; nothing else to do.
    this.maybeMarkRead();
  }

  closed(opened, code) {
    if (api.sessionExpired()) {
      this.hooks.onExpired();
      return;
    }
    // A refused upgrade looks like any network failure to a browser, and 1008 is the
    // server ending the session (signed out elsewhere, password or role changed, account
    // disabled): a REST call tells a revoked token (401/403, handled by api.js) from a
    // server that is simply down.
    if (!opened || code === 1008) this.refreshContacts().catch(() => {});
  }
}
