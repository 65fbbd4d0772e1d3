/**
 * Seeded elections data: voters in the exact shape of a randomuser.me `results[]` item, the
 * candidate list, and a vote from each voter who turns out (a realistic share, varying by age
 * band, state and gender). The same seed, anchor and turnout give the same records.
 *
 * Records come out in the order a consumer can rely on: all candidates first, then each voter
 * immediately followed by their vote if they voted (a vote's voter always exists before it).
 */
import { createHash } from "node:crypto";
import { Prng, WeightedPicker } from "../../sources/prng.ts";
import type { Candidate, Vote, Voter } from "./schema.ts";
import { US_STATES, type UsState } from "./us-states.ts";

export const DEFAULT_SEED = 42;

export const DEFAULT_CANDIDATES: readonly Candidate[] = [
  { candidate_id: "cand-001", candidate_name: "Avery Johnson", party: "Progressive Alliance" },
  { candidate_id: "cand-002", candidate_name: "Morgan Carter", party: "Liberty Union" },
  { candidate_id: "cand-003", candidate_name: "Riley Nguyen", party: "Green Future" },
];

/** National vote shares of the default three candidates; extra candidates share the rest. */
const BASE_SHARES = [0.47, 0.43, 0.1];

const DAY = 86_400_000;
const YEAR = 365.25 * DAY;
const HOUR = 3_600_000;

export interface VotingWindow {
  readonly start: number;
  readonly end: number;
}

/** The default window: the 24 hours ending at the start of the current UTC hour. */
export function recentWindow(now = Date.now()): VotingWindow {
  const end = Math.floor(now / HOUR) * HOUR;
  return { start: end - DAY, end };
}

const FIRST_NAMES = {
  male: [
    "James",
    "Robert",
    "John",
    "Michael",
    "David",
    "William",
    "Richard",
    "Joseph",
    "Thomas",
    "Charles",
    "Christopher",
    "Daniel",
    "Matthew",
    "Anthony",
    "Mark",
    "Steven",
    "Paul",
    "Andrew",
    "Joshua",
    "Kenneth",
    "Kevin",
    "Brian",
    "Timothy",
    "Ronald",
    "Jason",
    "Jeffrey",
    "Ryan",
    "Jacob",
    "Gary",
    "Nicholas",
    "Eric",
    "Jonathan",
    "Justin",
    "Scott",
    "Brandon",
    "Samuel",
    "Benjamin",
    "Gregory",
    "Frank",
    "Raymond",
    "Alexander",
    "Patrick",
    "Jack",
    "Dennis",
    "Jerry",
    "Tyler",
    "Aaron",
    "Jose",
    "Adam",
    "Nathan",
    "Luis",
    "Carlos",
  ],
  female: [
    "Mary",
    "Patricia",
    "Jennifer",
    "Linda",
    "Elizabeth",
    "Barbara",
    "Susan",
    "Jessica",
    "Sarah",
    "Karen",
    "Lisa",
    "Nancy",
    "Betty",
    "Sandra",
    "Margaret",
    "Ashley",
    "Kimberly",
    "Emily",
    "Donna",
    "Michelle",
    "Carol",
    "Amanda",
    "Melissa",
    "Deborah",
    "Stephanie",
    "Dorothy",
    "Rebecca",
    "Sharon",
    "Laura",
    "Cynthia",
    "Amy",
    "Kathleen",
    "Angela",
    "Shirley",
    "Brenda",
    "Emma",
    "Anna",
    "Pamela",
    "Nicole",
    "Samantha",
    "Katherine",
    "Christine",
    "Helen",
    "Debra",
    "Rachel",
    "Carolyn",
    "Janet",
    "Maria",
    "Olivia",
    "Sophia",
    "Isabella",
  ],
} as const;

