// "New message" for teachers: every linked student (GET /chat/get_students), so a
// conversation can start before its first message. With a roster, students are grouped by
// the teacher's classes (GET /classes; a student in two classes is under both, students
// in none under "Other students"), and each class can be messaged at once (classes.js).
// Under each student, "Message the family" for each of their guardians opens the
// teacher's conversation with that guardian (`<guardianId>+<teacherId>`).
// A native <dialog> gives focus trapping and Escape-to-close for free.

import { h, avatar, replace } from '../dom.js';
import { ClassSection, groupByClass } from './classes.js';

export class StudentPicker {
  /**
   * @param {object} options
   * @param {() => Promise<object[]>} options.load  contacts, each {conversationId, peerId, peerName,
   *   guardians?: [{userId, displayName, conversationId}]}
   * @param {() => Promise<object>} [options.loadClasses]  GET /classes
   * @param {(conversationId: string) => void} options.onPick
   * @param {(result: object) => void} [options.onAnnounced]  an announcement's 201 answer
   */
  constructor({ load, loadClasses, onPick, onAnnounced }) {
    this.load = load;
    this.loadClasses = loadClasses;
    this.onPick = onPick;
    this.onAnnounced = onAnnounced || (() => {});
    this.students = [];
    this.sections = []; // ClassSection per group; empty: one flat list
    this.search = h('input', {
      type: 'search',
      id: 'student-search',
      class: 'input',
      placeholder: 'Search by name or class',
      autocomplete: 'off',
      oninput: () => this.render(),
    });
    this.list = h('ul', { class: 'picker-list', 'aria-label': 'Students' });
    this.body = h('div', { class: 'picker-body' });
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
      this.body,
    );
  }

  async open() {
    this.search.value = '';
    replace(this.status, 'Loading your students…');
    this.list.replaceChildren();
    replace(this.body);
    this.sections = [];
    this.element.showModal();
    try {
      // Without classes (none imported, or the request failed) the list is simply flat.
      const [contacts, classes] = await Promise.all([
        this.load(),
        this.loadClasses ? this.loadClasses().catch(() => null) : null,
      ]);
      this.students = contacts.sort((a, b) => a.peerName.localeCompare(b.peerName));
      this.sections = groupByClass(classes?.classes, this.students).map((group) => new ClassSection(group, {
        renderStudent: (s) => this.item(s),
        onSent: (result) => this.onAnnounced(result),
      }));
      replace(this.body, this.sections.length ? this.sections.map((s) => s.element) : this.list);
      this.render();
    } catch (error) {
      replace(this.status, `Cannot load your students. ${error.message}`);
    }
  }

  render() {
    const query = this.search.value.trim().toLowerCase();
    let shown;
    if (this.sections.length) {
      for (const section of this.sections) section.filter(query);
      shown = this.sections.filter((section) => !section.element.hidden).length;
    } else {
      const matches = this.students.filter(
        (s) => !query || s.peerName.toLowerCase().includes(query) || s.peerId.toLowerCase().includes(query),
      );
      replace(this.list, matches.map((s) => h('li', {}, this.item(s))));
      shown = matches.length;
    }
    replace(
      this.status,
      this.students.length === 0
        ? 'You are not linked with any student yet. Ask your school office.'
        : shown === 0
          ? 'No student matches.'
          : '',
    );
  }

  item(s) {
    const pick = (conversationId) => () => {
      this.element.close();
      this.onPick(conversationId);
    };
    const student = h(
      'button',
      {
        type: 'button',
        class: 'picker-item',
        dataset: { conversationId: s.conversationId },
        onclick: pick(s.conversationId),
      },
      avatar(s.peerId, s.peerName),
      h('span', { class: 'picker-name', dir: 'auto' }, s.peerName),
      h('span', { class: 'picker-id' }, s.peerId),
    );
    const guardians = s.guardians || [];
    if (guardians.length === 0) return student;
    return h(
      'div',
      { class: 'picker-entry' },
      student,
      h(
        'div',
        { class: 'picker-family' },
        guardians.map((g) => h(
          'button',
          {
            type: 'button',
            class: 'button small family-button',
            dataset: { conversationId: g.conversationId },
            'aria-label': `Message the family of ${s.peerName}: ${g.displayName}`,
            onclick: pick(g.conversationId),
          },
          'Message the family',
          h('span', { class: 'family-sep', 'aria-hidden': 'true' }, ' · '),
          h('span', { class: 'family-name', dir: 'auto' }, g.displayName),
        )),
      ),
    );
  }
}
