import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';

const appDir = join(dirname(fileURLToPath(import.meta.url)), '..');

interface Template {
  Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }>;
  Outputs?: Record<string, { Value: unknown }>;
}
interface Report {
  pluginReports: { pluginName: string; conclusion: string; violations: unknown[] }[];
}

// GIVEN the example app, WHEN it is synthesized the way `cdk synth` runs it (the `app` command
// of cdk.json with CDK_OUTDIR set; no AWS credentials, no network), THEN:
let outdir: string;
let status: number | null;
let stderr: string;
beforeAll(() => {
  outdir = mkdtempSync(join(tmpdir(), 'presence-example-cdk-'));
  const cdkJson = JSON.parse(readFileSync(join(appDir, 'cdk.json'), 'utf8')) as {
    app: string;
    context: object;
  };
  const [command, ...args] = cdkJson.app.split(' ');
  // The CLI hands the app its cdk.json context through CDK_CONTEXT_JSON; so does this test.
  const context = cdkJson.context;
  const run = spawnSync(command as string, args, {
    cwd: appDir,
    env: { ...process.env, CDK_OUTDIR: outdir, CDK_CONTEXT_JSON: JSON.stringify(context) },
    encoding: 'utf8',
  });
  status = run.status;
  stderr = run.stderr;
}, 300_000);

const template = (): Template =>
  JSON.parse(readFileSync(join(outdir, 'PresenceExample.template.json'), 'utf8')) as Template;
const count = (type: string) =>
  Object.values(template().Resources).filter((r) => r.Type === type).length;

describe('examples/cdk-app', () => {
  it('synthesizes offline without errors (cdk-nag included)', () => {
    expect(status, stderr).toBe(0);
  });

  it('needs no context lookup (the CLI would need AWS credentials for one)', () => {
    const manifest = JSON.parse(readFileSync(join(outdir, 'manifest.json'), 'utf8')) as {
      missing?: unknown[];
    };
    expect(manifest.missing ?? []).toEqual([]);
  });

  it('writes the stack with the whole presence API', () => {
    // The WebSocket API and the HTTP API serving the REST routes.
    expect(count('AWS::ApiGatewayV2::Api')).toBe(2);
    // Five WebSocket routes; GET /presence, GET /presence/{userId}, GET and DELETE /activity.
    expect(count('AWS::ApiGatewayV2::Route')).toBe(9);
    expect(count('AWS::ApiGatewayV2::Authorizer')).toBe(1);
    expect(count('AWS::ApiGateway::RestApi')).toBe(0);
    expect(count('AWS::Lambda::Function')).toBe(12);
    // The activity history's table.
    expect(count('AWS::DynamoDB::GlobalTable')).toBe(1);
    expect(count('AWS::ElastiCache::ReplicationGroup')).toBe(1);
    expect(count('AWS::SecretsManager::Secret')).toBe(1);
    // The sweep schedule and the user service's graph changes (with their dead-letter queue).
    expect(count('AWS::Events::Rule')).toBe(2);
    expect(count('AWS::SQS::Queue')).toBe(1);
    expect(count('AWS::EC2::VPC')).toBe(1);
    expect(count('AWS::EC2::VPCEndpoint')).toBe(1);
    expect(count('AWS::CloudWatch::Dashboard')).toBe(1);
    const runtimes = Object.values(template().Resources)
      .filter((r) => r.Type === 'AWS::Lambda::Function')
      .map((r) => r.Properties?.Runtime);
    expect(new Set(runtimes)).toEqual(new Set(['nodejs24.x']));
  });

  it('alarms notify the on-call topic', () => {
    const alarms = Object.values(template().Resources).filter(
      (r) => r.Type === 'AWS::CloudWatch::Alarm',
    );
    expect(alarms.length).toBeGreaterThan(10);
    for (const alarm of alarms) {
      expect(JSON.stringify(alarm.Properties?.AlarmActions)).toContain('PresenceAlarms');
    }
  });

  it('outputs the WebSocket and REST URLs', () => {
    const values = Object.values(template().Outputs ?? {}).map((o) => JSON.stringify(o.Value));
    expect(values.some((v) => v.includes('"wss://"'))).toBe(true);
    expect(values.some((v) => v.includes('"https://"'))).toBe(true);
  });

  it('leaves no cdk-nag or CloudFormation validation finding unacknowledged', () => {
    const report = JSON.parse(
      readFileSync(join(outdir, 'validation-report.json'), 'utf8'),
    ) as Report;
    const names = report.pluginReports.map((r) => r.pluginName);
    expect(names).toContain('AwsSolutions');
    for (const plugin of report.pluginReports) {
      expect(plugin.violations, plugin.pluginName).toEqual([]);
      expect(plugin.conclusion, plugin.pluginName).toBe('success');
    }
  });
});
