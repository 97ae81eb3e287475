/** pagoda's version, from package.json. */
import { readFileSync } from "node:fs";
import { repoRoot } from "../testing/paths.js";

export const packageVersion: string = JSON.parse(readFileSync(`${repoRoot}/package.json`, "utf8")).version;
