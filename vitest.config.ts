import { defineConfig } from "vitest/config";
import { currentLane, lanes } from "./test/tools/lanes.ts";

// Two projects: fast unit tests beside the code, and integration tests against the real
// native services (Kafka, PostgreSQL, the AWS emulator, dbt) started by test/global-setup.ts.
// `npm test` (test/tools/run-tests.ts) runs two vitest processes at once, one per lane
// (STREAMLINE_TEST_LANE, test/tools/lanes.ts): `own` — the integration files on the separate
// sets' ports; `shared` — the other integration files and the unit project. Without a lane,
// `vitest run` runs every file, as before.
const lane = currentLane();
const ownFiles = lane ? lanes().own : [];
export default defineConfig({
  test: {
    reporters: ["default"],
    projects: [
      {
        test: {
          name: "unit",
          include: ["{core,lambdas,infra,cli,localstack,dashboard}/**/*.test.ts", "test/unit/**/*.test.ts"],
          // CDK synths and child processes run in some unit tests; CI's 2 cores are shared.
          testTimeout: 60_000,
          // One module registry per worker, not per file: aws-cdk-lib, the AWS SDK and zod load
          // once instead of 84 times (the unit project: 168 -> 75 s, 228 -> 87 s of CPU). Unit
          // tests restore what they change (process.env, spies, timers); a shuffled run passes.
          isolate: false,
        },
      },
      {
        test: {
          name: "integration",
          include: lane === "own" ? ownFiles : ["test/integration/**/*.test.ts"],
          exclude: lane === "shared" ? ownFiles : [],
          globalSetup: ["test/global-setup.ts"],
          setupFiles: ["test/restore-env.ts"],
          testTimeout: 120_000,
          hookTimeout: 300_000,
          // The services are shared; files run one after another so they never race on them.
          fileParallelism: false,
          // The shared lane's files all talk to the tests' one set of services, so they can share
          // one module registry (the AWS SDK, kafkajs, pg and the runtime load once, not 44 times);
          // test/restore-env.ts undoes each file's environment. The own lane's files point
          // process.env at separate sets, which cached clients would outlive: they stay isolated.
          isolate: lane !== "shared",
        },
      },
    ],
  },
});
