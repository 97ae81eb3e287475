/** pagoda's version, from package.json (three levels above dist/src/cli/). */
import { readFileSync } from "node:fs";

const packageJsonUrl = new URL("../../../package.json", import.meta.url);
export const packageVersion: string = JSON.parse(readFileSync(packageJsonUrl, "utf8")).version;
