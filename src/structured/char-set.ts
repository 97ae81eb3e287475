/** Sets of Unicode code points as sorted, disjoint, inclusive ranges: what a regex class or `.` means. */

export type CodePointRange = readonly [number, number];

const maxCodePoint = 0x10ffff;

export class CharSet {
  private constructor(readonly ranges: readonly CodePointRange[]) {}

  static of(ranges: Iterable<CodePointRange>): CharSet {
    const sorted = [...ranges].filter(([lo, hi]) => lo <= hi).sort((a, b) => a[0] - b[0]);
    const merged: Array<[number, number]> = [];
    for (const [lo, hi] of sorted) {
      const last = merged[merged.length - 1];
      if (last && lo <= last[1] + 1) last[1] = Math.max(last[1], hi);
      else merged.push([lo, hi]);
    }
    return new CharSet(merged);
  }

  static chars(text: string): CharSet {
    return CharSet.of([...text].map((c) => [c.codePointAt(0)!, c.codePointAt(0)!] as const));
  }

  static readonly empty = CharSet.of([]);

  get isEmpty(): boolean {
    return this.ranges.length === 0;
  }

  has(codePoint: number): boolean {
    return this.ranges.some(([lo, hi]) => codePoint >= lo && codePoint <= hi);
  }

  union(other: CharSet): CharSet {
    return CharSet.of([...this.ranges, ...other.ranges]);
  }

  complement(): CharSet {
    const result: Array<[number, number]> = [];
    let next = 0;
    for (const [lo, hi] of this.ranges) {
      if (lo > next) result.push([next, lo - 1]);
      next = hi + 1;
    }
    if (next <= maxCodePoint) result.push([next, maxCodePoint]);
    return new CharSet(result);
  }

  minus(other: CharSet): CharSet {
    return this.intersect(other.complement());
  }

  intersect(other: CharSet): CharSet {
    const result: Array<[number, number]> = [];
    for (const [a, b] of this.ranges) {
      for (const [c, d] of other.ranges) {
        const lo = Math.max(a, c);
        const hi = Math.min(b, d);
        if (lo <= hi) result.push([lo, hi]);
      }
    }
    return CharSet.of(result);
  }
}

export const digitChars = CharSet.of([[0x30, 0x39]]);
export const wordChars = CharSet.of([[0x30, 0x39], [0x41, 0x5a], [0x5f, 0x5f], [0x61, 0x7a]]);
/** JavaScript's \s. */
export const spaceChars = CharSet.of([
  [0x09, 0x0d], [0x20, 0x20], [0xa0, 0xa0], [0x1680, 0x1680], [0x2000, 0x200a],
  [0x2028, 0x2029], [0x202f, 0x202f], [0x205f, 0x205f], [0x3000, 0x3000], [0xfeff, 0xfeff],
]);
/** `.` without the s flag: anything but line terminators. */
export const dotChars = CharSet.of([[0x0a, 0x0a], [0x0d, 0x0d], [0x2028, 0x2029]]).complement();
