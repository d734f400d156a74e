// The sidebar: the student's teachers or the teacher's conversations, newest activity
// first, each with the last message and an unread badge that updates live. A guardian's
// is grouped by child: under each child their teachers (a teacher of two children is under
// both, with the one conversation), and where the school allows it the child's own
// conversations, read-only. A teacher's conversation with a guardian names the children.
// A removed last message shows as "Message removed"; an edited one with its new text.

import { h, avatar, bidi, namesList, reconcile, replace, shortTime, fullTime, formatCount, show } from '../dom.js';

const HEADINGS = {
  teacher: { nav: 'Conversations', title: 'Conversations', list: 'Conversations' },
  guardian: { nav: 'Teachers', title: 'Your children’s teachers', list: 'Your children’s teachers' },
  student: { nav: 'Teachers', title: 'Your teachers', list: 'Your teachers' },
};

/** Newest activity first; those without messages after, by name. */
function byActivity(a, b) {
  const ta = a.lastMessage?.timestamp || '';
  const tb = b.lastMessage?.timestamp || '';
  if (ta !== tb) return ta < tb ? 1 : -1;
  return a.peerName.localeCompare(b.peerName);
}

export class ContactsView {
  /**
   * @param {import('../state.js').ChatState} state
   * @param {object} options
   * @param {(conversationId: string) => void} options.onOpen
   * @param {() => void} [options.onNewConversation]  teachers only
   */
  constructor(state, { onOpen, onNewConversation }) {
    this.state = state;
    this.onOpen = onOpen;
    this.openId = null;
    const role = state.me.role;
    const isTeacher = role === 'teacher';
    this.isGuardian = role === 'guardian';
    const headings = HEADINGS[role] || HEADINGS.student;
    this.list = h('ul', { class: 'contact-list', 'aria-label': headings.list });
    // A guardian's: one section per child.
    this.groups = h('div', { class: 'family-groups' });
    this.empty = h('p', { class: 'empty-list', hidden: true });
    this.loading = h('p', { class: 'empty-list' }, 'Loading…');
    this.element = h(
      'nav',
      { class: 'sidebar', 'aria-label': headings.nav },
      h(
        'div',
        { class: 'sidebar-head' },
        h('h2', {}, headings.title),
        isTeacher &&
          h(
            'button',
            { type: 'button', class: 'button small', onclick: onNewConversation, 'aria-haspopup': 'dialog' },
            h('span', { class: 'plus', 'aria-hidden': 'true' }, '+'),
            ' New message',
          ),
      ),
      this.loading,
      this.empty,
      this.isGuardian ? this.groups : this.list,
    );
    state.addEventListener('contacts', () => this.render());
    // Typing hints in the list expire by time, not by an event.
    this.tick = setInterval(() => this.render(), 2000);
  }

  destroy() {
    clearInterval(this.tick);
  }

  setOpen(conversationId) {
    this.openId = conversationId;
    this.render();
  }

  render() {
    if (this.isGuardian) {
      this.renderFamily();
      return;
    }
    const contacts = this.state.sortedContacts();
    show(this.loading, !this.state.contactsLoaded);
    show(this.empty, this.state.contactsLoaded && contacts.length === 0);
    if (this.state.me.role === 'teacher') {
      replace(this.empty, 'No conversations yet. Use “New message” to write to a student.');
    } else {
      replace(this.empty, 'You are not linked with any teacher yet. Ask your school office.');
    }
    this.fill(this.list, contacts);
  }

  /** Makes `list` show `contacts`, reusing the rows that did not change. */
  fill(list, contacts) {
    const now = Date.now();
    reconcile(list, contacts, {
      key: (c) => c.conversationId,
      signature: (c) =>
        JSON.stringify([
          c.peerName,
          c.peerRole,
          c.children,
          c.lastMessage?.messageId,
          c.lastMessage?.editedAt,
          c.lastMessage?.removedAt,
          c.unreadCount,
          c.online,
          c.typingUntil > now,
          c.conversationId === this.openId,
          c.lastMessage && shortTime(c.lastMessage.timestamp),
        ]),
      render: (c, el) => this.renderContact(c, el, now),
    });
  }

  // --- A guardian's sidebar --------------------------------------------------------------

  renderFamily() {
    const groups = this.state.family || [];
    show(this.loading, !this.state.contactsLoaded);
    show(this.empty, this.state.contactsLoaded && groups.length === 0);
    replace(this.empty, 'Your school has not linked you with a child yet. Ask your school office.');
    reconcile(this.groups, groups, {
      key: (g) => g.child.userId,
      signature: (g) => JSON.stringify([g.child.displayName, g.oversight !== null, g.teachers.length === 0, g.oversight?.length === 0]),
      render: (g, el) => this.renderGroup(g, el),
    });
    const contacts = (ids) => ids.map((id) => this.state.contact(id)).filter(Boolean).sort(byActivity);
    groups.forEach((group, i) => {
      const section = this.groups.children[i];
      this.fill(section.teacherList, contacts(group.teachers));
      if (section.oversightList) this.fill(section.oversightList, contacts(group.oversight || []));
    });
  }

