/**
 * Synthesizes the local target of the CDK app into a cloud assembly the runtime reads —
 * the same `cdk synth` a deploy runs, with `-c target=local`.
 */
import { spawn } from "node:child_process";
import { join } from "node:path";

export interface SynthOptions {
  readonly repoRoot: string;
  /** Output directory (default `.cache/cdk.out.local`). */
  readonly outDir?: string;
  /** Extra `-c key=value` context, e.g. to try another batch size without code changes. */
  readonly context?: Record<string, string>;
}

export async function synthLocal(options: SynthOptions): Promise<string> {
  const outDir = options.outDir ?? join(options.repoRoot, ".cache", "cdk.out.local");
  const context = { target: "local", ...options.context };
  const args = [
    "synth",
    "--quiet",
    "-o",
    outDir,
    ...Object.entries(context).flatMap(([k, v]) => ["-c", `${k}=${v}`]),
  ];
  const cdk = join(options.repoRoot, "node_modules", ".bin", "cdk");
  const output = await new Promise<string>((resolve, reject) => {
    const child = spawn(cdk, args, {
      cwd: options.repoRoot,
      // cdk runs the app with `node`: make sure it's the project's Node 24.
      env: {
        ...process.env,
        PATH: `${join(options.repoRoot, "node_modules", ".bin")}:${process.env.PATH ?? ""}`,
        CDK_DISABLE_VERSION_CHECK: "1",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const chunks: Buffer[] = [];
    child.stdout.on("data", (c: Buffer) => chunks.push(c));
    child.stderr.on("data", (c: Buffer) => chunks.push(c));
    child.on("error", reject);
    child.on("close", (code) => {
      const text = Buffer.concat(chunks).toString("utf8");
      if (code === 0) resolve(text);
      else reject(new Error(`cdk synth (local target) failed with exit ${code}:\n${text.slice(-4000)}`));
    });
  });
  void output;
  return outDir;
}
