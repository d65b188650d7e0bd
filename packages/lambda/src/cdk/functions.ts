import {
  Duration,
  aws_ec2 as ec2,
  type aws_iam as iam,
  aws_lambda as lambda,
  aws_logs as logs,
} from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { variablesOfFunction } from '../config/index.js';
import {
  PRESENCE_FUNCTION_NAMES,
  PRESENCE_FUNCTIONS,
  type PresenceFunctionName,
  usesGroup,
} from '../manifest.js';
import { ASSET_EXCLUDES, functionAssetDirectory } from './function-code.js';
import { pascal } from './names.js';

/** Per-function settings that override the construct's defaults. */
export interface PresenceFunctionOverrides {
  /**
   * Memory, in MB.
   * @default - `memorySizeMb`
   */
  readonly memorySizeMb?: number;
  /**
   * Timeout, in seconds (request functions: at most 29, API Gateway's limit).
   * @default - `functionTimeoutSeconds`, or `sweepFunctionTimeoutSeconds` for `timeout`
   */
  readonly timeoutSeconds?: number;
  /**
   * Reserved concurrency: both a guarantee and a cap. `0` stops the function.
   * @default - 1 for `timeout` (one sweep at a time), none for the others (they share the
   * account's unreserved pool; stage throttling bounds them)
   */
  readonly reservedConcurrency?: number;
}

/** What the functions are built from. */
export interface FunctionsContext {
  readonly codeDirectory: string;
  /** Every variable any function reads; each function gets only its own. */
  readonly environment: Readonly<Record<string, string | undefined>>;
  readonly memorySizeMb: number;
  readonly requestTimeoutSeconds: number;
  readonly sweepTimeoutSeconds: number;
  readonly overrides: Partial<Record<PresenceFunctionName, PresenceFunctionOverrides>>;
  readonly vpc: ec2.IVpc;
  readonly vpcSubnets: ec2.SubnetSelection;
  readonly securityGroups: ec2.ISecurityGroup[];
  readonly tracingEnabled: boolean;
  readonly logRetention: logs.RetentionDays;
  /** Whether the database functions must load the Amazon RDS CA bundle. */
  readonly rdsCertificates: boolean;
  /** Grants for the functions that use a group's port. */
  readonly grants: {
    readonly redis: (grantee: iam.IGrantable) => void;
    readonly database: (grantee: iam.IGrantable) => void;
  };
}

/** Lambda loads the Amazon RDS CAs from here only when asked (Node.js 20 and later runtimes). */
const RDS_CA_BUNDLE = '/var/runtime/ca-cert.pem';

/** The one sweep at a time gets one execution reserved. */
const SWEEP_RESERVED_CONCURRENCY = 1;

/**
 * The twelve functions: Node.js 24 on ARM64, each from its own bundle, with only the variables of
 * the configuration groups it parses and only the grants of the ports it builds (the manifest).
 */
export function createFunctions(
  scope: Construct,
  context: FunctionsContext,
): Record<PresenceFunctionName, lambda.Function> {
  const entries = PRESENCE_FUNCTION_NAMES.map((name) => {
    const overrides = context.overrides[name] ?? {};
    const isSweep = name === 'timeout';
    const own = new Set(variablesOfFunction(name));
    const environment = Object.fromEntries(
      Object.entries(context.environment).filter(
        (entry): entry is [string, string] => entry[1] !== undefined && own.has(entry[0]),
      ),
    );
    if (usesGroup(name, 'database') && context.rdsCertificates) {
      environment.NODE_EXTRA_CA_CERTS = RDS_CA_BUNDLE;
    }
    const reserved =
      overrides.reservedConcurrency ?? (isSweep ? SWEEP_RESERVED_CONCURRENCY : undefined);
    const fn = new lambda.Function(scope, `${pascal(name)}Function`, {
      description: `Presence: ${PRESENCE_FUNCTIONS[name].description}`,
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      code: lambda.Code.fromAsset(functionAssetDirectory(context.codeDirectory, name), {
        exclude: [...ASSET_EXCLUDES],
      }),
      handler: 'index.handler',
      memorySize: overrides.memorySizeMb ?? context.memorySizeMb,
      timeout: Duration.seconds(
        overrides.timeoutSeconds ??
          (isSweep ? context.sweepTimeoutSeconds : context.requestTimeoutSeconds),
      ),
      environment,
      vpc: context.vpc,
      vpcSubnets: context.vpcSubnets,
      securityGroups: context.securityGroups,
      tracing: context.tracingEnabled ? lambda.Tracing.ACTIVE : lambda.Tracing.DISABLED,
      logGroup: new logs.LogGroup(scope, `${pascal(name)}Logs`, {
        retention: context.logRetention,
      }),
      ...(reserved === undefined ? {} : { reservedConcurrentExecutions: reserved }),
      // The schedule invokes the sweep asynchronously: a run that cannot start (throttled by its
      // reserved concurrency while the previous one runs) is dropped, not queued; the next one
      // comes within a minute.
      ...(isSweep ? { retryAttempts: 0, maxEventAge: Duration.seconds(60) } : {}),
    });
    if (usesGroup(name, 'redis')) context.grants.redis(fn);
    if (usesGroup(name, 'database')) context.grants.database(fn);
    return [name, fn] as const;
  });
  return Object.fromEntries(entries) as Record<PresenceFunctionName, lambda.Function>;
}
