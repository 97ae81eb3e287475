import assert from "node:assert/strict";
import { test } from "node:test";
import { DownloadProgress, formatBar, formatBytes, formatDuration, formatProgress, type ProgressSink } from "./download-progress.js";

function recordingSink(isTTY: boolean): ProgressSink & { text: string } {
  const sink = { isTTY, text: "", write: (t: string) => void (sink.text += t) };
  return sink;
}

test("bytes, durations, bar", () => {
  assert.equal(formatBytes(0), "0 B");
  assert.equal(formatBytes(1023), "1023 B");
  assert.equal(formatBytes(1536), "1.50 KiB");
  assert.equal(formatBytes(397.8 * 1024 * 1024), "398 MiB");
  assert.equal(formatBytes(4.2 * 1024 ** 3), "4.20 GiB");
  assert.equal(formatDuration(0.4), "0s");
  assert.equal(formatDuration(65), "1m05s");
  assert.equal(formatDuration(7322), "2h02m");
  assert.equal(formatBar(50, 100, 10), "[#####.....] ");
  assert.equal(formatBar(5, null), "");
});

test("a progress line has bytes, total, percentage, rate and ETA when known", () => {
  const mib = 1024 * 1024;
  assert.equal(formatProgress({ bytes: 25 * mib, total: 100 * mib, rate: 5 * mib }), "25.0 MiB / 100 MiB  25%  5.00 MiB/s  ETA 15s");
  assert.equal(formatProgress({ bytes: 25 * mib, total: null, rate: null }), "25.0 MiB");
  assert.equal(formatProgress({ bytes: 100, total: 100, rate: 50 }), "100 B / 100 B  100%  50 B/s");
});

test("without a TTY: a start line, a line per interval, a final line; rate excludes resumed bytes", () => {
  let now = 0;
  const sink = recordingSink(false);
  const mib = 1024 * 1024;
  const progress = new DownloadProgress({ label: "m.gguf", total: 10 * mib, sink, now: () => now, lineIntervalMs: 2000 });
  progress.start(2 * mib);
  progress.update(3 * mib); // first update draws at once
  now = 1000;
  progress.update(4 * mib); // within the interval: silent
  now = 2000;
  progress.update(6 * mib);
  now = 3000;
  progress.update(8 * mib); // within the interval: silent
  now = 4000;
  progress.finish(); // always draws the last state
  progress.finish(); // and never twice
  assert.deepEqual(sink.text.split("\n"), [
    "downloading m.gguf (10.0 MiB, resuming at 2.00 MiB)",
    "  m.gguf: 3.00 MiB / 10.0 MiB  30%",
    "  m.gguf: 6.00 MiB / 10.0 MiB  60%  2.00 MiB/s  ETA 2s",
    "  m.gguf: 8.00 MiB / 10.0 MiB  80%  1.50 MiB/s  ETA 1s",
    "",
  ]);
});

test("on a TTY the bar is redrawn in place and ends with a newline", () => {
  let now = 0;
  const sink = recordingSink(true);
  const progress = new DownloadProgress({ label: "m.gguf", total: 100, sink, now: () => now });
  progress.start(0);
  now = 1000;
  progress.update(50);
  now = 1050;
  progress.update(60); // under 100 ms: not redrawn
  now = 2000;
  progress.update(100);
  progress.finish();
  const redraws = sink.text.split("\r\x1b[K").slice(1);
  assert.equal(redraws.length, 2);
  assert.match(redraws[0], /^ {2}\[#{12}\.{12}\] 50 B \/ 100 B {2}50% {2}50 B\/s {2}ETA 1s$/);
  assert.match(redraws[1], /100%.*\n$/);
  assert.ok(!sink.text.slice(0, -1).includes("\n", sink.text.indexOf("\r")), "no newline between redraws");
});
