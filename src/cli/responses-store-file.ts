/**
 * --responses-store PATH: the response store read at start and written back
 * (atomically: a temporary file renamed over the old one) shortly after each
 * change and once more at shutdown. PATH is a file, or a folder that gets
 * `responses.json` in it.
 */
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { ResponseStore, StoredResponse } from "../protocol/responses-store.js";
import { UsageError } from "../errors.js";
import { serverLog } from "../logger.js";

const saveDelayMs = 1000;
const formatVersion = 1;

export class ResponseStoreFile {
  private readonly file: string;
  private timer: NodeJS.Timeout | null = null;

  constructor(path: string, private readonly store: ResponseStore) {
    this.file = isFolder(path) ? join(path, "responses.json") : path;
  }

  /** Loads what an earlier run saved (nothing when the file does not exist yet); then saves after every change. */
  open(): number {
    let text: string | null = null;
    try {
      text = readFileSync(this.file, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw new UsageError(`--responses-store: cannot read ${this.file}: ${(error as Error).message}`);
    }
    if (text !== null) {
      let saved: { version?: unknown; entries?: unknown };
      try {
        saved = JSON.parse(text);
      } catch {
        throw new UsageError(`--responses-store: ${this.file} is not a response store file (invalid JSON)`);
      }
      if (saved.version !== formatVersion || !Array.isArray(saved.entries)) throw new UsageError(`--responses-store: ${this.file} is not a response store file`);
      this.store.restore(saved.entries as StoredResponse[]);
    }
    this.store.onChange = () => this.scheduleSave();
    return this.store.size;
  }

  /** Writes now (shutdown). */
  save(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const temporary = `${this.file}.${process.pid}.tmp`;
    writeFileSync(temporary, JSON.stringify({ version: formatVersion, entries: this.store.snapshot() }));
    renameSync(temporary, this.file);
  }

  private scheduleSave(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      try {
        this.save();
      } catch (error) {
        serverLog.error({ err: error }, `could not save the response store to ${this.file}`);
      }
    }, saveDelayMs);
    this.timer.unref();
  }
}

function isFolder(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    if (path.endsWith("/")) {
      mkdirSync(path, { recursive: true });
      return true;
    }
    return false;
  }
}
