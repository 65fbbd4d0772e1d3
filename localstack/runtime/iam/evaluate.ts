/**
 * The IAM decision for a request, from the template's policies, by a real policy evaluator
 * (`@cloud-copilot/iam-simulate`: wildcards, conditions, explicit deny, same-account
 * identity-or-resource semantics). Everything happens in one account, the local one.
 */
import {
  getDenialReasons,
  getGrantReasons,
  type RequestAnalysis,
  runSimulation,
} from "@cloud-copilot/iam-simulate";
import { LOCAL_ACCOUNT } from "../../../core/config/index.ts";
import type { Template } from "../assembly.ts";
import { type ReadPoliciesOptions, readPolicies, type TemplatePolicies } from "./policies.ts";
import type { AccessDecision, AccessRequest, Authorizer, PolicyDocument } from "./types.ts";

export interface TemplateAuthorizer extends Authorizer {
  readonly policies: TemplatePolicies;
  /** Whether the service principal (`lambda.amazonaws.com`, …) may assume the role (its trust policy). */
  roleTrusts(
    principalService: string,
    roleArn: string,
    context?: AccessRequest["context"],
  ): Promise<AccessDecision>;
}

export interface AuthorizerOptions extends ReadPoliciesOptions {
  /** Decisions kept (by principal, action, resource and context). @default 10_000 */
  readonly cacheSize?: number;
}

type Verdict = "Allowed" | "ExplicitlyDenied" | "ImplicitlyDenied";

export function createAuthorizer(template: Template, options: AuthorizerOptions = {}): TemplateAuthorizer {
  const policies = readPolicies(template, options);
  const cache = new Map<string, Promise<AccessDecision>>();
  const cacheSize = options.cacheSize ?? 10_000;

  const remember = (key: string, compute: () => Promise<AccessDecision>): Promise<AccessDecision> => {
    const known = cache.get(key);
    if (known) return known;
    const decision = compute();
    cache.set(key, decision);
    if (cache.size > cacheSize) cache.delete(cache.keys().next().value as string);
    return decision;
  };

  return {
    policies,
    decide(request) {
      return remember(
        JSON.stringify([
          "decide",
          request.principal,
          request.action,
          request.resource,
          sortedContext(request.context),
        ]),
        () => decide(policies, request),
      );
    },
    roleTrusts(principalService, roleArn, context) {
      return remember(
        JSON.stringify(["trust", principalService, roleArn, sortedContext(context)]),
        async () => {
          const role = policies.roles.get(roleArn);
          const subject = `${principalService} assuming role ${roleArn}`;
          if (!role) return { allowed: false, explanation: `${subject}: the template has no such role` };
          const verdict = await simulate({
            principal: principalService,
            action: "sts:AssumeRole",
            resource: roleArn,
            context: { "aws:SourceAccount": LOCAL_ACCOUNT, ...context },
            identityPolicies: [],
            resourcePolicy: role.trustPolicy,
          });
          return explain(
            `${principalService} may${verdict.result === "Allowed" ? "" : " not"} assume role ${role.roleName}`,
            verdict,
            {
              resourcePolicyName: "its trust policy",
              noAllow: "no statement of its trust policy allows it",
            },
          );
        },
      );
    },
  };
}

async function decide(policies: TemplatePolicies, request: AccessRequest): Promise<AccessDecision> {
  const role = policies.roles.get(request.principal);
  const who = role ? `role ${role.roleName}` : request.principal;
  const resourceArn = resourcePolicyOwner(policies, request.resource);
  const resourcePolicy = resourceArn ? policies.resourcePolicies.get(resourceArn) : undefined;
  const context: Record<string, string | readonly string[]> = {
    // SDKs speak TLS to AWS, so every real call carries aws:SecureTransport=true; offline the
    // hop to the gateway is loopback HTTP, which would trip every "deny unless TLS" policy.
    "aws:SecureTransport": "true",
    "aws:PrincipalAccount": LOCAL_ACCOUNT,
    ...(role ? { "aws:PrincipalArn": role.roleArn } : {}),
    ...request.context,
  };
  if (!role && !request.principal.endsWith(".amazonaws.com")) {
    return {
      allowed: false,
      explanation: `${who} is neither a role of the template nor a service principal: nothing allows ${request.action} on ${request.resource}`,
    };
  }
  const verdict = await simulate({
    principal: request.principal,
    action: request.action,
    resource: request.resource,
    context,
    identityPolicies: role?.identityPolicies.map((p) => ({ name: p.name, policy: p.document })) ?? [],
    resourcePolicy,
  });
  const subject = `${who} ${verdict.result === "Allowed" ? "may" : "may not"} perform ${request.action} on ${request.resource}`;
  return explain(subject, verdict, {
    resourcePolicyName: `the resource policy of ${resourceArn}`,
    noAllow: "no statement in its policies allows it",
  });
}

