/**
 * A lock file beside a download (`<file>.lock`, holding the owner's pid) so two
 * pagoda processes pulling the same file never write the same `.part`: the second
 * waits, then finds the file complete. A lock whose owner has died is taken over.
 */
import { open, readFile, rm } from "node:fs/promises";

const pollMs = 200;
/** Locks this process holds: a lock file with our own pid that is not in here was left by an earlier process that had the same pid (pid 1 in a restarted container). */
const heldHere = new Set<string>();

export async function withFileLock<T>(lockPath: string, onWait: () => void, body: () => Promise<T>): Promise<T> {
  let hasWaited = false;
  for (;;) {
    try {
      const handle = await open(lockPath, "wx");
      // Marked held before the pid is written: another holder in this process
      // reading our pid in between must not take it for an earlier process's.
      heldHere.add(lockPath);
      try {
        await handle.writeFile(String(process.pid));
      } catch (writeError) {
        await release(lockPath);
        throw writeError;
      } finally {
        await handle.close();
      }
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      if (await isStale(lockPath)) {
        await rm(lockPath, { force: true });
        continue;
      }
      if (!hasWaited) onWait();
      hasWaited = true;
      await new Promise((resolve) => setTimeout(resolve, pollMs));
    }
  }
  try {
    return await body();
  } finally {
    await release(lockPath);
  }
}

async function release(lockPath: string): Promise<void> {
  heldHere.delete(lockPath);
  await rm(lockPath, { force: true });
}

async function isStale(lockPath: string): Promise<boolean> {
  const pid = Number(await readFile(lockPath, "utf8").catch(() => ""));
  // An empty lock is one being written this instant: not stale.
  if (!Number.isInteger(pid) || pid <= 0) return false;
  if (pid === process.pid) return !heldHere.has(lockPath);
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "ESRCH";
  }
}
