/**
 * GBNF for the decimal integers in [min, max], no leading zeros, no exponent.
 * Unbounded sides stop at 16 digits, as llama.cpp's own JSON grammars do, so
 * a sampled integer always ends.
 */

export const maxIntegerDigits = 16;
export const largest = 10n ** BigInt(maxIntegerDigits) - 1n;

export function integerRangeGbnf(min: bigint | null, max: bigint | null): string | null {
  const lo = min ?? -largest;
  const hi = max ?? largest;
  if (lo > hi) return null;
  const options: string[] = [];
  if (lo < 0n) {
    // Negative part: "-" then the magnitudes in [max(1, -hi), -lo].
    const magnitudeLo = hi < 0n ? -hi : 1n;
    options.push(`"-" ${group(naturalRange(magnitudeLo, -lo))}`);
  }
  if (hi >= 0n) options.push(naturalRange(lo > 0n ? lo : 0n, hi));
  return options.length === 1 ? options[0] : `(${options.join(" | ")})`;
}

function group(expression: string): string {
  return expression.includes(" ") ? `(${expression})` : expression;
}

/** Non-negative integers in [lo, hi], split by number of digits. */
export function naturalRange(lo: bigint, hi: bigint): string {
  const options: string[] = [];
  let start = lo;
  while (start <= hi) {
    const numDigits = start.toString().length;
    const lengthMax = 10n ** BigInt(numDigits) - 1n;
    const end = hi < lengthMax ? hi : lengthMax;
    options.push(sameLength(start.toString(), end.toString()));
    start = end + 1n;
  }
  return options.length === 1 ? options[0] : `(${options.join(" | ")})`;
}

const digitClass = (low: string, high: string) => (low === high ? `"${low}"` : low === "0" && high === "9" ? "[0-9]" : `[${low}-${high}]`);
const anyDigits = (count: number) => (count === 0 ? "" : count === 1 ? "[0-9]" : `[0-9]{${count}}`);

/** Numbers of the same digit count between a and b (strings), digit by digit. */
function sameLength(a: string, b: string): string {
  if (a.length === 1) return digitClass(a, b);
  const rest = a.length - 1;
  if (a[0] === b[0]) return join(`"${a[0]}"`, sameLength(a.slice(1), b.slice(1)));
  const aTail = a.slice(1);
  const bTail = b.slice(1);
  const isALow = /^0*$/.test(aTail);
  const isBHigh = /^9*$/.test(bTail);
  const options: string[] = [];
  const firstFull = isALow ? Number(a[0]) : Number(a[0]) + 1;
  const lastFull = isBHigh ? Number(b[0]) : Number(b[0]) - 1;
  if (!isALow) options.push(join(`"${a[0]}"`, sameLength(aTail, "9".repeat(rest))));
  if (firstFull <= lastFull) options.push(join(digitClass(String(firstFull), String(lastFull)), anyDigits(rest)));
  if (!isBHigh) options.push(join(`"${b[0]}"`, sameLength("0".repeat(rest), bTail)));
  return options.length === 1 ? options[0] : `(${options.join(" | ")})`;
}

function join(head: string, tail: string): string {
  return tail === "" ? head : `${head} ${tail}`;
}
