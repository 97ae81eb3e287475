import assert from "node:assert/strict";
import { test } from "node:test";
import { EventSplitter } from "./sse.js";

const stream = 'data: {"a":1}\n\n: comment\n\ndata: {"b":"x\\ny"}\r\n\r\ndata: [DONE]\n\n';

test("events come out whole at every split point of the stream", () => {
  for (let cut = 0; cut <= stream.length; cut++) {
    const splitter = new EventSplitter();
    const events = [...splitter.push(stream.slice(0, cut)), ...splitter.push(stream.slice(cut))];
    assert.deepEqual(events, ['{"a":1}', '{"b":"x\\ny"}', "[DONE]"], `cut at ${cut}`);
  }
});

test("multi-line data joins with newlines; data without a space after the colon", () => {
  assert.deepEqual(new EventSplitter().push("data:one\ndata: two\n\n"), ["one\ntwo"]);
});
