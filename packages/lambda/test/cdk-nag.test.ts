import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  aws_ec2 as ec2,
  aws_rds as rds,
  aws_secretsmanager as secretsmanager,
  Validations,
} from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import {
  PresenceApi,
  type PresenceApiProps,
  PresenceDatabase,
  PresenceFrontDoor,
  PresenceIdentity,
  PresenceRedis,
} from '../src/cdk/index.js';
import { baseProps, type Fixture, makeStack, newApp } from './cdk-fixtures.js';

interface Violation {
  ruleName: string;
  severity: string;
  reason?: string;
  acknowledgedAt?: string;
  violatingConstructs: { constructPath: string }[];
}
interface ValidationReport {
  pluginReports: {
    pluginName: string;
    conclusion: string;
    violations: Violation[];
    suppressedViolations?: Violation[];
  }[];
}

/**
 * GIVEN an app with the AwsSolutions pack plugged in the cdk-nag 3 way, WHEN it synthesizes, THEN
 * it must not throw (an unacknowledged error fails synth) and the report lists no violation at all.
 * Returns the AwsSolutions report, to inspect the acknowledged findings.
 */
function synthWithNag(props: (f: Fixture) => Partial<PresenceApiProps>) {
  const app = newApp();
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  const f = makeStack(app);
  new PresenceApi(f.stack, 'Presence', baseProps(f, props(f)));
  const assembly = app.synth();
  const report = JSON.parse(
    readFileSync(join(assembly.directory, 'validation-report.json'), 'utf8'),
  ) as ValidationReport;
  const aws = report.pluginReports.find((r) => r.pluginName === 'AwsSolutions');
  if (!aws) throw new Error('the AwsSolutions pack did not run');
  return aws;
}