  /** A child's section: their teachers, then (oversight) their own conversations. */
  renderGroup(group, el) {
    const section = el || h('section', { class: 'child-group' });
    const child = group.child;
    section.dataset.childId = child.userId;
    section.setAttribute('aria-label', child.displayName);
    section.teacherList = h('ul', { class: 'contact-list', 'aria-label': `Teachers of ${child.displayName}` });
    section.oversightList = group.oversight
      ? h('ul', { class: 'contact-list read-only-list', 'aria-label': `${child.displayName}’s conversations` })
      : null;
    replace(
      section,
      h('h3', { class: 'child-name' }, avatar(child.userId, child.displayName, 'small'), h('span', { dir: 'auto' }, child.displayName)),
      group.teachers.length === 0
        ? h('p', { class: 'empty-list' }, 'No teacher linked yet.')
        : null,
      section.teacherList,
      section.oversightList &&
        h(
          'div',
          { class: 'oversight', dataset: { oversightOf: child.userId } },
          h('h4', { class: 'oversight-title' }, bidi(child.displayName), '’s conversations'),
          h('p', { class: 'oversight-note' }, 'Read-only: your school lets you read them.'),
          group.oversight.length === 0 ? h('p', { class: 'empty-list' }, 'None yet.') : null,
          section.oversightList,
        ),
    );
    return section;
  }

  renderContact(contact, el, now) {
    const li = el || h('li', {});
    const me = this.state.me.userId;
    const last = contact.lastMessage;
    const typing = contact.typingUntil > now;
    let preview;
    if (typing) preview = h('span', { class: 'preview typing-preview' }, 'typing…');
    else if (last) {
      preview = h(
        'span',
        { class: 'preview' },
        last.author === me ? h('span', { class: 'preview-you' }, 'You: ') : null,
        // A child's conversation, read by their guardian: whose message it is.
        contact.readOnly && contact.child && last.author === contact.child.userId
          ? h('span', { class: 'preview-you' }, bidi(contact.child.displayName), ': ')
          : null,
        last.announcementId ? h('span', { class: 'preview-tag' }, 'Announcement: ') : null,
        // textContent only, and bidi-isolated: the body is whatever someone typed.
        last.removedAt && !last.messageBody
          ? h('span', { class: 'preview-removed' }, 'Message removed')
          : bidi(last.messageBody.replace(/\s+/g, ' ')),
      );
    } else {
      preview = h('span', { class: 'preview muted' }, contact.readOnly ? 'No messages yet' : 'No messages yet — say hello');
    }
    // A teacher's conversation with a guardian: whose family it is.
    const family = this.state.me.role === 'teacher' && contact.peerRole === 'guardian'
      ? h('span', { class: 'contact-row' }, h('span', { class: 'contact-family' }, familyLabel(contact.children)))
      : null;
    const unread = contact.unreadCount;
    const button = h(
      'button',
      {
        type: 'button',
        class: `contact${unread ? ' has-unread' : ''}${contact.readOnly ? ' read-only' : ''}`,
        dataset: { conversationId: contact.conversationId },
        'aria-current': contact.conversationId === this.openId ? 'true' : null,
        onclick: () => this.onOpen(contact.conversationId),
      },
      h(
        'span',
        { class: 'avatar-wrap' },
        avatar(contact.peerId, contact.peerName),
        contact.online && h('span', { class: 'presence-dot', title: 'Online' }, h('span', { class: 'sr-only' }, 'online')),
      ),
      h(
        'span',
        { class: 'contact-main' },
        h(
          'span',
          { class: 'contact-row' },
          h('span', { class: 'contact-name', dir: 'auto' }, contact.peerName),
          last && h('time', { datetime: last.timestamp, title: fullTime(last.timestamp) }, shortTime(last.timestamp)),
        ),
        family,
        h(
          'span',
          { class: 'contact-row' },
          preview,
          unread > 0 &&
            h(
              'span',
              { class: 'badge', 'aria-label': `${formatCount(unread)} unread message${unread === 1 ? '' : 's'}` },
              unread > 99 ? '99+' : String(unread),
            ),
        ),
      ),
    );
    // Rebuilding the button would drop keyboard focus; hand it to the new one.
    const hadFocus = li.contains(document.activeElement);
    replace(li, button);
    if (hadFocus) button.focus({ preventScroll: true });
    return li;
  }
}

/** "Parent of Sam Lee and Mia Lee"; a guardian no child connects any more: "Parent or carer". */
function familyLabel(children) {
  return children?.length ? ['Parent of ', namesList(children)] : 'Parent or carer';
}

/**
 * A teacher's conversations with their students' guardians, from get_students: one per
 * guardian, naming every listed student of theirs.
 */
export function familyEntries(students) {
  const byConversation = new Map();
  for (const student of students) {
    for (const guardian of student.guardians || []) {
      let entry = byConversation.get(guardian.conversationId);
      if (!entry) {
        entry = {
          conversationId: guardian.conversationId,
          peerId: guardian.userId,
          peerName: guardian.displayName,
          peerRole: 'guardian',
          children: [],
          lastMessage: null,
          unreadCount: 0,
          listed: false,
        };
        byConversation.set(guardian.conversationId, entry);
      }
      entry.children.push({ userId: student.userId, displayName: student.displayName });
    }
  }
  return [...byConversation.values()];
}

export function contactEntry(entry, listed) {
  return {
    conversationId: entry.conversationId,
    peerId: entry.userId,
    peerName: entry.displayName,
    lastMessage: entry.lastMessage,
    unreadCount: entry.unreadCount,
    listed,
  };
}
