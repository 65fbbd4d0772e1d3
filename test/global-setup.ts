/**
 * Global setup of the integration project: brings the native services up (idempotent: a set
 * that already runs is reused), points the tests at them, and on teardown stops only the
 * services this run started (so a developer's running services survive a test run).
 */
import { localAwsEnv } from "../core/config/index.ts";
import { clientEnv, down, servicesSettings, up } from "../localstack/services/index.ts";

export default async function setup(): Promise<() => Promise<void>> {
  const settings = servicesSettings();
  const results = await up(settings);
  const started = results.filter((r) => r.action === "started").map((r) => r.name);
  if (started.length > 0) console.log(`global setup: started ${started.join(", ")}`);

  // Variables already set win (e.g. a developer pointing the tests elsewhere).
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
