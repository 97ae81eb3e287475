/** minimum/maximum/exclusiveMinimum/exclusiveMaximum (draft 4's boolean form too) as the tightest lower and upper bound. */
import { invalidSchema, type SchemaPath } from "./schema-keywords.js";
import type { SchemaObject } from "./schema-merge.js";

export interface Bound {
  value: number;
  isExclusive: boolean;
  keyword: string;
}

export function readBounds(schema: SchemaObject, path: SchemaPath): { min: Bound | null; max: Bound | null } {
  const number = (keyword: string): number | undefined => {
    const value = schema[keyword];
    if (value === undefined || typeof value === "boolean") return undefined;
    if (typeof value !== "number" || !Number.isFinite(value)) invalidSchema([...path, keyword], `'${keyword}' must be a number.`);
    return value;
  };
  const lows: Bound[] = [];
  const highs: Bound[] = [];
  const minimum = number("minimum");
  const maximum = number("maximum");
  const exclusiveMinimum = number("exclusiveMinimum");
  const exclusiveMaximum = number("exclusiveMaximum");
  if (minimum !== undefined) lows.push({ value: minimum, isExclusive: schema.exclusiveMinimum === true, keyword: "minimum" });
  if (maximum !== undefined) highs.push({ value: maximum, isExclusive: schema.exclusiveMaximum === true, keyword: "maximum" });
  if (exclusiveMinimum !== undefined) lows.push({ value: exclusiveMinimum, isExclusive: true, keyword: "exclusiveMinimum" });
  if (exclusiveMaximum !== undefined) highs.push({ value: exclusiveMaximum, isExclusive: true, keyword: "exclusiveMaximum" });
  const tightest = (bounds: Bound[], isBetter: (a: Bound, b: Bound) => boolean) =>
    bounds.length === 0 ? null : bounds.reduce((best, bound) => (isBetter(bound, best) ? bound : best));
  return {
    min: tightest(lows, (a, b) => a.value > b.value || (a.value === b.value && a.isExclusive)),
    max: tightest(highs, (a, b) => a.value < b.value || (a.value === b.value && a.isExclusive)),
  };
}
