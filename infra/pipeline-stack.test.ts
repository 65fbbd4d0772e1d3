/**
 * Template tests for the AWS target: the properties issue 3 asks for, asserted one by one
 * (no whole-template snapshot). The local target has its own file.
 */
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { Match } from "aws-cdk-lib/assertions";
import { describe, expect, it } from "vitest";
import { functionId, resourcesOf, stateMachineDefinition, synthesize } from "../test/fixtures/stacks.ts";
import { REPO_ROOT } from "./constructs/pipeline-function.ts";
import { functions, type KafkaTrigger } from "./functions.ts";

const kafkaFunctions = functions.flatMap((f) =>
  f.triggers.filter((t): t is KafkaTrigger => t.kind === "kafka").map((trigger) => ({ spec: f, trigger })),
);

describe("AWS target (defaults: MSK Serverless, Snowflake, no NAT)", () => {
  const { template } = synthesize();

  it("runs MSK Serverless with IAM client authentication", () => {
    template.resourceCountIs("AWS::MSK::ServerlessCluster", 1);
    template.hasResourceProperties("AWS::MSK::ServerlessCluster", {
      ClientAuthentication: { Sasl: { Iam: { Enabled: true } } },
      VpcConfigs: [{ SubnetIds: Match.anyValue(), SecurityGroups: Match.anyValue() }],
    });
  });

  it("creates every dataset and aggregated topic at deploy time through the provisioner", () => {
    const provisioner = functionId(template, "topics-provisioner");
    template.hasResourceProperties("Custom::KafkaTopics", {
      ServiceToken: { "Fn::GetAtt": [provisioner, "Arn"] },
      Topics: Match.arrayWith([
        { topic: "elections.votes", partitions: Match.anyValue(), compacted: "false" },
        { topic: "aggregated_votes_per_candidate", partitions: Match.anyValue(), compacted: "true" },
      ]),
    });
  });

  it("gives every Kafka-triggered function a mapping per topic with batching, start, bounded retries and an on-failure destination", () => {
    expect(kafkaFunctions.length).toBeGreaterThan(0);
    for (const { spec, trigger } of kafkaFunctions) {
      for (const topic of trigger.topics) {
        template.hasResourceProperties("AWS::Lambda::EventSourceMapping", {
          FunctionName: { Ref: functionId(template, spec.name) },
          Topics: [topic],
          BatchSize: trigger.batchSize,
          MaximumBatchingWindowInSeconds: trigger.maxBatchingWindowSeconds,
          StartingPosition: trigger.startingPosition,
          MaximumRetryAttempts: trigger.retryAttempts,
          DestinationConfig: { OnFailure: { Destination: Match.anyValue() } },
          AmazonManagedKafkaEventSourceConfig: { ConsumerGroupId: `dev-${spec.name}-${topic}` },
        });
      }
    }
  });

  it("gives every Kafka mapping its own consumer group id (AWS: unique among all Kafka event sources)", () => {
    const groupIds = Object.values(resourcesOf(template, "AWS::Lambda::EventSourceMapping"))
      .map(
        (m) => m.Properties?.AmazonManagedKafkaEventSourceConfig as { ConsumerGroupId?: string } | undefined,
      )
      .filter((c) => c !== undefined)
      .map((c) => c.ConsumerGroupId);
    expect(groupIds.length).toBe(kafkaFunctions.reduce((n, k) => n + k.trigger.topics.length, 0));
    expect(new Set(groupIds).size).toBe(groupIds.length);
  });

  it("bounds Kafka retries at 10, the limit with an on-failure destination", () => {
    const mappings = Object.values(resourcesOf(template, "AWS::Lambda::EventSourceMapping")).filter(
      (m) => m.Properties?.Topics,
    );
    expect(mappings.length).toBe(kafkaFunctions.reduce((n, k) => n + k.trigger.topics.length, 0));
    for (const m of mappings) {
      expect(m.Properties?.MaximumRetryAttempts).toBeGreaterThanOrEqual(0);
      expect(m.Properties?.MaximumRetryAttempts).toBeLessThanOrEqual(10);
    }
  });

  it("sends incoming/ uploads to file-to-topic and raw/ objects to the loader through an SQS batching window", () => {
    template.hasResourceProperties("Custom::S3BucketNotifications", {
      NotificationConfiguration: {
        LambdaFunctionConfigurations: [
          {
            Events: ["s3:ObjectCreated:*"],
            Filter: { Key: { FilterRules: [{ Name: "prefix", Value: "incoming/" }] } },
            LambdaFunctionArn: { "Fn::GetAtt": [functionId(template, "file-to-topic"), "Arn"] },
          },
        ],
        QueueConfigurations: [
          {
            Events: ["s3:ObjectCreated:*"],
            Filter: { Key: { FilterRules: [{ Name: "prefix", Value: "raw/" }] } },
            QueueArn: Match.anyValue(),
          },
        ],
      },
    });
    template.hasResourceProperties("AWS::Lambda::EventSourceMapping", {
      FunctionName: { Ref: functionId(template, "load-raw") },
      EventSourceArn: Match.anyValue(),
      BatchSize: 100,
      MaximumBatchingWindowInSeconds: 60,
      FunctionResponseTypes: ["ReportBatchItemFailures"],
    });
  });

  it("encrypts every bucket, blocks public access and enforces TLS", () => {
    const buckets = resourcesOf(template, "AWS::S3::Bucket");
    expect(Object.keys(buckets).length).toBe(5); // raw, quarantine, artifacts, access logs, dashboard site
    const policies = Object.values(resourcesOf(template, "AWS::S3::BucketPolicy"));
    for (const [id, bucket] of Object.entries(buckets)) {
      expect(bucket.Properties?.BucketEncryption).toEqual({
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: "AES256" } }],
      });
      expect(bucket.Properties?.PublicAccessBlockConfiguration).toEqual({
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      });
      const policy = policies.find(
        (p) => JSON.stringify(p.Properties?.Bucket) === JSON.stringify({ Ref: id }),
      );
      const statements = (
        policy?.Properties?.PolicyDocument as { Statement?: Record<string, unknown>[] } | undefined
      )?.Statement;
      expect(statements).toContainEqual(
        expect.objectContaining({
          Effect: "Deny",
          Action: "s3:*",
          Condition: { Bool: { "aws:SecureTransport": "false" } },
        }),
      );
    }
  });

  it("retains the buckets and gives each lifecycle rules", () => {
    const buckets = Object.values(template.findResources("AWS::S3::Bucket"));
    for (const bucket of buckets) {
      expect(bucket.DeletionPolicy).toBe("Retain");
      expect(bucket.Properties.LifecycleConfiguration.Rules.length).toBeGreaterThan(0);
    }
  });

  it("runs dbt with ecs:runTask.sync, the command overridden from $.dbtArgs, with retries and a catch", () => {
    const states = allStates(stateMachineDefinition(template));
    const dbt = states.filter((s) => s.Resource === "arn:aws:states:::ecs:runTask.sync");
    expect(dbt.length).toBe(2); // the regular run and the backfill Map's item processor
    for (const state of dbt) {
      const parameters = state.Parameters as {
        Overrides: { ContainerOverrides: Record<string, unknown>[] };
        NetworkConfiguration: { AwsvpcConfiguration: { Subnets: unknown[] } };
      };
      expect(parameters.Overrides.ContainerOverrides[0]).toMatchObject({
        Name: "dbt",
        "Command.$": "$.dbtArgs",
      });
      expect(parameters.NetworkConfiguration.AwsvpcConfiguration.Subnets.length).toBeGreaterThan(0);
      expect(state.Retry).toContainEqual(
        expect.objectContaining({ ErrorEquals: expect.arrayContaining(["ECS.AmazonECSException"]) }),
      );
    }
    const regular = dbt.find((s) => s.Catch);
    expect(regular?.Catch).toContainEqual(
      expect.objectContaining({ ErrorEquals: ["States.ALL"], Next: "Notify failure" }),
    );
  });

  it("retries the Lambda tasks with backoff and routes failures to the alerts topic, then fails", () => {
    const definition = stateMachineDefinition(template);
    const states = definition.States as Record<string, Record<string, unknown>>;
    for (const name of ["Load pending files", "Plan backfill days", "Quality gate", "Publish summary"]) {
      expect(states[name]?.Retry).toContainEqual(
        expect.objectContaining({
          ErrorEquals: expect.arrayContaining(["Lambda.ServiceException"]),
          BackoffRate: 2,
        }),
      );
      expect(states[name]?.Catch).toContainEqual(expect.objectContaining({ Next: "Notify failure" }));
    }
    expect(states["Quality gate"]?.Parameters).toEqual({ "runId.$": "$.runId", "dbt.$": "$.dbt" });
    expect(states["Notify failure"]).toMatchObject({
      Resource: "arn:aws:states:::sns:publish",
      Next: "Run failed",
    });
    expect(states["Run failed"]).toMatchObject({ Type: "Fail" });
  });

  it("fans a backfill date range out over days with a Map state", () => {
    const states = stateMachineDefinition(template).States as Record<string, Record<string, unknown>>;
    expect(states["Backfill?"]).toMatchObject({
      Type: "Choice",
      Choices: [
        expect.objectContaining({ Variable: "$.backfill", IsPresent: true, Next: "Plan backfill days" }),
      ],
    });
    expect(states["Plan backfill days"]).toMatchObject({
      Type: "Task",
      ResultPath: "$.days",
      Next: "Backfill days",
    });
    expect(states["Backfill days"]).toMatchObject({
      Type: "Map",
      ItemsPath: "$.days",
      Next: "Publish summary",
    });
  });

  it("builds the Fargate task's image from dbt/Dockerfile as an image asset", { timeout: 120_000 }, () => {
    const { app, stack } = synthesize();
    const assembly = app.synth();
    const manifest = JSON.parse(
      readFileSync(path.join(assembly.directory, `${stack.artifactId}.assets.json`), "utf8"),
    );
    const images = Object.entries(manifest.dockerImages as Record<string, { source: { directory: string } }>);
    expect(images).toHaveLength(1);
    const [hash, image] = images[0] as [string, { source: { directory: string } }];
    const staged = path.join(assembly.directory, image.source.directory);
    expect(readFileSync(path.join(staged, "Dockerfile"), "utf8")).toBe(
      readFileSync(path.join(REPO_ROOT, "dbt", "Dockerfile"), "utf8"),
    );
    const [definition] = Object.values(resourcesOf(template, "AWS::ECS::TaskDefinition"));
    const container = ((definition?.Properties?.ContainerDefinitions ?? []) as Record<string, unknown>[])[0];
    expect(JSON.stringify(container?.Image)).toContain(
      `container-assets-\${AWS::AccountId}-\${AWS::Region}:${hash}`,
    );
    expect(definition?.Properties).toMatchObject({ RequiresCompatibilities: ["FARGATE"] });
    expect(container).toMatchObject({
      Name: "dbt",
      LogConfiguration: { LogDriver: "awslogs" },
      Secrets: expect.arrayContaining([expect.objectContaining({ Name: "SNOWFLAKE_PRIVATE_KEY" })]),
    });
  });

  it("starts the state machine on the configured schedule with EventBridge Scheduler", () => {
    const [machineId] = Object.keys(resourcesOf(template, "AWS::StepFunctions::StateMachine"));
    template.hasResourceProperties("AWS::Scheduler::Schedule", {
      ScheduleExpression: "rate(1 hour)",
      Target: { Arn: { Ref: machineId }, Input: JSON.stringify({ dbtArgs: ["build"] }) },
    });
  });

  it("logs every state machine event and traces functions and the state machine", () => {
    template.hasResourceProperties("AWS::StepFunctions::StateMachine", {
      LoggingConfiguration: { Level: "ALL", IncludeExecutionData: true },
      TracingConfiguration: { Enabled: true },
    });
    const lambdas = Object.values(resourcesOf(template, "AWS::Lambda::Function")).filter(
      (f) =>
        (f.Properties?.Environment as { Variables?: Record<string, unknown> })?.Variables?.PIPELINE_FUNCTION,
    );
    expect(lambdas).toHaveLength(functions.length);
    for (const fn of lambdas) {
      expect(fn.Properties).toMatchObject({
        Runtime: "nodejs24.x",
        Architectures: ["arm64"],
        TracingConfig: { Mode: "Active" },
        LoggingConfig: { LogGroup: { Ref: expect.any(String) } },
      });
    }
  });

  it("has no IAM statement with a wildcard action", () => {
    const offending: string[] = [];
    for (const [id, policy] of Object.entries(resourcesOf(template, "AWS::IAM::Policy"))) {
      // CDK's own BucketDeployment handler (copies the dashboard page): its policy is CDK's (see nag.ts).
      if (id.startsWith("CustomCDKBucketDeployment")) continue;
      const statements = (policy.Properties?.PolicyDocument ?? { Statement: [] }) as {
        Statement: { Action: string | string[] }[];
      };
      for (const statement of statements.Statement) {
        for (const action of [statement.Action].flat())
          if (action.includes("*")) offending.push(`${id}: ${action}`);
      }
    }
    expect(offending).toEqual([]);
  });

  it("lets file-to-topic invoke itself (continuing a big file) and nothing else", () => {
    const role = resourcesOf(template, "AWS::Lambda::Function")[functionId(template, "file-to-topic")]
      ?.Properties?.Role as { "Fn::GetAtt": [string, string] };
    const policy = Object.values(resourcesOf(template, "AWS::IAM::Policy")).find(
      (p) => JSON.stringify(p.Properties?.Roles) === JSON.stringify([{ Ref: role["Fn::GetAtt"][0] }]),
    );

    const document = policy?.Properties?.PolicyDocument as {
      Statement?: { Action: unknown; Resource: unknown }[];
    };
    const invoke = (document?.Statement ?? []).filter((st) =>
      [st.Action].flat().includes("lambda:InvokeFunction"),
    );

    expect(invoke).toHaveLength(1);
    expect(JSON.stringify(invoke[0]?.Resource)).toContain(":function:pipeline-dev-file-to-topic");
  });

  it("grants Kafka access per topic and consumer group, not per cluster wildcard", () => {
    const policies = JSON.stringify(resourcesOf(template, "AWS::IAM::Policy"));
    expect(policies).toContain("kafka-cluster:ReadData");
    expect(policies).toContain(":topic/pipeline-dev/");
    expect(policies).toContain(":group/pipeline-dev/");
  });

  it("has no NAT gateway, an S3 gateway endpoint, and the interface endpoints the Kafka pollers need", () => {
    template.resourceCountIs("AWS::EC2::NatGateway", 0);
    template.hasResourceProperties("AWS::EC2::VPCEndpoint", { VpcEndpointType: "Gateway" });
    const interfaces = Object.values(resourcesOf(template, "AWS::EC2::VPCEndpoint")).filter(
      (e) => e.Properties?.VpcEndpointType === "Interface",
    );
    const services = JSON.stringify(interfaces.map((e) => e.Properties?.ServiceName));
    for (const service of ["lambda", "sts", "sqs", "kafka"]) expect(services).toContain(`.${service}`);
  });

  it("puts only the Kafka client functions in the VPC, and opens the cluster only on the Kafka IAM port", () => {
    for (const spec of functions) {
      const fn = resourcesOf(template, "AWS::Lambda::Function")[functionId(template, spec.name)];
      expect(Boolean(fn?.Properties?.VpcConfig), spec.name).toBe(spec.kafkaClient !== undefined);
    }
    const ingress = Object.values(resourcesOf(template, "AWS::EC2::SecurityGroupIngress")).filter((r) =>
      r.Properties?.Description?.toString().startsWith("Kafka"),
    );
    expect(ingress.length).toBeGreaterThan(0);
    for (const rule of ingress) expect(rule.Properties).toMatchObject({ FromPort: 9098, ToPort: 9098 });
  });

  it("gives every function PIPELINE_FUNCTION and the configuration environment", () => {
    for (const spec of functions) {
      template.hasResourceProperties("AWS::Lambda::Function", {
        Environment: {
          Variables: Match.objectLike({
            PIPELINE_FUNCTION: spec.name,
            POWERTOOLS_SERVICE_NAME: spec.name,
            RAW_BUCKET: Match.anyValue(),
            WAREHOUSE_TARGET: "snowflake",
          }),
        },
      });
    }
  });
});

