import { writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { specsByEntity, toMessage } from "../../producer/validate.ts";
import type { SourceRecord } from "../../sources/types.ts";
import { DEFAULT_CANDIDATES, generateVoters } from "./generator.ts";
import { elections } from "./index.ts";
import { generatedElections, parseWindow } from "./source.ts";
import { US_STATES } from "./us-states.ts";

const window = { start: Date.parse("2026-11-03T12:00:00Z"), end: Date.parse("2026-11-04T12:00:00Z") };

async function collect(records: AsyncIterable<SourceRecord>): Promise<SourceRecord[]> {
  const out: SourceRecord[] = [];
  for await (const record of records) out.push(record);
  return out;
}

describe("elections generator", () => {
  it("gives the same records for the same seed and different ones for another seed", async () => {
    // Prepare
    const options = { count: 200, seed: 7, window };

    // Act
    const first = await collect(generatedElections(options).records);
    const again = await collect(generatedElections(options).records);
    const other = await collect(generatedElections({ ...options, seed: 8 }).records);

    // Assess
    expect(again).toEqual(first);
    expect(other).not.toEqual(first);
  });

  it("yields candidates first, then each voter followed by exactly one vote of theirs", async () => {
    // Prepare
    const count = 500;

    // Act
    const records = await collect(generatedElections({ count, seed: 1, window }).records);

    // Assess
    const candidates = DEFAULT_CANDIDATES.length;
    expect(records.slice(0, candidates).map((r) => r.entity)).toEqual(Array(candidates).fill("candidates"));
    const rest = records.slice(candidates);
    expect(rest).toHaveLength(2 * count);
    const voterIds = new Set<string>();
    for (let i = 0; i < rest.length; i += 2) {
      const voter = rest[i]?.value as { login: { uuid: string }; location: { state: string } };
      const vote = rest[i + 1]?.value as { voter_id: string; state: string };
      expect([rest[i]?.entity, rest[i + 1]?.entity]).toEqual(["voters", "votes"]);
      expect(vote.voter_id).toBe(voter.login.uuid);
      expect(vote.state).toBe(voter.location.state);
      voterIds.add(voter.login.uuid);
    }
    expect(voterIds.size).toBe(count);
  });

  it("produces only records that validate against their topic's schema", async () => {
    // Prepare
    const specs = specsByEntity(elections);

    // Act
    const records = await collect(generatedElections({ count: 2000, seed: 3, window }).records);
    const reasons = records
      .map((r) => toMessage(specs.get(r.entity) as NonNullable<ReturnType<typeof specs.get>>, r.value))
      .flatMap((m) => (m.ok ? [] : [m.reason]));

    // Assess
    expect(reasons).toEqual([]);
  });

  it("keeps voters realistic: ages 18-90 matching dob, US states, votes inside the window", async () => {
    // Prepare
    const records = await collect(generatedElections({ count: 3000, seed: 11, window }).records);
    const voters = records.filter((r) => r.entity === "voters").map((r) => r.value as VoterShape);
    const votes = records
      .filter((r) => r.entity === "votes")
      .map((r) => r.value as { voting_time: string; candidate_id: string });
    const stateNames = new Set(US_STATES.map((s) => s.name));

    // Act
    const ages = voters.map((v) => v.dob.age);
    const californians = voters.filter((v) => v.location.state === "California").length;
    const wyomingites = voters.filter((v) => v.location.state === "Wyoming").length;
    const times = votes.map((v) => Date.parse(v.voting_time));
    const perCandidate = new Map<string, number>();
    for (const v of votes) perCandidate.set(v.candidate_id, (perCandidate.get(v.candidate_id) ?? 0) + 1);

    // Assess
    expect(Math.min(...ages)).toBeGreaterThanOrEqual(18);
    expect(Math.max(...ages)).toBeLessThanOrEqual(90);
    for (const v of voters) {
      const years = (window.end - Date.parse(v.dob.date)) / (365.25 * 86_400_000);
      expect(Math.floor(years)).toBe(v.dob.age);
      expect(stateNames.has(v.location.state)).toBe(true);
    }
    expect(californians).toBeGreaterThan(wyomingites * 10);
    expect(Math.min(...times)).toBeGreaterThanOrEqual(window.start);
    expect(Math.max(...times)).toBeLessThan(window.end);
    const [a = 0, b = 0, c = 0] = DEFAULT_CANDIDATES.map((cand) => perCandidate.get(cand.candidate_id) ?? 0);
    expect(a).toBeGreaterThan(c);
    expect(b).toBeGreaterThan(c);
  });

  it("produces the randomuser.me results[] item shape", () => {
    // Act
    const [voter] = [...generateVoters({ count: 1, seed: 5, anchor: window.end })];

    // Assess
    expect(Object.keys(voter ?? {}).sort()).toEqual(
      [
        "cell",
        "dob",
        "email",
        "gender",
        "id",
        "location",
        "login",
        "name",
        "nat",
        "phone",
        "picture",
        "registered",
      ].sort(),
    );
    expect(Object.keys(voter?.location ?? {}).sort()).toEqual(
      ["city", "coordinates", "country", "postcode", "state", "street", "timezone"].sort(),
    );
    expect(Object.keys(voter?.login ?? {}).sort()).toEqual(
      ["md5", "password", "salt", "sha1", "sha256", "username", "uuid"].sort(),
    );
    expect(voter?.login.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(voter?.nat).toBe("US");
  });

  it("takes the candidate list and the voting window from the command-line settings", async () => {
    // Prepare
    const file = join(tmpdir(), `candidates-${process.pid}.json`);
    const candidates = [
      { candidate_id: "x", candidate_name: "X", party: "Px" },
      { candidate_id: "y", candidate_name: "Y", party: "Py" },
    ];
    writeFileSync(file, JSON.stringify(candidates));
    const settings = { candidates: file, window: "2020-11-03T12:00:00Z/2020-11-03T13:00:00Z" };

    // Act
    const records = await collect(generatedElections({ count: 50, seed: 2, settings }).records);

    // Assess
    expect(records.slice(0, 2).map((r) => r.value)).toEqual(candidates);
    const votes = records
      .filter((r) => r.entity === "votes")
      .map((r) => r.value as { candidate_id: string; voting_time: string });
    expect(new Set(votes.map((v) => v.candidate_id))).toEqual(new Set(["x", "y"]));
    expect(votes.every((v) => v.voting_time.startsWith("2020-11-03T12:"))).toBe(true);
    expect(() => parseWindow("2020-11-03/2020-11-02")).toThrow(/start before end/);
  });
});

interface VoterShape {
  dob: { date: string; age: number };
  location: { state: string };
}