interface SimulationVerdict {
  readonly result: Verdict;
  readonly analysis?: RequestAnalysis;
  readonly error?: string;
}

async function simulate(input: {
  principal: string;
  action: string;
  resource: string;
  context: Readonly<Record<string, string | readonly string[]>>;
  identityPolicies: Array<{ name: string; policy: unknown }>;
  resourcePolicy: PolicyDocument | undefined;
}): Promise<SimulationVerdict> {
  const response = await runSimulation(
    {
      request: {
        principal: input.principal,
        action: input.action,
        resource: { resource: input.resource, accountId: LOCAL_ACCOUNT },
        contextVariables: Object.fromEntries(
          Object.entries(input.context).map(([k, v]) => [k, typeof v === "string" ? v : [...v]]),
        ),
      },
      identityPolicies: input.identityPolicies,
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      ...(input.resourcePolicy ? { resourcePolicy: input.resourcePolicy } : {}),
    },
    {},
  );
  if (response.resultType === "error") {
    // Fail closed: a request the evaluator cannot read is not one IAM would allow.
    return { result: "ImplicitlyDenied", error: response.errors.message };
  }
  if (response.resultType === "single") {
    return { result: response.overallResult, analysis: response.result.analysis };
  }
  return { result: response.overallResult, analysis: response.results[0]?.analysis };
}

function explain(
  subject: string,
  verdict: SimulationVerdict,
  names: { resourcePolicyName: string; noAllow: string },
): AccessDecision {
  if (verdict.error) {
    return {
      allowed: false,
      denial: "no-allow",
      explanation: `${subject}: the policy evaluator refused the request (${verdict.error})`,
    };
  }
  const statement = (s: { statementId?: string | undefined; statementIndex: number }) =>
    s.statementId ? `statement "${s.statementId}"` : `statement #${s.statementIndex}`;
  const policyName = (s: { policyType: string; policyIdentifier?: string | undefined }) =>
    s.policyType === "resource" ? names.resourcePolicyName : `policy ${s.policyIdentifier ?? s.policyType}`;
  if (verdict.result === "Allowed") {
    const grant = verdict.analysis ? getGrantReasons(verdict.analysis)[0] : undefined;
    const by = grant ? `: allowed by ${statement(grant)} of ${policyName(grant)}` : "";
    return { allowed: true, explanation: `${subject}${by}` };
  }
  if (verdict.result === "ExplicitlyDenied" && verdict.analysis) {
    const denial = getDenialReasons(verdict.analysis).find((d) => d.denialType === "Explicit");
    if (denial && denial.denialType === "Explicit") {
      const kind = denial.policyType === "resource" ? "resource-based" : "identity-based";
      return {
        allowed: false,
        denial: denial.policyType === "resource" ? "resource-deny" : "identity-deny",
        explanation: `${subject}: explicitly denied by ${statement(denial)} of ${policyName({ policyType: denial.policyType, policyIdentifier: denial.policyIdentifier })} (an explicit deny in a ${kind} policy)`,
      };
    }
  }
  return { allowed: false, denial: "no-allow", explanation: `${subject}: ${names.noAllow}` };
}

/** The ARN of the resource whose policy governs `resource` (a bucket for its objects, …). */
function resourcePolicyOwner(policies: TemplatePolicies, resource: string): string | undefined {
  if (policies.resourcePolicies.has(resource)) return resource;
  const candidates = [
    /^(arn:aws:s3:::[^/]+)/.exec(resource)?.[1],
    /^(arn:aws:lambda:[^:]+:\d+:function:[^:]+)/.exec(resource)?.[1],
    /^(arn:aws:dynamodb:[^:]+:\d+:table\/[^/]+)/.exec(resource)?.[1],
    // Secrets Manager appends "-" and six random characters to a secret's name in its ARN.
    /^(arn:aws:secretsmanager:[^:]+:\d+:secret:.+)-[A-Za-z0-9]{6}$/.exec(resource)?.[1],
  ];
  return candidates.find((arn) => arn !== undefined && policies.resourcePolicies.has(arn));
}

function sortedContext(context: AccessRequest["context"]): Array<[string, unknown]> {
  return Object.entries(context ?? {}).sort(([a], [b]) => a.localeCompare(b));
}
