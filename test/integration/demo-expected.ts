/**
 * What the demo's sample gives, whatever the warehouse: the PostgreSQL demo test and the
 * Snowflake one assert the same gold figures for the same seed.
 */
export const DEMO_SAMPLE = { voters: 300, seed: 7 } as const;

export const DEMO_GOLD = {
  /** 300 voters, seed 7, the default turnout (0.62 by age band, state and gender): 192 vote. */
  votersWhoVoted: 192,
  /** The Sample Superstore file's revenue, to the cent. */
  revenue: "2297200.86",
} as const;
