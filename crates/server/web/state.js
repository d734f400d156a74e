// What the client knows: contacts, the messages it has loaded, messages being sent, read
// markers, pauses. Messages arrive from several paths (REST pages, live frames, sync
// replays, acks, REST sends), so everything is merged here and deduplicated by messageId; an
// own message in flight is matched to its stored copy by clientMessageId. An edited or
// removed copy of a message replaces an older one, whichever path brings it.

export class ChatState extends EventTarget {
  constructor(me) {
    super();
    this.me = me; // {userId, displayName, role}
    this.contacts = new Map(); // conversationId → contact
    this.conversations = new Map(); // conversationId → conversation
    // Where the next `sync` starts: the newest timestamp of a message this tab actually
    // holds (a loaded page, a live message, an ack), or the first contact list's previews.
    this.newestKnown = null;
    this.contactsLoaded = false;
    this.family = null; // a guardian's children and their conversations (setFamily)
  }

  changed(kind, conversationId) {
    this.dispatchEvent(new CustomEvent(kind, { detail: { conversationId } }));
  }

  noteTimestamp(timestamp) {
    if (timestamp && (!this.newestKnown || timestamp > this.newestKnown)) this.newestKnown = timestamp;
  }

  // --- Contacts ------------------------------------------------------------------------

  /**
   * Merges a contact list from the server (get_teachers / get_students / get_chats),
   * normalised to {conversationId, peerId, peerName, lastMessage, unreadCount, listed},
   * and for families: `peerRole` ('student'|'teacher'|'guardian'), `children` (a
   * guardian's children that a conversation is about, [{userId, displayName}]),
   * `guardians` (a teacher's student's, [{userId, displayName, conversationId}]) and
   * `readOnly` with `child` (a child's conversation their guardian may only read).
   * Entries are never dropped: a conversation opened locally stays until it is reloaded.
   *
   * Only the first list (before any socket has synced) sets where `sync` starts. A later
   * refresh, e.g. while the socket cannot connect, must not move it: its previews name
   * messages this tab never received, and the reconnect's `sync` has to replay them.
   * A read-only conversation never moves it either: it is not the caller's, so `sync`
   * does not replay it.
   */
  setContacts(list) {
    const first = !this.contactsLoaded;
    for (const entry of list) {
      const existing = this.contacts.get(entry.conversationId);
      const lastMessage = newest(existing?.lastMessage, entry.lastMessage);
      this.contacts.set(entry.conversationId, {
        conversationId: entry.conversationId,
        peerId: entry.peerId,
        peerName: entry.peerName,
        peerRole: entry.peerRole ?? existing?.peerRole ?? null,
        children: entry.children ?? existing?.children ?? null,
        guardians: entry.guardians ?? existing?.guardians ?? null,
        readOnly: Boolean(entry.readOnly),
        child: entry.child ?? existing?.child ?? null,
        lastMessage,
        // Nothing is unread for a reader who is not a participant.
        unreadCount: entry.readOnly ? 0 : entry.unreadCount,
        // The server's count covers the messages up to here; a replayed one is not new.
        unreadAsOf: entry.lastMessage?.timestamp || existing?.unreadAsOf || null,
        // Shown in the sidebar: every linked teacher for a student; for a teacher, chats
        // with messages and any conversation opened here.
        listed: Boolean(entry.listed || existing?.listed || lastMessage),
        online: existing?.online ?? false,
        typingUntil: existing?.typingUntil ?? 0,
      });
      if (first && !entry.readOnly) this.noteTimestamp(entry.lastMessage?.timestamp);
    }
    this.contactsLoaded = true;
    this.changed('contacts');
  }

  /**
   * A guardian's sidebar: per child ({userId, displayName}), the conversation ids of their
   * own conversations with the child's teachers (`teachers`), and where the school allows
   * it the child's own conversations, read-only (`oversight`, null when not allowed).
   */
  setFamily(groups) {
    this.family = groups;
    this.changed('contacts');
  }

  /** Forgets contacts and what was loaded of their conversations (no longer readable). */
  drop(conversationIds) {
    for (const id of conversationIds) {
      this.contacts.delete(id);
      this.conversations.delete(id);
    }
  }

