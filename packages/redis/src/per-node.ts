import calculateSlot from 'cluster-key-slot';
import type { Cluster } from 'ioredis';
import type { Client } from './commands.js';
import type { RedisKeyLayout } from './key-layout.js';

/**
 * Pipelining per node: runs one single-slot command per item, one pipeline on a single node, one
 * per master on a cluster (grouped by the item's bucket slot), all in parallel. Replies come back
 * in item order; a failed command fails the call.
 */
export class NodePipelines {
  readonly #client: () => Client;
  readonly #keys: RedisKeyLayout;
  readonly #bucketSlots: number[] = [];

  constructor(client: () => Client, keys: RedisKeyLayout) {
    this.#client = client;
    this.#keys = keys;
  }

  /** Runs `commandOf(item)` for every item; `bucketOf(item)` names the slot it runs in. */
  async run<T>(
    items: readonly T[],
    bucketOf: (item: T) => number,
    commandOf: (item: T) => (string | number)[],
  ): Promise<unknown[]> {
    const client = this.#client();
    const cluster =
      (client as { isCluster?: boolean }).isCluster === true ? (client as Cluster) : undefined;
    const groups = new Map<string, number[]>();
    items.forEach((item, index) => {
      const group = cluster ? this.#nodeOf(cluster, bucketOf(item)) : '';
      const members = groups.get(group);
      if (members) members.push(index);
      else groups.set(group, [index]);
    });
    const results: unknown[] = new Array(items.length);
    const run = async (positions: number[]) => {
      const replies = await exec(
        client,
        positions.map((position) => commandOf(items[position] as T).map(String)),
      );
      positions.forEach((position, i) => {
        results[position] = replies[i];
      });
    };
    await Promise.all(
      [...groups.values()].map(async (positions) => {
        try {
          await run(positions);
        } catch (error) {
          // The slot map moved between grouping and sending: fall back to one pipeline per slot.
          if (!cluster || !(error instanceof Error) || !/same slot/i.test(error.message))
            throw error;
          const bySlot = new Map<number, number[]>();
          for (const position of positions) {
            const slot = this.slotOf(bucketOf(items[position] as T));
            const list = bySlot.get(slot);
            if (list) list.push(position);
            else bySlot.set(slot, [position]);
          }
          await Promise.all([...bySlot.values()].map(run));
        }
      }),
    );
    return results;
  }

  /** The hash slot of a bucket's keys. */
  slotOf(bucket: number): number {
    let slot = this.#bucketSlots[bucket];
    if (slot === undefined) {
      slot = calculateSlot(this.#keys.bucketKey(bucket));
      this.#bucketSlots[bucket] = slot;
    }
    return slot;
  }

  /** The master serving a bucket's slot (by the client's slot map), or the slot when unknown. */
  #nodeOf(cluster: Cluster, bucket: number): string {
    const slot = this.slotOf(bucket);
    return cluster.slots[slot]?.[0] ?? `slot:${slot}`;
  }
}

async function exec(client: Client, commands: string[][]): Promise<unknown[]> {
  const results = await client.pipeline(commands).exec();
  if (results === null) throw new Error('pipeline aborted');
  return results.map(([error, reply]) => {
    if (error) throw error;
    return reply;
  });
}
