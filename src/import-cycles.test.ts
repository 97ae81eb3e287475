/**
 * No import cycle in src/, type-only imports included: a cycle means two
 * modules are one concept split in two, or a shared piece with no home of its
 * own (the cure is to move that piece, as planned-tensor.ts and asInternals in
 * addon-types.ts were). Reads the TypeScript sources with the compiler's own
 * import scanner, so comments and strings cannot fool it.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { test } from "node:test";
import ts from "typescript";
import { repoRoot } from "./testing/paths.js";

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return name.endsWith(".ts") && !name.endsWith(".d.ts") ? [path] : [];
  });
}

/** Each file's relative imports (static, dynamic, type-only, re-exports), resolved to .ts paths. */
export function importGraph(files: string[], read: (path: string) => string): Map<string, string[]> {
  const known = new Set(files);
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const imported = ts.preProcessFile(read(file), true, true).importedFiles.map((ref) => ref.fileName);
    const targets = imported
      .filter((name) => name.startsWith("."))
      .map((name) => resolve(dirname(file), name).replace(/\.js$/, ".ts"))
      .filter((path) => known.has(path));
    graph.set(file, [...new Set(targets)]);
  }
  return graph;
}

/** The strongly connected components with more than one file, or a file importing itself (Tarjan). */
export function cyclesOf(graph: Map<string, string[]>): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const visit = (node: string): void => {
    index.set(node, counter);
    low.set(node, counter++);
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node) ?? []) {
      if (!index.has(next)) {
        visit(next);
        low.set(node, Math.min(low.get(node)!, low.get(next)!));
      } else if (onStack.has(next)) {
        low.set(node, Math.min(low.get(node)!, index.get(next)!));
      }
    }
    if (low.get(node) !== index.get(node)) return;
    const component: string[] = [];
    let member: string;
    do {
      member = stack.pop()!;
      onStack.delete(member);
      component.push(member);
    } while (member !== node);
    if (component.length > 1 || graph.get(node)?.includes(node)) cycles.push(component.sort());
  };
  for (const node of graph.keys()) if (!index.has(node)) visit(node);
  return cycles;
}

test("finds a cycle through a type-only import, and none in a chain", () => {
  const files = ["/s/a.ts", "/s/b.ts", "/s/c.ts"];
  const sources: Record<string, string> = {
    "/s/a.ts": 'import { b } from "./b.js";',
    "/s/b.ts": 'import type { A } from "./a.js";\n// import { c } from "./c.js";',
    "/s/c.ts": 'export { b } from "./b.js"; const x = "import \'./a.js\'";',
  };
  const graph = importGraph(files, (path) => sources[path]);
  assert.deepEqual(cyclesOf(graph), [["/s/a.ts", "/s/b.ts"]]);
  sources["/s/b.ts"] = "export const b = 1;";
  assert.deepEqual(cyclesOf(importGraph(files, (path) => sources[path])), []);
});

test("src/ has no import cycle", () => {
  const src = join(repoRoot, "src");
  const graph = importGraph(sourceFiles(src), (path) => readFileSync(path, "utf8"));
  assert.ok(graph.size > 100, `read only ${graph.size} source files from ${src}`);
  const cycles = cyclesOf(graph).map((cycle) => cycle.map((file) => relative(src, file)).join(" <-> "));
  assert.deepEqual(cycles, []);
});
