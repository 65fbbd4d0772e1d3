/**
 * Reads a CDK cloud assembly (the output of `cdk synth`) and gives the runtime the parts of
 * each stack's CloudFormation template it executes. Nothing here knows our functions or
 * topics: it only reads what the template declares.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { PipelineError } from "../../core/errors.ts";

export interface CfnResource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
  readonly DependsOn?: string | string[];
}

export interface Template {
  readonly Resources: Record<string, CfnResource>;
  readonly Parameters?: Record<string, { Default?: unknown }>;
  readonly Outputs?: Record<string, unknown>;
}

export interface StackArtifact {
  readonly stackName: string;
  readonly template: Template;
}

interface ManifestArtifact {
  type: string;
  properties?: { templateFile?: string; stackName?: string };
  displayName?: string;
}

/** Every CloudFormation stack of the assembly in `dir` (nested assemblies of stages included). */
export function readAssembly(dir: string): StackArtifact[] {
  const manifest = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8")) as {
    artifacts?: Record<string, ManifestArtifact & { properties?: { directoryName?: string } }>;
  };
  const stacks: StackArtifact[] = [];
  for (const [id, artifact] of Object.entries(manifest.artifacts ?? {})) {
    if (artifact.type === "aws:cloudformation:stack" && artifact.properties?.templateFile) {
      const template = JSON.parse(
        readFileSync(join(dir, artifact.properties.templateFile), "utf8"),
      ) as Template;
      stacks.push({ stackName: artifact.properties.stackName ?? id, template });
    } else if (artifact.type === "cdk:cloud-assembly" && artifact.properties?.directoryName) {
      stacks.push(...readAssembly(join(dir, artifact.properties.directoryName)));
    }
  }
  if (stacks.length === 0) throw new AssemblyError(`no CloudFormation stack in the cloud assembly at ${dir}`);
  return stacks;
}

/** Resources of one type, with their logical ids. */
export function resourcesOfType(template: Template, type: string): Array<[string, CfnResource]> {
  return Object.entries(template.Resources).filter(([, r]) => r.Type === type);
}

export class AssemblyError extends PipelineError {}
