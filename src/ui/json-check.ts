/**
 * A small JSON-schema check for the playground's structured replies: the
 * keywords pagoda's grammar compiler honours (type, enum, const, properties,
 * required, additionalProperties, items, min/max lengths and bounds, anyOf),
 * enough to tell the user whether the reply matches. Unknown keywords pass.
 */
type Schema = Record<string, unknown> | boolean;

export function schemaErrors(value: unknown, schema: Schema, path = "$"): string[] {
  if (schema === true) return [];
  if (schema === false) return [`${path}: no value is allowed`];
  const errors: string[] = [];
  const s = schema as Record<string, any>;
  if (s.type !== undefined) {
    const types: string[] = Array.isArray(s.type) ? s.type : [s.type];
    if (!types.some((type) => hasType(value, type))) return [`${path}: expected ${types.join(" or ")}, got ${typeOf(value)}`];
  }
  if (Array.isArray(s.enum) && !s.enum.some((option: unknown) => deepEqual(option, value))) errors.push(`${path}: not one of ${JSON.stringify(s.enum)}`);
  if ("const" in s && !deepEqual(s.const, value)) errors.push(`${path}: must be ${JSON.stringify(s.const)}`);
  if (Array.isArray(s.anyOf) && !s.anyOf.some((option: Schema) => schemaErrors(value, option, path).length === 0)) errors.push(`${path}: matches none of anyOf`);
  if (typeof value === "string") {
    if (typeof s.minLength === "number" && [...value].length < s.minLength) errors.push(`${path}: shorter than ${s.minLength}`);
    if (typeof s.maxLength === "number" && [...value].length > s.maxLength) errors.push(`${path}: longer than ${s.maxLength}`);
  }
  if (typeof value === "number") {
    if (typeof s.minimum === "number" && value < s.minimum) errors.push(`${path}: below ${s.minimum}`);
    if (typeof s.maximum === "number" && value > s.maximum) errors.push(`${path}: above ${s.maximum}`);
  }
  if (Array.isArray(value)) {
    if (typeof s.minItems === "number" && value.length < s.minItems) errors.push(`${path}: fewer than ${s.minItems} items`);
    if (typeof s.maxItems === "number" && value.length > s.maxItems) errors.push(`${path}: more than ${s.maxItems} items`);
    if (s.items !== undefined) value.forEach((item, index) => errors.push(...schemaErrors(item, s.items, `${path}[${index}]`)));
  }
  if (typeOf(value) === "object") {
    const object = value as Record<string, unknown>;
    const properties: Record<string, Schema> = s.properties ?? {};
    for (const name of Array.isArray(s.required) ? s.required : []) if (!(name in object)) errors.push(`${path}: missing "${name}"`);
    for (const [name, item] of Object.entries(object)) {
      if (name in properties) errors.push(...schemaErrors(item, properties[name], `${path}.${name}`));
      else if (s.additionalProperties === false) errors.push(`${path}: unexpected "${name}"`);
      else if (typeof s.additionalProperties === "object") errors.push(...schemaErrors(item, s.additionalProperties, `${path}.${name}`));
    }
  }
  return errors;
}

function typeOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  return typeof value;
}

function hasType(value: unknown, type: string): boolean {
  if (type === "integer") return Number.isInteger(value);
  return typeOf(value) === type;
}

function deepEqual(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
