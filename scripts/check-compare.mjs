#!/usr/bin/env node
// Puts `pagoda check --json` reports of several servers side by side as one
// Markdown table: node scripts/check-compare.mjs pagoda=a.json llama-server=b.json
import { readFileSync } from "node:fs";

const reports = process.argv.slice(2).map((arg) => {
  const at = arg.indexOf("=");
  if (at < 1) throw new Error(`usage: check-compare.mjs LABEL=REPORT.json ... (got '${arg}')`);
  return { label: arg.slice(0, at), report: JSON.parse(readFileSync(arg.slice(at + 1), "utf8")) };
});
if (reports.length === 0) {
  console.error("usage: node scripts/check-compare.mjs LABEL=REPORT.json [LABEL=REPORT.json ...]");
  process.exit(2);
}

const cell = (result) => {
  if (!result) return "–";
  if (result.status === "PASS") return "PASS";
  const reason = (result.reason ?? "").replace(/\|/g, "\\|").replace(/\s+/g, " ");
  const prefix = result.status === "FAIL" ? "expected " : "";
  return `**${result.status}**${reason ? `: ${prefix}${reason.length > 90 ? `${reason.slice(0, 90)}…` : reason}` : ""}`;
};

const byId = reports.map(({ report }) => new Map(report.results.map((result) => [result.id, result])));
console.log(`| group | probe | ${reports.map(({ label }) => label).join(" | ")} |`);
console.log(`|---|---|${reports.map(() => "---").join("|")}|`);
for (const result of reports[0].report.results) {
  console.log(`| ${result.group} | [\`${result.id}\`](${result.doc}) | ${byId.map((map) => cell(map.get(result.id))).join(" | ")} |`);
}
const counts = ({ summary }) => `${summary.pass} pass, ${summary.fail} fail, ${summary.unsupported} unsupported, ${summary.skip} skip`;
console.log(`| | **total** | ${reports.map(({ report }) => counts(report)).join(" | ")} |`);
