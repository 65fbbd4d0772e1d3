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

  it("yields candidates first, then each voter followed by at most one vote of theirs", async () => {
    // Prepare
    const count = 500;

    // Act
    const records = await collect(generatedElections({ count, seed: 1, window }).records);

    // Assess
    const candidates = DEFAULT_CANDIDATES.length;
    expect(records.slice(0, candidates).map((r) => r.entity)).toEqual(Array(candidates).fill("candidates"));
    const voterIds = new Set<string>();
    let voter: { login: { uuid: string }; location: { state: string } } | undefined;
    for (const record of records.slice(candidates)) {
      if (record.entity === "voters") {
        voter = record.value as typeof voter;
        voterIds.add(voter?.login.uuid ?? "");
        continue;
      }
      const vote = record.value as { voter_id: string; state: string };
      expect(record.entity).toBe("votes");
      expect(vote.voter_id).toBe(voter?.login.uuid);
      expect(vote.state).toBe(voter?.location.state);
      voter = undefined; // a second vote for the same voter would fail above
    }
    expect(voterIds.size).toBe(count);
  });

  it("gives a realistic turnout: well below 100 %, lower for the young, different between states", async () => {
    // Act
    const records = await collect(generatedElections({ count: 10_000, seed: 4, window }).records);
    const voters = records.filter((r) => r.entity === "voters").map((r) => r.value as VoterShape & Voted);
    const voted = new Set(records.filter((r) => r.entity === "votes").map((r) => (r.value as Vote).voter_id));
    const turnout = (group: (VoterShape & Voted)[]) =>
      group.filter((v) => voted.has(v.login.uuid)).length / group.length;
    const byState = new Map<string, (VoterShape & Voted)[]>();
    for (const v of voters) byState.set(v.location.state, [...(byState.get(v.location.state) ?? []), v]);
    const bigStates = [...byState.values()].filter((group) => group.length >= 300).map(turnout);

    // Assess
    expect(turnout(voters)).toBeGreaterThan(0.55);
    expect(turnout(voters)).toBeLessThan(0.7);
    expect(turnout(voters.filter((v) => v.dob.age < 30))).toBeLessThan(
      turnout(voters.filter((v) => v.dob.age >= 65)) - 0.15,
    );
    expect(Math.max(...bigStates) - Math.min(...bigStates)).toBeGreaterThan(0.05);
  });

  it("takes the turnout from the settings, 1 meaning every voter votes, and refuses a share outside (0, 1]", async () => {
    // Act
    const all = await collect(
      generatedElections({ count: 300, seed: 4, window, settings: { turnout: "1" } }).records,
    );
    const half = await collect(
      generatedElections({ count: 2000, seed: 4, window, settings: { turnout: "30%" } }).records,
    );

    // Assess
    expect(all.filter((r) => r.entity === "votes")).toHaveLength(300);
    const halfVotes = half.filter((r) => r.entity === "votes").length;
    expect(halfVotes / 2000).toBeGreaterThan(0.25);
    expect(halfVotes / 2000).toBeLessThan(0.35);
    for (const bad of ["0", "1.5", "lots", ""]) {
      expect(() => generatedElections({ count: 1, settings: { turnout: bad } }), bad).toThrow(/turnout/);
    }
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

  it("with count 0 registers the candidates only (`produce elections --count 0`)", async () => {
    const entities: string[] = [];
    for await (const record of generatedElections({ count: 0 }).records) entities.push(record.entity);

    expect(entities).toEqual(DEFAULT_CANDIDATES.map(() => "candidates"));
  });
});

interface VoterShape {
  dob: { date: string; age: number };
  location: { state: string };
}

interface Voted {
  login: { uuid: string };
}

interface Vote {
  voter_id: string;
}
