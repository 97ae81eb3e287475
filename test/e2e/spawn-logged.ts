/** A child process whose stdout and stderr are collected, for tests that start scripts rather than `pagoda serve`. */
import { spawn, type ChildProcess } from "node:child_process";

export interface LoggedProcess {
  child: ChildProcess;
  output: () => string;
  /** The exit code once it has exited (null when killed by a signal). */
  exited: Promise<number | null>;
  /** The first match of `pattern` in the output, as soon as it is printed; null if the process exits first. */
  firstMatch: (pattern: RegExp) => Promise<RegExpExecArray | null>;
}

export function spawnLogged(command: string, args: readonly string[], env: NodeJS.ProcessEnv = process.env): LoggedProcess {
  const child = spawn(command, args, { env, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  const append = (data: Buffer) => (output += data.toString());
  child.stdout!.on("data", append);
  child.stderr!.on("data", append);
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const firstMatch = (pattern: RegExp) =>
    new Promise<RegExpExecArray | null>((resolve) => {
      const check = () => {
        const match = pattern.exec(output);
        if (match) resolve(match);
        return match !== null;
      };
      if (check()) return;
      // Registered after `append`, so the output already holds the chunk.
      child.stdout!.on("data", check);
      child.stderr!.on("data", check);
      void exited.then(() => check() || resolve(null));
    });
  return { child, output: () => output, exited, firstMatch };
}
