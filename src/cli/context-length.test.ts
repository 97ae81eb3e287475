import assert from "node:assert/strict";
import { test } from "node:test";
import { defaultMaxModelLenWithoutPool, resolveMaxModelLen } from "./context-length.js";
import { UsageError } from "../errors.js";

const base = { requested: null, trainContextLength: 32768, allowLong: false, isKvPoolAvailable: false, modelName: "m" };

test("without --max-model-len: the trained context with a KV pool, capped without one", () => {
  assert.equal(resolveMaxModelLen({ ...base, isKvPoolAvailable: true }), 32768);
  assert.equal(resolveMaxModelLen(base), defaultMaxModelLenWithoutPool);
  assert.equal(resolveMaxModelLen({ ...base, trainContextLength: 2048 }), 2048);
});

test("a --max-model-len up to the trained context is taken as given", () => {
  assert.equal(resolveMaxModelLen({ ...base, requested: 32768 }), 32768);
  assert.equal(resolveMaxModelLen({ ...base, requested: 100 }), 100);
});

test("a --max-model-len above the trained context is refused, naming both numbers and the override", () => {
  assert.throws(
    () => resolveMaxModelLen({ ...base, requested: 100000, trainContextLength: 2048, modelName: "tiny" }),
    (error: unknown) =>
      error instanceof UsageError &&
      /--max-model-len 100000/.test(error.message) &&
      /2048 tokens model tiny/.test(error.message) &&
      /--allow-long-max-model-len/.test(error.message) &&
      /PAGODA_ALLOW_LONG_MAX_MODEL_LEN=1/.test(error.message),
  );
});

test("--allow-long-max-model-len lets a longer context through", () => {
  assert.equal(resolveMaxModelLen({ ...base, requested: 100000, trainContextLength: 2048, allowLong: true }), 100000);
});