  /** Puts a contact in the sidebar (a teacher opening a conversation before its first message). */
  list(conversationId) {
    const contact = this.contacts.get(conversationId);
    if (contact && !contact.listed) {
      contact.listed = true;
      this.changed('contacts');
    }
  }

  contact(conversationId) {
    return this.contacts.get(conversationId) || null;
  }

  /** Contacts by newest activity first; those without messages after, by name. */
  sortedContacts() {
    return [...this.contacts.values()].filter((c) => c.listed).sort((a, b) => {
      const ta = a.lastMessage?.timestamp || '';
      const tb = b.lastMessage?.timestamp || '';
      if (ta !== tb) return ta < tb ? 1 : -1;
      return a.peerName.localeCompare(b.peerName);
    });
  }

  setUnread(conversationId, count) {
    const contact = this.contacts.get(conversationId);
    if (!contact || contact.unreadCount === count) return;
    contact.unreadCount = count;
    this.changed('contacts');
  }

  setPresence(userId, online) {
    let changed = false;
    for (const contact of this.contacts.values()) {
      if (contact.peerId === userId && contact.online !== online) {
        contact.online = online;
        changed = true;
      }
    }
    if (changed) this.changed('contacts');
  }

  setTyping(conversationId, until) {
    const contact = this.contacts.get(conversationId);
    if (!contact) return;
    contact.typingUntil = until;
    contact.online = until > 0 || contact.online;
    this.changed('contacts');
    this.changed('typing', conversationId);
  }

  // --- Conversations -------------------------------------------------------------------

  conversation(conversationId) {
    let conversation = this.conversations.get(conversationId);
    if (!conversation) {
      conversation = {
        id: conversationId,
        messages: new Map(), // messageId → stored message
        pending: new Map(), // clientMessageId → {clientMessageId, messageBody, urgent, status, error}
        loaded: false, // the newest page has been fetched
        hasMore: false, // older pages exist
        peerReadAt: null, // the other participant's read marker, from pages and `read` frames
        myReadAt: null,
        pause: undefined, // {by, byRole, at, reason} while paused, null when not; undefined: not known yet
      };
      this.conversations.set(conversationId, conversation);
    }
    return conversation;
  }

  /** Drops what was loaded of a conversation, so that it is read again from the start. */
  forget(conversationId) {
    this.conversations.delete(conversationId);
  }

  /**
   * Adds stored messages (any source). Returns the ones not seen before, so callers
   * can bump unread counts only once per message.
   */
  addMessages(messages) {
    const fresh = [];
    const touched = new Set();
    for (const message of messages) {
      const conversation = this.conversation(message.conversationId);
      if (!this.contacts.get(message.conversationId)?.readOnly) this.noteTimestamp(message.timestamp);
      // An own message in flight is replaced by its stored copy.
      if (message.author === this.me.userId && message.clientMessageId) {
        conversation.pending.delete(message.clientMessageId);
      }
      const known = conversation.messages.get(message.messageId);
      if (known) {
        if (revision(message) > revision(known)) this.revise(conversation, message);
        continue;
      }
      conversation.messages.set(message.messageId, message);
      fresh.push(message);
      touched.add(message.conversationId);
      const contact = this.contacts.get(message.conversationId);
      if (contact) {
        const same = contact.lastMessage?.messageId === message.messageId;
        contact.lastMessage = same && revision(contact.lastMessage) >= revision(message)
          ? contact.lastMessage
          : same ? message : newest(contact.lastMessage, message);
        contact.listed = true;
      }
    }
    for (const id of touched) this.changed('messages', id);
    if (touched.size) this.changed('contacts');
    return fresh;
  }

  /**
   * An edited message or a removal's tombstone replaces the copy held; the contact list's
   * preview too, if it was that message.
   */
  revise(conversation, message) {
    conversation.messages.set(message.messageId, message);
    this.changed('messages', message.conversationId);
    const contact = this.contacts.get(message.conversationId);
    if (contact?.lastMessage?.messageId === message.messageId) {
      contact.lastMessage = message;
      this.changed('contacts');
    }
  }

  /**
   * A conversation's pause ({by, byRole, at, reason}, or null when it is not paused), from
   * a page, a live `paused` frame or one's own pause or resume.
   */
  setPause(conversationId, pause) {
    const conversation = this.conversation(conversationId);
    const next = pause || null;
    if (JSON.stringify(conversation.pause) === JSON.stringify(next)) return;
    conversation.pause = next;
    this.changed('pause', conversationId);
  }

