// Loads every entry point of every public package as Node does for an ES module consumer: a file
// left out of a tarball, or an import of an undeclared dependency, fails here.
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
  const exported = Object.keys(await import(entry));
  if (exported.length === 0) throw new Error(`${entry} exports nothing`);
  console.log(`import ${entry}: ${exported.length} exports`);
}
