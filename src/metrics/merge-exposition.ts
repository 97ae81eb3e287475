/**
 * Several registries' Prometheus text as one exposition: with one registry per
 * served model, each family's HELP and TYPE lines must appear once, followed
 * by every model's samples (a second TYPE line for a name is a scrape error).
 */
export function mergeExpositions(texts: readonly string[]): string {
  const families = new Map<string, { header: string[]; samples: string[] }>();
  for (const text of texts) {
    let current: { header: string[]; samples: string[] } | undefined;
    for (const line of text.split("\n")) {
      if (line === "") continue;
      const header = /^# (HELP|TYPE) (\S+)/.exec(line);
      if (header) {
        const name = header[2];
        current = families.get(name);
        if (!current) {
          current = { header: [], samples: [] };
          families.set(name, current);
        }
        if (current.header.length < 2 && !current.header.some((seen) => seen.startsWith(`# ${header[1]} `))) current.header.push(line);
        continue;
      }
      if (!current) throw new Error(`a metrics sample before any HELP/TYPE line: ${line}`);
      current.samples.push(line);
    }
  }
  return [...families.values()].map((family) => [...family.header, ...family.samples].join("\n") + "\n").join("");
}
