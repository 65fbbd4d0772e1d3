/**
 * Serving: the DynamoDB table of the real-time aggregates (core/realtime). One item per
 * topic-partition holds that partition's totals, windows and last applied offset, and one
 * small item per voter who voted says which vote counts (core/realtime/voter-claims.ts); on-demand billing, point-in-time recovery, encrypted at rest, retained
 * unless the removal policy says destroy.
 */
import { RemovalPolicy } from "aws-cdk-lib";
import * as dynamodb from "aws-cdk-lib/aws-dynamodb";
import * as iam from "aws-cdk-lib/aws-iam";
import { Construct } from "constructs";
import { SERVING_TABLE_KEYS } from "../../core/realtime/serving-table.ts";

export type ServingAccess = "read" | "read-write";

export interface ServingProps {
  /** @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
  /** Fixed table name (the local target uses core/config's default). @default generated */
  readonly tableName?: string;
}

export class Serving extends Construct {
  public readonly table: dynamodb.Table;
  private readonly fixedName?: string;

  constructor(scope: Construct, id: string, props: ServingProps = {}) {
    super(scope, id);
    this.fixedName = props.tableName;
    this.table = new dynamodb.Table(this, "Table", {
      tableName: props.tableName,
      partitionKey: { name: SERVING_TABLE_KEYS.partitionKey, type: dynamodb.AttributeType.STRING },
      sortKey: { name: SERVING_TABLE_KEYS.sortKey, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
  }

  /** The environment a function reading or writing the table gets (core/config reads it). */
  get environment(): Record<string, string> {
    // A fixed name goes in as a literal, so the local runtime reads it without resolving a Ref.
    return { SERVING_TABLE: this.fixedName ?? this.table.tableName };
  }

  /**
   * Exact actions on this table only: readers query and get; the aggregate writes whole
   * partition items with a conditional put, reads and writes voter claims and registrations in
   * batches, and releases a claim with a conditional update (core/realtime/voter-claims.ts).
   * No delete or scan is needed.
   */
  grant(grantee: iam.IGrantable, access: ServingAccess): void {
    const actions = [
      "dynamodb:GetItem",
      "dynamodb:Query",
      ...(access === "read-write"
        ? ["dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:BatchGetItem", "dynamodb:BatchWriteItem"]
        : []),
    ];
    iam.Grant.addToPrincipal({ grantee, actions, resourceArns: [this.table.tableArn] });
  }
}