describe("AWS target options", () => {
  it("runs provisioned MSK with TLS and IAM when kafkaMode=provisioned", { timeout: 120_000 }, () => {
    const { template } = synthesize({ kafkaMode: "provisioned" });
    template.resourceCountIs("AWS::MSK::ServerlessCluster", 0);
    template.hasResourceProperties("AWS::MSK::Cluster", {
      ClientAuthentication: { Sasl: { Iam: { Enabled: true } }, Unauthenticated: { Enabled: false } },
      EncryptionInfo: { EncryptionInTransit: { ClientBroker: "TLS", InCluster: true } },
    });
  });

  it("notifies the loader directly, without a queue, when the warehouse is PostgreSQL", {
    timeout: 120_000,
  }, () => {
    const { template } = synthesize({ warehouse: "postgres" });
    template.hasResourceProperties("Custom::S3BucketNotifications", {
      NotificationConfiguration: {
        LambdaFunctionConfigurations: Match.arrayWith([
          Match.objectLike({
            Filter: { Key: { FilterRules: [{ Name: "prefix", Value: "raw/" }] } },
            LambdaFunctionArn: { "Fn::GetAtt": [functionId(template, "load-raw"), "Arn"] },
          }),
        ]),
      },
    });
  });

  it("creates the role Snowflake's storage integration assumes, reading raw/ only", {
    timeout: 120_000,
  }, () => {
    const iamUserArn = "arn:aws:iam::111122223333:user/abc1-s-snowflake";
    const { template } = synthesize({
      snowflakeIamUserArn: iamUserArn,
      snowflakeExternalId: "ACME_SFCRole=1_x",
    });

    template.hasResourceProperties("AWS::IAM::Role", {
      RoleName: "pipeline-dev-snowflake-stage",
      AssumeRolePolicyDocument: {
        Statement: [
          Match.objectLike({
            Principal: { AWS: iamUserArn },
            Condition: { StringEquals: { "sts:ExternalId": "ACME_SFCRole=1_x" } },
          }),
        ],
      },
    });
    template.hasOutput("SnowflakeStageRoleArn", {});
  });

  it("adds one NAT gateway, the schedule and the alert subscription from context", {
    timeout: 120_000,
  }, () => {
    const { template } = synthesize({
      natGateway: true,
      schedule: "cron(0 6 * * ? *)",
      alertEmail: "ops@example.com",
      removalPolicy: "destroy",
    });
    template.resourceCountIs("AWS::EC2::NatGateway", 1);
    template.hasResourceProperties("AWS::Scheduler::Schedule", { ScheduleExpression: "cron(0 6 * * ? *)" });
    template.hasResourceProperties("AWS::SNS::Subscription", {
      Protocol: "email",
      Endpoint: "ops@example.com",
    });
    for (const bucket of Object.values(template.findResources("AWS::S3::Bucket"))) {
      expect(bucket.DeletionPolicy).toBe("Delete");
    }
  });
});

/** Every state, including those inside Map item processors. */
function allStates(definition: Record<string, unknown>): Record<string, unknown>[] {
  const states = Object.values(definition.States as Record<string, Record<string, unknown>>);
  return states.flatMap((s) => [
    s,
    ...(s.ItemProcessor ? allStates(s.ItemProcessor as Record<string, unknown>) : []),
    ...(s.Iterator ? allStates(s.Iterator as Record<string, unknown>) : []),
  ]);
}