const LAST_NAMES = [
  "Smith",
  "Johnson",
  "Williams",
  "Brown",
  "Jones",
  "Garcia",
  "Miller",
  "Davis",
  "Rodriguez",
  "Martinez",
  "Hernandez",
  "Lopez",
  "Gonzalez",
  "Wilson",
  "Anderson",
  "Thomas",
  "Taylor",
  "Moore",
  "Jackson",
  "Martin",
  "Lee",
  "Perez",
  "Thompson",
  "White",
  "Harris",
  "Sanchez",
  "Clark",
  "Ramirez",
  "Lewis",
  "Robinson",
  "Walker",
  "Young",
  "Allen",
  "King",
  "Wright",
  "Scott",
  "Torres",
  "Nguyen",
  "Hill",
  "Flores",
  "Green",
  "Adams",
  "Nelson",
  "Baker",
  "Hall",
  "Rivera",
  "Campbell",
  "Mitchell",
  "Carter",
  "Roberts",
  "Gomez",
  "Phillips",
  "Evans",
  "Turner",
  "Diaz",
  "Parker",
  "Cruz",
  "Edwards",
  "Collins",
  "Reyes",
  "Stewart",
  "Morris",
  "Morales",
  "Murphy",
];

const STREETS = [
  "Main St",
  "Oak Ridge Ln",
  "Pecan Acres Ln",
  "Hickory Creek Dr",
  "Washington Ave",
  "Lakeview St",
  "Park Avenue",
  "Elgin St",
  "Mockingbird Ln",
  "Robinson Rd",
  "W Sherman Dr",
  "Valwood Pkwy",
  "Cherry St",
  "Spring St",
  "Karen Dr",
  "Brown Terrace",
  "Railroad St",
  "Country Club Rd",
  "Timber Wolf Trail",
  "Depaul Dr",
];

const ADJECTIVES = [
  "happy",
  "silver",
  "lazy",
  "tiny",
  "brave",
  "crazy",
  "golden",
  "angry",
  "purple",
  "heavy",
  "smart",
  "orange",
  "white",
  "ticklish",
  "blue",
  "yellow",
  "red",
  "organic",
  "beautiful",
  "sad",
];
const ANIMALS = [
  "bird",
  "cat",
  "dog",
  "fish",
  "tiger",
  "panda",
  "koala",
  "wolf",
  "rabbit",
  "swan",
  "goose",
  "butterfly",
  "leopard",
  "lion",
  "frog",
  "bear",
  "elephant",
  "gorilla",
  "ladybug",
  "peacock",
];
const PASSWORDS = [
  "sunshine",
  "dragon",
  "baseball",
  "letmein",
  "monkey",
  "shadow",
  "master",
  "hunter",
  "soccer",
  "freedom",
  "whatever",
  "trustno1",
  "starwars",
  "chelsea",
  "diamond",
  "thunder",
  "cowboys",
  "yankees",
  "booboo",
];

/** Age bands of the US adult population (18–90), roughly from the census. */
const AGE_BANDS = new WeightedPicker<readonly [number, number]>([
  [[18, 29], 0.21],
  [[30, 44], 0.26],
  [[45, 64], 0.32],
  [[65, 90], 0.21],
]);

const STATE_PICKER = new WeightedPicker<UsState>(
  US_STATES.map((state) => [state, state.population] as const),
);
const ALPHANUMERIC = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

export interface VoterOptions {
  readonly seed?: number;
  /** Voters to generate; undefined = endless. */
  readonly count?: number;
  /** "Now" for ages and registration dates (ms); default the end of the voting window. */
  readonly anchor?: number;
}

export function* generateVoters(options: VoterOptions = {}): Generator<Voter> {
  const rng = new Prng(options.seed ?? DEFAULT_SEED);
  const anchor = options.anchor ?? recentWindow().end;
  const count = options.count ?? Number.POSITIVE_INFINITY;
  for (let i = 0; i < count; i++) yield generateVoter(rng, anchor);
}

