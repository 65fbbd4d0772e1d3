/**
 * A set of Kafka offsets of one partition, kept as sorted disjoint ranges so memory grows
 * with the number of gaps, not with the number of records. Landed batches are contiguous
 * runs of offsets, so a partition of millions of records is usually a handful of ranges.
 */

/** Inclusive range of offsets. */
export interface OffsetRange {
  readonly from: number;
  readonly to: number;
}

export class OffsetSet {
  // Sorted by `from`, disjoint and not adjacent (adjacent ranges are merged).
  #ranges: { from: number; to: number }[] = [];

  static of(ranges: readonly OffsetRange[]): OffsetSet {
    const set = new OffsetSet();
    for (const r of ranges) set.addRange(r.from, r.to);
    return set;
  }

  /** Adds one offset; returns false when it was already there. */
  add(offset: number): boolean {
    if (this.has(offset)) return false;
    this.addRange(offset, offset);
    return true;
  }

  addRange(from: number, to: number): void {
    if (to < from) return;
    const ranges = this.#ranges;
    // Fast path: offsets mostly arrive in order.
    const last = ranges[ranges.length - 1];
    if (!last || from > last.to + 1) {
      ranges.push({ from, to });
      return;
    }
    if (from >= last.from) {
      last.to = Math.max(last.to, to);
      return;
    }
    // General case: replace every range touching [from - 1, to + 1] with their union.
    const i = this.#firstEndingAtOrAfter(from - 1);
    let start = from;
    let end = to;
    let j = i;
    while (j < ranges.length && (ranges[j] as OffsetRange).from <= to + 1) {
      const r = ranges[j] as OffsetRange;
      start = Math.min(start, r.from);
      end = Math.max(end, r.to);
      j += 1;
    }
    ranges.splice(i, j - i, { from: start, to: end });
  }

  has(offset: number): boolean {
    const r = this.#ranges[this.#firstEndingAtOrAfter(offset)];
    return r !== undefined && r.from <= offset;
  }

  get size(): number {
    return this.#ranges.reduce((n, r) => n + (r.to - r.from + 1), 0);
  }

  ranges(): OffsetRange[] {
    return this.#ranges.map((r) => ({ ...r }));
  }

  /** Offsets of this set that are not in `other`. */
  minus(other: OffsetSet): OffsetSet {
    const out = new OffsetSet();
    const theirs = other.#ranges;
    let k = 0;
    for (const r of this.#ranges) {
      let cursor = r.from;
      while (k < theirs.length && (theirs[k] as OffsetRange).to < cursor) k += 1;
      let m = k;
      while (cursor <= r.to) {
        const t = theirs[m];
        if (!t || t.from > r.to) {
          out.addRange(cursor, r.to);
          break;
        }
        if (t.from > cursor) out.addRange(cursor, t.from - 1);
        cursor = Math.max(cursor, t.to + 1);
        m += 1;
      }
    }
    return out;
  }

  /** Offsets in both sets. */
  intersect(other: OffsetSet): OffsetSet {
    return this.minus(this.minus(other));
  }

  /** Index of the first range whose `to` is ≥ offset (ranges.length when none). */
  #firstEndingAtOrAfter(offset: number): number {
    let lo = 0;
    let hi = this.#ranges.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((this.#ranges[mid] as OffsetRange).to < offset) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
