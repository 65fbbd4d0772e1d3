import { type Dataset, defineTopic } from "../types.ts";
import { candidateSchema, voterSchema, voteSchema } from "./schema.ts";
import { electionsSources } from "./source.ts";
import { ELECTIONS_TOPICS } from "./topics.ts";

export const elections: Dataset = {
  name: "elections",
  description: "Voter registrations (randomuser.me shape), candidates and votes.",
  schemaVersion: 1,
  sources: electionsSources,
  topics: [
    defineTopic({
      entity: "candidates",
      topic: ELECTIONS_TOPICS.candidates,
      rawTable: "elections_candidates",
      partitions: 1,
      schema: candidateSchema,
      key: (c) => c.candidate_id,
      eventTime: () => new Date(0).toISOString(),
    }),
    defineTopic({
      entity: "voters",
      topic: ELECTIONS_TOPICS.voters,
      rawTable: "elections_voters",
      partitions: 3,
      schema: voterSchema,
      key: (v) => v.login.uuid,
      eventTime: (v) => v.registered.date,
    }),
    defineTopic({
      entity: "votes",
      topic: ELECTIONS_TOPICS.votes,
      rawTable: "elections_votes",
      partitions: 3,
      schema: voteSchema,
      key: (v) => v.voter_id,
      eventTime: (v) => v.voting_time,
    }),
  ],
};

export * from "./schema.ts";