export function generateVoter(rng: Prng, anchor: number): Voter {
  const gender = rng.next() < 0.5 ? "male" : "female";
  const first = rng.pick(FIRST_NAMES[gender]);
  const last = rng.pick(LAST_NAMES);
  const state = STATE_PICKER.pick(rng);
  const [minAge, maxAge] = AGE_BANDS.pick(rng);
  const age = rng.int(minAge, maxAge);
  const dob = anchor - age * YEAR - rng.int(1, 364) * DAY - rng.int(0, DAY - 1);
  const registeredAge = rng.int(0, Math.min(age - 18, 20));
  const registered = anchor - registeredAge * YEAR - rng.int(1, 364) * DAY - rng.int(0, DAY - 1);
  const password = `${rng.pick(PASSWORDS)}${rng.int(0, 99)}`;
  const salt = rng.chars(8, ALPHANUMERIC);
  const portrait = `${gender === "male" ? "men" : "women"}/${rng.int(0, 99)}.jpg`;
  return {
    gender,
    name: { title: gender === "male" ? "Mr" : rng.pick(["Ms", "Mrs", "Miss"]), first, last },
    location: {
      street: { number: rng.int(1, 9999), name: rng.pick(STREETS) },
      city: rng.pick(state.cities),
      state: state.name,
      country: "United States",
      postcode: state.zipBase + rng.int(0, 999),
      coordinates: {
        latitude: (rng.next() * 180 - 90).toFixed(4),
        longitude: (rng.next() * 360 - 180).toFixed(4),
      },
      timezone: state.tz,
    },
    email: `${first}.${last}@example.com`.toLowerCase(),
    login: {
      uuid: rng.uuid(),
      username: `${rng.pick(ADJECTIVES)}${rng.pick(ANIMALS)}${rng.int(100, 999)}`,
      password,
      salt,
      md5: hash("md5", password + salt),
      sha1: hash("sha1", password + salt),
      sha256: hash("sha256", password + salt),
    },
    dob: { date: new Date(dob).toISOString(), age },
    registered: { date: new Date(registered).toISOString(), age: registeredAge },
    phone: phone(rng),
    cell: phone(rng),
    id: { name: "SSN", value: `${rng.int(100, 899)}-${rng.int(10, 99)}-${rng.int(1000, 9999)}` },
    picture: {
      large: `https://randomuser.me/api/portraits/${portrait}`,
      medium: `https://randomuser.me/api/portraits/med/${portrait}`,
      thumbnail: `https://randomuser.me/api/portraits/thumb/${portrait}`,
    },
    nat: "US",
  };
}

function phone(rng: Prng): string {
  return `(${rng.int(201, 989)}) ${rng.int(200, 999)}-${String(rng.int(0, 9999)).padStart(4, "0")}`;
}

function hash(algorithm: string, text: string): string {
  return createHash(algorithm).update(text).digest("hex");
}

/**
 * The default turnout: about the share of US registered voters who vote in a presidential
 * election. 1 means every voter votes (the benchmark's "N votes").
 */
export const DEFAULT_TURNOUT = 0.62;

/**
 * Turnout relative to the base by age band (the young vote least, the old most, as in US
 * elections); weighted by the age bands' population shares they average ≈ 1, so the overall
 * turnout stays close to the base.
 */
const AGE_TURNOUT: readonly (readonly [maxAge: number, factor: number])[] = [
  [29, 0.75],
  [44, 0.93],
  [64, 1.08],
  [Number.POSITIVE_INFINITY, 1.2],
];

/**
 * The chance that this voter votes: the base turnout scaled by their age band, their state
 * (±8 %, a fixed function of the state's name) and gender (women vote slightly more).
 */
export function turnoutChance(voter: Pick<Voter, "dob" | "location" | "gender">, base: number): number {
  if (base >= 1) return 1;
  const age = (AGE_TURNOUT.find(([maxAge]) => voter.dob.age <= maxAge) ?? [0, 1])[1];
  const state = 1 + ((stringHash(`turnout:${voter.location.state}`) % 17) - 8) / 100;
  const gender = voter.gender === "female" ? 1.02 : 0.98;
  return Math.min(1, base * age * state * gender);
}

