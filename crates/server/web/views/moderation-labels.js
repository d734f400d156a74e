// How the moderation queue and a report's page name reasons, states, people and
// conversations, shared by both.

import { h, bidi } from '../dom.js';

/** How the queue names reasons: the reporter's choice, or the school's word list. */
export const REASON_LABELS = {
  bullying: 'Bullying or unkind',
  inappropriate: 'Inappropriate',
  safety: 'Someone may not be safe',
  spam: 'Spam',
  other: 'Something else',
  flagged: 'Flagged by the word list',
};

export const STATE_LABELS = { open: 'Open', reviewed: 'Reviewed', actioned: 'Actioned', dismissed: 'Dismissed' };

/** "Alice Martin and Ms Rivera (Maths)" for `<memberId>+<teacherId>`. */
export function conversationName(conversationId, name) {
  const [member, teacher] = conversationId.split('+');
  return [bidi(name(member)), ' and ', bidi(name(teacher))];
}

/** A person's name with their userId after it, muted. */
export function person(userId, name) {
  const shown = name(userId);
  return [bidi(shown), shown !== userId && h('span', { class: 'muted id-suffix' }, ` ${userId}`)];
}

/** A report's state as a coloured chip. */
export function stateChip(state) {
  return h('span', { class: `state-chip state-${state}` }, STATE_LABELS[state] || state);
}
