/**
 * GET /docs: the OpenAPI document as one self-contained HTML page (inline CSS,
 * no script, no CDN: servers often run offline). Rendered from the document
 * itself, so every route in it appears here: method, path, whether it needs
 * the API key, its request fields with types, constraints and descriptions,
 * an example curl, and the error shape.
 */
type Json = Record<string, unknown>;

export interface DocsPageOptions {
  /** Where clients reach the server, e.g. "https://host:8000/llm", for the example curls. */
  baseUrl: string;
  /** The path of /openapi.json as the browser reaches it (under --root-path). */
  documentPath: string;
}

const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (char) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[char]!);

/** Escaped text with `code spans` (the document's descriptions use Markdown's) as <code>. */
const prose = (text: unknown) => escapeHtml(String(text ?? "")).replace(/`([^`]+)`/g, "<code>$1</code>");

/** Bounds zod puts on every integer (JavaScript's safe range) say nothing to a reader. */
const isSafeIntegerBound = (value: unknown) => value === Number.MAX_SAFE_INTEGER || value === Number.MIN_SAFE_INTEGER;

export function renderDocsPage(document: Json, options: DocsPageOptions): string {
  const info = document.info as Json;
  const paths = document.paths as Record<string, Record<string, Json>>;
  const components = document.components as { schemas: Record<string, Json> };
  const resolve = (schema: Json): Json =>
    typeof schema.$ref === "string" ? components.schemas[schema.$ref.replace("#/components/schemas/", "")] : schema;

  const sections: string[] = [];
  const index: string[] = [];
  for (const [path, operations] of Object.entries(paths)) {
    for (const [method, operation] of Object.entries(operations)) {
      const anchor = `${method}-${path}`.replace(/[^a-zA-Z0-9]+/g, "-");
      const isOpen = Array.isArray(operation.security) && operation.security.length === 0;
      index.push(`<li><a href="#${anchor}"><code>${method.toUpperCase()} ${escapeHtml(path)}</code></a> ${escapeHtml(String(operation.summary ?? ""))}</li>`);
      const parts = [
        `<section id="${anchor}"><h2><span class="method ${method}">${method.toUpperCase()}</span> <code>${escapeHtml(path)}</code></h2>`,
        `<p>${prose(operation.summary)}. <em>${isOpen ? "Open: no API key." : "Needs the API key (Authorization: Bearer) when the server has one."}</em></p>`,
      ];
      const body = (operation.requestBody as Json | undefined)?.content as Record<string, Json> | undefined;
      const json = body?.["application/json"];
      if (json) {
        const schema = json.schema as Json;
        const variants = Array.isArray(schema.oneOf) ? (schema.oneOf as Json[]) : [schema];
        variants.forEach((variant, i) => {
          const name = typeof variant.$ref === "string" ? variant.$ref.split("/").pop()! : "Request";
          const heading = variants.length > 1 ? `Request body, form ${i + 1} of ${variants.length}: ${name}` : `Request body: ${name}`;
          parts.push(`<h3>${escapeHtml(heading)}</h3>`, fieldTable(resolve(variant)));
        });
        parts.push("<h3>Example</h3>", `<pre>${escapeHtml(curl(method, path, options.baseUrl, isOpen, json.example))}</pre>`);
      } else {
        parts.push("<h3>Example</h3>", `<pre>${escapeHtml(curl(method, path, options.baseUrl, isOpen, undefined))}</pre>`);
      }
      const ok = (operation.responses as Record<string, Json>)["200"];
      if (ok) {
        const types = Object.keys((ok.content as Json | undefined) ?? {});
        parts.push(`<h3>Response</h3><p>${prose(ok.description)}${types.length > 0 ? ` <code>${escapeHtml(types.join(", "))}</code>` : ""}</p>`);
      }
      parts.push("</section>");
      sections.push(parts.join("\n"));
    }
  }
  const errorSchema = components.schemas.ErrorResponse;
  const errorFields = errorSchema ? fieldTable((errorSchema.properties as Record<string, Json>).error) : "";
  const title = `${String(info.title)} ${String(info.version)} API`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${css}</style></head>
<body><main>
<h1>${escapeHtml(title)}</h1>
<p>${prose(info.description)}</p>
<p>Base URL: <code>${escapeHtml(options.baseUrl)}</code>. The machine-readable document: <a href="${escapeHtml(options.documentPath)}"><code>${escapeHtml(options.documentPath)}</code></a> (OpenAPI 3.1).
With the official clients: <code>new OpenAI({ baseURL: "${escapeHtml(options.baseUrl)}/v1", apiKey })</code>.</p>
<h2>Routes</h2><ul>${index.join("\n")}</ul>
<h2>Errors</h2><p>Every 4xx and 5xx answer has this body (OpenAI's shape), under the key <code>error</code>:</p>
${errorFields}
${sections.join("\n")}
</main></body></html>
`;

  function fieldTable(schema: Json): string {
    const rows: string[] = [];
    addRows(schema, "", 0);
    return `<table><thead><tr><th>field</th><th>type</th><th>constraints</th><th>description</th></tr></thead><tbody>${rows.join("")}</tbody></table>`;

    function addRows(object: Json, prefix: string, depth: number): void {
      const properties = (object.properties ?? {}) as Record<string, Json>;
      const required = new Set((object.required as string[] | undefined) ?? []);
      for (const [name, property] of Object.entries(properties)) {
        const field = `${prefix}${name}`;
        rows.push(
          `<tr><td><code>${escapeHtml(field)}</code>${required.has(name) ? ' <span class="required">required</span>' : ""}</td>` +
            `<td>${escapeHtml(typeOf(property))}</td><td>${escapeHtml(constraintsOf(property).join(", "))}</td>` +
            `<td>${prose(property.description)}</td></tr>`,
        );
        const nested = nestedObject(property);
        if (nested && depth < 2) addRows(nested.schema, `${field}${nested.isArray ? "[]" : ""}.`, depth + 1);
      }
    }
  }
}