export function checkTurnout(turnout: number): number {
  if (!Number.isFinite(turnout) || turnout <= 0 || turnout > 1) {
    throw new RangeError(`turnout must be a share above 0 and at most 1 (e.g. 0.62), got ${turnout}`);
  }
  return turnout;
}

export interface VoteOptions {
  readonly seed?: number;
  readonly candidates?: readonly Candidate[];
  readonly window?: VotingWindow;
  /** Voters expected in total: spreads voting times evenly over the window. */
  readonly count: number;
  /** Base turnout, 0 < t ≤ 1 (default {@link DEFAULT_TURNOUT}); see {@link turnoutChance}. */
  readonly turnout?: number;
}

/**
 * Decides whether each voter votes (their {@link turnoutChance}) and casts their vote. Shares
 * follow the candidate order with a per-state lean (a fixed function of the state's name),
 * so results by state differ but stay reproducible.
 */
export class VoteCaster {
  readonly #rng: Prng;
  readonly #turnoutRng: Prng;
  readonly #candidates: readonly Candidate[];
  readonly #window: VotingWindow;
  readonly #count: number;
  readonly #turnout: number;
  readonly #pickers = new Map<string, WeightedPicker<Candidate>>();
  #seen = 0;

  constructor(options: VoteOptions) {
    // Streams apart from the voters' so adding fields to voters doesn't change votes, and
    // apart from each other so who votes doesn't shift whom they vote for.
    this.#rng = new Prng((options.seed ?? DEFAULT_SEED) ^ 0x5bd1e995);
    this.#turnoutRng = new Prng((options.seed ?? DEFAULT_SEED) ^ 0x27d4eb2f);
    this.#candidates = options.candidates ?? DEFAULT_CANDIDATES;
    if (this.#candidates.length === 0) throw new RangeError("at least one candidate is needed");
    this.#window = options.window ?? recentWindow();
    this.#count = Math.max(1, options.count);
    this.#turnout = checkTurnout(options.turnout ?? DEFAULT_TURNOUT);
  }

  /** The voter's vote, or undefined when they stay at home. */
  cast(voter: Voter): Vote | undefined {
    // Every voter takes a time slot, so the votes still spread over the whole window.
    const slot = Math.min(this.#seen++, this.#count - 1);
    if (this.#turnoutRng.next() >= turnoutChance(voter, this.#turnout)) return undefined;
    return this.#vote(voter, slot);
  }

  #vote(voter: Voter, slot: number): Vote {
    const { start, end } = this.#window;
    const time = start + ((slot + this.#rng.next()) / this.#count) * (end - start);
    const state = voter.location.state;
    return {
      voter_id: voter.login.uuid,
      candidate_id: this.#picker(state).pick(this.#rng).candidate_id,
      voting_time: new Date(Math.min(time, end - 1)).toISOString(),
      state,
      vote: 1,
    };
  }

  #picker(state: string): WeightedPicker<Candidate> {
    let picker = this.#pickers.get(state);
    if (!picker) {
      picker = new WeightedPicker(candidateShares(this.#candidates, state));
      this.#pickers.set(state, picker);
    }
    return picker;
  }
}

/** Vote shares in one state: the national shares, tilted between the two leaders by the state's lean. */
export function candidateShares(candidates: readonly Candidate[], state: string): [Candidate, number][] {
  const rest = Math.max(0, 1 - BASE_SHARES.slice(0, 2).reduce((a, b) => a + b, 0));
  const shares = candidates.map(
    (c, i) => [c, BASE_SHARES[i] ?? rest / Math.max(1, candidates.length - 2)] as [Candidate, number],
  );
  const lean = ((stringHash(state) % 21) - 10) / 100;
  if (shares.length >= 2) {
    (shares[0] as [Candidate, number])[1] += lean;
    (shares[1] as [Candidate, number])[1] -= lean;
  }
  return shares;
}

function stringHash(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return h >>> 0;
}
