/** The elections topics' names: one home, for the dataset definition and the live aggregates. */
export const ELECTIONS_TOPICS = {
  candidates: "elections.candidates",
  voters: "elections.voters",
  votes: "elections.votes",
} as const;
