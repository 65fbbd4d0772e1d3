/**
 * Creates the template's resources that the emulator can hold — buckets, queues, tables,
 * secrets, SNS topics — before anything runs. Idempotent: what exists is left alone.
 */
import {
  CreateTableCommand,
  type CreateTableCommandInput,
  DescribeTableCommand,
} from "@aws-sdk/client-dynamodb";
import { CreateBucketCommand, HeadBucketCommand } from "@aws-sdk/client-s3";
import { CreateSecretCommand, DescribeSecretCommand } from "@aws-sdk/client-secrets-manager";
import { CreateTopicCommand, SNSClient } from "@aws-sdk/client-sns";
import { CreateQueueCommand, GetQueueUrlCommand, SetQueueAttributesCommand } from "@aws-sdk/client-sqs";
import { dynamodb, s3, secretsManager, sqs } from "../../core/aws/clients.ts";
import type { EmulatedResource } from "./template-reader.ts";

const sns = new SNSClient({});

export async function provision(resources: readonly EmulatedResource[]): Promise<void> {
  await Promise.all(resources.map((resource) => provisionOne(resource)));
}

async function provisionOne({ type, name, properties }: EmulatedResource): Promise<void> {
  switch (type) {
    case "bucket":
      try {
        await s3().send(new HeadBucketCommand({ Bucket: name }));
      } catch {
        await s3().send(new CreateBucketCommand({ Bucket: name }));
      }
      return;
    case "queue": {
      const attributes: Record<string, string> = {};
      for (const key of ["VisibilityTimeout", "MessageRetentionPeriod", "ReceiveMessageWaitTimeSeconds"]) {
        if (properties[key] !== undefined) attributes[key] = String(properties[key]);
      }
      if (properties.FifoQueue) attributes.FifoQueue = "true";
      try {
        await sqs().send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }));
      } catch (error) {
        // The queue exists with other attributes (an earlier deploy of another version of the
        // template): CloudFormation would update it in place, so do we.
        if ((error as Error).name !== "QueueNameExists") throw error;
        const { QueueUrl } = await sqs().send(new GetQueueUrlCommand({ QueueName: name }));
        const { FifoQueue: _immutable, ...mutable } = attributes;
        await sqs().send(new SetQueueAttributesCommand({ QueueUrl, Attributes: mutable }));
      }
      return;
    }
    case "table":
      try {
        await dynamodb().send(new DescribeTableCommand({ TableName: name }));
      } catch {
        await dynamodb().send(
          new CreateTableCommand({
            TableName: name,
            KeySchema: properties.KeySchema as CreateTableCommandInput["KeySchema"],
            AttributeDefinitions:
              properties.AttributeDefinitions as CreateTableCommandInput["AttributeDefinitions"],
            GlobalSecondaryIndexes:
              properties.GlobalSecondaryIndexes as CreateTableCommandInput["GlobalSecondaryIndexes"],
            BillingMode: "PAY_PER_REQUEST",
          }),
        );
      }
      return;
    case "secret":
      try {
        await secretsManager().send(new DescribeSecretCommand({ SecretId: name }));
      } catch {
        // A generated secret gets a throw-away local value; a declared one keeps its string.
        const secretString =
          typeof properties.SecretString === "string"
            ? properties.SecretString
            : JSON.stringify({ generated: "local" });
        await secretsManager().send(new CreateSecretCommand({ Name: name, SecretString: secretString }));
      }
      return;
    case "topic":
      await sns.send(new CreateTopicCommand({ Name: name }));
      return;
  }
}
