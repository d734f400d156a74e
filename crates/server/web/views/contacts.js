// The sidebar: the student's teachers or the teacher's conversations, newest activity
// first, each with the last message and an unread badge that updates live.

import { h, avatar, bidi, reconcile, replace, shortTime, fullTime, formatCount, show } from '../dom.js';

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
    const isTeacher = state.me.role === 'teacher';
    this.list = h('ul', { class: 'contact-list', 'aria-label': isTeacher ? 'Conversations' : 'Your teachers' });
    this.empty = h('p', { class: 'empty-list', hidden: true });
    this.loading = h('p', { class: 'empty-list' }, 'Loading…');
    this.element = h(
      'nav',
      { class: 'sidebar', 'aria-label': isTeacher ? 'Conversations' : 'Teachers' },
      h(
        'div',
        { class: 'sidebar-head' },
        h('h2', {}, isTeacher ? 'Conversations' : 'Your teachers'),
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
      this.list,
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
    const contacts = this.state.sortedContacts();
    show(this.loading, !this.state.contactsLoaded);
    show(this.empty, this.state.contactsLoaded && contacts.length === 0);
    if (this.state.me.role === 'teacher') {
      replace(this.empty, 'No conversations yet. Use “New message” to write to a student.');
    } else {
      replace(this.empty, 'You are not linked with any teacher yet. Ask your school office.');
    }
    const now = Date.now();
    reconcile(this.list, contacts, {
      key: (c) => c.conversationId,
      signature: (c) =>
        JSON.stringify([
          c.peerName,
          c.lastMessage?.messageId,
          c.unreadCount,
          c.online,
          c.typingUntil > now,
          c.conversationId === this.openId,
          c.lastMessage && shortTime(c.lastMessage.timestamp),
        ]),
      render: (c, el) => this.renderContact(c, el, now),
    });
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
        last.announcementId ? h('span', { class: 'preview-tag' }, 'Announcement: ') : null,
        // textContent only, and bidi-isolated: the body is whatever someone typed.
        bidi(last.messageBody.replace(/\s+/g, ' ')),
      );
    } else preview = h('span', { class: 'preview muted' }, 'No messages yet — say hello');
    const unread = contact.unreadCount;
    const button = h(
      'button',
      {
        type: 'button',
        class: `contact${unread ? ' has-unread' : ''}`,
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
