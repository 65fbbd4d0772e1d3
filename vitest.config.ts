import { defineConfig } from "vitest/config";

// Two projects: fast unit tests beside the code, and integration tests against the real
// native services (Kafka, PostgreSQL, the AWS emulator, dbt) started by test/global-setup.ts.
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
        },
      },
      {
        test: {
          name: "integration",
          include: ["test/integration/**/*.test.ts"],
          globalSetup: ["test/global-setup.ts"],
          testTimeout: 120_000,
          hookTimeout: 300_000,
          // The services are shared; files run one after another so they never race on them.
          fileParallelism: false,
        },
      },
    ],
  },
});
