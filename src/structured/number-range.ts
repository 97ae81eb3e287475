/**
 * GBNF for JSON numbers within integer bounds (inclusive or exclusive), as
 * plain decimals: an integer part, then a fraction of at most 15 digits,
 * never an exponent. Split by sign, and by whether the integer part sits on
 * a bound (where the fraction must be zero, or non-zero, to stay inside).
 */
import { largest, naturalRange } from "./integer-range.js";

export interface NumberBound {
  value: bigint;
  isExclusive: boolean;
}

const anyFraction = '( "." [0-9]{1,15} )?';
const zeroFraction = '( "." "0"{1,15} )?';
const nonZeroFraction = '"." "0"{0,14} [1-9] [0-9]{0,14}';

export function numberRangeGbnf(min: NumberBound | null, max: NumberBound | null): string | null {
  const low = min ?? { value: -largest, isExclusive: false };
  const high = max ?? { value: largest, isExclusive: false };
  const options: string[] = [];
  // v >= 0: integer part and fraction written as they are.
  if (high.value >= 0n && !(high.value === 0n && high.isExclusive)) {
    const from = low.value >= 0n ? low : { value: 0n, isExclusive: false };
    const nonNegative = magnitudes(from, high);
    if (nonNegative !== null) options.push(nonNegative);
  }
  // v < 0: "-" then the magnitude -v, which lies in (max(-high, 0), -low].
  if (low.value < 0n) {
    const from = high.value < 0n ? { value: -high.value, isExclusive: high.isExclusive } : { value: 0n, isExclusive: true };
    const negative = magnitudes(from, { value: -low.value, isExclusive: low.isExclusive });
    if (negative !== null) options.push(`"-" ( ${negative} )`);
  }
  return options.length === 0 ? null : options.length === 1 ? options[0] : `( ${options.join(" | ")} )`;
}

/** Non-negative decimals between two non-negative integer bounds. */
function magnitudes(low: NumberBound, high: NumberBound): string | null {
  const a = low.value;
  const b = high.value;
  if (a > b) return null;
  if (a === b) return low.isExclusive || high.isExclusive ? null : `${integer(a)} ${zeroFraction}`;
  const options = [`${integer(a)} ${low.isExclusive ? nonZeroFraction : anyFraction}`];
  if (a + 1n <= b - 1n) options.push(`${group(naturalRange(a + 1n, b - 1n))} ${anyFraction}`);
  if (!high.isExclusive) options.push(`${integer(b)} ${zeroFraction}`);
  return options.join(" | ");
}

const integer = (value: bigint) => `"${value}"`;
const group = (expression: string) => (expression.includes(" ") ? `( ${expression} )` : expression);
