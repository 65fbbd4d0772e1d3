/**
 * The benchmark's data: seeded election votes written once to an NDJSON file — one canonical
 * vote per line — so that every stage, the reference tools and the baseline read exactly the
 * same rows. The voters' records go to a file beside it: the transform stage registers them in
 * the warehouse (voters.ts), so the gold layer counts the votes; they never travel with the votes.
 */
import { once } from "node:events";
import { createReadStream, createWriteStream } from "node:fs";
import { createInterface } from "node:readline";
import { DEFAULT_CANDIDATES } from "../core/datasets/elections/generator.ts";
import { generatedElections } from "../core/datasets/elections/source.ts";
import type { SourceRecord } from "../core/sources/types.ts";

export interface VotesFile {
  readonly path: string;
  readonly count: number;
  readonly bytes: number;
  /** The voters of those votes, one record per line. */
  readonly votersPath: string;
}

/** Writes `count` votes (seeded) to `path`, one JSON object per line, and their voters beside it. */
export async function writeVotesFile(path: string, count: number, seed: number): Promise<VotesFile> {
  const votersPath = `${path}.voters`;
  const out = createWriteStream(path);
  const voters = createWriteStream(votersPath);
  let bytes = 0;
  // Turnout 1: every voter votes, so `count` is the number of votes measured.
  for await (const record of generatedElections({ count, seed, turnout: 1 }).records) {
    if (record.entity === "voters") {
      if (!voters.write(`${JSON.stringify(record.value)}\n`)) await once(voters, "drain");
      continue;
    }
    if (record.entity !== "votes") continue;
    const line = `${JSON.stringify(record.value)}\n`;
    bytes += Buffer.byteLength(line);
    if (!out.write(line)) await once(out, "drain");
  }
  for (const stream of [out, voters]) {
    stream.end();
    await once(stream, "finish");
  }
  return { path, count, bytes, votersPath };
}

/** The candidates, then the file's votes, as producer source records. */
export async function* voteRecords(file: VotesFile): AsyncGenerator<SourceRecord> {
  for (const candidate of DEFAULT_CANDIDATES) yield { entity: "candidates", value: candidate };
  for await (const line of readLines(file.path)) yield { entity: "votes", value: JSON.parse(line) };
}

/** The file's lines (votes as JSON text). */
export async function* readLines(path: string): AsyncGenerator<string> {
  const lines = createInterface({ input: createReadStream(path), crlfDelay: Number.POSITIVE_INFINITY });
  for await (const line of lines) if (line) yield line;
}
