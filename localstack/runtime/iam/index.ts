/** Offline IAM enforcement: the template's policies, the evaluator, and the AWS API gateway. */
export { type ApiRequest, type MappedRequest, mapRequest, type RequiredAccess } from "./actions.ts";
export { type AuthorizerOptions, createAuthorizer, type TemplateAuthorizer } from "./evaluate.ts";
export {
  deniedMessage,
  type Gateway,
  type GatewayDecision,
  type GatewayOptions,
  type KafkaCluster,
  startGateway,
} from "./gateway.ts";
export { managedPolicyDocument, UnknownManagedPolicyError } from "./managed-policies.ts";
export {
  type NamedPolicy,
  PolicyReadError,
  type ReadPoliciesOptions,
  type RolePolicies,
  readPolicies,
  type TemplatePolicies,
} from "./policies.ts";
export * from "./types.ts";
