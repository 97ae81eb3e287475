import assert from "node:assert/strict";
import { test } from "node:test";
import { mergeExpositions } from "./merge-exposition.js";

test("each family's HELP and TYPE appear once, followed by every registry's samples", () => {
  const a = '# HELP x_total X.\n# TYPE x_total counter\nx_total{model_name="a"} 1\n# HELP g G.\n# TYPE g gauge\ng{model_name="a"} 2\n';
  const b = '# HELP x_total X.\n# TYPE x_total counter\nx_total{model_name="b"} 3\n# HELP g G.\n# TYPE g gauge\ng{model_name="b"} 4\n';
  assert.equal(
    mergeExpositions([a, b]),
    '# HELP x_total X.\n# TYPE x_total counter\nx_total{model_name="a"} 1\nx_total{model_name="b"} 3\n' +
      '# HELP g G.\n# TYPE g gauge\ng{model_name="a"} 2\ng{model_name="b"} 4\n',
  );
  assert.equal(mergeExpositions([a]), a);
});
