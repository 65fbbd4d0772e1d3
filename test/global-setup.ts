/**
 * Global setup of the integration project: brings the tests' own services up
 * (test/fixtures/test-services.ts: their own ports and state, so what the tests leave never
 * reaches the developer's `services up` set; idempotent: a set that already runs is reused),
 * points the tests at them, and on teardown stops only the services this run started.
 * `PIPELINE_TEST_SERVICES=shared` uses the environment's services instead.
 */
import { localAwsEnv } from "../core/config/index.ts";
import { clientEnv, down, servicesSettings, up } from "../localstack/services/index.ts";
import { testServicesEnv, usesSharedServices } from "./fixtures/test-services.ts";

export default async function setup(): Promise<() => Promise<void>> {
  if (!usesSharedServices()) Object.assign(process.env, testServicesEnv());
  const settings = servicesSettings();
  const results = await up(settings);
  const started = results.filter((r) => r.action === "started").map((r) => r.name);
  if (started.length > 0) console.log(`global setup: started ${started.join(", ")}`);

  // With shared services, variables already set win (e.g. a developer pointing the tests elsewhere).
  const env = clientEnv(settings);
  const aws = localAwsEnv({
    ...process.env,
    AWS_ENDPOINT_URL: process.env.AWS_ENDPOINT_URL ?? env.AWS_ENDPOINT_URL,
  });
  for (const [name, value] of Object.entries({ ...env, ...aws })) process.env[name] ??= value;

  return async () => {
    if (started.length > 0) await down(settings, started);
  };
}
