/**
 * Download progress on stderr: a bar redrawn in place on a terminal, plain lines
 * every few seconds otherwise (logs, CI, `docker logs`). The clock is injected so
 * formatting and pacing are testable without timers.
 */

export interface ProgressSink {
  isTTY: boolean;
  write(text: string): void;
}

export interface ProgressSnapshot {
  bytes: number;
  total: number | null;
  /** Bytes per second over this session (resumed bytes excluded), or null before any. */
  rate: number | null;
}

const units = ["B", "KiB", "MiB", "GiB", "TiB"];

export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(value < 10 ? 2 : value < 100 ? 1 : 0)} ${units[unit]}`;
}

export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}

/** "12.3 MiB / 45.6 MiB  27%  3.40 MiB/s  ETA 10s" (parts unknown so far are left out). */
export function formatProgress({ bytes, total, rate }: ProgressSnapshot): string {
  const parts = [total !== null ? `${formatBytes(bytes)} / ${formatBytes(total)}` : formatBytes(bytes)];
  if (total !== null && total > 0) parts.push(`${Math.floor((bytes / total) * 100)}%`);
  if (rate !== null) {
    parts.push(`${formatBytes(Math.round(rate))}/s`);
    if (total !== null && rate > 0 && bytes < total) parts.push(`ETA ${formatDuration((total - bytes) / rate)}`);
  }
  return parts.join("  ");
}

export function formatBar(bytes: number, total: number | null, width = 24): string {
  if (total === null || total <= 0) return "";
  const filled = Math.min(width, Math.floor((bytes / total) * width));
  return `[${"#".repeat(filled)}${".".repeat(width - filled)}] `;
}

export interface DownloadProgressOptions {
  label: string;
  total: number | null;
  sink: ProgressSink;
  now: () => number;
  /** Minimum time between plain lines (the terminal bar redraws every 100 ms). */
  lineIntervalMs?: number;
}

export class DownloadProgress {
  private startedAt = 0;
  private startBytes = 0;
  private bytes = 0;
  private lastDrawAt = -Infinity;
  private lastDrawnBytes = -1;
  private readonly intervalMs: number;

  constructor(private readonly options: DownloadProgressOptions) {
    this.intervalMs = options.sink.isTTY ? 100 : (options.lineIntervalMs ?? 2000);
  }

  /** `resumedBytes` already on disk count toward the total, not toward the rate. */
  start(resumedBytes: number): void {
    this.startedAt = this.options.now();
    this.startBytes = resumedBytes;
    this.bytes = resumedBytes;
    const resumed = resumedBytes > 0 ? `, resuming at ${formatBytes(resumedBytes)}` : "";
    const size = this.options.total !== null ? ` (${formatBytes(this.options.total)}${resumed})` : resumed ? ` (${resumed.slice(2)})` : "";
    this.options.sink.write(`downloading ${this.options.label}${size}\n`);
  }

  update(bytes: number): void {
    this.bytes = bytes;
    const now = this.options.now();
    if (now - this.lastDrawAt < this.intervalMs) return;
    this.lastDrawAt = now;
    this.draw(now);
  }

  finish(): void {
    if (this.lastDrawnBytes !== this.bytes) this.draw(this.options.now());
    if (this.options.sink.isTTY) this.options.sink.write("\n");
  }

  /** Ends a terminal bar's line so an error message starts on its own. */
  fail(): void {
    if (this.options.sink.isTTY && this.lastDrawAt > -Infinity) this.options.sink.write("\n");
  }

  snapshot(now: number): ProgressSnapshot {
    const elapsedSeconds = (now - this.startedAt) / 1000;
    const rate = elapsedSeconds > 0 ? (this.bytes - this.startBytes) / elapsedSeconds : null;
    return { bytes: this.bytes, total: this.options.total, rate };
  }

  private draw(now: number): void {
    this.lastDrawnBytes = this.bytes;
    const line = formatProgress(this.snapshot(now));
    if (this.options.sink.isTTY) this.options.sink.write(`\r\x1b[K  ${formatBar(this.bytes, this.options.total)}${line}`);
    else this.options.sink.write(`  ${this.options.label}: ${line}\n`);
  }
}

export const stderrSink: ProgressSink = {
  get isTTY() {
    return process.stderr.isTTY === true;
  },
  write: (text) => void process.stderr.write(text),
};
