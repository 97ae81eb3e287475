/**
 * A JSON Schema validator for the keywords the probes' own schemas use (type,
 * properties, required, additionalProperties: false, enum, minimum, maximum,
 * minLength, maxLength, items, minItems, maxItems). The CLI ships without ajv.
 * Returns the first violation as a path and a rule, or null.
 */
export type Schema = {
  type?: "object" | "array" | "string" | "integer" | "number" | "boolean" | "null";
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: false;
  enum?: unknown[];
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  items?: Schema;
  minItems?: number;
  maxItems?: number;
};

export function schemaViolation(value: unknown, schema: Schema, path = "$"): string | null {
  if (schema.enum && !schema.enum.some((allowed) => JSON.stringify(allowed) === JSON.stringify(value))) return `${path}: not one of ${JSON.stringify(schema.enum)}`;
  if (schema.type && !hasType(value, schema.type)) return `${path}: not of type ${schema.type}`;
  if (typeof value === "number") {
    if (schema.minimum !== undefined && value < schema.minimum) return `${path}: below minimum ${schema.minimum}`;
    if (schema.maximum !== undefined && value > schema.maximum) return `${path}: above maximum ${schema.maximum}`;
  }
  if (typeof value === "string") {
    const length = [...value].length;
    if (schema.minLength !== undefined && length < schema.minLength) return `${path}: shorter than ${schema.minLength}`;
    if (schema.maxLength !== undefined && length > schema.maxLength) return `${path}: longer than ${schema.maxLength}`;
  }
  if (Array.isArray(value)) {
    if (schema.minItems !== undefined && value.length < schema.minItems) return `${path}: fewer than ${schema.minItems} items`;
    if (schema.maxItems !== undefined && value.length > schema.maxItems) return `${path}: more than ${schema.maxItems} items`;
    for (const [i, item] of value.entries()) {
      const violation = schema.items ? schemaViolation(item, schema.items, `${path}[${i}]`) : null;
      if (violation) return violation;
    }
  }
  if (isObject(value)) {
    for (const key of schema.required ?? []) if (!(key in value)) return `${path}: missing required '${key}'`;
    for (const [key, item] of Object.entries(value)) {
      const property = schema.properties?.[key];
      if (!property && schema.additionalProperties === false) return `${path}: unexpected property '${key}'`;
      const violation = property ? schemaViolation(item, property, `${path}.${key}`) : null;
      if (violation) return violation;
    }
  }
  return null;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function hasType(value: unknown, type: NonNullable<Schema["type"]>): boolean {
  switch (type) {
    case "object":
      return isObject(value);
    case "array":
      return Array.isArray(value);
    case "integer":
      return Number.isInteger(value);
    case "null":
      return value === null;
    default:
      return typeof value === type;
  }
}
