import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { withFileLock } from "./file-lock.js";

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), "pagoda-lock-"));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

test("holders in one process run one after the other, and the lock is gone afterwards", async () => {
  const lock = join(dir, "a.lock");
  const events: string[] = [];
  let waits = 0;
  const holder = (name: string) =>
    withFileLock(lock, () => waits++, async () => {
      events.push(`${name} in`);
      assert.equal(await readFile(lock, "utf8"), String(process.pid));
      await new Promise((resolve) => setImmediate(resolve));
      events.push(`${name} out`);
    });
  await Promise.all([holder("first"), holder("second")]);
  // Either may win the race for the file; what matters is that they never overlap.
  const [winner, loser] = events[0] === "first in" ? ["first", "second"] : ["second", "first"];
  assert.deepEqual(events, [`${winner} in`, `${winner} out`, `${loser} in`, `${loser} out`]);
  assert.equal(waits, 1);
  await assert.rejects(stat(lock));
});

test("a lock left by a dead process, or by an earlier process with our pid, is taken over", async () => {
  const dead = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" });
  for (const pid of [dead.stdout, String(process.pid)]) {
    const lock = join(dir, `stale-${pid}.lock`);
    await writeFile(lock, pid);
    let waited = false;
    assert.equal(await withFileLock(lock, () => (waited = true), async () => "ran"), "ran");
    assert.equal(waited, false);
  }
});
