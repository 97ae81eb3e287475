/** The check's report: a terminal table, Markdown, or JSON; all end with the same summary. */
import type { ProbeResult } from "./run-probes.js";
import type { ProbeStatus } from "./probe.js";

const statuses: ProbeStatus[] = ["PASS", "FAIL", "UNSUPPORTED", "SKIP"];

export function summaryLine(results: readonly ProbeResult[]): string {
  const count = (status: ProbeStatus) => results.filter((result) => result.status === status).length;
  return `${results.length} probes: ${count("PASS")} passed, ${count("FAIL")} failed, ${count("UNSUPPORTED")} unsupported, ${count("SKIP")} skipped`;
}

/** One line per probe; a failure adds its evidence, an unsupported or skipped probe its reason. */
export function formatText(results: readonly ProbeResult[], header: string): string {
  const idWidth = Math.max(...results.map((result) => result.probe.id.length), 2);
  const lines = [header, ""];
  let group = "";
  for (const result of results) {
    if (result.probe.group !== group) {
      group = result.probe.group;
      lines.push(`[${group}]`);
    }
    lines.push(`  ${result.status.padEnd(11)} ${result.probe.id.padEnd(idWidth)}  ${result.probe.description}`);
    if (result.status === "FAIL") {
      const evidence = result.evidence;
      lines.push(`${" ".repeat(16)}expected: ${evidence?.expected ?? result.reason}`);
      if (evidence?.sent !== undefined) lines.push(`${" ".repeat(16)}sent:     ${clip(evidence.sent)}`);
      if (evidence?.got !== undefined) lines.push(`${" ".repeat(16)}got:      ${clip(evidence.got)}`);
      lines.push(`${" ".repeat(16)}docs:     ${result.probe.doc}`);
    } else if (result.reason !== undefined) {
      lines.push(`${" ".repeat(16)}${clip(result.reason)}`);
    }
  }
  lines.push("", summaryLine(results));
  return lines.join("\n");
}

export function formatMarkdown(results: readonly ProbeResult[], header: string): string {
  const lines = [`### ${header}`, "", "| group | probe | checks | result |", "|---|---|---|---|"];
  for (const result of results) {
    const note = result.status === "PASS" ? "" : `: ${clip(result.reason ?? "", 160)}`;
    lines.push(`| ${result.probe.group} | [\`${result.probe.id}\`](${result.probe.doc}) | ${escapeCell(result.probe.description)} | ${result.status}${escapeCell(note)} |`);
  }
  lines.push("", summaryLine(results));
  return lines.join("\n");
}

export function formatJson(results: readonly ProbeResult[], meta: Record<string, unknown>): string {
  const counts = Object.fromEntries(statuses.map((status) => [status.toLowerCase(), results.filter((result) => result.status === status).length]));
  return JSON.stringify(
    {
      ...meta,
      summary: { total: results.length, ...counts },
      results: results.map(({ probe, status, reason, evidence }) => ({ id: probe.id, group: probe.group, description: probe.description, doc: probe.doc, status, ...(reason !== undefined ? { reason } : {}), ...(evidence ? { evidence } : {}) })),
    },
    null,
    2,
  );
}

/** A one-line progress bar for a terminal (rewritten in place with \r). */
export function progressLine(numDone: number, numTotal: number, results: readonly ProbeResult[], width = 30): string {
  const filled = Math.round((numDone / numTotal) * width);
  const failed = results.filter((result) => result.status === "FAIL").length;
  return `\r[${"#".repeat(filled)}${".".repeat(width - filled)}] ${numDone}/${numTotal} probes${failed > 0 ? `, ${failed} failed` : ""}`;
}

function clip(value: unknown, max = 400): string {
  const text = typeof value === "string" ? value : JSON.stringify(value);
  return text.length > max ? `${text.slice(0, max)}... (${text.length} chars)` : text;
}

function escapeCell(text: string): string {
  return text.replace(/\|/g, "\\|").replace(/\n/g, " ");
}
