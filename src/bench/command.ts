/** `pagoda bench <serve|compare>`: the subcommand's run and --help. */
import { compareCommand, compareHelp } from "./compare.js";
import { benchCommand, benchHelp } from "./serve.js";

export async function benchMain(args: string[]): Promise<void> {
  if (args[0] === "compare") return compareCommand(args.slice(1));
  return benchCommand(args);
}

/** The help of `pagoda bench SUB --help`: compare's for compare, else serve's. */
export function benchHelpFor(sub: string | undefined): string {
  return sub === "compare" ? compareHelp() : benchHelp();
}
