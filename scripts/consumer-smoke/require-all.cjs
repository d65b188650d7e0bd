// Loads every entry point with require(), as a CommonJS consumer does: dual entries through their
// CommonJS build, the ESM-only ones (@presence/core/testing, @presence/client) through require()
// of an ES module (Node >= 20.19, the packages' engines).
const entries = [
  '@presence/core',
  '@presence/core/testing',
  '@presence/dynamodb',
  '@presence/lambda',
  '@presence/lambda/cdk',
  '@presence/local',
  '@presence/postgres',
  '@presence/redis',
  '@presence/redis/testing',
  '@presence/client',
];
for (const entry of entries) {
  const exported = Object.keys(require(entry));
  if (exported.length === 0) throw new Error(`${entry} exports nothing`);
  console.log(`require ${entry}: ${exported.length} exports`);
}
