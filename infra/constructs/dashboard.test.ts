/** Template tests of the dashboard's hosting (AWS target) and of its API function on both targets. */
import { Match } from "aws-cdk-lib/assertions";
import { describe, expect, it } from "vitest";
import { functionId, resourcesOf, synthesize } from "../../test/fixtures/stacks.ts";

const CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad";

type Template = ReturnType<typeof synthesize>["template"];

function properties(template: Template, type: string, id: string): Record<string, unknown> {
  return resourcesOf(template, type)[id]?.Properties ?? {};
}

function environmentOf(template: Template, name: string): Record<string, unknown> {
  const fn = properties(template, "AWS::Lambda::Function", functionId(template, name));
  return (fn.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {};
}

/** Every action the policies attached to a function's role allow. */
function actionsOf(template: Template, name: string): string[] {
  const fn = properties(template, "AWS::Lambda::Function", functionId(template, name));
  const role = (fn.Role as { "Fn::GetAtt": [string, string] })["Fn::GetAtt"][0];
  return Object.values(resourcesOf(template, "AWS::IAM::Policy"))
    .filter((p) => JSON.stringify(p.Properties?.Roles).includes(role))
    .flatMap(
      (p) =>
        (p.Properties?.PolicyDocument as { Statement?: { Action: string | string[] }[] })?.Statement ?? [],
    )
    .flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]));
}

describe("dashboard hosting (AWS target)", () => {
  const { template } = synthesize({ target: "aws" });
  const api = functionId(template, "dashboard-api");

  it("exposes the API function through a function URL that only signed (IAM) callers may use", () => {
    template.hasResourceProperties("AWS::Lambda::Url", {
      AuthType: "AWS_IAM",
      TargetFunctionArn: { "Fn::GetAtt": [api, "Arn"] },
    });
    template.hasResourceProperties("AWS::Lambda::Permission", {
      Action: "lambda:InvokeFunctionUrl",
      Principal: "cloudfront.amazonaws.com",
    });
  });

  it("serves the page from a private bucket and /api/* from the function, uncached, GET/HEAD only", () => {
    template.resourceCountIs("AWS::CloudFront::Distribution", 1);
    template.hasResourceProperties("AWS::CloudFront::Distribution", {
      DistributionConfig: Match.objectLike({
        DefaultRootObject: "index.html",
        DefaultCacheBehavior: Match.objectLike({ ViewerProtocolPolicy: "redirect-to-https" }),
        CacheBehaviors: [
          Match.objectLike({
            PathPattern: "/api/*",
            AllowedMethods: ["GET", "HEAD"],
            CachePolicyId: CACHING_DISABLED,
            ViewerProtocolPolicy: "https-only",
          }),
        ],
      }),
    });
    const oacTypes = Object.keys(resourcesOf(template, "AWS::CloudFront::OriginAccessControl")).map(
      (id) =>
        (
          properties(template, "AWS::CloudFront::OriginAccessControl", id).OriginAccessControlConfig as {
            OriginAccessControlOriginType: string;
          }
        ).OriginAccessControlOriginType,
    );
    expect(oacTypes.sort()).toEqual(["lambda", "s3"]);
    template.hasResourceProperties("AWS::S3::Bucket", {
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      LoggingConfiguration: { LogFilePrefix: "dashboard-site/", DestinationBucketName: Match.anyValue() },
    });
    template.resourceCountIs("Custom::CDKBucketDeployment", 1);
  });

  it("gives the API function read-only permissions with exact actions, and the state machine to read", () => {
    const variables = environmentOf(template, "dashboard-api");
    expect(variables.STATE_MACHINE_ARN).toEqual({ Ref: expect.stringMatching(/PipelineRun/) });
    expect(variables.SERVING_TABLE).toBeDefined();
    const actions = actionsOf(template, "dashboard-api");
    expect(actions.filter((a) => a.includes("*"))).toEqual([]);
    const writes = actions.filter(
      (a) => !a.startsWith("xray:") && /:(Put|Delete|Update|Start|Stop|Create|Write)/.test(a),
    );
    expect(writes).toEqual([]);
    expect(actions).toEqual(expect.arrayContaining(["states:ListExecutions", "states:GetExecutionHistory"]));
  });
});

describe("dashboard API on the local target", () => {
  const { template } = synthesize({ target: "local" });

  it("reads runs from the local runtime's history and has no CloudFront hosting (the runtime serves it)", () => {
    const variables = environmentOf(template, "dashboard-api");
    expect(variables.RUNS_SOURCE).toBe("local");
    expect(variables.STATE_MACHINE_ARN).toBeUndefined();
    template.resourceCountIs("AWS::CloudFront::Distribution", 0);
  });
});
