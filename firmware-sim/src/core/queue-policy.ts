// Store-and-forward policy (pure): what to keep when the offline queue is full. Routine readings
// (weight, temperature, heartbeats...) are bounded; the oldest go first, which the gateway sees as
// an evidence gap (a seq jump). Events (door, tamper, RFID enter/exit) are never dropped: they are
// the evidence of a removal, and an attacker who can fill the queue must not be able to erase them.

import type { ReadingKind } from '@pledgeguard/protocol';

export type QueuePriority = 'routine' | 'event';

const EVENT_KINDS: ReadonlySet<ReadingKind> = new Set(['door', 'tamper', 'rfid-event']);

export function priorityOf(kind: ReadingKind): QueuePriority {
  return EVENT_KINDS.has(kind) ? 'event' : 'routine';
}

export interface QueuedItem {
  readonly priority: QueuePriority;
}

/**
 * Index (in `queue`, scanning from `start`) of the entry to drop so a new entry of priority
 * `incoming` fits a queue already holding `routineCount` routine entries, or -1 when nothing must
 * go: there is room, or `incoming` is an event (events always fit).
 */
export function chooseDrop(
  queue: readonly QueuedItem[],
  start: number,
  routineCount: number,
  capacity: number,
  incoming: QueuePriority,
): number {
  if (incoming === 'event' || routineCount < capacity) return -1;
  for (let i = start; i < queue.length; i++) if (queue[i]!.priority === 'routine') return i;
  return -1;
}
