/**
 * Chooses the GGUF file(s) of a repository for a quantization, the way
 * `llama-server -hf ORG/REPO:QUANT` does: by the quant name in the file name,
 * case-insensitive, with every part of a split model (`-00001-of-00003.gguf`).
 */

/** Without a quant, the first of these that the repository has; then its first GGUF. */
export const defaultQuantPreference = ["Q4_K_M", "Q8_0"] as const;

export interface PickedFiles {
  /** All files to download, in part order; llama.cpp is given the first. */
  files: string[];
  /** The quant as it appears in the file name, or null when none was recognised. */
  quant: string | null;
  /** Why these files, for the log ("Q4_K_M, the default" ...). */
  reason: string;
}

const splitPattern = /-(\d{5})-of-(\d{5})\.gguf$/i;

export interface SplitPart {
  index: number;
  count: number;
  /** The name without the part suffix, shared by all parts. */
  stem: string;
}

export function splitPartOf(file: string): SplitPart | null {
  const match = splitPattern.exec(file);
  if (!match) return null;
  return { index: Number(match[1]), count: Number(match[2]), stem: file.slice(0, match.index) };
}

/** Model weights only: projector (mmproj) and imatrix files are GGUFs too, but not models. */
export function isModelGguf(file: string): boolean {
  const name = file.split("/").pop()!.toLowerCase();
  return name.endsWith(".gguf") && !name.includes("mmproj") && !name.includes("imatrix");
}

/** `name` contains `quant` as a whole token: after start, `-`, `_`, `.` or `/`; before `-`, `.` or the end (quants contain `_`, so Q4_K never matches Q4_K_M). */
export function hasQuant(file: string, quant: string): boolean {
  const name = file.replace(splitPattern, ".gguf").toLowerCase();
  const q = quant.toLowerCase().replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return new RegExp(`(^|[-_./])${q}([-.]|$)`).test(name);
}

/** The quant named in a file name, e.g. "Q4_K_M", "IQ2_XS", "F16", "BF16". */
export function quantOfFile(file: string): string | null {
  const name = file.split("/").pop()!.replace(splitPattern, ".gguf");
  const match = /(?:^|[-_.])((?:I?Q\d(?:_[A-Z0-9]+)*)|BF16|F16|F32)(?=[-_.])/i.exec(name);
  return match ? match[1].toUpperCase() : null;
}

export function pickGgufFiles(allFiles: readonly string[], quant: string | null): PickedFiles | null {
  const ggufs = allFiles.filter(isModelGguf).sort();
  if (ggufs.length === 0) return null;
  if (quant !== null) {
    const first = ggufs.find((file) => hasQuant(file, quant) && (splitPartOf(file)?.index ?? 1) === 1);
    if (!first) return null;
    return { files: withParts(first, ggufs), quant: quant.toUpperCase(), reason: `${quant.toUpperCase()}, as asked` };
  }
  for (const preferred of defaultQuantPreference) {
    const picked = pickGgufFiles(ggufs, preferred);
    if (picked) return { ...picked, reason: `${preferred}, the default quant; name another with :QUANT` };
  }
  const first = ggufs.find((file) => (splitPartOf(file)?.index ?? 1) === 1) ?? ggufs[0];
  return { files: withParts(first, ggufs), quant: quantOfFile(first), reason: "the first GGUF: the repository has neither Q4_K_M nor Q8_0; name another with :QUANT" };
}

/** `first` and, when it is part 1 of a split model, its other parts. */
export function withParts(first: string, files: readonly string[]): string[] {
  const part = splitPartOf(first);
  if (!part) return [first];
  const parts = files.filter((file) => {
    const other = splitPartOf(file);
    return other !== null && other.stem === part.stem && other.count === part.count;
  });
  return parts.sort((a, b) => splitPartOf(a)!.index - splitPartOf(b)!.index);
}

/** The quants a repository offers, for "not found" messages. */
export function availableQuants(allFiles: readonly string[]): string[] {
  const quants = allFiles.filter(isModelGguf).map(quantOfFile).filter((q): q is string => q !== null);
  return [...new Set(quants)].sort();
}
