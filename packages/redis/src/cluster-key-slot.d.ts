// cluster-key-slot (an ioredis dependency) ships no types.
declare module 'cluster-key-slot' {
  /** The Redis Cluster hash slot (0-16383) of a key, honouring `{hash tags}`. */
  function calculateSlot(key: string | Buffer): number;
  namespace calculateSlot {
    /** The common slot of several keys, or -1 when they differ. */
    function generateMulti(keys: (string | Buffer)[]): number;
  }
  export default calculateSlot;
}
