/** Python's str operations that both filters and str methods use. */

const PY_WHITESPACE = " \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f\x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000";

/** str.strip/lstrip/rstrip: `chars` is a set of characters (whitespace when not given). */
export function pyStrip(s: string, chars: string | undefined, left: boolean, right: boolean): string {
  const set = chars ?? PY_WHITESPACE;
  const cps = Array.from(s);
  let start = 0;
  let end = cps.length;
  if (left) while (start < end && set.includes(cps[start])) start++;
  if (right) while (end > start && set.includes(cps[end - 1])) end--;
  return cps.slice(start, end).join("");
}

/** str.splitlines(): Python's line boundaries, no trailing empty line. */
export function splitLines(s: string): string[] {
  const lines = s.split(/\r\n|[\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]/);
  if (lines.length > 0 && lines[lines.length - 1] === "") lines.pop();
  return lines;
}

/** jinja's `title` (words start after whitespace, dashes and opening brackets). */
export function pyTitle(s: string): string {
  return s
    .split(/([-\s({[<]+)/)
    .filter((item) => item.length > 0)
    .map((item) => item.charAt(0).toUpperCase() + item.slice(1).toLowerCase())
    .join("");
}

export function pyCapitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1).toLowerCase();
}