/** `AwsSolutions-IAM5[Resource::...]` → `AwsSolutions-IAM5`, to compare rule sets. */
const ruleOf = (v: Violation) => v.ruleName.replace(/\[.*$/, '');

/** What the construct acknowledges by design, each with its reason in nag.ts. */
const BY_DESIGN = [
  'AwsSolutions-APIG4', // WebSocket routes after $connect; HTTP API routes verified in the function
  'AwsSolutions-IAM4', // AWSLambdaBasicExecutionRole / AWSLambdaVPCAccessExecutionRole
  'AwsSolutions-IAM5', // @connections/<connectionId>
  'AwsSolutions-AEC5', // the created replication group's default port
  'AwsSolutions-SMG4', // the created AUTH token rotates through ElastiCache
];

const expectExplained = (acknowledged: Violation[]) => {
  for (const v of acknowledged) {
    expect(v.reason?.length, `${v.ruleName} at ${v.acknowledgedAt}`).toBeGreaterThan(40);
    // Acknowledged on the construct itself, never by the stack or the app.
    expect(v.acknowledgedAt).toMatch(/^PresenceStack\/Presence\//);
  }
};

// Each test synthesizes a whole app with the pack; the first also pays for loading it.
describe('cdk-nag AwsSolutions', { timeout: 60_000 }, () => {
  it('passes with the default props (HTTP API): no unacknowledged finding, every acknowledgement explained', () => {
    const report = synthWithNag(() => ({}));
    expect(report.violations).toEqual([]);
    expect(report.conclusion).toBe('success');
    const acknowledged = report.suppressedViolations ?? [];
    expect([...new Set(acknowledged.map(ruleOf))].sort()).toEqual([...BY_DESIGN].sort());
    expectExplained(acknowledged);
  }, 60_000);

  it('acknowledges wildcard IAM findings one by one: only @connections/* of this API', () => {
    const report = synthWithNag(() => ({}));
    const iam5 = (report.suppressedViolations ?? []).filter((v) =>
      v.ruleName.startsWith('AwsSolutions-IAM5'),
    );
    expect(new Set(iam5.map((v) => v.ruleName))).toEqual(
      new Set([
        'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:execute-api:eu-west-1:123456789012:<PresenceWebSocketApi714A0AE9>/prod/POST/@connections/*]',
        'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:execute-api:eu-west-1:123456789012:<PresenceWebSocketApi714A0AE9>/prod/DELETE/@connections/*]',
      ]),
    );
  });

  it('on a REST API without WAF: the stage acknowledgement, true because the stage is throttled', () => {
    const report = synthWithNag(() => ({ frontDoor: PresenceFrontDoor.restApi() }));
    expect(report.violations).toEqual([]);
    const apig3 = (report.suppressedViolations ?? []).filter(
      (v) => ruleOf(v) === 'AwsSolutions-APIG3',
    );
    expect(apig3).toHaveLength(1);
    expect(apig3[0]?.reason).toMatch(/throttled/);
    expectExplained(report.suppressedViolations ?? []);
  });

  it('on a REST API with a WAF web ACL: nothing to acknowledge for the stage', () => {
    const report = synthWithNag(() => ({
      frontDoor: PresenceFrontDoor.restApi({
        webAclArn: 'arn:aws:wafv2:eu-west-1:123456789012:regional/webacl/presence/abc',
      }),
    }));
    expect(report.violations).toEqual([]);
    expect(
      (report.suppressedViolations ?? []).some((v) => ruleOf(v) === 'AwsSolutions-APIG3'),
    ).toBe(false);
  });

  it('passes with an existing Redis, an RDS Proxy, tracing and the Cognito REST authorizer', () => {
    const report = synthWithNag((f) => {
      const proxySg = ec2.SecurityGroup.fromSecurityGroupId(
        f.stack,
        'ProxySg',
        'sg-0proxy00000000a',
      );
      return {
        redis: PresenceRedis.existing({
          endpoint: 'presence.abc.cache.amazonaws.com',
          authToken: secretsmanager.Secret.fromSecretCompleteArn(
            f.stack,
            'RedisSecret',
            'arn:aws:secretsmanager:eu-west-1:123456789012:secret:presence/redis-XyZ123',
          ),
        }),
        database: PresenceDatabase.proxy(
          rds.DatabaseProxy.fromDatabaseProxyAttributes(f.stack, 'Proxy', {
            dbProxyArn: 'arn:aws:rds:eu-west-1:123456789012:db-proxy:prx-0123456789abcdef0',
            dbProxyName: 'user-service',
            endpoint: 'user-service.proxy-abc.eu-west-1.rds.amazonaws.com',
            securityGroups: [proxySg],
          }),
          { username: 'presence_reader', databaseName: 'users', securityGroup: proxySg },
        ),
        tracingEnabled: true,
        frontDoor: PresenceFrontDoor.restApi({ authorization: 'cognito' }),
      };
    });
    expect(report.violations).toEqual([]);
    const rules = new Set((report.suppressedViolations ?? []).map(ruleOf));
    // The Cognito authorizer satisfies COG4 and APIG4 on the REST methods by itself.
    expect(rules.has('AwsSolutions-COG4')).toBe(false);
    expect(
      (report.suppressedViolations ?? []).some(
        (v) => v.ruleName === 'AwsSolutions-IAM5[Resource::*]',
      ),
    ).toBe(true);
  });

  it('passes with a created cluster-mode Valkey, an OIDC issuer and the Lambda REST authorizer', () => {
    const report = synthWithNag(() => ({
      frontDoor: PresenceFrontDoor.restApi({ authorization: 'lambda' }),
      redis: PresenceRedis.elastiCache({ engine: 'valkey', clusterMode: true, shards: 2 }),
      identity: PresenceIdentity.oidc({
        issuerUrl: 'https://id.example.com',
        jwksUrl: 'https://id.example.com/.well-known/jwks.json',
        audiences: ['web'],
      }),
    }));
    expect(report.violations).toEqual([]);
  });

  it('passes with a serverless cache, the HTTP API JWT authorizer and a Secrets Manager endpoint', () => {
    const report = synthWithNag(() => ({
      redis: PresenceRedis.serverless(),
      frontDoor: PresenceFrontDoor.httpApi({ authorization: 'jwt' }),
      secretsManagerEndpoint: true,
    }));
    expect(report.violations).toEqual([]);
    expectExplained(report.suppressedViolations ?? []);
  });

  it('passes with the activity history on both front doors: the table (PITR, encryption) and its grants need no acknowledgement', () => {
    for (const frontDoor of [PresenceFrontDoor.httpApi(), PresenceFrontDoor.restApi()]) {
      const report = synthWithNag(() => ({ activityHistory: true, frontDoor }));
      expect(report.violations).toEqual([]);
      const rules = new Set((report.suppressedViolations ?? []).map(ruleOf));
      expect([...rules].filter((r) => r.startsWith('AwsSolutions-DDB'))).toEqual([]);
      expectExplained(report.suppressedViolations ?? []);
    }
  }, 60_000);
});