/** The object schema whose fields a reader wants listed under a field: of the field itself or of its array items. */
function nestedObject(schema: Json): { schema: Json; isArray: boolean } | null {
  for (const variant of variantsOf(schema)) {
    if (variant.properties) return { schema: variant, isArray: false };
    const items = variant.items as Json | undefined;
    if (variant.type === "array" && items?.properties) return { schema: items, isArray: true };
  }
  return null;
}

function variantsOf(schema: Json): Json[] {
  const union = (schema.anyOf ?? schema.oneOf) as Json[] | undefined;
  return union ? union.flatMap(variantsOf) : [schema];
}

export function typeOf(schema: Json): string {
  const union = (schema.anyOf ?? schema.oneOf) as Json[] | undefined;
  if (union) return [...new Set(union.map(typeOf))].join(" | ");
  if (schema.const !== undefined) return JSON.stringify(schema.const);
  if (Array.isArray(schema.enum)) return schema.enum.map((value) => JSON.stringify(value)).join(" | ");
  if (Array.isArray(schema.type)) return schema.type.join(" | ");
  if (schema.type === "array") return schema.items && Object.keys(schema.items).length > 0 ? `array of ${typeOf(schema.items as Json)}` : "array";
  if (schema.type === "object" && schema.propertyNames) return "map";
  return typeof schema.type === "string" ? schema.type : "any";
}

export function constraintsOf(schema: Json): string[] {
  const out: string[] = [];
  for (const variant of variantsOf(schema)) {
    const bounds: Array<[string, string]> = [
      ["minimum", ">="],
      ["exclusiveMinimum", ">"],
      ["maximum", "<="],
      ["exclusiveMaximum", "<"],
    ];
    for (const [key, symbol] of bounds) {
      if (typeof variant[key] === "number" && !isSafeIntegerBound(variant[key])) out.push(`${symbol} ${String(variant[key])}`);
    }
    if (typeof variant.minItems === "number") out.push(`at least ${String(variant.minItems)} item(s)`);
    if (typeof variant.maxItems === "number") out.push(`at most ${String(variant.maxItems)} items`);
    if (typeof variant.minLength === "number") out.push(`at least ${String(variant.minLength)} character(s)`);
    const items = variant.items as Json | undefined;
    if (variant.type === "array" && items) out.push(...constraintsOf(items).map((constraint) => `each ${constraint}`));
  }
  return [...new Set(out)];
}

function curl(method: string, path: string, baseUrl: string, isOpen: boolean, example: unknown): string {
  const lines = [`curl${method === "get" ? "" : ` -X ${method.toUpperCase()}`} ${baseUrl}${path}`];
  if (!isOpen) lines.push(`  -H "Authorization: Bearer $PAGODA_API_KEY"`);
  if (example !== undefined) {
    lines.push(`  -H "Content-Type: application/json"`);
    // Examples hold no single quote, so the JSON goes in one shell quote as is.
    lines.push(`  -d '${JSON.stringify(example)}'`);
  }
  return lines.join(" \\\n");
}

const css = `body{font:15px/1.5 system-ui,sans-serif;margin:0;color:#1b1f24;background:#fafafa}
main{max-width:60rem;margin:0 auto;padding:1rem 1.5rem 4rem}
h1{font-size:1.6rem}h2{font-size:1.25rem;margin-top:2.5rem;border-bottom:1px solid #ddd;padding-bottom:.3rem}h3{font-size:1rem;margin-bottom:.3rem}
code,pre{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.9em}
pre{background:#1b1f24;color:#e6edf3;padding:.8rem 1rem;border-radius:6px;overflow-x:auto}
table{border-collapse:collapse;width:100%;font-size:.9em}th,td{text-align:left;vertical-align:top;border-bottom:1px solid #e3e3e3;padding:.3rem .5rem}
th{background:#f0f0f0}.required{color:#b42318;font-size:.8em}
.method{display:inline-block;min-width:3.5rem;text-align:center;border-radius:4px;color:#fff;font-size:.8em;padding:.1rem .4rem}
.method.get{background:#1a7f37}.method.post{background:#0969da}`;
