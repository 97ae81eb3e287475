/** API-key check: Bearer tokens compared in constant time (hashing first equalizes lengths). */
import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { AuthenticationError } from "../errors.js";

const digest = (value: string) => createHash("sha256").update(value).digest();

export class ApiKeyCheck {
  private readonly keyDigests: Buffer[];

  constructor(keys: readonly string[]) {
    this.keyDigests = keys.map(digest);
  }

  get isEnabled(): boolean {
    return this.keyDigests.length > 0;
  }

  /** Throws AuthenticationError unless the request carries one of the keys. */
  verify(request: IncomingMessage): void {
    if (!this.isEnabled) return;
    const header = request.headers.authorization ?? "";
    const match = /^Bearer\s+(.+)$/i.exec(header.trim());
    const offered = digest(match ? match[1] : "");
    // Every key is compared, so timing does not reveal which one matched.
    let isValid = false;
    for (const keyDigest of this.keyDigests) isValid = timingSafeEqual(keyDigest, offered) || isValid;
    if (!isValid) throw new AuthenticationError();
  }
}
