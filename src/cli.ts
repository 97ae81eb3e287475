#!/usr/bin/env node
/** pagoda's command line: `serve`, `generate-model`, `pull`, `ls`, `rm`, `bench`, `check`. */
import { UsageError } from "./errors.js";
import { serve } from "./cli/serve.js";
import { parseServeArgs, serveHelp } from "./cli/serve-config.js";
import { generateModelCommand, generateModelHelp } from "./cli/generate-model-command.js";
import { benchHelpFor, benchMain } from "./bench/command.js";
import { pullCommand, pullHelp } from "./cli/pull-command.js";
import { lsCommand, lsHelp } from "./cli/ls-command.js";
import { rmCommand, rmHelp } from "./cli/rm-command.js";
import { checkCommand, checkHelp } from "./check/command.js";

const commands: Record<string, { run: (args: string[]) => Promise<void>; help: string }> = {
  serve: { run: (args) => serve(parseServeArgs(args, process.env)), help: serveHelp() },
  "generate-model": { run: generateModelCommand, help: generateModelHelp() },
  pull: { run: pullCommand, help: pullHelp() },
  ls: { run: lsCommand, help: lsHelp() },
  rm: { run: rmCommand, help: rmHelp() },
  check: { run: checkCommand, help: checkHelp() },
  bench: {
    run: benchMain,
    get help() {
      return benchHelpFor(process.argv[3]); // the subcommand: argv is [node, cli, "bench", sub, ...]
    },
  },
};

const usage = `Usage: pagoda <command> [flags]

Commands:
  serve            serve a GGUF model with an OpenAI-compatible API
  pull MODEL       download a model (hf:ORG/REPO:QUANT, ORG/REPO, URL) into the cache
  ls               list cached models (--discover: also Ollama's, LM Studio's, Hugging Face's)
  rm MODEL         remove a model from the cache
  generate-model   write one of pagoda's generated test/benchmark models
  bench serve      load-test an OpenAI-compatible server (like vllm bench serve)
  bench compare    the same load on several servers and concurrencies, side by side
  check            conformance report: how an OpenAI-compatible server implements the API

Run 'pagoda <command> --help' for a command's flags.`;

async function main(argv: string[]): Promise<void> {
  const [name, ...args] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    console.log(usage);
    return;
  }
  const command = commands[name];
  if (!command) throw new UsageError(`unknown command '${name}'\n\n${usage}`);
  if (args.includes("--help") || args.includes("-h")) {
    console.log(command.help);
    return;
  }
  await command.run(args);
}

main(process.argv.slice(2)).catch((error: unknown) => {
  if (error instanceof UsageError) console.error(`pagoda: ${error.message}`);
  else console.error(`pagoda: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(error instanceof UsageError ? 2 : 1);
});
