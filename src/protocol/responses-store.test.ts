import assert from "node:assert/strict";
import { test } from "node:test";
import type { WireItem } from "./responses-input.js";
import type { ResponseBody } from "./responses-output.js";
import { ResponseStore } from "./responses-store.js";

function response(id: string, text = "x".repeat(100)): ResponseBody {
  return {
    id, object: "response", created_at: 0, status: "completed", model: "m", error: null, incomplete_details: null, instructions: null, metadata: {},
    parallel_tool_calls: true, temperature: 1, top_p: 1, tool_choice: "auto", tools: [],
    output: [{ type: "message", id: `msg_${id}`, role: "assistant", status: "completed", content: [{ type: "output_text", text, annotations: [] }] }],
  };
}
const input = (id: string): WireItem[] => [{ type: "message", id: `in_${id}`, role: "user", content: "hi" }];

function storeWith(maxBytes: number, ttlMs = 0) {
  const clock = { nowMs: 0 };
  return { clock, store: new ResponseStore({ maxBytes, ttlMs, now: () => clock.nowMs }) };
}

test("past the byte bound the least recently used go first, and memory stays within it", () => {
  const { store: probe } = storeWith(1e9);
  probe.put(response("a"), input("a"));
  const entryBytes = probe.numBytes;
  const { store } = storeWith(entryBytes * 3);
  for (const id of ["a", "b", "c"]) store.put(response(id), input(id));
  assert.ok(store.get("a")); // a is now the most recently used; b the least
  store.put(response("d"), input("d"));
  assert.equal(store.get("b"), undefined);
  assert.equal(store.absence("b"), "evicted");
  assert.deepEqual(["a", "c", "d"].map((id) => Boolean(store.get(id))), [true, true, true]);
  assert.ok(store.numBytes <= entryBytes * 3);
  for (const id of "efghijklmnopqrstuvwxyz") {
    store.put(response(id), input(id));
    assert.ok(store.numBytes <= entryBytes * 3);
  }
  assert.equal(store.size, 3);
});

test("items are found by id while their response is stored, and gone with it", () => {
  const { store } = storeWith(1e9);
  store.put(response("a"), input("a"));
  assert.equal(store.item("msg_a")?.type, "message");
  assert.equal(store.item("in_a")?.role, "user");
  assert.ok(store.delete("a"));
  assert.equal(store.item("msg_a"), undefined);
  assert.equal(store.absence("a"), "unknown");
  assert.equal(store.delete("a"), false);
});

test("entries expire after the TTL (injected clock)", () => {
  const { clock, store } = storeWith(1e9, 1000);
  store.put(response("a"), input("a"));
  clock.nowMs = 999;
  assert.ok(store.get("a"));
  clock.nowMs = 1000;
  assert.equal(store.get("a"), undefined);
  assert.equal(store.absence("a"), "evicted");
  assert.equal(store.numBytes, 0);
});

test("a snapshot restores into an equal store, least recently used first", () => {
  const { store } = storeWith(1e9);
  for (const id of ["a", "b", "c"]) store.put(response(id), input(id));
  store.get("a");
  const { store: copy } = storeWith(1e9);
  copy.restore(JSON.parse(JSON.stringify(store.snapshot())));
  assert.deepEqual(copy.snapshot().map((entry) => entry.response.id), ["b", "c", "a"]);
  assert.equal(copy.numBytes, store.numBytes);
  assert.equal(copy.item("msg_c")?.id, "msg_c");
});

test("a single response larger than the bound is not kept", () => {
  const { store } = storeWith(50);
  store.put(response("big"), input("big"));
  assert.equal(store.size, 0);
  assert.equal(store.numBytes, 0);
});
