/**
 * "Green offline means it works in the account": every call the offline run made and IAM
 * allowed (the runtime's access journal) is asked again of the AWS target's template — its
 * roles and resource policies, and its network (a function in subnets with no NAT reaches
 * an AWS service only through a VPC endpoint for it). Both templates come from the same CDK
 * app, so a role or resource has the same logical id in both; only names and ARNs differ.
 */
import { resourcesOfType, type Template } from "../assembly.ts";
import { arnOf, type ResolveContext, resolve } from "../intrinsics.ts";
import { createAuthorizer } from "./evaluate.ts";
import type { AccessRequest } from "./types.ts";

export interface ReplayProblem {
  /** The call as the offline run made it. */
  readonly offline: AccessRequest;
  /** The same call in the AWS target's names, when it could be translated. */
  readonly aws?: AccessRequest;
  readonly problem: string;
}

/** The MSK cluster ARN of each template: `cluster/<name>/<uuid>` is what topic and group ARNs embed. */
export interface ClusterNames {
  readonly local: string;
  readonly aws: string;
}

export async function replayOnAwsTemplate(
  journal: readonly AccessRequest[],
  templates: { readonly local: Template; readonly aws: Template },
  options: { readonly region?: string; readonly clusters?: ClusterNames } = {},
): Promise<ReplayProblem[]> {
  const region = options.region ?? "us-east-1";
  const local: ResolveContext = { template: templates.local, region, stackName: "local" };
  const aws: ResolveContext = { template: templates.aws, region, stackName: "local" };
  const translate = arnTranslator(local, aws, options.clusters);
  const authorizer = createAuthorizer(templates.aws, { region });
  const reach = reachability(aws);
  const problems: ReplayProblem[] = [];
  const seen = new Set<string>();
  for (const offline of journal) {
    const key = JSON.stringify(offline);
    if (seen.has(key)) continue;
    seen.add(key);
    const principal = offline.principal.endsWith(".amazonaws.com")
      ? offline.principal
      : translate(offline.principal);
    const resource = offline.resource === "*" ? "*" : translate(offline.resource);
    if (!principal || !resource) {
      problems.push({
        offline,
        problem: `no counterpart in the AWS template for ${principal ? offline.resource : offline.principal}`,
      });
      continue;
    }
    const context = Object.fromEntries(
      Object.entries(offline.context ?? {}).map(([k, v]) => [
        k,
        typeof v === "string" ? (translate(v) ?? v) : v,
      ]),
    );
    const request: AccessRequest = { principal, action: offline.action, resource, context };
    const decision = await authorizer.decide(request);
    if (!decision.allowed) {
      problems.push({ offline, aws: request, problem: `IAM in the AWS template: ${decision.explanation}` });
      continue;
    }
    const unreachable = reach(principal, offline.action);
    if (unreachable) problems.push({ offline, aws: request, problem: unreachable });
  }
  return problems;
}

/** Local ARN → the AWS template's ARN of the same logical resource (objects and sub-paths kept). */
function arnTranslator(
  local: ResolveContext,
  aws: ResolveContext,
  clusters: ClusterNames | undefined,
): (arn: string) => string | undefined {
  const pairs: Array<[string, string]> = [];
  for (const id of Object.keys(local.template.Resources)) {
    if (!aws.template.Resources[id]) continue;
    try {
      const from = arnOf(local, id);
      const to = arnOf(aws, id);
      pairs.push([from, to]);
      // A log group's ARN ends in `:*`; its streams are `…:log-group:<name>:log-stream:<stream>`.
      if (from.endsWith(":*") && to.endsWith(":*")) pairs.push([from.slice(0, -2), to.slice(0, -2)]);
    } catch {
      // A resource without an ARN form (outputs of custom resources…): nothing to translate.
    }
  }
  // Longest first, so `…:secret:name-x` wins over `…:secret:name`.
  pairs.sort(([a], [b]) => b.length - a.length);
  const clusterPart = (arn: string) => /:cluster\/([^/]+\/[^/]+)/.exec(arn)?.[1];
  const localCluster = clusters && clusterPart(clusters.local);
  const awsCluster = clusters && clusterPart(clusters.aws);
  return (arn) => {
    // The bootstrap's asset repository (the dbt image) is in neither template: the same in both.
    if (/^arn:aws:ecr:[^:]*:\d{12}:repository\/cdk-[a-z0-9]+-container-assets-/.test(arn)) return arn;
    if (arn.startsWith("arn:aws:kafka:")) {
      if (!localCluster || !awsCluster) return undefined;
      return arn.includes(localCluster) ? arn.replace(localCluster, awsCluster) : undefined;
    }
    for (const [from, to] of pairs) {
      if (arn === from) return to;
      if (arn.startsWith(from) && /^[/:*]/.test(arn.slice(from.length))) return to + arn.slice(from.length);
    }
    return undefined;
  };
}

/**
 * Whether a role's function can reach the service of `action` from where the AWS template
 * puts it: outside a VPC, or in a VPC with a NAT gateway, everything is reachable; in
 * NAT-less subnets, only services with a VPC endpoint (gateway or interface) — and Kafka,
 * which lives in the VPC. Returns the problem, or undefined.
 */
function reachability(aws: ResolveContext): (roleArn: string, action: string) => string | undefined {
  const template = aws.template;
  const hasNat = resourcesOfType(template, "AWS::EC2::NatGateway").length > 0;
  const endpoints = new Set(
    resourcesOfType(template, "AWS::EC2::VPCEndpoint").map(([id]) => {
      const name = String(resolve(aws, template.Resources[id]?.Properties?.ServiceName) ?? "");
      return name.slice(name.lastIndexOf(".") + 1);
    }),
  );
  const inVpc = new Map<string, string>();
  for (const [id, fn] of resourcesOfType(template, "AWS::Lambda::Function")) {
    if (!fn.Properties?.VpcConfig) continue;
    const role = resolve(aws, fn.Properties.Role);
    if (typeof role === "string") inVpc.set(role, id);
  }
  return (roleArn, action) => {
    const fn = inVpc.get(roleArn);
    if (!fn || hasNat) return undefined;
    const service = action.slice(0, action.indexOf(":"));
    if (service === "kafka-cluster") return undefined;
    const endpointName = ENDPOINT_SERVICE[service] ?? service;
    if (endpoints.has(endpointName)) return undefined;
    return `network in the AWS template: ${fn} runs in subnets with no NAT gateway and no VPC endpoint for ${endpointName}, so ${action} has no route`;
  };
}

/** IAM service prefix → the last part of its VPC endpoint service name, where they differ. */
const ENDPOINT_SERVICE: Record<string, string> = {
  "kafka-cluster": "kafka",
  states: "states",
  lambda: "lambda",
};
