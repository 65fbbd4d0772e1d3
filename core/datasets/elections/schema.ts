/**
 * Elections: voters in the randomuser.me response shape, candidates, and votes.
 * Voter records keep the API's nesting (name, location, dob, login…) so a real
 * randomuser.me response can be produced unchanged; unknown extra fields are kept.
 */
import { z } from "zod";

const isoTimestamp = z.iso.datetime({ offset: true });

export const voterSchema = z.looseObject({
  gender: z.enum(["male", "female"]),
  name: z.looseObject({ title: z.string(), first: z.string().min(1), last: z.string().min(1) }),
  location: z.looseObject({
    street: z.looseObject({ number: z.number().int(), name: z.string() }),
    city: z.string().min(1),
    state: z.string().min(1),
    country: z.string().min(1),
    // randomuser.me sends numbers for some nationalities and strings for others.
    postcode: z.union([z.string(), z.number()]),
  }),
  email: z.string().min(3),
  login: z.looseObject({ uuid: z.uuid(), username: z.string().min(1) }),
  dob: z.looseObject({ date: isoTimestamp, age: z.number().int().min(0).max(130) }),
  registered: z.looseObject({ date: isoTimestamp, age: z.number().int().min(0) }),
  phone: z.string(),
  cell: z.string(),
  nat: z.string().length(2),
});
export type Voter = z.output<typeof voterSchema>;

export const candidateSchema = z.object({
  candidate_id: z.string().min(1).max(64),
  candidate_name: z.string().min(1).max(200),
  party: z.string().min(1).max(200),
  biography: z.string().max(2000).optional(),
  photo_url: z.string().optional(),
});
export type Candidate = z.output<typeof candidateSchema>;

export const voteSchema = z.object({
  /** randomuser.me `login.uuid` of the voter. */
  voter_id: z.uuid(),
  candidate_id: z.string().min(1).max(64),
  /** Event time: when the vote was cast. */
  voting_time: isoTimestamp,
  /** The voter's state, denormalised so the real-time turnout needs no lookup. */
  state: z.string().min(1).max(100),
  vote: z.literal(1).default(1),
});
export type Vote = z.output<typeof voteSchema>;