  /**
   * A page from /chat/read; older pages also update `hasMore`. It carries the peer's read
   * marker, so "Seen" shows on opening a conversation, not only after a live `read` frame.
   */
  addPage(conversationId, page, { older }) {
    const conversation = this.conversation(conversationId);
    if (older || !conversation.loaded) conversation.hasMore = page.hasMore;
    conversation.loaded = true;
    if (page.peerReadAt && (!conversation.peerReadAt || page.peerReadAt > conversation.peerReadAt)) {
      conversation.peerReadAt = page.peerReadAt;
    }
    this.addMessages(page.messages);
    // Every page says whether the conversation is paused now (servers before pauses: absent).
    if (page.pause !== undefined) this.setPause(conversationId, page.pause);
    this.changed('messages', conversationId);
  }

  /** Stored messages in time order, then own messages still in flight. */
  timeline(conversationId) {
    const conversation = this.conversation(conversationId);
    const stored = [...conversation.messages.values()].sort((a, b) =>
      a.timestamp < b.timestamp ? -1 : a.timestamp > b.timestamp ? 1 : 0,
    );
    return { stored, pending: [...conversation.pending.values()] };
  }

  oldest(conversationId) {
    const { stored } = this.timeline(conversationId);
    return stored[0]?.timestamp || null;
  }

  newestFromPeer(conversationId) {
    const { stored } = this.timeline(conversationId);
    for (let i = stored.length - 1; i >= 0; i -= 1) {
      if (stored[i].author !== this.me.userId) return stored[i];
    }
    return null;
  }

  // --- Sending -------------------------------------------------------------------------

  /** An own message in flight; `urgent` is kept so that every retry is urgent too. */
  addPending(conversationId, clientMessageId, messageBody, { urgent = false } = {}) {
    const conversation = this.conversation(conversationId);
    conversation.pending.set(clientMessageId, {
      clientMessageId,
      conversationId,
      messageBody,
      urgent,
      status: 'pending',
      error: null,
      sentAt: Date.now(),
    });
    this.changed('messages', conversationId);
  }

  pendingMessage(clientMessageId) {
    for (const conversation of this.conversations.values()) {
      const pending = conversation.pending.get(clientMessageId);
      if (pending) return pending;
    }
    return null;
  }

  /** Every own message still waiting for its ack, e.g. to resend after a reconnect. */
  allPending() {
    return [...this.conversations.values()].flatMap((c) =>
      [...c.pending.values()].filter((p) => p.status === 'pending'),
    );
  }

  setPendingStatus(clientMessageId, status, error = null) {
    const pending = this.pendingMessage(clientMessageId);
    if (!pending) return;
    pending.status = status;
    pending.error = error;
    if (status === 'pending') pending.sentAt = Date.now();
    this.changed('messages', pending.conversationId);
  }

  // --- Read markers --------------------------------------------------------------------

  /** A `read` frame: the peer's marker shows "Seen"; our own (another device) clears unread. */
  applyRead({ conversationId, userId, timestamp }) {
    const conversation = this.conversation(conversationId);
    if (userId === this.me.userId) {
      if (!conversation.myReadAt || timestamp > conversation.myReadAt) conversation.myReadAt = timestamp;
      const contact = this.contacts.get(conversationId);
      if (contact && (!contact.lastMessage || contact.lastMessage.timestamp <= timestamp)) {
        this.setUnread(conversationId, 0);
      }
    } else if (!conversation.peerReadAt || timestamp > conversation.peerReadAt) {
      conversation.peerReadAt = timestamp;
      this.changed('messages', conversationId);
    }
  }
}

function newest(a, b) {
  if (!a) return b || null;
  if (!b) return a;
  return b.timestamp > a.timestamp ? b : a;
}

/**
 * How far a message has been revised, as a string that sorts: as sent, then each edit by
 * its time, then removed (the last word: a removed message is never edited).
 */
function revision(message) {
  if (message.removedAt) return `2${message.removedAt}`;
  if (message.editedAt) return `1${message.editedAt}`;
  return '0';
}
