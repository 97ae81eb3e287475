/**
 * --ssl-keyfile / --ssl-certfile: the PEM files read and checked at start-up,
 * so a wrong path or a key that does not match its certificate is a one-line
 * usage error, not a stack trace on the first connection.
 */
import { readFile } from "node:fs/promises";
import { createSecureContext } from "node:tls";
import { UsageError } from "../errors.js";

export interface TlsFiles {
  key: Buffer;
  cert: Buffer;
}

export async function readTlsFiles(keyfile: string, certfile: string): Promise<TlsFiles> {
  const key = await readPem(keyfile, "--ssl-keyfile");
  const cert = await readPem(certfile, "--ssl-certfile");
  try {
    createSecureContext({ key, cert });
  } catch (error) {
    throw new UsageError(`--ssl-keyfile ${keyfile} and --ssl-certfile ${certfile} are not a usable PEM key and certificate pair: ${(error as Error).message}`);
  }
  return { key, cert };
}

async function readPem(path: string, flag: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new UsageError(`cannot read ${flag} ${path} (${reason})`);
  }
}
