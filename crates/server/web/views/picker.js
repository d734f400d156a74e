// "New message" for teachers: every linked student (GET /chat/get_students), so a
// conversation can start before its first message. A native <dialog> gives focus
// trapping and Escape-to-close for free.

import { h, avatar, replace } from '../dom.js';

export class StudentPicker {
  /**
   * @param {object} options
   * @param {() => Promise<object[]>} options.load  contacts, each {conversationId, peerId, peerName}
   * @param {(conversationId: string) => void} options.onPick
   */
  constructor({ load, onPick }) {
    this.load = load;
    this.onPick = onPick;
    this.students = [];
    this.search = h('input', {
      type: 'search',
      id: 'student-search',
      class: 'input',
      placeholder: 'Search by name',
      autocomplete: 'off',
      oninput: () => this.render(),
    });
    this.list = h('ul', { class: 'picker-list', 'aria-label': 'Students' });
    this.status = h('p', { class: 'muted', role: 'status' });
    this.element = h(
      'dialog',
      { class: 'picker', 'aria-labelledby': 'picker-title' },
      h(
        'div',
        { class: 'picker-head' },
        h('h2', { id: 'picker-title' }, 'New message'),
        h('button', { type: 'button', class: 'icon-button', 'aria-label': 'Close', onclick: () => this.element.close() }, '✕'),
      ),
      h('label', { for: 'student-search', class: 'field-label' }, 'Write to one of your students'),
      this.search,
      this.status,
      this.list,
    );
  }

  async open() {
    this.search.value = '';
    replace(this.status, 'Loading your students…');
    this.list.replaceChildren();
    this.element.showModal();
    try {
      const contacts = await this.load();
      this.students = contacts.sort((a, b) => a.peerName.localeCompare(b.peerName));
      this.render();
    } catch (error) {
      replace(this.status, `Cannot load your students. ${error.message}`);
    }
  }

  render() {
    const query = this.search.value.trim().toLowerCase();
    const shown = this.students.filter(
      (s) => !query || s.peerName.toLowerCase().includes(query) || s.peerId.toLowerCase().includes(query),
    );
    replace(
      this.status,
      this.students.length === 0
        ? 'You are not linked with any student yet. Ask your school office.'
        : shown.length === 0
          ? 'No student matches.'
          : '',
    );
    replace(
      this.list,
      shown.map((s) =>
        h(
          'li',
          {},
          h(
            'button',
            {
              type: 'button',
              class: 'picker-item',
              dataset: { conversationId: s.conversationId },
              onclick: () => {
                this.element.close();
                this.onPick(s.conversationId);
              },
            },
            avatar(s.peerId, s.peerName),
            h('span', { class: 'picker-name', dir: 'auto' }, s.peerName),
            h('span', { class: 'picker-id' }, s.peerId),
          ),
        ),
      ),
    );
  }
}
