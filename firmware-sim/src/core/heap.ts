// A binary min-heap of device indices keyed by due time: one shared schedule instead of one timer
// per device, O(log n) per reading at 10,000 devices.

export class DueHeap {
  private readonly indices: number[] = [];
  private readonly dueMs: number[] = [];

  get size(): number {
    return this.indices.length;
  }

  peekDueMs(): number {
    return this.indices.length === 0 ? Infinity : this.dueMs[0]!;
  }

  push(index: number, dueMs: number): void {
    const items = this.indices;
    const keys = this.dueMs;
    let i = items.length;
    items.push(index);
    keys.push(dueMs);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      // Ties go to the lower device index so runs are deterministic.
      if (keys[parent]! < dueMs || (keys[parent] === dueMs && items[parent]! < index)) break;
      items[i] = items[parent]!;
      keys[i] = keys[parent]!;
      i = parent;
    }
    items[i] = index;
    keys[i] = dueMs;
  }

  pop(): number {
    const items = this.indices;
    const keys = this.dueMs;
    const top = items[0];
    if (top === undefined) throw new RangeError('pop from an empty heap');
    const lastIndex = items.pop()!;
    const lastDue = keys.pop()!;
    const n = items.length;
    if (n > 0) {
      let i = 0;
      for (;;) {
        const left = 2 * i + 1;
        if (left >= n) break;
        const right = left + 1;
        let child = left;
        if (
          right < n &&
          (keys[right]! < keys[left]! ||
            (keys[right] === keys[left] && items[right]! < items[left]!))
        )
          child = right;
        if (keys[child]! > lastDue || (keys[child] === lastDue && items[child]! > lastIndex)) break;
        items[i] = items[child]!;
        keys[i] = keys[child]!;
        i = child;
      }
      items[i] = lastIndex;
      keys[i] = lastDue;
    }
    return top;
  }
}
