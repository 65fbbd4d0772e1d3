/**
 * Setup file of the integration project: whatever a test file sets in `process.env` (at its top
 * level or in hooks) is undone after the file. In the shared lane files run one after another in
 * one module registry (vitest `isolate: false`), so a variable left set would reach the next file.
 * Registered before the file's own hooks, this afterAll runs after them (vitest runs after-hooks
 * in reverse order), so their cleanup still sees the file's variables.
 */
import { afterAll } from "vitest";

const before = { ...process.env };

afterAll(() => {
  for (const name of Object.keys(process.env)) if (!(name in before)) delete process.env[name];
  Object.assign(process.env, before);
});
