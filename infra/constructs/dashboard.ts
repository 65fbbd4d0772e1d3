/**
 * Dashboard hosting in AWS: the built page (dashboard/dist) in a private S3 bucket, and one
 * CloudFront distribution serving it through Origin Access Control, with `/api/*` going to
 * the dashboard-api function URL (AWS_IAM auth, signed by CloudFront's OAC for Lambda) and
 * never cached — the page polls it every 2 s.
 */
import { Duration, RemovalPolicy } from "aws-cdk-lib";
import * as cloudfront from "aws-cdk-lib/aws-cloudfront";
import * as origins from "aws-cdk-lib/aws-cloudfront-origins";
import type * as lambda from "aws-cdk-lib/aws-lambda";
import * as s3 from "aws-cdk-lib/aws-s3";
import * as s3deploy from "aws-cdk-lib/aws-s3-deployment";
import { Construct } from "constructs";
import { buildDashboard } from "../../dashboard/build.ts";

export interface DashboardProps {
  /** The dashboard-api function URL (AWS_IAM auth). */
  readonly api: lambda.IFunctionUrl;
  /** Where the site bucket's S3 server access logs go (the lake's access-log bucket). */
  readonly accessLogs: s3.IBucket;
  /** The built page. @default built now by dashboard/build.ts */
  readonly siteDir?: string;
  /** @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
}

export class Dashboard extends Construct {
  public readonly bucket: s3.Bucket;
  public readonly distribution: cloudfront.Distribution;
  /** https://<distribution domain>/ */
  public readonly url: string;

  constructor(scope: Construct, id: string, props: DashboardProps) {
    super(scope, id);
    const destroy = props.removalPolicy === RemovalPolicy.DESTROY;
    this.bucket = new s3.Bucket(this, "Site", {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      serverAccessLogsBucket: props.accessLogs,
      serverAccessLogsPrefix: "dashboard-site/",
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
      autoDeleteObjects: destroy,
      // Each deploy replaces the page's files; nothing else is written here.
      lifecycleRules: [{ abortIncompleteMultipartUploadAfter: Duration.days(1) }],
    });

    this.distribution = new cloudfront.Distribution(this, "Distribution", {
      comment: "Pipeline dashboard: the page from S3, /api/* from the dashboard-api function",
      defaultRootObject: "index.html",
      priceClass: cloudfront.PriceClass.PRICE_CLASS_100,
      minimumProtocolVersion: cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021,
      defaultBehavior: {
        origin: origins.S3BucketOrigin.withOriginAccessControl(this.bucket),
        viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        cachePolicy: cloudfront.CachePolicy.CACHING_OPTIMIZED,
      },
      additionalBehaviors: {
        "/api/*": {
          origin: origins.FunctionUrlOrigin.withOriginAccessControl(props.api, {
            readTimeout: Duration.seconds(30),
          }),
          viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
          // Read-only API: only GET and HEAD reach the function (OAC signs no request bodies).
          allowedMethods: cloudfront.AllowedMethods.ALLOW_GET_HEAD,
          cachePolicy: cloudfront.CachePolicy.CACHING_DISABLED,
          // The query string (e.g. ?symbol=) but not the Host header, which the function URL checks.
          originRequestPolicy: cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
        },
      },
    });

    new s3deploy.BucketDeployment(this, "Deploy", {
      sources: [s3deploy.Source.asset(props.siteDir ?? buildDashboard())],
      destinationBucket: this.bucket,
      distribution: this.distribution,
      distributionPaths: ["/*"],
      memoryLimit: 512,
    });
    this.url = `https://${this.distribution.distributionDomainName}/`;
  }
}
