import type { Redis } from 'ioredis';
import type { Dataset } from '../dataset.js';
import type { GatewayStandIn } from '../gateway-stand-in.js';
import type { BenchOptions } from '../options.js';
import type { Report } from '../report.js';

/** What every phase shares: options, the seeded data, loopback clients and the report. */
export interface BenchContext {
  readonly options: BenchOptions;
  readonly dataset: Dataset;
  /** Client of the shared Redis on 6379. */
  readonly redis: Redis;
  /** Port of the shared Redis. */
  readonly redisPort: number;
  /** Key prefix of this run (`bench-<random>`); every key the run writes starts with it. */
  readonly prefix: string;
  /** PostgreSQL schema of this run. */
  readonly schema: string;
  readonly gateway: GatewayStandIn;
  readonly report: Report;
  /** Results shared between phases (limits feed ratios). */
  readonly results: Map<string, number>;
}
