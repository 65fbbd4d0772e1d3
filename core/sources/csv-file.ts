/**
 * Streams a CSV file we ship (an npm package's data file) as objects keyed by its header,
 * with csv-parse: fast, and these files are known to be well formed. Uploaded files, which
 * are not, go through rows.ts instead.
 */
import { createReadStream, existsSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { parse } from "csv-parse";
import { SourceError } from "./types.ts";

/**
 * Path of a data file inside an installed npm package, e.g. ("vega-datasets", "data/stocks.csv").
 * Looked up along node_modules folders rather than through `require.resolve`, because packages
 * with an `exports` map don't export their data files or package.json.
 */
export function packageFile(pkg: string, file: string): string {
  const folders = createRequire(import.meta.url).resolve.paths(pkg) ?? [];
  const root = folders
    .map((folder) => join(folder, pkg))
    .find((dir) => existsSync(join(dir, "package.json")));
  if (!root) throw new SourceError(`the npm package "${pkg}" is not installed (run npm install)`);
  const path = join(root, file);
  if (!existsSync(path)) throw new SourceError(`${pkg} has no ${file} (expected at ${path})`);
  return path;
}

/** Rows of a CSV file as `{column: cell}` string objects, in file order; at most `limit`. */
export async function* readCsvFile(
  path: string,
  limit = Number.POSITIVE_INFINITY,
): AsyncGenerator<Record<string, string>> {
  if (limit <= 0) return;
  const parser = createReadStream(path).pipe(parse({ columns: true, bom: true }));
  let count = 0;
  try {
    for await (const row of parser) {
      yield row as Record<string, string>;
      if (++count >= limit) break;
    }
  } finally {
    parser.destroy();
  }
}
